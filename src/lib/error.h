/* One error type for the whole library: an errno plus a sentence of context.
 * Each layer prepends its own context, so the final text reads outermost
 * first: `create "web": mount "/proc": operation not permitted`. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>

typedef struct berth_error {
  int code;  /* errno value, 0 when the failure is not a system error */
  char *msg; /* context chain, without the strerror text */
  char *text; /* cache for berth_error_text */
} berth_error;

/* All of these return -1 so that a failing function can `return berth_fail(...)`. */
int berth_fail(berth_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* berth_fail with code = errno at the call. */
int berth_fail_errno(berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prepend "<context>: " to an existing error. A NULL *err is left alone. */
int berth_wrap(berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int berth_vfail(berth_error **err, int code, const char *fmt, va_list ap);

/* Full text: msg, then ": strerror(code)" when code != 0. Owned by err. */
const char *berth_error_text(berth_error *err);
void berth_error_free(berth_error *err);

/* Convenience for cleanup paths: frees *err and sets it to NULL. */
void berth_error_clear(berth_error **err);

/* Warnings: things the library ignores or works around but the user
 * should know (unknown capabilities, a failing poststop hook). The CLI
 * installs a handler that logs them; without one they are dropped. */
typedef void (*berth_warn_fn)(const char *msg);
void berth_set_warn_handler(berth_warn_fn fn);
void berth_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
