/* Which namespaces a container creates or joins, and the joining itself. */
#ifndef BERTH_NAMESPACES_H
#define BERTH_NAMESPACES_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* CLONE_NEW* flags to pass to clone3: every listed namespace without a
 * path, except cgroup and time, which the child unshares itself once it
 * sits in its cgroup / has written its clock offsets, and ipc when a new
 * user namespace comes too (the child makes it as root there). */
int ns_clone_flags(const spec *s);
/* setns into every namespace given by path, user first, pid excluded (the
 * parent handles pid, which only affects children). */
int ns_join_paths(const spec *s, berth_error **err);
/* The late ones: a new ipc namespace in a new user namespace (call it as
 * root there), a new time namespace with its offsets, then a new cgroup
 * namespace rooted at the container's cgroup. */
int ns_unshare_late(const spec *s, berth_error **err);
/* Parent side of a pid namespace given by path: enter it for children
 * before clone and leave it after. *saved_fd is -1 when nothing was done. */
int ns_enter_pid_for_children(const spec *s, int *saved_fd, berth_error **err);
int ns_restore_pid_for_children(int saved_fd, berth_error **err);
/* Parent side of a new user namespace: write the child's uid_map and
 * gid_map (as root, straight into /proc; multi-range maps need no helper). */
int ns_write_id_maps(pid_t pid, const spec *s, berth_error **err);
/* One of them: `file` is "uid_map" or "gid_map" of /proc/<pid>. */
int ns_write_id_map(pid_t pid, const char *file, const spec_idmaps *m, berth_error **err);
/* Child side, once mapped: become the namespace's root so the rest of the
 * setup runs with its full capabilities. */
int ns_become_userns_root(const spec *s, berth_error **err);
/* A new user namespace must map container root, as runc requires. */
int ns_check_id_maps(const spec *s, berth_error **err);
/* In a new network namespace, bring up "lo" as runc does. */
int ns_loopback_up(const spec *s, berth_error **err);
/* Is this namespace private to the container (created or joined)? */
bool ns_is_private(const spec *s, enum spec_ns_type type);
/* Is it one the container creates (no path to join)? */
bool ns_is_new(const spec *s, enum spec_ns_type type);
/* No user namespace and no namespace joined by path: everything the init
 * is in was made by its clone, and it is root as the runtime is. */
bool ns_all_made_at_clone_without_user(const spec *s);

#endif
