/* Mount helpers beneath the container filesystem setup: mount(2) and
 * open_tree onto a target held as a descriptor, and linux.mountLabel as
 * mount data, as an fsconfig option and in messages. */
#ifndef BERTH_LINUX_MOUNT_FD_H
#define BERTH_LINUX_MOUNT_FD_H

#include <stddef.h>

#include "error.h"

/* mount(2) with the target given as a descriptor (through /proc/self/fd),
 * so the kernel mounts on exactly what was resolved. -1 with errno set. */
int mount_on_fd(const char *source, int target_fd, const char *type, unsigned long flags,
                const char *data);
/* Clones the mount (tree when recursive) at source_fd onto target_fd with
 * open_tree + move_mount; needs no /proc. -1 with errno set. */
int bind_fd_onto_fd(int source_fd, int target_fd, int recursive);

/* Mount data for a filesystem made for the container: `data` (may be
 * NULL) with linux.mountLabel's context= appended when there is a label
 * to apply (mount_label: NULL or "" for none). malloc'd into *out, NULL
 * when there is nothing to pass; -1 with err for a label that cannot be
 * quoted. */
int mount_labelled_data(const char *mount_label, const char *data, char **out,
                        berth_error **err);
/* The same label for a filesystem context from fsopen (mount_label NULL:
 * nothing to set); fsconfig takes an MCS label's commas unquoted. 0, or -1
 * with errno. */
int fsconfig_mount_label(int fs, const char *mount_label);
/* For error messages: ` (with linux.mountLabel "L")`, or "" without one. */
const char *mount_label_note(const char *mount_label, char *buf, size_t len);

#endif
