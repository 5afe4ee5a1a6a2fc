/* A mount's target as its destination check found it (rootfs_ctx.found_fd):
 * taken as it is, or made in the parent that was found, instead of looked
 * up again; pathsafe's walk where neither will do. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/pathsafe.h"
#include "linux/rootfs_internal.h"

void rootfs_forget_found(rootfs_ctx *ctx) {
  if (ctx->found_fd >= 0)
    close(ctx->found_fd);
  ctx->found_fd = -1;
}

/* The check saw the last component missing; something else is there now:
 * a container sharing the rootfs swapped it in. Following it the long way
 * could carry the mount into /proc, where the check did not look. */
static int raced(const char *path, berth_error **err) {
  return berth_fail_id(err, "BERTH-E-MOUNT-DEST-SYMLINK", 0,
                       "\"%s\" changed while it was being mounted on (a symlink or a file "
                       "appeared where nothing was): refusing to follow it",
                       path);
}

int rootfs_take_found(rootfs_ctx *ctx, const char *path, bool want_dir, berth_error **err) {
  int found = ctx->found_fd;
  if (found < 0)
    return ROOTFS_FOUND_NONE;
  ctx->found_fd = -1;
  if (ctx->found_whole) {
    struct stat st;
    if (!want_dir || (fstat(found, &st) == 0 && S_ISDIR(st.st_mode)))
      return found;
    close(found);
    return ROOTFS_FOUND_NONE;
  }
  /* The last component was missing: made here and opened without
   * following. EEXIST means it appeared since; only a real directory (or
   * a file not a symlink, for a file) that appeared is taken. */
  const char *base = strrchr(path, '/') + 1;
  int fd;
  if (want_dir) {
    if (mkdirat(found, base, 0755) < 0 && errno != EEXIST) {
      close(found);
      return ROOTFS_FOUND_NONE; /* EROFS, EACCES...: the long way says it */
    }
    fd = openat(found, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } else {
    int made = openat(found, base,
                      O_CREAT | O_WRONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (made < 0 && errno != ELOOP) {
      close(found);
      return ROOTFS_FOUND_NONE;
    }
    fd = -1;
    if (made >= 0) {
      close(made);
      fd = openat(found, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  }
  close(found);
  return fd >= 0 ? fd : raced(path, err);
}

int rootfs_target_dir(rootfs_ctx *ctx, const char *path, berth_error **err) {
  int fd = rootfs_take_found(ctx, path, true, err);
  return fd != ROOTFS_FOUND_NONE ? fd : pathsafe_mkdir_all(ctx->root_fd, path, 0755, err);
}

int rootfs_target_for(rootfs_ctx *ctx, const char *path, bool want_dir, berth_error **err) {
  int fd = rootfs_take_found(ctx, path, want_dir, err);
  return fd != ROOTFS_FOUND_NONE ? fd : pathsafe_mount_target(ctx->root_fd, path, want_dir, err);
}
