/* linux.seccomp: validate the spec's filter, compile it with libseccomp into
 * a BPF program (or take it from the cache), and install it with seccomp(2).
 *
 * Semantics follow runc, which callers' profiles are written against:
 * - syscall names libseccomp does not know are skipped;
 * - a rule whose action equals the default action is skipped;
 * - the conditions of one rule are ANDed, except that when two of them name
 *   the same argument (libseccomp compares an argument once per rule) every
 *   condition of that rule becomes a rule of its own, so they are ORed
 *   (runc issue #2735 tracks this oddity);
 * - ERRNO and TRACE without errnoRet return EPERM;
 * - without a "flags" key SECCOMP_FILTER_FLAG_SPEC_ALLOW is used when the
 *   kernel has it; a listed flag the kernel lacks is an error; TSYNC is
 *   accepted and has nothing to do, the init being single-threaded. */
#include "linux/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAX_SYSCALL_ARGS 6
/* runc turns on libseccomp's binary-tree layout above this many entries;
 * below it the linear layout is as fast and 2.5.x mishandles empty trees. */
#define BINARY_TREE_MIN_SYSCALLS 32

struct berth_seccomp {
  struct sock_filter *insns;
  size_t n_insns;
  unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool from_cache;
};

/* ---- names ------------------------------------------------------------ */

enum action_kind {
  ACT_KILL_THREAD, ACT_KILL_PROCESS, ACT_TRAP, ACT_ERRNO, ACT_TRACE,
  ACT_ALLOW, ACT_LOG, ACT_NOTIFY,
};

