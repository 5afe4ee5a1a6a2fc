/* libFuzzer harness: the command-line parser. The input is argv, words
 * separated by NUL bytes, parsed against a table with every kind of
 * option, with and without stopping at the first positional (exec). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_once(int argc, char **argv, bool stop) {
  bool b = false, help = false;
  const char *str = NULL;
  long n = 0;
  struct opt_list list = {0};
  const struct opt_def defs[] = {
      {"detach", 'd', OPT_BOOL, &b, "a flag", NULL},
      {"bundle", 'b', OPT_STRING, &str, "a string", "path"},
      {"preserve-fds", 0, OPT_INT, &n, "a number", "n"},
      {"env", 'e', OPT_LIST, &list, "a repeatable string", "k=v"},
      {0},
  };
  const char **pos = NULL;
  size_t npos = 0;
  berth_error *err = NULL;
  opts_parse(defs, argc, argv, stop, &pos, &npos, &help, &err);
  free(pos);
  opts_list_free(&list);
  berth_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1);
  if (buf == NULL)
    return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  int argc = 0;
  char **argv = malloc((size + 2) * sizeof(char *));
  if (argv == NULL) {
    free(buf);
    return 0;
  }
  for (size_t i = 0; i <= size; i += strlen(buf + i) + 1)
    argv[argc++] = buf + i;
  argv[argc] = NULL;
  parse_once(argc, argv, false);
  parse_once(argc, argv, true);
  free(argv);
  free(buf);
  return 0;
}
