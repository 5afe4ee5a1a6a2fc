/* `berth __complete`: the engine behind the bash, zsh and fish completion
 * scripts (completion/), so that the three stay thin and every option comes
 * from the table the parser itself uses. A command's table is a local of
 * the command's function, so the command is called with a table hook set
 * (opts_set_table_hook): every command hands its table to opts_parse before
 * it does anything, and the hook completes from it and exits there. */
#include <ctype.h>
#include <dirent.h>
#include <sys/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "opts.h"

/* What a value option takes, by name: the tables say only "value". */
static const char *const dir_opts[] = {"bundle", "root", "image-path", "work-path",
                                       "parent-path", NULL};
static const char *const file_opts[] = {"log", "pid-file", "process", "console-socket",
                                        "pidfd-socket", "criu", "resources", NULL};
static const struct {
  const char *command; /* NULL: a global option */
  const char *option;
  const char *values;
} choices[] = {
    {NULL, "log-format", "text json"},
    {NULL, "rootless", "true false auto"},
    {"list", "format", "table json"},
    {"ps", "format", "table json"},
    {"check", "format", "text json"},
    {"checkpoint", "manage-cgroups-mode", "soft full strict ignore"},
    {"restore", "manage-cgroups-mode", "soft full strict ignore"},
};
/* Commands whose first argument is an existing container. */
static const char *const id_commands[] = {"checkpoint", "delete", "events", "exec", "kill",
                                          "pause", "ps", "resume", "start", "state",
                                          "update", NULL};

struct walk {
  const char *command; /* NULL at the global level */
  const char *root;
  const char *cur;            /* the word being completed */
  char prefix[64];            /* put before each candidate: "--opt=", "SIG" */
  const struct opt_def *pending; /* the word before cur is this option, wanting a value */
  size_t npos;                /* positional arguments before cur */
  bool options_over;          /* after "--", or exec's command */
};

static bool in_list(const char *const *list, const char *s) {
  for (; *list != NULL; list++)
    if (strcmp(*list, s) == 0)
      return true;
  return false;
}

static void candidate(const struct walk *w, const char *word, const char *desc) {
  char full[256];
  snprintf(full, sizeof(full), "%s%s", w->prefix, word);
  if (strncmp(full, w->cur, strlen(w->cur)) == 0)
    printf("%s\t%s\n", full, desc != NULL ? desc : "");
}

/* "--root", "-root", "--root=x", "-b": the table's entry, or NULL. */
static const struct opt_def *find_opt(const struct opt_def *defs, const char *word) {
  const char *name = word + (word[1] == '-' ? 2 : 1);
  size_t len = strcspn(name, "=");
  for (const struct opt_def *d = defs; d->name != NULL; d++)
    if ((strlen(d->name) == len && strncmp(d->name, name, len) == 0) ||
        (len == 1 && d->short_name == name[0]))
      return d;
  return NULL;
}

/* Goes over words[0..n); at the global level stops at the command's name
 * and returns its index, else returns n. */
static int walk_words(const struct opt_def *defs, int n, char **words, struct walk *w) {
  for (int i = 0; i < n; i++) {
    const char *word = words[i];
    if (w->pending != NULL) {
      if (strcmp(w->pending->name, "root") == 0)
        w->root = word;
      w->pending = NULL;
    } else if (!w->options_over && strcmp(word, "--") == 0) {
      w->options_over = true;
    } else if (!w->options_over && word[0] == '-' && word[1] != '\0') {
      const struct opt_def *d = find_opt(defs, word);
      const char *eq = strchr(word, '=');
      if (d != NULL && d->kind != OPT_BOOL && eq == NULL)
        w->pending = d;
      else if (d != NULL && eq != NULL && strcmp(d->name, "root") == 0)
        w->root = eq + 1;
    } else if (w->command == NULL) {
      return i;
    } else {
      w->npos++;
      if (strcmp(w->command, "exec") == 0)
        w->options_over = true;
    }
  }
  return n;
}

/* exec --cap: the capabilities this libcap knows, as runc spells them. */
static void capabilities(const struct walk *w) {
  for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
    char *name = cap_to_name(c), upper[64];
    size_t i;
    for (i = 0; name != NULL && name[i] != '\0' && i + 1 < sizeof(upper); i++)
      upper[i] = (char)toupper((unsigned char)name[i]);
    upper[i] = '\0';
    if (strncmp(upper, "CAP_", 4) == 0)
      candidate(w, upper, NULL);
    cap_free(name);
  }
}

