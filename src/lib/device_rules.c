#include "device_rules.h"

#include <stdlib.h>
#include <string.h>

#define ANY ((opt_i64){.set = false})
#define NUM(x) ((opt_i64){.set = true, .v = (x)})

static const spec_device_rule default_rules[] = {
    {.allow = true, .type = 'c', .major = ANY, .minor = ANY, .access = "m"},
    {.allow = true, .type = 'b', .major = ANY, .minor = ANY, .access = "m"},
    {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(3), .access = "rwm"},   /* null */
    {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(8), .access = "rwm"},   /* random */
    {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(7), .access = "rwm"},   /* full */
    {.allow = true, .type = 'c', .major = NUM(5), .minor = NUM(0), .access = "rwm"},   /* tty */
    {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(5), .access = "rwm"},   /* zero */
    {.allow = true, .type = 'c', .major = NUM(1), .minor = NUM(9), .access = "rwm"},   /* urandom */
    {.allow = true, .type = 'c', .major = NUM(136), .minor = ANY, .access = "rwm"},    /* pts */
    {.allow = true, .type = 'c', .major = NUM(5), .minor = NUM(2), .access = "rwm"},   /* ptmx */
    {.allow = true, .type = 'c', .major = NUM(10), .minor = NUM(200), .access = "rwm"}, /* tun */
};

spec_device_rule *device_rules_effective(const spec *s, size_t *n) {
  const spec_resources *r = s->linux.resources;
  size_t n_user = r ? r->n_devices : 0;
  size_t n_nodes = s->linux.n_devices;
  size_t n_defaults = sizeof(default_rules) / sizeof(default_rules[0]);
  spec_device_rule *rules = calloc(n_user + n_nodes + n_defaults, sizeof(*rules));
  if (rules == NULL)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n_user; i++)
    rules[k++] = r->devices[i];
  for (size_t i = 0; i < n_nodes; i++) {
    const spec_device *d = &s->linux.devices[i];
    if (d->type == 'p')
      continue; /* fifos are not device-cgroup controlled */
    rules[k++] = (spec_device_rule){.allow = true, .type = d->type == 'u' ? 'c' : d->type,
                                    .major = NUM(d->major), .minor = NUM(d->minor),
                                    .access = "rwm"};
  }
  memcpy(rules + k, default_rules, sizeof(default_rules));
  *n = k + n_defaults;
  return rules;
}
