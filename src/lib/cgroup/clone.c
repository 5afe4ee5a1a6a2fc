/* How a process cloned for the container (its init, an exec) gets into the
 * container's cgroup without the parent moving it afterwards.
 *
 * On cgroup2 the child is born there (clone3 with CLONE_INTO_CGROUP).
 *
 * On v1 hierarchies the child moves itself, first thing: the parent opens
 * the `tasks` file of every v1 directory for writing before the clone, and
 * the child writes "0" (itself) to each (cgroup_join_self). Why not the
 * parent writing the child's pid to cgroup.procs, as runc does: a write of
 * a pid, or any write to cgroup.procs, moves a whole thread group and takes
 * the kernel's threadgroup lock for writing, which waits for an RCU grace
 * period when nobody has taken it for a while: 6 to 15 ms on an idle host,
 * a container start's largest single cost there. A thread that moves
 * itself through `tasks` takes no such lock (the kernel's
 * cgroup_procs_write_start: neither a pid nor a thread group, so nothing
 * can exit or exec under the move). The child is a clone of one thread,
 * so the thread is the whole process. Permission is checked against the
 * credentials of whoever opened the file, the parent, as for any cgroup
 * file (a child already in a new user namespace still may).
 *
 * On a hybrid host both: born in the cgroup2 directory, joining the v1
 * ones itself.
 *
 * Or the v1 directories are made after the clone (cgroup_create_v1_later,
 * CGROUP_ENTRY_V1_LATER): making them is most of a container's cgroup
 * cost (a new memory cgroup alone takes 0.4 ms here), and the parent can
 * do it while the child, on the other CPU, does its mounts. The child then
 * opens the tasks files itself once they exist (cgroup_join_v1_later): its
 * own credentials are checked then, so the caller does this only for a
 * child that is still root in the host's user namespace and sees the
 * host's hierarchies.
 *
 * Anything that prevents either (a systemd scope not started
 * yet, whose directories appear with its first pid; a file that does not
 * open; a kernel that refuses CLONE_INTO_CGROUP) leaves the move to the
 * parent (cgroup_add_pid), as before. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"

int cgroup_unified_fd(cgroup *cg) {
  if (cg->layout != CG_LAYOUT_V2 || !cg->driver->placed(cg))
    return -1;
  return cg_open_unified(cg);
}

int cg_open_unified(cgroup *cg) {
  if (cg->unified_fd < 0) {
    cg_dir *d = cg_find_unified(cg);
    if (d != NULL)
      cg->unified_fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  return cg->unified_fd;
}

/* The `tasks` file of every v1 directory, open for writing in
 * cg->join_fds (-1 in the slot of a cgroup2 directory); 0, or -1 with
 * none open. */
static int open_tasks_files(cgroup *cg) {
  cg->join_fds = malloc(cg->n_dirs * sizeof(*cg->join_fds));
  if (cg->join_fds == NULL)
    return -1;
  cg->n_join_fds = cg->n_dirs;
  for (size_t i = 0; i < cg->n_dirs; i++)
    cg->join_fds[i] = -1;
  for (size_t i = 0; i < cg->n_dirs; i++) {
    if (cg->dirs[i].unified)
      continue;
    char *path = cg_join(cg->dirs[i].path, "tasks");
    cg->join_fds[i] = path != NULL ? open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    free(path);
    if (cg->join_fds[i] < 0) {
      cg_close_join_fds(cg);
      return -1;
    }
  }
  return 0;
}

/* Makes ready what puts the child in the whole of cg with no move by the
 * parent: the cgroup2 directory's fd in *into (-1: none to clone into) and
 * the v1 tasks files, unless the v1 directories are still to be made. */
