/* Turning a spec_process into the running program: the steps the
 * container's init and `exec` share, in one place, so both apply the
 * same rules in the same order. Runs inside the container's namespaces
 * and root. */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include <limits.h>

#include "error.h"
#include "spec.h"

struct berth_seccomp;

/* Hands a seccomp listener fd to whoever forwards it to listenerPath;
 * returns once the fd may be closed. */
typedef int (*process_notify_fn)(void *arg, int notify_fd, berth_error **err);

struct process_launch {
  const spec_process *p;
  struct berth_seccomp *seccomp; /* compiled before entering; NULL for none */
  process_notify_fn on_notify_fd;
  void *notify_arg;
  const spec_personality *personality;     /* linux.personality, may be NULL */
  const spec_memory_policy *memory_policy; /* linux.memoryPolicy, may be NULL */
  int listen_fds; /* systemd socket activation fds, from fd 3 */
  int extra_fds;  /* all fds kept from fd 3: listen_fds + --preserve-fds */
  /* filled by process_setup */
  char **env;
  char exe[PATH_MAX];
};

/* rlimits, umask, cwd, user and groups, capabilities, environment, the
 * executable's lookup in $PATH, no_new_privs, seccomp. The order matters:
 * cwd is entered as the user; the lookup runs as the user; seccomp comes last with no_new_privs, and before the capability
 * drop without it (loading a filter then needs CAP_SYS_ADMIN), as runc. */
int process_setup(struct process_launch *l, berth_error **err);
/* The container's init makes process.cwd when it is missing, as runc:
 * as root, inside the new root, before root.readonly takes effect. */
void process_make_cwd(const char *cwd);
/* Close, right away, every descriptor from 3 up except the first
 * `extra_fds` (passed to the container) and the `n` in `keep` (the
 * runtime's own, all close-on-exec). A caller's stray descriptors then
 * never sit in the container's namespaces while it is set up. */
void process_close_fds_except(int extra_fds, const int *keep, size_t n);
/* The final CPU affinity, then execve; returns only on failure. */
int process_exec(struct process_launch *l, berth_error **err);

#endif
