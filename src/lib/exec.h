/* `exec`: another process inside a running container. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct exec_opts {
  const char *root;
  const char *id;
  /* The process: from --process FILE, or the container's own process with
   * the overrides below. */
  const char *process_file;
  const char *const *args;
  size_t n_args;
  const char *cwd;
  const char *const *env;
  size_t n_env;
  bool tty;
  const char *user; /* "UID[:GID]", numbers only */
  const char *const *additional_gids;
  size_t n_additional_gids;
  bool no_new_privs;
  const char *const *caps;
  size_t n_caps;
  const char *apparmor;
  const char *process_label;
  /* How it runs. */
  const char *console_socket;
  const char *pidfd_socket;
  const char *pid_file;
  const char *const *cgroups; /* --cgroup, repeatable */
  size_t n_cgroups;
  bool detach;
  bool ignore_paused;
  int preserve_fds;
  void (*ensure_sealed_binary)(void); /* as in create_opts; may be NULL */
};

/* Runs the process; with detach it returns once the process has exec'd,
 * otherwise when it exits, with its status in *exit_code (128+signal when
 * killed). */
int container_exec(const struct exec_opts *o, int *exit_code, berth_error **err);

#endif
