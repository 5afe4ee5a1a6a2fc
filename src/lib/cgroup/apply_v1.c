/* linux.resources on cgroup v1 controllers. Zero means "not set" for the
 * fields runc reads that way (memory limits, cpu quota and period, blkio
 * weight), so a config that spells out zeros changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"

#define SWAP_HINT "swap accounting is off"

static int write_i64(const char *dir, const char *file, int64_t v, const char *field,
                     const char *hint, berth_error **err) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRId64, v);
  return cg_write_field(dir, file, buf, field, hint, err);
}

static int write_u64(const char *dir, const char *file, uint64_t v, const char *field,
                     const char *hint, berth_error **err) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRIu64, v);
  return cg_write_field(dir, file, buf, field, hint, err);
}

/* ---- devices ---- */

static void device_number(char *buf, size_t n, const opt_i64 *v) {
  if (v->set && v->v >= 0)
    snprintf(buf, n, "%" PRId64, v->v);
  else
    snprintf(buf, n, "*");
}

/* devices.allow and devices.deny, each opened once for all the rules (a
 * runtime's default list is a dozen): every write is one rule to the
 * kernel, as through a fresh open. */
struct device_files {
  const char *dir;
  int allow, deny;
};

/* One rule through the open file; a failure is taken again through
 * cg_write_field, which names the field and the file as everywhere else. */
static int write_rule(struct device_files *f, bool allow, const char *rule, const char *field,
                      berth_error **err) {
  const char *file = allow ? "devices.allow" : "devices.deny";
  int *fd = allow ? &f->allow : &f->deny;
  if (*fd < 0) {
    char *path = cg_join(f->dir, file);
    if (path != NULL)
      *fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    free(path);
  }
  size_t len = strlen(rule);
  if (*fd >= 0 && write(*fd, rule, len) == (ssize_t)len)
    return 0;
  return cg_write_field(f->dir, file, rule, field, NULL, err);
}

/* The kernel reads type 'a' as "every device" whatever follows it, so a
 * narrower 'a' rule is written as the same rule for 'c' and for 'b'. */
static int write_device_rule(struct device_files *files, const spec_device_rule *r, size_t idx,
                             berth_error **err) {
  const char *access = r->access && *r->access ? r->access : "rwm";
  char field[64], major[24], minor[24], rule[80];
  snprintf(field, sizeof(field), "linux.resources.devices[%zu]", idx);
  device_number(major, sizeof(major), &r->major);
  device_number(minor, sizeof(minor), &r->minor);
  bool everything = strcmp(major, "*") == 0 && strcmp(minor, "*") == 0 &&
                    strlen(access) == 3 && strchr(access, 'r') && strchr(access, 'w') &&
                    strchr(access, 'm');
  if (r->type == 'a' && everything)
    return write_rule(files, r->allow, "a", field, err);
  const char *types = r->type == 'a' ? "cb" : (r->type == 'b' ? "b" : "c");
  for (const char *t = types; *t; t++) {
    snprintf(rule, sizeof(rule), "%c %s:%s %s", *t, major, minor, access);
    if (write_rule(files, r->allow, rule, field, err) < 0)
      return -1;
  }
  return 0;
}

/* Rules go to the kernel in the order given. The v1 controller keeps the
 * same "last matching rule wins" model the spec describes: "a" on
 * devices.deny empties the allow list and denies by default, and each
 * later rule adds or removes an exception. */
int cg_v1_devices(const char *dir, const spec_resources *res, berth_error **err) {
  struct device_files files = {.dir = dir, .allow = -1, .deny = -1};
  int rc = 0;
  for (size_t i = 0; i < res->n_devices && rc == 0; i++)
    rc = write_device_rule(&files, &res->devices[i], i, err);
  if (files.allow >= 0)
    close(files.allow);
  if (files.deny >= 0)
    close(files.deny);
  return rc;
}

/* ---- memory ---- */

static int v1_limit_and_swap(const char *dir, int64_t limit, int64_t swap, berth_error **err) {
  const char *lf = "linux.resources.memory.limit", *sf = "linux.resources.memory.swap";
  if (limit == 0 || swap == 0) {
    if (limit != 0 && write_i64(dir, "memory.limit_in_bytes", limit, lf, NULL, err) < 0)
      return -1;
    if (swap != 0 && write_i64(dir, "memory.memsw.limit_in_bytes", swap, sf, SWAP_HINT, err) < 0)
      return -1;
    return 0;
  }
  /* The kernel insists memory <= memory+swap at every moment, so which one
   * goes first depends on whether the limits grow or shrink. */
  uint64_t current = 0;
  if (cg_read_u64(dir, "memory.limit_in_bytes", &current, err) < 0)
    return berth_wrap(err, "%s", lf);
  bool swap_first = swap == -1 || current < (uint64_t)swap;
  if (swap_first && write_i64(dir, "memory.memsw.limit_in_bytes", swap, sf, SWAP_HINT, err) < 0)
    return -1;
  if (write_i64(dir, "memory.limit_in_bytes", limit, lf, NULL, err) < 0)
    return -1;
  if (!swap_first && write_i64(dir, "memory.memsw.limit_in_bytes", swap, sf, SWAP_HINT, err) < 0)
    return -1;
  return 0;
}

