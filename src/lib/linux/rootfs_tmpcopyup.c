/* tmpcopyup: a tmpfs that starts with a copy of the directory it covers.
 * The tmpfs is made detached (fsopen/fsmount), filled through descriptors
 * from the directory, then moved on top of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/pathsafe.h"
#include "linux/rootfs_internal.h"

/* Nesting limit of the copy, so a deep tree cannot exhaust the stack. */
#define COPY_MAX_DEPTH 64

static int copy_tree(int from, int to, int depth);

static int copy_file(int from, int to, const char *name, const struct stat *st) {
  int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return -1;
  int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   st->st_mode & 07777);
  int rc = out < 0 ? -1 : 0;
  for (off_t left = st->st_size; rc == 0 && left > 0;) {
    ssize_t n = sendfile(out, in, NULL, (size_t)left > 1 << 30 ? 1 << 30 : (size_t)left);
    if (n <= 0)
      rc = -1;
    else
      left -= n;
  }
  if (out >= 0)
    close(out);
  close(in);
  return rc;
}

static int copy_link(int from, int to, const char *name) {
  char target[PATH_MAX];
  ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
  if (n < 0)
    return -1;
  target[n] = '\0';
  return symlinkat(target, to, name);
}

static int copy_dir(int from, int to, const char *name, const struct stat *st, int depth) {
  if (depth >= COPY_MAX_DEPTH) {
    errno = ELOOP;
    return -1;
  }
  if (mkdirat(to, name, st->st_mode & 07777) < 0)
    return -1;
  int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int rc = (sub_from < 0 || sub_to < 0) ? -1 : copy_tree(sub_from, sub_to, depth + 1);
  if (sub_from >= 0)
    close(sub_from);
  if (sub_to >= 0)
    close(sub_to);
  return rc;
}

static int copy_entry(int from, int to, const char *name, int depth) {
  struct stat st;
  if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  int rc;
  if (S_ISDIR(st.st_mode))
    rc = copy_dir(from, to, name, &st, depth);
  else if (S_ISREG(st.st_mode))
    rc = copy_file(from, to, name, &st);
  else if (S_ISLNK(st.st_mode))
    rc = copy_link(from, to, name);
  else
    rc = mknodat(to, name, st.st_mode, st.st_rdev);
  if (rc == 0 && fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    rc = -1;
  if (rc == 0 && !S_ISLNK(st.st_mode))
    rc = fchmodat(to, name, st.st_mode & 07777, 0);
  return rc;
}

static int copy_tree(int from, int to, int depth) {
  int dup_fd = fcntl(from, F_DUPFD_CLOEXEC, 0);
  DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
  if (d == NULL) {
    if (dup_fd >= 0)
      close(dup_fd);
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    rc = copy_entry(from, to, e->d_name, depth);
  }
  closedir(d);
  return rc;
}

/* fsconfig takes "key=value" one by one; the mount(2) style data string is
 * split on commas. */
static int configure(int fs, const char *data) {
  if (data == NULL)
    return 0;
  char *copy = strdup(data);
  if (copy == NULL)
    return -1;
  int rc = 0;
  for (char *save = NULL, *opt = strtok_r(copy, ",", &save); opt && rc == 0;
       opt = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(opt, '=');
    if (eq != NULL) {
      *eq = '\0';
      rc = fsconfig(fs, FSCONFIG_SET_STRING, opt, eq + 1, 0);
    } else {
      rc = fsconfig(fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
    }
  }
  free(copy);
  return rc;
}

static unsigned mount_attrs(unsigned long flags) {
  unsigned attrs = 0;
  if (flags & MS_NOSUID)
    attrs |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    attrs |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    attrs |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NOATIME)
    attrs |= MOUNT_ATTR_NOATIME;
  else if (flags & MS_STRICTATIME)
    attrs |= MOUNT_ATTR_STRICTATIME;
  if (flags & MS_NODIRATIME)
    attrs |= MOUNT_ATTR_NODIRATIME;
  return attrs; /* read-only comes in rootfs_finalize, as for any tmpfs */
}

static int new_tmpfs(const mount_options *mo, const char *mount_label) {
  int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return -1;
  int mnt = -1;
  if (configure(fs, mo->data) == 0 &&
      fsconfig_mount_label(fs, mount_label) == 0 &&
      fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, mount_attrs(mo->flags));
  int saved = errno;
  close(fs);
  errno = saved;
  return mnt;
}

int rootfs_mount_tmpcopyup(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                           berth_error **err) {
  int dir = pathsafe_mkdir_all(ctx->root_fd, m->destination, 0755, err);
  if (dir < 0)
    return -1;
  int rc = -1, from = -1, to = -1;
  const char *label = ctx->o->mount_label;
  int mnt = new_tmpfs(mo, label);
  struct stat st;
  if (mnt < 0) {
    char note[PATH_MAX];
    berth_fail_errno_id(err, "BERTH-E-MOUNT-FILESYSTEM",
                        "create tmpfs for \"%s\"%s", m->destination,
                        mount_label_note(label, note, sizeof(note)));
    goto out;
  }
  from = pathsafe_open(ctx->root_fd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
  to = from < 0 ? -1 : openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (from < 0 || to < 0 || fstat(from, &st) < 0 || copy_tree(from, to, 0) < 0 ||
      fchmod(to, st.st_mode & 07777) < 0 || fchown(to, st.st_uid, st.st_gid) < 0) {
    if (from >= 0)
      berth_fail_errno(err, "copy \"%s\" into its tmpfs", m->destination);
    goto out;
  }
  rc = move_mount(mnt, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  if (rc < 0)
    berth_fail_errno_id(err, "BERTH-E-MOUNT-FILESYSTEM",
                        "mount \"tmpfs\" on \"%s\"", m->destination);
out:
  if (to >= 0)
    close(to);
  if (from >= 0)
    close(from);
  if (mnt >= 0)
    close(mnt);
  close(dir);
  return rc;
}
