/* runc's logging, line for line: callers such as containerd read the last
 * `{"level":"error","msg":...}` line of the --log file to report failures,
 * so the shapes below are part of the command-line contract.
 *
 *   text:      time="2026-11-27T19:30:00Z" level=error msg="container does not exist"
 *   json:      {"level":"error","msg":"container does not exist","time":"2026-11-27T19:30:00Z"}
 *   terminal:  ESC[31mERRO ESC[0m[0000] container does not exist   (padded to 44)
 *
 * Times are RFC 3339 in local time ("Z" for UTC, else "+05:30"). The
 * coloured form is used only for text going to a stderr that is a terminal. */
#ifndef BERTH_CLI_LOG_H
#define BERTH_CLI_LOG_H

#include <stdarg.h>

#include "commands.h"
#include "error.h"

enum cli_log_level {
  CLI_LOG_DEBUG,
  CLI_LOG_INFO,
  CLI_LOG_WARN,
  CLI_LOG_ERROR,
};

/* Apply --debug, --log-format and --log (opened append-only, O_SYNC,
 * O_CLOEXEC, created 0644). On failure it reports the problem the way runc
 * does ("invalid log-format: xml", "open /x/log.json: no such file or
 * directory") and returns -1; logging then goes to stderr. */
int cli_log_setup(const struct cli_globals *g);
/* Where log lines go: the --log file, or 2. */
int cli_log_fd(void);
/* 1 with --log-format json. */
int cli_log_is_json(void);
void cli_log_close(void);

/* A command's fatal error: one line to the log and, when the log is a file,
 * the bare message on stderr too (what runc does before exiting). The JSON
 * line carries the stable code `id` as "code" (docs/errors.md); the text
 * forms stay runc's. cli_log_error takes the code of the calling file's
 * area, cli_fail that of the berth_error. */
void cli_log_error_id(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define cli_log_error(...) cli_log_error_id(berth_error_id_for(__FILE__, NULL), __VA_ARGS__)
void cli_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Written only with --debug. */
void cli_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line at the given level to the log only (no stderr echo). */
void cli_log_write(enum cli_log_level level, const char *msg);
void cli_log_vwrite(enum cli_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* strerror(errnum) spelled as Go spells it ("no such file or directory"),
 * since runc's messages, which callers match, carry Go's texts. Points to
 * a buffer that the next call reuses. */
const char *cli_errno_text(int errnum);

/* `s` quoted as Go's %q does (used by runc's messages and by logrus' text
 * format): "a\"b\n" -> "\"a\\\"b\\n\"". Heap string; NULL only when out of
 * memory. */
char *cli_go_quote(const char *s);

#endif
