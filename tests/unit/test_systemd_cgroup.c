/* The systemd cgroup driver. This machine runs no systemd, so the manager
 * is a small fake served here with sd-bus's server side on a private
 * socket (BERTH_SYSTEMD_BUS_ADDRESS points the driver at it): the driver's
 * real messages go over the wire, and the fake records what it got.
 * Cgroups made here live under "berthtest.slice/berthtest-<pid>.slice"
 * and are removed at the end; only children this test forked are
 * signalled. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/cgroup_internal.h"
#include "cgroup/systemd.h"
#include "unit.h"

static const char *err_text(berth_error *e) {
  return e ? berth_error_text(e) : "(no error)";
}

/* ---- unit names ---- */

static void check_names(const char *path, const char *id, const char *unit, const char *slice,
                        const char *slice_path) {
  cg_systemd sd = {0};
  berth_error *e = NULL;
  int rc = cg_systemd_names(path, id, &sd, &e);
  CHECK(rc == 0);
  if (rc < 0)
    fprintf(stderr, "  names(\"%s\"): %s\n", path ? path : "(null)", err_text(e));
  CHECK(sd.unit && strcmp(sd.unit, unit) == 0);
  CHECK(sd.slice && strcmp(sd.slice, slice) == 0);
  CHECK(sd.slice_path && strcmp(sd.slice_path, slice_path) == 0);
  free(sd.unit);
  free(sd.slice);
  free(sd.slice_path);
  free(sd.name);
  berth_error_free(e);
}

static void check_names_fail(const char *path, const char *want) {
  cg_systemd sd = {0};
  berth_error *e = NULL;
  CHECK(cg_systemd_names(path, "id", &sd, &e) < 0);
  CHECK_STR_CONTAINS(err_text(e), want);
  free(sd.unit);
  free(sd.slice);
  free(sd.slice_path);
  free(sd.name);
  berth_error_free(e);
}

static void check_expand(const char *slice, const char *want) {
  char *path = NULL;
  berth_error *e = NULL;
  int rc = cg_systemd_expand_slice(slice, &path, &e);
  if (want == NULL) {
    CHECK(rc < 0);
    CHECK_STR_CONTAINS(err_text(e), "invalid slice name");
  } else {
    CHECK(rc == 0 && path && strcmp(path, want) == 0);
    if (rc == 0 && strcmp(path, want) != 0)
      fprintf(stderr, "  expand(%s) = %s, want %s\n", slice, path, want);
  }
  free(path);
  berth_error_free(e);
}

static void test_names(void) {
  check_names(NULL, "abc", "berth-abc.scope", "system.slice", "/system.slice");
  check_names("", "abc", "berth-abc.scope", "system.slice", "/system.slice");
  check_names("system.slice:docker:1234", "x", "docker-1234.scope", "system.slice",
              "/system.slice");
  check_names(":cri-containerd:c1", "x", "cri-containerd-c1.scope", "system.slice",
              "/system.slice");
  check_names("kubepods-besteffort.slice:cri:c2", "x", "cri-c2.scope",
              "kubepods-besteffort.slice", "/kubepods.slice/kubepods-besteffort.slice");
  check_names("a-b.slice:ignored:a-b-c.slice", "x", "a-b-c.slice", "a-b.slice",
              "/a.slice/a-b.slice");
  check_names("-.slice:p:n", "x", "p-n.scope", "-.slice", "/");
  check_names_fail("web", "slice:prefix:name");
  check_names_fail("a:b:c:d", "slice:prefix:name");
  check_names_fail("system:p:n", "invalid slice name: system");
  check_names_fail("system.slice:p:../../etc", "not a valid unit name");
  check_names_fail("system.slice:p:a b", "not a valid unit name");
  check_expand("test-a-b.slice", "/test.slice/test-a.slice/test-a-b.slice");
  check_expand("system.slice", "/system.slice");
  check_expand("-.slice", "/");
  check_expand(".slice", NULL);
  check_expand("a--b.slice", NULL);
  check_expand("-a.slice", NULL);
  check_expand("a-.slice", NULL);
  check_expand("a/b.slice", NULL);
  check_expand("a.scope", NULL);
}

/* ---- GVariant text ---- */

static char *describe_one(unit_prop *p) {
  unit_props list = {.v = p, .n = 1};
  return unit_props_describe(&list);
}

static void check_variant(const char *text, const char *want) {
  unit_prop p = {0};
  char *why = NULL;
  int rc = unit_parse_variant(text, &p, &why);
  if (want == NULL) {
    CHECK(rc < 0 && why != NULL);
  } else {
    p.name = strdup("P");
    char *got = rc == 0 ? describe_one(&p) : NULL;
    CHECK(got != NULL && strcmp(got, want) == 0);
    if (got == NULL || strcmp(got, want) != 0)
      fprintf(stderr, "  variant %s: got \"%s\" (%s), want \"%s\"\n", text, got ? got : "",
                      why ? why : "", want);
    free(got);
  }
  unit_prop_release(&p);
  free(why);
}