int cg_v1_memory(const char *dir, const spec_memory *mem, berth_error **err) {
  int64_t limit = mem->limit.set ? mem->limit.v : 0;
  int64_t swap = mem->swap.set ? mem->swap.v : 0;
  /* An unlimited memory limit with no word on swap lifts swap too, as runc
   * does, where the kernel accounts swap at all. */
  if (limit == -1 && swap == 0 && cg_file_exists(dir, "memory.memsw.limit_in_bytes"))
    swap = -1;
  if (v1_limit_and_swap(dir, limit, swap, err) < 0)
    return -1;
  if (mem->reservation.set && mem->reservation.v != 0 &&
      write_i64(dir, "memory.soft_limit_in_bytes", mem->reservation.v,
                "linux.resources.memory.reservation", NULL, err) < 0)
    return -1;
  /* -1 read as an unsigned number is runc's "leave it alone". */
  if (mem->swappiness.set && mem->swappiness.v != UINT64_MAX) {
    if (mem->swappiness.v > 100)
      return berth_fail_id(err, "BERTH-E-CGROUP-VALUE", EINVAL,
                           "linux.resources.memory.swappiness: %" PRIu64
                           " is out of range (0-100)", mem->swappiness.v);
    if (write_u64(dir, "memory.swappiness", mem->swappiness.v,
                  "linux.resources.memory.swappiness", NULL, err) < 0)
      return -1;
  }
  if (mem->disable_oom_killer.set && mem->disable_oom_killer.v &&
      cg_write_field(dir, "memory.oom_control", "1", "linux.resources.memory.disableOOMKiller",
                     NULL, err) < 0)
    return -1;
  return 0;
}

/* ---- cpu ---- */

static int v1_shares(const char *dir, uint64_t shares, berth_error **err) {
  const char *field = "linux.resources.cpu.shares";
  if (write_u64(dir, "cpu.shares", shares, field, NULL, err) < 0)
    return -1;
  /* The kernel clamps out-of-range shares silently; say so instead. */
  uint64_t got = 0;
  if (cg_read_u64(dir, "cpu.shares", &got, err) < 0)
    return berth_wrap(err, "%s", field);
  if (got != shares)
    return berth_fail_id(err, "BERTH-E-CGROUP-VALUE", EINVAL,
                         "%s: %" PRIu64 " is out of range, the %s allowed is %" PRIu64,
                         field, shares, shares > got ? "maximum" : "minimum", got);
  return 0;
}

static int v1_bandwidth(const char *dir, const spec_cpu *cpu, berth_error **err) {
  const char *pf = "linux.resources.cpu.period", *qf = "linux.resources.cpu.quota";
  int64_t quota = cpu->quota.set ? cpu->quota.v : 0;
  uint64_t period = cpu->period.set ? cpu->period.v : 0;
  bool period_pending = false;
  if (period != 0) {
    berth_error *first = NULL;
    /* A shorter period can push quota/period over the parent's limit until
     * the new quota is in; retry it after the quota then. */
    if (write_u64(dir, "cpu.cfs_period_us", period, pf, NULL, &first) < 0) {
      if (first->code != EINVAL || quota == 0)
        return cg_error_pass(err, first);
      berth_error_free(first);
      period_pending = true;
    }
  }
  if (quota != 0 && write_i64(dir, "cpu.cfs_quota_us", quota, qf, NULL, err) < 0)
    return -1;
  if (period_pending && write_u64(dir, "cpu.cfs_period_us", period, pf, NULL, err) < 0)
    return -1;
  return 0;
}

int cg_v1_cpu(const char *dir, const spec_cpu *cpu, berth_error **err) {
  if (cpu->shares.set && cpu->shares.v != 0 && v1_shares(dir, cpu->shares.v, err) < 0)
    return -1;
  if (v1_bandwidth(dir, cpu, err) < 0)
    return -1;
  if (cpu->burst.set && write_u64(dir, "cpu.cfs_burst_us", cpu->burst.v,
                                  "linux.resources.cpu.burst", NULL, err) < 0)
    return -1;
  const char *rt_hint = "the kernel has no CONFIG_RT_GROUP_SCHED";
  if (cpu->realtime_period.set && cpu->realtime_period.v != 0 &&
      write_u64(dir, "cpu.rt_period_us", cpu->realtime_period.v,
                "linux.resources.cpu.realtimePeriod", rt_hint, err) < 0)
    return -1;
  if (cpu->realtime_runtime.set && cpu->realtime_runtime.v != 0 &&
      write_i64(dir, "cpu.rt_runtime_us", cpu->realtime_runtime.v,
                "linux.resources.cpu.realtimeRuntime", rt_hint, err) < 0)
    return -1;
  if (cpu->idle.set && write_i64(dir, "cpu.idle", cpu->idle.v, "linux.resources.cpu.idle",
                                 NULL, err) < 0)
    return -1;
  return 0;
}

