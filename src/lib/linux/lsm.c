#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

static int openat2_retry(int dirfd, const char *path, int flags, unsigned long long resolve) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = resolve};
  int fd;
  do
    fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

static bool on_procfs(int fd) {
  struct statfs sfs;
  return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* ---- a procfs nobody can shadow ---- */

static bool is_mount_root(int fd) {
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) < 0)
    return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int lsm_open_proc_mount(const char *path, berth_error **err) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno(err, "open \"%s\"", path);
  if (!on_procfs(fd) || !is_mount_root(fd)) {
    close(fd);
    return berth_fail(err, 0, "\"%s\" is not the root of a procfs mount", path);
  }
  return fd;
}

/* A new procfs instance, attached nowhere; -1 with errno when this kernel
 * or this namespace does not allow one. */
static int fresh_procfs(void) {
  int fs = fsopen("proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    return -1;
  int mnt = -1;
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  int saved = errno;
  close(fs);
  errno = saved;
  return mnt;
}

int lsm_open_trusted_proc(berth_error **err) {
  int fd = fresh_procfs();
  /* ENOSYS: no new mount API. EPERM: a user namespace whose /proc is
   * partly masked may not mount a fully visible one. */
  if (fd < 0 && errno != ENOSYS && errno != EPERM)
    return berth_fail_errno(err, "create a private procfs instance");
  if (fd < 0)
    return lsm_open_proc_mount("/proc", err);
  if (!on_procfs(fd)) { /* cannot happen; cheap to be sure */
    close(fd);
    return berth_fail(err, 0, "the private procfs instance is not procfs");
  }
  return fd;
}

int lsm_open_thread_self(int procfd, berth_error **err) {
  /* thread-self is a plain symlink to "<pid>/task/<tid>", beneath the root. */
  int fd = openat2_retry(procfd, "thread-self", O_PATH | O_DIRECTORY,
                         RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (fd < 0)
    return berth_fail_errno(err, "open thread-self in procfs%s",
                            errno == ENOENT ? " (is it from another pid namespace?)" : "");
  return fd;
}

/* ---- enabled? ---- */

/* Both answers are asked once per process and remembered: the init and
 * exec children are clones of a runtime that asked on the host before
 * cloning, and once they have pivoted, /sys is the container's (maybe
 * none at all) and would answer for it instead. */
static bool apparmor_enabled_now(void) {
  if (access("/sys/kernel/security/apparmor", F_OK) != 0)
    return false;
  int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char c = 0;
  bool yes = read(fd, &c, 1) == 1 && c == 'Y';
  close(fd);
  return yes;
}

bool lsm_apparmor_enabled(void) {
  static int cached = -1;
  if (cached < 0)
    cached = apparmor_enabled_now();
  return cached;
}

/* selinuxfs mounted read-write, as libselinux and go-selinux decide (a
 * read-only one is how a container is told SELinux is off for it). */
static bool selinux_enabled_now(void) {
  struct statfs sfs;
  if (statfs("/sys/fs/selinux", &sfs) < 0 || sfs.f_type != SELINUX_MAGIC)
    return false;
  return (sfs.f_flags & ST_RDONLY) == 0;
}

bool lsm_selinux_enabled(void) {
  static int cached = -1;
  if (cached < 0)
    cached = selinux_enabled_now();
  return cached;
}

/* ---- the writes ---- */

static int open_attr(int task_dir, const char *attr, bool require_procfs, berth_error **err) {
  int fd = openat2_retry(task_dir, attr, O_WRONLY | O_NOCTTY,
                         RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                             RESOLVE_NO_XDEV);
  if (fd < 0 && errno == EXDEV)
    return berth_fail_errno(err, "open %s: something is mounted over it", attr);
  if (fd < 0)
    return berth_fail_errno(err, "open %s", attr);
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (require_procfs && !on_procfs(fd))) {
    close(fd);
    return berth_fail(err, EPERM, "open %s: not a procfs attribute file", attr);
  }
  return fd;
}

/* The kernel takes an attribute in one write; anything less is a failure. */
static int write_attr(int task_dir, const char *attr, const char *value, bool require_procfs,
                      berth_error **err) {
  if (strchr(value, '\n') != NULL) /* would read as a second command */
    return berth_fail_id(err, "BERTH-E-LSM-PROFILE", EINVAL,
                         "write %s: the value contains a newline", attr);
  int fd = open_attr(task_dir, attr, require_procfs, err);
  if (fd < 0)
    return -1;
  size_t len = strlen(value);
  ssize_t n = write(fd, value, len);
  int saved = errno;
  close(fd);
  if (n < 0)
    return berth_fail_id(err, "BERTH-E-LSM-PROFILE", saved, "write %s", attr);
  if ((size_t)n != len)
    return berth_fail(err, EIO, "write %s: short write", attr);
  return 0;
}

int lsm_apparmor_write_at(int task_dir, const char *profile, bool require_procfs,
                          berth_error **err) {
  /* The LSM-specific directory first, as libapparmor: attr/exec belongs to
   * whichever LSM is the "display" one on a stacked kernel. */
  const char *attr = "attr/apparmor/exec";
  struct stat st;
  if (fstatat(task_dir, "attr/apparmor", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
    attr = "attr/exec";
  char *value = NULL;
  if (asprintf(&value, "exec %s", profile) < 0)
    return berth_fail(err, ENOMEM, "process.apparmorProfile");
  int rc = write_attr(task_dir, attr, value, require_procfs, err);
  free(value);
  /* ENOENT while the file is there is the kernel's answer to "exec <name>"
   * when no profile has that name; on its own it reads as if the
   * attribute file were missing. */
  if (rc < 0 && *err != NULL && (*err)->code == ENOENT &&
      faccessat(task_dir, attr, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    berth_wrap(err, "no profile by that name is loaded");
  if (rc < 0)
    return berth_wrap(err, "process.apparmorProfile: apparmor failed to apply profile \"%s\"",
                      profile);
  return 0;
}

int lsm_selinux_write_at(int task_dir, const char *attr, const char *label, bool require_procfs,
                         berth_error **err) {
  char path[32];
  snprintf(path, sizeof(path), "attr/%s", attr);
  if (write_attr(task_dir, path, label, require_procfs, err) < 0)
    return berth_wrap(err, "process.selinuxLabel: set %s label \"%s\"", attr, label);
  return 0;
}

int lsm_apply_apparmor(int procfd, const char *profile, berth_error **err) {
  if (profile == NULL || *profile == '\0')
    return 0;
  /* No lsm_apparmor_enabled() here: this runs in the container, after
   * pivot_root, where /sys/kernel/security is normally not mounted and
   * the answer would be "off" on every AppArmor host. Create's validation
   * and exec's checks asked on the host; the kernel refuses the write
   * itself where AppArmor is off. */
  int task = lsm_open_thread_self(procfd, err);
  if (task < 0)
    return berth_wrap(err, "process.apparmorProfile");
  int rc = lsm_apparmor_write_at(task, profile, true, err);
  close(task);
  return rc;
}

static int apply_selinux(int procfd, const char *attr, const char *label, berth_error **err) {
  if (label == NULL || *label == '\0')
    return 0;
  if (!lsm_selinux_enabled()) /* runc's wording */
    return berth_fail_id(err, "BERTH-E-LSM-DISABLED", 0,
                         "process.selinuxLabel: selinux label is specified in config, but "
                         "selinux is disabled or not supported");
  int task = lsm_open_thread_self(procfd, err);
  if (task < 0)
    return berth_wrap(err, "process.selinuxLabel");
  int rc = lsm_selinux_write_at(task, attr, label, true, err);
  close(task);
  return rc;
}

int lsm_apply_selinux_exec_label(int procfd, const char *label, berth_error **err) {
  return apply_selinux(procfd, "exec", label, err);
}

int lsm_apply_selinux_keyring_label(int procfd, const char *label, berth_error **err) {
  return apply_selinux(procfd, "keycreate", label, err);
}

/* ---- mount label ---- */

char *lsm_mount_context_option(const char *mount_label) {
  errno = 0;
  if (mount_label == NULL || *mount_label == '\0')
    return NULL;
  /* The kernel strips the quotes and knows no escapes. */
  for (const char *p = mount_label; *p; p++) {
    if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
      errno = EINVAL;
      return NULL;
    }
  }
  char *opt = NULL;
  if (asprintf(&opt, "context=\"%s\"", mount_label) < 0) {
    errno = ENOMEM;
    return NULL;
  }
  return opt;
}

char *lsm_mount_data_with_context(const char *data, const char *mount_label) {
  char *context = lsm_mount_context_option(mount_label);
  if (context == NULL)
    return NULL;
  if (data == NULL || *data == '\0')
    return context;
  char *joined = NULL;
  int n = asprintf(&joined, "%s,%s", data, context);
  free(context);
  if (n < 0) {
    errno = ENOMEM;
    return NULL;
  }
  return joined;
}
