/* `update`: new cgroup limits for a live container.
 *
 * The limits go through cgroup_apply, as at create. They are then merged
 * into the container's copy of config.json (written atomically under the
 * container's lock), which plays the part of runc's stored config: later
 * commands see the limits in force, and an update naming only the cpu
 * quota or only the period keeps the other one, as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handle.h"
#include "faultpoint.h"
#include "resources_cmd.h"
#include "spec_resources.h"

/* ---- sizes ---- */

/* "<what>: '<text>'", runc's wording. */
static int size_error(char **why, const char *what, const char *text) {
  if (why != NULL && asprintf(why, "%s: '%s'", what, text) < 0)
    *why = NULL;
  return -1;
}

/* Matches ^(\d+(\.\d+)*) ?([kmgtp])?i?b?$ (case-insensitive), the form
 * runc's units library accepts; the number itself must then parse. */
int resources_parse_size(const char *text, int64_t *out, char **why) {
  const char *p = text;
  if (why != NULL)
    *why = NULL;
  if (*p < '0' || *p > '9')
    return size_error(why, "invalid size", text);
  while ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))
    p++;
  size_t num_len = (size_t)(p - text);
  if (*p == ' ')
    p++;
  static const char units[] = "kmgtp";
  const char *unit = *p ? strchr(units, *p | 0x20) : NULL;
  int shift = unit != NULL ? 10 * (int)(unit - units + 1) : 0;
  if (unit != NULL)
    p++;
  if ((*p | 0x20) == 'i')
    p++;
  if ((*p | 0x20) == 'b')
    p++;
  if (*p != '\0')
    return size_error(why, "invalid size", text);
  char *num = strndup(text, num_len), *end = NULL;
  if (num == NULL)
    return size_error(why, "out of memory reading", text);
  double v = strtod(num, &end);
  bool whole = *end == '\0';
  free(num);
  if (!whole) {
    if (why != NULL &&
        asprintf(why, "strconv.ParseFloat: parsing \"%.*s\": invalid syntax", (int)num_len,
                 text) < 0)
      *why = NULL;
    return -1;
  }
  v *= (double)(1ULL << shift);
  if (v >= 9223372036854775808.0)
    return size_error(why, "invalid size (too large)", text);
  *out = (int64_t)v;
  return 0;
}

/* ---- what gets applied ---- */

/* runc applies only these groups of an update; the rest (devices,
 * hugepageLimits, network, rdma) are dropped here. */
static spec_resources *keep_applied_groups(spec_resources *r) {
  spec_resources *keep = calloc(1, sizeof(*keep));
  if (keep == NULL) {
    spec_resources_free(r);
    return NULL;
  }
  keep->memory = r->memory;
  keep->cpu = r->cpu;
  keep->block_io = r->block_io;
  keep->pids_limit = r->pids_limit;
  keep->unified = r->unified;
  r->memory = NULL;
  r->cpu = NULL;
  r->block_io = NULL;
  r->unified = (spec_kvs){0};
  spec_resources_free(r);
  return keep;
}

/* A quota without a period (or the reverse) keeps the other value in
 * force, which cgroup2's single cpu.max file needs spelled out. */
static void complete_cpu_bandwidth(spec_cpu *cpu, const spec *config) {
  const spec_resources *old = config != NULL ? config->linux.resources : NULL;
  if (cpu == NULL || old == NULL || old->cpu == NULL)
    return;
  bool quota = cpu->quota.set && cpu->quota.v != 0;
  bool period = cpu->period.set && cpu->period.v != 0;
  if (quota && !period && old->cpu->period.set && old->cpu->period.v != 0)
    cpu->period = old->cpu->period;
  else if (period && !quota && old->cpu->quota.set && old->cpu->quota.v != 0)
    cpu->quota = old->cpu->quota;
}

static void warn_kernel_memory(const spec_resources *r) {
  if (r->memory != NULL && (r->memory->kernel.set || r->memory->kernel_tcp.set))
    berth_warn("Kernel memory settings are ignored and will be removed");
}

/* ---- recording the limits in the config copy ---- */

/* Zero (or "") means "leave as is" for these, so it is not recorded. */
static bool leaves_as_is(const char *key, json_t *v) {
  static const char *const zero_means_unset[] = {
      "limit", "reservation", "swap", "shares", "quota", "period", "realtimeRuntime",
      "realtimePeriod", "weight", "leafWeight", NULL};
  if (strcmp(key, "kernel") == 0 || strcmp(key, "kernelTCP") == 0)
    return true; /* ignored, so not in force either */
  if (json_is_string(v))
    return json_string_length(v) == 0;
  if (!json_is_integer(v) || json_integer_value(v) != 0)
    return false;
  for (size_t i = 0; zero_means_unset[i] != NULL; i++)
    if (strcmp(key, zero_means_unset[i]) == 0)
      return true;
  return false;
}

static int merge_group(json_t *resources, const char *group, json_t *update, bool all) {
  json_t *from = json_object_get(update, group);
  if (!json_is_object(from))
    return 0;
  json_t *to = json_object_get(resources, group);
  if (!json_is_object(to)) {
    to = json_object();
    if (to == NULL || json_object_set_new(resources, group, to) < 0)
      return -1;
  }
  const char *key;
  json_t *v;
  json_object_foreach(from, key, v) {
    if ((all || !leaves_as_is(key, v)) && json_object_set(to, key, v) < 0)
      return -1;
  }
  return 0;
}

