#include "spec_json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string value beginning with this byte stands for an entry of c->big.
 * JSON text cannot carry a raw control byte, so a document could only
 * produce it through "\u0001", which no config field has reason to hold. */
#define BIG_MARK '\x01'

void sj_init(sj_ctx *c, const char *name, berth_error **err, spec_strv *warnings) {
  memset(c, 0, sizeof(*c));
  c->name = name;
  c->err = err;
  c->warnings = warnings;
}

void sj_release(sj_ctx *c) {
  free(c->big);
  c->big = NULL;
  c->n_big = 0;
}

/* ---- integers beyond int64 ---- */

static bool is_token_edge(char ch) {
  return ch == ',' || ch == ':' || ch == '[' || ch == ']' || ch == '{' || ch == '}' ||
         isspace((unsigned char)ch);
}

/* Rewrites the digit run at text[0..n) in place as a same-length string
 * naming its slot in c->big, so line:column of later errors do not move. */
static int stash_big(sj_ctx *c, char *text, size_t n, uint64_t value) {
  char token[32];
  int w = snprintf(token, sizeof(token), "\"\\u0001%zu\"", c->n_big);
  if (w < 0 || (size_t)w > n)
    return 0; /* cannot fit: leave it for jansson to reject */
  uint64_t *grown = realloc(c->big, (c->n_big + 1) * sizeof(*grown));
  if (grown == NULL)
    return sj_oom(c);
  c->big = grown;
  c->big[c->n_big++] = value;
  memset(text, ' ', n);
  memcpy(text, token, (size_t)w);
  return 0;
}

static int stash_big_integers(sj_ctx *c, char *text, size_t len) {
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    char ch = text[i];
    if (in_string) {
      if (ch == '\\')
        i++;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (ch == '"') {
      in_string = true;
      continue;
    }
    if (!isdigit((unsigned char)ch) || (i > 0 && !is_token_edge(text[i - 1])))
      continue;
    size_t end = i;
    while (end < len && isdigit((unsigned char)text[end]))
      end++;
    size_t n = end - i;
    if (n >= 19 && n <= 20 && (end == len || is_token_edge(text[end])) && text[i] != '0') {
      char digits[21];
      memcpy(digits, text + i, n);
      digits[n] = '\0';
      errno = 0;
      unsigned long long v = strtoull(digits, NULL, 10);
      if (errno == 0 && v > (unsigned long long)INT64_MAX && stash_big(c, text + i, n, v) < 0)
        return -1;
    }
    i = end - 1;
  }
  return 0;
}

static bool big_index(const sj_ctx *c, json_t *v, size_t *index) {
  if (!json_is_string(v))
    return false;
  const char *s = json_string_value(v);
  if (s[0] != BIG_MARK || s[1] == '\0')
    return false;
  char *end = NULL;
  unsigned long long i = strtoull(s + 1, &end, 10);
  if (*end != '\0' || i >= c->n_big)
    return false;
  *index = (size_t)i;
  return true;
}

int sj_load(sj_ctx *c, const char *buf, size_t len, json_t **out) {
  char *text = malloc(len + 1);
  if (text == NULL)
    return sj_oom(c);
  memcpy(text, buf, len);
  text[len] = '\0';
  if (stash_big_integers(c, text, len) < 0) {
    free(text);
    return -1;
  }
  json_error_t jerr;
  json_t *root = json_loadb(text, len, 0, &jerr);
  free(text);
  if (root == NULL) {
    if (jerr.line > 0)
      return berth_fail_id(c->err, "BERTH-E-SPEC-JSON", 0, "%s:%d:%d: %s", c->name, jerr.line,
                           jerr.column, jerr.text);
    return berth_fail_id(c->err, "BERTH-E-SPEC-JSON", 0, "%s: %s", c->name, jerr.text);
  }
  if (!json_is_object(root)) {
    sj_type_error(c, NULL, "an object at the top level", root);
    json_decref(root);
    return -1;
  }
  *out = root;
  return 0;
}

/* ---- path and messages ---- */

