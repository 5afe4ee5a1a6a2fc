/* org.systemd.property.<Name> annotations: runc reads their values as
 * GVariant text (with godbus's parser), so the same spellings work here:
 * "uint64 123", "@t 123", "123" (an int32), "1.5" (a double), "true",
 * "'text'" or "\"text\"", and arrays of those ("['a.service']",
 * "@au [1, 2]"). Dictionaries, tuples and nested variants are not
 * properties systemd takes from a container runtime; they are refused. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "systemd.h"

#define ANNOTATION_PREFIX "org.systemd.property."
#define USEC_PER_SEC 1000000u

struct vparser {
  const char *p;
  char **why;
};

static const struct {
  const char *word;
  char type;
} type_words[] = {
    {"boolean", 'b'}, {"byte", 'y'},  {"int16", 'n'},  {"uint16", 'q'},
    {"int32", 'i'},   {"uint32", 'u'}, {"int64", 'x'},  {"uint64", 't'},
    {"double", 'd'},  {"string", 's'}, {"objectpath", 'o'}, {"signature", 'g'},
};

__attribute__((format(printf, 2, 3))) static int vfail(struct vparser *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (v->why != NULL && vasprintf(v->why, fmt, ap) < 0)
    *v->why = NULL;
  va_end(ap);
  return -1;
}

static void skip_space(struct vparser *v) {
  while (isspace((unsigned char)*v->p))
    v->p++;
}

static bool is_basic(char c) {
  return c != '\0' && strchr("ybnqiuxtdsog", c) != NULL;
}

/* "@t", "@as" or a word such as "uint64" before the value, if any. */
static int parse_type(struct vparser *v, bool *array, char *elem) {
  const char *start = v->p;
  size_t len = strcspn(start, " \t\n[");
  if (*start == '@') {
    bool arr = len == 3 && start[1] == 'a';
    char c = start[arr ? 2 : 1];
    if ((len != 2 && !arr) || !is_basic(c))
      return vfail(v, "unsupported type \"%.*s\"", (int)len, start);
    *array = arr;
    *elem = c;
    v->p += len;
    return 0;
  }
  for (size_t i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++) {
    if (strlen(type_words[i].word) == len && strncmp(start, type_words[i].word, len) == 0 &&
        isspace((unsigned char)start[len])) {
      *elem = type_words[i].type;
      v->p += len;
      return 0;
    }
  }
  return 0;
}

static int number_in_range(struct vparser *v, const char *tok, char type, unit_value *out) {
  static const char unsigned_types[] = "yqut";
  char *end = NULL;
  errno = 0;
  if (type == 'd') {
    out->num.d = strtod(tok, &end);
  } else if (strchr(unsigned_types, type) != NULL) {
    if (tok[0] == '-' || tok[0] == '+')
      return vfail(v, "%s is not a valid %c", tok, type);
    out->num.u = strtoull(tok, &end, 0);
    uint64_t max = type == 'y' ? UINT8_MAX : type == 'q' ? UINT16_MAX
                 : type == 'u' ? UINT32_MAX : UINT64_MAX;
    if (out->num.u > max)
      errno = ERANGE;
  } else {
    out->num.i = strtoll(tok, &end, 0);
    int64_t max = type == 'n' ? INT16_MAX : type == 'i' ? INT32_MAX : INT64_MAX;
    if (out->num.i > max || out->num.i < -max - 1)
      errno = ERANGE;
  }
  if (end == tok || *end != '\0')
    return vfail(v, "bad number syntax: \"%s\"", tok);
  if (errno == ERANGE)
    return vfail(v, "%s is out of range for type %c", tok, type);
  out->type = type;
  return 0;
}

static int parse_number(struct vparser *v, char type, unit_value *out) {
  const char *start = v->p;
  if (*v->p == '+' || *v->p == '-')
    v->p++;
  while (isalnum((unsigned char)*v->p) || *v->p == '.' ||
         ((*v->p == '+' || *v->p == '-') && (v->p[-1] == 'e' || v->p[-1] == 'E')))
    v->p++;
  char *tok = strndup(start, (size_t)(v->p - start));
  if (tok == NULL)
    return vfail(v, "out of memory");
  bool hex = strstr(tok, "0x") != NULL || strstr(tok, "0X") != NULL;
  if (type == '\0')
    type = !hex && strpbrk(tok, ".eE") != NULL ? 'd' : 'i';
  int rc = strchr("ynqiuxtd", type) != NULL ? number_in_range(v, tok, type, out)
                                            : vfail(v, "can't parse %s as type %c", tok, type);
  free(tok);
  return rc;
}

