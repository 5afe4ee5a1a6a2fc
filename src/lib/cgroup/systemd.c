/* The systemd cgroup driver: unit names from cgroupsPath, the unit's
 * start when its first pid joins, its directories, and its stop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_internal.h"
#include "spec_resources.h"
#include "systemd.h"

#define DEFAULT_SLICE "system.slice"
#define DEFAULT_PREFIX "berth"
#define SLICE_SUFFIX ".slice"

/* ---- names ---- */

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cg_systemd_expand_slice(const char *slice, char **out, berth_error **err) {
  size_t n = strlen(slice), k = strlen(SLICE_SUFFIX);
  if (n <= k || !ends_with(slice, SLICE_SUFFIX) || strchr(slice, '/') != NULL)
    return berth_fail_id(err, "BERTH-E-SYSTEMD-PATH", EINVAL, "invalid slice name: %s", slice);
  char *base = strndup(slice, n - k);
  char *path = malloc(2 * n * n + 2); /* each level repeats the prefix */
  if (base == NULL || path == NULL) {
    free(base);
    free(path);
    return berth_fail(err, ENOMEM, "slice %s", slice);
  }
  if (strcmp(base, "-") == 0) {
    strcpy(path, "/");
  } else {
    path[0] = '\0';
    size_t len = strlen(base);
    for (size_t i = 0; i <= len; i++) {
      if (base[i] != '-' && base[i] != '\0')
        continue;
      if (i == 0 || base[i - 1] == '-' || (base[i] == '-' && i + 1 == len)) {
        free(base);
        free(path);
        return berth_fail_id(err, "BERTH-E-SYSTEMD-PATH", EINVAL, "invalid slice name: %s", slice);
      }
      /* "/a.slice" then "/a-b.slice": every level is the name so far. */
      sprintf(path + strlen(path), "/%.*s%s", (int)i, base, SLICE_SUFFIX);
    }
  }
  free(base);
  *out = path;
  return 0;
}

/* systemd's alphabet for unit names; also keeps '/' and ".." out of paths. */
static bool valid_unit_name(const char *name) {
  static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789:-_.\\@";
  return *name != '\0' && name[strspn(name, allowed)] == '\0';
}

/* Splits "slice:prefix:name" into sd's fields (exactly two colons). */
static int split_path(const char *cgroups_path, char **slice, char **prefix, char **name,
                      berth_error **err) {
  const char *c1 = strchr(cgroups_path, ':');
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':') != NULL)
    return berth_fail_id(err, "BERTH-E-SYSTEMD-PATH", EINVAL,
                         "expected cgroupsPath to be of format \"slice:prefix:name\" "
                         "for systemd cgroups, got \"%s\" instead", cgroups_path);
  *slice = strndup(cgroups_path, (size_t)(c1 - cgroups_path));
  *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
  *name = strdup(c2 + 1);
  return *slice && *prefix && *name ? 0 : berth_fail(err, ENOMEM, "cgroupsPath");
}

int cg_systemd_names(const char *cgroups_path, const char *id, cg_systemd *sd,
                     berth_error **err) {
  char *slice = NULL, *prefix = NULL;
  int rc;
  if (cgroups_path != NULL && *cgroups_path != '\0') {
    rc = split_path(cgroups_path, &slice, &prefix, &sd->name, err);
  } else {
    slice = strdup("");
    prefix = strdup(DEFAULT_PREFIX);
    sd->name = strdup(id ? id : "");
    rc = slice && prefix && sd->name ? 0 : berth_fail(err, ENOMEM, "cgroup name");
  }
  if (rc == 0) {
    sd->slice = strdup(*slice ? slice : DEFAULT_SLICE);
    if (ends_with(sd->name, SLICE_SUFFIX))
      sd->unit = strdup(sd->name);
    else if (asprintf(&sd->unit, "%s-%s.scope", prefix, sd->name) < 0)
      sd->unit = NULL;
    if (sd->slice == NULL || sd->unit == NULL)
      rc = berth_fail(err, ENOMEM, "cgroup name");
  }
  if (rc == 0 && !valid_unit_name(sd->unit))
    rc = berth_fail_id(err, "BERTH-E-SYSTEMD-PATH", EINVAL,
                       "systemd unit name \"%s\" (from cgroupsPath \"%s\"): not a "
                       "valid unit name", sd->unit, cgroups_path ? cgroups_path : "");
  if (rc == 0)
    rc = cg_systemd_expand_slice(sd->slice, &sd->slice_path, err);
  free(slice);
  free(prefix);
  return rc;
}