static size_t path_append(sj_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_append(sj_ctx *c, const char *fmt, ...) {
  size_t mark = c->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    c->len += (size_t)n < sizeof(c->path) - c->len ? (size_t)n : sizeof(c->path) - 1 - c->len;
  return mark;
}

size_t sj_push(sj_ctx *c, const char *key) {
  return c->len == 0 ? path_append(c, "%s", key) : path_append(c, ".%s", key);
}

size_t sj_push_index(sj_ctx *c, size_t index) {
  return path_append(c, "[%zu]", index);
}

size_t sj_push_map_key(sj_ctx *c, const char *key) {
  return path_append(c, "[\"%s\"]", key);
}

void sj_pop(sj_ctx *c, size_t mark) {
  c->len = mark;
  c->path[mark] = '\0';
}

const char *sj_path(sj_ctx *c, const char *key) {
  if (key == NULL)
    return c->path;
  size_t mark = sj_push(c, key);
  static __thread char full[sizeof(c->path)];
  memcpy(full, c->path, c->len + 1);
  sj_pop(c, mark);
  return full;
}

static int vfail(sj_ctx *c, const char *id, const char *key, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int vfail(sj_ctx *c, const char *id, const char *key, const char *fmt, va_list ap) {
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    return sj_oom(c);
  const char *path = sj_path(c, key);
  if (path[0] == '\0')
    berth_fail_id(c->err, id, 0, "%s: %s", c->name, msg);
  else
    berth_fail_id(c->err, id, 0, "%s: %s: %s", c->name, path, msg);
  free(msg);
  return -1;
}

int sj_fail(sj_ctx *c, const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(c, "BERTH-E-SPEC-SCHEMA", key, fmt, ap);
  va_end(ap);
  return -1;
}

int sj_fail_id(sj_ctx *c, const char *id, const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(c, id, key, fmt, ap);
  va_end(ap);
  return -1;
}

int sj_code(sj_ctx *c, const char *id, int rc) {
  if (rc < 0)
    berth_recode(c->err, id);
  return rc;
}

int sj_oom(sj_ctx *c) {
  return berth_fail(c->err, ENOMEM, "%s", c->name);
}

int sj_missing(sj_ctx *c, const char *key) {
  return sj_fail(c, key, "is required");
}

const char *sj_kind(const sj_ctx *c, json_t *v) {
  size_t ignored;
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return big_index(c, v, &ignored) ? "an integer" : "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a real number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  case JSON_NULL: return "null";
  }
  return "an unknown value";
}

int sj_type_error(sj_ctx *c, const char *key, const char *expected, json_t *got) {
  return sj_fail(c, key, "expected %s, got %s", expected, sj_kind(c, got));
}

int sj_warn(sj_ctx *c, const char *fmt, ...) {
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    return sj_oom(c);
  if (c->warnings == NULL) {
    free(msg);
    return 0;
  }
  if (sj_strv_push(c->warnings, msg) < 0) {
    free(msg);
    return sj_oom(c);
  }
  return 0;
}

/* ---- values ---- */

json_t *sj_field(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_null(v) ? NULL : v;
}

int sj_as_string(sj_ctx *c, json_t *v, const char *key, char **out) {
  size_t ignored;
  if (!json_is_string(v) || big_index(c, v, &ignored))
    return sj_type_error(c, key, "a string", v);
  char *copy = strdup(json_string_value(v));
  if (copy == NULL)
    return sj_oom(c);
  free(*out);
  *out = copy;
  return 0;
}

int sj_as_int(sj_ctx *c, json_t *v, const char *key, int64_t min, int64_t max, int64_t *out) {
  size_t big;
  if (big_index(c, v, &big))
    return sj_fail(c, key, "expected an integer from %" PRId64 " to %" PRId64 ", got %" PRIu64,
                   min, max, c->big[big]);
  if (!json_is_integer(v))
    return sj_type_error(c, key, "an integer", v);
  int64_t value = json_integer_value(v);
  if (value < min || value > max)
    return sj_fail(c, key, "expected an integer from %" PRId64 " to %" PRId64 ", got %" PRId64,
                   min, max, value);
  *out = value;
  return 0;
}

int sj_as_uint(sj_ctx *c, json_t *v, const char *key, uint64_t max, uint64_t *out) {
  size_t big;
  uint64_t value;
  if (big_index(c, v, &big)) {
    value = c->big[big];
  } else if (json_is_integer(v)) {
    if (json_integer_value(v) < 0)
      return sj_fail(c, key, "expected an integer from 0 to %" PRIu64 ", got %" PRId64, max,
                     (int64_t)json_integer_value(v));
    value = (uint64_t)json_integer_value(v);
  } else {
    return sj_type_error(c, key, "an integer", v);
  }
  if (value > max)
    return sj_fail(c, key, "expected an integer from 0 to %" PRIu64 ", got %" PRIu64, max, value);
  *out = value;
  return 0;
}

int sj_as_object(sj_ctx *c, json_t *v, const char *key) {
  return json_is_object(v) ? 0 : sj_type_error(c, key, "an object", v);
}

int sj_as_array(sj_ctx *c, json_t *v, const char *key) {
  return json_is_array(v) ? 0 : sj_type_error(c, key, "an array", v);
}

/* ---- fields ---- */

int sj_string(sj_ctx *c, json_t *obj, const char *key, char **out) {
  json_t *v = sj_field(obj, key);
  if (v == NULL)
    return 0;
  return sj_as_string(c, v, key, out) < 0 ? -1 : 1;
}

int sj_string_required(sj_ctx *c, json_t *obj, const char *key, char **out) {
  int rc = sj_string(c, obj, key, out);
  return rc == 0 ? sj_missing(c, key) : rc;
}

int sj_bool(sj_ctx *c, json_t *obj, const char *key, bool *out) {
  json_t *v = sj_field(obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_boolean(v))
    return sj_type_error(c, key, "a boolean", v);
  *out = json_is_true(v);
  return 1;
}

int sj_int(sj_ctx *c, json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out) {
  json_t *v = sj_field(obj, key);
  if (v == NULL)
    return 0;
  return sj_as_int(c, v, key, min, max, out) < 0 ? -1 : 1;
}

int sj_uint(sj_ctx *c, json_t *obj, const char *key, uint64_t max, uint64_t *out) {
  json_t *v = sj_field(obj, key);
  if (v == NULL)
    return 0;
  return sj_as_uint(c, v, key, max, out) < 0 ? -1 : 1;
}

int sj_u32(sj_ctx *c, json_t *obj, const char *key, uint32_t *out) {
  uint64_t v;
  int rc = sj_uint(c, obj, key, UINT32_MAX, &v);
  if (rc > 0)
    *out = (uint32_t)v;
  return rc;
}

int sj_u32_required(sj_ctx *c, json_t *obj, const char *key, uint32_t *out) {
  int rc = sj_u32(c, obj, key, out);
  return rc == 0 ? sj_missing(c, key) : rc;
}

int sj_opt_i64(sj_ctx *c, json_t *obj, const char *key, opt_i64 *out) {
  int rc = sj_int(c, obj, key, INT64_MIN, INT64_MAX, &out->v);
  out->set = rc > 0;
  return rc;
}

int sj_opt_u64(sj_ctx *c, json_t *obj, const char *key, uint64_t max, opt_u64 *out) {
  int rc = sj_uint(c, obj, key, max, &out->v);
  out->set = rc > 0;
  return rc;
}

int sj_opt_bool(sj_ctx *c, json_t *obj, const char *key, opt_bool *out) {
  int rc = sj_bool(c, obj, key, &out->v);
  out->set = rc > 0;
  return rc;
}

int sj_object(sj_ctx *c, json_t *obj, const char *key, json_t **out) {
  json_t *v = sj_field(obj, key);
  if (v == NULL)
    return 0;
  if (sj_as_object(c, v, key) < 0)
    return -1;
  *out = v;
  return 1;
}

int sj_array(sj_ctx *c, json_t *obj, const char *key, json_t **out) {
  json_t *v = sj_field(obj, key);
  if (v == NULL)
    return 0;
  if (sj_as_array(c, v, key) < 0)
    return -1;
  *out = v;
  return 1;
}

int sj_strv(sj_ctx *c, json_t *obj, const char *key, spec_strv *out) {
  json_t *arr;
  int rc = sj_array(c, obj, key, &arr);
  if (rc <= 0)
    return rc;
  sj_strv_free(out);
  out->v = sj_calloc(c, json_array_size(arr) + 1, sizeof(char *));
  if (out->v == NULL)
    return -1;
  size_t mark = sj_push(c, key);
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    if (sj_as_string(c, item, NULL, &out->v[i]) < 0)
      return -1;
    out->n = i + 1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 1;
}

int sj_string_map(sj_ctx *c, json_t *obj, const char *key, spec_kvs *out) {
  json_t *map;
  int rc = sj_object(c, obj, key, &map);
  if (rc <= 0)
    return rc;
  out->v = sj_calloc(c, json_object_size(map) + 1, sizeof(spec_kv));
  if (out->v == NULL)
    return -1;
  size_t mark = sj_push(c, key);
  const char *k;
  json_t *value;
  json_object_foreach(map, k, value) {
    size_t at = sj_push_map_key(c, k);
    spec_kv *kv = &out->v[out->n++];
    kv->key = strdup(k);
    if (kv->key == NULL)
      return sj_oom(c);
    if (sj_as_string(c, value, NULL, &kv->value) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 1;
}

static int enum_index(const char *const *names, const char *s) {
  for (int i = 0; names[i] != NULL; i++)
    if (strcmp(names[i], s) == 0)
      return i;
  return -1;
}

static int enum_error(sj_ctx *c, const char *key, const char *const *names, const char *got) {
  size_t cap = 64;
  for (int i = 0; names[i] != NULL; i++)
    cap += strlen(names[i]) + 2;
  char *list = malloc(cap);
  if (list == NULL)
    return sj_oom(c);
  list[0] = '\0';
  for (int i = 0; names[i] != NULL; i++) {
    if (i > 0)
      strcat(list, ", ");
    strcat(list, names[i]);
  }
  sj_fail(c, key, "expected one of %s, got \"%s\"", list, got);
  free(list);
  return -1;
}

static int as_enum(sj_ctx *c, json_t *v, const char *key, const char *const *names, char **out,
                   int *index) {
  char *s = NULL;
  if (sj_as_string(c, v, key, &s) < 0)
    return -1;
  int i = enum_index(names, s);
  if (i < 0) {
    enum_error(c, key, names, s);
    free(s);
    return -1;
  }
  if (index != NULL)
    *index = i;
  if (out != NULL) {
    free(*out);
    *out = s;
  } else {
    free(s);
  }
  return 0;
}

int sj_enum(sj_ctx *c, json_t *obj, const char *key, const char *const *names, char **out,
            int *index) {
  json_t *v = sj_field(obj, key);
  if (v == NULL)
    return 0;
  return as_enum(c, v, key, names, out, index) < 0 ? -1 : 1;
}

int sj_enum_strv(sj_ctx *c, json_t *obj, const char *key, const char *const *names,
                 spec_strv *out) {
  int rc = sj_strv(c, obj, key, out);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, key);
  for (size_t i = 0; i < out->n; i++) {
    if (enum_index(names, out->v[i]) < 0) {
      size_t at = sj_push_index(c, i);
      enum_error(c, NULL, names, out->v[i]);
      sj_pop(c, at);
      return -1;
    }
  }
  sj_pop(c, mark);
  return 1;
}

/* ---- heap helpers ---- */

int sj_strv_push(spec_strv *s, char *owned) {
  char **grown = realloc(s->v, (s->n + 2) * sizeof(char *));
  if (grown == NULL)
    return -1;
  s->v = grown;
  s->v[s->n++] = owned;
  s->v[s->n] = NULL;
  return 0;
}

void sj_strv_free(spec_strv *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = 0;
}

void sj_kvs_free(spec_kvs *kv) {
  for (size_t i = 0; i < kv->n; i++) {
    free(kv->v[i].key);
    free(kv->v[i].value);
  }
  free(kv->v);
  kv->v = NULL;
  kv->n = 0;
}

void *sj_calloc(sj_ctx *c, size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (p == NULL)
    sj_oom(c);
  return p;
}

/* ---- ID mappings ---- */

static int parse_idmap(sj_ctx *c, json_t *item, spec_idmap *m) {
  if (sj_as_object(c, item, NULL) < 0 ||
      sj_u32_required(c, item, "containerID", &m->container_id) < 0 ||
      sj_u32_required(c, item, "hostID", &m->host_id) < 0 ||
      sj_u32_required(c, item, "size", &m->size) < 0)
    return -1;
  return 0;
}

int sj_idmaps(sj_ctx *c, json_t *obj, const char *key, spec_idmaps *out) {
  json_t *arr;
  int rc = sj_array(c, obj, key, &arr);
  if (rc <= 0)
    return rc;
  out->v = sj_calloc(c, json_array_size(arr), sizeof(spec_idmap));
  if (out->v == NULL)
    return -1;
  out->n = json_array_size(arr);
  size_t mark = sj_push(c, key);
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    if (parse_idmap(c, item, &out->v[i]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}
