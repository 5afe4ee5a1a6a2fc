/* `berth features`: what this runtime implements, as the JSON document of
 * the runtime spec's features.md / features-linux.md. containerd, Docker
 * and CRI-O read it at start-up to decide what to ask for (rro mounts,
 * user namespaces, idmapped mounts), so it must never claim more than the
 * runtime really does. */
#include <errno.h>
#include <jansson.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "berth-config.h"
#include "checkpoint.h"
#include "commands.h"
#include "linux/seccomp.h"
#include "log.h"
#include "opts.h"

/* ---- what is implemented: flip a line here when support lands --------- */

static const struct {
  const char *type;
  bool supported;
} namespace_support[] = {
    {"cgroup", true}, {"ipc", true}, {"mount", true}, {"network", true},
    {"pid", true},    {"time", true},
    {"user", true},
    {"uts", true},
};

static const struct {
  bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
  bool seccomp;
  bool apparmor, selinux;
  bool intel_rdt;
  bool idmapped_mounts;
  bool net_devices;
} support = {
    .cgroup_v1 = true,
    .cgroup_v2 = true,
    .cgroup_systemd = true,
    .cgroup_systemd_user = false,
    .cgroup_rdma = false,
    .seccomp = true,
    .apparmor = true,
    .selinux = true,
    .intel_rdt = false,
    .idmapped_mounts = true,
    .net_devices = true,
};

/* ---- fixed vocabularies ------------------------------------------------ */

#define SPEC_VERSION_MIN "1.0.0"
#define SPEC_VERSION_MAX "1.3.0"

static const char *const hook_names[] = {"prestart",       "createRuntime", "createContainer",
                                         "startContainer", "poststart",     "poststop",
                                         NULL};

/* Sorted, as runc prints them. idmap/ridmap are reported under
 * linux.mountExtensions instead. */
static const char *const mount_options[] = {
    "acl",          "async",       "atime",       "bind",       "defaults",      "dev",
    "diratime",     "dirsync",     "exec",        "iversion",   "lazytime",      "loud",
    "mand",         "noacl",       "noatime",     "nodev",      "nodiratime",    "noexec",
    "noiversion",   "nolazytime",  "nomand",      "norelatime", "nostrictatime", "nosuid",
    "nosymfollow",  "private",     "ratime",      "rbind",      "rdev",          "rdiratime",
    "relatime",     "remount",     "rexec",       "rnoatime",   "rnodev",        "rnodiratime",
    "rnoexec",      "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow",  "ro",
    "rprivate",     "rrelatime",   "rro",         "rrw",        "rshared",       "rslave",
    "rstrictatime", "rsuid",       "rsymfollow",  "runbindable", "rw",           "shared",
    "silent",       "slave",       "strictatime", "suid",       "symfollow",     "sync",
    "tmpcopyup",    "unbindable",  NULL};

static const char *const seccomp_actions[] = {
    "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
    "SCMP_ACT_TRAP",        NULL};

static const char *const seccomp_operators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL};

/* libseccomp's names, in the sorted order of their SCMP_ARCH_ spelling. */
static const char *const seccomp_arch_names[] = {
    "aarch64", "arm",      "loongarch64", "m68k",    "mips",  "mips64", "mips64n32", "mipsel",
    "mipsel64", "mipsel64n32", "parisc",  "parisc64", "ppc",  "ppc64",  "ppc64le",   "riscv64",
    "s390",    "s390x",    "sh",          "sheb",    "x32",   "x86",    "x86_64",    NULL};

/* Filter flags, in runc's order. Which of them this host supports is asked
 * of the kernel: berth passes them to seccomp(2) itself, so the libseccomp
 * version does not limit them. */
static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};

/* Annotations whose presence in a config changes what the runtime does. */
static const char *const unsafe_annotations[] = {"bundle", "org.systemd.property.",
                                                 "org.criu.config", NULL};

/* ---- the document ----------------------------------------------------- */

static json_t *string_array(const char *const *items) {
  json_t *a = json_array();
  for (; *items != NULL; items++)
    json_array_append_new(a, json_string(*items));
  return a;
}

static json_t *enabled(bool on) {
  return json_pack("{s:b}", "enabled", on);
}

static json_t *supported_namespaces(void) {
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof(namespace_support) / sizeof(namespace_support[0]); i++)
    if (namespace_support[i].supported)
      json_array_append_new(a, json_string(namespace_support[i].type));
  return a;
}

/* Every capability libcap can name, in number order, spelled as in configs. */
static json_t *known_capabilities(void) {
  json_t *a = json_array();
  for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
    char *name = cap_to_name((cap_value_t)cap);
    if (name == NULL)
      continue;
    if (strncmp(name, "cap_", 4) == 0) {
      for (char *p = name; *p != '\0'; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
      json_array_append_new(a, json_string(name));
    }
    cap_free(name);
  }
  return a;
}

