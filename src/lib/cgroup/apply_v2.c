/* linux.resources on cgroup2 controllers, with runc's conversions from
 * the v1-shaped spec fields. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"

/* "max" for -1 (unlimited), the number otherwise. */
static void limit_text(char *buf, size_t n, int64_t v) {
  if (v == -1)
    snprintf(buf, n, "max");
  else
    snprintf(buf, n, "%" PRId64, v);
}

/* v1 spells swap as memory+swap, cgroup2 as swap alone. */
static int v2_swap_value(int64_t limit, int64_t swap, char *buf, size_t n, berth_error **err) {
  const char *field = "linux.resources.memory.swap";
  buf[0] = '\0';
  if ((limit == -1 && swap == 0) || swap == -1) {
    snprintf(buf, n, "max");
    return 0;
  }
  if (swap == 0)
    return 0;
  if (limit == 0 || limit == -1)
    return berth_fail_id(err, "BERTH-E-CGROUP-SWAP", EINVAL,
                         "%s: a swap limit needs a memory limit on cgroup v2", field);
  if (limit < 0 || swap < limit)
    return berth_fail_id(err, "BERTH-E-CGROUP-SWAP", EINVAL,
                         "%s: memory+swap (%" PRId64 ") must be at least the "
                         "memory limit (%" PRId64 ")", field, swap, limit);
  snprintf(buf, n, "%" PRId64, swap - limit);
  return 0;
}

static int v2_check_usage(const char *dir, int64_t limit, berth_error **err) {
  uint64_t usage = 0;
  if (limit <= 0 || cg_read_u64(dir, "memory.current", &usage, NULL) < 0)
    return 0;
  if (usage > (uint64_t)limit)
    return berth_fail_id(err, "BERTH-E-CGROUP-MEMORY-USAGE", EBUSY,
                         "linux.resources.memory.limit: rejecting memory limit %" PRId64
                         " below current usage %" PRIu64 " (checkBeforeUpdate)",
                         limit, usage);
  return 0;
}

int cg_v2_memory(const char *dir, const spec_memory *mem, berth_error **err) {
  int64_t limit = mem->limit.set ? mem->limit.v : 0;
  int64_t swap = mem->swap.set ? mem->swap.v : 0;
  char swap_text[32], buf[32];
  if (v2_swap_value(limit, swap, swap_text, sizeof(swap_text), err) < 0)
    return -1;
  /* Without swap accounting there is nothing to lift or to turn off. */
  bool swap_file = cg_file_exists(dir, "memory.swap.max");
  bool harmless = strcmp(swap_text, "max") == 0 || strcmp(swap_text, "0") == 0;
  if (swap_text[0] != '\0' && (swap_file || !harmless) &&
      cg_write_field(dir, "memory.swap.max", swap_text, "linux.resources.memory.swap",
                     "swap accounting is off", err) < 0)
    return -1;
  if (limit != 0) {
    if (mem->check_before_update.set && mem->check_before_update.v &&
        v2_check_usage(dir, limit, err) < 0)
      return -1;
    limit_text(buf, sizeof(buf), limit);
    if (cg_write_field(dir, "memory.max", buf, "linux.resources.memory.limit", NULL, err) < 0)
      return -1;
  }
  if (mem->reservation.set && mem->reservation.v != 0) {
    limit_text(buf, sizeof(buf), mem->reservation.v);
    if (cg_write_field(dir, "memory.low", buf, "linux.resources.memory.reservation", NULL,
                       err) < 0)
      return -1;
  }
  return 0;
}

