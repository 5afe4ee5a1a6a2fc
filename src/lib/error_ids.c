/* Which stable code an error gets: the one its call site names (a failure
 * a user can cause or fix), else by its text where runc fixes that text
 * and callers match it, else by the source file that made it (its area).
 * Every code here is documented in docs/errors.md (a test checks both
 * ways), and every source file that makes errors must match an area (a
 * unit test checks that none falls through to BERTH-E-INTERNAL). */
#include <string.h>

#include "error.h"

/* Messages runc prints word for word; their text is the contract. */
static const struct {
  const char *prefix;
  const char *id;
} messages[] = {
    {"container does not exist", "BERTH-E-NOT-FOUND"},
    {"container with given ID already exists", "BERTH-E-EXISTS"},
    {"container not running", "BERTH-E-NOT-RUNNING"},
    {"cannot start a", "BERTH-E-BAD-STATUS"},
    {"cannot delete container", "BERTH-E-BAD-STATUS"},
};

/* Paths below src/, first match wins (files before their directory). */
static const struct {
  const char *path;
  const char *id;
} areas[] = {
    {"cli/log.c", "BERTH-E-LOG"},
    {"cli/", "BERTH-E-USAGE"},
    {"lib/spec", "BERTH-E-SPEC"},
    {"lib/validate.c", "BERTH-E-UNSUPPORTED"},
    {"lib/state.c", "BERTH-E-STATE"},
    {"lib/lifecycle.c", "BERTH-E-LIFECYCLE"},
    {"lib/list.c", "BERTH-E-STATE"},
    {"lib/freeze.c", "BERTH-E-LIFECYCLE"},
    {"lib/events.c", "BERTH-E-EVENTS"},
    {"lib/update.c", "BERTH-E-UPDATE"},
    {"lib/create.c", "BERTH-E-CREATE"},
    {"lib/init.c", "BERTH-E-CREATE"},
    {"lib/sync.c", "BERTH-E-SYNC"},
    {"lib/notify.c", "BERTH-E-SYNC"},
    {"lib/exec", "BERTH-E-EXEC"},
    {"lib/process.c", "BERTH-E-PROCESS"},
    {"lib/linux/proc_controls.c", "BERTH-E-PROCESS"},
    {"lib/linux/identity.c", "BERTH-E-PROCESS"},
    {"lib/hooks.c", "BERTH-E-HOOK"},
    {"lib/checkpoint.c", "BERTH-E-CRIU"},
    {"lib/restore.c", "BERTH-E-CRIU"},
    {"lib/criu.c", "BERTH-E-CRIU"},
    {"lib/cgroup/systemd", "BERTH-E-SYSTEMD"},
    {"lib/cgroup/sdbus_dl.c", "BERTH-E-SYSTEMD"},
    {"lib/cgroup/", "BERTH-E-CGROUP"},
    {"lib/container_cgroup.c", "BERTH-E-CGROUP"},
    {"lib/seccomp_forward.c", "BERTH-E-SECCOMP"},
    {"lib/linux/seccomp", "BERTH-E-SECCOMP"},
    {"lib/linux/devices.c", "BERTH-E-DEVICE"},
    {"lib/linux/foreground.c", "BERTH-E-TERMINAL"},
    {"lib/linux/terminal.c", "BERTH-E-TERMINAL"},
    {"lib/linux/idmap.c", "BERTH-E-IDMAP"},
    {"lib/linux/intelrdt.c", "BERTH-E-INTELRDT"},
    {"lib/linux/keyring.c", "BERTH-E-KEYRING"},
    {"lib/linux/lsm.c", "BERTH-E-LSM"},
    {"lib/linux/masked.c", "BERTH-E-MASKED-PATH"},
    {"lib/linux/mount_options.c", "BERTH-E-MOUNT"},
    {"lib/linux/mount_fd.c", "BERTH-E-MOUNT"},
    {"lib/linux/rootfs_", "BERTH-E-MOUNT"},
    {"lib/linux/rootfs.c", "BERTH-E-ROOTFS"},
    {"lib/linux/pathsafe.c", "BERTH-E-ROOTFS"},
    {"lib/linux/namespaces.c", "BERTH-E-NAMESPACE"},
    {"lib/linux/netdev.c", "BERTH-E-NETDEV"},
    {"lib/linux/sysctl.c", "BERTH-E-SYSCTL"},
    {"lib/linux/unixsock.c", "BERTH-E-SOCKET"},
};

