#ifndef BERTH_DEVICE_RULES_H
#define BERTH_DEVICE_RULES_H

#include "spec.h"

/* The device cgroup rules a container really gets, as runc builds them:
 * linux.resources.devices in order, then the defaults every container
 * needs (mknod of any node, null, zero, full, random, urandom, tty, ptmx,
 * pts, tun). A default whose path linux.devices redefines is left out, and
 * linux.devices nodes get no rule of their own: the config's rules decide.
 * Returns a heap array the caller frees (strings are borrowed from the
 * spec or static), or NULL when out of memory. */
spec_device_rule *device_rules_effective(const spec *s, size_t *n);

#endif
