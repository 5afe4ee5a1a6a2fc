#include "cli_util.h"
#include "commands.h"
#include "container.h"

int cmd_start(struct cli_globals *g, int argc, char **argv) {
  const struct opt_def defs[] = {{0}};
  const struct opt_command_help help = {"start",
                                        "executes the user defined process in a created container",
                                        "<container-id>", NULL};
  const char *id;
  int rc = cli_parse_id(&help, defs, argc, argv, &id, NULL);
  if (rc >= 0)
    return rc;
  berth_error *err = NULL;
  return container_start(g->root, id, &err) < 0 ? cli_fail(NULL, err) : 0;
}
