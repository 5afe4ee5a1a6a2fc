/* pause, resume and ps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "container.h"
#include "log.h"

static int pause_or_resume(struct cli_globals *g, int argc, char **argv, bool pause) {
  const struct opt_def defs[] = {{0}};
  const struct opt_command_help help = {
      pause ? "pause" : "resume",
      pause ? "pause suspends all processes inside the container"
            : "resumes all processes that have been previously paused",
      "<container-id>", NULL};
  const char *id;
  int rc = cli_parse_id(&help, defs, argc, argv, &id, NULL);
  if (rc >= 0)
    return rc;
  berth_error *err = NULL;
  return container_pause(g->root, id, pause, &err) < 0 ? cli_fail(NULL, err) : 0;
}

int cmd_pause(struct cli_globals *g, int argc, char **argv) {
  return pause_or_resume(g, argc, argv, true);
}

int cmd_resume(struct cli_globals *g, int argc, char **argv) {
  return pause_or_resume(g, argc, argv, false);
}

static bool contains(const pid_t *pids, size_t n, long pid) {
  for (size_t i = 0; i < n; i++) {
    if (pids[i] == pid)
      return true;
  }
  return false;
}

/* Which whitespace-separated column of ps's header is "PID". */
static int pid_column(const char *header) {
  int col = 0;
  const char *p = header;
  while (*p) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0' || *p == '\n')
      break;
    if (strncmp(p, "PID", 3) == 0 && (p[3] == ' ' || p[3] == '\t' || p[3] == '\n' || !p[3]))
      return col;
    while (*p && *p != ' ' && *p != '\t')
      p++;
    col++;
  }
  return -1;
}

static long field_as_pid(const char *line, int col) {
  const char *p = line;
  for (int c = 0; c <= col; c++) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (c == col)
      return strtol(p, NULL, 10);
    while (*p && *p != ' ' && *p != '\t')
      p++;
  }
  return -1;
}

/* runc runs the host's ps and keeps the header and the container's lines. */
static int print_ps_table(const pid_t *pids, size_t n, const char **args, size_t nargs) {
  char **argv = calloc(nargs + 3, sizeof(char *));
  size_t k = 0;
  argv[k++] = "ps";
  if (nargs == 0)
    argv[k++] = "-ef";
  for (size_t i = 0; i < nargs; i++)
    argv[k++] = (char *)args[i];
  int fds[2];
  if (pipe(fds) < 0) {
    free(argv);
    cli_log_error("pipe: %s", cli_errno_text(errno));
    return 1;
  }
  pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execvp("ps", argv);
    _exit(127);
  }
  free(argv);
  close(fds[1]);
  FILE *in = fdopen(fds[0], "r");
  char *line = NULL;
  size_t cap = 0;
  int col = -1;
  bool header = true;
  while (in && getline(&line, &cap, in) > 0) {
    if (header) {
      col = pid_column(line);
      fputs(line, stdout);
      header = false;
    } else if (col >= 0 && contains(pids, n, field_as_pid(line, col))) {
      fputs(line, stdout);
    }
  }
  free(line);
  if (in)
    fclose(in);
  int status = 0;
  waitpid(child, &status, 0);
  if (col < 0) {
    cli_log_error("couldn't find PID field in ps output");
    return 1;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int cmd_ps(struct cli_globals *g, int argc, char **argv) {
  const char *format = "table";
  const struct opt_def defs[] = {
      {"format", 'f', OPT_STRING, &format, "select one of: table or json (default: \"table\")",
       "value"},
      {0},
  };
  const struct opt_command_help help = {"ps", "ps displays the processes running inside a "
                                              "container", "<container-id> [ps options]", NULL};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, true, &pos, &npos, 1, OPT_ARGS_MIN);
  if (rc >= 0) {
    free(pos);
    return rc;
  }
  pid_t *pids = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (container_pids(g->root, pos[0], &pids, &n, &err) < 0) {
    free(pos);
    return cli_fail(NULL, err);
  }
  if (strcmp(format, "json") == 0) {
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf("%s%d", i ? "," : "", (int)pids[i]);
    printf("]\n");
    rc = 0;
  } else if (strcmp(format, "table") == 0) {
    rc = print_ps_table(pids, n, pos + 1, npos - 1);
  } else {
    cli_log_error("invalid format option");
    rc = 1;
  }
  free(pids);
  free(pos);
  return rc;
}
