/* Unit properties for the systemd driver: the list itself, the GVariant
 * text of org.systemd.property.* annotations, and linux.resources mapped
 * to systemd's names where runc maps them (the rest only goes to the
 * cgroup files). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "systemd.h"

#define ANNOTATION_PREFIX "org.systemd.property."
#define DEFAULT_CPU_PERIOD_US 100000
/* systemd keeps CPUQuota as whole percents: 10ms of every second. */
#define CPU_QUOTA_GRANULE_US 10000
/* Beyond any real machine; bounds the mask a typo could ask for. */
#define MAX_CPU_BIT (1u << 20)

/* ---- the list ---- */

void unit_prop_release(unit_prop *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].str);
    free(p->v[i].str2);
  }
  free(p->v);
  free(p->name);
  memset(p, 0, sizeof(*p));
}

void unit_props_clear(unit_props *p) {
  for (size_t i = 0; i < p->n; i++)
    unit_prop_release(&p->v[i]);
  free(p->v);
  p->v = NULL;
  p->n = 0;
}

/* Appends an empty property named `name`; NULL when out of memory. */
static unit_prop *prop_new(unit_props *p, const char *name, bool array, char elem, size_t n) {
  unit_prop *grown = realloc(p->v, (p->n + 1) * sizeof(*grown));
  if (grown == NULL)
    return NULL;
  p->v = grown;
  unit_prop *prop = &p->v[p->n];
  memset(prop, 0, sizeof(*prop));
  prop->name = strdup(name);
  prop->v = calloc(n ? n : 1, sizeof(*prop->v));
  if (prop->name == NULL || prop->v == NULL) {
    unit_prop_release(prop);
    return NULL;
  }
  prop->array = array;
  prop->elem = elem;
  prop->n = n;
  for (size_t i = 0; i < n; i++)
    prop->v[i].type = elem;
  p->n++;
  return prop;
}

int unit_props_add_bool(unit_props *p, const char *name, bool v) {
  unit_prop *prop = prop_new(p, name, false, 'b', 1);
  if (prop == NULL)
    return -1;
  prop->v[0].num.i = v;
  return 0;
}

int unit_props_add_u64(unit_props *p, const char *name, uint64_t v) {
  unit_prop *prop = prop_new(p, name, false, 't', 1);
  if (prop == NULL)
    return -1;
  prop->v[0].num.u = v;
  return 0;
}

int unit_props_add_str(unit_props *p, const char *name, const char *v) {
  unit_prop *prop = prop_new(p, name, false, 's', 1);
  if (prop == NULL)
    return -1;
  prop->v[0].str = strdup(v);
  return prop->v[0].str == NULL ? -1 : 0;
}

int unit_props_add_str_array(unit_props *p, const char *name, const char *v) {
  unit_prop *prop = prop_new(p, name, true, 's', 1);
  if (prop == NULL)
    return -1;
  prop->v[0].str = strdup(v);
  return prop->v[0].str == NULL ? -1 : 0;
}

