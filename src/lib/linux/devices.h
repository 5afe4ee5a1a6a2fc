/* Device nodes and the standard links in the container's /dev, made inside
 * the rootfs through descriptors (pathsafe). */
#ifndef BERTH_DEVICES_H
#define BERTH_DEVICES_H

#include "error.h"
#include "spec.h"

/* The default devices (null, zero, full, random, urandom, tty), then
 * linux.devices (an entry with the same path replaces a default one),
 * /dev/ptmx -> pts/ptmx, and the fd, stdin, stdout, stderr (and core when
 * the host has /proc/kcore) links. When mknod is not permitted (a user
 * namespace) the host's node is bind-mounted onto an empty file. */
int devices_setup(int root_fd, const spec *s, berth_error **err);

#endif
