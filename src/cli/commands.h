/* The berth subcommands. Each gets the global options and the words after
 * its own name, and returns the process exit status. */
#ifndef BERTH_COMMANDS_H
#define BERTH_COMMANDS_H

#include <stdbool.h>

struct cli_globals {
  const char *root;       /* --root, default /run/berth */
  const char *log_path;   /* --log, NULL for stderr only */
  const char *log_format; /* "text" or "json" */
  bool debug;
  bool systemd_cgroup;
  const char *rootless; /* "auto", "true" or "false" */
};

typedef int (*cli_command_fn)(struct cli_globals *g, int argc, char **argv);

int cmd_create(struct cli_globals *g, int argc, char **argv);
int cmd_start(struct cli_globals *g, int argc, char **argv);
int cmd_run(struct cli_globals *g, int argc, char **argv);
int cmd_state(struct cli_globals *g, int argc, char **argv);
int cmd_list(struct cli_globals *g, int argc, char **argv);
int cmd_kill(struct cli_globals *g, int argc, char **argv);
int cmd_delete(struct cli_globals *g, int argc, char **argv);
int cmd_exec(struct cli_globals *g, int argc, char **argv);
int cmd_pause(struct cli_globals *g, int argc, char **argv);
int cmd_resume(struct cli_globals *g, int argc, char **argv);
int cmd_ps(struct cli_globals *g, int argc, char **argv);
int cmd_update(struct cli_globals *g, int argc, char **argv);
int cmd_events(struct cli_globals *g, int argc, char **argv);
int cmd_checkpoint(struct cli_globals *g, int argc, char **argv);
int cmd_restore(struct cli_globals *g, int argc, char **argv);
int cmd_spec(struct cli_globals *g, int argc, char **argv);
int cmd_features(struct cli_globals *g, int argc, char **argv);

/* Re-execute berth from a sealed copy of itself (create and exec call it
 * when the container's config needs it), with the command line main gave
 * cli_keep_argv (sealed.c). */
void cli_keep_argv(int argc, char **argv);
void cli_ensure_sealed_binary(void);

/* `--version` text: "berth version X\ncommit: ...\nspec: 1.3.0\n..." */
void cli_print_version(void);

#endif
