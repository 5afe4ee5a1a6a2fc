/* linux.intelRdt: cache and memory-bandwidth allocation (and monitoring)
 * through the resctrl filesystem, runtime side.
 *
 * Group: closID when given, else the container id. With schemas, the group
 * is created when missing, and an existing one must already hold the same
 * schemas (it may be shared; berth never rewrites it). Without schemas a
 * closID must name an existing, pre-configured group. Schemata are written
 * l3CacheSchema (its non-"MB:" lines when memBwSchema is also given), then
 * memBwSchema, then schemata[] last. enableMonitoring adds a monitoring
 * group mon_groups/<container-id> inside it, and the process goes there.
 *
 * Only the "not mounted" path can be exercised without RDT hardware; the
 * rest follows the spec and the kernel's resctrl documentation. */
#ifndef BERTH_INTELRDT_H
#define BERTH_INTELRDT_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* What delete needs to undo (paths are absolute, malloc'd). */
typedef struct intelrdt_state {
  char *group;        /* the CLOS directory the container is in */
  char *mon_group;    /* its monitoring group, or NULL */
  bool created_group; /* berth made `group` and removes it on delete */
} intelrdt_state;

/* Validate time (runtime side): a clear error when resctrl is not mounted
 * or a closID names no group when it has to exist. NULL `r` is fine. */
int intelrdt_check(const spec_intel_rdt *r, berth_error **err);

/* After clone (runtime side, before the container runs user code): set up
 * the group and put `pid` in it. On failure nothing is left behind. */
int intelrdt_apply(const spec_intel_rdt *r, const char *container_id, pid_t pid,
                   intelrdt_state *out, berth_error **err);
/* exec: put another process of the container in the same group. */
int intelrdt_add_task(const intelrdt_state *st, pid_t pid, berth_error **err);
/* delete: remove the monitoring group and a group berth created. Groups
 * must be empty of tasks (the container is gone). */
int intelrdt_destroy(const intelrdt_state *st, berth_error **err);
void intelrdt_state_free(intelrdt_state *st);

#endif
