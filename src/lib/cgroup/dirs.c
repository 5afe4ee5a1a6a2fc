/* The container's set of cgroup directories, one per hierarchy, as every
 * driver keeps them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"

cg_dir *cg_find_v1(cgroup *cg, const char *controller) {
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (!cg->dirs[i].unified && cg_list_has(cg->dirs[i].controllers, controller))
      return &cg->dirs[i];
  return NULL;
}

bool cgroup_dir_at(const cgroup *cg, size_t i, const char **mount_point, const char **path) {
  if (i >= cg->n_dirs)
    return false;
  *mount_point = cg->dirs[i].mountpoint;
  *path = cg->dirs[i].path;
  return true;
}

cg_dir *cg_find_unified(cgroup *cg) {
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg->dirs[i].unified)
      return &cg->dirs[i];
  return NULL;
}

cgroup *cg_alloc(const cg_driver *driver, enum cg_layout layout, size_t n_dirs) {
  cgroup *cg = calloc(1, sizeof(*cg));
  if (cg == NULL)
    return NULL;
  cg->driver = driver;
  cg->layout = layout;
  cg->unified_fd = -1;
  cg->dirs = calloc(n_dirs ? n_dirs : 1, sizeof(*cg->dirs));
  if (cg->dirs == NULL) {
    free(cg);
    return NULL;
  }
  return cg;
}

void cg_forget_join_fds(cgroup *cg) {
  free(cg->join_fds);
  cg->join_fds = NULL;
  cg->n_join_fds = 0;
}

void cg_close_join_fds(cgroup *cg) {
  for (size_t i = 0; i < cg->n_join_fds; i++)
    if (cg->join_fds[i] >= 0)
      close(cg->join_fds[i]);
  cg_forget_join_fds(cg);
}

static void cg_dir_release(cg_dir *d) {
  free(d->mountpoint);
  free(d->controllers);
  free(d->path);
  for (size_t i = 0; i < d->n_created; i++)
    free(d->created[i]);
  free(d->created);
}

void cg_free(cgroup *cg) {
  if (cg == NULL)
    return;
  cg_close_join_fds(cg);
  cg_mkdir_helper_release(cg);
  for (size_t i = 0; i < cg->n_dirs; i++)
    cg_dir_release(&cg->dirs[i]);
  free(cg->dirs);
  if (cg->unified_fd >= 0)
    close(cg->unified_fd);
  free(cg);
}

int cg_remember_created(cg_dir *d, const char *path) {
  char **grown = realloc(d->created, (d->n_created + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  d->created = grown;
  d->created[d->n_created] = strdup(path);
  if (d->created[d->n_created] == NULL)
    return -1;
  d->n_created++;
  return 0;
}

int cg_dirs_add_pid(cgroup *cg, pid_t pid, berth_error **err) {
  char value[32];
  snprintf(value, sizeof(value), "%d", (int)pid);
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg_write(cg->dirs[i].path, "cgroup.procs", value, err) < 0)
      return -1;
  return 0;
}
