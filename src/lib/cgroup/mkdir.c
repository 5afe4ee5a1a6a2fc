/* mkdir -p of a container's directory in one hierarchy, remembering which
 * directories were made so that a destroy (or a failure half-way) removes
 * exactly those; a new directory gets what it needs to take tasks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_internal.h"

static bool blank(const char *s) {
  return s[strspn(s, " \t\n")] == '\0';
}

/* A new v1 cpuset cgroup starts with no cpus and no mems, and the kernel
 * refuses tasks until both are set: inherit the parent's. A new directory
 * is not read first: it is blank, or, under a parent with
 * cgroup.clone_children set, holds the parent's values already, and
 * writing them again changes nothing. One that existed before (EXISTED) is
 * read, and only what is blank in it is filled, as runc does: the values
 * someone set there stay. A parent that is blank itself (made by someone
 * else, without clone_children) is filled first from its own, up to the
 * hierarchy's root at BASE characters, as runc fills every parent. */
static int inherit_cpuset(const char *dir, const char *parent, size_t base, bool existed,
                          berth_error **err) {
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  for (size_t i = 0; i < 2; i++) {
    if (existed) {
      char *mine = NULL;
      if (cg_read(dir, files[i], &mine, err) < 0)
        return -1;
      bool set = !blank(mine);
      free(mine);
      if (set)
        continue;
    }
    char *theirs = NULL;
    int rc = cg_read(parent, files[i], &theirs, err);
    if (rc == 0 && blank(theirs) && strlen(parent) > base) {
      char *grandparent = strndup(parent, (size_t)(strrchr(parent, '/') - parent));
      rc = grandparent == NULL ? berth_fail(err, ENOMEM, "cpuset \"%s\"", parent)
                               : inherit_cpuset(parent, grandparent, base, true, err);
      free(grandparent);
      free(theirs);
      theirs = NULL;
      if (rc == 0)
        rc = cg_read(parent, files[i], &theirs, err);
    }
    if (rc == 0 && !blank(theirs))
      rc = cg_write(dir, files[i], theirs, err);
    free(theirs);
    if (rc < 0)
      return -1;
  }
  return 0;
}

/* On cgroup2 a child only gets the controllers its parent delegates in
 * cgroup.subtree_control. Delegate everything available, as runc does;
 * this is best effort, because a parent with processes of its own cannot
 * delegate (and then the field that needs the controller reports it). */
static void delegate_controllers(const char *parent) {
  char *available = NULL, *enabled = NULL;
  if (cg_read(parent, "cgroup.controllers", &available, NULL) < 0 ||
      cg_read(parent, "cgroup.subtree_control", &enabled, NULL) < 0) {
    free(available);
    free(enabled);
    return;
  }
  enabled[strcspn(enabled, "\n")] = '\0';
  for (char *c = enabled; *c; c++)
    if (*c == ' ')
      *c = ',';
  char *save = NULL;
  for (char *ctl = strtok_r(available, " \n", &save); ctl; ctl = strtok_r(NULL, " \n", &save)) {
    if (cg_list_has(enabled, ctl))
      continue;
    char *value = NULL;
    if (asprintf(&value, "+%s", ctl) >= 0)
      cg_write(parent, "cgroup.subtree_control", value, NULL);
    free(value);
  }
  free(available);
  free(enabled);
}

/* The container's own directory alone, for the usual case where every
 * parent exists already (the caller's cgroup, a pod's): 1 when made,
 * 0 when the walk from the mount point must do it. Not on cgroup2, where
 * the walk delegates the controllers to each parent before its child. */
/* What a new directory of the container's own needs: a cpuset its
 * parent's cpus and mems. 1 when done. */
static int fill_new_leaf(cg_dir *d, bool cpuset, berth_error **err) {
  if (!cpuset)
    return 1;
  char *parent = strndup(d->path, (size_t)(strrchr(d->path, '/') - d->path));
  if (parent == NULL)
    return berth_fail(err, ENOMEM, "mkdir \"%s\"", d->path);
  int rc = inherit_cpuset(d->path, parent, strlen(d->mountpoint), false, err);
  free(parent);
  return rc < 0 ? -1 : 1;
}

static bool is_v1_cpuset(const cg_dir *d) {
  return !d->unified && cg_list_has(d->controllers, "cpuset");
}

static int make_leaf(cg_dir *d, bool cpuset, berth_error **err) {
  if (d->unified || mkdir(d->path, 0755) < 0)
    return 0;
  if (cg_remember_created(d, d->path) < 0)
    return berth_fail(err, ENOMEM, "mkdir \"%s\"", d->path);
  return fill_new_leaf(d, cpuset, err);
}

int cg_fill_made_leaf(cg_dir *d, berth_error **err) {
  return fill_new_leaf(d, is_v1_cpuset(d), err) < 0 ? -1 : 0;
}

int cg_make_dirs(cg_dir *d, berth_error **err) {
  size_t base = strlen(d->mountpoint);
  bool cpuset = is_v1_cpuset(d);
  int made = make_leaf(d, cpuset, err);
  if (made != 0)
    return made < 0 ? -1 : 0;
  char *path = strdup(d->path);
  if (path == NULL)
    return berth_fail(err, ENOMEM, "mkdir \"%s\"", d->path);
  int rc = 0;
  for (char *slash = strchr(path + base + 1, '/');; slash = strchr(slash + 1, '/')) {
    if (slash != NULL)
      *slash = '\0';
    char *parent = strndup(path, (size_t)(strrchr(path, '/') - path));
    if (parent == NULL) {
      rc = berth_fail(err, ENOMEM, "mkdir \"%s\"", path);
    } else {
      if (d->unified)
        delegate_controllers(parent);
      if (mkdir(path, 0755) == 0) {
        if (cg_remember_created(d, path) < 0)
          rc = berth_fail(err, ENOMEM, "mkdir \"%s\"", path);
        else if (cpuset)
          rc = inherit_cpuset(path, parent, base, false, err);
      } else if (errno != EEXIST) {
        rc = berth_fail_errno_id(err, cg_refused_code(NULL, errno), "mkdir \"%s\"", path);
      } else if (!cg_is_dir(path)) {
        rc = berth_fail(err, ENOTDIR, "mkdir \"%s\"", path);
      } else if (cpuset) {
        rc = inherit_cpuset(path, parent, base, true, err);
      }
    }
    free(parent);
    if (rc < 0 || slash == NULL)
      break;
    *slash = '/';
  }
  free(path);
  return rc;
}
