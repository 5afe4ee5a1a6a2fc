#ifndef BERTH_CONTAINER_CGROUP_H
#define BERTH_CONTAINER_CGROUP_H

#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "error.h"
#include "spec.h"
#include "state.h"

/* The cgroup a new container (created or restored) gets: made at
 * linux.cgroupsPath, given the systemd annotations, and every resource
 * applied with runc's device defaults. Rootless, a cgroup we may not make
 * is skipped (*out stays NULL), as runc does. V1_LATER (cgroupfs only):
 * the v1 directories and the resources are left for after the clone
 * (cgroup_make_v1, container_cgroup_apply). */
int container_cgroup_setup(const spec *s, const char *id, bool systemd, bool rootless,
                           bool v1_later, cgroup **out, berth_error **err);
/* Every resource of the spec, with runc's device defaults. */
int container_cgroup_apply(cgroup *cg, const spec *s, berth_error **err);

/* ST's record of CG, for state_save: the cgroup itself (cgroup.json) and
 * the freezer path list reads instead of loading the cgroup. Returns
 * whether the cgroup record changed (a systemd scope has directories only
 * once a process joined it). */
bool container_cgroup_record(container_state *st, cgroup *cg);

/* Undo a container that failed half-way through create or restore: its
 * cgroup, state directory and pid file. Failures are only warnings, named
 * after `what` ("create", "restore"). */
void container_discard(const char *root, const char *id, int dirfd, cgroup *cg,
                       const char *pid_file, const char *what);

#endif