/* ---- the start's properties ---- */

static int placement_props(const cg_systemd *sd, pid_t pid, bool v2, unit_props *out) {
  char *description = NULL;
  if (asprintf(&description, "berth container %s", sd->name) < 0)
    return -1;
  int rc = unit_props_add_str(out, "Description", description);
  free(description);
  if (rc == 0 && ends_with(sd->unit, SLICE_SUFFIX)) {
    rc = unit_props_add_str_array(out, "Wants", sd->slice); /* a slice's parent */
  } else if (rc == 0) {
    rc = unit_props_add_str(out, "Slice", sd->slice);
    if (rc == 0)
      rc = unit_props_add_bool(out, "Delegate", true);
  }
  uint32_t pids[] = {(uint32_t)pid};
  if (rc == 0)
    rc = unit_props_add_u32_array(out, "PIDs", pids, 1);
  /* Accounting on, as runc: the controllers exist from the start. */
  if (rc == 0)
    rc = unit_props_add_bool(out, "MemoryAccounting", true);
  if (rc == 0)
    rc = unit_props_add_bool(out, "CPUAccounting", true);
  if (rc == 0)
    rc = unit_props_add_bool(out, v2 ? "IOAccounting" : "BlockIOAccounting", true);
  if (rc == 0)
    rc = unit_props_add_bool(out, "TasksAccounting", true);
  if (rc == 0)
    rc = unit_props_add_bool(out, "DefaultDependencies", false);
  return rc;
}

int cg_systemd_start_props(cg_systemd *sd, pid_t pid, bool v2, unit_props *out,
                           berth_error **err) {
  if (placement_props(sd, pid, v2, out) < 0 || unit_props_take(out, &sd->annotations) < 0)
    return berth_fail(err, ENOMEM, "systemd unit \"%s\" properties", sd->unit);
  if (v2 && sd->pending != NULL && unit_props_oom_policy(&sd->pending->unified, out, err) < 0)
    return -1;
  if (unit_props_take(out, &sd->limits) < 0)
    return berth_fail(err, ENOMEM, "systemd unit \"%s\" properties", sd->unit);
  return 0;
}

/* ---- remembered limits ---- */

static void *dup_mem(const void *p, size_t n, size_t size, bool *ok) {
  if (p == NULL || n == 0)
    return NULL;
  void *copy = malloc(n * size);
  if (copy == NULL)
    *ok = false;
  else
    memcpy(copy, p, n * size);
  return copy;
}

static char *dup_str(const char *s, bool *ok) {
  char *copy = s ? strdup(s) : NULL;
  if (s != NULL && copy == NULL)
    *ok = false;
  return copy;
}

static void copy_throttles(spec_throttle_list *l, bool *ok) {
  l->v = dup_mem(l->v, l->n, sizeof(*l->v), ok);
  if (l->v == NULL)
    l->n = 0;
}

static void copy_block_io(spec_resources *r, bool *ok) {
  spec_blkio *b = r->block_io = dup_mem(r->block_io, 1, sizeof(*r->block_io), ok);
  if (b == NULL)
    return;
  b->weight_device = dup_mem(b->weight_device, b->n_weight_device, sizeof(*b->weight_device),
                             ok);
  if (b->weight_device == NULL)
    b->n_weight_device = 0;
  copy_throttles(&b->read_bps, ok);
  copy_throttles(&b->write_bps, ok);
  copy_throttles(&b->read_iops, ok);
  copy_throttles(&b->write_iops, ok);
}

/* Strings of each array are copied in place once the array is ours. */
#define COPY_ARRAY(r, arr, count, str_field, ok)                             \
  do {                                                                       \
    (r)->arr = dup_mem((r)->arr, (r)->count, sizeof(*(r)->arr), ok);         \
    if ((r)->arr == NULL)                                                    \
      (r)->count = 0;                                                        \
    for (size_t i_ = 0; i_ < (r)->count; i_++)                               \
      (r)->arr[i_].str_field = dup_str((r)->arr[i_].str_field, ok);          \
  } while (0)