int unit_props_add_u32_array(unit_props *p, const char *name, const uint32_t *v, size_t n) {
  unit_prop *prop = prop_new(p, name, true, 'u', n);
  if (prop == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    prop->v[i].num.u = v[i];
  return 0;
}

int unit_props_add_bytes(unit_props *p, const char *name, const uint8_t *v, size_t n) {
  unit_prop *prop = prop_new(p, name, true, 'y', n);
  if (prop == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    prop->v[i].num.u = v[i];
  return 0;
}

int unit_props_add_pairs(unit_props *p, const char *name) {
  return prop_new(p, name, true, 'r', 0) == NULL ? -1 : 0;
}

int unit_props_add_pair(unit_prop *prop, const char *a, const char *b) {
  unit_value *grown = realloc(prop->v, (prop->n + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  prop->v = grown;
  unit_value *v = &prop->v[prop->n];
  memset(v, 0, sizeof(*v));
  v->type = 'r';
  v->str = strdup(a);
  v->str2 = strdup(b);
  prop->n++;
  return v->str && v->str2 ? 0 : -1;
}

int unit_props_push(unit_props *p, unit_prop *prop) {
  unit_prop *grown = realloc(p->v, (p->n + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  p->v = grown;
  p->v[p->n++] = *prop;
  memset(prop, 0, sizeof(*prop));
  return 0;
}

int unit_props_take(unit_props *to, unit_props *from) {
  if (from->n == 0)
    return 0;
  unit_prop *grown = realloc(to->v, (to->n + from->n) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  to->v = grown;
  memcpy(to->v + to->n, from->v, from->n * sizeof(*from->v));
  to->n += from->n;
  free(from->v);
  from->v = NULL;
  from->n = 0;
  return 0;
}

static void describe_value(FILE *f, const unit_value *v) {
  switch (v->type) {
  case 's':
  case 'o':
  case 'g':
    fprintf(f, "\"%s\"", v->str);
    break;
  case 'r':
    fprintf(f, "(\"%s\", \"%s\")", v->str, v->str2);
    break;
  case 'b':
    fputs(v->num.i ? "true" : "false", f);
    break;
  case 'n':
  case 'i':
  case 'x':
    fprintf(f, "%" PRId64, v->num.i);
    break;
  case 'd':
    fprintf(f, "%g", v->num.d);
    break;
  default:
    fprintf(f, "%" PRIu64, v->num.u);
  }
}

char *unit_props_describe(const unit_props *p) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return NULL;
  for (size_t i = 0; i < p->n; i++) {
    const unit_prop *prop = &p->v[i];
    fprintf(f, "%s=%s%s ", prop->name, prop->array ? "a" : "",
            prop->elem == 'r' ? "(ss)" : (char[]){prop->elem, '\0'});
    if (prop->array)
      fputc('[', f);
    for (size_t k = 0; k < prop->n; k++) {
      if (k > 0)
        fputs(", ", f);
      describe_value(f, &prop->v[k]);
    }
    fputs(prop->array ? "]\n" : "\n", f);
  }
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* ---- linux.resources ---- */

static int parse_cpu_range(const char *item, unsigned *lo, unsigned *hi) {
  char *end = NULL;
  errno = 0;
  unsigned long a = strtoul(item, &end, 10), b = a;
  if (end == item || errno != 0)
    return -1;
  if (*end == '-') {
    const char *second = end + 1;
    b = strtoul(second, &end, 10);
    if (end == second || errno != 0)
      return -1;
  }
  while (*end == ' ' || *end == '\t')
    end++;
  if (*end != '\0' || a > b || b >= MAX_CPU_BIT)
    return -1;
  *lo = (unsigned)a;
  *hi = (unsigned)b;
  return 0;
}

int unit_cpu_list_bits(const char *list, uint8_t **bits, size_t *n, char **why) {
  *bits = calloc(1, 1);
  *n = 1;
  char *copy = strdup(list), *save = NULL;
  if (*bits == NULL || copy == NULL) {
    free(copy);
    return -1;
  }
  for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    item += strspn(item, " \t");
    unsigned lo, hi;
    if (parse_cpu_range(item, &lo, &hi) < 0) {
      if (why != NULL && asprintf(why, "invalid range \"%s\"", item) < 0)
        *why = NULL;
      free(copy);
      return -1;
    }
    if (hi / 8 + 1 > *n) {
      uint8_t *grown = realloc(*bits, hi / 8 + 1);
      if (grown == NULL) {
        free(copy);
        return -1;
      }
      memset(grown + *n, 0, hi / 8 + 1 - *n);
      *bits = grown;
      *n = hi / 8 + 1;
    }
    for (unsigned c = lo; c <= hi; c++)
      (*bits)[c / 8] |= (uint8_t)(1u << (c % 8));
  }
  free(copy);
  return 0;
}

static int add_cpu_list(unit_props *out, const char *name, const char *field, const char *list,
                        berth_error **err) {
  if (list == NULL || *list == '\0')
    return 0;
  uint8_t *bits = NULL;
  size_t n = 0;
  char *why = NULL;
  int rc = 0;
  if (unit_cpu_list_bits(list, &bits, &n, &why) < 0)
    rc = berth_fail_id(err, why ? "BERTH-E-CGROUP-CPUSET" : NULL, why ? EINVAL : ENOMEM,
                       "%s \"%s\": %s", field, list,
                       why ? why : "cannot convert to a systemd mask");
  else if (unit_props_add_bytes(out, name, bits, n) < 0)
    rc = berth_fail(err, ENOMEM, "%s", field);
  free(bits);
  free(why);
  return rc;
}

/* runc's addCPUQuota: CPUQuotaPerSecUSec is quota per second of time,
 * which systemd keeps in whole percents, so it is rounded up, and the
 * quota for the files follows the rounding. */
static int add_cpu_quota(unit_props *out, int64_t *quota, uint64_t period) {
  if (period != 0 && unit_props_add_u64(out, "CPUQuotaPeriodUSec", period) < 0)
    return -1;
  if (*quota == 0 && period == 0)
    return 0;
  uint64_t per_sec = UINT64_MAX; /* systemd's infinity */
  if (*quota > 0) {
    uint64_t p = period ? period : DEFAULT_CPU_PERIOD_US;
    per_sec = (uint64_t)*quota * 1000000u / p;
    if (per_sec % CPU_QUOTA_GRANULE_US != 0) {
      per_sec = (per_sec / CPU_QUOTA_GRANULE_US + 1) * CPU_QUOTA_GRANULE_US;
      *quota = (int64_t)(per_sec * p / 1000000u);
    }
  }
  return unit_props_add_u64(out, "CPUQuotaPerSecUSec", per_sec);
}

/* cgroup2 keeps swap apart from memory; the spec counts memory+swap. */
static int v2_swap(const spec_memory *m, int64_t *swap, berth_error **err) {
  int64_t limit = m->limit.set ? m->limit.v : 0, total = m->swap.set ? m->swap.v : 0;
  *swap = 0;
  if ((limit == -1 && total == 0) || total == -1)
    *swap = -1;
  else if (total == 0)
    return 0;
  else if (limit == 0 || limit == -1)
    return berth_fail_id(err, "BERTH-E-CGROUP-SWAP", EINVAL,
                         "linux.resources.memory.swap: a swap limit needs a memory "
                         "limit on cgroup v2");
  else if (limit < 0 || total < limit)
    return berth_fail_id(err, "BERTH-E-CGROUP-SWAP", EINVAL,
                         "linux.resources.memory.swap: memory+swap (%" PRId64
                         ") must be at least the memory limit (%" PRId64 ")",
                         total, limit);
  else
    *swap = total - limit;
  return 0;
}

static int v2_memory(const spec_memory *m, unit_props *out, berth_error **err) {
  if (m == NULL)
    return 0;
  int64_t swap;
  if (v2_swap(m, &swap, err) < 0)
    return -1;
  if ((m->limit.set && m->limit.v != 0 &&
       unit_props_add_u64(out, "MemoryMax", (uint64_t)m->limit.v) < 0) ||
      (m->reservation.set && m->reservation.v != 0 &&
       unit_props_add_u64(out, "MemoryLow", (uint64_t)m->reservation.v) < 0) ||
      (swap != 0 && unit_props_add_u64(out, "MemorySwapMax", (uint64_t)swap) < 0))
    return berth_fail(err, ENOMEM, "linux.resources.memory");
  return 0;
}

static int v2_cpu_weight(const spec_cpu *c, unit_props *out) {
  if (c == NULL)
    return 0;
  /* systemd sets cpu.idle for CPUWeight=0, and one property cannot say both. */
  if (c->idle.set && c->idle.v == 1)
    return unit_props_add_u64(out, "CPUWeight", 0);
  if (c->shares.set && c->shares.v != 0)
    return unit_props_add_u64(out, "CPUWeight", cg_shares_to_weight(c->shares.v));
  return 0;
}

static int v1_limits(const spec_resources *res, unit_props *out) {
  const spec_memory *m = res->memory;
  const spec_cpu *c = res->cpu;
  const spec_blkio *b = res->block_io;
  if (m != NULL && m->limit.set && m->limit.v != 0 &&
      unit_props_add_u64(out, "MemoryLimit", (uint64_t)m->limit.v) < 0)
    return -1;
  if (c != NULL && c->shares.set && c->shares.v != 0 &&
      unit_props_add_u64(out, "CPUShares", c->shares.v) < 0)
    return -1;
  if (b != NULL && b->weight.set && b->weight.v != 0 &&
      unit_props_add_u64(out, "BlockIOWeight", b->weight.v) < 0)
    return -1;
  return 0;
}

static int pids_and_cpusets(const spec_resources *res, unit_props *out, berth_error **err) {
  const opt_i64 *pids = &res->pids_limit;
  if (pids->set && (pids->v > 0 || pids->v == -1) &&
      unit_props_add_u64(out, "TasksMax", (uint64_t)pids->v) < 0)
    return berth_fail(err, ENOMEM, "linux.resources.pids");
  if (res->cpu == NULL)
    return 0;
  if (add_cpu_list(out, "AllowedCPUs", "linux.resources.cpu.cpus", res->cpu->cpus, err) < 0 ||
      add_cpu_list(out, "AllowedMemoryNodes", "linux.resources.cpu.mems", res->cpu->mems,
                   err) < 0)
    return -1;
  return 0;
}

int unit_props_for_resources(const spec_resources *res, bool v2, unit_props *out,
                             int64_t *quota, berth_error **err) {
  const spec_cpu *c = res->cpu;
  *quota = c != NULL && c->quota.set ? c->quota.v : 0;
  if (unit_props_for_devices(res->devices, res->n_devices, v2, out, err) < 0)
    return -1;
  uint64_t period = c != NULL && c->period.set ? c->period.v : 0;
  if (v2) {
    if (v2_memory(res->memory, out, err) < 0)
      return -1;
    if (v2_cpu_weight(c, out) < 0)
      return berth_fail(err, ENOMEM, "linux.resources.cpu");
  } else if (v1_limits(res, out) < 0) {
    return berth_fail(err, ENOMEM, "linux.resources");
  }
  if (add_cpu_quota(out, quota, period) < 0)
    return berth_fail(err, ENOMEM, "linux.resources.cpu");
  if (pids_and_cpusets(res, out, err) < 0)
    return -1;
  return v2 ? unit_props_for_unified(&res->unified, out, err) : 0;
}

/* ---- linux.resources.unified ---- */

static const struct {
  const char *file;
  const char *property;
} unified_limits[] = {
    {"memory.high", "MemoryHigh"}, {"memory.low", "MemoryLow"},
    {"memory.min", "MemoryMin"},   {"memory.max", "MemoryMax"},
    {"memory.swap.max", "MemorySwapMax"}, {"pids.max", "TasksMax"},
};

static int unified_fail(berth_error **err, const char *key, const char *value) {
  return berth_fail_id(err, "BERTH-E-CGROUP-UNIFIED", EINVAL,
                       "linux.resources.unified: %s value \"%s\" cannot be converted "
                       "to a systemd property", key, value);
}

/* A decimal number, or "max" for systemd's infinity. */
static bool limit_value(const char *text, uint64_t *out) {
  if (strcmp(text, "max") == 0) {
    *out = UINT64_MAX;
    return true;
  }
  char *end = NULL;
  errno = 0;
  *out = strtoull(text, &end, 10);
  return end != text && *end == '\0' && errno == 0 && text[0] != '-';
}

static int unified_cpu_max(const char *value, unit_props *out, berth_error **err) {
  char quota_text[32] = "", extra[2] = "";
  uint64_t period = DEFAULT_CPU_PERIOD_US;
  int fields = sscanf(value, "%31s %" SCNu64 " %1s", quota_text, &period, extra);
  int64_t quota = 0; /* "max" */
  char *end = NULL;
  if (fields < 1 || fields > 2)
    return unified_fail(err, "cpu.max", value);
  if (strcmp(quota_text, "max") != 0) {
    quota = strtoll(quota_text, &end, 10);
    if (*end != '\0')
      return unified_fail(err, "cpu.max", value);
  }
  return add_cpu_quota(out, &quota, period) < 0 ? berth_fail(err, ENOMEM, "cpu.max") : 0;
}

static int add_u64_for(unit_props *out, const char *property, uint64_t v, const char *key,
                       berth_error **err) {
  if (unit_props_add_u64(out, property, v) < 0)
    return berth_fail(err, ENOMEM, "linux.resources.unified: %s", key);
  return 0;
}

static int unified_one(const char *key, const char *value, bool idle, unit_props *out,
                       berth_error **err) {
  uint64_t n;
  for (size_t i = 0; i < sizeof(unified_limits) / sizeof(unified_limits[0]); i++) {
    if (strcmp(key, unified_limits[i].file) != 0)
      continue;
    if (!limit_value(value, &n))
      return unified_fail(err, key, value);
    return add_u64_for(out, unified_limits[i].property, n, key, err);
  }
  if (strcmp(key, "cpu.idle") == 0)
    return idle ? add_u64_for(out, "CPUWeight", 0, key, err) : 0;
  if (strcmp(key, "cpu.weight") == 0) {
    if (idle)
      return 0; /* CPUWeight=0 already stands for cpu.idle */
    if (!limit_value(value, &n) || n == UINT64_MAX)
      return unified_fail(err, key, value);
    return add_u64_for(out, "CPUWeight", n, key, err);
  }
  if (strcmp(key, "cpu.max") == 0)
    return unified_cpu_max(value, out, err);
  if (strcmp(key, "cpuset.cpus") == 0)
    return add_cpu_list(out, "AllowedCPUs", "linux.resources.unified: cpuset.cpus", value, err);
  if (strcmp(key, "cpuset.mems") == 0)
    return add_cpu_list(out, "AllowedMemoryNodes", "linux.resources.unified: cpuset.mems",
                        value, err);
  return 0; /* no systemd property: written to the file only */
}

static char *trimmed(const char *s) {
  s += strspn(s, " \t\n");
  size_t n = strlen(s);
  while (n > 0 && strchr(" \t\n", s[n - 1]) != NULL)
    n--;
  return strndup(s, n);
}

static bool unified_idle(const spec_kvs *unified) {
  for (size_t i = 0; i < unified->n; i++) {
    if (strcmp(unified->v[i].key, "cpu.idle") != 0)
      continue;
    char *v = trimmed(unified->v[i].value);
    bool idle = v != NULL && strcmp(v, "1") == 0;
    free(v);
    return idle;
  }
  return false;
}

int unit_props_for_unified(const spec_kvs *unified, unit_props *out, berth_error **err) {
  bool idle = unified_idle(unified);
  for (size_t i = 0; i < unified->n; i++) {
    const char *key = unified->v[i].key;
    const char *dot = strchr(key, '.');
    if (strchr(key, '/') != NULL)
      return berth_fail_id(err, "BERTH-E-CGROUP-UNIFIED", EINVAL,
                           "linux.resources.unified: %s must be a file name (no "
                           "slashes)", key);
    if (dot == NULL || dot == key)
      return berth_fail_id(err, "BERTH-E-CGROUP-UNIFIED", EINVAL,
                           "linux.resources.unified: %s must be in the form "
                           "CONTROLLER.PARAMETER", key);
    char *value = trimmed(unified->v[i].value);
    if (value == NULL)
      return berth_fail(err, ENOMEM, "linux.resources.unified");
    int rc = unified_one(key, value, idle, out, err);
    free(value);
    if (rc < 0)
      return -1;
  }
  return 0;
}

int unit_props_oom_policy(const spec_kvs *unified, unit_props *out, berth_error **err) {
  for (size_t i = 0; i < unified->n; i++) {
    if (strcmp(unified->v[i].key, "memory.oom.group") != 0)
      continue;
    char *v = trimmed(unified->v[i].value), *end = NULL;
    if (v == NULL)
      return berth_fail(err, ENOMEM, "memory.oom.group");
    unsigned long long n = strtoull(v, &end, 10);
    bool number = end != v && *end == '\0' && v[0] != '-';
    free(v);
    if (!number)
      return unified_fail(err, "memory.oom.group", unified->v[i].value);
    if (n <= 1 && unit_props_add_str(out, "OOMPolicy", n ? "kill" : "continue") < 0)
      return berth_fail(err, ENOMEM, "memory.oom.group");
  }
  return 0;
}

/* ---- device rules ---- */

/* The rules' outcome, kept the way the v1 devices controller keeps it: a
 * default and the exceptions to it. */
struct dev_entry {
  char type; /* 'c' or 'b' */
  opt_i64 major, minor;
  char perms[4];
};

struct dev_list {
  bool allow_by_default;
  struct dev_entry *v;
  size_t n;
};

/* perms holds a subset of "rwm", in that order. */
static void perms_add(char *perms, const char *access) {
  char merged[4];
  size_t n = 0;
  for (const char *c = "rwm"; *c; c++)
    if (strchr(perms, *c) != NULL || strchr(access ? access : "rwm", *c) != NULL)
      merged[n++] = *c;
  merged[n] = '\0';
  memcpy(perms, merged, n + 1);
}

static void perms_remove(char *perms, const char *access) {
  size_t n = 0;
  for (const char *c = perms; *c; c++)
    if (strchr(access ? access : "rwm", *c) == NULL)
      perms[n++] = *c;
  perms[n] = '\0';
}

static bool same_device(const struct dev_entry *e, char type, const spec_device_rule *r) {
  return e->type == type && e->major.set == r->major.set && e->minor.set == r->minor.set &&
         (!r->major.set || e->major.v == r->major.v) && (!r->minor.set || e->minor.v == r->minor.v);
}

/* One rule of type 'c' or 'b': an exception to the default, or a removal. */
static int dev_rule(struct dev_list *l, char type, const spec_device_rule *r) {
  struct dev_entry *found = NULL;
  for (size_t i = 0; i < l->n && found == NULL; i++)
    if (same_device(&l->v[i], type, r))
      found = &l->v[i];
  if (r->allow == l->allow_by_default) {
    if (found != NULL)
      perms_remove(found->perms, r->access);
    return 0;
  }
  if (found == NULL) {
    struct dev_entry *grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
    if (grown == NULL)
      return -1;
    l->v = grown;
    found = &l->v[l->n++];
    *found = (struct dev_entry){.type = type, .major = r->major, .minor = r->minor};
  }
  perms_add(found->perms, r->access);
  return 0;
}

static int dev_fold(const spec_device_rule *rules, size_t n, struct dev_list *l) {
  for (size_t i = 0; i < n; i++) {
    const spec_device_rule *r = &rules[i];
    if (r->type == 'a' && !r->major.set && !r->minor.set) {
      l->allow_by_default = r->allow; /* "a" resets the whole list */
      l->n = 0;
      continue;
    }
    for (const char *t = r->type == 'a' ? "cb" : (char[]){r->type, '\0'}; *t; t++)
      if (dev_rule(l, *t, r) < 0)
        return -1;
  }
  return 0;
}

/* systemd's spelling of one allowed device; NULL when it has none. */
static char *dev_path(const struct dev_entry *e) {
  const char *group = e->type == 'b' ? "block" : "char";
  char *path = NULL;
  int rc = -1;
  if (!e->major.set && !e->minor.set)
    rc = asprintf(&path, "%s-*", group);
  else if (e->major.set && !e->minor.set)
    rc = asprintf(&path, "%s-%" PRId64, group, e->major.v);
  else if (e->major.set)
    rc = asprintf(&path, "/dev/%s/%" PRId64 ":%" PRId64, group, e->major.v, e->minor.v);
  return rc < 0 ? NULL : path;
}

/* The allow list, or false when some entry has no systemd spelling. */
static bool dev_allow_list(const struct dev_list *l, unit_prop *allow, bool *oom) {
  for (size_t i = 0; i < l->n; i++) {
    if (l->v[i].perms[0] == '\0')
      continue;
    char *path = dev_path(&l->v[i]);
    if (path == NULL)
      return false; /* "c *:5": systemd has no wildcard-major rule */
    if (unit_props_add_pair(allow, path, l->v[i].perms) < 0)
      *oom = true;
    free(path);
  }
  return true;
}

int unit_props_for_devices(const spec_device_rule *rules, size_t n, bool v2, unit_props *out,
                           berth_error **err) {
  if (n == 0)
    return 0;
  struct dev_list l = {.allow_by_default = true};
  unit_props props = {0};
  bool oom = dev_fold(rules, n, &l) < 0, expressible = false;
  if (!oom && l.allow_by_default && l.n == 0) {
    expressible = true;
    oom = unit_props_add_str(&props, "DevicePolicy", "auto") < 0 ||
          unit_props_add_pairs(&props, "DeviceAllow") < 0;
  } else if (!oom) {
    oom = unit_props_add_str(&props, "DevicePolicy", "strict") < 0 ||
          unit_props_add_pairs(&props, "DeviceAllow") < 0;
    if (!oom && !l.allow_by_default)
      expressible = dev_allow_list(&l, &props.v[props.n - 1], &oom);
    if (!oom && !expressible && !v2) {
      /* v1: deny all for a moment; the rules written to the files after
       * systemd's own stand, as with runc. */
      props.v[props.n - 1].n = 0;
      expressible = true;
    }
  }
  free(l.v);
  if (!oom && expressible)
    oom = unit_props_take(out, &props) < 0;
  unit_props_clear(&props);
  return oom ? berth_fail(err, ENOMEM, "linux.resources.devices") : 0;
}
