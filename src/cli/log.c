#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDERR_FILENO;
static bool log_json;
static bool log_debug_enabled;
static struct timespec log_start;

/* ---- UTF-8 and Go-style quoting ------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4) and its code point, or 0
 * when the bytes there are not valid UTF-8. */
static int utf8_decode(const unsigned char *p, unsigned *cp) {
  if (p[0] < 0x80) {
    *cp = p[0];
    return 1;
  }
  int len;
  unsigned min;
  if ((p[0] & 0xe0) == 0xc0) {
    len = 2, min = 0x80, *cp = p[0] & 0x1f;
  } else if ((p[0] & 0xf0) == 0xe0) {
    len = 3, min = 0x800, *cp = p[0] & 0x0f;
  } else if ((p[0] & 0xf8) == 0xf0) {
    len = 4, min = 0x10000, *cp = p[0] & 0x07;
  } else {
    return 0;
  }
  for (int i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    *cp = (*cp << 6) | (p[i] & 0x3f);
  }
  if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
    return 0;
  return len;
}

static void quote_rune(FILE *out, const unsigned char *p, int len, unsigned cp) {
  static const char short_escapes[] = "\a\b\f\n\r\t\v";
  static const char short_letters[] = "abfnrtv";
  const char *esc = cp != 0 ? strchr(short_escapes, (int)cp) : NULL;
  if (cp == '"' || cp == '\\')
    fprintf(out, "\\%c", (char)cp);
  else if (esc != NULL)
    fprintf(out, "\\%c", short_letters[esc - short_escapes]);
  else if (cp < 0x20 || cp == 0x7f)
    fprintf(out, "\\x%02x", cp);
  else if (cp >= 0x80 && cp < 0xa0)
    fprintf(out, "\\u%04x", cp);
  else
    fwrite(p, 1, (size_t)len, out);
}

char *cli_go_quote(const char *s) {
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  if (out == NULL)
    return NULL;
  fputc('"', out);
  const unsigned char *p = (const unsigned char *)s;
  while (*p != '\0') {
    unsigned cp;
    int len = utf8_decode(p, &cp);
    if (len == 0) {
      fprintf(out, "\\x%02x", *p);
      p++;
      continue;
    }
    quote_rune(out, p, len, cp);
    p += len;
  }
  fputc('"', out);
  if (fclose(out) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* Go's encoders replace each invalid byte with U+FFFD; jansson refuses
 * invalid UTF-8 outright, so clean the message first. */
static char *utf8_sanitize(const char *s) {
  size_t n = strlen(s);
  char *clean = malloc(n * 3 + 1);
  if (clean == NULL)
    return NULL;
  const unsigned char *p = (const unsigned char *)s;
  char *q = clean;
  while (*p != '\0') {
    unsigned cp;
    int len = utf8_decode(p, &cp);
    if (len == 0) {
      memcpy(q, "\xef\xbf\xbd", 3);
      q += 3;
      p++;
    } else {
      memcpy(q, p, (size_t)len);
      q += len;
      p += len;
    }
  }
  *q = '\0';
  return clean;
}

/* ---- line formats ----------------------------------------------------- */

/* RFC 3339 with seconds, in local time, as Go's time.RFC3339 prints it. */
static void format_time(char *buf, size_t size) {
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  if (off == 0) {
    snprintf(buf + n, size - n, "Z");
    return;
  }
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  snprintf(buf + n, size - n, "%c%02ld:%02ld", sign, off / 3600, off / 60 % 60);
}

static const char *level_name(enum cli_log_level level) {
  switch (level) {
  case CLI_LOG_DEBUG:
    return "debug";
  case CLI_LOG_INFO:
    return "info";
  case CLI_LOG_WARN:
    return "warning";
  case CLI_LOG_ERROR:
    break;
  }
  return "error";
}

/* logrus leaves a value bare when it holds only these characters. */
static bool logfmt_needs_quoting(const char *s) {
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr("-._/@^+", c) != NULL))
      return true;
  }
  return false;
}

static void logfmt_pair(FILE *out, const char *key, const char *value) {
  fprintf(out, " %s=", key);
  if (!logfmt_needs_quoting(value)) {
    fputs(value, out);
    return;
  }
  char *quoted = cli_go_quote(value);
  fputs(quoted != NULL ? quoted : "\"\"", out);
  free(quoted);
}

static void format_text(FILE *out, enum cli_log_level level, const char *msg) {
  char when[64];
  format_time(when, sizeof(when));
  fputs("time=", out);
  char *quoted = cli_go_quote(when);
  fputs(quoted != NULL ? quoted : when, out);
  free(quoted);
  fprintf(out, " level=%s", level_name(level));
  if (*msg != '\0')
    logfmt_pair(out, "msg", msg);
  fputc('\n', out);
}

/* Go's JSON encoder escapes these for HTML safety; match it byte for byte. */
static void put_json_html_safe(FILE *out, const char *json) {
  for (const char *p = json; *p != '\0'; p++) {
    if (*p == '<')
      fputs("\\u003c", out);
    else if (*p == '>')
      fputs("\\u003e", out);
    else if (*p == '&')
      fputs("\\u0026", out);
    else if (strncmp(p, "\xe2\x80\xa8", 3) == 0 || strncmp(p, "\xe2\x80\xa9", 3) == 0) {
      fprintf(out, "\\u202%c", p[2] == '\xa8' ? '8' : '9');
      p += 2;
    } else
      fputc(*p, out);
  }
}

/* The stable code of the error line being written (cli_log_error_id). */
static const char *line_code;

