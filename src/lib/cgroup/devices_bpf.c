/* Device rules as a BPF_CGROUP_DEVICE program (see devices_bpf.h for the
 * semantics), loaded and attached with the raw bpf(2) syscall.
 *
 * The program's layout: a prologue unpacks struct bpf_cgroup_dev_ctx into
 * registers, then one block per rule, the LAST rule first, so the first
 * block that decides returns; a block that does not match jumps to the
 * next one; the default verdict closes the program. R3 holds the accesses
 * no rule has decided yet: an allow rule clears its bits and returns 1 once
 * none are left, a deny rule returns 0 if it names any bit still pending. */
#include "devices_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"

#define FIELD "linux.resources.devices"
#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* Where the prologue leaves the context's fields. R1 (the context
 * pointer) is free after the prologue and serves as scratch. */
enum {
  R_VERDICT = BPF_REG_0,
  R_SCRATCH = BPF_REG_1,
  R_TYPE = BPF_REG_2,
  R_ACCESS = BPF_REG_3,
  R_MAJOR = BPF_REG_4,
  R_MINOR = BPF_REG_5,
};

/* A rule reduced to what the program compares. */
struct dev_match {
  bool allow;
  uint32_t type; /* BPF_DEVCG_DEV_*, 0 for every type */
  bool any_major, any_minor;
  uint32_t major, minor;
  uint32_t access; /* BPF_DEVCG_ACC_* */
};

struct emitter {
  struct bpf_insn *v;
  size_t n;
};

/* The most instructions one rule's block takes: three compares and the
 * five of a partial deny. */
#define PROLOGUE_LEN 6
#define MAX_BLOCK_LEN 8
#define EPILOGUE_LEN 2

static void emit(struct emitter *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                 int32_t imm) {
  e->v[e->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off,
                                   .imm = imm};
}

/* ---- rules ---- */

static int parse_number(const opt_i64 *v, size_t idx, const char *what, bool *any,
                        uint32_t *out, berth_error **err) {
  *any = !v->set || v->v < 0; /* runc reads -1 as a wildcard too */
  *out = 0;
  if (*any)
    return 0;
  if (v->v > UINT32_MAX)
    return berth_fail_id(err, "BERTH-E-CGROUP-DEVICE-RULE", EINVAL,
                         FIELD "[%zu].%s: %" PRId64 " is not a device number", idx,
                         what, v->v);
  *out = (uint32_t)v->v;
  return 0;
}

static int parse_access(const char *access, size_t idx, uint32_t *out, berth_error **err) {
  *out = 0;
  if (access == NULL || *access == '\0') {
    *out = ACC_ALL;
    return 0;
  }
  for (const char *c = access; *c; c++) {
    if (*c == 'r')
      *out |= BPF_DEVCG_ACC_READ;
    else if (*c == 'w')
      *out |= BPF_DEVCG_ACC_WRITE;
    else if (*c == 'm')
      *out |= BPF_DEVCG_ACC_MKNOD;
    else
      return berth_fail_id(err, "BERTH-E-CGROUP-DEVICE-RULE", EINVAL,
                           FIELD "[%zu].access: \"%s\" is not a combination of r, w "
                                 "and m", idx, access);
  }
  return 0;
}

static int parse_rule(const spec_device_rule *r, size_t idx, struct dev_match *m,
                      berth_error **err) {
  m->allow = r->allow;
  if (r->type == 'a' || r->type == '\0')
    m->type = 0;
  else if (r->type == 'c')
    m->type = BPF_DEVCG_DEV_CHAR;
  else if (r->type == 'b')
    m->type = BPF_DEVCG_DEV_BLOCK;
  else
    return berth_fail_id(err, "BERTH-E-CGROUP-DEVICE-RULE", EINVAL,
                         FIELD "[%zu].type: \"%c\" is not a, b or c", idx, r->type);
  if (parse_number(&r->major, idx, "major", &m->any_major, &m->major, err) < 0 ||
      parse_number(&r->minor, idx, "minor", &m->any_minor, &m->minor, err) < 0)
    return -1;
  return parse_access(r->access, idx, &m->access, err);
}

/* "a *:* rwm": every device, every access. */
static bool matches_everything(const struct dev_match *m) {
  return m->type == 0 && m->any_major && m->any_minor && m->access == ACC_ALL;
}

/* ---- code generation ---- */

