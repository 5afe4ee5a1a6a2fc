/* See exe_view.h; why an overlay view is the defence, in cloned_binary.c.
 * Everything here must work before the C library has set itself up (see
 * early_entry.c): system calls through raw_syscall.h, and the few string
 * operations written out, with loops the compiler is told not to turn
 * into calls of the library's memcpy or strlen (meson.build builds this
 * file with -ffreestanding). */
#include "linux/exe_view.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "linux/raw_syscall.h"

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

static size_t length(const char *s) {
  size_t n = 0;
  while (s[n] != '\0')
    n++;
  return n;
}

static bool starts_with(const char *s, const char *prefix) {
  while (*prefix != '\0')
    if (*s++ != *prefix++)
      return false;
  return true;
}

/* Appends s at buf[*at], within len with room for the terminator. */
static bool append(char *buf, size_t len, size_t *at, const char *s) {
  for (; *s != '\0'; s++) {
    if (*at + 1 >= len)
      return false;
    buf[(*at)++] = *s;
  }
  buf[*at] = '\0';
  return true;
}

static bool append_number(char *buf, size_t len, size_t *at, int n) {
  char digits[16];
  size_t k = 0;
  do {
    digits[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0 && k < sizeof(digits) - 1);
  char text[16];
  for (size_t i = 0; i < k; i++)
    text[i] = digits[k - 1 - i];
  text[k] = '\0';
  return append(buf, len, at, text);
}

bool exe_view_unneeded;

bool exe_view_skipped(char **envp) {
  static const char name[] = "BERTH_NO_CLONED_BINARY=";
  for (char **e = envp; e != NULL && *e != NULL; e++) {
    if (starts_with(*e, name)) {
      const char *v = *e + sizeof(name) - 1;
      return v[0] == '1' && v[1] == '\0';
    }
  }
  return false;
}

void exe_view_close(int fd) {
  if (fd >= 0)
    raw_syscall(SYS_close, fd, 0, 0, 0, 0);
}

/* A copy made by cloned_binary.c carries all our seals; a memfd sealed
 * some other way (or not at all) is copied again, as any writable file. */
static bool is_sealed_copy(int fd) {
  long seals = raw_syscall(SYS_fcntl, fd, F_GET_SEALS, 0, 0, 0);
  return seals >= 0 && (seals & EXE_VIEW_COPY_SEALS) == EXE_VIEW_COPY_SEALS;
}

static bool on_readonly_fs(int fd) {
  struct statfs sf;
  return raw_syscall(SYS_fstatfs, fd, &sf, 0, 0, 0) == 0 && (sf.f_flags & ST_RDONLY) != 0;
}

/* Where /proc/self/exe points, or "" (a deleted binary, an odd link). */
static void exe_target(char *buf, size_t len) {
  long n = raw_syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, len - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  static const char deleted[] = " (deleted)";
  size_t l = length(buf), d = sizeof(deleted) - 1;
  if (l >= d && starts_with(buf + l - d, deleted))
    buf[0] = '\0';
}

static int fs_set(int fs, const char *key, const char *value) {
  return (int)raw_syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0);
}

/* An empty read-only tmpfs attached nowhere, the lower layer under the
 * binary's directory (an overlay without an upper layer needs two). */
static int empty_layer(void) {
  int fs = (int)raw_syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC, 0, 0, 0);
  if (fs < 0)
    return fs;
  int mnt = fs_set(fs, "size", "4k");
  if (mnt == 0)
    mnt = fs_set(fs, "nr_inodes", "1");
  if (mnt == 0)
    mnt = (int)raw_syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
  if (mnt == 0)
    mnt = (int)raw_syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY, 0, 0);
  exe_view_close(fs);
  return mnt;
}

/* The layers, for FS: "lowerdir+" one at a time (Linux 6.8), else the
 * older "lowerdir" list, whose ':' and ',' a directory may not contain. */
