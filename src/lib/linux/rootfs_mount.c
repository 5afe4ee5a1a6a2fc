/* One entry of the spec's "mounts", mounted inside the rootfs on a target
 * resolved with pathsafe. */
#include <errno.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "linux/idmap.h"
#include "linux/lsm.h"
#include "linux/pathsafe.h"
#include "linux/rootfs_internal.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* The lexical form of an absolute container path: "/proc/" and "/./proc"
 * both become "/proc". Only used to compare against well-known places. */
static void clean_path(const char *in, char *out, size_t len) {
  size_t o = 0;
  out[o++] = '/';
  for (const char *p = in; *p != '\0' && o < len - 1;) {
    while (*p == '/')
      p++;
    const char *end = p;
    while (*end != '\0' && *end != '/')
      end++;
    size_t n = (size_t)(end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (o > 1 && out[o - 1] != '/')
        o--;
      if (o > 1)
        o--;
    } else if (n > 0 && !(n == 1 && p[0] == '.') && o + n + 1 < len) {
      if (o > 1)
        out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p = end;
  }
  out[o] = '\0';
}

static bool type_is(const spec_mount *m, const char *type) {
  return m->type != NULL && strcmp(m->type, type) == 0;
}

/* Container paths inside /proc that may be mounted over (what lxcfs
 * provides); anything else could hide or redirect procfs files. */
static const char *const proc_overlays[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
    "/proc/pressure/cpu", "/proc/pressure/io", "/proc/pressure/memory",
    "/proc/sys/kernel/ns_last_pid", NULL,
};

static int check_proc_destination(const char *dest, const spec_mount *m, bool bind,
                                  const char *source, berth_error **err) {
  if (strcmp(dest, "/proc") == 0) {
    if (!bind && type_is(m, "proc"))
      return 0;
    struct statfs sfs;
    struct stat st;
    if (bind && statfs(source, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC &&
        stat(source, &st) == 0 && st.st_ino == 1)
      return 0;
    return berth_fail_id(err, "BERTH-E-MOUNT-PROC", 0,
                         "\"%s\" cannot be mounted on \"/proc\": not a procfs root",
                         m->source ? m->source : "");
  }
  if (strncmp(dest, "/proc/", 6) != 0)
    return 0;
  for (size_t i = 0; proc_overlays[i] != NULL; i++)
    if (strcmp(dest, proc_overlays[i]) == 0)
      return 0;
  return berth_fail_id(err, "BERTH-E-MOUNT-PROC", 0,
                       "\"%s\" cannot be mounted because it is inside /proc", dest);
}

/* proc and sysfs land on an ordinary directory: a symlink there (created by
 * the image, or swapped in by a racing container) could send a fresh procfs
 * somewhere another container can see. */
static int open_plain_directory(rootfs_ctx *ctx, const char *dest, const char *what,
                                berth_error **err) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof(parent), "%s", dest);
  char *slash = strrchr(parent, '/');
  const char *base = slash ? slash + 1 : parent;
  if (slash != NULL)
    *slash = '\0';
  int dir = pathsafe_mkdir_all(ctx->root_fd, parent[0] ? parent : "/", 0755, err);
  if (dir < 0)
    return -1;
  struct stat st;
  int fd = -1;
  bool exists = fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && !S_ISDIR(st.st_mode)) {
    berth_fail_id(err, "BERTH-E-MOUNT-DEST-SYMLINK", 0,
                  "\"%s\" is not a directory (a symlink?): refusing to mount %s on it",
                  dest, what);
  } else if (!exists && mkdirat(dir, base, 0755) < 0 && errno != EEXIST) {
    berth_fail_errno(err, "mkdir \"%s\"", dest);
  } else if ((fd = openat(dir, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
    berth_fail_errno(err, "open \"%s\"", dest);
  }
  close(dir);
  return fd;
}

/* Bind sources are host paths; relative ones are relative to the bundle. */
static const char *bind_source_path(rootfs_ctx *ctx, const char *source, char *buf,
                                    size_t len) {
  if (source[0] != '/' && ctx->o->bundle != NULL)
    snprintf(buf, len, "%s/%s", ctx->o->bundle, source);
  else
    snprintf(buf, len, "%s", source);
  return buf;
}

static int open_bind_source(rootfs_ctx *ctx, const char *source, berth_error **err) {
  char path[PATH_MAX];
  bind_source_path(ctx, source, path, sizeof(path));
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-MOUNT-SOURCE", "bind source \"%s\"", path);
  return fd;
}

