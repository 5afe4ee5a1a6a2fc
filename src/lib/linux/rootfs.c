#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/devices.h"
#include "linux/mount_options.h"
#include "linux/pathsafe.h"
#include "linux/rootfs_internal.h"

/* rootfsPropagation as MS_* flags; 0 when the spec leaves it out. */
static int root_propagation(const spec *s, unsigned long *flags, berth_error **err) {
  *flags = 0;
  const char *name = s->linux.rootfs_propagation;
  if (name == NULL || name[0] == '\0')
    return 0;
  if (mount_propagation_flags(name, flags) < 0)
    return berth_fail_id(err, "BERTH-E-ROOTFS-PROPAGATION", EINVAL,
                         "linux.rootfsPropagation: unknown value \"%s\"", name);
  return 0;
}

/* pivot_root refuses a shared parent mount for the new root; making it
 * private (only when shared, as runc) also keeps the bind below from
 * propagating anywhere. */
static int make_parent_private(const char *rootfs, berth_error **err) {
  char real[PATH_MAX]; /* mountinfo lists resolved mount points */
  if (realpath(rootfs, real) == NULL)
    return berth_fail_errno(err, "resolve rootfs \"%s\"", rootfs);
  mountinfo mi;
  if (mountinfo_read(&mi, err) < 0)
    return -1;
  const mountinfo_entry *e = mountinfo_holding(&mi, real);
  int rc = 0;
  if (e != NULL && strstr(e->optional, "shared:") != NULL &&
      mount(NULL, e->mount_point, NULL, MS_PRIVATE, NULL) < 0)
    rc = berth_fail_errno(err, "make \"%s\" private", e->mount_point);
  mountinfo_free(&mi);
  return rc;
}

