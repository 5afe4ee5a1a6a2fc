/* AppArmor and SELinux labels for the container process, written through
 * a procfs the container cannot have tampered with.
 *
 * A label is applied by writing to /proc/thread-self/attr/...; a write that
 * lands anywhere else silently leaves the process unconfined. A container
 * image or an earlier mount could put a fake /proc, or a bind mount over
 * /proc/self/attr, in the way (CVE-2019-16884, CVE-2025-52881). So the
 * writes go through a private procfs instance (fsopen + fsmount, attached
 * nowhere), walk with openat2 refusing symlinks, magic links and mount
 * crossings, and check that the file opened really is on procfs.
 *
 * The *_enabled checks read the runtime's /sys: call them on the runtime
 * side or in init before pivot_root (validate time), not after it. */
#ifndef BERTH_LSM_H
#define BERTH_LSM_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* A directory fd of a procfs root that no mount in any namespace can
 * shadow: a fresh detached procfs instance (its pid view is the caller's
 * pid namespace), or, where the kernel lacks the new mount API, "/proc"
 * checked to be a procfs mount root. The walk below also refuses mount
 * crossings, which is what protects the fallback against bind mounts
 * inside /proc. O_CLOEXEC; the caller closes it. */
int lsm_open_trusted_proc(berth_error **err);
/* The fallback on its own (exposed for tests). */
int lsm_open_proc_mount(const char *path, berth_error **err);

/* Whether the host has the LSM on: asked on the first call and then
 * remembered for the process, so call them once before entering the
 * container (create's validation and exec's checks do). */
bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* process.apparmorProfile: "exec <profile>" to attr/apparmor/exec (or the
 * older attr/exec) of the calling thread, so the profile applies at the
 * next execve. It runs inside the container, so it does not ask whether
 * AppArmor is on (the container's /sys would answer): callers refuse a
 * profile on a host without AppArmor beforehand, on the host's /sys. A
 * profile that is not loaded fails with ENOENT, saying so. */
int lsm_apply_apparmor(int procfd, const char *profile, berth_error **err);

/* process.selinuxLabel: the label for the next execve (attr/exec) and for
 * keyrings the process creates (attr/keycreate; set it before joining or
 * creating the session keyring). A clear error when SELinux is not
 * enabled. */
int lsm_apply_selinux_exec_label(int procfd, const char *label, berth_error **err);
int lsm_apply_selinux_keyring_label(int procfd, const char *label, berth_error **err);

/* linux.mountLabel as mount data: `context="<label>"` (quoted because MCS
 * labels contain commas), malloc'd. NULL with errno 0 for a NULL or empty
 * label (nothing to add), EINVAL for a label that cannot be quoted,
 * ENOMEM. */
char *lsm_mount_context_option(const char *mount_label);
/* `data` (mount(2) options, may be NULL or empty) with that context=
 * option appended; NULL and errno as above. */
char *lsm_mount_data_with_context(const char *data, const char *mount_label);

/* The writes themselves, relative to a task directory fd (what
 * thread-self resolves to; see lsm_open_thread_self): the file is opened
 * without following symlinks or crossing mounts and, with
 * `require_procfs`, must be on procfs. Tests pass false to read the bytes
 * back from an ordinary directory. `attr` is "exec" or "keycreate". */
int lsm_apparmor_write_at(int task_dir, const char *profile, bool require_procfs,
                          berth_error **err);
int lsm_selinux_write_at(int task_dir, const char *attr, const char *label,
                         bool require_procfs, berth_error **err);
/* The calling thread's directory in a procfs root from
 * lsm_open_trusted_proc (an O_PATH fd). */
int lsm_open_thread_self(int procfd, berth_error **err);

#endif
