/* The container's filesystem: runs in the container's init, inside its new
 * mount namespace. Order (as runc): rootfs_prepare -> createContainer hooks
 * -> rootfs_pivot -> console -> rootfs_finalize. */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct idmap_trees;

typedef struct rootfs_opts {
  const spec *spec;
  const char *rootfs; /* absolute host path of root.path */
  bool no_pivot;      /* --no-pivot: MS_MOVE + chroot */
  bool has_terminal;  /* /dev/console will be bound later */
  const char *bundle; /* relative bind sources are relative to it; NULL: cwd */
  const struct idmap_trees *idmap; /* claimed idmapped trees (linux/idmap.h), or NULL */
  /* linux.mountLabel, set only when SELinux is enabled: the context= of
   * every filesystem the container gets (see rootfs_mount.c), or NULL. */
  const char *mount_label;
  /* Called before a "cgroup" mount, which binds the cgroups this process
   * is in, and before the device nodes, which the devices cgroup checks:
   * waits until it is in the container's (JOINED in sync.h). NULL: it
   * is already. */
  int (*await_cgroup)(void *arg, berth_error **err);
  void *await_arg;
  /* The container's cgroup when this process is in all of it already (the
   * clone placed it): the "cgroup" mount binds its directories without
   * reading /proc/self/mountinfo and /proc/self/cgroup again. NULL: it
   * reads them. */
  const struct cgroup *cgroup;
} rootfs_opts;

/* Propagation of /, bind the rootfs onto itself, every spec mount in order,
 * /dev (default devices + linux.devices, /dev/ptmx, fd/std* links). */
int rootfs_prepare(const rootfs_opts *o, berth_error **err);
/* pivot_root (or MS_MOVE + chroot) into the rootfs; cwd becomes "/". */
int rootfs_pivot(const rootfs_opts *o, berth_error **err);
/* Bind the pty slave (a path inside the new root, e.g. /dev/pts/0) or the
 * given fd onto /dev/console. */
int rootfs_bind_console(int slave_fd, berth_error **err);
/* After pivot: maskedPaths, readonlyPaths, root.readonly, and the final
 * rootfsPropagation. */
int rootfs_finalize(const rootfs_opts *o, berth_error **err);

#endif
