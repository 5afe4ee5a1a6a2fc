/* One interface over the host's cgroup layout: v1, v2, or hybrid (v1
 * hierarchies plus a cgroup2 mount holding some controllers), with the
 * directories made by berth (cgroupfs) or by systemd (--systemd-cgroup).
 * A `cgroup` is the set of directories one container owns. */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

typedef struct cgroup cgroup;

/* Work out where the container's cgroup lives from linux.cgroupsPath (NULL:
 * runc's default for the id) and make the directories, in every v1
 * hierarchy and on the cgroup2 mount. Nothing is left behind on error. */
int cgroup_create(const char *cgroups_path, const char *id, bool systemd, cgroup **out,
                  berth_error **err);
/* As cgroup_create (cgroupfs), making only the cgroup2 directory: the v1
 * ones wait for cgroup_make_v1, so that a parent can make them while its
 * child, already cloned into the cgroup2 one, sets itself up
 * (CGROUP_ENTRY_V1_LATER). */
int cgroup_create_v1_later(const char *cgroups_path, const char *id, cgroup **out,
                           berth_error **err);
/* Makes the v1 directories cgroup_create_v1_later left (nothing if none). */
int cgroup_make_v1(cgroup *cg, berth_error **err);
/* Whether cgroup_create_v1_later left any (none on a cgroup2 host). */
bool cgroup_v1_pending(const cgroup *cg);
/* Whether a helper on another CPU is making them meanwhile (x86_64). */
bool cgroup_v1_in_background(const cgroup *cg);
/* For a delete whose record of the cgroup is lost (a damaged state, or a
 * create killed before it wrote one): the cgroupfs directories a container
 * with this cgroupsPath and id has, each one that exists counted as its
 * own so that cgroup_destroy removes it (never a parent). Makes nothing. */
int cgroup_reclaim(const char *cgroups_path, const char *id, cgroup **out, berth_error **err);
/* Apply linux.resources. Fields this host cannot honour fail with a message
 * that names the field. */
int cgroup_apply(cgroup *cg, const spec_resources *res, berth_error **err);
/* Move pid into every directory of the cgroup. */
int cgroup_add_pid(cgroup *cg, pid_t pid, berth_error **err);
/* exec --cgroup: move pid into existing sub-cgroups of the container's,
 * each "[controller[,controller]:]path"; directories no entry names keep
 * the container's own cgroup. */
int cgroup_add_pid_sub(cgroup *cg, const char *const *subs, size_t n, pid_t pid,
                       berth_error **err);
/* An O_DIRECTORY fd of the cgroup2 directory for clone3(CLONE_INTO_CGROUP),
 * or -1 when that cannot place a process in the whole cgroup: a host with
 * v1 hierarchies, or a systemd scope not started yet. Owned by cg. */
int cgroup_unified_fd(cgroup *cg);
struct clone_args;
/* How a child of cgroup_clone3 gets into the whole of its cgroup. */
enum cgroup_entry {
  CGROUP_ENTRY_BY_PARENT, /* the parent moves it, with cgroup_add_pid */
  CGROUP_ENTRY_PLACED,    /* born in the cgroup2 directory, joining v1 ones
                           * with cgroup_join_self, its first call */
  CGROUP_ENTRY_V1_LATER,  /* born in the cgroup2 directory (if any); joins
                           * the v1 ones with cgroup_join_v1_later once the
                           * parent has made them (cgroup_make_v1) */
};
/* clone3 with `args`, for a child that is to be in cg (may be NULL: not)
 * with no move by the parent where the host allows (clone.c). *entry says
 * how the child gets in (in the child too). A kernel or caller that
 * refuses CLONE_INTO_CGROUP (before 5.7, or the cgroup's permissions) gets
 * a plain clone3, and the parent moves the child. Returns as clone3 does:
 * 0 in the child, -1 with errno (ENOSYS: no clone3 at all, for the
 * caller's own fallback, whose child joins nothing itself). */
pid_t cgroup_clone3(cgroup *cg, struct clone_args *args, enum cgroup_entry *entry);
/* The container's directory in its i-th hierarchy: false past the last. */
bool cgroup_dir_at(const cgroup *cg, size_t i, const char **mount_point, const char **path);
/* In a child of cgroup_clone3, before anything else: join the v1
 * directories as the clone prepared (nothing to do otherwise). An error
 * names the directory. The files stay open (close-on-exec) for the
 * caller's close of every descriptor it does not keep. */
int cgroup_join_self(cgroup *cg, berth_error **err);
/* CGROUP_ENTRY_V1_LATER: join the v1 directories, by path (the caller sees
 * the host's hierarchies where the parent does). An error names the
 * directory. */
int cgroup_join_v1_later(cgroup *cg, berth_error **err);
/* Every pid in the cgroup (from cgroup.procs). */
int cgroup_pids(cgroup *cg, pid_t **pids, size_t *n, berth_error **err);
/* Signal every process in the cgroup (freezing around it so none escape by
 * forking, where a freezer exists). */
int cgroup_signal_all(cgroup *cg, int sig, berth_error **err);
int cgroup_freeze(cgroup *cg, bool frozen, berth_error **err);
/* 1 frozen, 0 not, -1 on error. */
int cgroup_is_frozen(cgroup *cg, berth_error **err);
/* The directory whose freezer cgroup_is_frozen reads (*v2: a cgroup2 one),
 * or NULL without a freezer: kept beside the state, so that a list of many
 * containers reads each freezer (cgroup_dir_is_frozen) without loading the
 * whole cgroup. */
const char *cgroup_freezer_path(cgroup *cg, bool *v2);
int cgroup_dir_is_frozen(const char *dir, bool v2, berth_error **err);
/* cgroup_dir_is_frozen for one directory after another, as list reads
 * them: the containers of a state root share a parent cgroup as a rule, so
 * the cache keeps that parent open and each read walks two names from it.
 * Start with {NULL, -1}; cgroup_dir_cache_close when done. */
struct cgroup_dir_cache {
  char *parent;
  int fd;
};
int cgroup_dir_is_frozen_cached(struct cgroup_dir_cache *c, const char *dir, bool v2);
void cgroup_dir_cache_close(struct cgroup_dir_cache *c);
/* Remove the directories (retrying while the kernel says EBUSY). */
int cgroup_destroy(cgroup *cg, berth_error **err);

/* Persisted in state.json so later commands find the same directories. */
json_t *cgroup_to_json(const cgroup *cg);
int cgroup_from_json(json_t *j, cgroup **out, berth_error **err);
void cgroup_free(cgroup *cg);

#endif
