/* runc-compatible option parsing (urfave/cli v1 rules): `--opt value`,
 * `--opt=value`, single-dash long options (`-bundle`, `-no-subreaper`),
 * short options (`-d`), boolean flags with optional `=true|false`,
 * repeatable options, and flags after positional arguments unless the
 * command forbids it (exec). */
#ifndef BERTH_OPTS_H
#define BERTH_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum opt_kind {
  OPT_BOOL,   /* bool *target */
  OPT_STRING, /* const char **target (points into argv) */
  OPT_INT,    /* long *target; decimal */
  OPT_LIST,   /* struct opt_list *target; repeatable string */
};

struct opt_list {
  const char **v; /* heap array of pointers into argv */
  size_t n;
};

struct opt_def {
  const char *name; /* long name without dashes, e.g. "pid-file" */
  char short_name;  /* 0 when none */
  enum opt_kind kind;
  void *target;
  const char *help; /* NULL hides it from --help (obsolete flags) */
  const char *value_name; /* for --help, e.g. "PATH" */
};

/* Parse argv[0..argc) (the words after the command name). Positional
 * arguments are collected, in order, into *pos / *npos (a heap array of
 * pointers into argv). With stop_at_positional, everything from the first
 * positional on is positional (exec's `ID COMMAND ARGS...`). `--` ends
 * options. `--help`/`-h` sets *help. Errors use urfave's words:
 * "flag provided but not defined: -x", "flag needs an argument: -x",
 * "invalid value "x" for flag -n". */
int opts_parse(const struct opt_def *defs, int argc, char **argv, bool stop_at_positional,
               const char ***pos, size_t *npos, bool *help, berth_error **err);
/* Called by opts_parse with the table it was given, before parsing. Shell
 * completion (`berth __complete`) sets it to read a command's own option
 * table; its hook prints the candidates and exits, so the command never
 * runs. NULL (the default): no hook. */
typedef void (*opts_table_hook)(const struct opt_def *defs);
void opts_set_table_hook(opts_table_hook hook);
/* Print the option table (for COMMAND --help) to stdout. */
void opts_print_help(const struct opt_def *defs);
void opts_list_free(struct opt_list *l);

/* What `berth COMMAND --help` shows, in urfave's layout. */
struct opt_command_help {
  const char *name;        /* "create" */
  const char *summary;     /* "create a container" */
  const char *args_usage;  /* "<container-id>"; NULL prints "[arguments...]" */
  const char *description; /* NULL for none */
};

/* NAME, USAGE, DESCRIPTION and OPTIONS on stdout. */
void opts_print_command_help(const struct opt_command_help *cmd, const struct opt_def *defs);
/* urfave's reaction to a bad command line: "Incorrect Usage: <why>" and the
 * help on stdout, `why` through the log. Returns the exit status, 1. */
int opts_usage_error(const struct opt_command_help *cmd, const struct opt_def *defs,
                     const char *why);

enum opt_arg_count { OPT_ARGS_EXACT, OPT_ARGS_MIN, OPT_ARGS_MAX };
/* runc's positional-argument check: on a mismatch prints "Incorrect Usage."
 * and the help, logs `<argv0>: "spec" requires exactly 0 argument(s)` (or
 * "a minimum of" / "a maximum of") and returns 1; otherwise 0. */
int opts_check_args(const struct opt_command_help *cmd, const struct opt_def *defs, size_t npos,
                    size_t want, enum opt_arg_count how);

#endif
