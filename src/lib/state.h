/* <root>/<id>/: state.json, exec.fifo and a private copy of config.json.
 * Operations on one container are serialised by flock on its directory;
 * state.json is replaced atomically (write, rename; see state_save on why
 * without fsync). Whether the
 * container runs is asked of the kernel (pid + start time), never of the
 * file. */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define STATE_FILE "state.json"
#define STATE_FIFO "exec.fifo"
#define STATE_CONFIG "config.json"
#define STATE_CGROUP "cgroup.json"
/* The name (comm) a container's init takes until it executes the
 * container's process: a pid whose name differs has executed it, so its
 * container is running without a look at exec.fifo. */
#define STATE_INIT_COMM "berth:[INIT]"

enum container_status {
  STATUS_CREATING,
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED,
};

/* What later commands read the copy of config.json for, found at create,
 * so that a container needing none of it is started, killed and deleted
 * without parsing its config again. */
enum state_config_use {
  CONFIG_FOR_POSTSTART = 1 << 0,   /* poststart hooks, run by start */
  CONFIG_FOR_POSTSTOP = 1 << 1,    /* poststop hooks, run by delete */
  CONFIG_FOR_NET_DEVICES = 1 << 2, /* linux.netDevices, given back by delete */
  CONFIG_FOR_KILL = 1 << 3,        /* no pid namespace of its own: SIGKILL takes the cgroup */
};

typedef struct container_state {
  char *id;
  pid_t pid;
  uint64_t start_time; /* field 22 of /proc/<pid>/stat at create */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 with nanoseconds, UTC */
  char *owner;
  json_t *annotations; /* object, may be NULL */
  json_t *cgroup;      /* cgroup_to_json(), may be NULL; kept in cgroup.json */
  /* cgroup_freezer_path() at create: "" when there is none, NULL when the
   * state predates it (or has no cgroup) and only the cgroup can tell. */
  char *freezer;
  bool freezer_v2;
  bool no_new_keyring; /* create --no-new-keyring: exec joins no keyring either */
  /* The init bears STATE_INIT_COMM until its execve. False for a restored
   * process and for a state written by a berth that did not name it. */
  bool init_named;
  /* CONFIG_FOR_* bits. False known: a state from before them, for which
   * every later use reads the config. */
  unsigned config_uses;
  bool config_uses_known;
} container_state;

const char *state_status_name(enum container_status s);

/* [A-Za-z0-9_+.-]+, not "." or "..". */
int state_check_id(const char *id, berth_error **err);

/* Make the state directory of a new container and lock it. EEXIST reads
 * "container with given ID already exists". Returns the locked dir fd. */
int state_dir_create(const char *root, const char *id, berth_error **err);
/* Open and lock an existing one; a missing one reads "container does not exist". */
int state_dir_open(const char *root, const char *id, berth_error **err);
/* Remove everything in the directory and the directory itself. */
int state_dir_remove(const char *root, const char *id, int dirfd, berth_error **err);

/* config.json in the state directory: TEXT, the bytes create (or restore)
 * parsed, not the bundle's file read again, which may have changed since. */
int state_keep_config(int dirfd, const char *text, size_t len, berth_error **err);
/* config.json replaced by TEXT (`update` records what it applied there):
 * written beside it, synced, then renamed over it. */
int state_replace_config(int dirfd, const char *text, berth_error **err);

int state_save(int dirfd, const container_state *st, berth_error **err);
/* state.json alone, where cgroup.json beside it is already current. */
int state_save_status(int dirfd, const container_state *st, berth_error **err);
/* state_save (WITH_CGROUP) or state_save_status in two steps: the files
 * written beside their names, then renamed over them. create stages while
 * the init sets itself up, and commits once it is ready. */
int state_stage(int dirfd, const container_state *st, bool with_cgroup, berth_error **err);
int state_commit_staged(int dirfd, const container_state *st, bool with_cgroup,
                        berth_error **err);
int state_load(int dirfd, container_state **out, berth_error **err);
/* state_load without the cgroup (st->cgroup stays NULL unless the state
 * predates cgroup.json): what list reads of every container. */
int state_load_brief(int dirfd, container_state **out, berth_error **err);
/* state_load_brief of container ID under the state root ROOTFD, by one
 * open of its state.json, whose owner it gives too: list's read. */
int state_load_listed(int rootfd, const char *id, container_state **out, uid_t *owner,
                      berth_error **err);
/* The cgroup record alone (cgroup.json), or NULL with *err untouched where
 * none was written: what a create killed before its first state.json
 * leaves to find its cgroup by. */
json_t *state_load_cgroup(int dirfd, berth_error **err);
void container_state_free(container_state *st);

/* The OCI state object (runtime-spec "State") for `state`, hooks and list. */
json_t *state_oci_json(const container_state *st, enum container_status status);

/* state_oci_json as compact text, for hooks and listeners; caller frees. */
char *state_oci_text(const container_state *st, enum container_status status);
/* --pid-file: the host pid, written atomically (temporary file, rename). */
int state_write_pid_file(const char *path, pid_t pid, berth_error **err);

/* Kernel view of the init process: STATUS_STOPPED when it is gone, a
 * zombie, or another process reusing the pid; otherwise CREATED while
 * exec.fifo exists, else RUNNING (at once when the init's name is no
 * longer STATE_INIT_COMM). Pausing is the cgroup's business. */
enum container_status state_process_status(int dirfd, const container_state *st);
/* The same for container ID under the state root ROOTFD, reading /proc
 * through PROCFD (an fd of /proc kept across many calls, or AT_FDCWD). */
enum container_status state_process_status_in(int procfd, int rootfd, const char *id,
                                              const container_state *st);

/* Start time (clock ticks since boot) and state letter of a pid. */
int proc_stat_of(pid_t pid, uint64_t *start_time, char *state_letter);

/* What state_process_status needs of /proc/PID/stat. */
struct proc_stat {
  uint64_t start_time; /* clock ticks since boot */
  char state;          /* R, S, D, Z, ... */
  bool init_comm;      /* the name is STATE_INIT_COMM */
};
/* /proc/PID/stat read through PROCFD (an fd of /proc, or AT_FDCWD). */
int proc_stat_at(int procfd, pid_t pid, struct proc_stat *out);

/* "2026-11-27T19:30:00.123456789Z" (UTC) for ts, or for now; caller frees. */
char *state_timestamp(const struct timespec *ts);
char *state_timestamp_now(void);

/* Ids of every container under root (sorted); root missing means none. */
int state_list_ids(const char *root, char ***ids, size_t *n, berth_error **err);

#endif