/* Flags a remount must keep when they are locked (e.g. inherited by a user
 * namespace); statfs reports them with ST_* values. */
static unsigned long locked_flags(int fd) {
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0)
    return 0;
  unsigned long out = 0;
  static const struct { unsigned long st, ms; } map[] = {
      {ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC},
      {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME},
      {ST_RELATIME, MS_RELATIME}, {ST_RDONLY, MS_RDONLY},
  };
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
    if (sfs.f_flags & map[i].st)
      out |= map[i].ms;
  return out;
}

/* A bind mount takes none of its flags at creation: apply them now. */
static int remount_bind(rootfs_ctx *ctx, const char *dest, unsigned long flags,
                        berth_error **err) {
  int fd = pathsafe_open(ctx->root_fd, dest, O_PATH, 0, err);
  if (fd < 0)
    return -1;
  unsigned long f = (flags & ~MS_REC) | MS_BIND | MS_REMOUNT;
  int rc = mount_on_fd(NULL, fd, NULL, f, NULL);
  if (rc < 0 && errno == EPERM)
    rc = mount_on_fd(NULL, fd, NULL, f | (locked_flags(fd) & ~MS_RDONLY), NULL);
  if (rc < 0)
    berth_fail_errno_id(err, "BERTH-E-MOUNT-REMOUNT", "remount \"%s\"", dest);
  close(fd);
  return rc;
}

static int mount_bind(rootfs_ctx *ctx, const spec_mount *m, const char *dest,
                      const mount_options *mo, berth_error **err) {
  if (m->source == NULL)
    return berth_fail_id(err, "BERTH-E-MOUNT-SOURCE", 0, "a bind mount needs a source");
  int src = open_bind_source(ctx, m->source, err);
  if (src < 0)
    return -1;
  struct stat st;
  int rc = -1;
  if (fstat(src, &st) < 0) {
    berth_fail_errno(err, "stat \"%s\"", m->source);
    goto out;
  }
  int target = rootfs_target_for(ctx, m->destination, S_ISDIR(st.st_mode), err);
  if (target < 0)
    goto out;
  char src_path[64];
  pathsafe_fd_path(src, src_path, sizeof(src_path));
  rc = mount_on_fd(src_path, target, NULL, MS_BIND | (mo->flags & MS_REC), NULL);
  if (rc < 0)
    berth_fail_errno_id(err, "BERTH-E-MOUNT-BIND",
                        "bind \"%s\" on \"%s\"", m->source, m->destination);
  close(target);
  if (rc == 0 && (mo->flags & ~(MS_REC | MS_REMOUNT | MS_BIND)) != 0)
    rc = remount_bind(ctx, dest, mo->flags, err);
out:
  close(src);
  return rc;
}

/* The runtime cloned and idmapped the source before the init existed (a
 * user namespace here could not map host ids): only attaching is left. */
static int attach_idmapped(rootfs_ctx *ctx, const spec_mount *m, const char *dest,
                           const mount_options *mo, int tree, berth_error **err) {
  struct stat st;
  if (fstat(tree, &st) < 0)
    return berth_fail_errno(err, "stat \"%s\"", m->source);
  int target = rootfs_target_for(ctx, m->destination, S_ISDIR(st.st_mode), err);
  if (target < 0)
    return -1;
  int rc = move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  if (rc < 0)
    berth_fail_errno(err, "attach idmapped \"%s\" on \"%s\"", m->source, m->destination);
  close(target);
  if (rc == 0 && (mo->flags & ~(MS_REC | MS_REMOUNT | MS_BIND)) != 0)
    rc = remount_bind(ctx, dest, mo->flags, err);
  return rc;
}

static bool has_mode_option(const char *data) {
  for (const char *p = data; p != NULL; p = strchr(p, ',')) {
    if (*p == ',')
      p++;
    if (strncmp(p, "mode=", 5) == 0)
      return true;
  }
  return false;
}

