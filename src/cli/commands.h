/* The berth subcommands. Each gets the global options and the words after
 * its own name, and returns the process exit status. */
#ifndef BERTH_COMMANDS_H
#define BERTH_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

struct cli_globals {
  const char *root;       /* --root, default /run/berth */
  const char *log_path;   /* --log, NULL for stderr only */
  const char *log_format; /* "text" or "json" */
  bool debug;
  bool systemd_cgroup;
  const char *rootless; /* "auto", "true" or "false" */
};

typedef int (*cli_command_fn)(struct cli_globals *g, int argc, char **argv);

struct cli_command {
  const char *name;
  cli_command_fn fn;
  const char *summary;
};

/* The commands that clone a process into a container: main re-executes
 * berth from its sealed view (cli_ensure_sealed_binary) before the command
 * parses anything, so the first image does as little as it can, and the
 * static x86_64 build's early_entry.c does so for the same words before
 * the C library starts. */
#define CLI_SEALED_COMMANDS "create", "exec", "run"

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
int cmd_check(struct cli_globals *g, int argc, char **argv);

/* `berth __complete WORD... CURRENT`, for the shell completion scripts:
 * the candidates for CURRENT, one per line as "candidate<TAB>description",
 * then one line ":none", ":files" or ":dirs" telling the shell what to add
 * itself. Options come from the same tables the parser uses. */
struct opt_def;
int cli_complete(struct cli_globals *g, const struct opt_def *globals,
                 const struct cli_command *cmds, size_t ncmds, int argc, char **argv);

/* Re-execute berth from a sealed copy of itself, with the command line
 * main gave cli_keep_argv (sealed.c). main calls it for the commands
 * marked `sealed`; create and exec call it again through their options,
 * which costs nothing once it has run in this process. */
void cli_keep_argv(int argc, char **argv);
void cli_ensure_sealed_binary(void);

/* `--version` text: "berth version X\ncommit: ...\nspec: 1.3.0\n..." */
void cli_print_version(void);

#endif