/* ---- blkio ---- */

/* blkio.weight exists with CFQ; with BFQ the files carry a "bfq." infix. */
static const char *weight_file(const char *dir, bool per_device) {
  if (cg_file_exists(dir, per_device ? "blkio.weight_device" : "blkio.weight"))
    return per_device ? "blkio.weight_device" : "blkio.weight";
  if (cg_file_exists(dir, per_device ? "blkio.bfq.weight_device" : "blkio.bfq.weight"))
    return per_device ? "blkio.bfq.weight_device" : "blkio.bfq.weight";
  return per_device ? "blkio.weight_device" : "blkio.weight";
}

static int v1_weight_devices(const char *dir, const spec_blkio *blk, berth_error **err) {
  const char *hint = "no weight-based I/O scheduler is in use";
  for (size_t i = 0; i < blk->n_weight_device; i++) {
    const spec_weight_device *wd = &blk->weight_device[i];
    char field[80], value[96];
    if (wd->weight.set) {
      snprintf(field, sizeof(field), "linux.resources.blockIO.weightDevice[%zu].weight", i);
      snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %" PRIu64, wd->major, wd->minor,
               wd->weight.v);
      if (cg_write_field(dir, weight_file(dir, true), value, field, hint, err) < 0)
        return -1;
    }
    if (wd->leaf_weight.set) {
      snprintf(field, sizeof(field), "linux.resources.blockIO.weightDevice[%zu].leafWeight", i);
      snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %" PRIu64, wd->major, wd->minor,
               wd->leaf_weight.v);
      if (cg_write_field(dir, "blkio.leaf_weight_device", value, field, hint, err) < 0)
        return -1;
    }
  }
  return 0;
}

static int v1_throttle(const char *dir, const spec_throttle_list *l, const char *file,
                       const char *name, berth_error **err) {
  for (size_t i = 0; i < l->n; i++) {
    char field[80], value[96];
    snprintf(field, sizeof(field), "linux.resources.blockIO.%s[%zu]", name, i);
    snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %" PRIu64, l->v[i].major,
             l->v[i].minor, l->v[i].rate);
    if (cg_write_field(dir, file, value, field, "blkio throttling is not in the kernel",
                       err) < 0)
      return -1;
  }
  return 0;
}

int cg_v1_blkio(const char *dir, const spec_blkio *blk, berth_error **err) {
  const char *hint = "no weight-based I/O scheduler is in use";
  if (blk->weight.set && blk->weight.v != 0 &&
      write_u64(dir, weight_file(dir, false), blk->weight.v, "linux.resources.blockIO.weight",
                hint, err) < 0)
    return -1;
  if (blk->leaf_weight.set && blk->leaf_weight.v != 0 &&
      write_u64(dir, "blkio.leaf_weight", blk->leaf_weight.v,
                "linux.resources.blockIO.leafWeight", hint, err) < 0)
    return -1;
  if (v1_weight_devices(dir, blk, err) < 0 ||
      v1_throttle(dir, &blk->read_bps, "blkio.throttle.read_bps_device",
                  "throttleReadBpsDevice", err) < 0 ||
      v1_throttle(dir, &blk->write_bps, "blkio.throttle.write_bps_device",
                  "throttleWriteBpsDevice", err) < 0 ||
      v1_throttle(dir, &blk->read_iops, "blkio.throttle.read_iops_device",
                  "throttleReadIOPSDevice", err) < 0 ||
      v1_throttle(dir, &blk->write_iops, "blkio.throttle.write_iops_device",
                  "throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

/* ---- network ---- */

int cg_v1_net_cls(const char *dir, const spec_resources *res, berth_error **err) {
  return write_u64(dir, "net_cls.classid", res->net_class_id.v,
                   "linux.resources.network.classID", NULL, err);
}

int cg_v1_net_prio(const char *dir, const spec_resources *res, berth_error **err) {
  for (size_t i = 0; i < res->n_net_priorities; i++) {
    const spec_net_priority *p = &res->net_priorities[i];
    char field[64], *value = NULL;
    snprintf(field, sizeof(field), "linux.resources.network.priorities[%zu]", i);
    if (asprintf(&value, "%s %" PRIu32, p->name, p->priority) < 0)
      return berth_fail(err, ENOMEM, "%s", field);
    int rc = cg_write_field(dir, "net_prio.ifpriomap", value, field, NULL, err);
    free(value);
    if (rc < 0)
      return -1;
  }
  return 0;
}
