#include "cli_util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

int cli_fail(const char *prefix, berth_error *err) {
  if (prefix)
    cli_log_error_id(berth_error_id(err), "%s: %s", prefix, berth_error_text(err));
  else
    cli_log_error_id(berth_error_id(err), "%s", berth_error_text(err));
  berth_error_free(err);
  return 1;
}

bool cli_is_rootless(const struct cli_globals *g) {
  if (g->rootless != NULL && strcmp(g->rootless, "true") == 0)
    return true;
  if (g->rootless != NULL && strcmp(g->rootless, "false") == 0)
    return false;
  return geteuid() != 0;
}

int cli_parse(const struct opt_command_help *cmd, const struct opt_def *defs, int argc,
              char **argv, bool stop_at_positional, const char ***pos, size_t *npos,
              size_t want, enum opt_arg_count how) {
  bool help = false;
  berth_error *err = NULL;
  if (opts_parse(defs, argc, argv, stop_at_positional, pos, npos, &help, &err) < 0) {
    int rc = opts_usage_error(cmd, defs, berth_error_text(err));
    berth_error_free(err);
    return rc;
  }
  if (help) {
    opts_print_command_help(cmd, defs);
    return 0;
  }
  int rc = opts_check_args(cmd, defs, *npos, want, how);
  return rc != 0 ? rc : -1;
}

int cli_parse_no_args(const struct opt_command_help *cmd, const struct opt_def *defs, int argc,
                      char **argv) {
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(cmd, defs, argc, argv, false, &pos, &npos, 0, OPT_ARGS_EXACT);
  free(pos);
  return rc;
}

int cli_parse_id(const struct opt_command_help *cmd, const struct opt_def *defs, int argc,
                 char **argv, const char **id, const char **word) {
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(cmd, defs, argc, argv, false, &pos, &npos, 1,
                     word != NULL ? OPT_ARGS_MIN : OPT_ARGS_EXACT);
  if (rc < 0 && npos > 2)
    rc = opts_check_args(cmd, defs, npos, 2, OPT_ARGS_MAX);
  if (rc < 0) {
    *id = pos[0];
    if (word != NULL)
      *word = npos > 1 ? pos[1] : NULL;
  }
  free(pos);
  return rc;
}

static const struct {
  const char *name;
  int num;
} signal_names[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},
    {"URG", SIGURG},     {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},   {"WINCH", SIGWINCH},   {"IO", SIGIO},       {"POLL", SIGPOLL},
    {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

int cli_parse_signal(const char *s) {
  char *end;
  long n = strtol(s, &end, 10);
  if (*s != '\0' && *end == '\0')
    return n > 0 && n < 65 ? (int)n : -1;
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
    if (strcasecmp(name, signal_names[i].name) == 0)
      return signal_names[i].num;
  }
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    int base = strncasecmp(name, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
    int off = name[5] ? atoi(name + 5) : 0;
    int sig = base + off;
    return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
  }
  return -1;
}