/* A fresh tmpfs takes the mode of the directory it covers unless the
 * options give one, so /tmp keeps its sticky bit. */
static int keep_directory_mode(rootfs_ctx *ctx, const char *dest, mode_t mode,
                               berth_error **err) {
  int fd = pathsafe_open(ctx->root_fd, dest, O_RDONLY | O_DIRECTORY, 0, err);
  if (fd < 0)
    return -1;
  int rc = fchmod(fd, mode & 07777);
  if (rc < 0)
    berth_fail_errno(err, "chmod \"%s\"", dest);
  close(fd);
  return rc;
}

/* linux.mountLabel labels the filesystems made for the container, as in
 * runc: not proc and sysfs (the kernel's own views), not mqueue (labelled
 * as a file instead), and not a remount, whose superblock keeps the
 * context it was made with. */
static bool takes_mount_label(const spec_mount *m, unsigned long flags) {
  return !(flags & MS_REMOUNT) && !type_is(m, "proc") && !type_is(m, "sysfs") &&
         !type_is(m, "mqueue");
}

/* mqueue takes no context= option; its root gets the label as an xattr. */
static int label_mqueue(rootfs_ctx *ctx, const spec_mount *m, berth_error **err) {
  const char *label = ctx->o->mount_label;
  if (label == NULL || !type_is(m, "mqueue"))
    return 0;
  int fd = pathsafe_open(ctx->root_fd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
  if (fd < 0)
    return -1;
  int rc = fsetxattr(fd, "security.selinux", label, strlen(label), 0);
  if (rc < 0)
    berth_fail_errno_id(err, "BERTH-E-MOUNT-LABEL",
                        "label \"%s\" with linux.mountLabel \"%s\"", m->destination, label);
  close(fd);
  return rc;
}

static int mount_filesystem(rootfs_ctx *ctx, const spec_mount *m, const char *dest,
                            const mount_options *mo, berth_error **err) {
  bool plain_dir = type_is(m, "proc") || type_is(m, "sysfs") || strcmp(dest, "/proc") == 0 ||
                   strcmp(dest, "/sys") == 0;
  int target;
  if (mo->flags & MS_REMOUNT)
    target = pathsafe_open(ctx->root_fd, m->destination, O_PATH, 0, err);
  else if (!plain_dir)
    target = rootfs_target_dir(ctx, m->destination, err);
  else if ((target = rootfs_take_found(ctx, m->destination, true, err)) == ROOTFS_FOUND_NONE)
    target = open_plain_directory(ctx, dest, m->type, err);
  if (target < 0)
    return -1;
  unsigned long flags = mo->flags;
  bool tmpfs = type_is(m, "tmpfs");
  /* Files are still to be made in /dev and tmpfs modes to be set: both go
   * read-only in rootfs_finalize. */
  if (tmpfs || strcmp(dest, "/dev") == 0)
    flags &= ~MS_RDONLY;
  struct stat before;
  bool keep_mode = tmpfs && !has_mode_option(mo->data) && fstat(target, &before) == 0;
  const char *source = m->source ? m->source : m->type;
  char *data = NULL;
  bool labelled = ctx->o->mount_label != NULL && takes_mount_label(m, flags);
  if (labelled && mount_labelled_data(ctx->o->mount_label, mo->data, &data, err) < 0) {
    close(target);
    return -1;
  }
  int rc = mount_on_fd(source, target, m->type, flags, labelled ? data : mo->data);
  char note[PATH_MAX];
  if (rc < 0)
    berth_fail_errno_id(err, "BERTH-E-MOUNT-FILESYSTEM",
                        "mount \"%s\" on \"%s\"%s", source, m->destination,
                        mount_label_note(labelled ? ctx->o->mount_label : NULL, note, sizeof(note)));
  free(data);
  close(target);
  if (rc == 0 && keep_mode)
    rc = keep_directory_mode(ctx, m->destination, before.st_mode, err);
  if (rc == 0)
    rc = label_mqueue(ctx, m, err);
  return rc;
}

static int apply_propagation_and_attrs(rootfs_ctx *ctx, const char *dest,
                                       const mount_options *mo, berth_error **err) {
  if (mo->n_propagation == 0 && mo->rec_attr_set == 0 && mo->rec_attr_clr == 0)
    return 0;
  int fd = pathsafe_open(ctx->root_fd, dest, O_PATH, 0, err);
  if (fd < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < mo->n_propagation && rc == 0; i++) {
    rc = mount_on_fd(NULL, fd, NULL, mo->propagation[i], NULL);
    if (rc < 0)
      berth_fail_errno_id(err, "BERTH-E-MOUNT-PROPAGATION", "set propagation of \"%s\"", dest);
  }
  if (rc == 0 && (mo->rec_attr_set != 0 || mo->rec_attr_clr != 0)) {
    struct mount_attr attr = {.attr_set = mo->rec_attr_set, .attr_clr = mo->rec_attr_clr};
    rc = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
    if (rc < 0)
      berth_fail_errno_id(err, "BERTH-E-MOUNT-PROPAGATION",
                          "set recursive mount attributes of \"%s\"", dest);
  }
  close(fd);
  return rc;
}

static int validate(const spec_mount *m, const mount_options *mo, bool bind, int idmap_tree,
                    berth_error **err) {
  if (idmap_wanted(m) && !bind)
    return berth_fail_id(err, "BERTH-E-IDMAP-NOT-BIND", 0,
                         "idmapped mounts are only supported for bind mounts");
  if (idmap_wanted(m) && idmap_tree < 0)
    return berth_fail(err, 0, "idmapped mount was not prepared by the runtime");
  if (bind && mo->data != NULL)
    return berth_fail_id(err, "BERTH-E-MOUNT-OPTION", 0,
                         "option \"%s\" is not valid for a bind mount",
                         mo->first_data_option);
  if (!bind && m->type == NULL)
    return berth_fail_id(err, "BERTH-E-MOUNT-TYPE", 0, "no type given and not a bind mount");
  if (mo->tmpcopyup && !type_is(m, "tmpfs"))
    return berth_fail_id(err, "BERTH-E-MOUNT-OPTION", 0,
                         "option \"tmpcopyup\" needs a tmpfs mount");
  return 0;
}

static const char *root_host_path(rootfs_ctx *ctx) {
  if (ctx->root_path[0] != '\0')
    return ctx->root_path;
  char link[64];
  ssize_t r = readlink(pathsafe_fd_path(ctx->root_fd, link, sizeof(link)), ctx->root_path,
                       sizeof(ctx->root_path) - 1);
  if (r <= 0) {
    ctx->root_path[0] = '\0';
    return NULL;
  }
  ctx->root_path[r] = '\0';
  return ctx->root_path;
}

/* The longest prefix of `dest` (a clean absolute path) that exists in the
 * root without a symlink on the way: 1 when there is one, so `dest` lands
 * where it says; 0 when a symlink is met first; -1 when not even the root
 * can be opened. Needs no readlink of the result. With `keep`, the whole
 * destination, or its parent when only the last component is missing, is
 * kept in ctx->found_fd for the mount. */
static int lands_as_written(rootfs_ctx *ctx, const char *dest, bool keep) {
  char prefix[PATH_MAX];
  snprintf(prefix, sizeof(prefix), "%s", dest);
  int stripped = 0;
  bool last_missing = false;
  for (;;) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, ctx->root_fd, prefix[0] ? prefix : "/", &how, sizeof(how));
    if (fd >= 0) {
      if (keep && (stripped == 0 || (stripped == 1 && last_missing))) {
        ctx->found_fd = fd;
        ctx->found_whole = stripped == 0;
      } else {
        close(fd);
      }
      return 1;
    }
    if (errno == ELOOP)
      return 0;
    if (stripped++ == 0)
      last_missing = errno == ENOENT;
    char *slash = strrchr(prefix, '/');
    if (slash == NULL || slash == prefix) {
      if (prefix[0] == '\0')
        return -1;
      prefix[0] = '\0';
      continue;
    }
    *slash = '\0';
  }
}

