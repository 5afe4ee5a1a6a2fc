/* Personality, I/O priority, scheduler, CPU affinity and memory policy:
 * each applied for real in a forked child and read back from the kernel. */
#include <errno.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/intelrdt.h"
#include "linux/proc_controls.h"
#include "unit.h"

/* Runs `body` in a child; the child's exit status is the first failed step
 * (0 when all passed), so the parent's state is never touched. */
static int in_child(int (*body)(const void *), const void *arg) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(body(arg));
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

static int report(berth_error *e, int step) {
  fprintf(stderr, "  child step %d: %s\n", step, berth_error_text(e));
  berth_error_free(e);
  return step;
}

#define STEP(n, cond)                                                               \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "  child step %d failed: %s (errno %d)\n", n, #cond, errno);  \
      return n;                                                                     \
    }                                                                               \
  } while (0)

static spec_strv strv_of(char **v, size_t n) {
  spec_strv s = {.v = v, .n = n};
  return s;
}

/* ---- lists ---- */

static void test_idset_parse(void) {
  proc_idset s;
  berth_error *e = NULL;
  CHECK(proc_idset_parse("f", "0-3,7", &s, &e) == 0);
  CHECK(s.count == 5 && s.nbits == 8 && s.words[0] == 0x8f);
  proc_idset_free(&s);
  CHECK(proc_idset_parse("f", " 1 , ,2- 4,", &s, &e) == 0);
  CHECK(s.count == 4 && s.words[0] == 0x1e);
  proc_idset_free(&s);
  CHECK(proc_idset_parse("f", "130", &s, &e) == 0);
  CHECK(s.count == 1 && s.nbits == 131 && s.nwords == 3 && s.words[2] == 4);
  proc_idset_free(&s);
  CHECK(proc_idset_parse("f", "", &s, &e) == 0 && s.count == 0);

  const char *bad[] = {"3-1", "a", "1-", "-1", "1-2-3", "99999", "0x1"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK(proc_idset_parse("linux.x", bad[i], &s, &e) < 0);
    CHECK_STR_CONTAINS(berth_error_text(e), "linux.x: ");
    CHECK_STR_CONTAINS(berth_error_text(e), bad[i]);
    berth_error_clear(&e);
  }
}

/* ---- personality ---- */

/* uname's machine under PER_LINUX32 (the kernel's COMPAT_UTS_MACHINE) on
 * the architectures the tests run on with a real kernel; elsewhere it is
 * only checked to differ from the 64-bit one. */
#if defined(__x86_64__)
#define LINUX32_MACHINE "i686"
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define LINUX32_MACHINE "armv8l"
#endif

static int child_personality(const void *arg) {
  char *linux32 = "LINUX32", *linux64 = "LINUX";
  spec_personality p = {.domain = linux32};
  berth_error *e = NULL;
  struct utsname native, u;
  STEP(7, uname(&native) == 0);
  if (proc_apply_personality(&p, &e) < 0)
    return report(e, 1);
  STEP(2, (personality(0xffffffff) & PER_MASK) == PER_LINUX32);
  STEP(3, uname(&u) == 0 && strcmp(u.machine, native.machine) != 0);
#ifdef LINUX32_MACHINE
  STEP(8, strcmp(u.machine, LINUX32_MACHINE) == 0);
#endif
  p.domain = linux64;
  if (proc_apply_personality(&p, &e) < 0)
    return report(e, 4);
  STEP(5, (personality(0xffffffff) & PER_MASK) == PER_LINUX);
  STEP(6, uname(&u) == 0 && strcmp(u.machine, native.machine) == 0);
  return 0;
}