static void test_variant(void) {
  check_variant("uint64 123", "P=t 123\n");
  check_variant("@t 123", "P=t 123\n");
  check_variant("uint32 7", "P=u 7\n");
  check_variant("int64 -5", "P=x -5\n");
  check_variant("byte 255", "P=y 255\n");
  check_variant("123", "P=i 123\n");
  check_variant("  -42 ", "P=i -42\n");
  check_variant("0x10", "P=i 16\n");
  check_variant("010", "P=i 8\n");
  check_variant("1.5", "P=d 1.5\n");
  check_variant("double 2", "P=d 2\n");
  check_variant("true", "P=b true\n");
  check_variant("boolean false", "P=b false\n");
  check_variant("'inactive-or-failed'", "P=s \"inactive-or-failed\"\n");
  check_variant("\"a\\tb\\u00e9\"", "P=s \"a\tb\xc3\xa9\"\n");
  check_variant("objectpath '/x'", "P=o \"/x\"\n");
  check_variant("['a.service', 'b.service']", "P=as [\"a.service\", \"b.service\"]\n");
  check_variant("[1, 2]", "P=ai [1, 2]\n");
  check_variant("[uint64 1, 2]", "P=at [1, 2]\n");
  check_variant("@au [3]", "P=au [3]\n");
  check_variant("@as []", "P=as []\n");
  check_variant("[]", NULL);
  check_variant("[1, 'a']", NULL);
  check_variant("uint32 -1", NULL);
  check_variant("int32 3000000000", NULL);
  check_variant("3000000000", NULL);
  check_variant("byte 256", NULL);
  check_variant("uint64 12x", NULL);
  check_variant("'unterminated", NULL);
  check_variant("123 junk", NULL);
  check_variant("uint64 'x'", NULL);
  check_variant("string 5", NULL);
  check_variant("{'a': 1}", NULL);
  check_variant("", NULL);
}

static void check_annotations(spec_kv *kv, size_t n, const char *want, const char *want_err) {
  spec_kvs a = {.v = kv, .n = n};
  unit_props props = {0};
  berth_error *e = NULL;
  int rc = unit_props_from_annotations(&a, &props, &e);
  if (want_err != NULL) {
    CHECK(rc < 0);
    CHECK_STR_CONTAINS(err_text(e), want_err);
  } else {
    char *got = rc == 0 ? unit_props_describe(&props) : NULL;
    CHECK(got != NULL && strcmp(got, want) == 0);
    if (got == NULL || strcmp(got, want) != 0)
      fprintf(stderr, "  annotations: got \"%s\" (%s), want \"%s\"\n", got ? got : "",
              err_text(e), want);
    free(got);
  }
  unit_props_clear(&props);
  berth_error_free(e);
}

static void test_annotations(void) {
  spec_kv good[] = {
      {"org.systemd.property.TimeoutStopSec", "uint64 5"},
      {"io.kubernetes.cri.sandbox-id", "abc"},
      {"org.systemd.property.CollectMode", "'inactive-or-failed'"},
      {"org.systemd.property.AccuracySec", "1.5"},
      {"org.systemd.property.RuntimeMaxUSec", "uint64 7"},
      {"org.systemd.property.After", "['containerd.service']"},
      {"org.systemd.property.MemoryAccounting", "false"},
  };
  check_annotations(good, 7,
                    "TimeoutStopUSec=t 5000000\n"
                    "CollectMode=s \"inactive-or-failed\"\n"
                    "AccuracyUSec=t 1500000\n"
                    "RuntimeMaxUSec=t 7\n"
                    "After=as [\"containerd.service\"]\n"
                    "MemoryAccounting=b false\n",
                    NULL);
  spec_kv digits[] = {{"org.systemd.property.CPU1", "1"}};
  check_annotations(digits, 1, NULL, "name incorrect: contains non-alphabetic character");
  spec_kv shorty[] = {{"org.systemd.property.Ab", "1"}};
  check_annotations(shorty, 1, NULL, "name incorrect: too short");
  spec_kv bad[] = {{"org.systemd.property.TasksMax", "uint64 x"}};
  check_annotations(bad, 1, NULL, "org.systemd.property.TasksMax=uint64 x value parse error");
  spec_kv text_sec[] = {{"org.systemd.property.TimeoutStopSec", "'5s'"}};
  check_annotations(text_sec, 1, NULL, "not a number");
}

/* ---- linux.resources ---- */

