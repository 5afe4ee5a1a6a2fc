/* The --log line shapes that containerd and Podman parse, and Go's %q. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

static char log_path[] = "/tmp/berth-test-log-XXXXXX";

static char *read_log(void) {
  static char buf[4096];
  FILE *f = fopen(log_path, "r");
  size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
  buf[n] = '\0';
  if (f != NULL)
    fclose(f);
  return buf;
}

static bool matches(const char *text, const char *pattern) {
  regex_t re;
  if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
    return false;
  bool ok = regexec(&re, text, 0, NULL, 0) == 0;
  regfree(&re);
  if (!ok)
    fprintf(stderr, "  %s\n  does not match %s\n", text, pattern);
  return ok;
}

static void start_log(const char *format, bool debug) {
  CHECK(truncate(log_path, 0) == 0 || errno == ENOENT);
  struct cli_globals g = {.log_path = log_path, .log_format = format, .debug = debug};
  CHECK(cli_log_setup(&g) == 0);
}

#define TIME_RE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})"

static void test_text(void) {
  start_log("text", false);
  cli_log_write(CLI_LOG_ERROR, "container does not exist");
  cli_log_warn("unknown capability \"%s\"", "CAP_FOO");
  cli_log_debug("hidden without --debug");
  cli_log_write(CLI_LOG_INFO, "bare");
  CHECK(matches(read_log(), "^time=\"" TIME_RE "\" level=error msg=\"container does not exist\"\n"
                            "time=\"" TIME_RE "\" level=warning msg=\"unknown capability "
                            "\\\\\"CAP_FOO\\\\\"\"\n"
                            "time=\"" TIME_RE "\" level=info msg=bare\n$"));
}

static void test_json(void) {
  start_log("json", true);
  cli_log_write(CLI_LOG_ERROR, "open \"/x\" <a&b>");
  cli_log_debug("seen with --debug");
  CHECK(matches(read_log(),
                "^\\{\"level\":\"error\",\"msg\":\"open \\\\\"/x\\\\\" "
                "\\\\u003ca\\\\u0026b\\\\u003e\",\"time\":\"" TIME_RE "\"\\}\n"
                "\\{\"level\":\"debug\",\"msg\":\"seen with --debug\",\"time\":\"" TIME_RE
                "\"\\}\n$"));
  start_log("json", false);
  cli_log_write(CLI_LOG_ERROR, "bad \xff byte");
  CHECK_STR_CONTAINS(read_log(), "\"msg\":\"bad \xef\xbf\xbd byte\"");
}

static void test_setup_errors(void) {
  struct cli_globals bad_format = {.log_format = "xml"};
  CHECK(cli_log_setup(&bad_format) == -1);
  struct cli_globals bad_path = {.log_path = "/nonexistent-dir/log.json"};
  CHECK(cli_log_setup(&bad_path) == -1);
  CHECK(cli_log_fd() == STDERR_FILENO);
  CHECK(strcmp(cli_errno_text(2), "no such file or directory") == 0);
}

static void check_quote(const char *in, const char *want) {
  char *got = cli_go_quote(in);
  CHECK(got != NULL && strcmp(got, want) == 0);
  if (got != NULL && strcmp(got, want) != 0)
    fprintf(stderr, "  quote: got %s want %s\n", got, want);
  free(got);
}

static void test_go_quote(void) {
  check_quote("maybe", "\"maybe\"");
  check_quote("", "\"\"");
  check_quote("a\"b\\c", "\"a\\\"b\\\\c\"");
  check_quote("\n\t\r\a\b\f\v", "\"\\n\\t\\r\\a\\b\\f\\v\"");
  check_quote("\x01\x7f", "\"\\x01\\x7f\"");
  check_quote("\xff", "\"\\xff\"");
  check_quote("caf\xc3\xa9", "\"caf\xc3\xa9\"");
  check_quote("\xc2\x85", "\"\\u0085\"");
}

int main(void) {
  int fd = mkstemp(log_path);
  if (fd < 0)
    return 1;
  close(fd);
  test_text();
  test_json();
  test_go_quote();
  test_setup_errors();
  cli_log_close();
  unlink(log_path);
  return unit_summary("log");
}
