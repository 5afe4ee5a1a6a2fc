/* The eBPF device filter: the generated instructions, their meaning (run
 * through a small interpreter of the instructions the generator emits),
 * and the real effect of an attached program on a process in a cgroup2
 * directory of this machine. The directory is named
 * "berth-test-bpf-<pid>" and removed at the end; only children this test
 * forked are signalled. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/devices_bpf.h"
#include "unit.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define ANY {.set = false}
#define NUM(x) {.set = true, .v = (x)}
#define DENY_ALL {.allow = false, .type = 'a', .major = ANY, .minor = ANY, .access = "rwm"}
#define ALLOW_ALL {.allow = true, .type = 'a', .major = ANY, .minor = ANY, .access = "rwm"}
#define RULE(al, t, ma, mi, acc) {.allow = (al), .type = (t), .major = ma, .minor = mi, .access = (acc)}
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD
#define CHR BPF_DEVCG_DEV_CHAR
#define BLK BPF_DEVCG_DEV_BLOCK

/* ---- an interpreter for what the generator emits ---- */

/* The verdict for one access, or -1 when the program leaves the subset of
 * eBPF the generator is meant to use (or runs off its end). */
static int run(const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access,
               uint32_t major, uint32_t minor) {
  struct bpf_cgroup_dev_ctx ctx = {.access_type = access << 16 | type, .major = major,
                                   .minor = minor};
  uint64_t reg[11] = {0};
  for (size_t pc = 0; pc < n; pc++) {
    const struct bpf_insn *i = &p[pc];
    uint64_t *d = &reg[i->dst_reg];
    switch (i->code) {
    case BPF_LDX | BPF_MEM | BPF_W:
      if (i->src_reg != BPF_REG_1 || i->off < 0 || (size_t)i->off + 4 > sizeof(ctx))
        return -1;
      uint32_t word;
      memcpy(&word, (const char *)&ctx + i->off, 4);
      *d = word;
      break;
    case BPF_ALU | BPF_AND | BPF_K: *d = (uint32_t)(*d & (uint32_t)i->imm); break;
    case BPF_ALU | BPF_RSH | BPF_K: *d = (uint32_t)*d >> i->imm; break;
    case BPF_ALU | BPF_MOV | BPF_K: *d = (uint32_t)i->imm; break;
    case BPF_ALU | BPF_MOV | BPF_X: *d = (uint32_t)reg[i->src_reg]; break;
    case BPF_JMP | BPF_JNE | BPF_K:
      if (*d != (uint64_t)(int64_t)i->imm)
        pc += i->off;
      break;
    case BPF_JMP | BPF_JEQ | BPF_K:
      if (*d == (uint64_t)(int64_t)i->imm)
        pc += i->off;
      break;
    case BPF_JMP | BPF_EXIT: return (int)reg[BPF_REG_0];
    default: return -1;
    }
  }
  return -1;
}

struct program {
  struct bpf_insn *v;
  size_t n;
};

static struct program build(const spec_device_rule *rules, size_t n) {
  struct program p = {0};
  berth_error *err = NULL;
  if (devices_bpf_build(rules, n, &p.v, &p.n, &err) < 0) {
    fprintf(stderr, "build: %s\n", berth_error_text(err));
    berth_error_free(err);
  }
  return p;
}

/* ---- the instruction stream ---- */

static bool is_verdict(const struct bpf_insn *i, int v) {
  return i[0].code == (BPF_ALU | BPF_MOV | BPF_K) && i[0].dst_reg == BPF_REG_0 && i[0].imm == v &&
         i[1].code == (BPF_JMP | BPF_EXIT);
}

static void test_layout(void) {
  /* Prologue (6), one block of 3 compares and a verdict, default verdict. */
  spec_device_rule one[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(3), "rwm")};
  struct program p = build(one, N(one));
  CHECK(p.n == 6 + 5 + 2);
  CHECK(p.v && p.v[6].code == (BPF_JMP | BPF_JNE | BPF_K) && p.v[6].dst_reg == BPF_REG_2 &&
        p.v[6].imm == CHR && p.v[6].off == 4);
  CHECK(p.v && p.v[7].imm == 1 && p.v[7].off == 3 && p.v[8].imm == 3 && p.v[8].off == 2);
  CHECK(p.v && is_verdict(&p.v[9], 1) && is_verdict(&p.v[11], 0));
  free(p.v);

  /* The last rule comes first: here the deny's block precedes the allow's. */
  spec_device_rule two[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(3), "rwm"),
                            RULE(false, 'c', NUM(1), NUM(3), "rwm")};
  p = build(two, N(two));
  CHECK(p.n == 6 + 5 + 5 + 2);
  CHECK(p.v && is_verdict(&p.v[9], 0) && is_verdict(&p.v[14], 1) && is_verdict(&p.v[16], 0));
  free(p.v);

  /* Wildcards and type 'a' leave out their compares; partial access adds
   * the pending-bits test. */
  spec_device_rule partial[] = {DENY_ALL, RULE(true, 'a', ANY, NUM(5), "r"),
                                RULE(false, 'c', NUM(1), ANY, "w")};
  p = build(partial, N(partial));
  CHECK(p.n == 6 + (2 + 5) + (1 + 4) + 2);
  free(p.v);

  /* Rules before the last "a *:* rwm" are dead; its verdict is the default. */
  spec_device_rule reset[] = {RULE(true, 'c', NUM(1), NUM(3), "rwm"), ALLOW_ALL};
  p = build(reset, N(reset));
  CHECK(p.n == 6 + 2 && p.v && is_verdict(&p.v[6], 1));
  free(p.v);

  /* No rules at all: nothing is allowed. */
  p = build(NULL, 0);
  CHECK(p.n == 6 + 2 && p.v && is_verdict(&p.v[6], 0));
  free(p.v);
}