static void check_limits(const spec_resources *r, bool v2, const char *want, int64_t want_quota) {
  unit_props props = {0};
  berth_error *e = NULL;
  int64_t quota = -7;
  int rc = unit_props_for_resources(r, v2, &props, &quota, &e);
  char *got = rc == 0 ? unit_props_describe(&props) : NULL;
  CHECK(got != NULL && strcmp(got, want) == 0);
  if (got == NULL || strcmp(got, want) != 0)
    fprintf(stderr, "  limits: got\n%s(%s)\nwant\n%s", got ? got : "", err_text(e), want);
  CHECK(quota == want_quota);
  free(got);
  unit_props_clear(&props);
  berth_error_free(e);
}

static void check_limits_fail(const spec_resources *r, bool v2, const char *want_err) {
  unit_props props = {0};
  berth_error *e = NULL;
  int64_t quota;
  CHECK(unit_props_for_resources(r, v2, &props, &quota, &e) < 0);
  CHECK_STR_CONTAINS(err_text(e), want_err);
  unit_props_clear(&props);
  berth_error_free(e);
}

static void test_limits(void) {
  spec_memory mem = {.limit = {true, 1048576}, .reservation = {true, 524288},
                     .swap = {true, 2097152}};
  spec_cpu cpu = {.shares = {true, 1024}, .quota = {true, 50000}, .period = {true, 100000},
                  .cpus = "0-2,9", .mems = "0"};
  spec_blkio blk = {.weight = {true, 500}};
  spec_resources r = {.memory = &mem, .cpu = &cpu, .pids_limit = {true, 100}, .block_io = &blk};
  check_limits(&r, true,
               "MemoryMax=t 1048576\nMemoryLow=t 524288\nMemorySwapMax=t 1048576\n"
               "CPUWeight=t 100\nCPUQuotaPeriodUSec=t 100000\nCPUQuotaPerSecUSec=t 500000\n"
               "TasksMax=t 100\nAllowedCPUs=ay [7, 2]\nAllowedMemoryNodes=ay [1]\n",
               50000);
  check_limits(&r, false,
               "MemoryLimit=t 1048576\nCPUShares=t 1024\nBlockIOWeight=t 500\n"
               "CPUQuotaPeriodUSec=t 100000\nCPUQuotaPerSecUSec=t 500000\n"
               "TasksMax=t 100\nAllowedCPUs=ay [7, 2]\nAllowedMemoryNodes=ay [1]\n",
               50000);

  /* systemd keeps whole percents: 12.345% becomes 13%, in the files too. */
  spec_cpu odd = {.quota = {true, 12345}};
  spec_resources q = {.cpu = &odd, .pids_limit = {true, -1}};
  check_limits(&q, true, "CPUQuotaPerSecUSec=t 130000\nTasksMax=t 18446744073709551615\n",
               13000);
  spec_cpu unlimited = {.quota = {true, -1}, .idle = {true, 1}, .shares = {true, 2}};
  spec_resources u = {.cpu = &unlimited};
  check_limits(&u, true, "CPUWeight=t 0\nCPUQuotaPerSecUSec=t 18446744073709551615\n", -1);

  spec_memory swap_only = {.swap = {true, 100}};
  spec_resources s = {.memory = &swap_only};
  check_limits_fail(&s, true, "a swap limit needs a memory limit");
  spec_cpu bad_cpus = {.cpus = "3-1"};
  spec_resources bc = {.cpu = &bad_cpus};
  check_limits_fail(&bc, true, "linux.resources.cpu.cpus \"3-1\": invalid range");

  spec_kv unified[] = {{"memory.high", "max"}, {"pids.max", " 10\n"}, {"cpu.max", "max 50000"},
                       {"cpu.weight", "50"}, {"io.weight", "default 100"}};
  spec_resources un = {.unified = {unified, 5}};
  check_limits(&un, true,
               "MemoryHigh=t 18446744073709551615\nTasksMax=t 10\n"
               "CPUQuotaPeriodUSec=t 50000\nCPUQuotaPerSecUSec=t 18446744073709551615\n"
               "CPUWeight=t 50\n",
               0);
  spec_kv idle[] = {{"cpu.weight", "50"}, {"cpu.idle", "1"}};
  spec_resources ui = {.unified = {idle, 2}};
  check_limits(&ui, true, "CPUWeight=t 0\n", 0);
  spec_kv slash[] = {{"../memory.max", "1"}};
  spec_resources us = {.unified = {slash, 1}};
  check_limits_fail(&us, true, "must be a file name");
  spec_kv nodot[] = {{"memory", "1"}};
  spec_resources ud = {.unified = {nodot, 1}};
  check_limits_fail(&ud, true, "CONTROLLER.PARAMETER");
  spec_kv badval[] = {{"memory.max", "lots"}};
  spec_resources ub = {.unified = {badval, 1}};
  check_limits_fail(&ub, true, "memory.max value \"lots\"");
}

