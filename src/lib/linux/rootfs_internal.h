/* Pieces of the container filesystem setup shared between rootfs.c and the
 * files that implement one part of it. Not for use outside src/lib/linux. */
#ifndef BERTH_ROOTFS_INTERNAL_H
#define BERTH_ROOTFS_INTERNAL_H

#include <limits.h>
#include <stddef.h>

#include "error.h"
#include "linux/mount_fd.h"
#include "linux/mount_options.h"
#include "linux/rootfs.h"
#include "spec.h"

/* State of rootfs_prepare while it works through the spec's mounts. */
typedef struct rootfs_ctx {
  const rootfs_opts *o;
  int root_fd; /* O_PATH of the rootfs (after its bind onto itself) */
  /* Where root_fd is on the host, read once for every mount's check of
   * where its destination resolves; "" until then. */
  char root_path[PATH_MAX];
  /* What the destination check of the mount under way found with no
   * symlink on the way (RESOLVE_NO_SYMLINKS): an O_PATH fd of the whole
   * destination (found_whole), or of its parent when only the last
   * component is missing; -1 when neither. The mount takes it instead of
   * looking the path up again (rootfs_target_dir). */
  int found_fd;
  bool found_whole;
} rootfs_ctx;

/* What binds the cgroups this process is in, or is checked against them
 * (the cgroup mount, device nodes), first waits to be in the container's:
 * see rootfs_opts.await_cgroup. */
static inline int rootfs_await_cgroup(const rootfs_opts *o, berth_error **err) {
  return o->await_cgroup != NULL ? o->await_cgroup(o->await_arg, err) : 0;
}

/* The mount target that the destination check found for `path` (a clean
 * mounts[].destination): the destination itself, or made in its parent
 * when only the last component was missing, with no symlink followed.
 * ROOTFS_FOUND_NONE when the long way must decide (pathsafe's lookups,
 * which also give the errors): nothing was found, it is not a directory
 * where one is needed, or it cannot be made. -1 with *err when a symlink or
 * a file appeared there since the check: refused, never followed. Either
 * way ctx->found_fd is used up. */
#define ROOTFS_FOUND_NONE (-2)
int rootfs_take_found(rootfs_ctx *ctx, const char *path, bool want_dir, berth_error **err);
/* What a mount did not take (tmpcopyup, a remount, an error) is closed. */
void rootfs_forget_found(rootfs_ctx *ctx);
/* The directory to mount on at `path`: rootfs_take_found, else (NONE)
 * looked up and made by pathsafe_mkdir_all. */
int rootfs_target_dir(rootfs_ctx *ctx, const char *path, berth_error **err);
/* The same for a directory or, for a bind of a file, a file:
 * rootfs_take_found, else pathsafe_mount_target. */
int rootfs_target_for(rootfs_ctx *ctx, const char *path, bool want_dir, berth_error **err);

/* mounts[index] of the spec, with options already parsed. */
int rootfs_mount_one(rootfs_ctx *ctx, size_t index, berth_error **err);
/* A "cgroup" type mount: cgroup2 on a unified host, a tmpfs with one entry
 * per hierarchy on a v1 or hybrid host. */
int rootfs_mount_cgroup(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                        berth_error **err);
/* A tmpfs with the "tmpcopyup" option: the directory's contents are
 * copied into the new tmpfs before it covers the directory. */
int rootfs_mount_tmpcopyup(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                           berth_error **err);

/* After pivot_root: the spec's maskedPaths and readonlyPaths. The tmpfs
 * over masked directories gets `mount_label` (rootfs_opts.mount_label,
 * may be NULL) as its context. */
int masked_paths_apply(const spec_strv *paths, const char *mount_label, berth_error **err);
int readonly_paths_apply(const spec_strv *paths, berth_error **err);

/* One line of /proc/self/mountinfo, strings unescaped. */
typedef struct mountinfo_entry {
  char *root;        /* the mount's root inside its filesystem */
  char *mount_point;
  char *optional;    /* "shared:1 master:2" or "" */
  char *fstype;
  char *source;
  char *super_opts;  /* e.g. "rw,cpu,cpuacct" */
} mountinfo_entry;

typedef struct mountinfo {
  mountinfo_entry *v;
  size_t n;
} mountinfo;

int mountinfo_read(mountinfo *out, berth_error **err);
void mountinfo_free(mountinfo *mi);
/* The entry whose mount point is the longest path prefix of `path` (the
 * mount that holds it); the last such one, as it is on top. */
const mountinfo_entry *mountinfo_holding(const mountinfo *mi, const char *path);

#endif
