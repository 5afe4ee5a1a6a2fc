/* maskedPaths and readonlyPaths, applied after pivot_root. Both act on
 * descriptors with the new mount API, so they do not depend on a /proc
 * being mounted in the container. Paths that do not exist are skipped. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/pathsafe.h"
#include "linux/rootfs_internal.h"

/* An O_PATH fd of `path` under "/", or -1 with errno (ENOENT, ENOTDIR:
 * the path does not exist, skip it). */
static int open_existing(int root_fd, const char *path) {
  struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd;
  do
    fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

/* The container's /dev/null, refused unless it really is the null device:
 * anything else bound over a masked file would unmask it. */
static int open_null(int root_fd, berth_error **err) {
  int fd = pathsafe_open(root_fd, "/dev/null", O_PATH, 0, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    close(fd);
    return berth_fail(err, 0, "\"/dev/null\" is not the null device (char 1:3)");
  }
  return fd;
}

/* One empty read-only tmpfs, shared by every masked directory. It is made
 * for the container like any other tmpfs, so it gets linux.mountLabel
 * (NULL: none) as its context, as in runc. */
static int make_empty_tmpfs(const char *mount_label, berth_error **err) {
  int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return berth_fail_errno(err, "create a tmpfs for masked directories");
  int mnt = -1;
  if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) == 0 &&
      fsconfig_mount_label(fs, mount_label) == 0 &&
      fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  char note[PATH_MAX];
  if (mnt < 0)
    berth_fail_errno(err, "create a tmpfs for masked directories%s",
                     mount_label_note(mount_label, note, sizeof(note)));
  close(fs);
  return mnt;
}

typedef struct masker {
  const char *mount_label;
  int root_fd;
  int null_fd; /* opened on first use */
  int tmpfs_fd;
  int tmpfs_attached;
} masker;

static int mask_one(masker *mk, const char *path, int target, berth_error **err) {
  struct stat st;
  if (fstat(target, &st) < 0)
    return berth_fail_errno(err, "stat \"%s\"", path);
  int rc;
  if (S_ISDIR(st.st_mode)) {
    if (mk->tmpfs_fd < 0 && (mk->tmpfs_fd = make_empty_tmpfs(mk->mount_label, err)) < 0)
      return -1;
    /* The first directory gets the new tmpfs itself, the others a clone
     * of it (a clone needs it attached first). */
    if (!mk->tmpfs_attached)
      rc = move_mount(mk->tmpfs_fd, "", target, "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    else
      rc = bind_fd_onto_fd(mk->tmpfs_fd, target, 0);
    if (rc == 0)
      mk->tmpfs_attached = 1;
  } else {
    if (mk->null_fd < 0 && (mk->null_fd = open_null(mk->root_fd, err)) < 0)
      return -1;
    rc = bind_fd_onto_fd(mk->null_fd, target, 0);
  }
  if (rc < 0)
    berth_fail_errno(err, "mask \"%s\"", path);
  return rc;
}

int masked_paths_apply(const spec_strv *paths, const char *mount_label, berth_error **err) {
  if (paths->n == 0)
    return 0;
  masker mk = {.mount_label = mount_label,
               .root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), .null_fd = -1,
               .tmpfs_fd = -1};
  if (mk.root_fd < 0)
    return berth_fail_errno(err, "open \"/\"");
  int rc = 0;
  for (size_t i = 0; i < paths->n && rc == 0; i++) {
    int target = open_existing(mk.root_fd, paths->v[i]);
    if (target < 0) {
      if (errno != ENOENT && errno != ENOTDIR)
        rc = berth_fail_errno(err, "mask \"%s\"", paths->v[i]);
      continue;
    }
    rc = mask_one(&mk, paths->v[i], target, err);
    close(target);
  }
  if (mk.null_fd >= 0)
    close(mk.null_fd);
  if (mk.tmpfs_fd >= 0)
    close(mk.tmpfs_fd);
  close(mk.root_fd);
  return rc;
}

/* A bind of the path onto itself, read-only at its top (as runc: mounts
 * below keep their own flags). Other flags of the mount are kept. */
static int make_readonly(const char *path, int target, berth_error **err) {
  int tree = open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                                       AT_RECURSIVE);
  if (tree < 0)
    return berth_fail_errno(err, "bind \"%s\"", path);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
  int rc = mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr));
  if (rc < 0)
    berth_fail_errno(err, "make \"%s\" read-only", path);
  else if ((rc = move_mount(tree, "", target, "",
                            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)) < 0)
    berth_fail_errno(err, "bind \"%s\"", path);
  close(tree);
  return rc;
}

int readonly_paths_apply(const spec_strv *paths, berth_error **err) {
  if (paths->n == 0)
    return 0;
  int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_fail_errno(err, "open \"/\"");
  int rc = 0;
  for (size_t i = 0; i < paths->n && rc == 0; i++) {
    int target = open_existing(root_fd, paths->v[i]);
    if (target < 0) {
      if (errno != ENOENT && errno != ENOTDIR)
        rc = berth_fail_errno(err, "open \"%s\"", paths->v[i]);
      continue;
    }
    rc = make_readonly(paths->v[i], target, err);
    close(target);
  }
  close(root_fd);
  return rc;
}
