/* events: a container's resource usage and OOM kills as JSON lines. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "log.h"
#include "resources_cmd.h"

/* One event per line, flushed at once: a reader acts on each as it comes. */
static int print_event(const char *json, void *ctx) {
  if (printf("%s\n", json) < 0 || fflush(stdout) != 0) {
    *(int *)ctx = errno;
    return -1;
  }
  return 0;
}

int cmd_events(struct cli_globals *g, int argc, char **argv) {
  const char *interval = "5s";
  bool stats = false;
  const struct opt_def defs[] = {
      {"interval", 0, OPT_STRING, &interval, "set the stats collection interval", "value"},
      {"stats", 0, OPT_BOOL, &stats, "display the container's stats then exit", NULL},
      {0},
  };
  const struct opt_command_help help = {
      "events", "display container events such as OOM notifications, cpu, memory, and IO usage "
                "statistics", "<container-id>",
      "The events command displays information about the container. By default the\n"
      "information is displayed once every 5 seconds."};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc >= 0) {
    free(pos);
    return rc;
  }
  int64_t ns = 0;
  if (events_parse_duration(interval, &ns) < 0) {
    char *quoted = cli_go_quote(interval), *why = NULL;
    if (asprintf(&why, "invalid value %s for flag -interval: parse error",
                 quoted ? quoted : interval) < 0)
      why = NULL;
    rc = opts_usage_error(&help, defs, why ? why : "invalid value for flag -interval");
    free(why);
    free(quoted);
    free(pos);
    return rc;
  }
  /* A reader that goes away should end the stream, not kill it mid-line. */
  signal(SIGPIPE, SIG_IGN);
  struct events_opts o = {.interval_ns = ns > 0 ? (uint64_t)ns : 0, .stats_once = stats};
  int write_errno = 0;
  berth_error *err = NULL;
  rc = container_events(g->root, pos[0], &o, print_event, &write_errno, &err) < 0
           ? cli_fail(NULL, err)
           : 0;
  if (rc == 0 && write_errno != 0 && write_errno != EPIPE) {
    cli_log_error("write events: %s", cli_errno_text(write_errno));
    rc = 1;
  }
  free(pos);
  return rc;
}
