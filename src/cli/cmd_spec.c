/* `berth spec [--bundle DIR] [--rootless]`: write the starter config.json
 * that `runc spec` writes (same content and tab-indented layout), declaring
 * this runtime's spec version. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "opts.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define SPEC_OCI_VERSION "1.3.0"

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                           NULL};

static const char *const default_masked_paths[] = {
    "/proc/acpi",         "/proc/asound",     "/proc/kcore",      "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/sys/firmware",      "/proc/scsi",       "/sys/devices/virtual/tpm", NULL};

static const char *const default_readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq",
                                                     "/proc/sys", "/proc/sysrq-trigger", NULL};

struct default_mount {
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct default_mount default_mounts[] = {
    {"/proc", "proc", "proc", {NULL}},
    {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
    {"/dev/pts", "devpts", "devpts",
     {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
    {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
    {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
    {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
    {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
};

/* A rootless container cannot mount a fresh sysfs; it gets the host's. */
static const struct default_mount rootless_sys_mount = {
    "/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}};

static json_t *string_array(const char *const *items) {
  json_t *a = json_array();
  for (; *items != NULL; items++)
    json_array_append_new(a, json_string(*items));
  return a;
}

static json_t *spec_process(void) {
  json_t *caps = json_object();
  json_object_set_new(caps, "bounding", string_array(default_caps));
  json_object_set_new(caps, "effective", string_array(default_caps));
  json_object_set_new(caps, "permitted", string_array(default_caps));
  json_t *nofile = json_pack("{s:s, s:i, s:i}", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024);
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
  static const char *const args[] = {"sh", NULL};
  return json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:[o], s:b}", "terminal", 1, "user",
                   "uid", 0, "gid", 0, "args", string_array(args), "env", string_array(env), "cwd",
                   "/", "capabilities", caps, "rlimits", nofile, "noNewPrivileges", 1);
}

/* Rootless mounts lose uid=/gid= options: the ids may not be mapped. */
static json_t *mount_json(const struct default_mount *m, bool rootless) {
  json_t *j = json_pack("{s:s, s:s, s:s}", "destination", m->destination, "type", m->type,
                        "source", m->source);
  json_t *options = json_array();
  for (const char *const *o = m->options; *o != NULL; o++)
    if (!rootless || (strncmp(*o, "uid=", 4) != 0 && strncmp(*o, "gid=", 4) != 0))
      json_array_append_new(options, json_string(*o));
  if (json_array_size(options) > 0)
    json_object_set(j, "options", options);
  json_decref(options);
  return j;
}

static json_t *spec_mounts(bool rootless) {
  json_t *mounts = json_array();
  for (size_t i = 0; i < sizeof(default_mounts) / sizeof(default_mounts[0]); i++) {
    const struct default_mount *m = &default_mounts[i];
    if (rootless && strcmp(m->destination, "/sys") == 0)
      m = &rootless_sys_mount;
    json_array_append_new(mounts, mount_json(m, rootless));
  }
  return mounts;
}

static bool host_has_unified_cgroup(void) {
  struct statfs fs;
  return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

static json_t *spec_namespaces(bool rootless) {
  /* Rootless drops the network namespace: it could not be wired up. */
  static const char *const types[] = {"pid", "network", "ipc", "uts", "mount"};
  json_t *ns = json_array();
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (!rootless || strcmp(types[i], "network") != 0)
      json_array_append_new(ns, json_pack("{s:s}", "type", types[i]));
  if (host_has_unified_cgroup())
    json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
  if (rootless)
    json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
  return ns;
}

static json_t *id_mapping(unsigned host_id) {
  return json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)host_id, "size", 1);
}

