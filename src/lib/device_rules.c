#include "device_rules.h"

#include <stdlib.h>
#include <string.h>

#define ANY ((opt_i64){.set = false})
#define NUM(x) ((opt_i64){.set = true, .v = (x)})

static const struct {
  const char *path; /* NULL for rules not tied to one node */
  spec_device_rule rule;
} default_rules[] = {
    {NULL, {.allow = true, .type = 'c', .major = ANY, .minor = ANY, .access = "m"}},
    {NULL, {.allow = true, .type = 'b', .major = ANY, .minor = ANY, .access = "m"}},
    {"/dev/null", {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(3), .access = "rwm"}},
    {"/dev/random", {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(8), .access = "rwm"}},
    {"/dev/full", {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(7), .access = "rwm"}},
    {"/dev/tty", {.allow = true, .type = 'c', .major = NUM(5), .minor = NUM(0), .access = "rwm"}},
    {"/dev/zero", {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(5), .access = "rwm"}},
    {"/dev/urandom", {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(9), .access = "rwm"}},
    {NULL, {.allow = true, .type = 'c', .major = NUM(136), .minor = ANY, .access = "rwm"}}, /* pts */
    {NULL, {.allow = true, .type = 'c', .major = NUM(5), .minor = NUM(2), .access = "rwm"}}, /* ptmx */
    {NULL, {.allow = true, .type = 'c', .major = NUM(10), .minor = NUM(200), .access = "rwm"}}, /* tun */
};

static bool redefined(const spec *s, const char *path) {
  for (size_t i = 0; path != NULL && i < s->linux.n_devices; i++) {
    if (strcmp(s->linux.devices[i].path, path) == 0)
      return true;
  }
  return false;
}

spec_device_rule *device_rules_effective(const spec *s, size_t *n) {
  const spec_resources *r = s->linux.resources;
  size_t n_user = r ? r->n_devices : 0;
  size_t n_defaults = sizeof(default_rules) / sizeof(default_rules[0]);
  spec_device_rule *rules = calloc(n_user + n_defaults, sizeof(*rules));
  if (rules == NULL)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n_user; i++)
    rules[k++] = r->devices[i];
  for (size_t i = 0; i < n_defaults; i++) {
    if (!redefined(s, default_rules[i].path))
      rules[k++] = default_rules[i].rule;
  }
  *n = k;
  return rules;
}