static enum cgroup_entry prepare(cgroup *cg, int *into) {
  *into = -1;
  if (cg == NULL || !cg->driver->placed(cg))
    return CGROUP_ENTRY_BY_PARENT;
  if (cg->layout == CG_LAYOUT_V2)
    return (*into = cg_open_unified(cg)) >= 0 ? CGROUP_ENTRY_PLACED : CGROUP_ENTRY_BY_PARENT;
  if (!cg->v1_pending && open_tasks_files(cg) < 0)
    return CGROUP_ENTRY_BY_PARENT;
  if (cg->layout == CG_LAYOUT_HYBRID && cg_find_unified(cg) != NULL &&
      (*into = cg_open_unified(cg)) < 0) {
    cg_close_join_fds(cg);
    return CGROUP_ENTRY_BY_PARENT;
  }
  return cg->v1_pending ? CGROUP_ENTRY_V1_LATER : CGROUP_ENTRY_PLACED;
}

static pid_t clone3_into(struct clone_args *args, int into) {
  args->flags |= CLONE_INTO_CGROUP;
  args->cgroup = (uint64_t)into;
  pid_t pid = (pid_t)syscall(SYS_clone3, args, sizeof(*args));
  args->flags &= ~(uint64_t)CLONE_INTO_CGROUP;
  args->cgroup = 0;
  return pid;
}

pid_t cgroup_clone3(cgroup *cg, struct clone_args *args, enum cgroup_entry *entry) {
  int into;
  enum cgroup_entry how = prepare(cg, &into);
  pid_t pid = -1;
  if (into >= 0) {
    pid = clone3_into(args, into);
    if (pid < 0 && errno != ENOSYS) {
      /* Refused (before 5.7, or the cgroup's permissions): a plain clone,
       * and the parent moves the child, into the v1 directories too. */
      how = CGROUP_ENTRY_BY_PARENT;
      cg_close_join_fds(cg);
      pid = (pid_t)syscall(SYS_clone3, args, sizeof(*args));
    }
  } else {
    pid = (pid_t)syscall(SYS_clone3, args, sizeof(*args));
  }
  if (pid == 0) {
    *entry = how; /* the child keeps the files for cgroup_join_self */
    return 0;
  }
  int saved = errno;
  if (cg != NULL)
    cg_close_join_fds(cg);
  errno = saved;
  *entry = pid > 0 ? how : CGROUP_ENTRY_BY_PARENT;
  return pid;
}

/* Writes "0" (the caller) to one directory's open tasks file. */
static int join_one(int fd, const char *dir, berth_error **err) {
  ssize_t n;
  do
    n = write(fd, "0", 1);
  while (n < 0 && errno == EINTR);
  if (n == 1)
    return 0;
  if (n >= 0)
    errno = EIO;
  return berth_fail_errno_id(err, cg_refused_code("tasks", errno),
                             "join the cgroup: write \"%s/tasks\"", dir);
}

int cgroup_join_self(cgroup *cg, berth_error **err) {
  if (cg == NULL || cg->join_fds == NULL)
    return 0;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < cg->n_join_fds; i++)
    if (cg->join_fds[i] >= 0)
      rc = join_one(cg->join_fds[i], cg->dirs[i].path, err);
  /* Not closed one by one: both callers close every descriptor they do
   * not keep right after (and these are close-on-exec), so the start
   * path pays no close per hierarchy here. */
  cg_forget_join_fds(cg);
  return rc;
}

int cgroup_join_v1_later(cgroup *cg, berth_error **err) {
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < cg->n_dirs; i++) {
    if (cg->dirs[i].unified)
      continue;
    char *path = cg_join(cg->dirs[i].path, "tasks");
    int fd = path != NULL ? open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd < 0) {
      rc = path == NULL ? berth_fail(err, ENOMEM, "join the cgroup \"%s\"", cg->dirs[i].path)
                        : berth_fail_errno_id(err, cg_refused_code("tasks", errno),
                                              "join the cgroup: open \"%s\"", path);
    } else {
      rc = join_one(fd, cg->dirs[i].path, err);
      close(fd);
    }
    free(path);
  }
  return rc;
}