/* UTF-8 for a \u or \U escape. */
static void put_utf8(FILE *f, unsigned long c) {
  if (c < 0x80) {
    fputc((int)c, f);
  } else if (c < 0x800) {
    fputc((int)(0xc0 | (c >> 6)), f);
    fputc((int)(0x80 | (c & 0x3f)), f);
  } else if (c < 0x10000) {
    fputc((int)(0xe0 | (c >> 12)), f);
    fputc((int)(0x80 | ((c >> 6) & 0x3f)), f);
    fputc((int)(0x80 | (c & 0x3f)), f);
  } else {
    fputc((int)(0xf0 | (c >> 18)), f);
    fputc((int)(0x80 | ((c >> 12) & 0x3f)), f);
    fputc((int)(0x80 | ((c >> 6) & 0x3f)), f);
    fputc((int)(0x80 | (c & 0x3f)), f);
  }
}

/* One character after a backslash; p points at it. Returns what it used. */
static int unescape(FILE *f, const char *p) {
  static const char from[] = "abfnrt", to[] = "\a\b\f\n\r\t";
  const char *k = strchr(from, *p);
  if (*p != '\0' && k != NULL) {
    fputc(to[k - from], f);
    return 1;
  }
  int digits = *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
  if (digits == 0) {
    if (*p != '\n')
      fputc(*p, f);
    return 1;
  }
  char hex[9] = {0};
  memcpy(hex, p + 1, (size_t)digits);
  char *end = NULL;
  unsigned long c = strtoul(hex, &end, 16);
  if (strlen(hex) != (size_t)digits || *end != '\0' || c > 0x10ffff)
    return -1;
  put_utf8(f, c);
  return 1 + digits;
}

static int parse_string(struct vparser *v, char type, unit_value *out) {
  if (type != '\0' && strchr("sog", type) == NULL)
    return vfail(v, "invalid type %c for a string", type);
  char quote = *v->p++, *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return vfail(v, "out of memory");
  int rc = 0;
  while (rc == 0 && *v->p != quote) {
    if (*v->p == '\0') {
      rc = vfail(v, "unterminated string");
    } else if (*v->p == '\\') {
      int used = unescape(f, v->p + 1);
      rc = used < 0 ? vfail(v, "bad escape in string") : 0;
      v->p += 1 + (used < 0 ? 0 : used);
    } else {
      fputc(*v->p++, f);
    }
  }
  if (fclose(f) != 0 && rc == 0)
    rc = vfail(v, "out of memory");
  if (rc < 0) {
    free(text);
    return -1;
  }
  v->p++;
  out->type = type ? type : 's';
  out->str = text;
  return 0;
}

static bool word_at(const char *p, const char *word) {
  size_t n = strlen(word);
  return strncmp(p, word, n) == 0 && !isalnum((unsigned char)p[n]);
}

static int parse_scalar(struct vparser *v, char type, unit_value *out) {
  skip_space(v);
  if (word_at(v->p, "true") || word_at(v->p, "false")) {
    if (type != '\0' && type != 'b')
      return vfail(v, "can't parse a boolean as type %c", type);
    out->type = 'b';
    out->num.i = *v->p == 't';
    v->p += out->num.i ? 4 : 5;
    return 0;
  }
  if (*v->p == '\'' || *v->p == '"')
    return parse_string(v, type, out);
  if (isdigit((unsigned char)*v->p) || *v->p == '+' || *v->p == '-' || *v->p == '.')
    return parse_number(v, type, out);
  if (*v->p == '\0')
    return vfail(v, "unexpected end of value");
  return vfail(v, "unexpected \"%c\"", *v->p);
}

