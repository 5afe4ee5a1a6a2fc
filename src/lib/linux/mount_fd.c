/* Mounting onto a target held as a descriptor, and linux.mountLabel for
 * the filesystems made for a container: the mount helpers under all of the
 * rootfs setup (rootfs*.c, masked.c, devices.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "linux/mount_fd.h"
#include "linux/pathsafe.h"

int mount_on_fd(const char *source, int target_fd, const char *type, unsigned long flags,
                const char *data) {
  char target[64];
  pathsafe_fd_path(target_fd, target, sizeof(target));
  return mount(source, target, type, flags, data);
}

int bind_fd_onto_fd(int source_fd, int target_fd, int recursive) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
  if (recursive)
    flags |= AT_RECURSIVE;
  int tree = open_tree(source_fd, "", flags);
  if (tree < 0)
    return -1;
  int rc = move_mount(tree, "", target_fd, "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  int saved = errno;
  close(tree);
  errno = saved;
  return rc;
}

int mount_labelled_data(const char *label, const char *data, char **out, berth_error **err) {
  *out = NULL;
  if (label == NULL || *label == '\0') {
    if (data != NULL && (*out = strdup(data)) == NULL)
      return berth_fail(err, ENOMEM, "mount data");
    return 0;
  }
  *out = lsm_mount_data_with_context(data, label);
  if (*out == NULL)
    return berth_fail_id(err, "BERTH-E-MOUNT-LABEL", errno, "linux.mountLabel \"%s\"%s", label,
                         errno == EINVAL ? ": quotes, backslashes and control characters "
                                           "cannot be passed as a mount option" : "");
  return 0;
}

int fsconfig_mount_label(int fs, const char *mount_label) {
  if (mount_label == NULL)
    return 0;
  return fsconfig(fs, FSCONFIG_SET_STRING, "context", mount_label, 0);
}

const char *mount_label_note(const char *mount_label, char *buf, size_t len) {
  if (mount_label == NULL)
    return "";
  snprintf(buf, len, " (with linux.mountLabel \"%s\")", mount_label);
  return buf;
}
