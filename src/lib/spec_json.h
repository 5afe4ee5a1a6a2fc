/* Typed reads of a jansson document for the config parser.
 *
 * Every failure names the file and the JSON path of the offending value
 * (`config.json: mounts[2].destination: expected a string, got an integer`).
 * The path is kept in the context as the parser descends, so a getter only
 * adds the key it was asked for.
 *
 * Field getters return 1 when the field was present and valid, 0 when it is
 * absent or null (Go-based runtimes treat null as absent, and so do we) and
 * leave *out untouched, and -1 with the error set otherwise. */
#ifndef BERTH_SPEC_JSON_H
#define BERTH_SPEC_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

typedef struct sj_ctx {
  const char *name; /* the file, first in every message */
  berth_error **err;
  spec_strv *warnings; /* where ignored settings are reported */
  /* jansson stops at INT64_MAX, but uint64 fields (rlimits, seccomp values)
   * legitimately go up to UINT64_MAX; sj_load keeps those integers here. */
  uint64_t *big;
  size_t n_big;
  char path[1024];
  size_t len;
} sj_ctx;

void sj_init(sj_ctx *c, const char *name, berth_error **err, spec_strv *warnings);
void sj_release(sj_ctx *c);

/* Parse a document whose top level must be an object. Syntax errors read
 * `<name>:<line>:<column>: <what jansson saw>`. */
int sj_load(sj_ctx *c, const char *buf, size_t len, json_t **out);

/* Path bookkeeping: push returns a mark that pop restores. */
size_t sj_push(sj_ctx *c, const char *key);
size_t sj_push_index(sj_ctx *c, size_t index);
size_t sj_push_map_key(sj_ctx *c, const char *key); /* `["net.ipv4.ip_forward"]` */
void sj_pop(sj_ctx *c, size_t mark);

/* `<name>: <path>[.key]: <message>`; key may be NULL. Returns -1. The
 * error's code is BERTH-E-SPEC-SCHEMA; sj_fail_id names a more specific
 * one (a hook's path, an rlimit's type). */
int sj_fail(sj_ctx *c, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sj_fail_id(sj_ctx *c, const char *id, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* rc, a getter's result; when it is -1 its error takes the code `id`: a
 * value outside a list (an unknown seccomp action) is that field's own
 * failure rather than a generic schema violation. */
int sj_code(sj_ctx *c, const char *id, int rc);
int sj_type_error(sj_ctx *c, const char *key, const char *expected, json_t *got);
int sj_missing(sj_ctx *c, const char *key);
int sj_oom(sj_ctx *c);
/* Appends `<message>` to the warnings; fails only when out of memory. */
int sj_warn(sj_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The current path with `key` appended, for warnings. Valid until the next call. */
const char *sj_path(sj_ctx *c, const char *key);

/* "a string", "an integer", ... for messages. */
const char *sj_kind(const sj_ctx *c, json_t *v);

/* The field's value, or NULL when absent or null. */
json_t *sj_field(json_t *obj, const char *key);

/* Checks on a value already in hand; key only names it in messages. */
int sj_as_string(sj_ctx *c, json_t *v, const char *key, char **out);
int sj_as_int(sj_ctx *c, json_t *v, const char *key, int64_t min, int64_t max, int64_t *out);
int sj_as_uint(sj_ctx *c, json_t *v, const char *key, uint64_t max, uint64_t *out);
int sj_as_object(sj_ctx *c, json_t *v, const char *key);
int sj_as_array(sj_ctx *c, json_t *v, const char *key);

int sj_string(sj_ctx *c, json_t *obj, const char *key, char **out);
int sj_string_required(sj_ctx *c, json_t *obj, const char *key, char **out);
int sj_bool(sj_ctx *c, json_t *obj, const char *key, bool *out);
int sj_int(sj_ctx *c, json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out);
int sj_uint(sj_ctx *c, json_t *obj, const char *key, uint64_t max, uint64_t *out);
int sj_u32(sj_ctx *c, json_t *obj, const char *key, uint32_t *out);
int sj_u32_required(sj_ctx *c, json_t *obj, const char *key, uint32_t *out);
int sj_opt_i64(sj_ctx *c, json_t *obj, const char *key, opt_i64 *out);
int sj_opt_u64(sj_ctx *c, json_t *obj, const char *key, uint64_t max, opt_u64 *out);
int sj_opt_bool(sj_ctx *c, json_t *obj, const char *key, opt_bool *out);
int sj_object(sj_ctx *c, json_t *obj, const char *key, json_t **out);
int sj_array(sj_ctx *c, json_t *obj, const char *key, json_t **out);
int sj_strv(sj_ctx *c, json_t *obj, const char *key, spec_strv *out);
/* An object of string values, in document order. */
int sj_string_map(sj_ctx *c, json_t *obj, const char *key, spec_kvs *out);

/* A string that must be one of `names` (NULL-terminated). *index gets its
 * position; *out (may be NULL) a copy. */
int sj_enum(sj_ctx *c, json_t *obj, const char *key, const char *const *names, char **out,
            int *index);
/* Every element of a string array must be one of `names`. */
int sj_enum_strv(sj_ctx *c, json_t *obj, const char *key, const char *const *names,
                 spec_strv *out);

/* uidMappings/gidMappings, of linux and of a mount. */
int sj_idmaps(sj_ctx *c, json_t *obj, const char *key, spec_idmaps *out);

/* Heap helpers for the spec types. */
int sj_strv_push(spec_strv *s, char *owned);
void sj_strv_free(spec_strv *s);
void sj_kvs_free(spec_kvs *kv);
void *sj_calloc(sj_ctx *c, size_t n, size_t size);

#endif
