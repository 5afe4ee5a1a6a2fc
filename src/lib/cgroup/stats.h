/* What a container's cgroup has counted (for `events`), and a watch that
 * reports the container's OOM kills as they happen. Files the host does
 * not have are skipped: their fields stay zero. */
#ifndef BERTH_CGROUP_STATS_H
#define BERTH_CGROUP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

typedef struct cgroup_stat_kv {
  char *key;
  uint64_t value;
} cgroup_stat_kv;

typedef struct cgroup_u64_list {
  uint64_t *v;
  size_t n;
} cgroup_u64_list;

typedef struct cgroup_memory_entry {
  uint64_t limit, usage, max, failcnt;
} cgroup_memory_entry;

typedef struct cgroup_blkio_entry {
  uint64_t major, minor;
  char op[16]; /* "Read", "Write", "Total"...; "" for the files without one */
  uint64_t value;
} cgroup_blkio_entry;

/* The blkio lists, in the order runc reports them. */
enum cgroup_blkio_kind {
  BLKIO_SERVICE_BYTES,
  BLKIO_SERVICED,
  BLKIO_QUEUED,
  BLKIO_SERVICE_TIME,
  BLKIO_WAIT_TIME,
  BLKIO_MERGED,
  BLKIO_TIME,
  BLKIO_SECTORS,
  BLKIO_KIND_COUNT
};

typedef struct cgroup_blkio_list {
  cgroup_blkio_entry *v;
  size_t n;
} cgroup_blkio_list;

typedef struct cgroup_hugetlb_stat {
  char *page_size; /* "2MB" */
  uint64_t usage, max, failcnt;
} cgroup_hugetlb_stat;

typedef struct cgroup_stats {
  struct {
    uint64_t total, kernel, user; /* nanoseconds */
    cgroup_u64_list percpu, percpu_kernel, percpu_user;
    uint64_t periods, throttled_periods, throttled_time;
  } cpu;
  struct {
    bool present; /* a v1 cpuset controller was read */
    cgroup_u64_list cpus, mems;
    uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate;
    uint64_t memory_spread_page, memory_spread_slab, memory_pressure, sched_load_balance;
    int64_t sched_relax_domain_level;
  } cpuset;
  struct {
    uint64_t cache;
    /* swap is memory+swap, as v1 counts it (v2 values are added up). */
    cgroup_memory_entry usage, swap, kernel, kernel_tcp;
    cgroup_stat_kv *raw; /* memory.stat */
    size_t n_raw;
  } memory;
  struct {
    uint64_t current, limit; /* limit 0: no limit */
  } pids;
  cgroup_blkio_list blkio[BLKIO_KIND_COUNT];
  cgroup_hugetlb_stat *hugetlb;
  size_t n_hugetlb;
} cgroup_stats;

/* Fill *out (zeroed first); free with cgroup_stats_free even on error. */
int cgroup_stats_read(cgroup *cg, cgroup_stats *out, berth_error **err);
void cgroup_stats_free(cgroup_stats *s);

/* Parsers of the kernel's formats, exposed for tests. */
/* "0-3,8" -> 0 1 2 3 8. */
int cgroup_parse_id_ranges(const char *text, cgroup_u64_list *out);
/* "key value" lines; malformed lines are skipped. */
int cgroup_parse_flat_keyed(const char *text, cgroup_stat_kv **out, size_t *n);
/* One value of "key value" lines, or -1 when absent. */
int cgroup_flat_keyed_get(const char *text, const char *key, uint64_t *out);

/* OOM notifications: on v1 an eventfd registered on memory.oom_control
 * through cgroup.event_control, on v2 an inotify watch of memory.events
 * (oom_kill counter) and cgroup.events (emptied). */
typedef struct cgroup_oom_watch {
  int fd; /* poll it for POLLIN */
  bool v2;
  char *dir;
  int oom_control_fd; /* v1 */
  uint64_t oom_kills;   /* v2: last value of memory.events oom_kill */
} cgroup_oom_watch;

int cgroup_oom_watch_open(cgroup *cg, cgroup_oom_watch *w, berth_error **err);
/* After POLLIN (or at any time: it never blocks): how many OOM events
 * arrived since the last call. *gone says the cgroup was removed or
 * emptied, so no more will come. */
int cgroup_oom_watch_read(cgroup_oom_watch *w, bool *gone);
void cgroup_oom_watch_close(cgroup_oom_watch *w);

#endif
