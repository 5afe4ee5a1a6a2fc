/* state and list: read-only views of containers. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "container.h"
#include "log.h"

int cmd_state(struct cli_globals *g, int argc, char **argv) {
  const struct opt_def defs[] = {{0}};
  const struct opt_command_help help = {"state", "output the state of a container",
                                        "<container-id>", NULL};
  const char *id;
  int rc = cli_parse_id(&help, defs, argc, argv, &id, NULL);
  if (rc >= 0)
    return rc;
  json_t *st = NULL;
  berth_error *err = NULL;
  if (container_get_state(g->root, id, &st, &err) < 0)
    return cli_fail(NULL, err);
  json_dumpf(st, stdout, JSON_INDENT(2));
  putchar('\n');
  json_decref(st);
  return 0;
}

/* runc's tabwriter: columns at least 12 wide, 3 spaces of padding. */
static void print_table(json_t *arr) {
  static const char *const keys[] = {"id", "pid", "status", "bundle", "created", "owner"};
  static const char *const titles[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
  size_t n = json_array_size(arr), cols = 6;
  char **cells = calloc((n + 1) * cols, sizeof(char *));
  size_t width[6];
  for (size_t c = 0; c < cols; c++) {
    cells[c] = strdup(titles[c]);
    width[c] = strlen(titles[c]);
  }
  for (size_t r = 0; r < n; r++) {
    json_t *o = json_array_get(arr, r);
    for (size_t c = 0; c < cols; c++) {
      json_t *v = json_object_get(o, keys[c]);
      char *text = json_is_string(v) ? strdup(json_string_value(v))
                                     : json_dumps(v, JSON_ENCODE_ANY);
      cells[(r + 1) * cols + c] = text ? text : strdup("");
      size_t len = strlen(cells[(r + 1) * cols + c]);
      if (len > width[c])
        width[c] = len;
    }
  }
  for (size_t r = 0; r <= n; r++) {
    for (size_t c = 0; c < cols; c++) {
      size_t w = width[c] + 3 < 12 ? 12 : width[c] + 3;
      if (c + 1 == cols)
        printf("%s\n", cells[r * cols + c]);
      else
        printf("%-*s", (int)w, cells[r * cols + c]);
      free(cells[r * cols + c]);
    }
  }
  free(cells);
}

int cmd_list(struct cli_globals *g, int argc, char **argv) {
  const char *format = "table";
  bool quiet = false;
  const struct opt_def defs[] = {
      {"format", 'f', OPT_STRING, &format, "select one of: table or json (default: \"table\")",
       "value"},
      {"quiet", 'q', OPT_BOOL, &quiet, "display only container IDs", NULL},
      {0},
  };
  const struct opt_command_help help = {"list", "lists containers started by berth with the given "
                                                "root", " ", NULL};
  int rc = cli_parse_no_args(&help, defs, argc, argv);
  if (rc >= 0)
    return rc;
  json_t *arr = NULL;
  berth_error *err = NULL;
  if (container_list(g->root, &arr, &err) < 0)
    return cli_fail(NULL, err);
  if (quiet) {
    for (size_t i = 0; i < json_array_size(arr); i++)
      printf("%s\n", json_string_value(json_object_get(json_array_get(arr, i), "id")));
  } else if (strcmp(format, "json") == 0) {
    /* runc prints Go's nil slice, "null", when there is nothing. */
    if (json_array_size(arr) == 0)
      printf("null\n");
    else {
      json_dumpf(arr, stdout, JSON_COMPACT);
      putchar('\n');
    }
  } else if (strcmp(format, "table") == 0) {
    print_table(arr);
  } else {
    cli_log_error("invalid format option");
    rc = 1;
  }
  json_decref(arr);
  return rc < 0 ? 0 : rc;
}
