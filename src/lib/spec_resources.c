/* linux.resources, also read alone by `update --resources`. */
#include <stdlib.h>
#include <string.h>

#include "spec_resources.h"

/* Parses each element of obj[key] with parse(), into a calloc'd array of
 * `size`-byte elements whose count is kept up to date for the free path. */
typedef int (*element_parser)(sj_ctx *c, json_t *item, void *element);

static int parse_array(sj_ctx *c, json_t *obj, const char *key, size_t size, element_parser parse,
                       void **out, size_t *n) {
  json_t *arr;
  int rc = sj_array(c, obj, key, &arr);
  if (rc <= 0)
    return rc;
  char *elements = sj_calloc(c, json_array_size(arr), size);
  if (elements == NULL)
    return -1;
  *out = elements;
  size_t mark = sj_push(c, key);
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    *n = i + 1;
    if (sj_as_object(c, item, NULL) < 0 || parse(c, item, elements + i * size) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

/* ---- devices ---- */

static int parse_device_number(sj_ctx *c, json_t *item, const char *key, opt_i64 *out) {
  if (sj_opt_i64(c, item, key, out) < 0)
    return -1;
  /* runc spells the wildcard both as an absent number and as -1. */
  if (out->set && out->v == -1)
    out->set = false;
  return 0;
}

static int parse_device_rule(sj_ctx *c, json_t *item, void *element) {
  spec_device_rule *d = element;
  char *type = NULL;
  int rc = sj_bool(c, item, "allow", &d->allow);
  if (rc == 0)
    return sj_missing(c, "allow");
  if (rc < 0 || sj_string(c, item, "type", &type) < 0)
    return -1;
  d->type = type == NULL || type[0] == '\0' ? 'a' : type[0];
  bool valid_type = type == NULL || type[0] == '\0' || (strlen(type) == 1 && strchr("acb", type[0]));
  if (!valid_type) {
    sj_fail(c, "type", "expected one of a, c, b, got \"%s\"", type);
    free(type);
    return -1;
  }
  free(type);
  if (parse_device_number(c, item, "major", &d->major) < 0 ||
      parse_device_number(c, item, "minor", &d->minor) < 0 ||
      sj_string(c, item, "access", &d->access) < 0)
    return -1;
  if (d->access != NULL && strspn(d->access, "rwm") != strlen(d->access))
    return sj_fail(c, "access", "expected letters from \"rwm\", got \"%s\"", d->access);
  if (d->access != NULL && d->access[0] == '\0') {
    free(d->access);
    d->access = NULL;
  }
  return 0;
}

/* ---- memory, cpu, pids ---- */

static int parse_memory(sj_ctx *c, json_t *obj, spec_resources *r) {
  json_t *o;
  int rc = sj_object(c, obj, "memory", &o);
  if (rc <= 0)
    return rc;
  spec_memory *m = r->memory = sj_calloc(c, 1, sizeof(spec_memory));
  if (m == NULL)
    return -1;
  size_t mark = sj_push(c, "memory");
  if (sj_opt_i64(c, o, "limit", &m->limit) < 0 ||
      sj_opt_i64(c, o, "reservation", &m->reservation) < 0 ||
      sj_opt_i64(c, o, "swap", &m->swap) < 0 || sj_opt_i64(c, o, "kernel", &m->kernel) < 0 ||
      sj_opt_i64(c, o, "kernelTCP", &m->kernel_tcp) < 0 ||
      sj_opt_u64(c, o, "swappiness", UINT64_MAX, &m->swappiness) < 0 ||
      sj_opt_bool(c, o, "disableOOMKiller", &m->disable_oom_killer) < 0 ||
      sj_opt_bool(c, o, "useHierarchy", &m->use_hierarchy) < 0 ||
      sj_opt_bool(c, o, "checkBeforeUpdate", &m->check_before_update) < 0)
    return -1;
  sj_pop(c, mark);
  /* The kernel deprecated kmem limits; runc ignores them and says so. */
  if ((m->kernel.set || m->kernel_tcp.set) &&
      sj_warn(c, "Kernel memory settings are ignored and will be removed") < 0)
    return -1;
  return 0;
}

static int parse_cpu(sj_ctx *c, json_t *obj, spec_resources *r) {
  json_t *o;
  int rc = sj_object(c, obj, "cpu", &o);
  if (rc <= 0)
    return rc;
  spec_cpu *cpu = r->cpu = sj_calloc(c, 1, sizeof(spec_cpu));
  if (cpu == NULL)
    return -1;
  size_t mark = sj_push(c, "cpu");
  if (sj_opt_u64(c, o, "shares", UINT64_MAX, &cpu->shares) < 0 ||
      sj_opt_i64(c, o, "quota", &cpu->quota) < 0 ||
      sj_opt_u64(c, o, "burst", UINT64_MAX, &cpu->burst) < 0 ||
      sj_opt_u64(c, o, "period", UINT64_MAX, &cpu->period) < 0 ||
      sj_opt_i64(c, o, "realtimeRuntime", &cpu->realtime_runtime) < 0 ||
      sj_opt_u64(c, o, "realtimePeriod", UINT64_MAX, &cpu->realtime_period) < 0 ||
      sj_string(c, o, "cpus", &cpu->cpus) < 0 || sj_string(c, o, "mems", &cpu->mems) < 0 ||
      sj_opt_i64(c, o, "idle", &cpu->idle) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

static int parse_pids(sj_ctx *c, json_t *obj, spec_resources *r) {
  json_t *o;
  int rc = sj_object(c, obj, "pids", &o);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, "pids");
  rc = sj_opt_i64(c, o, "limit", &r->pids_limit);
  if (rc == 0)
    return sj_missing(c, "limit");
  if (rc < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

/* ---- block IO ---- */

static int parse_major_minor(sj_ctx *c, json_t *item, int64_t *major, int64_t *minor) {
  int rc = sj_int(c, item, "major", INT64_MIN, INT64_MAX, major);
  if (rc == 0)
    return sj_missing(c, "major");
  if (rc < 0)
    return -1;
  rc = sj_int(c, item, "minor", INT64_MIN, INT64_MAX, minor);
  if (rc == 0)
    return sj_missing(c, "minor");
  return rc < 0 ? -1 : 0;
}

static int parse_weight_device(sj_ctx *c, json_t *item, void *element) {
  spec_weight_device *d = element;
  if (parse_major_minor(c, item, &d->major, &d->minor) < 0 ||
      sj_opt_u64(c, item, "weight", UINT16_MAX, &d->weight) < 0 ||
      sj_opt_u64(c, item, "leafWeight", UINT16_MAX, &d->leaf_weight) < 0)
    return -1;
  return 0;
}

static int parse_throttle_device(sj_ctx *c, json_t *item, void *element) {
  spec_throttle_device *d = element;
  if (parse_major_minor(c, item, &d->major, &d->minor) < 0 ||
      sj_uint(c, item, "rate", UINT64_MAX, &d->rate) < 0)
    return -1;
  return 0;
}

static int parse_throttle(sj_ctx *c, json_t *o, const char *key, spec_throttle_list *list) {
  return parse_array(c, o, key, sizeof(spec_throttle_device), parse_throttle_device,
                     (void **)&list->v, &list->n);
}

static int parse_block_io(sj_ctx *c, json_t *obj, spec_resources *r) {
  json_t *o;
  int rc = sj_object(c, obj, "blockIO", &o);
  if (rc <= 0)
    return rc;
  spec_blkio *b = r->block_io = sj_calloc(c, 1, sizeof(spec_blkio));
  if (b == NULL)
    return -1;
  size_t mark = sj_push(c, "blockIO");
  if (sj_opt_u64(c, o, "weight", UINT16_MAX, &b->weight) < 0 ||
      sj_opt_u64(c, o, "leafWeight", UINT16_MAX, &b->leaf_weight) < 0 ||
      parse_array(c, o, "weightDevice", sizeof(spec_weight_device), parse_weight_device,
                  (void **)&b->weight_device, &b->n_weight_device) < 0 ||
      parse_throttle(c, o, "throttleReadBpsDevice", &b->read_bps) < 0 ||
      parse_throttle(c, o, "throttleWriteBpsDevice", &b->write_bps) < 0 ||
      parse_throttle(c, o, "throttleReadIOPSDevice", &b->read_iops) < 0 ||
      parse_throttle(c, o, "throttleWriteIOPSDevice", &b->write_iops) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

/* ---- hugepages, network, rdma ---- */

static bool valid_page_size(const char *s) {
  size_t digits = strspn(s, "0123456789");
  return digits > 0 && s[0] != '0' && s[digits] != '\0' && strchr("KMG", s[digits]) &&
         strcmp(s + digits + 1, "B") == 0;
}

static int parse_hugepage_limit(sj_ctx *c, json_t *item, void *element) {
  spec_hugepage_limit *h = element;
  if (sj_string_required(c, item, "pageSize", &h->page_size) < 0)
    return -1;
  if (!valid_page_size(h->page_size))
    return sj_fail(c, "pageSize", "expected a size like \"2MB\", got \"%s\"", h->page_size);
  int rc = sj_uint(c, item, "limit", UINT64_MAX, &h->limit);
  return rc == 0 ? sj_missing(c, "limit") : rc < 0 ? -1 : 0;
}

static int parse_net_priority(sj_ctx *c, json_t *item, void *element) {
  spec_net_priority *p = element;
  if (sj_string_required(c, item, "name", &p->name) < 0 ||
      sj_u32_required(c, item, "priority", &p->priority) < 0)
    return -1;
  return 0;
}

static int parse_network(sj_ctx *c, json_t *obj, spec_resources *r) {
  json_t *o;
  int rc = sj_object(c, obj, "network", &o);
  if (rc <= 0)
    return rc;
  r->has_network = true;
  size_t mark = sj_push(c, "network");
  if (sj_opt_u64(c, o, "classID", UINT32_MAX, &r->net_class_id) < 0 ||
      parse_array(c, o, "priorities", sizeof(spec_net_priority), parse_net_priority,
                  (void **)&r->net_priorities, &r->n_net_priorities) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

static int parse_rdma_entry(sj_ctx *c, const char *device, json_t *value, spec_rdma *d) {
  d->device = strdup(device);
  if (d->device == NULL)
    return sj_oom(c);
  if (sj_as_object(c, value, NULL) < 0 ||
      sj_opt_u64(c, value, "hcaHandles", UINT32_MAX, &d->hca_handles) < 0 ||
      sj_opt_u64(c, value, "hcaObjects", UINT32_MAX, &d->hca_objects) < 0)
    return -1;
  return 0;
}

static int parse_rdma(sj_ctx *c, json_t *obj, spec_resources *r) {
  json_t *map;
  int rc = sj_object(c, obj, "rdma", &map);
  if (rc <= 0)
    return rc;
  r->rdma = sj_calloc(c, json_object_size(map), sizeof(spec_rdma));
  if (r->rdma == NULL)
    return -1;
  size_t mark = sj_push(c, "rdma");
  const char *device;
  json_t *value;
  json_object_foreach(map, device, value) {
    size_t at = sj_push_map_key(c, device);
    if (parse_rdma_entry(c, device, value, &r->rdma[r->n_rdma++]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

int spec_parse_resources_obj(sj_ctx *c, json_t *obj, spec_resources *r) {
  if (parse_array(c, obj, "devices", sizeof(spec_device_rule), parse_device_rule,
                  (void **)&r->devices, &r->n_devices) < 0 ||
      parse_memory(c, obj, r) < 0 || parse_cpu(c, obj, r) < 0 || parse_pids(c, obj, r) < 0 ||
      parse_block_io(c, obj, r) < 0 ||
      parse_array(c, obj, "hugepageLimits", sizeof(spec_hugepage_limit), parse_hugepage_limit,
                  (void **)&r->hugepage_limits, &r->n_hugepage_limits) < 0 ||
      parse_network(c, obj, r) < 0 || parse_rdma(c, obj, r) < 0 ||
      sj_string_map(c, obj, "unified", &r->unified) < 0)
    return -1;
  return 0;
}

int spec_parse_resources(const char *json, size_t len, const char *name, spec_resources **out,
                         berth_error **err) {
  sj_ctx c;
  sj_init(&c, name, err, NULL);
  json_t *root = NULL;
  spec_resources *r = NULL;
  int rc = sj_load(&c, json, len, &root);
  if (rc == 0) {
    r = sj_calloc(&c, 1, sizeof(*r));
    rc = r == NULL ? -1 : spec_parse_resources_obj(&c, root, r);
  }
  json_decref(root);
  sj_release(&c);
  if (rc < 0) {
    spec_resources_free(r);
    return -1;
  }
  *out = r;
  return 0;
}

static void throttle_free(spec_throttle_list *list) {
  free(list->v);
}

void spec_resources_free(spec_resources *r) {
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_devices; i++)
    free(r->devices[i].access);
  free(r->devices);
  free(r->memory);
  if (r->cpu != NULL) {
    free(r->cpu->cpus);
    free(r->cpu->mems);
    free(r->cpu);
  }
  if (r->block_io != NULL) {
    free(r->block_io->weight_device);
    throttle_free(&r->block_io->read_bps);
    throttle_free(&r->block_io->write_bps);
    throttle_free(&r->block_io->read_iops);
    throttle_free(&r->block_io->write_iops);
    free(r->block_io);
  }
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free(r->hugepage_limits[i].page_size);
  free(r->hugepage_limits);
  for (size_t i = 0; i < r->n_net_priorities; i++)
    free(r->net_priorities[i].name);
  free(r->net_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free(r->rdma[i].device);
  free(r->rdma);
  sj_kvs_free(&r->unified);
  free(r);
}