static json_t *seccomp_archs(void) {
  json_t *a = json_array();
  for (const char *const *arch = seccomp_arch_names; *arch != NULL; arch++) {
    if (seccomp_arch_resolve_name(*arch) == 0)
      continue; /* too new for the installed libseccomp */
    char name[64];
    size_t n = (size_t)snprintf(name, sizeof(name), "SCMP_ARCH_%s", *arch);
    for (size_t i = 10; i < n && i < sizeof(name); i++)
      name[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
    json_array_append_new(a, json_string(name));
  }
  return a;
}

static json_t *seccomp_features(void) {
  json_t *j = enabled(support.seccomp);
  if (!support.seccomp)
    return j;
  json_object_set_new(j, "actions", string_array(seccomp_actions));
  json_object_set_new(j, "operators", string_array(seccomp_operators));
  json_object_set_new(j, "archs", seccomp_archs());
  json_t *usable = json_array();
  for (const char *const *flag = seccomp_flags; *flag != NULL; flag++)
    if (seccomp_flag_supported(*flag))
      json_array_append_new(usable, json_string(*flag));
  json_object_set_new(j, "knownFlags", string_array(seccomp_flags));
  json_object_set_new(j, "supportedFlags", usable);
  return j;
}

/* features-linux.md's memoryPolicy: what set_mempolicy(2) accepts here. */
static json_t *memory_policy_features(void) {
  return json_pack("{s:[s,s,s,s,s,s,s], s:[s,s,s]}", "modes", "MPOL_DEFAULT", "MPOL_PREFERRED",
                   "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL", "MPOL_PREFERRED_MANY",
                   "MPOL_WEIGHTED_INTERLEAVE", "flags", "MPOL_F_NUMA_BALANCING",
                   "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES");
}

static json_t *linux_features(void) {
  json_t *cgroup = json_pack("{s:b, s:b, s:b, s:b, s:b}", "v1", support.cgroup_v1, "v2",
                             support.cgroup_v2, "systemd", support.cgroup_systemd, "systemdUser",
                             support.cgroup_systemd_user, "rdma", support.cgroup_rdma);
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o}, s:o, s:o}", "namespaces",
                   supported_namespaces(), "capabilities", known_capabilities(), "cgroup", cgroup,
                   "seccomp", seccomp_features(), "apparmor", enabled(support.apparmor),
                   "selinux", enabled(support.selinux), "intelRdt", enabled(support.intel_rdt),
                   "mountExtensions", "idmap", enabled(support.idmapped_mounts), "netDevices",
                   enabled(support.net_devices), "memoryPolicy", memory_policy_features());
}

/* Keys in sorted order, as Go prints a map. */
static json_t *runtime_annotations(void) {
  json_t *a = json_object();
  json_object_set_new(a, "io.github.berth.commit", json_string(BERTH_COMMIT));
  json_object_set_new(a, "io.github.berth.version", json_string(BERTH_VERSION));
  if (support.seccomp) {
    const struct scmp_version *v = seccomp_version();
    char text[48];
    snprintf(text, sizeof(text), "%u.%u.%u", v->major, v->minor, v->micro);
    json_object_set_new(a, "io.github.seccomp.libseccomp.version", json_string(text));
  }
  /* Checkpointing is built in; whether it works depends on the CRIU found. */
  berth_error *err = NULL;
  bool criu = checkpoint_criu_available(NULL, 0, &err) == 0;
  berth_error_free(err);
  json_object_set_new(a, "org.opencontainers.runc.checkpoint.enabled",
                      json_string(criu ? "true" : "false"));
  return a;
}

static json_t *features_document(void) {
  return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "ociVersionMin", SPEC_VERSION_MIN,
                   "ociVersionMax", SPEC_VERSION_MAX, "hooks", string_array(hook_names),
                   "mountOptions", string_array(mount_options), "linux", linux_features(),
                   "annotations", runtime_annotations(), "potentiallyUnsafeConfigAnnotations",
                   string_array(unsafe_annotations));
}

/* ---- the command ------------------------------------------------------ */

static const struct opt_command_help features_help = {
    .name = "features",
    .summary = "show the enabled features",
    .args_usage = NULL,
    .description = "Show the enabled features.\n"
                   "   The result is parsable as a JSON (the runtime spec's features.md).\n",
};

int cmd_features(struct cli_globals *g, int argc, char **argv) {
  const struct opt_def defs[] = {{0}};
  const char **pos = NULL;
  size_t npos = 0;
  bool help = false;
  berth_error *err = NULL;
  if (opts_parse(defs, argc, argv, false, &pos, &npos, &help, &err) < 0) {
    int status = opts_usage_error(&features_help, defs, berth_error_text(err));
    berth_error_free(err);
    return status;
  }
  free(pos);
  if (help) {
    opts_print_command_help(&features_help, defs);
    return 0;
  }
  if (opts_check_args(&features_help, defs, npos, 0, OPT_ARGS_EXACT) != 0)
    return 1;
  json_t *doc = features_document();
  int rc = doc != NULL ? json_dumpf(doc, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : -1;
  json_decref(doc);
  if (rc < 0 || putchar('\n') == EOF || fflush(stdout) == EOF) {
    cli_log_error("writing the features: %s", cli_errno_text(errno));
    return 1;
  }
  return 0;
}
