/* The container's init: the child side of create. It runs in the cloned
 * process (no re-exec of berth), sets the container up from inside, reports
 * each step to the parent, blocks on exec.fifo, and execs the user's
 * program. It never returns. */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "error.h"
#include "spec.h"
#include "state.h"

struct init_ctx {
  const spec *spec;
  container_state *state; /* pid is filled in from the parent's GO */
  const char *bundle;
  const char *rootfs;
  int sync_fd;
  int fifo_fd;       /* O_PATH descriptor of exec.fifo; -1 for run, which has none */
  int extra_fds;     /* LISTEN_FDS + --preserve-fds, kept open from fd 3 */
  int listen_fds;    /* how many of those are systemd socket activation */
  bool no_pivot;
  bool no_new_keyring;
  struct berth_seccomp *seccomp; /* compiled by the parent, or NULL */
  struct idmap_trees *idmap;     /* idmapped mount trees from the parent, or NULL */
  struct cgroup *cg;             /* the container's, or NULL */
  enum cgroup_entry cg_entry;    /* how this process gets into cg */
  bool started_beside;           /* kept off the parent's CPU until JOINED */
  bool joined;                   /* JOINED came: this process is in its cgroups */
};

/* process_notify_fn for init and exec: send SECCOMP over the sync socket
 * (arg points to its fd) and wait until the parent has the listener. */
int hand_over_listener(void *arg, int notify_fd, berth_error **err);

__attribute__((noreturn)) void container_init(struct init_ctx *ctx);

/* Whether the init stops before pivot_root for the parent to run the
 * prestart and createRuntime hooks (HOOKS, HOOKS_DONE in sync.h). Without
 * such hooks neither side waits on the other there. */
static inline bool init_waits_for_runtime_hooks(const spec *s) {
  return s->hooks[HOOK_PRESTART].n > 0 || s->hooks[HOOK_CREATE_RUNTIME].n > 0;
}

#endif
