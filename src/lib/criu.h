/* Talking to CRIU through its RPC: `criu swrk 3`, found on PATH, serves
 * requests on a SOCK_SEQPACKET socket at fd 3, one protobuf message per
 * packet (rpc.proto: criu_req / criu_resp).
 *
 * Why the RPC and not the criu command line: only the RPC hands the
 * runtime the pty master of a restored terminal (the "orphan-pts-master"
 * notification carries it as SCM_RIGHTS), and its notifications give the
 * restored init's pid and the moment to run prestart hooks, with no
 * action script in between. The few fields used are encoded here rather
 * than through protobuf-c and CRIU's rpc.proto: Debian stable ships neither
 * libcriu nor rpc.proto, and berth must build without CRIU and find it,
 * any version from 3.17 on (or scripts/install-criu.sh's wrapper), at run
 * time. Protobuf's wire format keeps old and new CRIU compatible with one
 * encoder, since unknown fields are skipped on both sides. */
#ifndef BERTH_CRIU_H
#define BERTH_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "checkpoint.h" /* struct criu_flags */
#include "error.h"

/* criu_req_type */
enum criu_req_type {
  CRIU_REQ_DUMP = 1,
  CRIU_REQ_RESTORE = 2,
  CRIU_REQ_PRE_DUMP = 4,
  CRIU_REQ_NOTIFY = 6,
  CRIU_REQ_FEATURE_CHECK = 9,
  CRIU_REQ_VERSION = 10,
};

/* Field numbers of criu_opts that berth sets. */
enum criu_opt {
  CRIU_OPT_IMAGES_DIR_FD = 1,
  CRIU_OPT_PID = 2,
  CRIU_OPT_LEAVE_RUNNING = 3,
  CRIU_OPT_EXT_UNIX_SK = 4,
  CRIU_OPT_TCP_ESTABLISHED = 5,
  CRIU_OPT_EVASIVE_DEVICES = 6,
  CRIU_OPT_SHELL_JOB = 7,
  CRIU_OPT_FILE_LOCKS = 8,
  CRIU_OPT_LOG_LEVEL = 9,
  CRIU_OPT_LOG_FILE = 10,
  CRIU_OPT_PS = 11, /* criu_page_server_info: address = 1, port = 2 */
  CRIU_OPT_NOTIFY_SCRIPTS = 12,
  CRIU_OPT_ROOT = 13,
  CRIU_OPT_PARENT_IMG = 14,
  CRIU_OPT_TRACK_MEM = 15,
  CRIU_OPT_AUTO_DEDUP = 16,
  CRIU_OPT_WORK_DIR_FD = 17,
  CRIU_OPT_LINK_REMAP = 18,
  CRIU_OPT_EXT_MNT = 23, /* ext_mount_map: key = 1, val = 2 */
  CRIU_OPT_MANAGE_CGROUPS = 24,
  CRIU_OPT_CG_ROOT = 25, /* cgroup_root: ctrl = 1, path = 2 */
  CRIU_OPT_RST_SIBLING = 26,
  CRIU_OPT_INHERIT_FD = 27, /* inherit_fd: key = 1, fd = 2 */
  CRIU_OPT_MANAGE_CGROUPS_MODE = 34,
  CRIU_OPT_EXTERNAL = 37,
  CRIU_OPT_EMPTY_NS = 38,
  CRIU_OPT_JOIN_NS = 39, /* join_namespace: ns = 1, ns_file = 2 */
  CRIU_OPT_FREEZE_CGROUP = 44,
  CRIU_OPT_TCP_SKIP_IN_FLIGHT = 46,
  CRIU_OPT_LAZY_PAGES = 48,
  CRIU_OPT_STATUS_FD = 49,
  CRIU_OPT_ORPHAN_PTS_MASTER = 50,
  CRIU_OPT_CONFIG_FILE = 51,
  CRIU_OPT_LSM_PROFILE = 53,
  CRIU_OPT_LSM_MOUNT_CONTEXT = 63,
  CRIU_OPT_NETWORK_LOCK = 64,
};

/* criu_network_lock_method */
enum criu_network_lock {
  CRIU_NETWORK_LOCK_IPTABLES = 1,
  CRIU_NETWORK_LOCK_NFTABLES = 2,
};

/* criu_cg_mode */
enum criu_cg_mode {
  CRIU_CG_IGNORE = 0,
  CRIU_CG_SOFT = 3,
  CRIU_CG_FULL = 4,
  CRIU_CG_STRICT = 5,
  CRIU_CG_DEFAULT = 6,
};

/* A protobuf message being built. A failed allocation is remembered and
 * reported when the message is sent. */