static json_t *spec_linux(bool rootless) {
  json_t *section = json_object();
  if (rootless) {
    json_object_set_new(section, "uidMappings", id_mapping(geteuid()));
    json_object_set_new(section, "gidMappings", id_mapping(getegid()));
  } else {
    json_object_set_new(section, "resources",
                        json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
  }
  json_object_set_new(section, "namespaces", spec_namespaces(rootless));
  json_object_set_new(section, "maskedPaths", string_array(default_masked_paths));
  json_object_set_new(section, "readonlyPaths", string_array(default_readonly_paths));
  return section;
}

static json_t *build_spec(bool rootless) {
  return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", SPEC_OCI_VERSION,
                   "process", spec_process(), "root", "path", "rootfs", "readonly", 1, "hostname",
                   "berth", "mounts", spec_mounts(rootless), "linux", spec_linux(rootless));
}

/* jansson indents with spaces only; runc's file is indented with tabs. With
 * one space per level, each line's leading spaces are its depth. */
static char *dump_tab_indented(json_t *spec) {
  char *spaced = json_dumps(spec, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  if (spaced == NULL)
    return NULL;
  char *out = spaced;
  bool line_start = true;
  for (char *p = spaced; *p != '\0'; p++) {
    if (line_start && *p == ' ') {
      *p = '\t';
      continue;
    }
    line_start = *p == '\n';
  }
  return out;
}

static int write_new_file(const char *name, const char *text) {
  int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    if (errno == EEXIST)
      cli_log_error("File %s exists. Remove it first", name);
    else
      cli_log_error("open %s: %s", name, cli_errno_text(errno));
    return -1;
  }
  size_t len = strlen(text);
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      cli_log_error("write %s: %s", name, cli_errno_text(errno));
      close(fd);
      return -1;
    }
    text += n;
    len -= (size_t)n;
  }
  if (close(fd) < 0) {
    cli_log_error("close %s: %s", name, cli_errno_text(errno));
    return -1;
  }
  return 0;
}

static const struct opt_command_help spec_help = {
    .name = "spec",
    .summary = "create a new specification file",
    .args_usage = NULL,
    .description =
        "The spec command creates the new specification file named \"config.json\" for\n"
        "the bundle.\n\n"
        "The spec generated is just a starter file. Editing of the spec is required to\n"
        "achieve desired results. For example, the newly generated spec includes an args\n"
        "parameter that is initially set to call the \"sh\" command when the container is\n"
        "started.\n\n"
        "Pass --rootless to generate a configuration for a container started by an\n"
        "unprivileged user: it adds a user namespace mapping the caller's ids to root,\n"
        "leaves out the network namespace and cgroup settings, and bind-mounts /sys.",
};

int cmd_spec(struct cli_globals *g, int argc, char **argv) {
  const char *bundle = NULL;
  bool rootless = false, help = false;
  const struct opt_def defs[] = {
      {"bundle", 'b', OPT_STRING, &bundle, "path to the root of the bundle directory", NULL},
      {"rootless", 0, OPT_BOOL, &rootless, "generate a configuration for a rootless container",
       NULL},
      {0},
  };
  const char **pos = NULL;
  size_t npos = 0;
  berth_error *err = NULL;
  if (opts_parse(defs, argc, argv, false, &pos, &npos, &help, &err) < 0) {
    int status = opts_usage_error(&spec_help, defs, berth_error_text(err));
    berth_error_free(err);
    return status;
  }
  free(pos);
  if (help) {
    opts_print_command_help(&spec_help, defs);
    return 0;
  }
  if (opts_check_args(&spec_help, defs, npos, 0, OPT_ARGS_EXACT) != 0)
    return 1;
  if (bundle != NULL && bundle[0] != '\0' && chdir(bundle) < 0) {
    cli_log_error("chdir %s: %s", bundle, cli_errno_text(errno));
    return 1;
  }
  json_t *spec = build_spec(rootless);
  char *text = spec != NULL ? dump_tab_indented(spec) : NULL;
  json_decref(spec);
  if (text == NULL) {
    cli_log_error("generating config.json: out of memory");
    return 1;
  }
  int rc = write_new_file("config.json", text);
  free(text);
  return rc < 0 ? 1 : 0;
}
