/* Turning a spec_process into the running program: the steps the
 * container's init and `exec` share, in one place, so both apply the
 * same rules in the same order. Runs inside the container's namespaces
 * and root. */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include <limits.h>

#include "error.h"
#include "spec.h"

struct process_launch {
  const spec_process *p;
  int listen_fds; /* systemd socket activation fds, from fd 3 */
  int extra_fds;  /* all fds kept from fd 3: listen_fds + --preserve-fds */
  /* filled by process_setup */
  char **env;
  char exe[PATH_MAX];
};

/* rlimits, umask, cwd, user and groups, capabilities, environment, the
 * executable's lookup in $PATH, no_new_privs. The order matters: cwd is
 * created as root but entered as the user; the lookup runs as the user. */
int process_setup(struct process_launch *l, berth_error **err);
/* Only 0-2 and the kept fds survive execve. */
void process_close_extra_fds(const struct process_launch *l);
/* execve; on failure print to stderr and exit 127/126 (no one is left
 * to report to). */
__attribute__((noreturn)) void process_exec(struct process_launch *l);

#endif
