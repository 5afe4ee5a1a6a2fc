/* Pieces of the container filesystem setup shared between rootfs.c and the
 * files that implement one part of it. Not for use outside src/lib/linux. */
#ifndef BERTH_ROOTFS_INTERNAL_H
#define BERTH_ROOTFS_INTERNAL_H

#include <stddef.h>

#include "error.h"
#include "linux/mount_options.h"
#include "linux/rootfs.h"
#include "spec.h"

/* State of rootfs_prepare while it works through the spec's mounts. */
typedef struct rootfs_ctx {
  const rootfs_opts *o;
  int root_fd; /* O_PATH of the rootfs (after its bind onto itself) */
} rootfs_ctx;

/* mount(2) with the target given as a descriptor (through /proc/self/fd),
 * so the kernel mounts on exactly what was resolved. -1 with errno set. */
int mount_on_fd(const char *source, int target_fd, const char *type, unsigned long flags,
                const char *data);
/* Clones the mount (tree when recursive) at source_fd onto target_fd with
 * open_tree + move_mount; needs no /proc. -1 with errno set. */
int bind_fd_onto_fd(int source_fd, int target_fd, int recursive);

/* Mount data for a filesystem made for the container: `data` (may be
 * NULL) with linux.mountLabel's context= appended when the rootfs has a
 * label to apply (rootfs_opts.mount_label). malloc'd into *out, NULL when
 * there is nothing to pass; -1 with err for a label that cannot be
 * quoted. */
int rootfs_labelled_data(const rootfs_ctx *ctx, const char *data, char **out,
                         berth_error **err);
/* The same label for a filesystem context from fsopen (mount_label NULL:
 * nothing to set); fsconfig takes an MCS label's commas unquoted. 0, or -1
 * with errno. */
int fsconfig_mount_label(int fs, const char *mount_label);
/* For error messages: ` (with linux.mountLabel "L")`, or "" without one. */
const char *mount_label_note(const char *mount_label, char *buf, size_t len);

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
