/* clone(2) used like fork(2) (no CLONE_VM, no new stack), for namespace
 * flags that fork cannot take and for kernels without clone3. */
#ifndef BERTH_LINUX_CLONE_FORK_H
#define BERTH_LINUX_CLONE_FORK_H

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The raw system call's arguments are in an architecture's own order:
 * s390 takes the new stack first and the flags second (the kernel's
 * CLONE_BACKWARDS2), everyone else the flags first. Passing the flags
 * first on s390x would start the child with `flags` as its stack pointer
 * and no flags at all. The other arguments are all zero here. */
static inline pid_t clone_fork(unsigned long flags) {
#if defined(__s390__)
  return (pid_t)syscall(SYS_clone, 0UL, flags, 0UL, 0UL, 0UL);
#else
  return (pid_t)syscall(SYS_clone, flags, 0UL, 0UL, 0UL, 0UL);
#endif
}

#endif
