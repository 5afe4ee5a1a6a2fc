/* The "cgroup" mount type. On a unified (v2) host it is a cgroup2 mount,
 * or a bind of the container's own cgroup when the kernel refuses a fresh
 * one. On a v1 or hybrid host it is what runc builds: a tmpfs with one
 * entry per hierarchy, each either a fresh cgroup mount (the container has
 * a cgroup namespace, so it sees its own cgroup as the root) or a bind of
 * the container's cgroup directory from the host hierarchy. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "linux/pathsafe.h"
#include "linux/rootfs_internal.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define HOST_CGROUP_ROOT "/sys/fs/cgroup"

/* Whether the comma-separated `list` holds `item`. */
static bool list_has(const char *list, const char *item, size_t item_len) {
  for (const char *p = list; p != NULL && *p != '\0';) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == item_len && strncmp(p, item, n) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

/* /proc/self/cgroup, read once for all the hierarchies; NULL on error. */
static char *read_self_cgroup(void) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return NULL;
  char *text = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&text, &cap, '\0', f);
  fclose(f);
  if (n < 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* The container's path in the hierarchy mounted as `e`, from the text of
 * /proc/self/cgroup ("ID:CONTROLLERS:PATH" lines); NULL when it is not
 * found. */
static char *own_cgroup_path(const char *self_cgroup, const mountinfo_entry *e) {
  bool v2 = strcmp(e->fstype, "cgroup2") == 0;
  for (const char *line = self_cgroup; line != NULL && *line != '\0';) {
    const char *eol = strchrnul(line, '\n');
    const char *controllers = memchr(line, ':', (size_t)(eol - line));
    const char *path = controllers ? memchr(controllers + 1, ':', (size_t)(eol - controllers - 1))
                                   : NULL;
    if (path != NULL) {
      controllers++;
      size_t first = strcspn(controllers, ",:");
      bool match = v2 ? (path == controllers)
                      : (path != controllers && list_has(e->super_opts, controllers, first));
      if (match)
        return strndup(path + 1, (size_t)(eol - path - 1));
    }
    line = *eol ? eol + 1 : eol;
  }
  return NULL;
}

/* Applies flags a bind mount ignores at creation, on the mount now at
 * the container path `dest`. */
static int remount_flags(rootfs_ctx *ctx, const char *dest, unsigned long flags,
                         berth_error **err) {
  if ((flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) == 0)
    return 0;
  int fd = pathsafe_open(ctx->root_fd, dest, O_PATH, 0, err);
  if (fd < 0)
    return -1;
  int rc = mount_on_fd(NULL, fd, NULL, (flags & ~MS_REC) | MS_BIND | MS_REMOUNT, NULL);
  if (rc < 0)
    berth_fail_errno(err, "remount \"%s\"", dest);
  close(fd);
  return rc;
}

/* The host path of the container's own cgroup in hierarchy `e`, into src. */
static int own_cgroup_source(const char *self_cgroup, const mountinfo_entry *e, char *src,
                             size_t len, berth_error **err) {
  char *own = own_cgroup_path(self_cgroup, e);
  if (own == NULL)
    return berth_fail(err, ENOENT, "find the container's cgroup for \"%s\"", e->mount_point);
  size_t root_len = strcmp(e->root, "/") == 0 ? 0 : strlen(e->root);
  const char *rel = strncmp(own, e->root, root_len) == 0 ? own + root_len : own;
  snprintf(src, len, "%s%s", e->mount_point, rel);
  free(own);
  return 0;
}

/* Binds the container's own cgroup of hierarchy `e` onto `dest`. */
static int bind_own_cgroup(rootfs_ctx *ctx, const char *self_cgroup, const mountinfo_entry *e,
                           const char *dest, int target, unsigned long flags, berth_error **err) {
  char src[PATH_MAX];
  if (own_cgroup_source(self_cgroup, e, src, sizeof(src), err) < 0)
    return -1;
  if (mount_on_fd(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_errno(err, "bind \"%s\" on \"%s\"", src, dest);
  return remount_flags(ctx, dest, flags, err);
}

static int mount_v2(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                    berth_error **err) {
  int target = rootfs_target_dir(ctx, m->destination, err);
  if (target < 0)
    return -1;
  int rc = mount_on_fd("cgroup2", target, "cgroup2", mo->flags, mo->data);
  if (rc < 0 && (errno == EPERM || errno == EBUSY)) {
    /* Without a cgroup namespace of its own, inside a user namespace, the
     * kernel refuses cgroup2: show the container its cgroup by a bind. */
    mountinfo_entry e = {.root = "/", .mount_point = HOST_CGROUP_ROOT, .fstype = "cgroup2",
                         .super_opts = ""};
    char *self_cgroup = read_self_cgroup();
    rc = bind_own_cgroup(ctx, self_cgroup, &e, m->destination, target, mo->flags, err);
    free(self_cgroup);
  } else if (rc < 0) {
    berth_fail_errno(err, "mount \"cgroup2\" on \"%s\"", m->destination);
  }
  close(target);
  return rc;
}

/* Mount options of a v1 hierarchy that are not controller names. */
static bool is_controller(const char *opt, size_t n) {
  static const char *const not_controllers[] = {
      "rw", "ro", "noprefix", "clone_children", "cpuset_v2_mode", "xattr", "none",
      "all", "favordynmods", "nofavordynmods", NULL,
  };
  if (n >= 14 && strncmp(opt, "release_agent=", 14) == 0)
    return false;
  for (size_t i = 0; not_controllers[i] != NULL; i++)
    if (strlen(not_controllers[i]) == n && strncmp(opt, not_controllers[i], n) == 0)
      return false;
  return true;
}

/* "rw,cpu,cpuacct" -> "cpu,cpuacct"; "rw,name=systemd" -> "name=systemd". */
static void controllers_of(const char *super_opts, char *out, size_t len) {
  size_t o = 0;
  out[0] = '\0';
  for (const char *p = super_opts; *p != '\0';) {
    size_t n = strcspn(p, ",");
    if (is_controller(p, n) && o + n + 2 < len) {
      if (o > 0)
        out[o++] = ',';
      memcpy(out + o, p, n);
      o += n;
      out[o] = '\0';
    }
    p += n;
    if (*p == ',')
      p++;
  }
}

/* The host's cgroup directory SRC onto the entry NAME (made already) of
 * the tmpfs at DIR. */
static int bind_hierarchy(int dir, const char *dest, const char *name, const char *src,
                          berth_error **err) {
  int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  int rc = tree < 0 ? -1 : move_mount(tree, "", dir, name, MOVE_MOUNT_F_EMPTY_PATH);
  if (rc < 0)
    berth_fail_errno(err, "bind \"%s\" on \"%s/%s\"", src, dest, name);
  if (tree >= 0)
    close(tree);
  return rc;
}

/* One hierarchy as the entry `name` of the tmpfs at `dir`, which this
 * init has just mounted: nothing else can have put a symlink in it, so
 * plain *at calls are safe there. The mount flags are applied to the
 * whole tree afterwards (set_tree_flags). */
static int mount_hierarchy(int dir, const char *dest, const mountinfo_entry *e, bool cgroupns,
                           const char *self_cgroup, unsigned long flags, berth_error **err) {
  const char *name = strrchr(e->mount_point, '/') + 1;
  if (mkdirat(dir, name, 0755) < 0)
    return berth_fail_errno(err, "mkdir \"%s/%s\"", dest, name);
  int rc;
  if (cgroupns) {
    int target = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0)
      return berth_fail_errno(err, "open \"%s/%s\"", dest, name);
    bool v2 = strcmp(e->fstype, "cgroup2") == 0;
    char controllers[256];
    controllers_of(e->super_opts, controllers, sizeof(controllers));
    rc = mount_on_fd(e->fstype, target, e->fstype, flags, v2 ? NULL : controllers);
    if (rc < 0)
      berth_fail_errno(err, "mount \"%s\" on \"%s/%s\"", e->fstype, dest, name);
    close(target);
    return rc;
  }
  char src[PATH_MAX];
  if (own_cgroup_source(self_cgroup, e, src, sizeof(src), err) < 0)
    return -1;
  return bind_hierarchy(dir, dest, name, src, err);
}

/* "cpu,cpuacct" mounted together also answers to "cpu" and "cpuacct". */
static void link_comounted(int dir, const char *name) {
  if (strchr(name, ',') == NULL)
    return;
  char copy[256];
  snprintf(copy, sizeof(copy), "%s", name);
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok != NULL;
       tok = strtok_r(NULL, ",", &save))
    if (strchr(tok, '=') == NULL && symlinkat(name, dir, tok) < 0)
      continue; /* an entry the rootfs already has there stays, as with runc */
}

/* The per-mount flags of the cgroup mount, set exactly (as a bind remount
 * sets them) on the tmpfs and every hierarchy in it at once. */
static int set_tree_flags(int dir, const char *dest, unsigned long flags, berth_error **err) {
  struct mount_attr attr = {
      .attr_clr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                  MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR__ATIME,
      .attr_set = (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
                  (flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
                  (flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
                  (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) |
                  (flags & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0) |
                  (flags & MS_NOSYMFOLLOW ? MOUNT_ATTR_NOSYMFOLLOW : 0) |
                  (flags & MS_NOATIME         ? MOUNT_ATTR_NOATIME
                   : flags & MS_STRICTATIME   ? MOUNT_ATTR_STRICTATIME
                                              : MOUNT_ATTR_RELATIME),
  };
  if (mount_setattr(dir, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
    return berth_fail_errno(err, "remount \"%s\"", dest);
  return 0;
}

/* A hierarchy mounted right below /sys/fs/cgroup: those the mount shows. */
static bool is_host_mount_point(const char *mount_point) {
  size_t root_len = strlen(HOST_CGROUP_ROOT);
  return strncmp(mount_point, HOST_CGROUP_ROOT "/", root_len + 1) == 0 &&
         strchr(mount_point + root_len + 1, '/') == NULL;
}

static bool is_host_hierarchy(const mountinfo_entry *e) {
  return (strcmp(e->fstype, "cgroup") == 0 || strcmp(e->fstype, "cgroup2") == 0) &&
         is_host_mount_point(e->mount_point);
}

/* Whether the runtime's directories (rootfs_opts.cgroup) can stand for
 * the lookup: this process sees the runtime's mount table (no mount
 * namespace joined by path), and every hierarchy the runtime found is
 * mounted right below /sys/fs/cgroup (one found first elsewhere may be
 * there too). */
static bool known_dirs_usable(const rootfs_opts *o) {
  const spec_namespace *mnt = spec_find_namespace(o->spec, NS_MOUNT);
  if (o->cgroup == NULL || (mnt != NULL && mnt->path != NULL))
    return false;
  const char *mount_point, *path;
  for (size_t i = 0; cgroup_dir_at(o->cgroup, i, &mount_point, &path); i++)
    if (!is_host_mount_point(mount_point))
      return false;
  return true;
}

/* The binds of the runtime's directories (rootfs_opts.cgroup). */
static int bind_known_dirs(rootfs_ctx *ctx, int dir, const char *dest, berth_error **err) {
  const char *mount_point, *path;
  for (size_t i = 0; cgroup_dir_at(ctx->o->cgroup, i, &mount_point, &path); i++) {
    const char *name = strrchr(mount_point, '/') + 1;
    if (mkdirat(dir, name, 0755) < 0)
      return berth_fail_errno(err, "mkdir \"%s/%s\"", dest, name);
    if (bind_hierarchy(dir, dest, name, path, err) < 0)
      return -1;
    link_comounted(dir, name);
  }
  return 0;
}

static bool has_cgroup_namespace(const spec *s) {
  for (size_t i = 0; i < s->linux.n_namespaces; i++)
    if (s->linux.namespaces[i].type == NS_CGROUP)
      return true;
  return false;
}

/* Every hierarchy below /sys/fs/cgroup, found in /proc/self/mountinfo,
 * with the container's own cgroup in each from /proc/self/cgroup. */
static int mount_found_hierarchies(int dir, const char *dest, bool cgroupns, unsigned long flags,
                                   berth_error **err) {
  mountinfo mi;
  if (mountinfo_read(&mi, err) < 0)
    return -1;
  char *self_cgroup = cgroupns ? NULL : read_self_cgroup();
  int rc = 0;
  for (size_t i = 0; i < mi.n && rc == 0; i++) {
    if (!is_host_hierarchy(&mi.v[i]))
      continue;
    rc = mount_hierarchy(dir, dest, &mi.v[i], cgroupns, self_cgroup, flags, err);
    if (rc == 0)
      link_comounted(dir, strrchr(mi.v[i].mount_point, '/') + 1);
  }
  free(self_cgroup);
  mountinfo_free(&mi);
  return rc;
}

static int mount_v1(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                    berth_error **err) {
  int target = rootfs_target_dir(ctx, m->destination, err);
  if (target < 0)
    return -1;
  char *data = NULL;
  if (mount_labelled_data(ctx->o->mount_label, "mode=755", &data, err) < 0) {
    close(target);
    return -1;
  }
  int rc = mount_on_fd("tmpfs", target, "tmpfs", mo->flags & ~MS_RDONLY, data);
  free(data);
  close(target);
  if (rc < 0)
    return berth_fail_errno(err, "mount \"tmpfs\" on \"%s\"", m->destination);
  /* The tmpfs just mounted there, not the directory beneath it. */
  int dir = pathsafe_open(ctx->root_fd, m->destination, O_PATH | O_DIRECTORY, 0, err);
  if (dir < 0)
    return -1;
  bool cgroupns = has_cgroup_namespace(ctx->o->spec);
  rc = !cgroupns && known_dirs_usable(ctx->o)
           ? bind_known_dirs(ctx, dir, m->destination, err)
           : mount_found_hierarchies(dir, m->destination, cgroupns, mo->flags, err);
  if (rc == 0 && (mo->flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) != 0)
    rc = set_tree_flags(dir, m->destination, mo->flags, err);
  close(dir);
  return rc;
}

int rootfs_mount_cgroup(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                        berth_error **err) {
  if (rootfs_await_cgroup(ctx->o, err) < 0)
    return -1;
  struct statfs sfs;
  if (statfs(HOST_CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_v2(ctx, m, mo, err);
  return mount_v1(ctx, m, mo, err);
}
