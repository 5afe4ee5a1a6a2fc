/* Paths inside the rootfs are hostile: a container image can put a symlink
 * anywhere. Everything here resolves with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) relative to a root directory fd, and callers act on
 * the returned descriptor (e.g. mount through /proc/self/fd/N or
 * move_mount), never on a string path under the rootfs. */
#ifndef BERTH_PATHSAFE_H
#define BERTH_PATHSAFE_H

#include <sys/types.h>

#include "error.h"

/* Open `path` (absolute or relative, interpreted inside root_fd) with
 * `flags` (O_CLOEXEC is always added). */
int pathsafe_open(int root_fd, const char *path, int flags, mode_t mode, berth_error **err);
/* mkdir -p inside root_fd; returns an O_PATH|O_DIRECTORY fd of the last one. */
int pathsafe_mkdir_all(int root_fd, const char *path, mode_t mode, berth_error **err);
/* Make sure a mount target exists with the right kind (directory when
 * want_dir, else a regular file), creating parents; returns an O_PATH fd. */
int pathsafe_mount_target(int root_fd, const char *path, int want_dir, berth_error **err);
/* "/proc/self/fd/N" for fd into buf (>= 32 bytes). */
const char *pathsafe_fd_path(int fd, char *buf, size_t len);

#endif
