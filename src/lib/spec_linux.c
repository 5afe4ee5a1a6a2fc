/* config.json "linux", apart from resources and seccomp, which spec.c
 * hands to their own parsers. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "spec_linux.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- namespaces ---- */

static const struct {
  const char *name;
  int clone_flag;
} ns_types[NS_TYPE_COUNT] = {
  [NS_PID] = {"pid", CLONE_NEWPID},       [NS_NETWORK] = {"network", CLONE_NEWNET},
  [NS_MOUNT] = {"mount", CLONE_NEWNS},    [NS_IPC] = {"ipc", CLONE_NEWIPC},
  [NS_UTS] = {"uts", CLONE_NEWUTS},       [NS_USER] = {"user", CLONE_NEWUSER},
  [NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [NS_TIME] = {"time", CLONE_NEWTIME},
};

const char *spec_ns_type_name(enum spec_ns_type type) {
  return (unsigned)type < NS_TYPE_COUNT ? ns_types[type].name : "unknown";
}

int spec_ns_clone_flag(enum spec_ns_type type) {
  return (unsigned)type < NS_TYPE_COUNT ? ns_types[type].clone_flag : 0;
}

const spec_namespace *spec_find_namespace(const spec *s, enum spec_ns_type type) {
  for (size_t i = 0; i < s->linux.n_namespaces; i++)
    if (s->linux.namespaces[i].type == type)
      return &s->linux.namespaces[i];
  return NULL;
}

static int parse_namespace(sj_ctx *c, json_t *item, spec_linux *l, size_t index) {
  if (sj_as_object(c, item, NULL) < 0)
    return -1;
  char *type = NULL;
  int rc = sj_string_required(c, item, "type", &type);
  if (rc < 0)
    return -1;
  int found = -1;
  for (int t = 0; t < NS_TYPE_COUNT; t++)
    if (strcmp(type, ns_types[t].name) == 0)
      found = t;
  if (found < 0) {
    sj_fail_id(c, "BERTH-E-NAMESPACE-TYPE", "type", "unknown namespace type \"%s\"", type);
    free(type);
    return -1;
  }
  free(type);
  for (size_t j = 0; j < index; j++)
    if ((int)l->namespaces[j].type == found)
      return sj_fail_id(c, "BERTH-E-NAMESPACE-TYPE", NULL,
                        "duplicate namespace type \"%s\"", ns_types[found].name);
  spec_namespace *ns = &l->namespaces[index];
  ns->type = (enum spec_ns_type)found;
  ns->clone_flag = ns_types[found].clone_flag;
  if (sj_string(c, item, "path", &ns->path) < 0)
    return -1;
  /* An empty path means "create one", as in runc. */
  if (ns->path != NULL && ns->path[0] == '\0') {
    free(ns->path);
    ns->path = NULL;
  }
  return 0;
}

static int parse_namespaces(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *arr;
  int rc = sj_array(c, obj, "namespaces", &arr);
  if (rc <= 0)
    return rc;
  l->namespaces = sj_calloc(c, json_array_size(arr), sizeof(spec_namespace));
  if (l->namespaces == NULL)
    return -1;
  size_t mark = sj_push(c, "namespaces");
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    l->n_namespaces = i + 1;
    if (parse_namespace(c, item, l, i) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

/* ---- time offsets ---- */

static int parse_time_offset(sj_ctx *c, json_t *offsets, const char *key, spec_time_offset *t) {
  json_t *o;
  int rc = sj_object(c, offsets, key, &o);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, key);
  uint32_t nanosecs = 0;
  if (sj_int(c, o, "secs", INT64_MIN, INT64_MAX, &t->secs) < 0 ||
      sj_u32(c, o, "nanosecs", &nanosecs) < 0)
    return -1;
  sj_pop(c, mark);
  t->nanosecs = nanosecs;
  t->set = true;
  return 0;
}

static int parse_time_offsets(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *o;
  int rc = sj_object(c, obj, "timeOffsets", &o);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, "timeOffsets");
  if (parse_time_offset(c, o, "monotonic", &l->time_monotonic) < 0 ||
      parse_time_offset(c, o, "boottime", &l->time_boottime) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

/* ---- devices ---- */

static int parse_device_number(sj_ctx *c, json_t *item, const char *key, int64_t *out) {
  int rc = sj_int(c, item, key, INT64_MIN, INT64_MAX, out);
  return rc == 0 ? sj_missing(c, key) : rc;
}

static int parse_device(sj_ctx *c, json_t *item, spec_device *d) {
  char *type = NULL;
  if (sj_as_object(c, item, NULL) < 0 || sj_string_required(c, item, "type", &type) < 0)
    return -1;
  bool valid = strlen(type) == 1 && strchr("cbup", type[0]) != NULL;
  d->type = type[0];
  if (!valid) {
    sj_fail(c, "type", "expected one of c, b, u, p, got \"%s\"", type);
    free(type);
    return -1;
  }
  free(type);
  if (sj_string_required(c, item, "path", &d->path) < 0)
    return -1;
  if (d->type != 'p' && (parse_device_number(c, item, "major", &d->major) < 0 ||
                         parse_device_number(c, item, "minor", &d->minor) < 0))
    return -1;
  /* The schema stops at 0777, but runc passes the setuid/setgid/sticky
   * bits through to mknod, and so do we. */
  if (sj_opt_u64(c, item, "fileMode", 07777, &d->file_mode) < 0 ||
      sj_opt_u64(c, item, "uid", UINT32_MAX, &d->uid) < 0 ||
      sj_opt_u64(c, item, "gid", UINT32_MAX, &d->gid) < 0)
    return -1;
  return 0;
}

static int parse_devices(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *arr;
  int rc = sj_array(c, obj, "devices", &arr);
  if (rc <= 0)
    return rc;
  l->devices = sj_calloc(c, json_array_size(arr), sizeof(spec_device));
  if (l->devices == NULL)
    return -1;
  l->n_devices = json_array_size(arr);
  size_t mark = sj_push(c, "devices");
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    if (parse_device(c, item, &l->devices[i]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

/* ---- network devices ---- */

/* What the kernel takes as an interface name (dev_valid_name). */
static bool valid_ifname(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= 16 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return false;
  return strpbrk(name, "/: \t\n\r\v\f") == NULL;
}

static int parse_net_device(sj_ctx *c, const char *key, json_t *value, spec_net_device *d) {
  if (sj_as_object(c, value, NULL) < 0)
    return -1;
  d->host_name = strdup(key);
  if (d->host_name == NULL)
    return sj_oom(c);
  if (!valid_ifname(key))
    return sj_fail(c, NULL, "\"%s\" is not a valid interface name", key);
  if (sj_string(c, value, "name", &d->container_name) < 0)
    return -1;
  if (d->container_name == NULL || d->container_name[0] == '\0') {
    free(d->container_name);
    d->container_name = strdup(key);
    if (d->container_name == NULL)
      return sj_oom(c);
  }
  if (!valid_ifname(d->container_name))
    return sj_fail(c, "name", "\"%s\" is not a valid interface name", d->container_name);
  return 0;
}

static int parse_net_devices(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *map;
  int rc = sj_object(c, obj, "netDevices", &map);
  if (rc <= 0)
    return rc;
  l->net_devices = sj_calloc(c, json_object_size(map), sizeof(spec_net_device));
  if (l->net_devices == NULL)
    return -1;
  size_t mark = sj_push(c, "netDevices");
  const char *key;
  json_t *value;
  json_object_foreach(map, key, value) {
    size_t at = sj_push_map_key(c, key);
    if (parse_net_device(c, key, value, &l->net_devices[l->n_net_devices++]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

/* ---- smaller sections ---- */

static int parse_intel_rdt(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *o;
  int rc = sj_object(c, obj, "intelRdt", &o);
  if (rc <= 0)
    return rc;
  spec_intel_rdt *rdt = l->intel_rdt = sj_calloc(c, 1, sizeof(spec_intel_rdt));
  if (rdt == NULL)
    return -1;
  size_t mark = sj_push(c, "intelRdt");
  if (sj_string(c, o, "closID", &rdt->clos_id) < 0 ||
      sj_string(c, o, "l3CacheSchema", &rdt->l3_cache_schema) < 0 ||
      sj_string(c, o, "memBwSchema", &rdt->mem_bw_schema) < 0 ||
      sj_strv(c, o, "schemata", &rdt->schemata) < 0 ||
      sj_bool(c, o, "enableMonitoring", &rdt->enable_monitoring) < 0)
    return -1;
  /* closID names a directory under /sys/fs/resctrl. */
  if (rdt->clos_id != NULL && (strchr(rdt->clos_id, '/') != NULL ||
                               strcmp(rdt->clos_id, ".") == 0 || strcmp(rdt->clos_id, "..") == 0))
    return sj_fail(c, "closID", "\"%s\" is not a valid directory name", rdt->clos_id);
  if (rdt->mem_bw_schema != NULL &&
      (strncmp(rdt->mem_bw_schema, "MB:", 3) != 0 || strchr(rdt->mem_bw_schema, '\n') != NULL))
    return sj_fail(c, "memBwSchema", "expected a line starting with \"MB:\", got \"%s\"",
                   rdt->mem_bw_schema);
  sj_pop(c, mark);
  return 0;
}

static const char *const mpol_modes[] = {
  "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
  "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL",      NULL};
static const char *const mpol_flags[] = {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                         "MPOL_F_STATIC_NODES", NULL};

static int parse_memory_policy(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *o;
  int rc = sj_object(c, obj, "memoryPolicy", &o);
  if (rc <= 0)
    return rc;
  spec_memory_policy *mp = l->memory_policy = sj_calloc(c, 1, sizeof(spec_memory_policy));
  if (mp == NULL)
    return -1;
  size_t mark = sj_push(c, "memoryPolicy");
  rc = sj_code(c, "BERTH-E-PROCESS-MEMORY-POLICY",
               sj_enum(c, o, "mode", mpol_modes, &mp->mode, NULL));
  if (rc == 0)
    return sj_missing(c, "mode");
  if (rc < 0 || sj_string(c, o, "nodes", &mp->nodes) < 0 ||
      sj_code(c, "BERTH-E-PROCESS-MEMORY-POLICY",
              sj_enum_strv(c, o, "flags", mpol_flags, &mp->flags)) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

static const char *const personality_domains[] = {"LINUX", "LINUX32", NULL};

static int parse_personality(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *o;
  int rc = sj_object(c, obj, "personality", &o);
  if (rc <= 0)
    return rc;
  spec_personality *p = l->personality = sj_calloc(c, 1, sizeof(spec_personality));
  if (p == NULL)
    return -1;
  size_t mark = sj_push(c, "personality");
  rc = sj_code(c, "BERTH-E-PROCESS-PERSONALITY",
               sj_enum(c, o, "domain", personality_domains, &p->domain, NULL));
  if (rc == 0)
    return sj_missing(c, "domain");
  if (rc < 0 || sj_strv(c, o, "flags", &p->flags) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

/* runc also takes the recursive forms the schema leaves out. */
static const char *const propagations[] = {"private",  "shared",  "slave",  "unbindable",
                                           "rprivate", "rshared", "rslave", "runbindable",
                                           NULL};

static int parse_propagation(sj_ctx *c, json_t *obj, spec_linux *l) {
  json_t *v = sj_field(obj, "rootfsPropagation");
  /* An empty string keeps the default, as in runc. */
  if (json_is_string(v) && json_string_length(v) == 0)
    return 0;
  return sj_code(c, "BERTH-E-ROOTFS-PROPAGATION",
                 sj_enum(c, obj, "rootfsPropagation", propagations, &l->rootfs_propagation,
                         NULL)) < 0
             ? -1
             : 0;
}

int spec_parse_linux_obj(sj_ctx *c, json_t *obj, spec_linux *l) {
  if (parse_namespaces(c, obj, l) < 0 ||
      sj_idmaps(c, obj, "uidMappings", &l->uid_mappings) < 0 ||
      sj_idmaps(c, obj, "gidMappings", &l->gid_mappings) < 0 ||
      parse_time_offsets(c, obj, l) < 0 || parse_devices(c, obj, l) < 0 ||
      parse_net_devices(c, obj, l) < 0 || sj_string(c, obj, "cgroupsPath", &l->cgroups_path) < 0 ||
      parse_intel_rdt(c, obj, l) < 0 || parse_memory_policy(c, obj, l) < 0 ||
      sj_string_map(c, obj, "sysctl", &l->sysctl) < 0 || parse_propagation(c, obj, l) < 0 ||
      sj_strv(c, obj, "maskedPaths", &l->masked_paths) < 0 ||
      sj_strv(c, obj, "readonlyPaths", &l->readonly_paths) < 0 ||
      sj_string(c, obj, "mountLabel", &l->mount_label) < 0 || parse_personality(c, obj, l) < 0)
    return -1;
  return 0;
}

void spec_linux_clear(spec_linux *l) {
  for (size_t i = 0; i < l->n_namespaces; i++)
    free(l->namespaces[i].path);
  free(l->namespaces);
  free(l->uid_mappings.v);
  free(l->gid_mappings.v);
  for (size_t i = 0; i < l->n_devices; i++)
    free(l->devices[i].path);
  free(l->devices);
  for (size_t i = 0; i < l->n_net_devices; i++) {
    free(l->net_devices[i].host_name);
    free(l->net_devices[i].container_name);
  }
  free(l->net_devices);
  free(l->cgroups_path);
  if (l->intel_rdt != NULL) {
    free(l->intel_rdt->clos_id);
    free(l->intel_rdt->l3_cache_schema);
    free(l->intel_rdt->mem_bw_schema);
    sj_strv_free(&l->intel_rdt->schemata);
    free(l->intel_rdt);
  }
  if (l->memory_policy != NULL) {
    free(l->memory_policy->mode);
    free(l->memory_policy->nodes);
    sj_strv_free(&l->memory_policy->flags);
    free(l->memory_policy);
  }
  sj_kvs_free(&l->sysctl);
  free(l->rootfs_propagation);
  sj_strv_free(&l->masked_paths);
  sj_strv_free(&l->readonly_paths);
  free(l->mount_label);
  if (l->personality != NULL) {
    free(l->personality->domain);
    sj_strv_free(&l->personality->flags);
    free(l->personality);
  }
  memset(l, 0, sizeof(*l));
}