int cg_v2_cpu(const char *dir, const spec_cpu *cpu, berth_error **err) {
  char buf[64];
  if (cpu->shares.set && cpu->shares.v != 0) {
    snprintf(buf, sizeof(buf), "%" PRIu64, cg_shares_to_weight(cpu->shares.v));
    if (cg_write_field(dir, "cpu.weight", buf, "linux.resources.cpu.shares", NULL, err) < 0)
      return -1;
  }
  int64_t quota = cpu->quota.set ? cpu->quota.v : 0;
  uint64_t period = cpu->period.set ? cpu->period.v : 0;
  if (quota != 0 || period != 0) {
    int n = quota > 0 ? snprintf(buf, sizeof(buf), "%" PRId64, quota)
                      : snprintf(buf, sizeof(buf), "max");
    if (period != 0)
      snprintf(buf + n, sizeof(buf) - (size_t)n, " %" PRIu64, period);
    if (cg_write_field(dir, "cpu.max", buf, "linux.resources.cpu.quota", NULL, err) < 0)
      return -1;
  }
  if (cpu->burst.set) {
    snprintf(buf, sizeof(buf), "%" PRIu64, cpu->burst.v);
    if (cg_write_field(dir, "cpu.max.burst", buf, "linux.resources.cpu.burst", NULL, err) < 0)
      return -1;
  }
  if (cpu->idle.set) {
    snprintf(buf, sizeof(buf), "%" PRId64, cpu->idle.v);
    if (cg_write_field(dir, "cpu.idle", buf, "linux.resources.cpu.idle", NULL, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- io ---- */

static int v2_weights(const char *dir, const spec_blkio *blk, berth_error **err) {
  /* BFQ takes blkio's own scale; the generic io.weight a wider one. */
  bool bfq = cg_file_exists(dir, "io.bfq.weight");
  const char *file = bfq ? "io.bfq.weight" : "io.weight";
  char buf[96], field[80];
  if (blk->weight.set && blk->weight.v != 0) {
    snprintf(buf, sizeof(buf), "%" PRIu64,
             bfq ? blk->weight.v : cg_blkio_to_io_weight(blk->weight.v));
    if (cg_write_field(dir, file, buf, "linux.resources.blockIO.weight",
                       "no weight-based I/O control", err) < 0)
      return -1;
  }
  for (size_t i = 0; i < blk->n_weight_device; i++) {
    const spec_weight_device *wd = &blk->weight_device[i];
    if (!wd->weight.set || wd->weight.v == 0)
      continue;
    snprintf(field, sizeof(field), "linux.resources.blockIO.weightDevice[%zu].weight", i);
    snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, wd->major, wd->minor,
             bfq ? wd->weight.v : cg_blkio_to_io_weight(wd->weight.v));
    if (cg_write_field(dir, file, buf, field, "no weight-based I/O control", err) == 0)
      continue;
    /* io.weight takes a device line only where io.cost is enabled for the
     * device; runc writes device weights to BFQ alone and otherwise drops
     * them. Dropped here too then, but said. */
    if (bfq || *err == NULL || (*err)->code != EOPNOTSUPP)
      return -1;
    berth_error_clear(err);
    berth_warn("%s: ignored, the device %" PRId64 ":%" PRId64 " has neither the BFQ scheduler "
               "nor io.cost enabled", field, wd->major, wd->minor);
  }
  return 0;
}

static int v2_throttle(const char *dir, const spec_throttle_list *l, const char *key,
                       const char *name, berth_error **err) {
  for (size_t i = 0; i < l->n; i++) {
    char field[80], value[96];
    snprintf(field, sizeof(field), "linux.resources.blockIO.%s[%zu]", name, i);
    snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, l->v[i].major,
             l->v[i].minor, key, l->v[i].rate);
    if (cg_write_field(dir, "io.max", value, field, NULL, err) < 0)
      return -1;
  }
  return 0;
}

int cg_v2_io(const char *dir, const spec_blkio *blk, berth_error **err) {
  if (v2_weights(dir, blk, err) < 0 ||
      v2_throttle(dir, &blk->read_bps, "rbps", "throttleReadBpsDevice", err) < 0 ||
      v2_throttle(dir, &blk->write_bps, "wbps", "throttleWriteBpsDevice", err) < 0 ||
      v2_throttle(dir, &blk->read_iops, "riops", "throttleReadIOPSDevice", err) < 0 ||
      v2_throttle(dir, &blk->write_iops, "wiops", "throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

/* ---- unified ---- */

static int unified_one(const char *dir, const spec_kv *kv, berth_error **err) {
  char *field = NULL, *hint = NULL;
  if (asprintf(&field, "linux.resources.unified.%s", kv->key) < 0)
    return berth_fail(err, ENOMEM, "linux.resources.unified");
  int rc;
  if (kv->key[0] == '\0' || strchr(kv->key, '/') != NULL || strcmp(kv->key, ".") == 0 ||
      strcmp(kv->key, "..") == 0) {
    rc = berth_fail_id(err, "BERTH-E-CGROUP-UNIFIED", EINVAL,
                       "%s: must be a file name in the cgroup directory", field);
  } else {
    size_t ctl_len = strcspn(kv->key, ".");
    if (asprintf(&hint, "is the %.*s controller enabled for this cgroup?", (int)ctl_len,
                 kv->key) < 0)
      hint = NULL;
    rc = cg_write_field(dir, kv->key, kv->value, field, hint, err);
  }
  free(field);
  free(hint);
  return rc;
}

int cg_v2_unified(const char *dir, const spec_kvs *unified, berth_error **err) {
  for (size_t i = 0; i < unified->n; i++)
    if (unified_one(dir, &unified->v[i], err) < 0)
      return -1;
  return 0;
}
