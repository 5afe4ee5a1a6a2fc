/* The container lifecycle, as the berth commands drive it. */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct create_opts {
  const char *root;
  const char *id;
  const char *bundle; /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  const char *pidfd_socket;
  bool no_pivot;
  bool no_new_keyring;
  bool systemd_cgroup;
  /* Unprivileged: a cgroup that cannot be made is skipped, as runc does. */
  bool rootless;
  int preserve_fds;
  /* Foreground `run` with a terminal keeps the pty master itself instead of
   * sending it to a console socket. */
  bool keep_pty_master;
  /* `run`: start the container as soon as it is created, in the same
   * process and under the same lock. There is no exec.fifo: the init
   * execs the program on SAVED, and the end of the sync socket tells
   * that it did. */
  bool start;
  /* Re-executes berth from a read-only view or a sealed copy of itself
   * (cloned_binary.h),
   * before the config is loaded and anything is made: a process
   * in the container can reach the binary of berth's clones, if only by
   * exec'ing /proc/self/exe. May be NULL. */
  void (*ensure_sealed_binary)(void);
};

struct create_result {
  pid_t pid;
  int pty_master; /* -1 unless keep_pty_master and process.terminal */
  /* With `start`: the container exists, so a failure from here on is one
   * of start's, and the caller deletes what is left, as after `start`. */
  bool created;
};

int container_create(const struct create_opts *o, struct create_result *res, berth_error **err);
int container_start(const char *root, const char *id, berth_error **err);
/* Signal the init (or, with `all` or SIGKILL without a private pid
 * namespace, every process in the cgroup). */
int container_kill(const char *root, const char *id, int sig, bool all, berth_error **err);
int container_delete(const char *root, const char *id, bool force, berth_error **err);
/* The OCI state object; the caller owns it. */
int container_get_state(const char *root, const char *id, json_t **out, berth_error **err);
/* Freeze (pause) or thaw (resume) every process of the container. */
int container_pause(const char *root, const char *id, bool pause, berth_error **err);
/* Host pids of every process in the container's cgroup; caller frees. */
int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, berth_error **err);
/* Array of state objects plus "owner", for `list`. */
int container_list(const char *root, json_t **out, berth_error **err);

#endif
