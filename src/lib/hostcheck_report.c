/* The findings of `berth check`, as a list and as JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcheck.h"

void hc_add(hc_report *r, const char *section, enum hc_status st, const char *name,
            const char *fmt, ...) {
  hc_item *grown = realloc(r->v, (r->n + 1) * sizeof(*grown));
  if (grown == NULL)
    return;
  r->v = grown;
  hc_item *it = &r->v[r->n];
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&it->detail, fmt, ap) < 0)
    it->detail = NULL;
  va_end(ap);
  it->section = strdup(section);
  it->name = strdup(name);
  it->status = st;
  if (it->detail == NULL || it->section == NULL || it->name == NULL) {
    free(it->detail);
    free(it->section);
    free(it->name);
    return;
  }
  r->n++;
}

size_t hc_count(const hc_report *r, enum hc_status st) {
  size_t n = 0;
  for (size_t i = 0; i < r->n; i++)
    n += r->v[i].status == st;
  return n;
}

static const char *status_name(enum hc_status st) {
  return st == HC_OK ? "ok" : st == HC_WARN ? "warn" : "fail";
}

json_t *hc_report_json(const hc_report *r) {
  json_t *checks = json_array();
  for (size_t i = 0; i < r->n; i++) {
    const hc_item *it = &r->v[i];
    json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "section", it->section,
                                            "name", it->name, "status", status_name(it->status),
                                            "detail", it->detail));
  }
  return json_pack("{s:b, s:o}", "ok", hc_count(r, HC_FAIL) == 0, "checks", checks);
}

void hc_report_free(hc_report *r) {
  for (size_t i = 0; i < r->n; i++) {
    free(r->v[i].section);
    free(r->v[i].name);
    free(r->v[i].detail);
  }
  free(r->v);
  r->v = NULL;
  r->n = 0;
}
