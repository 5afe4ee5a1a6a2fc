/* What berth assumes about the architecture it was built for, checked on
 * each one (tests/cross runs this under qemu-user for arm64, ppc64le,
 * s390x and riscv64): the seccomp architecture, the numbers of the system
 * calls it makes with syscall(2), the layouts of the structs it hands the
 * kernel, and the argument order of raw clone(2). */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/clone_fork.h"
#include "linux/seccomp.h"
#include "spec.h"
#include "unit.h"

/* The architecture this file was compiled for, as the compiler says it;
 * libseccomp's native one is a separate answer from its own build. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define ARCH_SPEC "SCMP_ARCH_X86_64"
#define ARCH_NAME "x86_64"
#define ARCH_AUDIT AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define ARCH_SPEC "SCMP_ARCH_AARCH64"
#define ARCH_NAME "aarch64"
#define ARCH_AUDIT AUDIT_ARCH_AARCH64
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define ARCH_SPEC "SCMP_ARCH_PPC64LE"
#define ARCH_NAME "ppc64le"
#define ARCH_AUDIT AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define ARCH_SPEC "SCMP_ARCH_S390X"
#define ARCH_NAME "s390x"
#define ARCH_AUDIT AUDIT_ARCH_S390X
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH_SPEC "SCMP_ARCH_RISCV64"
#define ARCH_NAME "riscv64"
#define ARCH_AUDIT AUDIT_ARCH_RISCV64
#else
#error "test_arch: add this architecture's seccomp and audit names"
#endif

/* The structs' first published sizes and offsets: every field is a __u64,
 * so they are the same everywhere, and a header that disagrees would make
 * the kernel read the wrong fields. */
_Static_assert(sizeof(struct clone_args) >= CLONE_ARGS_SIZE_VER2, "clone_args too small");
_Static_assert(offsetof(struct clone_args, exit_signal) == 32 &&
                   offsetof(struct clone_args, set_tid_size) == 72 &&
                   offsetof(struct clone_args, cgroup) == 80,
               "clone_args layout");
_Static_assert(sizeof(struct open_how) == 24 && offsetof(struct open_how, mode) == 8 &&
                   offsetof(struct open_how, resolve) == 16,
               "open_how layout");
_Static_assert(sizeof(struct mount_attr) == MOUNT_ATTR_SIZE_VER0 && MOUNT_ATTR_SIZE_VER0 == 32 &&
                   offsetof(struct mount_attr, propagation) == 16 &&
                   offsetof(struct mount_attr, userns_fd) == 24,
               "mount_attr layout");
_Static_assert(offsetof(struct seccomp_data, nr) == 0 && offsetof(struct seccomp_data, arch) == 4 &&
                   offsetof(struct seccomp_data, args) == 16,
               "seccomp_data layout");

static void test_seccomp_native(void) {
  CHECK(seccomp_arch_native() == ARCH_AUDIT);
  CHECK(seccomp_arch_resolve_name(ARCH_NAME) == ARCH_AUDIT);
}

/* The system calls berth makes by number (syscall(2), and glibc's thin
 * wrappers for the mount API), as this libc's headers number them and as
 * libseccomp's own table does: two sources that must agree. */
static const struct {
  const char *name;
  long nr;
} raw_calls[] = {
    {"clone", SYS_clone}, {"clone3", SYS_clone3}, {"openat2", SYS_openat2},
    {"pidfd_open", SYS_pidfd_open}, {"pidfd_send_signal", SYS_pidfd_send_signal},
    {"pidfd_getfd", SYS_pidfd_getfd}, {"keyctl", SYS_keyctl}, {"pivot_root", SYS_pivot_root},
    {"ioprio_set", SYS_ioprio_set}, {"sched_setattr", SYS_sched_setattr},
    {"set_mempolicy", SYS_set_mempolicy}, {"seccomp", SYS_seccomp}, {"bpf", SYS_bpf},
    {"close_range", SYS_close_range}, {"mount_setattr", SYS_mount_setattr},
    {"open_tree", SYS_open_tree}, {"move_mount", SYS_move_mount}, {"fsopen", SYS_fsopen},
    {"fsconfig", SYS_fsconfig}, {"fsmount", SYS_fsmount}, {"personality", SYS_personality},
    {"mkdirat", SYS_mkdirat}, {"getppid", SYS_getppid},
};

static void test_syscall_numbers(void) {
  for (size_t i = 0; i < sizeof(raw_calls) / sizeof(raw_calls[0]); i++) {
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, raw_calls[i].name);
    if (nr != raw_calls[i].nr)
      fprintf(stderr, "%s: libc says %ld, libseccomp %d\n", raw_calls[i].name, raw_calls[i].nr,
              nr);
    CHECK(nr == raw_calls[i].nr);
  }
}

/* berth's own list of architecture names knows the native one, and the
 * program it compiles for it tests seccomp_data.arch against this
 * architecture's AUDIT_ARCH before anything else. */
static void test_filter_checks_native_arch(void) {
  char doc[512];
  snprintf(doc, sizeof(doc),
           "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"seccomp\":"
           "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"%s\"],\"syscalls\":["
           "{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
           ARCH_SPEC);
  spec *s = NULL;
  struct berth_seccomp *p = NULL;
  berth_error *e = NULL;
  if (spec_parse(doc, strlen(doc), "config.json", &s, &e) < 0 ||
      seccomp_prepare(s->linux.seccomp, &p, &e) < 0)
    fprintf(stderr, "native filter: %s\n", berth_error_text(e));
  berth_error_free(e);
  spec_free(s);
  CHECK(p != NULL);
  if (p == NULL)
    return;
  const struct sock_filter *f = seccomp_prepared_program(p);
  size_t n = seccomp_prepared_length(p);
  bool loads_arch = false, tests_native = false;
  for (size_t i = 0; i + 1 < n && !tests_native; i++) {
    if (f[i].code == (BPF_LD | BPF_W | BPF_ABS) &&
        f[i].k == offsetof(struct seccomp_data, arch)) {
      loads_arch = true;
      tests_native = f[i + 1].code == (BPF_JMP | BPF_JEQ | BPF_K) && f[i + 1].k == ARCH_AUDIT;
    }
  }
  CHECK(loads_arch);
  CHECK(tests_native);
  seccomp_free(p);
}

/* clone_fork puts the flags where this architecture's clone(2) wants them:
 * with them in the stack's place the child would crash and, without
 * SIGCHLD as its exit signal, never be reported by waitpid(). */
static void test_clone_fork_argument_order(void) {
  pid_t pid = clone_fork(SIGCHLD);
  if (pid == 0)
    _exit(42);
  CHECK(pid > 0);
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
}

int main(void) {
  test_seccomp_native();
  test_syscall_numbers();
  test_filter_checks_native_arch();
  test_clone_fork_argument_order();
  return unit_summary("arch");
}