struct criu_msg {
  uint8_t *p;
  size_t len, cap;
  bool oom;
};

void criu_msg_free(struct criu_msg *m);
void criu_msg_bool(struct criu_msg *m, unsigned field, bool v);
void criu_msg_int(struct criu_msg *m, unsigned field, int64_t v);
void criu_msg_string(struct criu_msg *m, unsigned field, const char *s);
void criu_msg_embed(struct criu_msg *m, unsigned field, const struct criu_msg *sub);
/* A two-string submessage (ext_mount_map, join_namespace, cgroup_root). */
void criu_msg_pair(struct criu_msg *m, unsigned field, const char *a, const char *b);
/* inherit_fd { key, fd } */
void criu_msg_inherit_fd(struct criu_msg *m, const char *key, int fd);

/* What a notification says; fd is -1 unless one came with it (and is the
 * handler's to close). */
struct criu_notify {
  const char *script;
  pid_t pid;
  int fd;
};
typedef int (*criu_notify_fn)(void *ctx, const struct criu_notify *n, berth_error **err);

struct criu_call {
  enum criu_req_type type;
  const struct criu_msg *opts;     /* criu_opts, or NULL */
  const struct criu_msg *features; /* criu_features, for FEATURE_CHECK */
  const int *fds;                  /* passed to criu as fds 4, 5, ... */
  size_t n_fds;
  criu_notify_fn notify;
  void *notify_ctx;
  /* Called once criu runs, before the request is sent (to put criu into
   * the container's cgroup, say). */
  int (*started)(void *ctx, pid_t criu_pid, berth_error **err);
  /* Where CRIU writes its log, for quoting its errors on failure. */
  const char *log_path;
};

struct criu_reply {
  pid_t restored_pid;
  int version; /* major * 10000 + minor * 100 + sublevel */
  bool mem_track, lazy_pages;
};

/* Run one request in a fresh `criu swrk` and wait for it to end. The
 * error names the criu that ran and quotes its log. */
int criu_run(const struct criu_call *c, struct criu_reply *out, berth_error **err);
/* The criu that would run: first "criu" on PATH; *path empty when none. */
void criu_find(char *path, size_t len);
/* The first executable `name` on PATH, as criu's own execvp finds it;
 * *path empty when none. */
void criu_find_tool(const char *name, char *path, size_t len);
/* Ask criu its version; fail unless it is at least `min` (e.g. 31700). */
int criu_check_version(int min, int *version, berth_error **err);

/* ---- pieces shared by checkpoint and restore ---------------------------- */

/* The stdio of the init, saved beside the images, so restore can hand
 * the new caller's stdio to the restored process in their place. */
#define CRIU_DESCRIPTORS_FILE "descriptors.json"

struct spec;
/* What a dump and a restore both ask of CRIU. */
struct criu_shared_opts {
  int image_fd;
  int work_fd;          /* -1: logs go to the image directory */
  const char *log_file; /* "dump.log", "restore.log" */
  const struct criu_flags *flags;
};
/* The options every request starts with: the image and work directories,
 * the log, notifications, cgroups, the network lock, the CRIU
 * configuration file named by the org.criu.config annotation (runc's
 * default file when the annotation is absent, none when it is empty), and
 * the flags both commands take. Fails on a bad mode or namespace name. */
int criu_msg_shared(struct criu_msg *m, const struct spec *s, const struct criu_shared_opts *o,
                    berth_error **err);
/* The key CRIU uses for the external namespace given by path in the spec
 * ("extRootNetNS"), for network and pid. */
const char *criu_ext_ns_key(int clone_flag);

/* Is this spec mount a bind ("bind" type, or a bind/rbind option)? */
struct spec_mount;
bool criu_mount_is_bind(const struct spec_mount *m);
/* A bind mount's source as a host path (relative ones are relative to the
 * bundle); false when the mount is not a bind. */
bool criu_bind_source(const char *bundle, const struct spec_mount *m, char *buf, size_t len);
/* The device nodes create makes in /dev, which are binds of the host's
 * own where mknod is refused. NULL-terminated. */
extern const char *const criu_default_devices[];
/* Restore: each external mount key mapped to a source on this host. */
void criu_restore_mounts(struct criu_msg *m, const struct spec *s, const char *bundle);
/* Restore, once criu sits in the container's cgroup: cgroup_root for each
 * hierarchy, and the v1 cgroup binds of the "cgroup" mount mapped to the
 * container's directories. */
int criu_restore_cgroups(struct criu_msg *m, const struct spec *s, pid_t criu_pid,
                         berth_error **err);
/* CRIU's name for a namespace type in join_ns, NULL when it has none. */
const char *criu_ns_name(int spec_ns_type);

#endif
