/* Stable error codes (docs/errors.md): every source file that makes errors
 * belongs to an area, every code a call site names is one the sync socket
 * carries back, codes survive wrapping and the trip from the init, and the
 * JSON log line carries them while the text line does not. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "error.h"
#include "exec_internal.h"
#include "hooks.h"
#include "linux/namespaces.h"
#include "linux/pathsafe.h"
#include "linux/proc_controls.h"
#include "linux/seccomp.h"
#include "linux/sysctl.h"
#include "linux/terminal.h"
#include "log.h"
#include "spec.h"
#include "state.h"
#include "sync.h"
#include "unit.h"

/* Run from the project root (meson's workdir). */
static void test_every_file_has_an_area(void) {
  FILE *p = popen("grep -rlE 'berth_fail(_errno)?(_id)?\\(|cli_log_error\\(' src", "r");
  char line[512];
  int files = 0;
  while (p != NULL && fgets(line, sizeof(line), p) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (strcmp(line, "src/lib/error.h") == 0 || strcmp(line, "src/cli/log.h") == 0)
      continue;
    files++;
    const char *id = berth_error_id_for(line, NULL);
    if (strcmp(id, "BERTH-E-INTERNAL") == 0)
      fprintf(stderr, "  %s has no area in src/lib/error_ids.c\n", line);
    CHECK(strcmp(id, "BERTH-E-INTERNAL") != 0);
  }
  if (p != NULL)
    pclose(p);
  CHECK(files > 50);
}

/* A code the init sends back is only kept when berth_error_id_known knows
 * it, and only whole when it fits the sync message. */
static void test_every_code_is_known(void) {
  FILE *p = popen("grep -rhoE '\"BERTH-E-[A-Z0-9-]+\"' src | tr -d '\"' | sort -u", "r");
  char line[128];
  int codes = 0;
  struct sync_msg m;
  while (p != NULL && fgets(line, sizeof(line), p) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    codes++;
    if (berth_error_id_known(line) == NULL)
      fprintf(stderr, "  %s is not listed in src/lib/error_ids.c\n", line);
    CHECK(berth_error_id_known(line) != NULL);
    CHECK(strlen(line) < sizeof(m.id));
  }
  if (p != NULL)
    pclose(p);
  CHECK(codes > 40);
}

static void test_ids(void) {
  /* However the build spells the path. */
  CHECK(strcmp(berth_error_id_for("../src/lib/linux/rootfs_mount.c", NULL), "BERTH-E-MOUNT") == 0);
  CHECK(strcmp(berth_error_id_for("./src/lib/linux/rootfs.c", NULL), "BERTH-E-ROOTFS") == 0);
  CHECK(strcmp(berth_error_id_for("/x/src/y/src/cli/cmd_kill.c", NULL), "BERTH-E-USAGE") == 0);
  CHECK(strcmp(berth_error_id_for("../src/lib/state.c", "container does not exist"),
               "BERTH-E-NOT-FOUND") == 0);
  CHECK(strcmp(berth_error_id_for("elsewhere.c", NULL), "BERTH-E-INTERNAL") == 0);

  berth_error *err = NULL;
  berth_fail_id(&err, "BERTH-E-MOUNT", 2, "mount %s", "/x");
  berth_wrap(&err, "create \"%s\"", "c1");
  CHECK(strcmp(berth_error_id(err), "BERTH-E-MOUNT") == 0);
  CHECK(strcmp(berth_error_text(err), "create \"c1\": mount /x: no such file or directory") == 0);
  berth_error_free(err);
  CHECK(strcmp(berth_error_id(NULL), "BERTH-E-INTERNAL") == 0);

  /* An id read from the sync socket maps back to the table's string. */
  char copy[32];
  snprintf(copy, sizeof(copy), "%s", "BERTH-E-SECCOMP");
  CHECK(berth_error_id_known(copy) != NULL && berth_error_id_known(copy) != copy);
  CHECK(berth_error_id_known("BERTH-E-NO-SUCH") == NULL);
}

/* The error a real call site made carries that site's code; prints the
 * error when it does not. Frees the error. */
static void expect_code(int rc, berth_error **err, const char *id) {
  CHECK(rc < 0);
  if (rc < 0 && strcmp(berth_error_id(*err), id) != 0)
    fprintf(stderr, "  want %s, got %s for: %s\n", id, berth_error_id(*err),
            *err ? berth_error_text(*err) : "(no error)");
  CHECK(rc < 0 && strcmp(berth_error_id(*err), id) == 0);
  berth_error_clear(err);
}

/* A config.json of the minimal fields and `extra`, which must parse. */
static spec *parse_config(const char *extra) {
  char *doc = NULL;
  spec *s = NULL;
  berth_error *err = NULL;
  if (asprintf(&doc, "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}%s%s}",
               extra[0] ? "," : "", extra) < 0)
    return NULL;
  if (spec_parse(doc, strlen(doc), "config.json", &s, &err) < 0) {
    fprintf(stderr, "  parse: %s\n", berth_error_text(err));
    berth_error_free(err);
    s = NULL;
  }
  free(doc);
  CHECK(s != NULL);
  return s;
}

