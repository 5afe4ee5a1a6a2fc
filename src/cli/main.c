/* berth: global options, then the subcommand. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "log.h"
#include "opts.h"

static const struct cli_command commands[] = {
    {"check", cmd_check, "check whether this host (and a bundle) can run containers"},
    {"checkpoint", cmd_checkpoint, "checkpoint a running container"},
    {"create", cmd_create, "create a container"},
    {"delete", cmd_delete, "delete any resources held by the container often used with detached container"},
    {"events", cmd_events, "display container events such as OOM notifications, cpu, memory, and IO usage statistics"},
    {"exec", cmd_exec, "execute new process inside the container"},
    {"features", cmd_features, "show the enabled features"},
    {"kill", cmd_kill, "kill sends the specified signal (default: SIGTERM) to the container's init process"},
    {"list", cmd_list, "lists containers started by berth with the given root"},
    {"pause", cmd_pause, "pause suspends all processes inside the container"},
    {"ps", cmd_ps, "ps displays the processes running inside a container"},
    {"restore", cmd_restore, "restore a container from a previous checkpoint"},
    {"resume", cmd_resume, "resumes all processes that have been previously paused"},
    {"run", cmd_run, "create and run a container"},
    {"spec", cmd_spec, "create a new specification file"},
    {"start", cmd_start, "executes the user defined process in a created container"},
    {"state", cmd_state, "output the state of a container"},
    {"update", cmd_update, "update container resource constraints"},
};

static bool is_sealed(const char *name) {
  static const char *const sealed[] = {CLI_SEALED_COMMANDS};
  for (size_t i = 0; i < sizeof(sealed) / sizeof(sealed[0]); i++)
    if (strcmp(sealed[i], name) == 0)
      return true;
  return false;
}

static void print_usage(const struct opt_def *globals) {
  printf("NAME:\n   berth - Open Container Initiative runtime\n\n"
         "USAGE:\n   berth [global options] command [command options] [arguments...]\n\n"
         "COMMANDS:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    printf("   %-10s %s\n", commands[i].name, commands[i].summary);
  printf("\nGLOBAL OPTIONS:\n");
  opts_print_help(globals);
}

static void warn_to_log(const char *msg) { cli_log_warn("%s", msg); }

static const char *default_root(void) {
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (geteuid() != 0 && xdg != NULL && *xdg != '\0') {
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/berth", xdg);
    return buf;
  }
  return "/run/berth";
}

int main(int argc, char **argv) {
  struct cli_globals g = {.log_format = "text", .rootless = "auto"};
  bool version = false, help = false;
  const char *criu = NULL;
  const struct opt_def globals[] = {
      {"debug", 0, OPT_BOOL, &g.debug, "enable debug logging", NULL},
      {"log", 0, OPT_STRING, &g.log_path, "set the log file to write berth logs to (default is '/dev/stderr')", "value"},
      {"log-format", 0, OPT_STRING, &g.log_format, "set the log format ('text' (default), or 'json')", "value"},
      {"root", 0, OPT_STRING, &g.root, "root directory for storage of container state (this should be located in tmpfs)", "value"},
      {"systemd-cgroup", 0, OPT_BOOL, &g.systemd_cgroup, "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\"", NULL},
      {"rootless", 0, OPT_STRING, &g.rootless, "ignore cgroup permission errors ('true', 'false', or 'auto')", "value"},
      {"criu", 0, OPT_STRING, &criu, NULL, "value"},
      {"version", 'v', OPT_BOOL, &version, "print the version", NULL},
      {0},
  };
  const char **pos = NULL;
  size_t npos = 0;
  berth_error *err = NULL;
  if (opts_parse(globals, argc - 1, argv + 1, true, &pos, &npos, &help, &err) < 0) {
    fprintf(stderr, "Incorrect Usage: %s\n\n", berth_error_text(err));
    print_usage(globals);
    berth_error_free(err);
    return 1;
  }
  if (version) {
    cli_print_version();
    return 0;
  }
  if (npos == 0 || help) {
    print_usage(globals);
    return 0;
  }
  const char *name = pos[0];
  const struct cli_command *command = NULL;
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(commands[i].name, name) == 0)
      command = &commands[i];
  }
  cli_keep_argv(argc, argv);
  /* Before the log is opened and the command's options are read: the
   * re-executed berth would do all of that again. */
  if (command != NULL && is_sealed(command->name))
    cli_ensure_sealed_binary();
  /* jansson seeds its hash tables on first use from /dev/urandom, an open,
   * a read and a close; one getrandom does the same. Where it fails,
   * jansson still seeds itself. */
  uint32_t seed = 0;
  if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed) && seed != 0)
    json_object_seed(seed);
  if (g.root == NULL)
    g.root = default_root();
  cli_log_setup(&g);
  berth_set_warn_handler(warn_to_log);
  /* The command's own words start right after its name in argv. */
  int first = 1;
  while (first < argc && argv[first] != name)
    first++;
  free(pos);
  if (strcmp(name, "__complete") == 0)
    return cli_complete(&g, globals, commands, sizeof(commands) / sizeof(commands[0]),
                        argc - first - 1, argv + first + 1);
  if (command != NULL) {
    int rc = command->fn(&g, argc - first - 1, argv + first + 1);
    cli_log_close();
    return rc;
  }
  cli_log_error("No help topic for '%s'", name);
  return 3;
}