static void check_devices(const spec_device_rule *rules, size_t n, bool v2, const char *want) {
  unit_props props = {0};
  berth_error *e = NULL;
  CHECK(unit_props_for_devices(rules, n, v2, &props, &e) == 0);
  char *got = unit_props_describe(&props);
  CHECK(got != NULL && strcmp(got, want) == 0);
  if (got == NULL || strcmp(got, want) != 0)
    fprintf(stderr, "  devices (v2 %d): got\n%swant\n%s", v2, got ? got : "", want);
  free(got);
  unit_props_clear(&props);
  berth_error_free(e);
}

#define ANY {false, 0}
#define NUM(x) {true, x}

static void test_devices(void) {
  spec_device_rule usual[] = {
      {.allow = false, .type = 'a', .major = ANY, .minor = ANY, .access = "rwm"},
      {.allow = true, .type = 'c', .major = ANY, .minor = ANY, .access = "m"},
      {.allow = true, .type = 'b', .major = ANY, .minor = ANY, .access = "m"},
      {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(3), .access = "rwm"},
      {.allow = true, .type = 'c', .major = NUM(136), .minor = ANY, .access = "rwm"},
      {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(5), .access = NULL},
      {.allow = false, .type = 'c', .major = NUM(1), .minor = NUM(3), .access = "w"},
  };
  const char *strict = "DevicePolicy=s \"strict\"\nDeviceAllow=a(ss) [(\"char-*\", \"m\"), "
                       "(\"block-*\", \"m\"), (\"/dev/char/1:3\", \"rm\"), "
                       "(\"char-136\", \"rwm\"), (\"/dev/char/1:5\", \"rwm\")]\n";
  check_devices(usual, 7, true, strict);
  check_devices(usual, 7, false, strict);
  spec_device_rule all[] = {{.allow = true, .type = 'a', .major = ANY, .minor = ANY}};
  check_devices(all, 1, true, "DevicePolicy=s \"auto\"\nDeviceAllow=a(ss) []\n");
  spec_device_rule any_major[] = {
      {.allow = false, .type = 'a', .major = ANY, .minor = ANY, .access = "rwm"},
      {.allow = true, .type = 'c', .major = ANY, .minor = NUM(5), .access = "rw"},
  };
  check_devices(any_major, 2, true, "");
  check_devices(any_major, 2, false, "DevicePolicy=s \"strict\"\nDeviceAllow=a(ss) []\n");
  spec_device_rule deny_list[] = {
      {.allow = true, .type = 'a', .major = ANY, .minor = ANY, .access = "rwm"},
      {.allow = false, .type = 'c', .major = NUM(1), .minor = NUM(3), .access = "rwm"},
  };
  check_devices(deny_list, 2, true, "");
  check_devices(deny_list, 2, false, "DevicePolicy=s \"strict\"\nDeviceAllow=a(ss) []\n");
}

static void test_start_props(void) {
  cg_systemd sd = {0};
  berth_error *e = NULL;
  CHECK(cg_systemd_names("machine.slice:libpod:c9", "x", &sd, &e) == 0);
  spec_kv notes[] = {{"org.systemd.property.CollectMode", "'inactive-or-failed'"}};
  spec_kvs a = {notes, 1};
  CHECK(unit_props_from_annotations(&a, &sd.annotations, &e) == 0);
  CHECK(unit_props_add_u64(&sd.limits, "TasksMax", 5) == 0);
  unit_props props = {0};
  CHECK(cg_systemd_start_props(&sd, 4242, true, &props, &e) == 0);
  char *got = unit_props_describe(&props);
  const char *want = "Description=s \"berth container c9\"\nSlice=s \"machine.slice\"\n"
                     "Delegate=b true\nPIDs=au [4242]\nMemoryAccounting=b true\n"
                     "CPUAccounting=b true\nIOAccounting=b true\nTasksAccounting=b true\n"
                     "DefaultDependencies=b false\nCollectMode=s \"inactive-or-failed\"\n"
                     "TasksMax=t 5\n";
  CHECK(got && strcmp(got, want) == 0);
  if (got && strcmp(got, want) != 0)
    fprintf(stderr, "  start props:\n%s", got);
  CHECK(sd.annotations.n == 0 && sd.limits.n == 0);
  free(got);
  unit_props_clear(&props);
  free(sd.unit);
  free(sd.slice);
  free(sd.slice_path);
  free(sd.name);

  cg_systemd slice = {0};
  CHECK(cg_systemd_names("a.slice:p:a-b.slice", "x", &slice, &e) == 0);
  CHECK(cg_systemd_start_props(&slice, 1, false, &props, &e) == 0);
  got = unit_props_describe(&props);
  CHECK_STR_CONTAINS(got, "Wants=as [\"a.slice\"]\n");
  CHECK_STR_CONTAINS(got, "BlockIOAccounting=b true\n");
  CHECK(got && strstr(got, "Delegate") == NULL && strstr(got, "Slice=") == NULL);
  free(got);
  unit_props_clear(&props);
  free(slice.unit);
  free(slice.slice);
  free(slice.slice_path);
  free(slice.name);
  berth_error_free(e);
}