static const struct {
  const char *name;
  enum action_kind kind;
} action_names[] = {
    {"SCMP_ACT_KILL", ACT_KILL_THREAD},       {"SCMP_ACT_KILL_THREAD", ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", ACT_KILL_PROCESS}, {"SCMP_ACT_TRAP", ACT_TRAP},
    {"SCMP_ACT_ERRNO", ACT_ERRNO},            {"SCMP_ACT_TRACE", ACT_TRACE},
    {"SCMP_ACT_ALLOW", ACT_ALLOW},            {"SCMP_ACT_LOG", ACT_LOG},
    {"SCMP_ACT_NOTIFY", ACT_NOTIFY},
};

static const struct {
  const char *name;
  enum scmp_compare op;
} operator_names[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct {
  const char *name;
  unsigned bit;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int find_action(const char *name, enum action_kind *kind) {
  for (size_t i = 0; name != NULL && i < N_OF(action_names); i++)
    if (strcmp(action_names[i].name, name) == 0) {
      *kind = action_names[i].kind;
      return 0;
    }
  return -1;
}

static int find_operator(const char *name, enum scmp_compare *op) {
  for (size_t i = 0; name != NULL && i < N_OF(operator_names); i++)
    if (strcmp(operator_names[i].name, name) == 0) {
      *op = operator_names[i].op;
      return 0;
    }
  return -1;
}

static int find_flag(const char *name, unsigned *bit) {
  for (size_t i = 0; name != NULL && i < N_OF(flag_names); i++)
    if (strcmp(flag_names[i].name, name) == 0) {
      *bit = flag_names[i].bit;
      return 0;
    }
  return -1;
}

/* SCMP_ARCH_X86_64 -> libseccomp's token for "x86_64"; 0 when unknown. */
static uint32_t arch_token(const char *spec_name) {
  static const char prefix[] = "SCMP_ARCH_";
  char lower[32];
  if (spec_name == NULL || strncmp(spec_name, prefix, sizeof(prefix) - 1) != 0)
    return 0;
  const char *suffix = spec_name + sizeof(prefix) - 1;
  size_t n = strlen(suffix);
  if (n == 0 || n >= sizeof(lower))
    return 0;
  for (size_t i = 0; i <= n; i++)
    lower[i] = (char)(suffix[i] >= 'A' && suffix[i] <= 'Z' ? suffix[i] - 'A' + 'a' : suffix[i]);
  return seccomp_arch_resolve_name(lower);
}

static uint32_t action_value(enum action_kind kind, const opt_u64 *errno_ret) {
  uint32_t e = errno_ret->set ? (uint32_t)errno_ret->v : EPERM;
  switch (kind) {
  case ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
  case ACT_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
  case ACT_TRAP: return SCMP_ACT_TRAP;
  case ACT_ERRNO: return SCMP_ACT_ERRNO(e);
  case ACT_TRACE: return SCMP_ACT_TRACE(e);
  case ACT_ALLOW: return SCMP_ACT_ALLOW;
  case ACT_LOG: return SCMP_ACT_LOG;
  case ACT_NOTIFY: return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

/* ---- kernel support for filter flags ---------------------------------- */

/* The kernel checks the flags before it reads the program, so a NULL
 * program gets EFAULT for flags it knows and EINVAL for the others,
 * without installing anything. */
static bool kernel_accepts_flags(unsigned flags) {
  errno = 0;
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
  return rc < 0 && errno == EFAULT;
}

static bool kernel_has_flag(unsigned bit) {
  static int known[8]; /* per bit: 0 unprobed, 1 yes, -1 no */
  unsigned slot = (unsigned)__builtin_ctz(bit);
  if (slot >= N_OF(known))
    return false;
  if (known[slot] == 0) {
    /* WAIT_KILLABLE_RECV is only valid together with a listener. */
    unsigned probe = bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
                         ? bit | SECCOMP_FILTER_FLAG_NEW_LISTENER
                         : bit;
    known[slot] = kernel_accepts_flags(probe) ? 1 : -1;
  }
  return known[slot] > 0;
}

bool seccomp_flag_supported(const char *name) {
  unsigned bit;
  if (find_flag(name, &bit) < 0)
    return false;
  return kernel_has_flag(bit);
}

/* ---- the cache key: a canonical form of everything the program depends on */

struct key_buf {
  unsigned char *data;
  size_t len, cap;
  bool oom;
};

static void key_put(struct key_buf *k, const void *p, size_t n) {
  if (k == NULL || k->oom)
    return;
  if (k->len + n > k->cap) {
    size_t cap = k->cap ? k->cap : 4096;
    while (cap < k->len + n)
      cap *= 2;
    unsigned char *grown = realloc(k->data, cap);
    if (grown == NULL) {
      k->oom = true;
      return;
    }
    k->data = grown;
    k->cap = cap;
  }
  memcpy(k->data + k->len, p, n);
  k->len += n;
}

static void key_put_u64(struct key_buf *k, uint64_t v) {
  key_put(k, &v, sizeof(v));
}

static void key_put_str(struct key_buf *k, const char *s) {
  size_t n = s ? strlen(s) : 0;
  key_put_u64(k, n);
  key_put(k, s, n);
}

/* The library and kernel are part of the key: a newer libseccomp knows
 * more syscall names, and a kernel decides which actions libseccomp
 * accepts. */
static void key_put_environment(struct key_buf *k) {
  const struct scmp_version *v = seccomp_version();
  struct utsname u;
  key_put_str(k, "berth-seccomp-cache-1");
  key_put_u64(k, ((uint64_t)v->major << 32) | ((uint64_t)v->minor << 16) | v->micro);
  key_put_u64(k, seccomp_arch_native());
  if (uname(&u) == 0) {
    key_put_str(k, u.release);
    key_put_str(k, u.version);
  }
}

static uint64_t fnv1a64(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* ---- validation ------------------------------------------------------- */

struct plan {
  uint32_t default_action;
  bool uses_notify;
  unsigned flags;
};

static int check_errno_ret(const char *path, enum action_kind kind, const opt_u64 *ret,
                           berth_error **err) {
  if (!ret->set)
    return 0;
  if (kind != ACT_ERRNO && kind != ACT_TRACE)
    return berth_fail_id(err, "BERTH-E-SECCOMP-ACTION", 0,
                         "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno",
                         path);
  if (ret->v > 0xffff)
    return berth_fail_id(err, "BERTH-E-SECCOMP-ACTION", 0,
                         "%s: %" PRIu64 " does not fit the filter's 16-bit return value",
                         path, ret->v);
  return 0;
}

static int check_default_action(const spec_seccomp *sc, struct plan *pl, struct key_buf *k,
                                berth_error **err) {
  enum action_kind kind;
  if (find_action(sc->default_action, &kind) < 0)
    return berth_fail_id(err, "BERTH-E-SECCOMP-ACTION", 0,
                         "linux.seccomp.defaultAction: unknown action \"%s\"",
                         sc->default_action ? sc->default_action : "");
  /* Every syscall of the init after loading, the one that hands the fd
   * back included, would wait for an agent that has no fd yet. */
  if (kind == ACT_NOTIFY)
    return berth_fail_id(err, "BERTH-E-SECCOMP-ACTION", 0,
                         "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
                         "action");
  if (check_errno_ret("linux.seccomp.defaultErrnoRet", kind, &sc->default_errno_ret, err) < 0)
    return -1;
  pl->default_action = action_value(kind, &sc->default_errno_ret);
  key_put_u64(k, pl->default_action);
  return 0;
}

static int check_architectures(const spec_seccomp *sc, struct key_buf *k, berth_error **err) {
  for (size_t i = 0; i < sc->architectures.n; i++) {
    const char *name = sc->architectures.v[i];
    uint32_t token = arch_token(name);
    if (token == 0)
      return berth_fail_id(err, "BERTH-E-SECCOMP-ARCH", 0,
                           "linux.seccomp.architectures[%zu]: unknown architecture \"%s\" "
                           "(or one libseccomp %u.%u.%u does not know)",
                           i, name, seccomp_version()->major, seccomp_version()->minor,
                           seccomp_version()->micro);
    key_put_u64(k, token);
  }
  return 0;
}

static int check_args(const spec_seccomp_syscall *s, size_t i, struct key_buf *k,
                      berth_error **err) {
  for (size_t j = 0; j < s->n_args; j++) {
    const spec_seccomp_arg *a = &s->args[j];
    enum scmp_compare op;
    if (a->index >= MAX_SYSCALL_ARGS)
      return berth_fail_id(err, "BERTH-E-SECCOMP-ARG", 0,
                           "linux.seccomp.syscalls[%zu].args[%zu].index: "
                           "must be 0 to 5, got %u", i, j, a->index);
    if (find_operator(a->op, &op) < 0)
      return berth_fail_id(err, "BERTH-E-SECCOMP-ARG", 0,
                           "linux.seccomp.syscalls[%zu].args[%zu].op: "
                           "unknown operator \"%s\"", i, j, a->op ? a->op : "");
    key_put_u64(k, a->index);
    key_put_u64(k, (uint64_t)op);
    key_put_u64(k, a->value);
    key_put_u64(k, a->value_two);
  }
  return 0;
}

static int check_syscall(const spec_seccomp *sc, size_t i, struct plan *pl, struct key_buf *k,
                         berth_error **err) {
  const spec_seccomp_syscall *s = &sc->syscalls[i];
  enum action_kind kind;
  char path[64];
  if (find_action(s->action, &kind) < 0)
    return berth_fail_id(err, "BERTH-E-SECCOMP-ACTION", 0,
                         "linux.seccomp.syscalls[%zu].action: unknown action \"%s\"", i,
                         s->action ? s->action : "");
  snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu].errnoRet", i);
  if (check_errno_ret(path, kind, &s->errno_ret, err) < 0)
    return -1;
  if (s->names.n == 0)
    return berth_fail_id(err, "BERTH-E-SECCOMP-SYSCALL", 0,
                         "linux.seccomp.syscalls[%zu].names: must not be empty", i);
  uint32_t action = action_value(kind, &s->errno_ret);
  key_put_u64(k, action);
  key_put_u64(k, s->names.n);
  for (size_t j = 0; j < s->names.n; j++) {
    if (s->names.v[j][0] == '\0')
      return berth_fail_id(err, "BERTH-E-SECCOMP-SYSCALL", 0,
                           "linux.seccomp.syscalls[%zu].names[%zu]: must not be empty",
                           i, j);
    /* The init hands the listener fd back with write(2), as runc's does. */
    if (kind == ACT_NOTIFY && strcmp(s->names.v[j], "write") == 0)
      return berth_fail_id(err, "BERTH-E-SECCOMP-SYSCALL", 0,
                           "linux.seccomp.syscalls[%zu].names[%zu]: "
                           "SCMP_ACT_NOTIFY cannot be used for the write syscall", i, j);
    key_put_str(k, s->names.v[j]);
  }
  key_put_u64(k, s->n_args);
  if (kind == ACT_NOTIFY)
    pl->uses_notify = true;
  return check_args(s, i, k, err);
}

/* Which bits seccomp(2) gets. They are not part of the program, so they are
 * decided here on every prepare, cached program or not. */
static int plan_flags(const spec_seccomp *sc, struct plan *pl, berth_error **err) {
  pl->flags = pl->uses_notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  if (sc->flags.v == NULL) {
    if (kernel_has_flag(SECCOMP_FILTER_FLAG_SPEC_ALLOW))
      pl->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    return 0;
  }
  for (size_t i = 0; i < sc->flags.n; i++) {
    unsigned bit;
    if (find_flag(sc->flags.v[i], &bit) < 0)
      return berth_fail_id(err, "BERTH-E-SECCOMP-FLAG", 0,
                           "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i,
                           sc->flags.v[i]);
    if (bit == SECCOMP_FILTER_FLAG_TSYNC)
      continue;
    if (!kernel_has_flag(bit))
      return berth_fail_id(err, "BERTH-E-SECCOMP-FLAG", 0,
                           "linux.seccomp.flags[%zu]: %s is not supported by this kernel",
                           i, sc->flags.v[i]);
    /* Without a listener the kernel rejects it; like libseccomp, only pass
     * it where it has a meaning. */
    if (bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !pl->uses_notify)
      continue;
    pl->flags |= bit;
  }
  return 0;
}

static int check_spec(const spec_seccomp *sc, struct plan *pl, struct key_buf *k,
                      berth_error **err) {
  memset(pl, 0, sizeof(*pl));
  key_put_environment(k);
  if (check_default_action(sc, pl, k, err) < 0 || check_architectures(sc, k, err) < 0)
    return -1;
  key_put_u64(k, sc->n_syscalls);
  for (size_t i = 0; i < sc->n_syscalls; i++)
    if (check_syscall(sc, i, pl, k, err) < 0)
      return -1;
  if (pl->uses_notify && (sc->listener_path == NULL || sc->listener_path[0] == '\0'))
    return berth_fail_id(err, "BERTH-E-SECCOMP-LISTENER", 0,
                         "linux.seccomp.listenerPath: must be set when a rule uses "
                         "SCMP_ACT_NOTIFY");
  if (k != NULL && k->oom)
    return berth_fail(err, ENOMEM, "seccomp cache key");
  return plan_flags(sc, pl, err);
}

/* ---- compiling with libseccomp ---------------------------------------- */

static bool names_an_argument_twice(const spec_seccomp_syscall *s) {
  unsigned seen = 0;
  for (size_t j = 0; j < s->n_args; j++) {
    unsigned bit = 1u << s->args[j].index;
    if (seen & bit)
      return true;
    seen |= bit;
  }
  return false;
}

/* For MASKED_EQ, value is the mask and valueTwo what the masked argument
 * must equal, which is libseccomp's datum_a and datum_b. */
static struct scmp_arg_cmp arg_comparison(const spec_seccomp_arg *a) {
  enum scmp_compare op = SCMP_CMP_EQ;
  find_operator(a->op, &op);
  return (struct scmp_arg_cmp){
      .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
}

/* All conditions in one rule, so that they are ANDed (one rule per
 * condition would OR them: CVE-2017-18367), unless runc's exception for a
 * repeated argument applies. */
static int add_rules_for_syscall(scmp_filter_ctx ctx, uint32_t action, int nr,
                                 const spec_seccomp_syscall *s) {
  struct scmp_arg_cmp cmps[MAX_SYSCALL_ARGS];
  if (names_an_argument_twice(s)) {
    for (size_t j = 0; j < s->n_args; j++) {
      cmps[0] = arg_comparison(&s->args[j]);
      int rc = seccomp_rule_add_array(ctx, action, nr, 1, cmps);
      if (rc < 0)
        return rc;
    }
    return 0;
  }
  /* Distinct indices below MAX_SYSCALL_ARGS: at most that many. */
  for (size_t j = 0; j < s->n_args; j++)
    cmps[j] = arg_comparison(&s->args[j]);
  return seccomp_rule_add_array(ctx, action, nr, (unsigned)s->n_args, cmps);
}

static int add_syscall_rules(scmp_filter_ctx ctx, const spec_seccomp *sc, size_t i,
                             uint32_t default_action, berth_error **err) {
  const spec_seccomp_syscall *s = &sc->syscalls[i];
  enum action_kind kind = ACT_ALLOW;
  find_action(s->action, &kind);
  uint32_t action = action_value(kind, &s->errno_ret);
  if (action == default_action)
    return 0; /* libseccomp refuses such rules; they change nothing */
  for (size_t j = 0; j < s->names.n; j++) {
    int nr = seccomp_syscall_resolve_name(s->names.v[j]);
    if (nr == __NR_SCMP_ERROR)
      continue;
    int rc = add_rules_for_syscall(ctx, action, nr, s);
    if (rc < 0)
      return berth_fail_id(err, "BERTH-E-SECCOMP-SYSCALL", -rc,
                           "linux.seccomp.syscalls[%zu]: adding the rule for \"%s\"", i,
                           s->names.v[j]);
  }
  return 0;
}

static int add_architectures(scmp_filter_ctx ctx, const spec_seccomp *sc, berth_error **err) {
  for (size_t i = 0; i < sc->architectures.n; i++) {
    int rc = seccomp_arch_add(ctx, arch_token(sc->architectures.v[i]));
    if (rc < 0 && rc != -EEXIST) /* the native one is always there */
      return berth_fail_id(err, "BERTH-E-SECCOMP-ARCH", -rc,
                           "linux.seccomp.architectures[%zu]: adding \"%s\"", i,
                           sc->architectures.v[i]);
  }
  return 0;
}

static int read_exactly(int fd, void *buf, size_t n, off_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, (char *)buf + done, n - done, at + (off_t)done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    done += (size_t)r;
  }
  return 0;
}

/* libseccomp 2.5 exports only to a file descriptor; a memfd keeps it off
 * the disk. */
static int export_program(scmp_filter_ctx ctx, struct berth_seccomp *p, berth_error **err) {
  int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno(err, "seccomp: creating a memfd for the program");
  int rc = seccomp_export_bpf(ctx, fd);
  struct stat st;
  if (rc < 0 || fstat(fd, &st) < 0) {
    int code = rc < 0 ? -rc : errno;
    close(fd);
    return berth_fail(err, code, "seccomp: exporting the program");
  }
  size_t size = (size_t)st.st_size;
  size_t n = size / sizeof(struct sock_filter);
  if (n == 0 || size % sizeof(struct sock_filter) != 0 || n > BPF_MAXINSNS) {
    close(fd);
    return berth_fail_id(err, "BERTH-E-SECCOMP-TOO-LARGE", n > BPF_MAXINSNS ? E2BIG : EINVAL,
                         "linux.seccomp: the filter compiles to %zu instructions, the kernel "
                         "takes 1 to %d", n, BPF_MAXINSNS);
  }
  p->insns = malloc(size);
  if (p->insns == NULL || read_exactly(fd, p->insns, size, 0) < 0) {
    close(fd);
    return berth_fail(err, p->insns ? EIO : ENOMEM, "seccomp: reading the exported program");
  }
  close(fd);
  p->n_insns = n;
  return 0;
}

static int compile_program(const spec_seccomp *sc, const struct plan *pl, struct berth_seccomp *p,
                           berth_error **err) {
  scmp_filter_ctx ctx = seccomp_init(pl->default_action);
  if (ctx == NULL)
    return berth_fail_id(err, "BERTH-E-SECCOMP-ACTION", 0,
                         "linux.seccomp.defaultAction: libseccomp refused \"%s\" "
                         "(not supported by this kernel?)", sc->default_action);
  int rc = add_architectures(ctx, sc, err);
  /* Not fatal: an older libseccomp just keeps the linear layout. */
  if (rc == 0 && sc->n_syscalls > BINARY_TREE_MIN_SYSCALLS)
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (size_t i = 0; rc == 0 && i < sc->n_syscalls; i++)
    rc = add_syscall_rules(ctx, sc, i, pl->default_action, err);
  if (rc == 0)
    rc = export_program(ctx, p, err);
  seccomp_release(ctx);
  return rc < 0 ? -1 : 0;
}

/* ---- the cache: <dir>/<fnv1a64 of the key>.bpf ----------------------------
 * A file holds a header, the whole key and the program. A hit needs the key
 * to match byte for byte (so a hash collision cannot hand one container
 * another's filter) and the program to match its checksum; anything else is
 * a miss and the entry is compiled and written again. */

#define CACHE_MAGIC "BERTHSCF"
#define CACHE_FORMAT 1u
#define CACHE_MAX_KEY (16u << 20)

struct cache_header {
  char magic[8];
  uint32_t format;
  uint32_t key_len;
  uint32_t n_insns;
  uint32_t reserved;
  uint64_t program_hash;
};

static uint64_t program_hash(const struct sock_filter *insns, size_t n) {
  return fnv1a64((const unsigned char *)insns, n * sizeof(*insns));
}

/* The directory is created 0700 and used only when it is ours and a real
 * directory; its mode is tightened if someone loosened it. */
static int open_cache_dir(const char *path) {
  if (mkdir(path, 0700) < 0 && errno != EEXIST)
    return -1;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0)
    return -1;
  if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
      ((st.st_mode & 077) != 0 && fchmod(fd, 0700) < 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

static bool cache_header_fits(const struct cache_header *h, const struct key_buf *k,
                              off_t file_size) {
  if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) != 0 || h->format != CACHE_FORMAT ||
      h->key_len != k->len || h->n_insns == 0 || h->n_insns > BPF_MAXINSNS)
    return false;
  uint64_t expected = sizeof(*h) + (uint64_t)h->key_len +
                      (uint64_t)h->n_insns * sizeof(struct sock_filter);
  return file_size >= 0 && (uint64_t)file_size == expected;
}

static bool cache_program_sound(const struct cache_header *h, const struct sock_filter *insns) {
  return BPF_CLASS(insns[h->n_insns - 1].code) == BPF_RET &&
         program_hash(insns, h->n_insns) == h->program_hash;
}

static int cache_lookup(int dirfd, const char *name, const struct key_buf *k,
                        struct berth_seccomp *p) {
  struct cache_header h;
  struct stat st;
  unsigned char *key = NULL;
  struct sock_filter *insns = NULL;
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int rc = -1;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      read_exactly(fd, &h, sizeof(h), 0) < 0 || !cache_header_fits(&h, k, st.st_size))
    goto out;
  key = malloc(h.key_len);
  insns = malloc(h.n_insns * sizeof(*insns));
  if (key == NULL || insns == NULL || read_exactly(fd, key, h.key_len, sizeof(h)) < 0 ||
      memcmp(key, k->data, k->len) != 0 ||
      read_exactly(fd, insns, h.n_insns * sizeof(*insns), (off_t)(sizeof(h) + h.key_len)) < 0 ||
      !cache_program_sound(&h, insns))
    goto out;
  p->insns = insns;
  p->n_insns = h.n_insns;
  insns = NULL;
  rc = 0;
out:
  free(key);
  free(insns);
  close(fd);
  return rc;
}

static int write_all(int fd, const void *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    buf = (const char *)buf + w;
    n -= (size_t)w;
  }
  return 0;
}

/* Best effort: a failure only costs the next create a compile. No fsync:
 * a torn file after a crash fails validation and is rewritten. */
static void cache_store(int dirfd, const char *name, const struct key_buf *k,
                        const struct berth_seccomp *p) {
  struct cache_header h = {.format = CACHE_FORMAT,
                           .key_len = (uint32_t)k->len,
                           .n_insns = (uint32_t)p->n_insns,
                           .program_hash = program_hash(p->insns, p->n_insns)};
  memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  char tmp[96];
  snprintf(tmp, sizeof(tmp), "%s.tmp.%d.%ld", name, (int)getpid(), (long)now.tv_nsec);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  bool ok = write_all(fd, &h, sizeof(h)) == 0 && write_all(fd, k->data, k->len) == 0 &&
            write_all(fd, p->insns, p->n_insns * sizeof(*p->insns)) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || renameat(dirfd, tmp, dirfd, name) < 0)
    unlinkat(dirfd, tmp, 0);
}

/* ---- the API ---------------------------------------------------------- */

static void prepare_from_cache_or_compile(const spec_seccomp *sc, const struct plan *pl,
                                          const char *cache_dir, const struct key_buf *k,
                                          struct berth_seccomp *p, int *rc, berth_error **err) {
  int dirfd = k != NULL && k->len <= CACHE_MAX_KEY ? open_cache_dir(cache_dir) : -1;
  char name[32];
  if (dirfd >= 0)
    snprintf(name, sizeof(name), "%016" PRIx64 ".bpf", fnv1a64(k->data, k->len));
  if (dirfd >= 0 && cache_lookup(dirfd, name, k, p) == 0) {
    p->from_cache = true;
    *rc = 0;
  } else {
    *rc = compile_program(sc, pl, p, err);
    if (*rc == 0 && dirfd >= 0)
      cache_store(dirfd, name, k, p);
  }
  if (dirfd >= 0)
    close(dirfd);
}

int seccomp_prepare_cached(const spec_seccomp *sc, const char *cache_dir,
                           struct berth_seccomp **out, berth_error **err) {
  struct key_buf key = {0};
  struct key_buf *k = cache_dir != NULL ? &key : NULL;
  struct plan pl;
  int rc = -1;
  *out = NULL;
  if (sc == NULL)
    return berth_fail(err, EINVAL, "linux.seccomp: missing");
  struct berth_seccomp *p = calloc(1, sizeof(*p));
  if (p == NULL) {
    berth_fail(err, ENOMEM, "seccomp");
  } else if (check_spec(sc, &pl, k, err) == 0) {
    p->flags = pl.flags;
    prepare_from_cache_or_compile(sc, &pl, cache_dir, k, p, &rc, err);
  }
  free(key.data);
  if (rc < 0) {
    seccomp_free(p);
    return -1;
  }
  *out = p;
  return 0;
}

int seccomp_prepare(const spec_seccomp *sc, struct berth_seccomp **out, berth_error **err) {
  return seccomp_prepare_cached(sc, NULL, out, err);
}

int seccomp_load_prepared(struct berth_seccomp *p, int *notify_fd, berth_error **err) {
  struct sock_fprog prog = {.len = (unsigned short)p->n_insns, .filter = p->insns};
  if (notify_fd != NULL)
    *notify_fd = -1;
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
  if (rc < 0 && errno == EACCES)
    return berth_fail_errno_id(err, "BERTH-E-SECCOMP-LOAD",
                               "loading the seccomp filter (without noNewPrivileges this "
                               "needs CAP_SYS_ADMIN)");
  if (rc < 0)
    return berth_fail_errno_id(err, "BERTH-E-SECCOMP-LOAD", "loading the seccomp filter");
  if (p->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    if (notify_fd != NULL)
      *notify_fd = (int)rc;
    else
      close((int)rc);
  }
  return 0;
}

void seccomp_free(struct berth_seccomp *p) {
  if (p == NULL)
    return;
  free(p->insns);
  free(p);
}

bool seccomp_prepared_uses_notify(const struct berth_seccomp *p) {
  return (p->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0;
}

bool seccomp_prepared_from_cache(const struct berth_seccomp *p) {
  return p->from_cache;
}

size_t seccomp_prepared_length(const struct berth_seccomp *p) {
  return p->n_insns;
}

const struct sock_filter *seccomp_prepared_program(const struct berth_seccomp *p) {
  return p->insns;
}

unsigned seccomp_prepared_flags(const struct berth_seccomp *p) {
  return p->flags;
}
