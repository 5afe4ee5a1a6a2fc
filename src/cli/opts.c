/* Command-line flags as runc reads them. runc uses urfave/cli v1 on top of
 * Go's flag package, so the rules here are Go's:
 *
 * - one or two dashes mean the same thing: `-bundle`, `--bundle`, `-b`, `--b`;
 * - a value flag takes `=value` or, failing that, the next word whatever it
 *   looks like (`--bundle --foo` sets the bundle to "--foo");
 * - a bool flag takes only `=value` (Go's strconv.ParseBool spellings);
 * - integers are Go literals: 10, -1, 0x1f, 0o17, 017, 0b101, 1_000;
 * - urfave moves the command's known flags in front of the positional
 *   arguments, so known flags may follow the id, while an unknown flag
 *   after the id is just another positional argument (`kill ID --foo`).
 *   Unlike urfave we never let a bool flag swallow the following word: runc
 *   reads `kill ID --all SIG` as the container SIG, which no caller wants.
 *
 * Error texts are Go's, since callers match them: "flag provided but not
 * defined: -x", "flag needs an argument: -x", "bad flag syntax: ---x",
 * `invalid boolean value "x" for -all: parse error`, `invalid value "x" for
 * flag -n: parse error` (or "value out of range"). */
#include "opts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* ---- value parsing ---------------------------------------------------- */