static const char *value_kind(const struct walk *w, const struct opt_def *d) {
  const char *cmd = w->command;
  if (strcmp(d->name, "cap") == 0) {
    capabilities(w);
    return ":none";
  }
  for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
    bool here = choices[i].command == NULL ? cmd == NULL
                                           : cmd != NULL && strcmp(choices[i].command, cmd) == 0;
    if (!here || strcmp(choices[i].option, d->name) != 0)
      continue;
    char *copy = strdup(choices[i].values), *save = NULL;
    for (char *v = strtok_r(copy, " ", &save); v != NULL; v = strtok_r(NULL, " ", &save))
      candidate(w, v, NULL);
    free(copy);
    return ":none";
  }
  return in_list(dir_opts, d->name) ? ":dirs" : in_list(file_opts, d->name) ? ":files" : ":none";
}

static void container_ids(const struct walk *w) {
  DIR *d = opendir(w->root);
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s/state.json", w->root, e->d_name);
    if (e->d_name[0] != '.' && stat(path, &st) == 0)
      candidate(w, e->d_name, "container");
  }
  if (d != NULL)
    closedir(d);
}

static const char *positional(struct walk *w, const struct cli_command *cmds, size_t n) {
  if (w->command == NULL) {
    for (size_t i = 0; i < n; i++)
      if (cmds[i].summary != NULL)
        candidate(w, cmds[i].name, cmds[i].summary);
  } else if (w->npos == 0 && in_list(id_commands, w->command)) {
    container_ids(w);
  } else if (w->npos == 1 && strcmp(w->command, "kill") == 0) {
    if (strncmp(w->cur, "SIG", 3) == 0)
      snprintf(w->prefix, sizeof(w->prefix), "SIG");
    for (int sig = 1; sig < NSIG; sig++)
      if (sigabbrev_np(sig) != NULL)
        candidate(w, sigabbrev_np(sig), NULL);
  }
  return ":none";
}

static void options(const struct walk *w, const struct opt_def *defs) {
  for (const struct opt_def *d = defs; d->name != NULL; d++) {
    char word[128];
    snprintf(word, sizeof(word), "--%s", d->name);
    if (d->help != NULL)
      candidate(w, word, d->help);
  }
  candidate(w, "--help", "show help");
}

static void finish(struct walk *w, const struct opt_def *defs,
                   const struct cli_command *cmds, size_t n) {
  const char *directive = ":none";
  const char *eq = strchr(w->cur, '=');
  const struct opt_def *inline_value = w->cur[0] == '-' && eq != NULL ? find_opt(defs, w->cur) : NULL;
  if (inline_value != NULL && inline_value->kind != OPT_BOOL) {
    snprintf(w->prefix, sizeof(w->prefix), "%.*s", (int)(eq + 1 - w->cur), w->cur);
    directive = value_kind(w, inline_value);
  } else if (w->pending != NULL)
    directive = value_kind(w, w->pending);
  else if (!w->options_over && w->cur[0] == '-')
    options(w, defs);
  else
    directive = positional(w, cmds, n);
  printf("%s\n", directive);
}

/* What the hook needs, set before the command is called. */
static struct {
  struct walk w;
  int n;
  char **words;
} in_command;

static void complete_in_command(const struct opt_def *defs) {
  opts_set_table_hook(NULL);
  walk_words(defs, in_command.n, in_command.words, &in_command.w);
  finish(&in_command.w, defs, NULL, 0);
  exit(0);
}

int cli_complete(struct cli_globals *g, const struct opt_def *globals,
                 const struct cli_command *cmds, size_t ncmds, int argc, char **argv) {
  struct walk w = {.root = g->root, .cur = argc > 0 ? argv[argc - 1] : ""};
  int n = argc > 0 ? argc - 1 : 0;
  int at = walk_words(globals, n, argv, &w);
  if (at == n) {
    finish(&w, globals, cmds, ncmds);
    return 0;
  }
  for (size_t i = 0; i < ncmds; i++) {
    if (strcmp(cmds[i].name, argv[at]) != 0)
      continue;
    w.command = cmds[i].name;
    in_command.w = w;
    in_command.n = n - at - 1;
    in_command.words = argv + at + 1;
    opts_set_table_hook(complete_in_command);
    char *none[] = {NULL};
    cmds[i].fn(g, 0, none);
    /* Not reached: every command parses its options first. */
    opts_set_table_hook(NULL);
  }
  printf(":none\n");
  return 0;
}