static int set_layers(int fs, const char *dir, const char *empty) {
  if (fs_set(fs, "lowerdir+", dir) == 0)
    return fs_set(fs, "lowerdir+", empty);
  for (const char *c = dir; *c != '\0'; c++)
    if (*c == ':' || *c == ',' || *c == '\\')
      return -EINVAL;
  char both[PATH_MAX + 64];
  size_t at = 0;
  if (!append(both, sizeof(both), &at, dir) || !append(both, sizeof(both), &at, ":") ||
      !append(both, sizeof(both), &at, empty))
    return -ENAMETOOLONG;
  return fs_set(fs, "lowerdir", both);
}

static bool same_file(int a, int b) {
  struct statx x, y;
  unsigned mask = STATX_TYPE | STATX_SIZE | STATX_MTIME;
  if (raw_syscall(SYS_statx, a, "", AT_EMPTY_PATH, mask, &x) < 0 ||
      raw_syscall(SYS_statx, b, "", AT_EMPTY_PATH, mask, &y) < 0)
    return false;
  return S_ISREG(x.stx_mode) && x.stx_size == y.stx_size &&
         x.stx_mtime.tv_sec == y.stx_mtime.tv_sec && x.stx_mtime.tv_nsec == y.stx_mtime.tv_nsec;
}

/* The binary EXE (open, at PATH) as a file of a read-only overlay mounted
 * nowhere, or -errno. The file found there must be EXE still: same size
 * and modification time, or the directory changed under us and a copy of
 * what runs is made instead. */
static int overlay_view_of(int exe, const char *path) {
  size_t slash = length(path);
  while (slash > 0 && path[slash] != '/')
    slash--;
  if (path[0] != '/' || path[slash] != '/' || path[slash + 1] == '\0')
    return -EINVAL;
  char dir[PATH_MAX];
  size_t dir_len = slash == 0 ? 1 : slash;
  if (dir_len >= sizeof(dir))
    return -ENAMETOOLONG;
  for (size_t i = 0; i < dir_len; i++)
    dir[i] = path[i];
  dir[dir_len] = '\0';
  int empty = empty_layer();
  if (empty < 0)
    return empty;
  char empty_path[64];
  size_t at = 0;
  append(empty_path, sizeof(empty_path), &at, "/proc/self/fd/");
  append_number(empty_path, sizeof(empty_path), &at, empty);
  int rc, mnt = -1;
  int fs = (int)raw_syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC, 0, 0, 0);
  rc = fs;
  if (fs >= 0)
    rc = set_layers(fs, dir, empty_path);
  if (rc >= 0)
    rc = (int)raw_syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
  if (rc >= 0)
    rc = mnt = (int)raw_syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, 0, 0);
  if (rc >= 0)
    rc = (int)raw_syscall(SYS_openat, mnt, path + slash + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
                          0, 0);
  if (rc >= 0 && !same_file(rc, exe)) {
    exe_view_close(rc);
    rc = -ESTALE;
  }
  exe_view_close(mnt);
  exe_view_close(fs);
  exe_view_close(empty);
  return rc;
}

int exe_view_make(int *view, int *exe) {
  *view = -1;
  *exe = (int)raw_syscall(SYS_openat, AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC, 0, 0);
  if (*exe < 0) {
    int e = *exe;
    *exe = -1;
    return e;
  }
  if (is_sealed_copy(*exe) || on_readonly_fs(*exe)) {
    exe_view_close(*exe);
    *exe = -1;
    return 0;
  }
  char path[PATH_MAX];
  exe_target(path, sizeof(path));
  int fd = path[0] != '\0' ? overlay_view_of(*exe, path) : -ENOENT;
  if (fd < 0)
    return fd;
  exe_view_close(*exe);
  *exe = -1;
  *view = fd;
  return 1;
}

int exe_view_exec(int view, char **argv, char **envp) {
  return (int)raw_syscall(SYS_execveat, view, "", argv, envp, AT_EMPTY_PATH);
}