/* spec_parse of a document that must fail with the code `id`. */
static void expect_parse_code(const char *extra, const char *id) {
  char *doc = NULL;
  spec *s = NULL;
  berth_error *err = NULL;
  if (asprintf(&doc, "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},%s}", extra) < 0)
    return;
  int rc = spec_parse(doc, strlen(doc), "config.json", &s, &err);
  if (rc == 0)
    spec_free(s);
  expect_code(rc, &err, id);
  free(doc);
}

static void test_config_sites(void) {
  berth_error *err = NULL;
  spec *s = NULL;
  const char *broken = "{\"ociVersion\": ";
  expect_code(spec_parse(broken, strlen(broken), "config.json", &s, &err), &err,
              "BERTH-E-SPEC-JSON");
  expect_parse_code("\"hostname\": 5", "BERTH-E-SPEC-SCHEMA");
  expect_parse_code("\"hooks\":{\"prestart\":[{\"path\":\"hook.sh\"}]}", "BERTH-E-HOOK-PATH");
  expect_parse_code("\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"rlimits\":"
                    "[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}",
                    "BERTH-E-PROCESS-RLIMIT");
  expect_parse_code("\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}",
                    "BERTH-E-NAMESPACE-TYPE");
  expect_parse_code("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                    "\"architectures\":[\"SCMP_ARCH_BOGUS\"]}}",
                    "BERTH-E-SECCOMP-ARCH");
  expect_parse_code("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_BOGUS\"}}",
                    "BERTH-E-SECCOMP-ACTION");
  expect_parse_code("\"linux\":{\"personality\":{\"domain\":\"PDP11\"}}",
                    "BERTH-E-PROCESS-PERSONALITY");
  expect_code(spec_load("/nonexistent-berth-bundle/config.json", &s, &err), &err,
              "BERTH-E-SPEC-MISSING");

  /* Checks made once the config has parsed. */
  s = parse_config("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                   "\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}");
  struct berth_seccomp *p = NULL;
  if (s != NULL)
    expect_code(seccomp_prepare(s->linux.seccomp, &p, &err), &err, "BERTH-E-SECCOMP-LISTENER");
  spec_free(s);
  s = parse_config("\"linux\":{\"sysctl\":{\"vm.swappiness\":\"1\"}}");
  if (s != NULL)
    expect_code(sysctl_validate(s, &err), &err, "BERTH-E-SYSCTL-NOT-NAMESPACED");
  spec_free(s);
  s = parse_config("\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}");
  if (s != NULL)
    expect_code(sysctl_validate(s, &err), &err, "BERTH-E-SYSCTL-NOT-ALLOWED");
  spec_free(s);
  s = parse_config("\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"
                   "\"uidMappings\":[{\"containerID\":1,\"hostID\":1000,\"size\":1}],"
                   "\"gidMappings\":[{\"containerID\":1,\"hostID\":1000,\"size\":1}]}");
  if (s != NULL)
    expect_code(ns_check_id_maps(s, &err), &err, "BERTH-E-USERNS-NO-ROOT");
  spec_free(s);
}

/* Hooks run for real: a program that is not there, one that fails, one
 * that outlives its timeout (a second). */
