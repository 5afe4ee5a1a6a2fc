/* create and run: the same flags, and run is create + start (+ wait). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "container.h"
#include "linux/terminal.h"
#include "log.h"

struct create_flags {
  const char *bundle, *console_socket, *pidfd_socket, *pid_file;
  bool no_pivot, no_new_keyring;
  long preserve_fds;
  bool detach, keep, no_subreaper;
};

#define CREATE_OPTS(f)                                                                       \
  {"bundle", 'b', OPT_STRING, &(f).bundle,                                                    \
   "path to the root of the bundle directory, defaults to the current directory", "value"},  \
  {"console-socket", 0, OPT_STRING, &(f).console_socket,                                      \
   "path to an AF_UNIX socket which will receive a file descriptor referencing the master "   \
   "end of the console's pseudoterminal", "value"},                                           \
  {"pidfd-socket", 0, OPT_STRING, &(f).pidfd_socket,                                          \
   "path to an AF_UNIX socket which will receive a file descriptor referencing the init "     \
   "process", "value"},                                                                       \
  {"pid-file", 0, OPT_STRING, &(f).pid_file, "specify the file to write the process id to",   \
   "value"},                                                                                  \
  {"no-pivot", 0, OPT_BOOL, &(f).no_pivot,                                                    \
   "do not use pivot root to jail process inside rootfs.", NULL},                             \
  {"no-new-keyring", 0, OPT_BOOL, &(f).no_new_keyring,                                        \
   "do not create a new session keyring for the container.", NULL},                           \
  {"preserve-fds", 0, OPT_INT, &(f).preserve_fds,                                             \
   "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)",  \
   "value"}

static struct create_opts to_create_opts(const struct cli_globals *g, const struct create_flags *f,
                                         const char *id) {
  struct create_opts o = {
      .root = g->root, .id = id, .bundle = f->bundle, .pid_file = f->pid_file,
      .console_socket = f->console_socket, .pidfd_socket = f->pidfd_socket,
      .no_pivot = f->no_pivot, .no_new_keyring = f->no_new_keyring,
      .systemd_cgroup = g->systemd_cgroup, .rootless = cli_is_rootless(g),
      .preserve_fds = (int)f->preserve_fds, .ensure_sealed_binary = cli_ensure_sealed_binary};
  return o;
}

int cmd_create(struct cli_globals *g, int argc, char **argv) {
  struct create_flags f = {0};
  const struct opt_def defs[] = {CREATE_OPTS(f), {0}};
  const struct opt_command_help help = {"create", "create a container", "<container-id>",
                                        "The create command creates an instance of a container "
                                        "for a bundle."};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc >= 0) {
    free(pos);
    return rc;
  }
  if (f.preserve_fds < 0) {
    free(pos);
    cli_log_error("--preserve-fds must be zero or positive");
    return 1;
  }
  struct create_opts o = to_create_opts(g, &f, pos[0]);
  struct create_result res;
  berth_error *err = NULL;
  rc = container_create(&o, &res, &err) < 0 ? cli_fail("berth create failed", err) : 0;
  free(pos);
  return rc;
}

/* run is create with start folded in (create_opts.start): a failure after
 * the container exists is start's, and leaves what `start` would leave. */
static int run_detached(struct create_opts *o) {
  struct create_result res;
  berth_error *err = NULL;
  o->start = true;
  if (container_create(o, &res, &err) < 0) {
    int rc = cli_fail("berth run failed", err);
    err = NULL; /* cli_fail freed it */
    if (res.created)
      container_delete(o->root, o->id, true, &err);
    berth_error_free(err);
    return rc;
  }
  return 0;
}

static int run_foreground(struct create_opts *o, const struct create_flags *f) {
  if (!f->no_subreaper)
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  o->keep_pty_master = true;
  o->start = true;
  struct create_result res;
  berth_error *err = NULL;
  int rc;
  int status = 0;
  if (container_create(o, &res, &err) < 0) {
    rc = cli_fail("berth run failed", err);
    err = NULL;
    if (!res.created)
      return rc;
  } else if (foreground_wait(res.pid, res.pty_master, &status, &err) < 0) {
    rc = cli_fail("berth run failed", err);
    err = NULL;
  } else {
    rc = foreground_exit_code(status);
  }
  if (res.pty_master >= 0)
    close(res.pty_master);
  if (!f->keep && container_delete(o->root, o->id, true, &err) < 0)
    cli_fail("delete after run", err);
  return rc;
}

int cmd_run(struct cli_globals *g, int argc, char **argv) {
  struct create_flags f = {0};
  const struct opt_def defs[] = {
      CREATE_OPTS(f),
      {"detach", 'd', OPT_BOOL, &f.detach, "detach from the container's process", NULL},
      {"keep", 0, OPT_BOOL, &f.keep, "do not delete the container after it exits", NULL},
      {"no-subreaper", 0, OPT_BOOL, &f.no_subreaper, "disable the use of the subreaper used to "
                                                     "reap reparented processes", NULL},
      {0},
  };
  const struct opt_command_help help = {"run", "create and run a container", "<container-id>",
                                        "The run command creates an instance of a container for "
                                        "a bundle."};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc >= 0) {
    free(pos);
    return rc;
  }
  struct create_opts o = to_create_opts(g, &f, pos[0]);
  if (f.detach) {
    rc = run_detached(&o);
  } else if (f.console_socket != NULL) {
    cli_log_error_id("BERTH-E-TERMINAL-SOCKET-UNUSED",
                     "berth run failed: cannot use console socket if berth will not detach");
    rc = 1;
  } else {
    rc = run_foreground(&o, &f);
  }
  free(pos);
  return rc;
}