/* ---- a fake systemd manager ---- */

#define JOB_PREFIX "/org/freedesktop/systemd1/job/"

static struct fake {
  int listen_fd;
  pthread_t thread;
  char address[128];
  char dir[64];
  /* behaviour */
  int exists_errors;      /* StartTransientUnit answers UnitExists this many times */
  const char *job_result; /* JobRemoved result of a start, "done" by default */
  pid_t kill_on_stop;     /* a child of this test that StopUnit kills, as systemd would */
  /* what it got */
  int starts, stops, resets, sets;
  char unit[128], mode[32];
  char *start_props, *set_props;
  char running[128]; /* the one unit it has, "" when none */
  uint32_t next_job;
} fake;

static void render_value(FILE *f, sd_bus_message *m, char type) {
  union {
    uint8_t y;
    int b;
    int16_t n;
    uint16_t q;
    int32_t i;
    uint32_t u;
    int64_t x;
    uint64_t t;
    double d;
    const char *s;
  } v;
  if (sd_bus_message_read_basic(m, type, &v) <= 0)
    return;
  switch (type) {
  case 'y': fprintf(f, "%u", v.y); break;
  case 'b': fputs(v.b ? "true" : "false", f); break;
  case 'n': fprintf(f, "%d", v.n); break;
  case 'q': fprintf(f, "%u", v.q); break;
  case 'i': fprintf(f, "%d", v.i); break;
  case 'u': fprintf(f, "%u", v.u); break;
  case 'x': fprintf(f, "%lld", (long long)v.x); break;
  case 't': fprintf(f, "%llu", (unsigned long long)v.t); break;
  case 'd': fprintf(f, "%g", v.d); break;
  default: fprintf(f, "\"%s\"", v.s);
  }
}

/* a(sv) as "Name=<signature> <value>" lines, the driver's own notation. */
static char *render_props(sd_bus_message *m) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  sd_bus_message_enter_container(m, 'a', "(sv)");
  while (sd_bus_message_enter_container(m, 'r', "sv") > 0) {
    const char *name, *sig;
    char type;
    sd_bus_message_read_basic(m, 's', &name);
    sd_bus_message_peek_type(m, &type, &sig);
    fprintf(f, "%s=%s ", name, sig);
    sd_bus_message_enter_container(m, 'v', sig);
    if (sig[0] == 'a') {
      fputc('[', f);
      sd_bus_message_enter_container(m, 'a', sig + 1);
      for (int k = 0; sd_bus_message_at_end(m, false) == 0; k++) {
        const char *a, *b;
        fputs(k ? ", " : "", f);
        if (sig[1] == '(' && sd_bus_message_read(m, "(ss)", &a, &b) > 0)
          fprintf(f, "(\"%s\", \"%s\")", a, b);
        else if (sig[1] != '(')
          render_value(f, m, sig[1]);
      }
      sd_bus_message_exit_container(m);
      fputc(']', f);
    } else {
      render_value(f, m, sig[0]);
    }
    fputc('\n', f);
    sd_bus_message_exit_container(m);
    sd_bus_message_exit_container(m);
  }
  sd_bus_message_exit_container(m);
  fclose(f);
  return text;
}

static int reply_job(sd_bus_message *m, const char *unit, const char *result) {
  char path[64];
  uint32_t id = ++fake.next_job;
  snprintf(path, sizeof(path), JOB_PREFIX "%u", id);
  int r = sd_bus_reply_method_return(m, "o", path);
  if (r >= 0)
    r = sd_bus_emit_signal(sd_bus_message_get_bus(m), "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", id, path,
                           unit, result);
  return r;
}

static int on_start(sd_bus_message *m, void *data, sd_bus_error *e) {
  const char *unit, *mode;
  fake.starts++;
  if (sd_bus_message_read(m, "ss", &unit, &mode) < 0)
    return -EINVAL;
  snprintf(fake.unit, sizeof(fake.unit), "%s", unit);
  snprintf(fake.mode, sizeof(fake.mode), "%s", mode);
  free(fake.start_props);
  fake.start_props = render_props(m);
  if (fake.exists_errors > 0) {
    fake.exists_errors--;
    return sd_bus_reply_method_errorf(m, "org.freedesktop.systemd1.UnitExists",
                                      "Unit %s already exists.", unit);
  }
  const char *result = fake.job_result ? fake.job_result : "done";
  if (strcmp(result, "done") == 0)
    snprintf(fake.running, sizeof(fake.running), "%s", unit);
  return reply_job(m, unit, result);
}