static void test_personality(void) {
  CHECK(in_child(child_personality, NULL) == 0);
  char *flags[] = {"ADDR_NO_RANDOMIZE", NULL};
  spec_personality p = {.domain = "LINUX", .flags = strv_of(flags, 1)};
  berth_error *e = NULL;
  CHECK(proc_apply_personality(&p, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "linux.personality.flags: \"ADDR_NO_RANDOMIZE\"");
  berth_error_clear(&e);
  CHECK(proc_apply_personality(NULL, &e) == 0 && e == NULL);
}

/* ---- I/O priority ---- */

static int child_ioprio(const void *arg) {
  static const struct { int cls, prio; } cases[] = {
    {IOPRIO_CLASS_BE, 3}, {IOPRIO_CLASS_IDLE, 0}, {IOPRIO_CLASS_RT, 1}, {IOPRIO_CLASS_BE, 7}};
  for (int i = 0; i < 4; i++) {
    spec_io_priority io = {.class_name = "X", .class_num = cases[i].cls,
                           .priority = cases[i].prio};
    berth_error *e = NULL;
    if (proc_apply_io_priority(&io, &e) < 0)
      return report(e, 10 + i);
    long got = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
    STEP(20 + i, got == (long)IOPRIO_PRIO_VALUE(cases[i].cls, cases[i].prio));
  }
  return 0;
}

static void test_io_priority(void) {
  CHECK(in_child(child_ioprio, NULL) == 0);
  spec_io_priority io = {.class_name = "IOPRIO_CLASS_BE", .class_num = IOPRIO_CLASS_BE,
                         .priority = 9};
  berth_error *e = NULL;
  CHECK(proc_apply_io_priority(&io, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.ioPriority");
  berth_error_clear(&e);
}

/* ---- scheduler ---- */

struct attr_v1 {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
};

static int get_attr(struct attr_v1 *a) {
  memset(a, 0, sizeof(*a));
  return (int)syscall(SYS_sched_getattr, 0, a, sizeof(*a), 0);
}

static int child_sched_normal(const void *arg) {
  berth_error *e = NULL;
  struct attr_v1 a;
  spec_scheduler batch = {.policy = "SCHED_BATCH", .policy_num = SCHED_BATCH,
                          .nice = {true, 5}};
  if (proc_apply_scheduler(&batch, &e) < 0)
    return report(e, 1);
  STEP(2, get_attr(&a) == 0 && a.policy == SCHED_BATCH && a.nice == 5);

  char *fl[] = {"SCHED_FLAG_RESET_ON_FORK"};
  spec_scheduler fifo = {.policy = "SCHED_FIFO", .policy_num = SCHED_FIFO,
                         .priority = {true, 10}, .flags = strv_of(fl, 1)};
  if (proc_apply_scheduler(&fifo, &e) < 0)
    return report(e, 3);
  STEP(4, get_attr(&a) == 0 && a.policy == SCHED_FIFO && a.priority == 10);
  STEP(5, a.flags & SCHED_FLAG_RESET_ON_FORK);

  spec_scheduler rr = {.policy = "SCHED_RR", .policy_num = SCHED_RR, .priority = {true, 3}};
  if (proc_apply_scheduler(&rr, &e) < 0)
    return report(e, 6);
  STEP(7, get_attr(&a) == 0 && a.policy == SCHED_RR && a.priority == 3);

  spec_scheduler idle = {.policy = "SCHED_IDLE", .policy_num = SCHED_IDLE};
  if (proc_apply_scheduler(&idle, &e) < 0)
    return report(e, 8);
  STEP(9, get_attr(&a) == 0 && a.policy == SCHED_IDLE);
  return 0;
}

/* A kernel without uclamp or a cgroup forbidding deadline tasks says so
 * with these; the test then has nothing to read back. */
static bool unsupported_here(berth_error *e) {
  return e != NULL && (e->code == EOPNOTSUPP || e->code == EBUSY || e->code == EPERM);
}

static int child_sched_special(const void *arg) {
  berth_error *e = NULL;
  struct attr_v1 a;
  char *fl[] = {"SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"};
  spec_scheduler other = {.policy = "SCHED_OTHER", .policy_num = SCHED_NORMAL,
                          .nice = {true, -3}, .flags = strv_of(fl, 2)};
  if (proc_apply_scheduler(&other, &e) < 0 && !unsupported_here(e))
    return report(e, 1);
  if (e == NULL)
    STEP(2, get_attr(&a) == 0 && a.policy == SCHED_NORMAL && a.nice == -3);
  else
    fprintf(stderr, "  (uclamp not available here: %s)\n", berth_error_text(e));
  berth_error_clear(&e);

  spec_scheduler dl = {.policy = "SCHED_DEADLINE", .policy_num = SCHED_DEADLINE,
                       .runtime = {true, 2000000}, .deadline = {true, 10000000},
                       .period = {true, 20000000}};
  if (proc_apply_scheduler(&dl, &e) < 0 && !unsupported_here(e))
    return report(e, 3);
  if (e == NULL)
    STEP(4, get_attr(&a) == 0 && a.policy == SCHED_DEADLINE && a.runtime == 2000000 &&
                a.deadline == 10000000 && a.period == 20000000);
  else
    fprintf(stderr, "  (SCHED_DEADLINE refused here: %s)\n", berth_error_text(e));
  berth_error_clear(&e);
  return 0;
}

static void test_scheduler(void) {
  CHECK(in_child(child_sched_normal, NULL) == 0);
  CHECK(in_child(child_sched_special, NULL) == 0);
  berth_error *e = NULL;
  spec_scheduler s = {.policy = "SCHED_OTHER", .policy_num = SCHED_NORMAL,
                      .runtime = {true, 5}};
  CHECK(proc_apply_scheduler(&s, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.scheduler: runtime, deadline and period "
                                          "can only be specified for SCHED_DEADLINE");
  berth_error_clear(&e);
  spec_scheduler dl = {.policy = "SCHED_DEADLINE", .policy_num = SCHED_DEADLINE,
                       .runtime = {true, 50}, .deadline = {true, 10}};
  CHECK(proc_apply_scheduler(&dl, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "runtime <= deadline <= period");
  berth_error_clear(&e);
  char *fl[] = {"SCHED_FLAG_BOGUS"};
  spec_scheduler bogus = {.policy = "SCHED_OTHER", .flags = strv_of(fl, 1)};
  CHECK(proc_apply_scheduler(&bogus, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.scheduler.flags: unknown flag");
  berth_error_clear(&e);
}

/* ---- CPU affinity ---- */

static bool affinity_is(const char *expect_list) {
  cpu_set_t got, want;
  CPU_ZERO(&want);
  proc_idset s;
  berth_error *e = NULL;
  if (proc_idset_parse("x", expect_list, &s, &e) < 0)
    return false;
  for (size_t i = 0; i < s.nbits; i++)
    if (s.words[i / (8 * sizeof(long))] & (1UL << (i % (8 * sizeof(long)))))
      CPU_SET(i, &want);
  proc_idset_free(&s);
  return sched_getaffinity(0, sizeof(got), &got) == 0 && CPU_EQUAL(&got, &want);
}

static int child_affinity(const void *arg) {
  berth_error *e = NULL;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (proc_apply_cpu_affinity("0", &e) < 0)
    return report(e, 1);
  STEP(2, affinity_is("0"));
  spec_process p = {.exec_cpu_affinity_initial = ncpu > 1 ? "1" : "0",
                    .exec_cpu_affinity_final = ncpu > 1 ? "0-1" : "0"};
  if (proc_apply_exec_cpu_affinity_initial(&p, &e) < 0)
    return report(e, 3);
  STEP(4, affinity_is(p.exec_cpu_affinity_initial));
  if (proc_apply_exec_cpu_affinity_final(&p, &e) < 0)
    return report(e, 5);
  STEP(6, affinity_is(p.exec_cpu_affinity_final));
  /* Absent settings change nothing. */
  spec_process none = {0};
  STEP(7, proc_apply_exec_cpu_affinity_initial(&none, &e) == 0 &&
              proc_apply_cpu_affinity("", &e) == 0 && affinity_is(p.exec_cpu_affinity_final));
  if (proc_apply_cpu_affinity("0", &e) < 0 || proc_reset_cpu_affinity(0, &e) < 0)
    return report(e, 8);
  char all[32];
  snprintf(all, sizeof(all), "0-%ld", ncpu - 1);
  STEP(9, affinity_is(all));
  return 0;
}

/* The caller takes another task's CPUs, and gets its own back. `arg`:
 * an allowed CPU other than the one the test started on. */
static int child_move_to_cpus_of(const void *arg) {
  int target = *(const int *)arg;
  cpu_set_t before, own, now;
  STEP(1, sched_getaffinity(0, sizeof(before), &before) == 0);
  pid_t other = fork();
  if (other == 0) {
    pause();
    _exit(0);
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(target, &one);
  STEP(2, other > 0 && sched_setaffinity(other, sizeof(one), &one) == 0);
  STEP(3, proc_move_to_cpus_of(other, &own) && CPU_EQUAL(&own, &before));
  STEP(4, sched_getaffinity(0, sizeof(now), &now) == 0 && CPU_EQUAL(&now, &one) &&
              sched_getcpu() == target);
  proc_restore_cpus(&own);
  STEP(5, sched_getaffinity(0, sizeof(now), &now) == 0 && CPU_EQUAL(&now, &before));
  kill(other, SIGKILL);
  waitpid(other, NULL, 0);
  /* A task that is gone: nothing changes. */
  STEP(6, !proc_move_to_cpus_of(other, &own));
  STEP(7, sched_getaffinity(0, sizeof(now), &now) == 0 && CPU_EQUAL(&now, &before));
  return 0;
}

/* An allowed CPU other than the current one, or -1. */
static int other_allowed_cpu(void) {
  cpu_set_t allowed;
  int here = sched_getcpu();
  if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
    return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
    if (cpu != here && CPU_ISSET(cpu, &allowed))
      return cpu;
  return -1;
}

static void test_cpu_affinity(void) {
  CHECK(in_child(child_affinity, NULL) == 0);
  int target = other_allowed_cpu();
  if (target >= 0)
    CHECK(in_child(child_move_to_cpus_of, &target) == 0);
  else
    printf("  proc_move_to_cpus_of: not checked (one CPU allowed: nowhere to move)\n");
  berth_error *e = NULL;
  spec_process p = {.exec_cpu_affinity_final = "2-1"};
  CHECK(proc_apply_exec_cpu_affinity_final(&p, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.execCPUAffinity.final: invalid range \"2-1\"");
  berth_error_clear(&e);
  CHECK(proc_apply_cpu_affinity(" , ", &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.execCPUAffinity: no CPUs found");
  berth_error_clear(&e);
  /* A CPU this machine does not have: the kernel's EINVAL, explained. */
  CHECK(proc_apply_cpu_affinity("8000", &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "no CPU of the list is online");
  berth_error_clear(&e);
}

/* ---- memory policy ---- */

struct mpol_case {
  const char *mode;
  const char *nodes;
  char *flag; /* at most one here */
  int want_mode;
  unsigned long want_mask;
};

static int child_mempolicy(const void *arg) {
  const struct mpol_case *c = arg;
  spec_memory_policy m = {.mode = (char *)c->mode, .nodes = (char *)c->nodes};
  char *flags[] = {c->flag};
  m.flags = strv_of(flags, c->flag ? 1 : 0);
  berth_error *e = NULL;
  if (proc_apply_memory_policy(&m, &e) < 0)
    return report(e, 1);
  int mode = -1;
  unsigned long mask[16] = {0};
  STEP(2, syscall(SYS_get_mempolicy, &mode, mask, sizeof(mask) * 8, NULL, 0) == 0);
  if (mode != c->want_mode || mask[0] != c->want_mask)
    fprintf(stderr, "  %s: mode %#x mask %#lx\n", c->mode, mode, mask[0]);
  STEP(3, mode == c->want_mode);
  STEP(4, mask[0] == c->want_mask);
  return 0;
}

/* MPOL_WEIGHTED_INTERLEAVE (6) came with Linux 6.9; the VMs boot 6.1. */
static bool kernel_knows_weighted_interleave(void) {
  unsigned long mask = 1;
  pid_t pid = fork();
  if (pid == 0)
    _exit(syscall(SYS_set_mempolicy, 6, &mask, 8 * sizeof(mask)) == 0 ? 0 : 1);
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

static void test_memory_policy(void) {
  /* This machine may have a single node 0; these all work with node 0. */
  static const struct mpol_case ok[] = {
    {"MPOL_DEFAULT", NULL, NULL, 0, 0},
    {"MPOL_BIND", "0", NULL, 2, 1},
    {"MPOL_INTERLEAVE", "0", NULL, 3, 1},
    {"MPOL_PREFERRED", "0", NULL, 1, 1},
    {"MPOL_LOCAL", "", NULL, 4, 0},
    {"MPOL_PREFERRED_MANY", "0", NULL, 5, 1},
    {"MPOL_WEIGHTED_INTERLEAVE", "0", NULL, 6, 1},
    {"MPOL_BIND", "0", "MPOL_F_STATIC_NODES", 2 | (1 << 15), 1},
    {"MPOL_INTERLEAVE", "0", "MPOL_F_RELATIVE_NODES", 3 | (1 << 14), 1},
    {"MPOL_BIND", "0", "MPOL_F_NUMA_BALANCING", 2 | (1 << 13), 1},
  };
  bool weighted = kernel_knows_weighted_interleave();
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    if (ok[i].want_mode == 6 && !weighted) {
      fprintf(stderr, "  (MPOL_WEIGHTED_INTERLEAVE is unknown to this kernel: case skipped)\n");
      continue;
    }
    int rc = in_child(child_mempolicy, &ok[i]);
    if (rc != 0)
      fprintf(stderr, "memory policy case %zu (%s %s) failed\n", i, ok[i].mode,
              ok[i].flag ? ok[i].flag : "");
    CHECK(rc == 0);
  }

  static const struct { const char *mode, *nodes, *flag, *msg; } bad[] = {
    {"MPOL_BIND", "", NULL, "MPOL_BIND needs at least one node"},
    {"MPOL_LOCAL", "0", NULL, "MPOL_LOCAL takes no nodes"},
    {"MPOL_DEFAULT", NULL, "MPOL_F_STATIC_NODES", "MPOL_DEFAULT takes no flags"},
    {"MPOL_BOGUS", "0", NULL, "invalid memory policy mode \"MPOL_BOGUS\""},
    {"MPOL_BIND", "0", "MPOL_F_BOGUS", "invalid memory policy flag \"MPOL_F_BOGUS\""},
    {"MPOL_BIND", "0-", NULL, "linux.memoryPolicy.nodes: invalid element"},
    {"MPOL_BIND", "4000", NULL, "set_mempolicy MPOL_BIND nodes \"4000\""},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char *flags[] = {(char *)bad[i].flag};
    spec_memory_policy m = {.mode = (char *)bad[i].mode, .nodes = (char *)bad[i].nodes,
                            .flags = strv_of(flags, bad[i].flag ? 1 : 0)};
    berth_error *e = NULL;
    CHECK(proc_apply_memory_policy(&m, &e) < 0);
    CHECK_STR_CONTAINS(berth_error_text(e), bad[i].msg);
    CHECK_STR_CONTAINS(berth_error_text(e), "linux.memoryPolicy");
    berth_error_clear(&e);
  }
  char *both[] = {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"};
  spec_memory_policy m = {.mode = "MPOL_BIND", .nodes = "0", .flags = strv_of(both, 2)};
  berth_error *e = NULL;
  CHECK(proc_apply_memory_policy(&m, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "exclude each other");
  berth_error_clear(&e);
}

/* ---- checks before clone ---- */

static void test_check(void) {
  berth_error *e = NULL;
  spec_process p = {.exec_cpu_affinity_initial = "0", .exec_cpu_affinity_final = "x"};
  CHECK(proc_controls_check(&p, NULL, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.execCPUAffinity.final");
  berth_error_clear(&e);
  p.exec_cpu_affinity_final = NULL;
  spec_memory_policy mp = {.mode = "MPOL_BIND", .nodes = ""};
  spec_linux l = {.memory_policy = &mp};
  CHECK(proc_controls_check(&p, &l, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "linux.memoryPolicy: MPOL_BIND needs");
  berth_error_clear(&e);
  mp.nodes = "0";
  spec_personality pers = {.domain = "LINUX32"};
  l.personality = &pers;
  CHECK(proc_controls_check(&p, &l, &e) == 0 && e == NULL);
  CHECK(proc_controls_check(NULL, NULL, &e) == 0);
}

/* ---- linux.intelRdt (no RDT here: only the refusal can be run) ---- */

static bool resctrl_mounted(void) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[1024];
  bool found = false;
  while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
    found = strstr(line, " - resctrl ") != NULL;
  if (f != NULL)
    fclose(f);
  return found;
}

static void test_intelrdt_not_mounted(void) {
  berth_error *e = NULL;
  CHECK(intelrdt_check(NULL, &e) == 0);
  if (resctrl_mounted()) {
    fprintf(stderr, "  (resctrl is mounted: the refusal is not tested)\n");
    return;
  }
  spec_intel_rdt r = {.clos_id = "guaranteed_group", .l3_cache_schema = "L3:0=7f0"};
  CHECK(intelrdt_check(&r, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "linux.intelRdt: intelRdt is specified in config, "
                                          "but Intel RDT is not supported or enabled (the "
                                          "resctrl filesystem is not mounted)");
  berth_error_clear(&e);
  intelrdt_state st;
  CHECK(intelrdt_apply(&r, "ctr", getpid(), &st, &e) < 0);
  CHECK(st.group == NULL && st.mon_group == NULL && !st.created_group);
  berth_error_clear(&e);
  CHECK(intelrdt_destroy(&st, &e) == 0);
}

int main(void) {
  if (geteuid() != 0) {
    printf("test_proc_controls: skipped (needs root)\n");
    return 77;
  }
  test_idset_parse();
  test_personality();
  test_io_priority();
  test_scheduler();
  test_cpu_affinity();
  test_memory_policy();
  test_check();
  test_intelrdt_not_mounted();
  return unit_summary("test_proc_controls");
}