static void test_bad_rules(void) {
  spec_device_rule bad_type[] = {RULE(true, 'x', ANY, ANY, "rwm")};
  spec_device_rule bad_access[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(3), "rx")};
  spec_device_rule bad_major[] = {RULE(true, 'c', NUM(1LL << 33), NUM(3), "r")};
  struct bpf_insn *v = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  CHECK(devices_bpf_build(bad_type, 1, &v, &n, &err) < 0 && err && err->code == EINVAL);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "linux.resources.devices[0].type");
  berth_error_clear(&err);
  CHECK(devices_bpf_build(bad_access, 2, &v, &n, &err) < 0);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "linux.resources.devices[1].access");
  berth_error_clear(&err);
  CHECK(devices_bpf_build(bad_major, 1, &v, &n, &err) < 0);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "major");
  berth_error_clear(&err);
}

/* ---- what the programs decide ---- */

static void test_default_rules(void) {
  /* The shape of every container's list: deny all, then runc's defaults. */
  spec_device_rule rules[] = {
      DENY_ALL,
      RULE(true, 'c', ANY, ANY, "m"),
      RULE(true, 'b', ANY, ANY, "m"),
      RULE(true, 'c', NUM(1), NUM(3), "rwm"),
      RULE(true, 'c', NUM(136), ANY, "rwm"),
  };
  struct program p = build(rules, N(rules));
  CHECK(run(p.v, p.n, CHR, R | W, 1, 3) == 1);
  CHECK(run(p.v, p.n, CHR, W, 1, 11) == 0);
  CHECK(run(p.v, p.n, CHR, M, 1, 11) == 1);
  CHECK(run(p.v, p.n, BLK, M, 8, 0) == 1);
  CHECK(run(p.v, p.n, BLK, R, 8, 0) == 0);
  CHECK(run(p.v, p.n, CHR, R | W, 136, 7) == 1);
  CHECK(run(p.v, p.n, BLK, R | W, 136, 7) == 0);
  free(p.v);
}

static void test_last_match_wins(void) {
  spec_device_rule deny_last[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(5), "rwm"),
                                  RULE(false, 'c', NUM(1), NUM(5), "rwm")};
  spec_device_rule allow_last[] = {DENY_ALL, RULE(false, 'c', NUM(1), NUM(5), "rwm"),
                                   RULE(true, 'c', NUM(1), NUM(5), "rwm")};
  struct program p = build(deny_last, N(deny_last));
  CHECK(run(p.v, p.n, CHR, R, 1, 5) == 0);
  free(p.v);
  p = build(allow_last, N(allow_last));
  CHECK(run(p.v, p.n, CHR, R, 1, 5) == 1);
  free(p.v);
  /* A deny for one device after allowing its whole class. */
  spec_device_rule hole[] = {DENY_ALL, RULE(true, 'c', NUM(1), ANY, "rwm"),
                             RULE(false, 'c', NUM(1), NUM(5), "rwm")};
  p = build(hole, N(hole));
  CHECK(run(p.v, p.n, CHR, R, 1, 3) == 1);
  CHECK(run(p.v, p.n, CHR, R, 1, 5) == 0);
  free(p.v);
}

