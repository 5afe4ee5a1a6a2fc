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
#include <sys/statfs.h>
#include <unistd.h>

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

/* Binds the container's own cgroup of hierarchy `e` onto `dest`. */
static int bind_own_cgroup(rootfs_ctx *ctx, const char *self_cgroup, const mountinfo_entry *e,
                           const char *dest, int target, unsigned long flags, berth_error **err) {
  char *own = own_cgroup_path(self_cgroup, e);
  if (own == NULL)
    return berth_fail(err, ENOENT, "find the container's cgroup for \"%s\"", e->mount_point);
  size_t root_len = strcmp(e->root, "/") == 0 ? 0 : strlen(e->root);
  const char *rel = strncmp(own, e->root, root_len) == 0 ? own + root_len : own;
  char src[PATH_MAX];
  snprintf(src, sizeof(src), "%s%s", e->mount_point, rel);
  free(own);
  if (mount_on_fd(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_errno(err, "bind \"%s\" on \"%s\"", src, dest);
  return remount_flags(ctx, dest, flags, err);
}

static int mount_v2(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                    berth_error **err) {
  int target = pathsafe_mkdir_all(ctx->root_fd, m->destination, 0755, err);
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

static int mount_hierarchy(rootfs_ctx *ctx, const char *dest, const mountinfo_entry *e,
                           bool cgroupns, const char *self_cgroup, unsigned long flags,
                           berth_error **err) {
  const char *name = strrchr(e->mount_point, '/') + 1;
  char sub[PATH_MAX];
  snprintf(sub, sizeof(sub), "%s/%s", dest, name);
  int target = pathsafe_mkdir_all(ctx->root_fd, sub, 0755, err);
  if (target < 0)
    return -1;
  int rc;
  bool v2 = strcmp(e->fstype, "cgroup2") == 0;
  if (cgroupns) {
    char controllers[256];
    controllers_of(e->super_opts, controllers, sizeof(controllers));
    rc = mount_on_fd(e->fstype, target, e->fstype, flags, v2 ? NULL : controllers);
    if (rc < 0)
      berth_fail_errno(err, "mount \"%s\" on \"%s\"", e->fstype, sub);
  } else {
    rc = bind_own_cgroup(ctx, self_cgroup, e, sub, target, flags, err);
  }
  close(target);
  return rc;
}

/* "cpu,cpuacct" mounted together also answers to "cpu" and "cpuacct". */
static void link_comounted(rootfs_ctx *ctx, const char *dest, const char *name) {
  if (strchr(name, ',') == NULL)
    return;
  berth_error *ignored = NULL;
  int dir = pathsafe_open(ctx->root_fd, dest, O_PATH | O_DIRECTORY, 0, &ignored);
  berth_error_free(ignored);
  if (dir < 0)
    return;
  char copy[256];
  snprintf(copy, sizeof(copy), "%s", name);
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok != NULL;
       tok = strtok_r(NULL, ",", &save))
    if (strchr(tok, '=') == NULL && symlinkat(name, dir, tok) < 0)
      continue; /* an entry the rootfs already has there stays, as with runc */
  close(dir);
}

static bool is_host_hierarchy(const mountinfo_entry *e) {
  if (strcmp(e->fstype, "cgroup") != 0 && strcmp(e->fstype, "cgroup2") != 0)
    return false;
  size_t root_len = strlen(HOST_CGROUP_ROOT);
  return strncmp(e->mount_point, HOST_CGROUP_ROOT "/", root_len + 1) == 0 &&
         strchr(e->mount_point + root_len + 1, '/') == NULL;
}

static bool has_cgroup_namespace(const spec *s) {
  for (size_t i = 0; i < s->linux.n_namespaces; i++)
    if (s->linux.namespaces[i].type == NS_CGROUP)
      return true;
  return false;
}

static int mount_v1(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                    berth_error **err) {
  int target = pathsafe_mkdir_all(ctx->root_fd, m->destination, 0755, err);
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
  mountinfo mi;
  if (mountinfo_read(&mi, err) < 0)
    return -1;
  bool cgroupns = has_cgroup_namespace(ctx->o->spec);
  char *self_cgroup = cgroupns ? NULL : read_self_cgroup();
  for (size_t i = 0; i < mi.n && rc == 0; i++) {
    if (!is_host_hierarchy(&mi.v[i]))
      continue;
    rc = mount_hierarchy(ctx, m->destination, &mi.v[i], cgroupns, self_cgroup, mo->flags, err);
    if (rc == 0)
      link_comounted(ctx, m->destination, strrchr(mi.v[i].mount_point, '/') + 1);
  }
  free(self_cgroup);
  mountinfo_free(&mi);
  if (rc == 0 && (mo->flags & MS_RDONLY))
    rc = remount_flags(ctx, m->destination, mo->flags, err);
  return rc;
}

int rootfs_mount_cgroup(rootfs_ctx *ctx, const spec_mount *m, const mount_options *mo,
                        berth_error **err) {
  struct statfs sfs;
  if (statfs(HOST_CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_v2(ctx, m, mo, err);
  return mount_v1(ctx, m, mo, err);
}
