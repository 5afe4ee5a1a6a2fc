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
  const char *id, *signal;
  int rc = cli_parse_id(&help, defs, argc, argv, &id, &signal);
  if (rc >= 0)
    return rc;
  int sig = signal != NULL ? cli_parse_signal(signal) : SIGTERM;
  if (sig < 0) {
    cli_log_error("unknown signal \"%s\"", signal);
    return 1;
  }
  berth_error *err = NULL;
  return container_kill(g->root, id, sig, all, &err) < 0 ? cli_fail(NULL, err) : 0;
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
  const char *id;
  int rc = cli_parse_id(&help, defs, argc, argv, &id, NULL);
  if (rc >= 0)
    return rc;
  berth_error *err = NULL;
  return container_delete(g->root, id, force, &err) < 0 ? cli_fail(NULL, err) : 0;
}