static void emit_prologue(struct emitter *e) {
  /* access_type is (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*. */
  emit(e, BPF_LDX | BPF_MEM | BPF_W, R_TYPE, BPF_REG_1,
       offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
  emit(e, BPF_ALU | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xFFFF);
  emit(e, BPF_LDX | BPF_MEM | BPF_W, R_ACCESS, BPF_REG_1,
       offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
  emit(e, BPF_ALU | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
  emit(e, BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major),
       0);
  emit(e, BPF_LDX | BPF_MEM | BPF_W, R_MINOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor),
       0);
}

static void emit_verdict(struct emitter *e, bool allow) {
  emit(e, BPF_ALU | BPF_MOV | BPF_K, R_VERDICT, 0, 0, allow ? 1 : 0);
  emit(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* What a matching rule does with the pending accesses in R_ACCESS. */
static void emit_rule_action(struct emitter *e, const struct dev_match *m) {
  if (m->access == ACC_ALL) {
    emit_verdict(e, m->allow); /* decides whatever is pending */
  } else if (m->allow) {
    emit(e, BPF_ALU | BPF_AND | BPF_K, R_ACCESS, 0, 0, (int32_t)(~m->access & ACC_ALL));
    emit(e, BPF_JMP | BPF_JNE | BPF_K, R_ACCESS, 0, 2, 0);
    emit_verdict(e, true);
  } else {
    emit(e, BPF_ALU | BPF_MOV | BPF_X, R_SCRATCH, R_ACCESS, 0, 0);
    emit(e, BPF_ALU | BPF_AND | BPF_K, R_SCRATCH, 0, 0, (int32_t)m->access);
    emit(e, BPF_JMP | BPF_JEQ | BPF_K, R_SCRATCH, 0, 2, 0);
    emit_verdict(e, false);
  }
}

static void emit_rule(struct emitter *e, const struct dev_match *m) {
  size_t first_jump = e->n;
  if (m->type != 0)
    emit(e, BPF_JMP | BPF_JNE | BPF_K, R_TYPE, 0, 0, (int32_t)m->type);
  if (!m->any_major)
    emit(e, BPF_JMP | BPF_JNE | BPF_K, R_MAJOR, 0, 0, (int32_t)m->major);
  if (!m->any_minor)
    emit(e, BPF_JMP | BPF_JNE | BPF_K, R_MINOR, 0, 0, (int32_t)m->minor);
  size_t end_of_checks = e->n;
  emit_rule_action(e, m);
  /* A failed compare skips to the next block, which starts here. */
  for (size_t j = first_jump; j < end_of_checks; j++)
    e->v[j].off = (int16_t)(e->n - (j + 1));
}

/* *filters_nothing: the program allows every access (so losing it loses
 * nothing). */
static int generate(const spec_device_rule *rules, size_t n, struct bpf_insn **insns,
                    size_t *n_insns, bool *filters_nothing, berth_error **err) {
  struct dev_match *m = calloc(n > 0 ? n : 1, sizeof(*m));
  if (m == NULL)
    return berth_fail(err, ENOMEM, FIELD ": build the eBPF device filter");
  size_t live_from = 0; /* rules before the last reset are dead */
  bool default_allow = false;
  for (size_t i = 0; i < n; i++) {
    if (parse_rule(&rules[i], i, &m[i], err) < 0) {
      free(m);
      return -1;
    }
    if (matches_everything(&m[i])) {
      live_from = i + 1;
      default_allow = m[i].allow;
    }
  }
  size_t live = n - live_from;
  struct emitter e = {.v = calloc(PROLOGUE_LEN + live * MAX_BLOCK_LEN + EPILOGUE_LEN,
                                  sizeof(struct bpf_insn))};
  if (e.v == NULL) {
    free(m);
    return berth_fail(err, ENOMEM, FIELD ": build the eBPF device filter");
  }
  *filters_nothing = default_allow;
  emit_prologue(&e);
  for (size_t i = n; i-- > live_from;) {
    emit_rule(&e, &m[i]);
    *filters_nothing = *filters_nothing && m[i].allow;
  }
  emit_verdict(&e, default_allow);
  free(m);
  *insns = e.v;
  *n_insns = e.n;
  return 0;
}

int devices_bpf_build(const spec_device_rule *rules, size_t n, struct bpf_insn **insns,
                      size_t *n_insns, berth_error **err) {
  bool filters_nothing;
  return generate(rules, n, insns, n_insns, &filters_nothing, err);
}

/* ---- the kernel ---- */

static int bpf_call(int cmd, union bpf_attr *attr) {
  return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct bpf_insn *insns, size_t n) {
  static const char license[] = "Apache";
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)n;
  attr.license = (uint64_t)(uintptr_t)license;
  memcpy(attr.prog_name, "berth_devices", sizeof("berth_devices"));
  return bpf_call(BPF_PROG_LOAD, &attr); /* bpf fds are always close-on-exec */
}

/* Kernels before 5.11 charge programs to RLIMIT_MEMLOCK, whose usual
 * default is too small; the limit is lifted only for the load, so the
 * container does not inherit it. */
static int load_with_memlock(const struct bpf_insn *insns, size_t n) {
  int fd = load_program(insns, n);
  if (fd >= 0 || errno != EPERM)
    return fd;
  struct rlimit old, unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  if (getrlimit(RLIMIT_MEMLOCK, &old) < 0 || old.rlim_cur == RLIM_INFINITY ||
      setrlimit(RLIMIT_MEMLOCK, &unlimited) < 0) {
    errno = EPERM;
    return -1;
  }
  fd = load_program(insns, n);
  int saved = errno;
  setrlimit(RLIMIT_MEMLOCK, &old);
  errno = saved;
  return fd;
}

/* The ids of the device programs attached to the directory itself. */
static int attached_programs(int dir_fd, uint32_t **ids, uint32_t *n) {
  uint32_t room = 16;
  for (int tries = 0; tries < 8; tries++) {
    uint32_t *buf = calloc(room, sizeof(*buf));
    if (buf == NULL) {
      errno = ENOMEM;
      return -1;
    }
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)dir_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)buf;
    attr.query.prog_cnt = room;
    if (bpf_call(BPF_PROG_QUERY, &attr) == 0) {
      *ids = buf;
      *n = attr.query.prog_cnt;
      return 0;
    }
    free(buf);
    if (errno != ENOSPC)
      return -1;
    /* More were attached than we had room for; prog_cnt says how many. */
    room = attr.query.prog_cnt > room ? attr.query.prog_cnt : room * 2;
  }
  errno = ENOSPC;
  return -1;
}