/* Where `dest` really lands inside the rootfs: its longest existing
 * prefix resolved in the root (symlinks followed the way the mount will
 * follow them), then the components still to be made. */
static int resolve_in_root(rootfs_ctx *ctx, const char *dest, bool keep, char *out,
                           size_t len) {
  /* Most destinations have no symlink on the way: they land as written. */
  int plain = lands_as_written(ctx, dest, keep);
  if (plain != 0) {
    if (plain < 0)
      return -1;
    snprintf(out, len, "%s", dest);
    return 0;
  }
  char prefix[PATH_MAX];
  snprintf(prefix, sizeof(prefix), "%s", dest);
  const char *rest = "";
  for (;;) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, ctx->root_fd, prefix[0] ? prefix : "/", &how, sizeof(how));
    if (fd >= 0) {
      char link[64], host[PATH_MAX];
      ssize_t n = readlink(pathsafe_fd_path(fd, link, sizeof(link)), host, sizeof(host) - 1);
      close(fd);
      if (n < 0 || root_host_path(ctx) == NULL)
        return -1;
      host[n] = '\0';
      const char *root = ctx->root_path;
      size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
      if (strncmp(host, root, rl) != 0)
        return -1;
      snprintf(out, len, "%s%s%s", host[rl] ? host + rl : "/", *rest ? "/" : "", rest);
      if (strncmp(out, "//", 2) == 0)
        memmove(out, out + 1, strlen(out));
      return 0;
    }
    char *slash = strrchr(prefix, '/');
    if (slash == NULL || slash == prefix)
      return -1;
    *slash = '\0';
    rest = dest + (slash - prefix) + 1;
  }
}

