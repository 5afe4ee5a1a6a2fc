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

int rootfs_take_found(rootfs_ctx *ctx, const char *path, bool want_dir) {
  int found = ctx->found_fd;
  if (found < 0)
    return -1;
  ctx->found_fd = -1;
  if (ctx->found_whole) {
    struct stat st;
    if (!want_dir || (fstat(found, &st) == 0 && S_ISDIR(st.st_mode)))
      return found;
    close(found);
    return -1;
  }
  /* A missing last component: made here, and opened without following,
   * so a symlink that raced in sends the mount the long way. */
  const char *base = strrchr(path, '/') + 1;
  int fd = -1;
  if (want_dir) {
    if (mkdirat(found, base, 0755) == 0 || errno == EEXIST)
      fd = openat(found, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } else {
    int made = openat(found, base,
                      O_CREAT | O_WRONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (made >= 0) {
      close(made);
      fd = openat(found, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  }
  close(found);
  return fd;
}

int rootfs_target_dir(rootfs_ctx *ctx, const char *path, berth_error **err) {
  int fd = rootfs_take_found(ctx, path, true);
  return fd >= 0 ? fd : pathsafe_mkdir_all(ctx->root_fd, path, 0755, err);
}

int rootfs_target_for(rootfs_ctx *ctx, const char *path, bool want_dir, berth_error **err) {
  int fd = rootfs_take_found(ctx, path, want_dir);
  return fd >= 0 ? fd : pathsafe_mount_target(ctx->root_fd, path, want_dir, err);
}
