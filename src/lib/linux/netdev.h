/* linux.netDevices: moving host network interfaces into the container's
 * network namespace and back, with a small rtnetlink client.
 *
 * As runc (>= 1.4) does, a move takes the interface down, moves and renames
 * it in one RTM_NEWLINK (IFLA_NET_NS_FD + IFLA_IFNAME, so a name clash in
 * either namespace cannot strand it half-renamed), re-adds its permanent
 * global-scope addresses (the kernel drops every address on a namespace
 * change; link-local and dynamic ones are not meaningful elsewhere) and sets
 * it up. Routes, neighbours and other link settings are not carried over.
 *
 * Both calls run on the runtime side, in the namespace the devices come
 * from; they reach the container's namespace through /proc/<pid>/ns/net
 * (or a namespace fd) and never run code inside the container. */
#ifndef BERTH_NETDEV_H
#define BERTH_NETDEV_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Move each devs[i].host_name from the caller's network namespace into the
 * one of `container_pid`, renamed to devs[i].container_name. Call after
 * clone, once the child's network namespace exists, before the container
 * process runs user code. On failure the devices already moved are moved
 * back, so nothing is left half done. */
int netdev_move_into(pid_t container_pid, const spec_net_device *devs, size_t n,
                     berth_error **err);

/* Move each device (by container_name) from the namespace of `container_pid`
 * back into the caller's network namespace under its host_name. Call on
 * delete while the namespace still exists: when the last process of a
 * namespace exits, the kernel destroys virtual devices and returns physical
 * ones to the initial namespace on its own. Devices no longer in the
 * container are skipped; every device is tried and the first error is
 * reported. */
int netdev_move_back(pid_t container_pid, const spec_net_device *devs, size_t n,
                     berth_error **err);

/* The same with an open network namespace fd (for a namespace kept alive by
 * a bind mount or a held fd, or a process already gone). */
int netdev_move_into_nsfd(int netns_fd, const spec_net_device *devs, size_t n,
                          berth_error **err);
int netdev_move_back_nsfd(int netns_fd, const spec_net_device *devs, size_t n,
                          berth_error **err);

#endif