static int on_stop(sd_bus_message *m, void *data, sd_bus_error *e) {
  const char *unit, *mode;
  fake.stops++;
  if (sd_bus_message_read(m, "ss", &unit, &mode) < 0)
    return -EINVAL;
  if (strcmp(unit, fake.running) != 0)
    return sd_bus_reply_method_errorf(m, "org.freedesktop.systemd1.NoSuchUnit",
                                      "Unit %s not loaded.", unit);
  fake.running[0] = '\0';
  if (fake.kill_on_stop > 0) {
    kill(fake.kill_on_stop, SIGKILL);
    waitpid(fake.kill_on_stop, NULL, 0);
    fake.kill_on_stop = 0;
  }
  return reply_job(m, unit, "done");
}

static int on_reset(sd_bus_message *m, void *data, sd_bus_error *e) {
  fake.resets++;
  return sd_bus_reply_method_return(m, "");
}

static int on_set(sd_bus_message *m, void *data, sd_bus_error *e) {
  const char *unit;
  int runtime;
  fake.sets++;
  if (sd_bus_message_read(m, "sb", &unit, &runtime) < 0)
    return -EINVAL;
  free(fake.set_props);
  fake.set_props = render_props(m);
  return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", on_start, 0),
    SD_BUS_METHOD("StopUnit", "ss", "o", on_stop, 0),
    SD_BUS_METHOD("ResetFailedUnit", "s", "", on_reset, 0),
    SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", on_set, 0),
    SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
    SD_BUS_VTABLE_END};

/* One client connection, until the client hangs up. */
static void serve(int fd) {
  sd_bus *bus = NULL;
  sd_id128_t id;
  if (sd_id128_randomize(&id) < 0 || sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 ||
      sd_bus_set_server(bus, 1, id) < 0 ||
      sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", manager_vtable, NULL) < 0 ||
      sd_bus_start(bus) < 0) {
    sd_bus_unref(bus);
    close(fd);
    return;
  }
  for (;;) {
    int r = sd_bus_process(bus, NULL);
    if (r < 0)
      break;
    if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
      break;
  }
  sd_bus_flush_close_unref(bus);
}

