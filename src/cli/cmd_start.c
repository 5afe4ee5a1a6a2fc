#include <stdlib.h>

#include "cli_util.h"
#include "commands.h"
#include "container.h"

int cmd_start(struct cli_globals *g, int argc, char **argv) {
  const struct opt_def defs[] = {{0}};
  const struct opt_command_help help = {"start",
                                        "executes the user defined process in a created container",
                                        "<container-id>", NULL};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc < 0) {
    berth_error *err = NULL;
    rc = container_start(g->root, pos[0], &err) < 0 ? cli_fail(NULL, err) : 0;
  }
  free(pos);
  return rc;
}
