/* Small pieces shared by the lifecycle commands. */
#ifndef BERTH_CLI_UTIL_H
#define BERTH_CLI_UTIL_H

#include <stdbool.h>

#include "commands.h"
#include "error.h"
#include "opts.h"

/* Log `err` (prefixed with `prefix` when not NULL), free it, return 1. */
int cli_fail(const char *prefix, berth_error *err);
/* Parse the command's words; handles --help and usage errors. Returns -1
 * to continue, otherwise the exit status to return. */
int cli_parse(const struct opt_command_help *cmd, const struct opt_def *defs, int argc,
              char **argv, bool stop_at_positional, const char ***pos, size_t *npos,
              size_t want, enum opt_arg_count how);
/* For a command on one container: "<container-id>", and with `word` not
 * NULL one more optional word ("[signal]"). *id and *word (NULL when
 * absent) point into argv. Returns -1 to continue, otherwise the exit
 * status to return, as cli_parse. */
int cli_parse_id(const struct opt_command_help *cmd, const struct opt_def *defs, int argc,
                 char **argv, const char **id, const char **word);
/* For a command that takes no words but its options (list, check).
 * Returns -1 to continue, otherwise the exit status, as cli_parse. */
int cli_parse_no_args(const struct opt_command_help *cmd, const struct opt_def *defs, int argc,
                      char **argv);
/* --rootless true|false|auto; auto means "not running as root". */
bool cli_is_rootless(const struct cli_globals *g);
/* SIGTERM, TERM, 15 -> 15; -1 when unknown. */
int cli_parse_signal(const char *s);

#endif