static void *manager_thread(void *unused) {
  for (;;) {
    int fd = accept4(fake.listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      return NULL; /* shut down */
    serve(fd);
  }
}

static bool fake_start(void) {
  snprintf(fake.dir, sizeof(fake.dir), "/tmp/berth-sd-XXXXXX");
  if (mkdtemp(fake.dir) == NULL)
    return false;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bus", fake.dir);
  snprintf(fake.address, sizeof(fake.address), "unix:path=%s", sa.sun_path);
  fake.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fake.listen_fd < 0 || bind(fake.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
      listen(fake.listen_fd, 4) < 0)
    return false;
  setenv(BERTH_SYSTEMD_BUS_ENV, fake.address, 1);
  return pthread_create(&fake.thread, NULL, manager_thread, NULL) == 0;
}

static void fake_stop(void) {
  shutdown(fake.listen_fd, SHUT_RDWR);
  pthread_join(fake.thread, NULL);
  close(fake.listen_fd);
  char path[128];
  snprintf(path, sizeof(path), "%s/bus", fake.dir);
  unlink(path);
  rmdir(fake.dir);
  free(fake.start_props);
  free(fake.set_props);
  unsetenv(BERTH_SYSTEMD_BUS_ENV);
}

static void fake_reset(void) {
  fake.exists_errors = 0;
  fake.job_result = NULL;
  fake.kill_on_stop = 0;
  fake.starts = fake.stops = fake.resets = fake.sets = 0;
  fake.running[0] = '\0';
}

/* ---- the conversation ---- */

static void test_start_stop(void) {
  fake_reset();
  unit_props props = {0};
  uint32_t pid = 77;
  unit_props_add_str(&props, "Slice", "system.slice");
  unit_props_add_bool(&props, "Delegate", true);
  unit_props_add_u32_array(&props, "PIDs", &pid, 1);
  unit_props_add_u64(&props, "MemoryMax", 1 << 20);
  uint8_t bits[] = {5};
  unit_props_add_bytes(&props, "AllowedCPUs", bits, 1);
  unit_props_add_str_array(&props, "Wants", "a.slice");
  unit_props_add_pairs(&props, "DeviceAllow");
  unit_props_add_pair(&props.v[props.n - 1], "/dev/char/1:3", "rwm");
  unit_props_add_pair(&props.v[props.n - 1], "char-*", "m");
  unit_prop typed = {0};
  unit_parse_variant("int16 -3", &typed, NULL);
  typed.name = strdup("Nice");
  unit_props_push(&props, &typed);
  berth_error *e = NULL;
  CHECK(systemd_start_unit("t-a.scope", &props, NULL, &e) == 0);
  if (e)
    fprintf(stderr, "  start: %s\n", err_text(e));
  CHECK(fake.starts == 1 && strcmp(fake.unit, "t-a.scope") == 0);
  CHECK(strcmp(fake.mode, "replace") == 0);
  char *sent = unit_props_describe(&props);
  CHECK(fake.start_props && sent && strcmp(fake.start_props, sent) == 0);
  if (fake.start_props && sent && strcmp(fake.start_props, sent) != 0)
    fprintf(stderr, "  received:\n%ssent:\n%s", fake.start_props, sent);
  free(sent);

  CHECK(systemd_set_unit_properties("t-a.scope", &props, &e) == 0);
  CHECK(fake.sets == 1 && fake.set_props && strstr(fake.set_props, "MemoryMax=t 1048576\n"));

  CHECK(systemd_stop_unit("t-a.scope", &e) == 0);
  CHECK(fake.stops == 1 && fake.resets == 1 && fake.running[0] == '\0');
  /* Gone already (an emptied scope stops by itself): still a success. */
  CHECK(systemd_stop_unit("t-a.scope", &e) == 0);
  CHECK(fake.stops == 2);
  berth_error_clear(&e);

  /* A leftover unit of the name: reset, then one more try. */
  fake_reset();
  fake.exists_errors = 1;
  CHECK(systemd_start_unit("t-b.scope", &props, NULL, &e) == 0);
  CHECK(fake.starts == 2 && fake.resets == 1);
  fake.exists_errors = 2;
  CHECK(systemd_start_unit("t-c.scope", &props, NULL, &e) < 0);
  CHECK_STR_CONTAINS(err_text(e),
                     "start systemd unit \"t-c.scope\": Unit t-c.scope already exists");
  berth_error_clear(&e);

  /* A job that fails: the unit is reset and the error says how it ended. */
  fake_reset();
  fake.job_result = "failed";
  CHECK(systemd_start_unit("t-d.scope", &props, NULL, &e) < 0);
  CHECK_STR_CONTAINS(err_text(e),
                     "systemd unit \"t-d.scope\" did not start: its job ended \"failed\"");
  CHECK(fake.resets == 1);
  berth_error_clear(&e);
  unit_props_clear(&props);
}

static void test_no_manager(void) {
  setenv(BERTH_SYSTEMD_BUS_ENV, "unix:path=/nonexistent/berth-bus", 1);
  berth_error *e = NULL;
  unit_props none = {0};
  CHECK(systemd_start_unit("x.scope", &none, NULL, &e) < 0);
  CHECK_STR_CONTAINS(err_text(e), "connect to systemd at \"unix:path=/nonexistent/berth-bus\"");
  berth_error_clear(&e);
  setenv(BERTH_SYSTEMD_BUS_ENV, fake.address, 1);
}

static void test_no_bus_at_all(void) {
  if (access("/run/dbus/system_bus_socket", F_OK) == 0 ||
      access("/run/systemd/private", F_OK) == 0)
    return; /* a real manager may answer here */
  unsetenv(BERTH_SYSTEMD_BUS_ENV);
  unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  berth_error *e = NULL;
  unit_props none = {0};
  CHECK(systemd_start_unit("x.scope", &none, NULL, &e) < 0);
  CHECK_STR_CONTAINS(err_text(e), "neither the system bus nor /run/systemd/private answers");
  berth_error_clear(&e);
  setenv(BERTH_SYSTEMD_BUS_ENV, fake.address, 1);
}

/* ---- the driver through the cgroup interface ---- */

static char slice_name[64]; /* "berthtest-<pid>.slice" */
static pid_t child;

static pid_t fork_pauser(void) {
  pid_t pid = fork();
  if (pid == 0) {
    for (;;)
      pause();
  }
  return pid;
}

static bool file_is(const char *dir, const char *file, const char *want) {
  char *text = NULL;
  if (cg_read(dir, file, &text, NULL) < 0)
    return false;
  text[strcspn(text, "\n")] = '\0';
  bool ok = strcmp(text, want) == 0;
  if (!ok)
    fprintf(stderr, "  %s/%s: \"%s\", want \"%s\"\n", dir, file, text, want);
  free(text);
  return ok;
}

static bool pid_listed(cgroup *cg, pid_t pid) {
  pid_t *pids = NULL;
  size_t n = 0;
  bool found = false;
  if (cgroup_pids(cg, &pids, &n, NULL) == 0)
    for (size_t i = 0; i < n; i++)
      found = found || pids[i] == pid;
  free(pids);
  return found;
}

static const char *pids_dir(cgroup *cg) {
  cg_dir *d = cg_find_v1(cg, "pids");
  if (d == NULL)
    d = cg_find_unified(cg);
  return d ? d->path : "(none)";
}

static cgroup *started_driver(void) {
  char path[128];
  snprintf(path, sizeof(path), "%s:t:ctr", slice_name);
  cgroup *cg = NULL;
  berth_error *e = NULL;
  CHECK(cgroup_create(path, "id", true, &cg, &e) == 0);
  if (cg == NULL) {
    fprintf(stderr, "  create: %s\n", err_text(e));
    berth_error_free(e);
    return NULL;
  }
  spec_kv notes[] = {{"org.systemd.property.CollectMode", "'inactive-or-failed'"}};
  spec_kvs a = {notes, 1};
  CHECK(cgroup_systemd_annotations(cg, &a, &e) == 0);
  spec_resources r = {.pids_limit = {true, 100}};
  CHECK(cgroup_apply(cg, &r, &e) == 0);
  CHECK(fake.starts == 0); /* a scope needs its first pid */
  CHECK(cgroup_add_pid(cg, child, &e) == 0);
  if (e)
    fprintf(stderr, "  add pid: %s\n", err_text(e));
  berth_error_free(e);
  return cg;
}

static void test_driver(void) {
  fake_reset();
  child = fork_pauser();
  fake.kill_on_stop = child;
  snprintf(slice_name, sizeof(slice_name), "berthtest-%d.slice", (int)getpid());
  cgroup *cg = started_driver();
  if (cg == NULL)
    return;
  char want[128];
  CHECK(fake.starts == 1 && strcmp(fake.unit, "t-ctr.scope") == 0);
  snprintf(want, sizeof(want), "PIDs=au [%d]\n", (int)child);
  CHECK_STR_CONTAINS(fake.start_props, want);
  snprintf(want, sizeof(want), "Slice=s \"%s\"\n", slice_name);
  CHECK_STR_CONTAINS(fake.start_props, want);
  CHECK_STR_CONTAINS(fake.start_props, "CollectMode=s \"inactive-or-failed\"\nTasksMax=t 100\n");
  snprintf(want, sizeof(want), "/berthtest.slice/%s/t-ctr.scope", slice_name);
  CHECK_STR_CONTAINS(pids_dir(cg), want);
  CHECK(pid_listed(cg, child));
  CHECK(file_is(pids_dir(cg), "pids.max", "100"));

  /* What state.json keeps, and an update through it. */
  berth_error *e = NULL;
  json_t *j = cgroup_to_json(cg);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  CHECK_STR_CONTAINS(text, "\"systemd\":{\"unit\":\"t-ctr.scope\"");
  cgroup *loaded = NULL;
  CHECK(j && cgroup_from_json(j, &loaded, &e) == 0);
  free(text);
  json_decref(j);
  cgroup_free(cg);
  if (loaded == NULL)
    return;
  spec_resources u = {.pids_limit = {true, 50}};
  CHECK(cgroup_apply(loaded, &u, &e) == 0);
  CHECK(fake.sets == 1 && fake.set_props && strcmp(fake.set_props, "TasksMax=t 50\n") == 0);
  CHECK(file_is(pids_dir(loaded), "pids.max", "50"));

  char dir[512];
  snprintf(dir, sizeof(dir), "%s", pids_dir(loaded));
  CHECK(cgroup_destroy(loaded, &e) == 0);
  if (e)
    fprintf(stderr, "  destroy: %s\n", err_text(e));
  CHECK(fake.stops == 1 && fake.resets == 1);
  CHECK(access(dir, F_OK) < 0);
  CHECK(fake.kill_on_stop == 0);
  cgroup_free(loaded);
  berth_error_free(e);
}

/* Whatever a failed check left behind. */
static void cleanup(void) {
  if (fake.kill_on_stop > 0) {
    kill(fake.kill_on_stop, SIGKILL);
    waitpid(fake.kill_on_stop, NULL, 0);
  }
  if (slice_name[0] == '\0')
    return;
  static const char *const levels[] = {"/t-ctr.scope", "", NULL};
  static const char *const hierarchies[] = {"cpu", "cpuacct", "cpuset", "memory", "devices",
                                            "freezer", "blkio", "pids", "systemd", "unified",
                                            "net_cls", "net_prio", "perf_event", "hugetlb",
                                            "rdma", "misc", "."};
  for (size_t l = 0; l < 3; l++) {
    for (size_t h = 0; h < sizeof(hierarchies) / sizeof(hierarchies[0]); h++) {
      char path[256];
      if (levels[l] != NULL)
        snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/berthtest.slice/%s%s", hierarchies[h],
                 slice_name, levels[l]);
      else
        snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/berthtest.slice", hierarchies[h]);
      rmdir(path);
    }
  }
}

int main(void) {
  test_names();
  test_variant();
  test_annotations();
  test_limits();
  test_start_props();
  test_devices();
  if (!fake_start()) {
    CHECK(!"the fake manager starts");
    return unit_summary("systemd_cgroup");
  }
  test_start_stop();
  test_no_manager();
  test_no_bus_at_all();
  if (geteuid() == 0)
    test_driver();
  else
    printf("systemd_cgroup: driver test skipped, needs root to create cgroups\n");
  cleanup();
  fake_stop();
  return unit_summary("systemd_cgroup");
}
