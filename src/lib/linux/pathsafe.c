#include "linux/pathsafe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Symlinks followed while creating directories, as the kernel's own limit. */
#define PATHSAFE_MAX_LINKS 40

static int openat2_in_root(int root_fd, const char *path, int flags, mode_t mode) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  const char *rel = path;
  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    rel = ".";
  for (;;) {
    int fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
    /* EAGAIN: a concurrent rename made the kernel give up; try again. */
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
      return fd;
  }
}

int pathsafe_open(int root_fd, const char *path, int flags, mode_t mode, berth_error **err) {
  int fd = openat2_in_root(root_fd, path, flags, mode);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-ROOTFS-PATH", "open \"%s\"", path);
  return fd;
}

const char *pathsafe_fd_path(int fd, char *buf, size_t len) {
  snprintf(buf, len, "/proc/self/fd/%d", fd);
  return buf;
}

/* Builds "<prefix>/<target>/<rest>" (or "<target>/<rest>" for an absolute
 * target), the path that remains to create after a dangling symlink. The
 * result is resolved again in the root, so ".." keeps its kernel meaning. */
static char *join_link(const char *prefix, size_t prefix_len, const char *target,
                       const char *rest) {
  char *out = NULL;
  int n;
  if (target[0] == '/')
    n = asprintf(&out, "%s/%s", target, rest);
  else
    n = asprintf(&out, "%.*s/%s/%s", (int)prefix_len, prefix, target, rest);
  return n < 0 ? NULL : out;
}

/* Reads the symlink `name` in dir_fd, or returns NULL with errno set when
 * it is not a symlink. */
static char *read_link_at(int dir_fd, const char *name) {
  char buf[PATH_MAX];
  ssize_t n = readlinkat(dir_fd, name, buf, sizeof(buf) - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return strdup(buf);
}

typedef struct walk {
  int root_fd;
  char *path;   /* what is left to make, may be rewritten by symlinks */
  int parent;   /* O_PATH fd of the deepest directory reached */
  int links;
} walk;

/* One step: make sure the component ending at path[end] exists. Returns 1
 * when the path was rewritten (walk restarts), 0 to go on, -1 on error. */
static int walk_step(walk *w, size_t start, size_t end, mode_t mode) {
  char saved = w->path[end];
  w->path[end] = '\0';
  char *name = strndup(w->path + start, end - start);
  int rc = -1;
  if (name == NULL)
    goto out;
  int fd = openat2_in_root(w->root_fd, w->path, O_PATH | O_DIRECTORY, 0);
  if (fd < 0 && errno == ENOENT) {
    if (mkdirat(w->parent, name, mode) < 0 && errno != EEXIST)
      goto out;
    fd = openat2_in_root(w->root_fd, w->path, O_PATH | O_DIRECTORY, 0);
  }
  if (fd >= 0) {
    close(w->parent);
    w->parent = fd;
    rc = 0;
    goto out;
  }
  if (errno != ENOENT)
    goto out;
  /* Still missing after mkdir said it exists: a dangling symlink. */
  char *target = read_link_at(w->parent, name);
  if (target == NULL || ++w->links > PATHSAFE_MAX_LINKS) {
    if (target != NULL)
      errno = ELOOP;
    free(target);
    goto out;
  }
  char *rest = saved ? w->path + end + 1 : "";
  char *joined = join_link(w->path, start, target, rest);
  free(target);
  if (joined == NULL)
    goto out;
  free(w->path);
  w->path = joined;
  close(w->parent);
  w->parent = openat2_in_root(w->root_fd, "/", O_PATH | O_DIRECTORY, 0);
  rc = w->parent < 0 ? -1 : 1;
  free(name);
  return rc;
out:
  free(name);
  w->path[end] = saved;
  return rc;
}

static int walk_all(walk *w, size_t i, mode_t mode) {
  for (;;) {
    while (w->path[i] == '/')
      i++;
    if (w->path[i] == '\0')
      return 0;
    size_t end = i;
    while (w->path[end] != '\0' && w->path[end] != '/')
      end++;
    int rc = walk_step(w, i, end, mode);
    if (rc < 0)
      return -1;
    i = rc == 1 ? 0 : end;
  }
}

/* Where the walk of `path` may start: the offset of its last component
 * when the directory before it exists (*parent: that directory), else 0
 * with the root. Resolving a prefix whole is what the walk's own lookups
 * do one component at a time, in the same root, so the result is the same;
 * a container path is made mostly of directories the image has. */
static size_t walk_start(int root_fd, char *path, int *parent) {
  size_t end = strlen(path);
  while (end > 0 && path[end - 1] == '/')
    end--;
  size_t last = end;
  while (last > 0 && path[last - 1] != '/')
    last--;
  if (last > 0) {
    char saved = path[last];
    path[last] = '\0';
    *parent = openat2_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
    path[last] = saved;
    if (*parent >= 0)
      return last;
  }
  *parent = openat2_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0);
  return 0;
}

