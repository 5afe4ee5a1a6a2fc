/* The container's set of cgroup directories: making them, joining them,
 * removing them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "systemd.h"

/* rmdir of a cgroup whose last task is still exiting fails with EBUSY for a
 * moment; retry, doubling the delay, for up to this long in all. */
#define CG_DESTROY_PATIENCE_MS 1000
#define CG_RMDIR_FIRST_DELAY_MS 10
#define CG_RMDIR_MAX_DELAY_MS 200

cg_dir *cg_find_v1(cgroup *cg, const char *controller) {
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (!cg->dirs[i].unified && cg_list_has(cg->dirs[i].controllers, controller))
      return &cg->dirs[i];
  return NULL;
}

cg_dir *cg_find_unified(cgroup *cg) {
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg->dirs[i].unified)
      return &cg->dirs[i];
  return NULL;
}

cgroup *cg_alloc(enum cg_layout layout, size_t n_dirs) {
  cgroup *cg = calloc(1, sizeof(*cg));
  if (cg == NULL)
    return NULL;
  cg->layout = layout;
  cg->unified_fd = -1;
  cg->dirs = calloc(n_dirs ? n_dirs : 1, sizeof(*cg->dirs));
  if (cg->dirs == NULL) {
    free(cg);
    return NULL;
  }
  return cg;
}

static void cg_dir_release(cg_dir *d) {
  free(d->mountpoint);
  free(d->controllers);
  free(d->path);
  for (size_t i = 0; i < d->n_created; i++)
    free(d->created[i]);
  free(d->created);
}

void cgroup_free(cgroup *cg) {
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n_dirs; i++)
    cg_dir_release(&cg->dirs[i]);
  free(cg->dirs);
  if (cg->unified_fd >= 0)
    close(cg->unified_fd);
  cg_systemd_free(cg->systemd);
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

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

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
    sleep_ms(delay);
    delay = delay * 2 > CG_RMDIR_MAX_DELAY_MS ? CG_RMDIR_MAX_DELAY_MS : delay * 2;
  }
}

/* Remove a container directory and any cgroups the container made below
 * it, deepest first. */
static int remove_tree(const char *path, long deadline, berth_error **err) {
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
    rc = berth_fail_errno(err, "rmdir \"%s\"", path);
  return rc;
}

/* Undo what cgroup_create made in one hierarchy. The container directory
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
      rc = berth_fail_errno(err, "rmdir \"%s\"", p);
  }
  return rc;
}

int cgroup_destroy(cgroup *cg, berth_error **err) {
  int rc = 0;
  berth_error *later = NULL;
  /* systemd removes the unit's own directories; what is left (cgroups the
   * container made below them, v1 ones we made) goes as with cgroupfs. */
  if (cg->systemd != NULL && cg_systemd_stop(cg, err) < 0)
    return -1;
  long deadline = now_ms() + CG_DESTROY_PATIENCE_MS;
  for (size_t i = 0; i < cg->n_dirs; i++) {
    if (cg->systemd != NULL &&
        remove_tree(cg->dirs[i].path, deadline, rc == 0 ? err : &later) < 0)
      rc = -1;
    berth_error_clear(&later);
    /* Keep going so one busy hierarchy does not strand the others. */
    if (remove_created(&cg->dirs[i], deadline, rc == 0 ? err : &later) < 0)
      rc = -1;
    berth_error_clear(&later);
  }
  return rc;
}

int cgroup_add_pid(cgroup *cg, pid_t pid, berth_error **err) {
  if (cg->systemd != NULL && !cg->systemd->started)
    return cg_systemd_start(cg, pid, err); /* a scope starts with its first pid */
  char value[32];
  snprintf(value, sizeof(value), "%d", (int)pid);
  for (size_t i = 0; i < cg->n_dirs; i++) {
    if (cg_write(cg->dirs[i].path, "cgroup.procs", value, err) < 0)
      return berth_wrap(err, "add pid %d to the cgroup", (int)pid);
  }
  return 0;
}

int cgroup_unified_fd(cgroup *cg) {
  /* A systemd scope starts with its first pid, which systemd moves. */
  if (cg->layout != CG_LAYOUT_V2 || (cg->systemd != NULL && !cg->systemd->started))
    return -1;
  if (cg->unified_fd < 0) {
    cg_dir *d = cg_find_unified(cg);
    if (d != NULL)
      cg->unified_fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  return cg->unified_fd;
}

pid_t cgroup_clone3(cgroup *cg, struct clone_args *args, bool *placed) {
  *placed = false;
  int fd = cg != NULL ? cgroup_unified_fd(cg) : -1;
  if (fd >= 0) {
    args->flags |= CLONE_INTO_CGROUP;
    args->cgroup = (uint64_t)fd;
    pid_t pid = (pid_t)syscall(SYS_clone3, args, sizeof(*args));
    args->flags &= ~(uint64_t)CLONE_INTO_CGROUP;
    args->cgroup = 0;
    if (pid >= 0 || errno == ENOSYS) {
      *placed = pid >= 0;
      return pid;
    }
  }
  return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}
