/* The body of the mkdir helper (mkdir_helper.c): a process that shares the
 * runtime's memory, its stack and its thread-local storage included, so it
 * may not touch the C library (whose errno and locks it would share).
 * Built as freestanding code, with raw system calls only. */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "cgroup/mkdir_helper.h"
#include "linux/raw_syscall.h"

int cg_mkdir_helper_main(void *arg) {
  struct cg_mkdir_batch *b = arg;
  /* Nothing more is made once the runtime is gone: what was made by then
   * a delete finds from the config's cgroupsPath. */
  raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (raw_syscall(SYS_getppid, 0, 0, 0, 0, 0) != b->parent)
    return 0;
  for (unsigned i = 0; i < b->n; i++)
    if (b->path[i] != 0)
      b->result[i] = (int)raw_syscall(SYS_mkdirat, AT_FDCWD, b->path[i], 0755, 0, 0);
  return 0;
}