static int attach_program(int dir_fd, int prog_fd) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)dir_fd;
  attr.attach_bpf_fd = (uint32_t)prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  return bpf_call(BPF_PROG_ATTACH, &attr);
}

/* A program that is gone, or that an LSM keeps from us, is left alone: a
 * device program can only take access away, never grant it. */
static int detach_program(int dir_fd, uint32_t id) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_id = id;
  int prog_fd = bpf_call(BPF_PROG_GET_FD_BY_ID, &attr);
  if (prog_fd < 0)
    return errno == ENOENT || errno == EPERM || errno == EACCES ? 0 : -1;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)dir_fd;
  attr.attach_bpf_fd = (uint32_t)prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  int rc = bpf_call(BPF_PROG_DETACH, &attr);
  int saved = errno;
  close(prog_fd);
  errno = saved;
  return rc < 0 && errno != ENOENT ? -1 : 0;
}

/* The new program goes on before the old ones come off: in between, both
 * must allow an access, so the rules never lapse. */
static int install(int dir_fd, const char *dir, const struct bpf_insn *insns, size_t n,
                   berth_error **err) {
  int prog_fd = load_with_memlock(insns, n);
  if (prog_fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-CGROUP-DEVICE-FILTER",
                               FIELD ": load the eBPF device filter");
  uint32_t *old = NULL, n_old = 0;
  int rc = -1;
  if (attached_programs(dir_fd, &old, &n_old) < 0)
    berth_fail_errno_id(err, "BERTH-E-CGROUP-DEVICE-FILTER",
                        FIELD ": list the device filters attached to \"%s\"", dir);
  else if (attach_program(dir_fd, prog_fd) < 0)
    berth_fail_errno_id(err, "BERTH-E-CGROUP-DEVICE-FILTER",
                        FIELD ": attach the eBPF device filter to \"%s\"", dir);
  else
    rc = 0;
  close(prog_fd); /* the attachment holds its own reference */
  for (uint32_t i = 0; rc == 0 && i < n_old; i++)
    if (detach_program(dir_fd, old[i]) < 0)
      rc = berth_fail_errno_id(err, "BERTH-E-CGROUP-DEVICE-FILTER",
                               FIELD ": detach the previous device filter (id %" PRIu32
                                    ") from \"%s\"", old[i], dir);
  free(old);
  return rc;
}

/* ---- when BPF is refused ---- */

static bool in_user_namespace(void) {
  FILE *f = fopen("/proc/self/uid_map", "re");
  if (f == NULL)
    return false; /* no user namespaces in this kernel */
  unsigned long inside, outside, count;
  int k = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
  fclose(f);
  return !(k == 3 && inside == 0 && outside == 0 && count == 4294967295UL);
}

/* runc ignores device errors for a rootless runtime (its --rootless auto
 * is "not euid 0") and bpf(2) errors in a user namespace, where the kernel
 * never allows device programs. */
static bool may_run_without_filter(bool filters_nothing) {
  return filters_nothing || geteuid() != 0 || in_user_namespace();
}

int devices_bpf_apply(const char *dir, const spec_device_rule *rules, size_t n,
                      berth_error **err) {
  struct bpf_insn *insns = NULL;
  size_t n_insns = 0;
  bool filters_nothing = false;
  if (generate(rules, n, &insns, &n_insns, &filters_nothing, err) < 0)
    return -1;
  berth_error *e = NULL;
  int rc;
  int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    rc = berth_fail_errno(&e, FIELD ": open \"%s\"", dir);
  } else {
    rc = install(dir_fd, dir, insns, n_insns, &e);
    close(dir_fd);
  }
  free(insns);
  if (rc == 0)
    return 0;
  if (may_run_without_filter(filters_nothing)) {
    berth_warn("%s; the device rules are not enforced", berth_error_text(e));
    berth_error_free(e);
    return 0;
  }
  return cg_error_pass(err, e);
}
