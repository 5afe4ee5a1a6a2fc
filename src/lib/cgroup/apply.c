/* linux.resources in the cgroup files: each group of linux.resources goes to whichever hierarchy
 * holds its controller -- a v1 hierarchy, or the cgroup2 directory (on a
 * pure v2 host, and on a hybrid one for controllers bound to cgroup2, such
 * as hugetlb here). Groups are applied in runc's v1 order.
 *
 * Ignored, as runc ignores them: memory.kernel and memory.kernelTCP
 * (deprecated by the kernel), memory.useHierarchy; on cgroup2 also
 * memory.swappiness, memory.disableOOMKiller, cpu.realtime* and
 * blockIO.leafWeight, which have no cgroup2 file. cgroup2 has no devices
 * controller: on a pure cgroup2 host the device rules become an eBPF
 * program (devices_bpf.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "devices_bpf.h"

/* Whether the cgroup2 directory `dir` lists `controller` in cgroup.controllers. */
static bool v2_has(const char *dir, const char *controller) {
  char *text = NULL;
  if (cg_read(dir, "cgroup.controllers", &text, NULL) < 0)
    return false;
  for (char *c = text; *c; c++)
    if (*c == ' ' || *c == '\n')
      *c = ',';
  bool has = cg_list_has(text, controller);
  free(text);
  return has;
}

/* The directory to write `controller`'s files in; *v2 says which file set. */
static const char *locate(cgroup *cg, const char *controller, bool v1_only, bool *v2,
                          const char *field, berth_error **err) {
  cg_dir *d = cg_find_v1(cg, controller);
  *v2 = false;
  if (d != NULL)
    return d->path;
  cg_dir *u = cg_find_unified(cg);
  if (u != NULL && !v1_only) {
    if (v2_has(u->path, controller)) {
      *v2 = true;
      return u->path;
    }
    if (v2_has(u->mountpoint, controller)) {
      berth_fail_id(err, "BERTH-E-CGROUP-CONTROLLER", ENOTSUP,
                    "%s: the %s cgroup controller is not enabled for \"%s\" "
                    "(cgroup.subtree_control of a parent)", field, controller,
                    u->path);
      return NULL;
    }
  }
  if (v1_only && cg->layout == CG_LAYOUT_V2)
    berth_fail_id(err, "BERTH-E-CGROUP-CONTROLLER", ENOTSUP,
                  "%s: the %s cgroup controller does not exist on cgroup v2", field,
                  controller);
  else
    berth_fail_id(err, "BERTH-E-CGROUP-CONTROLLER", ENOTSUP,
                  "%s: the %s cgroup controller is not mounted", field, controller);
  return NULL;
}

static bool memory_wanted(const spec_memory *m) {
  return m != NULL && (m->limit.set || m->reservation.set || m->swap.set ||
                       m->swappiness.set || m->disable_oom_killer.set ||
                       m->check_before_update.set);
}

static bool cpu_wanted(const spec_cpu *c) {
  return c != NULL && (c->shares.set || c->quota.set || c->period.set || c->burst.set ||
                       c->realtime_runtime.set || c->realtime_period.set || c->idle.set);
}

static bool cpuset_wanted(const spec_cpu *c) {
  return c != NULL && ((c->cpus && *c->cpus) || (c->mems && *c->mems));
}

static bool blkio_wanted(const spec_blkio *b) {
  return b != NULL && (b->weight.set || b->leaf_weight.set || b->n_weight_device > 0 ||
                       b->read_bps.n > 0 || b->write_bps.n > 0 || b->read_iops.n > 0 ||
                       b->write_iops.n > 0);
}

static int apply_devices(cgroup *cg, const spec_resources *res, berth_error **err) {
  if (res->n_devices == 0)
    return 0;
  if (cg->layout == CG_LAYOUT_V2) {
    cg_dir *u = cg_find_unified(cg);
    if (u == NULL)
      return berth_fail_id(err, "BERTH-E-CGROUP-CONTROLLER", ENOTSUP,
                           "linux.resources.devices: the container has no cgroup2 "
                           "directory");
    return devices_bpf_apply(u->path, res->devices, res->n_devices, err);
  }
  bool v2;
  const char *dir = locate(cg, "devices", true, &v2, "linux.resources.devices", err);
  return dir == NULL ? -1 : cg_v1_devices(dir, res, err);
}