static int prepare_root(const rootfs_opts *o, berth_error **err) {
  unsigned long flags;
  if (root_propagation(o->spec, &flags, err) < 0)
    return -1;
  if (flags == 0)
    flags = MS_SLAVE | MS_REC;
  if (mount(NULL, "/", NULL, flags, NULL) < 0)
    return berth_fail_errno(err, "set propagation of \"/\"");
  /* After a recursive slave or private, no mount below "/" is shared any
   * more, the rootfs's parent included: mountinfo need not be read. */
  bool none_shared = (flags & MS_REC) && (flags & (MS_SLAVE | MS_PRIVATE));
  if (!none_shared && make_parent_private(o->rootfs, err) < 0)
    return -1;
  if (mount(o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_errno(err, "bind \"%s\" onto itself", o->rootfs);
  return 0;
}

static bool is_dev(const char *dest) {
  while (*dest == '/')
    dest++;
  if (strncmp(dest, "dev", 3) != 0)
    return false;
  for (dest += 3; *dest == '/'; dest++)
    ;
  return *dest == '\0';
}

static bool mount_is_bind(const spec_mount *m) {
  if (m->type != NULL && strcmp(m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->options.n; i++)
    if (strcmp(m->options.v[i], "bind") == 0 || strcmp(m->options.v[i], "rbind") == 0)
      return true;
  return false;
}

/* A /dev bound from elsewhere is taken as it is (runc). */
static bool needs_dev_setup(const spec *s) {
  for (size_t i = 0; i < s->n_mounts; i++)
    if (s->mounts[i].destination && is_dev(s->mounts[i].destination) &&
        mount_is_bind(&s->mounts[i]))
      return false;
  return true;
}

int rootfs_prepare(const rootfs_opts *o, berth_error **err) {
  if (o->rootfs == NULL || o->rootfs[0] != '/')
    return berth_fail(err, EINVAL, "rootfs \"%s\" is not an absolute path",
                      o->rootfs ? o->rootfs : "");
  if (prepare_root(o, err) < 0)
    return -1;
  rootfs_ctx ctx = {.o = o, .root_fd = open(o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC),
                    .found_fd = -1};
  if (ctx.root_fd < 0)
    return berth_fail_errno(err, "open rootfs \"%s\"", o->rootfs);
  int rc = 0;
  for (size_t i = 0; i < o->spec->n_mounts && rc == 0; i++)
    rc = rootfs_mount_one(&ctx, i, err);
  /* mknod as in the devices cgroup, as runc makes them. */
  if (rc == 0 && needs_dev_setup(o->spec))
    rc = rootfs_await_cgroup(o, err) < 0 ? -1 : devices_setup(ctx.root_fd, o->spec, err);
  close(ctx.root_fd);
  return rc;
}

static int pivot(const char *rootfs, berth_error **err) {
  int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old_root < 0)
    return berth_fail_errno(err, "open \"/\"");
  int new_root = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  int rc = -1;
  if (new_root < 0) {
    berth_fail_errno(err, "open rootfs \"%s\"", rootfs);
  } else if (fchdir(new_root) < 0) {
    berth_fail_errno(err, "chdir to rootfs \"%s\"", rootfs);
  } else if (syscall(SYS_pivot_root, ".", ".") < 0) {
    berth_fail_errno_id(err, "BERTH-E-ROOTFS-PIVOT", "pivot_root to \"%s\"", rootfs);
  } else if (fchdir(old_root) < 0) {
    berth_fail_errno(err, "chdir to the old root");
    /* The old root now sits on top of ".": keep its unmount from
     * propagating to the host before detaching it. */
  } else if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
    berth_fail_errno(err, "make the old root a slave");
  } else if (umount2(".", MNT_DETACH) < 0) {
    berth_fail_errno(err, "unmount the old root");
  } else if (chdir("/") < 0) {
    berth_fail_errno(err, "chdir \"/\"");
  } else {
    rc = 0;
  }
  if (new_root >= 0)
    close(new_root);
  close(old_root);
  return rc;
}

static int move_root(const char *rootfs, berth_error **err) {
  if (chdir(rootfs) < 0)
    return berth_fail_errno(err, "chdir to rootfs \"%s\"", rootfs);
  if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return berth_fail_errno(err, "move rootfs \"%s\" to \"/\"", rootfs);
  if (chroot(".") < 0)
    return berth_fail_errno(err, "chroot to rootfs \"%s\"", rootfs);
  if (chdir("/") < 0)
    return berth_fail_errno(err, "chdir \"/\"");
  return 0;
}

int rootfs_pivot(const rootfs_opts *o, berth_error **err) {
  return o->no_pivot ? move_root(o->rootfs, err) : pivot(o->rootfs, err);
}

int rootfs_bind_console(int slave_fd, berth_error **err) {
  int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_fail_errno(err, "open \"/\"");
  int target = pathsafe_mount_target(root_fd, "/dev/console", 0, err);
  close(root_fd);
  if (target < 0)
    return berth_wrap(err, "console");
  int rc = bind_fd_onto_fd(slave_fd, target, 0);
  if (rc < 0 && errno == EINVAL) {
    /* open_tree wants the pty's devpts in this mount namespace. */
    char source[64];
    rc = mount_on_fd(pathsafe_fd_path(slave_fd, source, sizeof(source)), target, NULL, MS_BIND,
                     NULL);
  }
  if (rc < 0)
    berth_fail_errno(err, "bind the console on \"/dev/console\"");
  close(target);
  return rc;
}

/* tmpfs mounts and /dev were mounted writable so they could be filled;
 * those asked read-only become so now (runc does the same). */
static int readonly_late_mounts(const spec *s, berth_error **err) {
  int root_fd = -1, rc = 0;
  for (size_t i = 0; i < s->n_mounts && rc == 0; i++) {
    const spec_mount *m = &s->mounts[i];
    bool tmpfs = m->type != NULL && strcmp(m->type, "tmpfs") == 0;
    if (m->destination == NULL || !(tmpfs || is_dev(m->destination)))
      continue;
    mount_options mo;
    if (mount_options_parse(&m->options, &mo, err) < 0)
      return -1;
    bool ro = (mo.flags & MS_RDONLY) != 0 && (mo.flags & MS_BIND) == 0;
    mount_options_free(&mo);
    if (!ro)
      continue;
    if (root_fd < 0 && (root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
      return berth_fail_errno(err, "open \"/\"");
    int fd = pathsafe_open(root_fd, m->destination, O_PATH, 0, err);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (fd < 0)
      rc = -1;
    else if ((rc = mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr))) < 0)
      berth_fail_errno(err, "make \"%s\" read-only", m->destination);
    if (fd >= 0)
      close(fd);
  }
  if (root_fd >= 0)
    close(root_fd);
  return rc;
}

static int readonly_root(berth_error **err) {
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
  if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof(attr)) < 0)
    return berth_fail_errno_id(err, "BERTH-E-ROOTFS-READONLY", "make \"/\" read-only");
  return 0;
}

int rootfs_finalize(const rootfs_opts *o, berth_error **err) {
  const spec *s = o->spec;
  if (readonly_paths_apply(&s->linux.readonly_paths, err) < 0)
    return berth_wrap(err, "linux.readonlyPaths");
  if (masked_paths_apply(&s->linux.masked_paths, o->mount_label, err) < 0)
    return berth_wrap(err, "linux.maskedPaths");
  if (readonly_late_mounts(s, err) < 0)
    return -1;
  if (s->root_readonly && readonly_root(err) < 0)
    return -1;
  /* Applied to the new "/" only now: before pivot_root it would have
   * reached the host through a shared rootfs. A private root was already
   * made by the bind in rootfs_prepare. */
  unsigned long flags;
  if (root_propagation(s, &flags, err) < 0)
    return -1;
  if (flags != 0 && (flags & MS_PRIVATE) == 0 && mount(NULL, "/", NULL, flags, NULL) < 0)
    return berth_fail_errno_id(err, "BERTH-E-ROOTFS-PROPAGATION", "set rootfsPropagation of \"/\"");
  return 0;
}
