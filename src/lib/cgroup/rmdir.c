/* Removing a container's cgroup directories: what the container made below
 * them goes too, deepest first, and the kernel's EBUSY from tasks still on
 * their way out is waited out for a while. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"

/* rmdir of a cgroup whose last task is still exiting fails with EBUSY for a
 * moment; retry, doubling the delay, for up to this long in all. */
#define CG_DESTROY_PATIENCE_MS 1000
#define CG_RMDIR_FIRST_DELAY_MS 10
#define CG_RMDIR_MAX_DELAY_MS 200

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* rmdir, waiting out EBUSY from tasks that are still on their way out,
 * until the destroy's shared deadline. */
static int rmdir_patiently(const char *path, long deadline) {
  long delay = CG_RMDIR_FIRST_DELAY_MS;
  for (;;) {
    if (rmdir(path) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY || now_ms() >= deadline)
      return -1;
    cg_sleep_ms(delay);
    delay = delay * 2 > CG_RMDIR_MAX_DELAY_MS ? CG_RMDIR_MAX_DELAY_MS : delay * 2;
  }
}

/* Remove a container directory and any cgroups the container made below
 * it, deepest first. */
static int remove_tree(const char *path, long deadline, berth_error **err) {
  /* Most containers make no cgroups of their own: the directory alone
   * first, and a listing only when the kernel says it holds more. */
  if (rmdir(path) == 0 || errno == ENOENT)
    return 0;
  DIR *dir = opendir(path);
  if (dir == NULL) {
    if (errno == ENOENT)
      return 0;
    return berth_fail_errno(err, "open \"%s\"", path);
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(dir)) != NULL) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char *child = cg_join(path, e->d_name);
    rc = child ? remove_tree(child, deadline, err) : berth_fail(err, ENOMEM, "remove \"%s\"", path);
    free(child);
  }
  closedir(dir);
  if (rc == 0 && rmdir_patiently(path, deadline) < 0)
    rc = berth_fail_errno_id(err, "BERTH-E-CGROUP-REMOVE", "rmdir \"%s\"", path);
  return rc;
}

/* Undo what cg_make_dirs made in one hierarchy. The container directory
 * goes with its contents; the parents it needed go only when empty, since
 * another container may have come to share them. */
static int remove_created(cg_dir *d, long deadline, berth_error **err) {
  int rc = 0;
  for (size_t i = d->n_created; i-- > 0;) {
    const char *p = d->created[i];
    if (strcmp(p, d->path) == 0) {
      if (remove_tree(p, deadline, err) < 0 && rc == 0)
        rc = -1;
      continue;
    }
    if (rmdir(p) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY && rc == 0)
      rc = berth_fail_errno_id(err, "BERTH-E-CGROUP-REMOVE", "rmdir \"%s\"", p);
  }
  return rc;
}

int cg_remove_dirs(cgroup *cg, bool whole_dirs, berth_error **err) {
  int rc = 0;
  berth_error *later = NULL;
  long deadline = now_ms() + CG_DESTROY_PATIENCE_MS;
  for (size_t i = 0; i < cg->n_dirs; i++) {
    if (whole_dirs && remove_tree(cg->dirs[i].path, deadline, rc == 0 ? err : &later) < 0)
      rc = -1;
    berth_error_clear(&later);
    /* Keep going so one busy hierarchy does not strand the others. */
    if (remove_created(&cg->dirs[i], deadline, rc == 0 ? err : &later) < 0)
      rc = -1;
    berth_error_clear(&later);
  }
  return rc;
}