static int merge_update(json_t *config, json_t *update) {
  json_t *lx = json_object_get(config, "linux");
  if (!json_is_object(lx) && json_object_set_new(config, "linux", lx = json_object()) < 0)
    return -1;
  json_t *res = json_object_get(lx, "resources");
  if (!json_is_object(res) && json_object_set_new(lx, "resources", res = json_object()) < 0)
    return -1;
  if (merge_group(res, "memory", update, false) < 0 || merge_group(res, "cpu", update, false) < 0 ||
      merge_group(res, "blockIO", update, false) < 0 || merge_group(res, "pids", update, true) < 0 ||
      merge_group(res, "unified", update, true) < 0)
    return -1;
  return 0;
}

static json_t *load_config_json(int dirfd) {
  int fd = openat(dirfd, STATE_CONFIG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return NULL;
  FILE *f = fdopen(fd, "r");
  if (f == NULL) {
    close(fd);
    return NULL;
  }
  json_t *j = json_loadf(f, JSON_DECODE_ANY, NULL);
  fclose(f);
  return j;
}

/* A document jansson cannot hold (integers past int64) is applied but not
 * recorded; say so rather than fail an update that took effect. */
static int record_update(int dirfd, const struct update_request *req, berth_error **err) {
  json_t *update = json_loadb(req->json, req->len, JSON_DECODE_ANY, NULL);
  json_t *config = load_config_json(dirfd);
  int rc = 0;
  char *text = NULL;
  if (update == NULL || !json_is_object(config)) {
    berth_warn("the new limits are in force but could not be recorded in the container's "
               "config.json");
  } else if (merge_update(config, update) < 0 ||
             (text = json_dumps(config, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
    rc = berth_fail(err, ENOMEM, "record the new limits");
  } else {
    rc = state_replace_config(dirfd, text, err);
  }
  free(text);
  json_decref(update);
  json_decref(config);
  return rc;
}

/* ---- the command ---- */

static int check_intel_rdt(const struct update_request *req, berth_error **err) {
  bool cat = access("/sys/fs/resctrl/info/L3", F_OK) == 0;
  bool mba = access("/sys/fs/resctrl/info/MB", F_OK) == 0;
  if (req->l3_cache_schema != NULL && *req->l3_cache_schema && !cat)
    return berth_fail_id(err, "BERTH-E-INTELRDT-UNSUPPORTED", 0,
                         "Intel RDT/CAT: l3 cache schema is not enabled");
  if (req->mem_bw_schema != NULL && *req->mem_bw_schema && !mba)
    return berth_fail_id(err, "BERTH-E-INTELRDT-UNSUPPORTED", 0,
                         "Intel RDT/MBA: memory bandwidth schema is not enabled");
  if ((req->l3_cache_schema && *req->l3_cache_schema) ||
      (req->mem_bw_schema && *req->mem_bw_schema))
    return berth_fail_id(err, "BERTH-E-INTELRDT-UNSUPPORTED", ENOTSUP,
                         "updating Intel RDT schemata is not supported");
  return 0;
}

/* checkBeforeUpdate is the container's setting, not the update's: a new
 * memory limit is checked against the usage whenever the config asks for
 * it (as runc keeps it in the container's cgroup config). */
static void keep_check_before_update(spec_memory *mem, const spec *config) {
  const spec_resources *old = config != NULL ? config->linux.resources : NULL;
  if (mem == NULL || mem->check_before_update.set || old == NULL || old->memory == NULL)
    return;
  mem->check_before_update = old->memory->check_before_update;
}

static int apply_update(struct handle *h, const struct update_request *req, berth_error **err) {
  spec_resources *parsed = NULL;
  spec *config = NULL;
  if (spec_parse_resources(req->json, req->len, req->name, &parsed, err) < 0)
    return -1;
  spec_resources *res = keep_applied_groups(parsed);
  if (res == NULL)
    return berth_fail(err, ENOMEM, "update");
  warn_kernel_memory(res);
  /* An unreadable copy only loses the quota/period completion and the
   * usage check. */
  if (handle_load_spec(h, &config, NULL) == 0) {
    complete_cpu_bandwidth(res->cpu, config);
    keep_check_before_update(res->memory, config);
  }
  faultpoint("update.parsed");
  int rc = cgroup_apply(h->cg, res, err);
  faultpoint("update.applied");
  if (rc == 0)
    rc = record_update(h->dirfd, req, err);
  faultpoint("update.recorded");
  spec_resources_free(res);
  spec_free(config);
  return rc;
}

int container_update(const char *root, const char *id, const struct update_request *req,
                     berth_error **err) {
  struct handle h;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  int rc = check_intel_rdt(req, err);
  if (rc == 0) {
    if (handle_status(&h) == STATUS_STOPPED)
      rc = berth_fail(err, 0, "container not running");
    else if (h.cg == NULL)
      rc = berth_fail(err, 0, "container has no cgroup to update");
    else
      rc = apply_update(&h, req, err);
  }
  handle_close(&h);
  return rc;
}