static void test_hook_sites(void) {
  berth_error *err = NULL;
  static const struct {
    const char *hook;
    const char *id;
  } cases[] = {
      {"{\"path\":\"/nonexistent-berth-hook\"}", "BERTH-E-HOOK-EXEC"},
      {"{\"path\":\"/bin/false\"}", "BERTH-E-HOOK-FAILED"},
      {"{\"path\":\"/bin/sleep\",\"args\":[\"sleep\",\"10\"],\"timeout\":1}",
       "BERTH-E-HOOK-TIMEOUT"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *extra = NULL;
    if (asprintf(&extra, "\"hooks\":{\"prestart\":[%s]}", cases[i].hook) < 0)
      return;
    spec *s = parse_config(extra);
    free(extra);
    if (s != NULL)
      expect_code(hooks_run(s, HOOK_PRESTART, "{}", &err), &err, cases[i].id);
    spec_free(s);
  }
}

static void test_other_sites(void) {
  berth_error *err = NULL;
  expect_code(state_check_id("a/b", &err), &err, "BERTH-E-STATE-BAD-ID");
  expect_code(terminal_check_opts(true, true, NULL, &err), &err, "BERTH-E-TERMINAL-NO-SOCKET");
  expect_code(terminal_check_opts(false, false, "/tmp/x.sock", &err), &err,
              "BERTH-E-TERMINAL-SOCKET-UNUSED");
  proc_idset set = {0};
  expect_code(proc_idset_parse("process.execCPUAffinity.initial", "5-2", &set, &err), &err,
              "BERTH-E-PROCESS-CPU-AFFINITY");
  proc_idset_free(&set);

  char dir[] = "/tmp/berth-test-error-ids-root-XXXXXX";
  if (mkdtemp(dir) != NULL) {
    int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    expect_code(pathsafe_open(root, "no/such/file", O_RDONLY, 0, &err), &err,
                "BERTH-E-ROOTFS-PATH");
    close(root);
    rmdir(dir);
  }

  /* Any failure to read an exec --process file is that file's. */
  struct exec_opts o = {.process_file = "/nonexistent-berth-process.json"};
  spec_process *proc = NULL;
  expect_code(exec_build_process(&o, NULL, &proc, &err), &err, "BERTH-E-EXEC-PROCESS");

  /* A refused cgroup write is coded by what fixes it. */
  CHECK(strcmp(cg_refused_code("memory.max", EACCES), "BERTH-E-CGROUP-PERMISSION") == 0);
  CHECK(strcmp(cg_refused_code(NULL, EROFS), "BERTH-E-CGROUP-PERMISSION") == 0);
  CHECK(strcmp(cg_refused_code("cpuset.cpus", EINVAL), "BERTH-E-CGROUP-CPUSET") == 0);
  CHECK(strcmp(cg_refused_code("memory.limit_in_bytes", EBUSY),
               "BERTH-E-CGROUP-MEMORY-USAGE") == 0);
  CHECK(strcmp(cg_refused_code("pids.max", EINVAL), "BERTH-E-CGROUP-VALUE") == 0);
  CHECK(cg_refused_code("cgroup.procs", EINVAL) == NULL);
}

/* A specific code the init sends over the sync socket comes back as the
 * same code, and a NULL id falls back to the area. */
static void test_named_code_paths(void) {
  struct sync_msg m = {.type = SYNC_ERROR, .code = ENOENT};
  snprintf(m.text, sizeof(m.text), "%s", "bind source \"/x\"");
  snprintf(m.id, sizeof(m.id), "%s", "BERTH-E-MOUNT-SOURCE");
  enum sync_phase phase = PHASE_WAIT_GO;
  berth_error *err = NULL;
  expect_code(sync_advance(&phase, &m, &err), &err, "BERTH-E-MOUNT-SOURCE");

  errno = EIO;
  berth_fail_errno_id(&err, NULL, "read %s", "x");
  CHECK(strcmp(berth_error_id(err), "BERTH-E-INTERNAL") == 0); /* this file has no area */
  CHECK(err != NULL && err->code == EIO);
  berth_recode(&err, "BERTH-E-SPEC-READ");
  CHECK(strcmp(berth_error_id(err), "BERTH-E-SPEC-READ") == 0);
  CHECK(strcmp(berth_error_text(err), "read x: input/output error") == 0);
  berth_error_clear(&err);
  CHECK(berth_recode(&err, "BERTH-E-SPEC-READ") == -1 && err == NULL);
}

static char log_path[] = "/tmp/berth-test-error-ids-XXXXXX";

static void read_log(char *buf, size_t size) {
  FILE *f = fopen(log_path, "r");
  size_t n = f != NULL ? fread(buf, 1, size - 1, f) : 0;
  buf[n] = '\0';
  if (f != NULL)
    fclose(f);
}

static void test_log_lines(void) {
  char buf[1024];
  struct cli_globals json = {.log_path = log_path, .log_format = "json"};
  CHECK(cli_log_setup(&json) == 0);
  cli_log_error_id("BERTH-E-NOT-FOUND", "container does not exist");
  cli_log_close();
  read_log(buf, sizeof(buf));
  CHECK(strncmp(buf, "{\"code\":\"BERTH-E-NOT-FOUND\",\"level\":\"error\",\"msg\":\"container "
                     "does not exist\",\"time\":", 84) == 0);
  CHECK(truncate(log_path, 0) == 0);
  struct cli_globals text = {.log_path = log_path, .log_format = "text"};
  CHECK(cli_log_setup(&text) == 0);
  cli_log_error_id("BERTH-E-NOT-FOUND", "container does not exist");
  cli_log_close();
  read_log(buf, sizeof(buf));
  CHECK(strstr(buf, "BERTH-E") == NULL);
  CHECK_STR_CONTAINS(buf, " level=error msg=\"container does not exist\"\n");
}

int main(void) {
  int fd = mkstemp(log_path);
  if (fd < 0)
    return 1;
  close(fd);
  test_every_file_has_an_area();
  test_every_code_is_known();
  test_ids();
  test_config_sites();
  test_hook_sites();
  test_other_sites();
  test_named_code_paths();
  test_log_lines();
  unlink(log_path);
  return unit_summary("error_ids");
}
