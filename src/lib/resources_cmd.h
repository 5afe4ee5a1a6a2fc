/* `update` and `events`: changing a live container's cgroup limits, and
 * reporting its counters and OOM kills. */
#ifndef BERTH_RESOURCES_CMD_H
#define BERTH_RESOURCES_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup/stats.h"
#include "error.h"

struct update_request {
  /* A LinuxResources JSON document. As in runc, only its memory, cpu,
   * blockIO, pids and unified members are applied; zeros and empty strings
   * leave a limit as it is. */
  const char *json;
  size_t len;
  const char *name; /* for messages: the file name, or "-" */
  const char *l3_cache_schema; /* Intel RDT; NULL when not asked for */
  const char *mem_bw_schema;
};

/* Apply the new limits to a created, running or paused container and
 * record them in the container's copy of config.json, so the copy keeps
 * describing the cgroup (runc keeps them in its state file likewise), and
 * a later update that names only the cpu quota or only the period keeps
 * the other. A stopped container fails with "container not running". */
int container_update(const char *root, const char *id, const struct update_request *req,
                     berth_error **err);

/* Go's units.RAMInBytes, as runc reads --memory and friends: a decimal
 * number with an optional fraction, an optional space, then k, m, g, t or p
 * (binary multiples, any case) with an optional "i" and "b", or just "b".
 * On failure returns -1 and *why is a heap string like
 * "invalid size: '1x'". */
int resources_parse_size(const char *text, int64_t *out, char **why);

/* events */

/* One JSON object (no newline). Returning -1 stops the stream. */
typedef int (*events_emit_fn)(const char *json, void *ctx);

struct events_opts {
  uint64_t interval_ns; /* between stats events; > 0 */
  bool stats_once;      /* print one stats event and return */
};

/* runc's `events`: with stats_once, one {"type":"stats"} object; otherwise
 * a stats object every interval and an {"type":"oom"} object for each OOM
 * kill, until the container stops. The container is not kept locked while
 * the stream runs. A stopped container fails with "container with id X is
 * not running". */
int container_events(const char *root, const char *id, const struct events_opts *o,
                     events_emit_fn emit, void *ctx, berth_error **err);

/* {"type":"stats","id":...,"data":{...}} with runc's field names and
 * omissions. Heap string; NULL when out of memory. */
char *events_stats_json(const char *id, const cgroup_stats *s);
/* {"type":"oom","id":...}. */
char *events_oom_json(const char *id);

/* A Go duration: "5s", "100ms", "1m30s", "1.5h", "300us", "0". */
int events_parse_duration(const char *text, int64_t *ns);

#endif
