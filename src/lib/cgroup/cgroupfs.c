/* The cgroupfs driver: berth makes the container's directories itself, in
 * every hierarchy the host mounts (v1, v2 or hybrid alike), joins
 * processes by writing cgroup.procs, and removes what it made. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"

/* linux.cgroupsPath (or the default, the container id) cleaned the way
 * runc cleans it. */
static int inner_path(const char *cgroups_path, const char *id, char **out, berth_error **err) {
  const char *given = cgroups_path != NULL && *cgroups_path != '\0' ? cgroups_path : id;
  if (given == NULL || *given == '\0')
    return berth_fail(err, EINVAL, "cgroup path: neither linux.cgroupsPath nor a container id");
  char *inner = cg_clean_path(given);
  if (inner == NULL)
    return berth_fail(err, ENOMEM, "cgroup path \"%s\"", given);
  if (strcmp(inner, "/") == 0 || strcmp(inner, ".") == 0) {
    free(inner);
    return berth_fail_id(err, "BERTH-E-CGROUP-PATH", EINVAL,
                         "linux.cgroupsPath \"%s\": names the root or the runtime's own cgroup, "
                      "not a cgroup of the container's own", given);
  }
  *out = inner;
  return 0;
}

static int fill_dir(cg_dir *d, const cg_host *host, const cg_mount *m, const char *inner,
                    berth_error **err) {
  d->mountpoint = strdup(m->mountpoint);
  d->controllers = strdup(m->controllers);
  d->unified = m->unified;
  if (d->mountpoint == NULL || d->controllers == NULL)
    return berth_fail(err, ENOMEM, "cgroup \"%s\"", inner);
  if (cg_dir_for_mount(host, m, inner, &d->path, err) < 0)
    return -1;
  if (strcmp(d->path, d->mountpoint) == 0)
    return berth_fail_id(err, "BERTH-E-CGROUP-PATH", EINVAL,
                         "cgroup \"%s\": resolves to the top of \"%s\"", inner,
                         d->mountpoint);
  return 0;
}

static int fs_destroy(cgroup *cg, berth_error **err) {
  return cg_remove_dirs(cg, false, err);
}

/* Only the container's own directory, where it exists: its parents may
 * hold other cgroups. */
static int claim_existing(cg_dir *d, berth_error **err) {
  if (cg_is_dir(d->path) && cg_remember_created(d, d->path) < 0)
    return berth_fail(err, ENOMEM, "cgroup \"%s\"", d->path);
  return 0;
}

/* The container's directory in every hierarchy of the host, each handed
 * to EACH (make it, or claim it); a failure is told as WHAT, and what EACH
 * made is removed when UNDO says so. */
static int fs_dirs(const char *cgroups_path, const char *id, int (*each)(cg_dir *, berth_error **),
                   const char *what, bool undo, cgroup **out, berth_error **err) {
  char *inner = NULL;
  if (inner_path(cgroups_path, id, &inner, err) < 0)
    return -1;
  cg_host host;
  if (cg_host_detect(&host, err) < 0) {
    free(inner);
    return -1;
  }
  cgroup *cg = cg_alloc(&cg_driver_cgroupfs, host.layout, host.n_mounts);
  int rc = cg == NULL ? berth_fail(err, ENOMEM, "cgroup \"%s\"", inner) : 0;
  for (size_t i = 0; rc == 0 && i < host.n_mounts; i++) {
    cg->n_dirs = i + 1;
    rc = fill_dir(&cg->dirs[i], &host, &host.mounts[i], inner, err);
    if (rc == 0)
      rc = each(&cg->dirs[i], err);
  }
  if (rc < 0 && cg != NULL) {
    berth_error *ignored = NULL;
    if (undo)
      fs_destroy(cg, &ignored);
    berth_error_free(ignored);
    cg_free(cg);
    berth_wrap(err, "%s \"%s\"", what, inner);
    cg = NULL;
  }
  free(inner);
  cg_host_release(&host);
  if (rc < 0)
    return -1;
  *out = cg;
  return 0;
}

static int fs_create(const char *cgroups_path, const char *id, cgroup **out,
                     berth_error **err) {
  return fs_dirs(cgroups_path, id, cg_make_dirs, "create cgroup", true, out, err);
}

/* Only what a clone into the cgroup needs before it: the cgroup2
 * directory. The v1 ones are left to cgroup_make_v1. */
static int make_unified(cg_dir *d, berth_error **err) {
  return d->unified ? cg_make_dirs(d, err) : 0;
}

int cgroup_create_v1_later(const char *cgroups_path, const char *id, cgroup **out,
                           berth_error **err) {
  *out = NULL;
  if (fs_dirs(cgroups_path, id, make_unified, "create cgroup", true, out, err) < 0)
    return -1;
  (*out)->v1_pending = (*out)->layout != CG_LAYOUT_V2;
  return 0;
}

int cgroup_make_v1(cgroup *cg, berth_error **err) {
  if (!cg->v1_pending)
    return 0;
  cg->v1_pending = false;
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (!cg->dirs[i].unified && cg_make_dirs(&cg->dirs[i], err) < 0)
      return berth_wrap(err, "create cgroup \"%s\"",
                        cg->dirs[i].path + strlen(cg->dirs[i].mountpoint));
  return 0;
}

int cgroup_reclaim(const char *cgroups_path, const char *id, cgroup **out, berth_error **err) {
  *out = NULL;
  return fs_dirs(cgroups_path, id, claim_existing, "find cgroup", false, out, err);
}

static int fs_add_pid(cgroup *cg, pid_t pid, berth_error **err) {
  if (cg_dirs_add_pid(cg, pid, err) < 0)
    return berth_wrap(err, "add pid %d to the cgroup", (int)pid);
  return 0;
}

static bool fs_placed(const cgroup *cg) {
  return true;
}

const cg_driver cg_driver_cgroupfs = {
    .name = "cgroupfs",
    .create = fs_create,
    .apply = cg_apply_files,
    .add_pid = fs_add_pid,
    .placed = fs_placed,
    .destroy = fs_destroy,
};