/* A deep copy that spec_resources_free can free. */
static spec_resources *resources_copy(const spec_resources *src) {
  spec_resources *r = malloc(sizeof(*r));
  if (r == NULL)
    return NULL;
  *r = *src;
  bool ok = true;
  COPY_ARRAY(r, devices, n_devices, access, &ok);
  r->memory = dup_mem(r->memory, 1, sizeof(*r->memory), &ok);
  r->cpu = dup_mem(r->cpu, 1, sizeof(*r->cpu), &ok);
  if (r->cpu != NULL) {
    r->cpu->cpus = dup_str(r->cpu->cpus, &ok);
    r->cpu->mems = dup_str(r->cpu->mems, &ok);
  }
  copy_block_io(r, &ok);
  COPY_ARRAY(r, hugepage_limits, n_hugepage_limits, page_size, &ok);
  COPY_ARRAY(r, net_priorities, n_net_priorities, name, &ok);
  COPY_ARRAY(r, rdma, n_rdma, device, &ok);
  r->unified.v = dup_mem(r->unified.v, r->unified.n, sizeof(*r->unified.v), &ok);
  if (r->unified.v == NULL)
    r->unified.n = 0;
  for (size_t i = 0; i < r->unified.n; i++) {
    r->unified.v[i].key = dup_str(r->unified.v[i].key, &ok);
    r->unified.v[i].value = dup_str(r->unified.v[i].value, &ok);
  }
  if (!ok) {
    spec_resources_free(r);
    return NULL;
  }
  return r;
}

/* ---- the driver ---- */

static cg_systemd *sd_of(const cgroup *cg) {
  return cg->driver_data;
}

static void cg_systemd_free(cg_systemd *sd) {
  if (sd == NULL)
    return;
  free(sd->unit);
  free(sd->slice);
  free(sd->slice_path);
  free(sd->name);
  unit_props_clear(&sd->annotations);
  unit_props_clear(&sd->limits);
  spec_resources_free(sd->pending);
  free(sd);
}

static void sd_release(cgroup *cg) {
  cg_systemd_free(sd_of(cg));
  cg->driver_data = NULL;
}

static int sd_create(const char *cgroups_path, const char *id, cgroup **out,
                     berth_error **err) {
  cg_host host;
  if (cg_host_detect(&host, err) < 0)
    return -1;
  enum cg_layout layout = host.layout;
  cg_host_release(&host);
  cgroup *cg = cg_alloc(&cg_driver_systemd, layout, 0);
  if (cg != NULL)
    cg->driver_data = calloc(1, sizeof(cg_systemd));
  if (cg == NULL || cg->driver_data == NULL) {
    if (cg != NULL)
      cg_free(cg);
    return berth_fail(err, ENOMEM, "systemd cgroup");
  }
  if (cg_systemd_names(cgroups_path, id, sd_of(cg), err) < 0) {
    sd_release(cg);
    cg_free(cg);
    return -1;
  }
  *out = cg;
  return 0;
}

int cgroup_systemd_annotations(cgroup *cg, const spec_kvs *annotations, berth_error **err) {
  if (cg == NULL || cg->driver != &cg_driver_systemd)
    return 0;
  unit_props props = {0};
  if (unit_props_from_annotations(annotations, &props, err) < 0) {
    unit_props_clear(&props);
    return -1;
  }
  unit_props_clear(&sd_of(cg)->annotations);
  sd_of(cg)->annotations = props;
  return 0;
}

/* The spec's limits with the cpu quota systemd rounded, for the files. */
static int apply_started(cgroup *cg, const spec_resources *res, unit_props *limits,
                         int64_t quota, berth_error **err) {
  if (systemd_set_unit_properties(sd_of(cg)->unit, limits, err) < 0)
    return -1;
  spec_resources adjusted = *res;
  spec_cpu cpu;
  if (res->cpu != NULL && res->cpu->quota.set) {
    cpu = *res->cpu;
    cpu.quota.v = quota;
    adjusted.cpu = &cpu;
  }
  return cg_apply_files(cg, &adjusted, err);
}

/* "default N" or "N": the default line of unified io.weight. */
static bool io_default_weight(const char *text, uint64_t *out) {
  text += strspn(text, " \t\n");
  if (strncmp(text, "default ", 8) == 0)
    text += 8;
  char *end = NULL;
  errno = 0;
  *out = strtoull(text, &end, 10);
  if (end != NULL)
    end += strspn(end, " \t\n");
  return end != text && *end == '\0' && errno == 0 && text[0] != '-' && *out >= 1 &&
         *out <= 10000;
}

