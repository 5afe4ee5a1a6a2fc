#include "linux/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/pathsafe.h"
#include "linux/rootfs_internal.h"

typedef struct device_node {
  const char *path;
  char type; /* 'c', 'u', 'b' or 'p' */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
} device_node;

static const device_node default_devices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static mode_t type_bits(char type) {
  switch (type) {
  case 'b':
    return S_IFBLK;
  case 'p':
    return S_IFIFO;
  default:
    return S_IFCHR;
  }
}

/* The directory the last node went into, kept open for the next: nodes
 * come mostly in /dev. */
typedef struct node_dir {
  char path[PATH_MAX];
  int fd;
} node_dir;

/* The parent directory of `path` inside the rootfs (created if missing),
 * owned by `cache`; *base points at the last component. */
static int open_parent(int root_fd, node_dir *cache, const char *path, const char **base,
                       berth_error **err) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof(parent), "%s", path);
  char *slash = strrchr(parent, '/');
  if (slash == NULL || slash[1] == '\0')
    return berth_fail(err, EINVAL, "device path \"%s\"", path);
  *slash = '\0';
  *base = path + (slash - parent) + 1;
  if (cache->fd >= 0 && strcmp(cache->path, parent) == 0)
    return cache->fd;
  int fd = pathsafe_mkdir_all(root_fd, parent[0] ? parent : "/", 0755, err);
  if (fd < 0)
    return -1;
  if (cache->fd >= 0)
    close(cache->fd);
  snprintf(cache->path, sizeof(cache->path), "%s", parent);
  cache->fd = fd;
  return fd;
}

/* The host's node of the same path on an empty file: what a user
 * namespace, where mknod is refused, can still do. */
static int bind_host_node(int dir, const char *base, const device_node *d, berth_error **err) {
  int fd = openat(dir, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
  if (fd < 0 && errno != EEXIST)
    return berth_fail_errno_id(err, "BERTH-E-DEVICE-BIND", "create \"%s\"", d->path);
  if (fd >= 0)
    close(fd);
  int target = openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return berth_fail_errno_id(err, "BERTH-E-DEVICE-BIND", "open \"%s\"", d->path);
  int rc = mount_on_fd(d->path, target, NULL, MS_BIND, NULL);
  if (rc < 0)
    berth_fail_errno_id(err, "BERTH-E-DEVICE-BIND", "bind \"%s\" on \"%s\"", d->path, d->path);
  close(target);
  return rc;
}

/* Runs with a umask of 0 (devices_setup): the mode is exactly what the
 * spec says. */
static int make_node(int root_fd, node_dir *cache, const device_node *d, berth_error **err) {
  const char *base;
  int dir = open_parent(root_fd, cache, d->path, &base, err);
  if (dir < 0)
    return -1;
  dev_t dev = d->type == 'p' ? 0 : makedev(d->major, d->minor);
  int rc = mknodat(dir, base, type_bits(d->type) | (d->mode & 07777), dev);
  if (rc == 0) {
    if (fchownat(dir, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
      rc = berth_fail_errno(err, "chown \"%s\"", d->path);
  } else if (errno == EEXIST) {
    rc = 0; /* the image or a tmpfs already has it, as runc leaves it */
  } else if (errno == EPERM) {
    rc = bind_host_node(dir, base, d, err);
  } else {
    berth_fail_errno_id(err, "BERTH-E-DEVICE-MKNOD", "mknod \"%s\"", d->path);
  }
  return rc;
}

static bool spec_has_device(const spec *s, const char *path) {
  for (size_t i = 0; i < s->linux.n_devices; i++)
    if (s->linux.devices[i].path && strcmp(s->linux.devices[i].path, path) == 0)
      return true;
  return false;
}

static device_node from_spec(const spec_device *d) {
  device_node n = {
      .path = d->path,
      .type = d->type,
      .major = (unsigned)d->major,
      .minor = (unsigned)d->minor,
      .mode = d->file_mode.set ? (mode_t)d->file_mode.v : 0666,
      .uid = d->uid.set ? (uid_t)d->uid.v : 0,
      .gid = d->gid.set ? (gid_t)d->gid.v : 0,
  };
  return n;
}

static int make_links(int root_fd, berth_error **err) {
  static const char *const links[][2] = {
      {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
      {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
      {"core", "/proc/kcore"},
  };
  int dev = pathsafe_mkdir_all(root_fd, "/dev", 0755, err);
  if (dev < 0)
    return -1;
  /* A fresh devpts at /dev/pts has its own ptmx; make /dev/ptmx use it. */
  int rc = 0;
  if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
    rc = berth_fail_errno(err, "remove \"/dev/ptmx\"");
  else if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
    rc = berth_fail_errno(err, "symlink \"/dev/ptmx\"");
  bool kcore = access("/proc/kcore", F_OK) == 0;
  for (size_t i = 0; rc == 0 && i < sizeof(links) / sizeof(links[0]); i++) {
    if (strcmp(links[i][0], "core") == 0 && !kcore)
      continue;
    if (symlinkat(links[i][1], dev, links[i][0]) < 0 && errno != EEXIST)
      rc = berth_fail_errno(err, "symlink \"/dev/%s\"", links[i][0]);
  }
  close(dev);
  return rc;
}

static int make_nodes(int root_fd, const spec *s, berth_error **err) {
  node_dir cache = {.fd = -1};
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
    if (!spec_has_device(s, default_devices[i].path))
      rc = make_node(root_fd, &cache, &default_devices[i], err);
  }
  for (size_t i = 0; rc == 0 && i < s->linux.n_devices; i++) {
    device_node n = from_spec(&s->linux.devices[i]);
    if (n.path != NULL && (rc = make_node(root_fd, &cache, &n, err)) < 0)
      berth_wrap(err, "linux.devices[%zu]", i);
  }
  if (cache.fd >= 0)
    close(cache.fd);
  return rc;
}

int devices_setup(int root_fd, const spec *s, berth_error **err) {
  mode_t old_umask = umask(0);
  int rc = make_nodes(root_fd, s, err);
  umask(old_umask);
  return rc < 0 ? -1 : make_links(root_fd, err);
}
