/* System calls that return -errno instead of setting errno, for code that
 * may run before the C library is set up (early_entry.c): errno lives in
 * thread-local storage, which does not exist yet there. On x86_64 the
 * instruction itself; elsewhere (where no code runs that early) the C
 * library's syscall(), its errno turned into the return value. */
#ifndef BERTH_RAW_SYSCALL_H
#define BERTH_RAW_SYSCALL_H

#if defined(__x86_64__)
static inline long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#else
#include <errno.h>
#include <unistd.h>
static inline long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
  long ret = syscall(nr, a, b, c, d, e, f);
  return ret == -1 ? -errno : ret;
}
#endif

#define raw_syscall(nr, a, b, c, d, e) raw_syscall6((nr), (long)(a), (long)(b), (long)(c), \
                                                    (long)(d), (long)(e), 0)

#endif