static void test_access_bits(void) {
  /* Accesses split across rules add up, as on v1. */
  spec_device_rule split[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(5), "r"),
                              RULE(true, 'c', NUM(1), NUM(5), "w")};
  struct program p = build(split, N(split));
  CHECK(run(p.v, p.n, CHR, R | W, 1, 5) == 1);
  CHECK(run(p.v, p.n, CHR, R, 1, 5) == 1);
  CHECK(run(p.v, p.n, CHR, M, 1, 5) == 0);
  CHECK(run(p.v, p.n, CHR, R | M, 1, 5) == 0);
  free(p.v);
  /* A partial deny takes away only its own accesses. */
  spec_device_rule narrow[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(5), "rwm"),
                               RULE(false, 'c', NUM(1), NUM(5), "w")};
  p = build(narrow, N(narrow));
  CHECK(run(p.v, p.n, CHR, R, 1, 5) == 1);
  CHECK(run(p.v, p.n, CHR, W, 1, 5) == 0);
  CHECK(run(p.v, p.n, CHR, R | W, 1, 5) == 0);
  free(p.v);
  /* Allowed by default, with one exception. */
  spec_device_rule deny_list[] = {ALLOW_ALL, RULE(false, 'c', NUM(1), NUM(5), "w")};
  p = build(deny_list, N(deny_list));
  CHECK(run(p.v, p.n, CHR, R, 1, 5) == 1);
  CHECK(run(p.v, p.n, CHR, R | W, 1, 5) == 0);
  CHECK(run(p.v, p.n, CHR, W, 1, 6) == 1);
  CHECK(run(p.v, p.n, BLK, W, 1, 5) == 1);
  free(p.v);
  /* Type 'a' with a number covers both types. */
  spec_device_rule both[] = {DENY_ALL, RULE(true, 'a', NUM(1), NUM(5), "r")};
  p = build(both, N(both));
  CHECK(run(p.v, p.n, CHR, R, 1, 5) == 1);
  CHECK(run(p.v, p.n, BLK, R, 1, 5) == 1);
  CHECK(run(p.v, p.n, BLK, W, 1, 5) == 0);
  CHECK(run(p.v, p.n, CHR, R, 1, 6) == 0);
  free(p.v);
}

/* ---- the real thing ---- */

static char test_dir[256];

/* Forks a child, moves it into test_dir, and has it try /dev/null and
 * /dev/zero. Returns the child's report: bit 0 /dev/null opened, bit 1
 * /dev/zero opened, bit 2 /dev/zero refused with EPERM; -1 on failure. */
static int probe_in_cgroup(void) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1)
      _exit(100);
    int report = 0, fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0)
      report |= 1;
    fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
      report |= 2;
    else if (errno == EPERM)
      report |= 4;
    _exit(report);
  }
  close(go[0]);
  char procs[300], pidtext[32];
  snprintf(procs, sizeof(procs), "%s/cgroup.procs", test_dir);
  int len = snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  bool moved = fd >= 0 && write(fd, pidtext, (size_t)len) == len;
  if (fd >= 0)
    close(fd);
  if (!moved || write(go[1], "g", 1) != 1)
    kill(pid, SIGKILL);
  close(go[1]);
  int status;
  if (waitpid(pid, &status, 0) != pid || !moved || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

static uint32_t attached_count(void) {
  int fd = open(test_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  uint32_t ids[8];
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = (uint32_t)fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = 8;
  long rc = syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
  close(fd);
  return rc == 0 ? attr.query.prog_cnt : UINT32_MAX;
}

static void apply_ok(const spec_device_rule *rules, size_t n) {
  berth_error *err = NULL;
  int rc = devices_bpf_apply(test_dir, rules, n, &err);
  if (rc < 0)
    fprintf(stderr, "devices_bpf_apply: %s\n", berth_error_text(err));
  CHECK(rc == 0);
  berth_error_free(err);
}

static void test_real_effect(void) {
  const char *mount = "/sys/fs/cgroup/unified";
  struct statfs fs;
  if (geteuid() != 0) {
    printf("devices_bpf: skipping the kernel test: not root\n");
    return;
  }
  if (statfs(mount, &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
    mount = "/sys/fs/cgroup";
    if (statfs(mount, &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
      printf("devices_bpf: skipping the kernel test: no cgroup2 mount\n");
      return;
    }
  }
  snprintf(test_dir, sizeof(test_dir), "%s/berth-test-bpf-%d", mount, (int)getpid());
  if (mkdir(test_dir, 0755) < 0) {
    printf("devices_bpf: skipping the kernel test: mkdir %s: %s\n", test_dir, strerror(errno));
    return;
  }
  spec_device_rule null_only[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(3), "rwm"),
                                  RULE(false, 'c', NUM(1), NUM(5), "rwm")};
  apply_ok(null_only, N(null_only));
  CHECK(attached_count() == 1);
  CHECK(probe_in_cgroup() == (1 | 4));

  /* Applying again replaces the program instead of stacking another. */
  spec_device_rule with_zero[] = {DENY_ALL, RULE(true, 'c', NUM(1), NUM(3), "rwm"),
                                  RULE(true, 'c', NUM(1), NUM(5), "r")};
  apply_ok(with_zero, N(with_zero));
  CHECK(attached_count() == 1);
  CHECK(probe_in_cgroup() == (1 | 2));

  /* The errors name the field. */
  spec_device_rule bad[] = {RULE(true, 'q', ANY, ANY, "r")};
  berth_error *err = NULL;
  CHECK(devices_bpf_apply(test_dir, bad, 1, &err) < 0);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "linux.resources.devices");
  berth_error_free(err);

  /* The probe children have exited, so the directory is empty; removing
   * it releases the attached program. */
  CHECK(rmdir(test_dir) == 0);
}

int main(void) {
  test_layout();
  test_bad_rules();
  test_default_rules();
  test_last_match_wins();
  test_access_bits();
  test_real_effect();
  return unit_summary("devices_bpf");
}
