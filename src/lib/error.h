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
  const char *id; /* stable code such as "BERTH-E-MOUNT" (docs/errors.md) */
} berth_error;

/* Stable error codes (docs/errors.md). Every error gets one where it is
 * made, without its call site naming it: berth_fail and berth_fail_errno
 * are macros that pass __FILE__, and berth_error_id_for_file maps the
 * source file to its area's code (rootfs_mount.c: BERTH-E-MOUNT). The
 * messages whose text is fixed by runc compatibility ("container does not
 * exist") get their own code by that text. berth_fail_id and
 * berth_fail_errno_id name the failure's own code at the call site
 * (BERTH-E-MOUNT-SOURCE), a NULL id meaning the area's, so that a site can
 * pick a code by errno. berth_wrap keeps the code of the cause. The code
 * is shown only in the JSON log line, as its own field; the text stays
 * runc's. */
#define berth_fail(err, code, ...) berth_fail_at(__FILE__, err, code, __VA_ARGS__)
#define berth_fail_errno(err, ...) berth_fail_errno_at(__FILE__, err, __VA_ARGS__)
#define berth_fail_id(err, id, code, ...) berth_fail_id_at(__FILE__, err, id, code, __VA_ARGS__)
#define berth_fail_errno_id(err, id, ...) berth_fail_errno_id_at(__FILE__, err, id, __VA_ARGS__)
#define berth_vfail(err, code, fmt, ap) berth_vfail_at(__FILE__, err, code, fmt, ap)

/* All of these return -1 so that a failing function can `return berth_fail(...)`. */
int berth_fail_at(const char *file, berth_error **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* berth_fail with code = errno at the call. */
int berth_fail_errno_at(const char *file, berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int berth_fail_id_at(const char *file, berth_error **err, const char *id, int code,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* berth_fail_id with code = errno at the call. */
int berth_fail_errno_id_at(const char *file, berth_error **err, const char *id, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));
/* Give an error made further down the code the code `id`: for a caller
 * that knows what failed better than the helper that made the error (any
 * failure to read an exec --process file is that file's). Keeps the text;
 * a NULL *err is left alone. Returns -1. */
int berth_recode(berth_error **err, const char *id);
/* Prepend "<context>: " to an existing error. A NULL *err is left alone. */
int berth_wrap(berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int berth_vfail_at(const char *file, berth_error **err, int code, const char *fmt, va_list ap);

/* The error's stable code; "BERTH-E-INTERNAL" for a NULL err. */
const char *berth_error_id(const berth_error *err);
/* The code of errors made in `file` (a __FILE__, however the build spells
 * the path), by the message when runc fixes its text. error_ids.c. */
const char *berth_error_id_for(const char *file, const char *msg);
/* The code spelled `id` as the static string berth_error's id points to,
 * or NULL when there is no such code (an id read from another process).
 * Knows every code of the source: those named at call sites are listed in
 * error_ids.c (a unit test checks). */
const char *berth_error_id_known(const char *id);

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