static int apply_memory_cpu(cgroup *cg, const spec_resources *res, berth_error **err) {
  bool v2;
  const char *dir;
  if (memory_wanted(res->memory)) {
    if ((dir = locate(cg, "memory", false, &v2, "linux.resources.memory", err)) == NULL)
      return -1;
    if ((v2 ? cg_v2_memory : cg_v1_memory)(dir, res->memory, err) < 0)
      return -1;
  }
  if (cpu_wanted(res->cpu)) {
    if ((dir = locate(cg, "cpu", false, &v2, "linux.resources.cpu", err)) == NULL)
      return -1;
    if ((v2 ? cg_v2_cpu : cg_v1_cpu)(dir, res->cpu, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_io_pids(cgroup *cg, const spec_resources *res, berth_error **err) {
  bool v2;
  const char *dir;
  if (res->pids_limit.set) {
    if ((dir = locate(cg, "pids", false, &v2, "linux.resources.pids", err)) == NULL)
      return -1;
    if (cg_pids(dir, &res->pids_limit, err) < 0)
      return -1;
  }
  if (blkio_wanted(res->block_io)) {
    /* The controller is "blkio" on v1 and "io" on cgroup2. */
    bool on_v1 = cg->layout == CG_LAYOUT_V1 || cg_find_v1(cg, "blkio") != NULL;
    dir = locate(cg, on_v1 ? "blkio" : "io", on_v1, &v2, "linux.resources.blockIO", err);
    if (dir == NULL)
      return -1;
    if ((v2 ? cg_v2_io : cg_v1_blkio)(dir, res->block_io, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_others(cgroup *cg, const spec_resources *res, berth_error **err) {
  bool v2;
  const char *dir;
  if (res->n_hugepage_limits > 0) {
    if ((dir = locate(cg, "hugetlb", false, &v2, "linux.resources.hugepageLimits", err)) ==
            NULL ||
        cg_hugetlb(dir, v2, res, err) < 0)
      return -1;
  }
  if (res->net_class_id.set) {
    if ((dir = locate(cg, "net_cls", true, &v2, "linux.resources.network.classID", err)) ==
            NULL ||
        cg_v1_net_cls(dir, res, err) < 0)
      return -1;
  }
  if (res->n_net_priorities > 0) {
    if ((dir = locate(cg, "net_prio", true, &v2, "linux.resources.network.priorities", err)) ==
            NULL ||
        cg_v1_net_prio(dir, res, err) < 0)
      return -1;
  }
  if (res->n_rdma > 0) {
    if ((dir = locate(cg, "rdma", false, &v2, "linux.resources.rdma", err)) == NULL ||
        cg_rdma(dir, res, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_unified(cgroup *cg, const spec_resources *res, berth_error **err) {
  if (res->unified.n == 0)
    return 0;
  cg_dir *u = cg_find_unified(cg);
  if (u == NULL)
    return berth_fail_id(err, "BERTH-E-CGROUP-UNIFIED", ENOTSUP,
                         "linux.resources.unified: cgroup v2 is not mounted on this "
                         "host (a v1-only host has no unified hierarchy)");
  /* On a hybrid host only the controllers bound to cgroup2 take unified
   * keys; runc refuses unified outright there. */
  for (size_t i = 0; i < res->unified.n; i++) {
    const char *key = res->unified.v[i].key;
    char controller[64];
    snprintf(controller, sizeof(controller), "%.*s", (int)strcspn(key, "."), key);
    if (cg_find_v1(cg, controller) != NULL)
      return berth_fail_id(err, "BERTH-E-CGROUP-UNIFIED", ENOTSUP,
                           "linux.resources.unified.%s: the %s controller is on a "
                           "cgroup v1 hierarchy on this host; unified keys need it "
                           "on cgroup v2", key, controller);
  }
  return cg_v2_unified(u->path, &res->unified, err);
}

int cg_apply_files(cgroup *cg, const spec_resources *res, berth_error **err) {
  if (res == NULL)
    return 0;
  bool v2;
  if (cpuset_wanted(res->cpu)) {
    const char *dir = locate(cg, "cpuset", false, &v2, "linux.resources.cpu", err);
    if (dir == NULL || cg_cpuset(dir, res->cpu, err) < 0)
      return -1;
  }
  if (apply_devices(cg, res, err) < 0 || apply_memory_cpu(cg, res, err) < 0 ||
      apply_io_pids(cg, res, err) < 0 || apply_others(cg, res, err) < 0 ||
      apply_unified(cg, res, err) < 0)
    return -1;
  return 0;
}