/* The I/O weight as IOWeight on cgroup v2, beyond runc's mapping (runc
 * leaves it to io.weight alone): systemd writes io.weight again from
 * IOWeight, its default of 100 when unset, each time it re-applies a
 * unit's settings, on every daemon-reload, so a weight in the file alone
 * does not last. unified is written after blockIO, so its value stands. */
static int io_weight_prop(const spec_resources *res, unit_props *out, berth_error **err) {
  uint64_t weight = 0, n;
  if (res->block_io != NULL && res->block_io->weight.set && res->block_io->weight.v != 0)
    weight = cg_blkio_to_io_weight(res->block_io->weight.v);
  for (size_t i = 0; i < res->unified.n; i++)
    if (strcmp(res->unified.v[i].key, "io.weight") == 0 &&
        io_default_weight(res->unified.v[i].value, &n))
      weight = n;
  if (weight != 0 && unit_props_add_u64(out, "IOWeight", weight) < 0)
    return berth_fail(err, ENOMEM, "linux.resources.blockIO.weight");
  return 0;
}

static int sd_apply(cgroup *cg, const spec_resources *res, berth_error **err) {
  cg_systemd *sd = sd_of(cg);
  unit_props limits = {0};
  int64_t quota = 0;
  bool v2 = cg->layout == CG_LAYOUT_V2;
  if (unit_props_for_resources(res, v2, &limits, &quota, err) < 0 ||
      (v2 && io_weight_prop(res, &limits, err) < 0)) {
    unit_props_clear(&limits);
    return -1;
  }
  if (sd->started) {
    int rc = apply_started(cg, res, &limits, quota, err);
    unit_props_clear(&limits);
    return rc;
  }
  spec_resources *copy = resources_copy(res);
  if (copy == NULL) {
    unit_props_clear(&limits);
    return berth_fail(err, ENOMEM, "remember linux.resources");
  }
  if (copy->cpu != NULL && copy->cpu->quota.set)
    copy->cpu->quota.v = quota;
  spec_resources_free(sd->pending);
  sd->pending = copy;
  unit_props_clear(&sd->limits);
  sd->limits = limits;
  return 0;
}

/* Where the unit's cgroup is in one hierarchy, as this mount shows it:
 * its ControlGroup when systemd told it (a manager may itself live below
 * the root), else the slice's path below the root, as runc assumes. */
static int unit_dir(const cg_systemd *sd, const char *group, const cg_mount *m, char **out) {
  char *inner = NULL;
  if (group != NULL)
    inner = strdup(group);
  else if (asprintf(&inner, "%s/%s", strcmp(sd->slice_path, "/") == 0 ? "" : sd->slice_path,
                    sd->unit) < 0)
    inner = NULL;
  if (inner == NULL)
    return -1;
  const char *rel = inner;
  size_t root_len = strlen(m->root);
  if (strcmp(m->root, "/") != 0 && strncmp(inner, m->root, root_len) == 0 &&
      inner[root_len] == '/')
    rel = inner + root_len;
  int rc = asprintf(out, "%s%s", m->mountpoint, rel) < 0 ? -1 : 0;
  free(inner);
  return rc;
}

static int fill_dir(cg_dir *d, const cg_systemd *sd, const char *group, const cg_mount *m,
                    berth_error **err) {
  d->mountpoint = strdup(m->mountpoint);
  d->controllers = strdup(m->controllers);
  d->unified = m->unified;
  if (d->mountpoint == NULL || d->controllers == NULL || unit_dir(sd, group, m, &d->path) < 0)
    return berth_fail(err, ENOMEM, "systemd unit \"%s\"", sd->unit);
  /* systemd leaves alone the v1 hierarchies it does not manage (cpuset,
   * net_cls, ...): there the directory is ours to make, as runc does. */
  if (!cg_is_dir(d->path) && cg_make_dirs(d, err) < 0)
    return -1;
  return 0;
}