static int push_value(unit_prop *out, const unit_value *val) {
  unit_value *grown = realloc(out->v, (out->n + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  out->v = grown;
  out->v[out->n++] = *val;
  return 0;
}

/* After the '['. The first element fixes the type when none was given. */
static int parse_array(struct vparser *v, unit_prop *out) {
  skip_space(v);
  if (*v->p == ']') {
    v->p++;
    return out->elem == '\0' ? vfail(v, "can't infer the type of an empty array") : 0;
  }
  for (;;) {
    skip_space(v);
    bool nested = false;
    char elem = out->elem;
    if (parse_type(v, &nested, &elem) < 0)
      return -1;
    if (nested || (out->elem != '\0' && elem != out->elem))
      return vfail(v, "array elements of different types");
    unit_value val = {0};
    if (parse_scalar(v, elem, &val) < 0)
      return -1;
    out->elem = val.type;
    if (push_value(out, &val) < 0) {
      free(val.str);
      return vfail(v, "out of memory");
    }
    skip_space(v);
    if (*v->p == ']') {
      v->p++;
      return 0;
    }
    if (*v->p++ != ',')
      return vfail(v, "expected \",\" or \"]\" in an array");
  }
}

int unit_parse_variant(const char *text, unit_prop *out, char **why) {
  struct vparser v = {.p = text, .why = why};
  out->array = false;
  out->elem = '\0';
  out->v = NULL;
  out->n = 0;
  skip_space(&v);
  int rc = parse_type(&v, &out->array, &out->elem);
  skip_space(&v);
  if (rc == 0 && *v.p == '[') {
    v.p++;
    out->array = true;
    rc = parse_array(&v, out);
  } else if (rc == 0 && out->array) {
    rc = vfail(&v, "expected an array");
  } else if (rc == 0) {
    unit_value val = {0};
    rc = parse_scalar(&v, out->elem, &val);
    if (rc == 0 && push_value(out, &val) < 0) {
      free(val.str);
      rc = vfail(&v, "out of memory");
    }
    if (rc == 0)
      out->elem = val.type;
  }
  skip_space(&v);
  if (rc == 0 && *v.p != '\0')
    rc = vfail(&v, "unexpected \"%s\" after the value", v.p);
  if (rc < 0) {
    for (size_t i = 0; i < out->n; i++)
      free(out->v[i].str);
    free(out->v);
    out->v = NULL;
    out->n = 0;
  }
  return rc;
}

/* ---- annotations ---- */

/* runc's rule: ASCII letters only, at least three of them. */
static const char *bad_property_name(const char *name) {
  if (strlen(name) < 3)
    return "too short";
  for (const char *c = name; *c; c++)
    if (!isalpha((unsigned char)*c) || (unsigned char)*c >= 0x80)
      return "contains non-alphabetic character";
  return NULL;
}

/* TimeoutStopSec=5 is documented; the D-Bus property is TimeoutStopUSec. */
static bool seconds_name(const char *name) {
  size_t n = strlen(name);
  return n > 3 && strcmp(name + n - 3, "Sec") == 0 && name[n - 4] >= 'a' && name[n - 4] <= 'z';
}

static int seconds_to_usec(unit_prop *p) {
  if (p->array || strchr("ynqiuxtd", p->elem) == NULL)
    return -1;
  unit_value *val = &p->v[0];
  if (p->elem == 'd')
    val->num.u = (uint64_t)(val->num.d * USEC_PER_SEC);
  else if (strchr("nix", p->elem) != NULL)
    val->num.u = (uint64_t)val->num.i * USEC_PER_SEC;
  else
    val->num.u *= USEC_PER_SEC;
  val->type = p->elem = 't';
  size_t n = strlen(p->name);
  char *renamed = NULL;
  if (asprintf(&renamed, "%.*sUSec", (int)(n - 3), p->name) < 0)
    return -1;
  free(p->name);
  p->name = renamed;
  return 0;
}

static int annotation_prop(const spec_kv *kv, unit_prop *prop, berth_error **err) {
  const char *name = kv->key + strlen(ANNOTATION_PREFIX);
  const char *bad = bad_property_name(name);
  if (bad != NULL)
    return berth_fail_id(err, "BERTH-E-SYSTEMD-PROPERTY", EINVAL,
                         "annotation %s name incorrect: %s", kv->key, bad);
  char *why = NULL;
  if (unit_parse_variant(kv->value, prop, &why) < 0) {
    berth_fail_id(err, "BERTH-E-SYSTEMD-PROPERTY", EINVAL,
                  "annotation %s=%s value parse error: %s", kv->key, kv->value,
                  why ? why : "out of memory");
    free(why);
    return -1;
  }
  prop->name = strdup(name);
  if (prop->name == NULL)
    return berth_fail(err, ENOMEM, "annotation %s", kv->key);
  if (seconds_name(name) && seconds_to_usec(prop) < 0)
    return berth_fail_id(err, "BERTH-E-SYSTEMD-PROPERTY", EINVAL,
                         "annotation %s=%s value parse error: not a number", kv->key,
                         kv->value);
  return 0;
}

int unit_props_from_annotations(const spec_kvs *annotations, unit_props *out,
                                berth_error **err) {
  for (size_t i = 0; i < annotations->n; i++) {
    const spec_kv *kv = &annotations->v[i];
    if (strncmp(kv->key, ANNOTATION_PREFIX, strlen(ANNOTATION_PREFIX)) != 0)
      continue;
    unit_prop prop = {0};
    int rc = annotation_prop(kv, &prop, err);
    if (rc == 0 && unit_props_push(out, &prop) < 0)
      rc = berth_fail(err, ENOMEM, "annotation %s", kv->key);
    if (rc < 0) {
      unit_prop_release(&prop);
      return -1;
    }
  }
  return 0;
}