static bool parse_go_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strcmp(s, yes[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcmp(s, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

static int digit_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

/* Strip a Go base prefix; *digits_seen says whether a leading "0" (octal)
 * already counts as a digit. */
static int go_int_base(const char **s, bool *digits_seen) {
  const char *p = *s;
  *digits_seen = false;
  if (p[0] != '0' || p[1] == '\0')
    return 10;
  switch (p[1]) {
  case 'x':
  case 'X':
    *s = p + 2;
    return 16;
  case 'b':
  case 'B':
    *s = p + 2;
    return 2;
  case 'o':
  case 'O':
    *s = p + 2;
    return 8;
  default:
    *s = p + 1;
    *digits_seen = true;
    return 8;
  }
}

/* strconv.ParseInt(s, 0, 64). Returns 0, EINVAL ("parse error") or ERANGE
 * ("value out of range"). Underscores may only sit between digits or right
 * after a base prefix. */
static int parse_go_int(const char *s, long *out) {
  bool negative = false;
  if (*s == '+' || *s == '-')
    negative = *s++ == '-';
  bool digit_before;
  int base = go_int_base(&s, &digit_before);
  bool prefixed = base != 10 && !digit_before;
  unsigned long long limit = negative ? (unsigned long long)LONG_MAX + 1 : LONG_MAX;
  unsigned long long n = 0;
  bool any_digit = digit_before;
  char prev = prefixed || digit_before ? '0' : '\0';
  for (; *s != '\0'; prev = *s++) {
    if (*s == '_') {
      if (prev == '\0' || prev == '_' || s[1] == '\0')
        return EINVAL;
      continue;
    }
    int d = digit_value(*s);
    if (d >= base)
      return EINVAL;
    if (n > (limit - (unsigned)d) / (unsigned)base)
      return ERANGE;
    n = n * (unsigned)base + (unsigned)d;
    any_digit = true;
  }
  if (!any_digit)
    return EINVAL;
  *out = negative ? (long)(0 - n) : (long)n;
  return 0;
}

/* ---- flag lookup and storing ------------------------------------------ */

static const struct opt_def *find_def(const struct opt_def *defs, const char *name, size_t len) {
  for (const struct opt_def *d = defs; d != NULL && d->name != NULL; d++) {
    if (strlen(d->name) == len && strncmp(d->name, name, len) == 0)
      return d;
    if (len == 1 && d->short_name != 0 && d->short_name == name[0])
      return d;
  }
  return NULL;
}

static bool is_help_flag(const char *name, size_t len) {
  return (len == 4 && strncmp(name, "help", 4) == 0) || (len == 1 && name[0] == 'h');
}

static int list_append(struct opt_list *l, const char *value, berth_error **err) {
  const char **grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
  if (grown == NULL)
    return berth_fail(err, ENOMEM, "parsing options");
  grown[l->n++] = value;
  l->v = grown;
  return 0;
}

static int store_flag(const struct opt_def *d, const char *name, const char *value,
                      berth_error **err) {
  switch (d->kind) {
  case OPT_BOOL: {
    bool b;
    if (!parse_go_bool(value, &b)) {
      char *q = cli_go_quote(value);
      berth_fail(err, 0, "invalid boolean value %s for -%s: parse error", q ? q : value, name);
      free(q);
      return -1;
    }
    *(bool *)d->target = b;
    return 0;
  }
  case OPT_STRING:
    *(const char **)d->target = value;
    return 0;
  case OPT_INT: {
    int rc = parse_go_int(value, (long *)d->target);
    if (rc != 0) {
      char *q = cli_go_quote(value);
      berth_fail(err, 0, "invalid value %s for flag -%s: %s", q ? q : value, name,
                 rc == ERANGE ? "value out of range" : "parse error");
      free(q);
      return -1;
    }
    return 0;
  }
  case OPT_LIST:
    return list_append(d->target, value, err);
  }
  return -1;
}

/* ---- parsing ---------------------------------------------------------- */

struct parse_state {
  const struct opt_def *defs;
  struct opt_def help_def; /* urfave's built-in --help, -h */
  size_t npos;             /* positional arguments seen so far */
};

/* Go reports the flag as written, minus dashes and any "=value". */
static int store_value(const struct opt_def *d, const char *name, size_t len, const char *value,
                       berth_error **err) {
  char *shown = strndup(name, len);
  if (shown == NULL)
    return berth_fail(err, ENOMEM, "parsing options");
  int rc = store_flag(d, shown, value, err);
  free(shown);
  return rc;
}

/* Handles the flag word argv[*i] (and its value word). Returns 0 when it was
 * used, 1 when it is to be taken as a positional argument (an unknown or
 * malformed flag after the first positional, as urfave leaves those in
 * place), -1 on error. */
static int parse_flag(struct parse_state *st, int argc, char **argv, int *i, berth_error **err) {
  const char *arg = argv[*i];
  const char *name = arg[1] == '-' ? arg + 2 : arg + 1;
  bool after_positional = st->npos > 0;
  if (*name == '\0' || *name == '-' || *name == '=')
    return after_positional ? 1 : berth_fail(err, 0, "bad flag syntax: %s", arg);
  const char *eq = strchr(name, '=');
  size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
  const char *value = eq != NULL ? eq + 1 : NULL;
  const struct opt_def *d = find_def(st->defs, name, len);
  if (d == NULL && is_help_flag(name, len))
    d = &st->help_def;
  if (d == NULL) {
    if (after_positional)
      return 1;
    return berth_fail(err, 0, "flag provided but not defined: -%.*s", (int)len, name);
  }
  if (d->kind == OPT_BOOL)
    return store_value(d, name, len, value != NULL ? value : "true", err);
  if (value == NULL) {
    if (*i + 1 >= argc)
      return berth_fail(err, 0, "flag needs an argument: -%.*s", (int)len, name);
    value = argv[++*i];
  }
  return store_value(d, name, len, value, err);
}

static opts_table_hook table_hook;

void opts_set_table_hook(opts_table_hook hook) { table_hook = hook; }

int opts_parse(const struct opt_def *defs, int argc, char **argv, bool stop_at_positional,
               const char ***pos, size_t *npos, bool *help, berth_error **err) {
  if (table_hook != NULL)
    table_hook(defs);
  bool help_ignored = false;
  struct parse_state st = {
      .defs = defs,
      .help_def = {.name = "help", .short_name = 'h', .kind = OPT_BOOL,
                   .target = help != NULL ? help : &help_ignored},
  };
  *pos = NULL;
  *npos = 0;
  *(bool *)st.help_def.target = false;
  const char **list = calloc((size_t)argc + 1, sizeof(*list));
  if (list == NULL)
    return berth_fail(err, ENOMEM, "parsing options");
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    bool rest_positional = stop_at_positional && st.npos > 0;
    if (!rest_positional && strcmp(arg, "--") == 0) {
      while (++i < argc)
        list[st.npos++] = argv[i];
      break;
    }
    int rc = 1;
    if (!rest_positional && arg[0] == '-' && arg[1] != '\0')
      rc = parse_flag(&st, argc, argv, &i, err);
    if (rc < 0) {
      free(list);
      return -1;
    }
    if (rc == 1)
      list[st.npos++] = arg;
  }
  *pos = list;
  *npos = st.npos;
  return 0;
}

void opts_list_free(struct opt_list *l) {
  if (l == NULL)
    return;
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

/* ---- help ------------------------------------------------------------- */

/* "--bundle value, -b value" as urfave writes it. */
static void flag_synopsis(const struct opt_def *d, char *buf, size_t size) {
  const char *value = d->kind == OPT_BOOL ? "" : d->value_name != NULL ? d->value_name : "value";
  const char *sep = *value != '\0' ? " " : "";
  int n = snprintf(buf, size, "%s%s%s%s", strlen(d->name) == 1 ? "-" : "--", d->name, sep, value);
  if (d->short_name != 0 && n > 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, ", -%c%s%s", d->short_name, sep, value);
}

void opts_print_help(const struct opt_def *defs) {
  char left[128];
  int width = 0;
  for (const struct opt_def *d = defs; d != NULL && d->name != NULL; d++) {
    if (d->help == NULL)
      continue;
    flag_synopsis(d, left, sizeof(left));
    if ((int)strlen(left) > width)
      width = (int)strlen(left);
  }
  for (const struct opt_def *d = defs; d != NULL && d->name != NULL; d++) {
    if (d->help == NULL)
      continue;
    flag_synopsis(d, left, sizeof(left));
    printf("   %-*s  %s", width, left, d->help);
    if (d->kind == OPT_INT && d->target != NULL)
      printf(" (default: %ld)", *(long *)d->target);
    else if (d->kind == OPT_STRING && d->target != NULL && *(const char **)d->target != NULL &&
             **(const char **)d->target != '\0')
      printf(" (default: \"%s\")", *(const char **)d->target);
    putchar('\n');
  }
}

static bool has_visible_flags(const struct opt_def *defs) {
  for (const struct opt_def *d = defs; d != NULL && d->name != NULL; d++)
    if (d->help != NULL)
      return true;
  return false;
}

void opts_print_command_help(const struct opt_command_help *cmd, const struct opt_def *defs) {
  bool flags = has_visible_flags(defs);
  printf("NAME:\n   berth %s - %s\n\n", cmd->name, cmd->summary);
  printf("USAGE:\n   berth %s%s %s\n", cmd->name, flags ? " [command options]" : "",
         cmd->args_usage != NULL ? cmd->args_usage : "[arguments...]");
  if (cmd->description != NULL)
    printf("\nDESCRIPTION:\n   %s\n", cmd->description);
  if (flags) {
    printf("\nOPTIONS:\n");
    opts_print_help(defs);
    printf("   \n");
  }
  fflush(stdout);
}

int opts_usage_error(const struct opt_command_help *cmd, const struct opt_def *defs,
                     const char *why) {
  printf("Incorrect Usage: %s\n\n", why);
  opts_print_command_help(cmd, defs);
  cli_log_error("%s", why);
  return 1;
}

int opts_check_args(const struct opt_command_help *cmd, const struct opt_def *defs, size_t npos,
                    size_t want, enum opt_arg_count how) {
  static const char *const words[] = {[OPT_ARGS_EXACT] = "exactly", [OPT_ARGS_MIN] = "a minimum of",
                                      [OPT_ARGS_MAX] = "a maximum of"};
  bool ok = how == OPT_ARGS_EXACT ? npos == want : how == OPT_ARGS_MIN ? npos >= want : npos <= want;
  if (ok)
    return 0;
  printf("Incorrect Usage.\n\n");
  opts_print_command_help(cmd, defs);
  cli_log_error("%s: \"%s\" requires %s %zu argument(s)", program_invocation_name, cmd->name,
                words[how], want);
  return 1;
}
