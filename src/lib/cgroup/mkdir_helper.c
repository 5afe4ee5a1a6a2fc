/* Making a container's v1 directories in the background. A new v1 memory
 * cgroup costs the kernel 0.4 ms here, most of it allocating a shrinker map
 * for every possible NUMA node while holding the mutex that every new
 * superblock takes too: made after the clone, it held up the init's own
 * mounts. Made by a helper process on another CPU from before the clone,
 * it overlaps the clone itself (0.5 ms of namespace creation), and the
 * directories are there, or nearly, by the time the init needs them.
 *
 * The helper shares the runtime's memory (clone with CLONE_VM, no thread
 * of the C library: a thread would be copied, half-made, into the init
 * by its clone, and the C library's set*id broadcast there would wait on
 * it forever). It only calls mkdir, with raw system calls
 * (mkdir_helper_main.c); the runtime waits for it before it reads the
 * results, fills in a new cpuset, records what was made, or removes the
 * cgroup. x86_64 only, where the raw system call is an instruction;
 * elsewhere the runtime makes the directories itself. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "linux/proc_controls.h"
#include "mkdir_helper.h"

/* The helper's stack: it makes a few system calls and nothing else. */
#define HELPER_STACK 16384

struct cg_mkdir_helper {
  pid_t pid;
  struct cg_mkdir_batch batch;
  unsigned char stack[HELPER_STACK] __attribute__((aligned(16)));
};

void cg_mkdir_helper_start(cgroup *cg) {
#if defined(__x86_64__)
  size_t n = 0;
  for (size_t i = 0; i < cg->n_dirs; i++)
    n += !cg->dirs[i].unified;
  if (n == 0 || cg->n_dirs > CG_MKDIR_HELPER_MAX)
    return;
  struct cg_mkdir_helper *h = malloc(sizeof(*h));
  if (h == NULL)
    return;
  h->batch.parent = getpid();
  h->batch.n = (unsigned)cg->n_dirs;
  for (size_t i = 0; i < cg->n_dirs; i++) {
    h->batch.path[i] = cg->dirs[i].unified ? NULL : cg->dirs[i].path;
    h->batch.result[i] = CG_MKDIR_NOT_TRIED;
  }
  /* No exit signal: waited for with __WALL, and never by a wait for any
   * child of the runtime's. */
  h->pid = clone(cg_mkdir_helper_main, h->stack + sizeof(h->stack), CLONE_VM, &h->batch);
  if (h->pid < 0) {
    free(h);
    return;
  }
  /* Left to itself, the kernel queues a new child behind its parent,
   * which is about to be busy with the clone. */
  proc_start_beside(h->pid);
  cg->mkdir_helper = h;
#else
  (void)cg;
#endif
}

bool cgroup_v1_in_background(const cgroup *cg) {
  return cg != NULL && cg->mkdir_helper != NULL;
}

/* A helper still at work (the memory directory, mostly) runs on a CPU
 * other than the runtime's (proc_start_beside), and the runtime's child,
 * cloned meanwhile, was queued on the runtime's: the runtime waits with
 * the helper's CPUs (all but its own), which leaves its CPU to the child
 * and wakes it on one of those, where the helper ends, instead of behind
 * the child (0.1 to 0.2 ms of `run`, traced). */
void cg_mkdir_helper_wait(cgroup *cg) {
  struct cg_mkdir_helper *h = cg->mkdir_helper;
  if (h == NULL || h->pid <= 0)
    return;
  pid_t done;
  while ((done = waitpid(h->pid, NULL, __WALL | WNOHANG)) < 0 && errno == EINTR)
    ;
  if (done == 0) {
    cpu_set_t own;
    bool moved = proc_move_to_cpus_of(h->pid, &own);
    while (waitpid(h->pid, NULL, __WALL) < 0 && errno == EINTR)
      ;
    if (moved)
      proc_restore_cpus(&own);
  }
  h->pid = 0;
}

bool cg_mkdir_helper_made(const cgroup *cg, size_t i) {
  const struct cg_mkdir_helper *h = cg->mkdir_helper;
  return h != NULL && h->pid == 0 && i < h->batch.n && h->batch.result[i] == 0;
}

void cg_mkdir_helper_release(cgroup *cg) {
  cg_mkdir_helper_wait(cg);
  free(cg->mkdir_helper);
  cg->mkdir_helper = NULL;
}