static int mount_entry(rootfs_ctx *ctx, size_t index, mount_options *mo, berth_error **err) {
  const spec_mount *m = &ctx->o->spec->mounts[index];
  int idmap_tree = idmap_tree_fd(ctx->o->idmap, index);
  char dest[PATH_MAX];
  clean_path(m->destination, dest, sizeof(dest));
  if (type_is(m, "bind"))
    mo->flags |= MS_BIND;
  bool bind = (mo->flags & MS_BIND) != 0;
  if (validate(m, mo, bind, idmap_tree, err) < 0)
    return -1;
  char source[PATH_MAX] = "";
  if (bind && m->source != NULL)
    bind_source_path(ctx, m->source, source, sizeof(source));
  /* Checked as written and as it resolves: an image symlink (/myproc ->
   * /proc) must not carry a mount into /proc either (CVE-2025-52881). */
  char resolved[PATH_MAX];
  /* What the check finds is the mount's target, when the destination is
   * written as it is looked up (not "/dev/../proc"). */
  bool keep = strcmp(dest, m->destination) == 0;
  if (check_proc_destination(dest, m, bind, source, err) < 0 ||
      (resolve_in_root(ctx, dest, keep, resolved, sizeof(resolved)) == 0 &&
       strcmp(resolved, dest) != 0 && check_proc_destination(resolved, m, bind, source, err) < 0)) {
    rootfs_forget_found(ctx);
    return -1;
  }
  int rc;
  if (bind && idmap_tree >= 0)
    rc = attach_idmapped(ctx, m, dest, mo, idmap_tree, err);
  else if (bind)
    rc = mount_bind(ctx, m, dest, mo, err);
  else if (type_is(m, "cgroup"))
    rc = rootfs_mount_cgroup(ctx, m, mo, err);
  else if (mo->tmpcopyup)
    rc = rootfs_mount_tmpcopyup(ctx, m, mo, err);
  else
    rc = mount_filesystem(ctx, m, dest, mo, err);
  rootfs_forget_found(ctx);
  if (rc < 0)
    return -1;
  return apply_propagation_and_attrs(ctx, m->destination, mo, err);
}

int rootfs_mount_one(rootfs_ctx *ctx, size_t index, berth_error **err) {
  const spec_mount *m = &ctx->o->spec->mounts[index];
  if (m->destination == NULL)
    return berth_fail(err, 0, "mounts[%zu]: no destination", index);
  mount_options mo;
  if (mount_options_parse(&m->options, &mo, err) < 0)
    return -1;
  int rc = mount_entry(ctx, index, &mo, err);
  mount_options_free(&mo);
  if (rc < 0)
    berth_wrap(err, "mounts[%zu] (\"%s\")", index, m->destination);
  return rc;
}