static void format_json(FILE *out, enum cli_log_level level, const char *msg) {
  char when[64];
  format_time(when, sizeof(when));
  char *clean = utf8_sanitize(msg);
  json_t *line = json_object();
  /* Inserted in sorted order: Go marshals logrus' field map sorted. */
  if (line_code != NULL)
    json_object_set_new(line, "code", json_string(line_code));
  json_object_set_new(line, "level", json_string(level_name(level)));
  json_object_set_new(line, "msg", json_string(clean != NULL ? clean : ""));
  json_object_set_new(line, "time", json_string(when));
  char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (text != NULL)
    put_json_html_safe(out, text);
  fputc('\n', out);
  free(text);
  json_decref(line);
  free(clean);
}

static void format_colored(FILE *out, enum cli_log_level level, const char *msg) {
  static const int colors[] = {[CLI_LOG_DEBUG] = 37, [CLI_LOG_INFO] = 36, [CLI_LOG_WARN] = 33,
                               [CLI_LOG_ERROR] = 31};
  static const char *tags[] = {[CLI_LOG_DEBUG] = "DEBU", [CLI_LOG_INFO] = "INFO",
                               [CLI_LOG_WARN] = "WARN", [CLI_LOG_ERROR] = "ERRO"};
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long elapsed = (long)(now.tv_sec - log_start.tv_sec);
  size_t len = strlen(msg);
  if (len > 0 && msg[len - 1] == '\n')
    len--;
  fprintf(out, "\x1b[%dm%s\x1b[0m[%04ld] %.*s", colors[level], tags[level], elapsed, (int)len, msg);
  /* %-44s in Go pads by characters, not bytes. */
  size_t chars = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char)msg[i] & 0xc0) != 0x80)
      chars++;
  for (; chars < 44; chars++)
    fputc(' ', out);
  fputs(" \n", out);
}

/* ---- output ----------------------------------------------------------- */

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    buf += n;
    len -= (size_t)n;
  }
}

void cli_log_write(enum cli_log_level level, const char *msg) {
  if (level == CLI_LOG_DEBUG && !log_debug_enabled)
    return;
  if (log_start.tv_sec == 0)
    clock_gettime(CLOCK_MONOTONIC, &log_start);
  char *line = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&line, &size);
  if (out == NULL)
    return;
  if (log_json)
    format_json(out, level, msg);
  else if (log_fd == STDERR_FILENO && isatty(STDERR_FILENO))
    format_colored(out, level, msg);
  else
    format_text(out, level, msg);
  if (fclose(out) == 0)
    write_all(log_fd, line, size); /* one write: O_APPEND keeps lines whole */
  free(line);
}

void cli_log_vwrite(enum cli_log_level level, const char *fmt, va_list ap) {
  if (level == CLI_LOG_DEBUG && !log_debug_enabled)
    return;
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    return;
  cli_log_write(level, msg);
  free(msg);
}

void cli_log_error_id(const char *id, const char *fmt, ...) {
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  line_code = id;
  cli_log_write(CLI_LOG_ERROR, msg);
  line_code = NULL;
  if (log_fd != STDERR_FILENO) {
    write_all(STDERR_FILENO, msg, strlen(msg));
    write_all(STDERR_FILENO, "\n", 1);
  }
  free(msg);
}

#define DEFINE_LEVEL_LOGGER(fn, level)                                                    \
  void fn(const char *fmt, ...) {                                                         \
    va_list ap;                                                                           \
    va_start(ap, fmt);                                                                    \
    cli_log_vwrite(level, fmt, ap);                                                       \
    va_end(ap);                                                                           \
  }

DEFINE_LEVEL_LOGGER(cli_log_warn, CLI_LOG_WARN)
DEFINE_LEVEL_LOGGER(cli_log_info, CLI_LOG_INFO)
DEFINE_LEVEL_LOGGER(cli_log_debug, CLI_LOG_DEBUG)

const char *cli_errno_text(int errnum) {
  static char text[128];
  snprintf(text, sizeof(text), "%s", strerror(errnum));
  text[0] = (char)tolower((unsigned char)text[0]);
  return text;
}

/* ---- setup ------------------------------------------------------------ */

int cli_log_fd(void) {
  return log_fd;
}

int cli_log_is_json(void) {
  return log_json;
}

void cli_log_close(void) {
  if (log_fd != STDERR_FILENO)
    close(log_fd);
  log_fd = STDERR_FILENO;
}

int cli_log_setup(const struct cli_globals *g) {
  clock_gettime(CLOCK_MONOTONIC, &log_start);
  cli_log_close();
  log_debug_enabled = g->debug;
  log_json = false;
  const char *format = g->log_format != NULL ? g->log_format : "";
  if (strcmp(format, "json") == 0) {
    log_json = true;
  } else if (strcmp(format, "") != 0 && strcmp(format, "text") != 0) {
    char *msg = NULL;
    if (asprintf(&msg, "invalid log-format: %s", format) >= 0)
      cli_log_write(CLI_LOG_ERROR, msg);
    free(msg);
    return -1;
  }
  if (g->log_path == NULL || g->log_path[0] == '\0')
    return 0;
  int fd = open(g->log_path, O_WRONLY | O_CREAT | O_APPEND | O_SYNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    char *msg = NULL;
    if (asprintf(&msg, "open %s: %s", g->log_path, cli_errno_text(errno)) >= 0)
      cli_log_write(CLI_LOG_ERROR, msg);
    free(msg);
    return -1;
  }
  log_fd = fd;
  return 0;
}
