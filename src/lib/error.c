#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fallback_oom_text = "out of memory while reporting an error";

int berth_vfail_at(const char *file, berth_error **err, int code, const char *fmt, va_list ap) {
  if (err == NULL)
    return -1;
  berth_error *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return -1;
  e->code = code;
  if (vasprintf(&e->msg, fmt, ap) < 0)
    e->msg = NULL;
  e->id = berth_error_id_for(file, e->msg);
  berth_error_free(*err);
  *err = e;
  return -1;
}

int berth_fail_at(const char *file, berth_error **err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  berth_vfail_at(file, err, code, fmt, ap);
  va_end(ap);
  return -1;
}

int berth_fail_errno_at(const char *file, berth_error **err, const char *fmt, ...) {
  int code = errno;
  va_list ap;
  va_start(ap, fmt);
  berth_vfail_at(file, err, code, fmt, ap);
  va_end(ap);
  return -1;
}

int berth_fail_id_at(const char *file, berth_error **err, const char *id, int code,
                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  berth_vfail_at(file, err, code, fmt, ap);
  va_end(ap);
  return id != NULL ? berth_recode(err, id) : -1;
}

int berth_fail_errno_id_at(const char *file, berth_error **err, const char *id, const char *fmt,
                           ...) {
  int code = errno;
  va_list ap;
  va_start(ap, fmt);
  berth_vfail_at(file, err, code, fmt, ap);
  va_end(ap);
  return id != NULL ? berth_recode(err, id) : -1;
}

int berth_recode(berth_error **err, const char *id) {
  if (err != NULL && *err != NULL && id != NULL)
    (*err)->id = id;
  return -1;
}

const char *berth_error_id(const berth_error *err) {
  return err != NULL && err->id != NULL ? err->id : "BERTH-E-INTERNAL";
}

int berth_wrap(berth_error **err, const char *fmt, ...) {
  if (err == NULL || *err == NULL)
    return -1;
  char *ctx = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&ctx, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -1;
  char *joined = NULL;
  if (asprintf(&joined, "%s: %s", ctx, (*err)->msg ? (*err)->msg : "") >= 0) {
    free((*err)->msg);
    (*err)->msg = joined;
  }
  free(ctx);
  return -1;
}

const char *berth_error_text(berth_error *err) {
  if (err == NULL)
    return "unknown error";
  if (err->msg == NULL)
    return fallback_oom_text;
  if (err->code == 0)
    return err->msg;
  free(err->text);
  err->text = NULL;
  /* Lower-case like Go's errno texts: callers of runc match substrings such
   * as "no such file or directory" and "permission denied". */
  char reason[256];
  snprintf(reason, sizeof(reason), "%s", strerror(err->code));
  if (reason[0] >= 'A' && reason[0] <= 'Z' && !(reason[1] >= 'A' && reason[1] <= 'Z'))
    reason[0] = (char)(reason[0] - 'A' + 'a');
  if (asprintf(&err->text, "%s: %s", err->msg, reason) < 0)
    return err->msg;
  return err->text;
}

void berth_error_free(berth_error *err) {
  if (err == NULL)
    return;
  free(err->msg);
  free(err->text);
  free(err);
}

void berth_error_clear(berth_error **err) {
  berth_error_free(*err);
  *err = NULL;
}

static berth_warn_fn warn_handler;

void berth_set_warn_handler(berth_warn_fn fn) { warn_handler = fn; }

void berth_warn(const char *fmt, ...) {
  if (warn_handler == NULL)
    return;
  char *text = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&text, fmt, ap);
  va_end(ap);
  if (n >= 0)
    warn_handler(text);
  free(text);
}