/* The directories of the started unit, with pid in each of them. */
static int join_dirs(cgroup *cg, const char *group, pid_t pid, berth_error **err) {
  cg_host host;
  if (cg_host_detect(&host, err) < 0)
    return -1;
  cg_dir *dirs = calloc(host.n_mounts ? host.n_mounts : 1, sizeof(*dirs));
  int rc = dirs == NULL ? berth_fail(err, ENOMEM, "systemd cgroup") : 0;
  if (rc == 0) {
    free(cg->dirs);
    cg->dirs = dirs;
    cg->n_dirs = 0;
  }
  for (size_t i = 0; rc == 0 && i < host.n_mounts; i++) {
    cg->n_dirs = i + 1;
    rc = fill_dir(&cg->dirs[i], sd_of(cg), group, &host.mounts[i], err);
  }
  cg_host_release(&host);
  return rc == 0 ? cg_dirs_add_pid(cg, pid, err) : rc;
}

/* Start the unit with pid in it, then join the hierarchies systemd left
 * alone and write the remembered limits. */
static int sd_start(cgroup *cg, pid_t pid, berth_error **err) {
  cg_systemd *sd = sd_of(cg);
  unit_props props = {0};
  char *group = NULL;
  int rc = cg_systemd_start_props(sd, pid, cg->layout == CG_LAYOUT_V2, &props, err);
  if (rc == 0)
    rc = systemd_start_unit(sd->unit, &props, &group, err);
  unit_props_clear(&props);
  if (rc < 0)
    return -1;
  sd->started = true; /* from here on, a destroy stops the unit */
  rc = join_dirs(cg, group, pid, err);
  free(group);
  if (rc < 0)
    return berth_wrap(err, "systemd unit \"%s\"", sd->unit);
  if (sd->pending != NULL) {
    rc = cg_apply_files(cg, sd->pending, err);
    spec_resources_free(sd->pending);
    sd->pending = NULL;
  }
  return rc;
}

static int sd_add_pid(cgroup *cg, pid_t pid, berth_error **err) {
  if (!sd_of(cg)->started)
    return sd_start(cg, pid, err); /* a scope starts with its first pid */
  if (cg_dirs_add_pid(cg, pid, err) < 0)
    return berth_wrap(err, "add pid %d to the cgroup", (int)pid);
  return 0;
}

static bool sd_placed(const cgroup *cg) {
  return sd_of(cg)->started;
}

/* systemd removes the unit's own directories; what is left (cgroups the
 * container made below them, v1 ones we made) goes as with cgroupfs. */
static int sd_destroy(cgroup *cg, berth_error **err) {
  if (sd_of(cg)->started && systemd_stop_unit(sd_of(cg)->unit, err) < 0)
    return -1;
  return cg_remove_dirs(cg, true, err);
}

/* ---- state.json: {"unit": "x.scope", "slice": "system.slice", "name": "x"} ---- */

static json_t *sd_to_json(const cgroup *cg) {
  const cg_systemd *sd = sd_of(cg);
  return json_pack("{s:s, s:s, s:s}", "unit", sd->unit, "slice", sd->slice, "name", sd->name);
}

static int sd_from_json(cgroup *cg, json_t *j, berth_error **err) {
  const char *unit, *slice, *name;
  json_error_t jerr;
  if (json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:s}", "unit", &unit, "slice", &slice, "name",
                     &name) < 0)
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL,
                         "cgroup state: systemd: %s", jerr.text);
  if (!valid_unit_name(unit))
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL,
                         "cgroup state: bad systemd unit \"%s\"", unit);
  cg_systemd *sd = calloc(1, sizeof(*sd));
  if (sd == NULL)
    return berth_fail(err, ENOMEM, "cgroup state");
  sd->unit = strdup(unit);
  sd->slice = strdup(slice);
  sd->name = strdup(name);
  sd->started = true; /* state is saved once the init is in the unit */
  if (sd->unit == NULL || sd->slice == NULL || sd->name == NULL) {
    cg_systemd_free(sd);
    return berth_fail(err, ENOMEM, "cgroup state");
  }
  if (cg_systemd_expand_slice(sd->slice, &sd->slice_path, err) < 0) {
    cg_systemd_free(sd);
    return -1;
  }
  cg->driver_data = sd;
  return 0;
}

const cg_driver cg_driver_systemd = {
    .name = "systemd",
    .create = sd_create,
    .apply = sd_apply,
    .add_pid = sd_add_pid,
    .placed = sd_placed,
    .destroy = sd_destroy,
    .release = sd_release,
    .state_to_json = sd_to_json,
    .state_from_json = sd_from_json,
};
