/* kill and delete. */
#include <signal.h>
#include <stdlib.h>

#include "cli_util.h"
#include "commands.h"
#include "container.h"
#include "log.h"

int cmd_kill(struct cli_globals *g, int argc, char **argv) {
  bool all = false;
  const struct opt_def defs[] = {
      {"all", 'a', OPT_BOOL, &all, NULL, NULL}, /* obsolete in runc, still sent by callers */
      {0},
  };
  const struct opt_command_help help = {
      "kill", "kill sends the specified signal (default: SIGTERM) to the container's init process",
      "<container-id> [signal]", NULL};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_MIN);
  if (rc < 0 && npos > 2)
    rc = opts_check_args(&help, defs, npos, 2, OPT_ARGS_MAX);
  if (rc >= 0) {
    free(pos);
    return rc;
  }
  int sig = npos > 1 ? cli_parse_signal(pos[1]) : SIGTERM;
  if (sig < 0) {
    cli_log_error("unknown signal \"%s\"", pos[1]);
    free(pos);
    return 1;
  }
  berth_error *err = NULL;
  rc = container_kill(g->root, pos[0], sig, all, &err) < 0 ? cli_fail(NULL, err) : 0;
  free(pos);
  return rc;
}

int cmd_delete(struct cli_globals *g, int argc, char **argv) {
  bool force = false;
  const struct opt_def defs[] = {
      {"force", 'f', OPT_BOOL, &force,
       "Forcibly deletes the container if it is still running (uses SIGKILL)", NULL},
      {0},
  };
  const struct opt_command_help help = {"delete", "delete any resources held by the container "
                                                  "often used with detached container",
                                        "<container-id>", NULL};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc < 0) {
    berth_error *err = NULL;
    rc = container_delete(g->root, pos[0], force, &err) < 0 ? cli_fail(NULL, err) : 0;
  }
  free(pos);
  return rc;
}
