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

/* Waits for the mkdir helper, if one runs, and records each directory it
 * made as the container's, all of them before anything else can fail. */
static int take_helper_dirs(cgroup *cg, berth_error **err) {
  if (cg->mkdir_helper == NULL)
    return 0;
  cg_mkdir_helper_wait(cg);
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg_mkdir_helper_made(cg, i) && cg_remember_created(&cg->dirs[i], cg->dirs[i].path) < 0)
      return berth_fail(err, ENOMEM, "cgroup \"%s\"", cg->dirs[i].path);
  return 0;
}

static int fs_destroy(cgroup *cg, berth_error **err) {
  /* Given up before cgroup_make_v1: what the helper made goes too. */
  if (take_helper_dirs(cg, err) < 0)
    return -1;
  cg_mkdir_helper_release(cg);
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

static int plan_only(cg_dir *d, berth_error **err) {
  return 0;
}

/* Only what a clone into the cgroup needs before it, the cgroup2
 * directory, is made here; the v1 ones are started in the background
 * first (mkdir_helper.c) and left to cgroup_make_v1. */
int cgroup_create_v1_later(const char *cgroups_path, const char *id, cgroup **out,
                           berth_error **err) {
  *out = NULL;
  cgroup *cg = NULL;
  if (fs_dirs(cgroups_path, id, plan_only, "create cgroup", false, &cg, err) < 0)
    return -1;
  cg->v1_pending = cg->layout != CG_LAYOUT_V2;
  if (cg->v1_pending)
    cg_mkdir_helper_start(cg);
  for (size_t i = 0; i < cg->n_dirs; i++) {
    cg_dir *d = &cg->dirs[i];
    if (d->unified && cg_make_dirs(d, err) < 0) {
      berth_error *ignored = NULL;
      fs_destroy(cg, &ignored);
      berth_error_free(ignored);
      cg_free(cg);
      return berth_wrap(err, "create cgroup \"%s\"", d->path + strlen(d->mountpoint));
    }
  }
  *out = cg;
  return 0;
}

/* A directory the helper made is taken as made here; any other (one that
 * was there, one whose parents were not, one the helper did not get to)
 * is made the usual way, which finds out which. */
int cgroup_make_v1(cgroup *cg, berth_error **err) {
  if (!cg->v1_pending)
    return 0;
  cg->v1_pending = false;
  int rc = take_helper_dirs(cg, err);
  for (size_t i = 0; rc == 0 && i < cg->n_dirs; i++) {
    cg_dir *d = &cg->dirs[i];
    if (!d->unified &&
        (cg_mkdir_helper_made(cg, i) ? cg_fill_made_leaf(d, err) : cg_make_dirs(d, err)) < 0)
      rc = berth_wrap(err, "create cgroup \"%s\"", d->path + strlen(d->mountpoint));
  }
  cg_mkdir_helper_release(cg);
  return rc;
}

bool cgroup_v1_pending(const cgroup *cg) {
  return cg->v1_pending;
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
