#include <stdlib.h>

#include "cli_util.h"
#include "commands.h"
#include "exec.h"
#include "log.h"

int cmd_exec(struct cli_globals *g, int argc, char **argv) {
  struct exec_opts o = {.root = g->root, .ensure_sealed_binary = cli_ensure_sealed_binary};
  struct opt_list env = {0}, gids = {0}, caps = {0}, cgroups = {0};
  long preserve_fds = 0;
  const struct opt_def defs[] = {
      {"console-socket", 0, OPT_STRING, &o.console_socket, "path to an AF_UNIX socket which will "
       "receive a file descriptor referencing the master end of the console's pseudoterminal",
       "value"},
      {"pidfd-socket", 0, OPT_STRING, &o.pidfd_socket, "path to an AF_UNIX socket which will "
       "receive a file descriptor referencing the exec process", "value"},
      {"cwd", 0, OPT_STRING, &o.cwd, "current working directory in the container", "value"},
      {"env", 'e', OPT_LIST, &env, "set environment variables", "value"},
      {"tty", 't', OPT_BOOL, &o.tty, "allocate a pseudo-TTY", NULL},
      {"user", 'u', OPT_STRING, &o.user, "UID (format: <uid>[:<gid>])", "value"},
      {"additional-gids", 'g', OPT_LIST, &gids, "additional gids", "value"},
      {"process", 'p', OPT_STRING, &o.process_file, "path to the process.json", "value"},
      {"detach", 'd', OPT_BOOL, &o.detach, "detach from the container's process", NULL},
      {"pid-file", 0, OPT_STRING, &o.pid_file, "specify the file to write the process id to",
       "value"},
      {"process-label", 0, OPT_STRING, &o.process_label, "set the asm process label for the "
       "process commonly used with selinux", "value"},
      {"apparmor", 0, OPT_STRING, &o.apparmor, "set the apparmor profile for the process",
       "value"},
      {"no-new-privs", 0, OPT_BOOL, &o.no_new_privs, "set the no new privileges value for the "
       "process", NULL},
      {"cap", 'c', OPT_LIST, &caps, "add a capability to the bounding set for the process",
       "value"},
      {"preserve-fds", 0, OPT_INT, &preserve_fds, "Pass N additional file descriptors to the "
       "container (stdio + $LISTEN_FDS + N in total)", "value"},
      {"cgroup", 0, OPT_LIST, &cgroups, "run the process in an (existing) sub-cgroup(s). Format "
       "is [<controller>:]<cgroup>.", "value"},
      {"ignore-paused", 0, OPT_BOOL, &o.ignore_paused, "allow exec in a paused container", NULL},
      {0},
  };
  const struct opt_command_help help = {"exec", "execute new process inside the container",
                                        "<container-id> <command> [command options]  || "
                                        "-p process.json <container-id>", NULL};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, true, &pos, &npos, 1, OPT_ARGS_MIN);
  if (rc >= 0)
    goto out;
  o.id = pos[0];
  o.args = pos + 1;
  o.n_args = npos - 1;
  o.env = env.v;
  o.n_env = env.n;
  o.additional_gids = gids.v;
  o.n_additional_gids = gids.n;
  o.caps = caps.v;
  o.n_caps = caps.n;
  o.cgroups = cgroups.v;
  o.n_cgroups = cgroups.n;
  o.preserve_fds = (int)preserve_fds;
  int exit_code = 255;
  berth_error *err = NULL;
  if (container_exec(&o, &exit_code, &err) < 0) {
    cli_fail("exec failed", err);
    rc = 255;
  } else {
    rc = exit_code;
  }
out:
  free(pos);
  opts_list_free(&env);
  opts_list_free(&gids);
  opts_list_free(&caps);
  opts_list_free(&cgroups);
  return rc;
}