/* The codes call sites name (berth_fail_id, berth_fail_errno_id,
 * sj_fail_id, sj_code, berth_recode), grouped as in docs/errors.md. The
 * call site spells the code itself, so that searching the source for a
 * code finds where it is made; this list only lets berth_error_id_known
 * map a code the init sent back over the sync socket to its static
 * string. A unit test checks that it holds every code of the source. */
static const char *const named[] = {
    /* bundle, config.json, ids and state */
    "BERTH-E-BUNDLE-MISSING",
    "BERTH-E-SPEC-MISSING",
    "BERTH-E-SPEC-READ",
    "BERTH-E-SPEC-JSON",
    "BERTH-E-SPEC-SCHEMA",
    "BERTH-E-SPEC-UNSUPPORTED",
    "BERTH-E-STATE-BAD-ID",
    "BERTH-E-STATE-ROOT",
    "BERTH-E-STATE-CORRUPT",
    "BERTH-E-STATE-PID-FILE",
    /* rootfs, mounts, idmapped mounts, devices */
    "BERTH-E-ROOTFS-MISSING",
    "BERTH-E-ROOTFS-NOT-DIR",
    "BERTH-E-ROOTFS-PATH",
    "BERTH-E-ROOTFS-PIVOT",
    "BERTH-E-ROOTFS-PROPAGATION",
    "BERTH-E-ROOTFS-READONLY",
    "BERTH-E-MOUNT-SOURCE",
    "BERTH-E-MOUNT-BIND",
    "BERTH-E-MOUNT-FILESYSTEM",
    "BERTH-E-MOUNT-REMOUNT",
    "BERTH-E-MOUNT-OPTION",
    "BERTH-E-MOUNT-TYPE",
    "BERTH-E-MOUNT-DEST-SYMLINK",
    "BERTH-E-MOUNT-PROC",
    "BERTH-E-MOUNT-PROPAGATION",
    "BERTH-E-MOUNT-LABEL",
    "BERTH-E-IDMAP-UNSUPPORTED",
    "BERTH-E-IDMAP-NOT-BIND",
    "BERTH-E-IDMAP-ROOTLESS",
    "BERTH-E-IDMAP-MAPPINGS",
    "BERTH-E-IDMAP-USERNS",
    "BERTH-E-DEVICE-MKNOD",
    "BERTH-E-DEVICE-BIND",
    /* cgroups and the systemd driver */
    "BERTH-E-CGROUP-PATH",
    "BERTH-E-CGROUP-NO-HIERARCHY",
    "BERTH-E-CGROUP-CONTROLLER",
    "BERTH-E-CGROUP-PERMISSION",
    "BERTH-E-CGROUP-VALUE",
    "BERTH-E-CGROUP-CPUSET",
    "BERTH-E-CGROUP-MEMORY-USAGE",
    "BERTH-E-CGROUP-SWAP",
    "BERTH-E-CGROUP-UNIFIED",
    "BERTH-E-CGROUP-DEVICE-RULE",
    "BERTH-E-CGROUP-DEVICE-FILTER",
    "BERTH-E-CGROUP-REMOVE",
    "BERTH-E-EXEC-CGROUP",
    "BERTH-E-SYSTEMD-PATH",
    "BERTH-E-SYSTEMD-LIBRARY",
    "BERTH-E-SYSTEMD-BUS",
    "BERTH-E-SYSTEMD-UNIT-EXISTS",
    "BERTH-E-SYSTEMD-REFUSED",
    "BERTH-E-SYSTEMD-JOB",
    "BERTH-E-SYSTEMD-PROPERTY",
    /* the container's process */
    "BERTH-E-PROCESS-NOT-FOUND",
    "BERTH-E-PROCESS-EXEC",
    "BERTH-E-PROCESS-CWD",
    "BERTH-E-PROCESS-USER",
    "BERTH-E-PROCESS-CAPS",
    "BERTH-E-PROCESS-RLIMIT",
    "BERTH-E-PROCESS-SCHEDULER",
    "BERTH-E-PROCESS-IOPRIO",
    "BERTH-E-PROCESS-CPU-AFFINITY",
    "BERTH-E-PROCESS-PERSONALITY",
    "BERTH-E-PROCESS-MEMORY-POLICY",
    "BERTH-E-PROCESS-OOM-SCORE",
    /* hooks */
    "BERTH-E-HOOK-PATH",
    "BERTH-E-HOOK-EXEC",
    "BERTH-E-HOOK-FAILED",
    "BERTH-E-HOOK-TIMEOUT",
    /* seccomp */
    "BERTH-E-SECCOMP-ACTION",
    "BERTH-E-SECCOMP-ARCH",
    "BERTH-E-SECCOMP-SYSCALL",
    "BERTH-E-SECCOMP-ARG",
    "BERTH-E-SECCOMP-FLAG",
    "BERTH-E-SECCOMP-LISTENER",
    "BERTH-E-SECCOMP-TOO-LARGE",
    "BERTH-E-SECCOMP-LOAD",
    /* namespaces and user namespaces */
    "BERTH-E-NAMESPACE-TYPE",
    "BERTH-E-NAMESPACE-NEEDED",
    "BERTH-E-NAMESPACE-PATH",
    "BERTH-E-NAMESPACE-JOIN",
    "BERTH-E-NAMESPACE-CREATE",
    "BERTH-E-NAMESPACE-TIME-OFFSET",
    "BERTH-E-USERNS-NO-ROOT",
    "BERTH-E-USERNS-MAP",
    "BERTH-E-USERNS-HELPER-MISSING",
    "BERTH-E-USERNS-HELPER-FAILED",
    /* sysctl */
    "BERTH-E-SYSCTL-KEY",
    "BERTH-E-SYSCTL-NOT-ALLOWED",
    "BERTH-E-SYSCTL-NOT-NAMESPACED",
    "BERTH-E-SYSCTL-WRITE",
    /* the container's init, exec */
    "BERTH-E-SYNC-INIT-EXITED",
    "BERTH-E-EXEC-STOPPED",
    "BERTH-E-EXEC-PAUSED",
    "BERTH-E-EXEC-PROCESS",
    "BERTH-E-EXEC-OPTION",
    "BERTH-E-EXEC-JOIN",
    /* checkpoint and restore */
    "BERTH-E-CRIU-MISSING",
    "BERTH-E-CRIU-VERSION",
    "BERTH-E-CRIU-FEATURE",
    "BERTH-E-CRIU-OPTION",
    "BERTH-E-CRIU-IMAGE",
    "BERTH-E-CRIU-DUMP",
    "BERTH-E-CRIU-RESTORE",
    /* terminal, sockets, LSMs, keyring, Intel RDT, network devices */
    "BERTH-E-TERMINAL-NO-SOCKET",
    "BERTH-E-TERMINAL-SOCKET-UNUSED",
    "BERTH-E-TERMINAL-PTY",
    "BERTH-E-SOCKET-CONNECT",
    "BERTH-E-LSM-DISABLED",
    "BERTH-E-LSM-PROFILE",
    "BERTH-E-KEYRING-JOIN",
    "BERTH-E-INTELRDT-UNSUPPORTED",
    "BERTH-E-INTELRDT-CLOSID",
    "BERTH-E-INTELRDT-SCHEMA",
    "BERTH-E-NETDEV-MOVE",
};