int pathsafe_mkdir_all(int root_fd, const char *path, mode_t mode, berth_error **err) {
  /* A mount target that exists already: one lookup. */
  int whole = openat2_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
  if (whole >= 0)
    return whole;
  walk w = {.root_fd = root_fd, .path = strdup(path), .parent = -1};
  if (w.path == NULL)
    return berth_fail(err, ENOMEM, "mkdir \"%s\"", path);
  size_t start = walk_start(root_fd, w.path, &w.parent);
  if (start > 0 && (mkdirat(w.parent, w.path + start, mode) == 0 || errno == EEXIST)) {
    /* Only the last component was missing (or came meanwhile). */
    whole = openat2_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
    if (whole >= 0) {
      close(w.parent);
      free(w.path);
      return whole;
    }
  }
  int rc = w.parent < 0 ? -1 : walk_all(&w, start, mode);
  int saved = errno;
  free(w.path);
  if (rc < 0) {
    if (w.parent >= 0)
      close(w.parent);
    return berth_fail_id(err, "BERTH-E-ROOTFS-PATH", saved, "mkdir \"%s\"", path);
  }
  return w.parent;
}

/* Splits `path` into a freshly allocated parent directory and a pointer to
 * its last component inside `path`. */
static char *split_parent(const char *path, const char **base) {
  const char *end = path + strlen(path);
  while (end > path && end[-1] == '/')
    end--;
  const char *slash = end;
  while (slash > path && slash[-1] != '/')
    slash--;
  *base = slash;
  return strndup(path, (size_t)(slash - path));
}

static int create_file(int root_fd, const char *path, berth_error **err) {
  const char *base;
  char *parent = split_parent(path, &base);
  if (parent == NULL)
    return berth_fail(err, ENOMEM, "create \"%s\"", path);
  int dir_fd = pathsafe_mkdir_all(root_fd, parent, 0755, err);
  free(parent);
  if (dir_fd < 0)
    return -1;
  close(dir_fd);
  /* Through the root again rather than dir_fd, so that a dangling symlink
   * as the last component is followed inside the root. */
  int fd = openat2_in_root(root_fd, path, O_CREAT | O_WRONLY | O_NONBLOCK | O_NOCTTY, 0644);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-ROOTFS-PATH", "create \"%s\"", path);
  close(fd);
  return pathsafe_open(root_fd, path, O_PATH, 0, err);
}

int pathsafe_mount_target(int root_fd, const char *path, int want_dir, berth_error **err) {
  if (want_dir)
    return pathsafe_mkdir_all(root_fd, path, 0755, err);
  int fd = openat2_in_root(root_fd, path, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return berth_fail_errno_id(err, "BERTH-E-ROOTFS-PATH", "open \"%s\"", path);
  return create_file(root_fd, path, err);
}
