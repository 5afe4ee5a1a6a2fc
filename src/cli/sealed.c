/* The read-only view of berth (or its sealed copy) that create and exec
 * re-execute from: the command line it is started with, kept by main
 * before the command runs. */
#include <stdbool.h>
#include <unistd.h>

#include "commands.h"
#include "linux/cloned_binary.h"

extern char **environ;

static int saved_argc;
static char **saved_argv;

void cli_keep_argv(int argc, char **argv) {
  saved_argc = argc;
  saved_argv = argv;
}

void cli_ensure_sealed_binary(void) {
  /* Once per process: a second look would find the same binary. */
  static bool checked;
  if (checked)
    return;
  checked = true;
  /* On failure berth goes on with the weaker protection of non-dumpable
   * clones (see cloned_binary.h). */
  cloned_binary_ensure(saved_argc, saved_argv, environ);
}