/* "../src/lib/x.c", "./src/lib/x.c", "/abs/src/lib/x.c" -> "lib/x.c". */
static const char *below_src(const char *file) {
  const char *found = NULL;
  for (const char *p = file; (p = strstr(p, "src/")) != NULL; p++)
    if (strncmp(p + 4, "lib/", 4) == 0 || strncmp(p + 4, "cli/", 4) == 0)
      found = p + 4;
  return found;
}

const char *berth_error_id_for(const char *file, const char *msg) {
  for (size_t i = 0; msg != NULL && i < sizeof(messages) / sizeof(messages[0]); i++)
    if (strncmp(msg, messages[i].prefix, strlen(messages[i].prefix)) == 0)
      return messages[i].id;
  const char *rel = file != NULL ? below_src(file) : NULL;
  for (size_t i = 0; rel != NULL && i < sizeof(areas) / sizeof(areas[0]); i++)
    if (strncmp(rel, areas[i].path, strlen(areas[i].path)) == 0)
      return areas[i].id;
  return "BERTH-E-INTERNAL";
}

const char *berth_error_id_known(const char *id) {
  for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
    if (strcmp(id, messages[i].id) == 0)
      return messages[i].id;
  for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
    if (strcmp(id, areas[i].id) == 0)
      return areas[i].id;
  for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
    if (strcmp(id, named[i]) == 0)
      return named[i];
  return strcmp(id, "BERTH-E-INTERNAL") == 0 ? "BERTH-E-INTERNAL" : NULL;
}
