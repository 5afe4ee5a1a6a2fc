/* config.json as typed C structs (OCI runtime-spec v1.3.0, Linux).
 *
 * spec_load() parses and validates the whole document once; nothing else in
 * berth touches JSON for the config. Optional scalars carry a `set` flag so
 * that "absent" and "zero" stay distinct (oomScoreAdj, memory.swap, ...).
 * Every string is heap-owned by the spec and freed by spec_free(). */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* GNU C modes predefine `linux` as 1, which would rename spec.linux. */
#undef linux

#define BERTH_SPEC_VERSION "1.3.0"

/* A NULL-terminated string vector with its length (v[n] == NULL). */
typedef struct spec_strv {
  char **v;
  size_t n;
} spec_strv;

typedef struct spec_kv {
  char *key;
  char *value;
} spec_kv;

typedef struct spec_kvs {
  spec_kv *v;
  size_t n;
} spec_kvs;

typedef struct opt_i64 {
  bool set;
  int64_t v;
} opt_i64;

typedef struct opt_u64 {
  bool set;
  uint64_t v;
} opt_u64;

typedef struct opt_bool {
  bool set;
  bool v;
} opt_bool;

typedef struct spec_idmap {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
} spec_idmap;

typedef struct spec_idmaps {
  spec_idmap *v;
  size_t n;
} spec_idmaps;

/* ---- process ---- */

/* Capability sets as bitmasks indexed by CAP_* numbers. Names the running
 * kernel/libcap does not know are dropped with a warning (runc behaviour);
 * see spec->warnings. */
typedef struct spec_capabilities {
  bool present; /* process.capabilities was given at all */
  uint64_t bounding, effective, inheritable, permitted, ambient;
} spec_capabilities;

typedef struct spec_rlimit {
  int resource; /* RLIMIT_* */
  char *type;   /* as written, e.g. "RLIMIT_NOFILE" */
  uint64_t soft, hard;
} spec_rlimit;

typedef struct spec_scheduler {
  char *policy; /* SCHED_OTHER, SCHED_FIFO, ... as written */
  int policy_num;
  opt_i64 nice, priority;
  spec_strv flags; /* SCHED_FLAG_* names */
  opt_u64 runtime, deadline, period;
} spec_scheduler;

typedef struct spec_io_priority {
  char *class_name; /* IOPRIO_CLASS_RT | _BE | _IDLE */
  int class_num;
  int priority;
} spec_io_priority;

typedef struct spec_process {
  bool terminal;
  bool has_console_size;
  unsigned console_height, console_width;
  uint32_t uid, gid;
  opt_u64 umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  spec_strv args; /* n >= 1 is validated when a process is required */
  spec_strv env;
  char *cwd; /* absolute; validated */
  spec_capabilities caps;
  spec_rlimit *rlimits;
  size_t n_rlimits; /* duplicates rejected at parse time */
  bool no_new_privileges;
  char *apparmor_profile;
  opt_i64 oom_score_adj;
  char *selinux_label;
  spec_io_priority *io_priority;   /* NULL when absent */
  spec_scheduler *scheduler;       /* NULL when absent */
  char *exec_cpu_affinity_initial; /* cpu list string, NULL when absent */
  char *exec_cpu_affinity_final;
  /* Ignored settings of a process read by spec_load_process(); a process
   * inside config.json reports them in spec->warnings instead. */
  spec_strv warnings;
} spec_process;

/* ---- mounts ---- */

typedef struct spec_mount {
  char *destination; /* absolute inside the container */
  char *source;      /* may be NULL */
  char *type;        /* may be NULL (bind mounts) */
  spec_strv options; /* as written; translated by the mount code */
  spec_idmaps uid_mappings, gid_mappings;
} spec_mount;

/* ---- hooks ---- */

enum spec_hook_kind {
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
  HOOK_KIND_COUNT
};

typedef struct spec_hook {
  char *path; /* absolute; validated */
  spec_strv args;
  spec_strv env;
  opt_i64 timeout; /* seconds, > 0 when set; validated */
} spec_hook;

typedef struct spec_hooks {
  spec_hook *v;
  size_t n;
} spec_hooks;

/* ---- linux ---- */

enum spec_ns_type {
  NS_PID,
  NS_NETWORK,
  NS_MOUNT,
  NS_IPC,
  NS_UTS,
  NS_USER,
  NS_CGROUP,
  NS_TIME,
  NS_TYPE_COUNT
};

typedef struct spec_namespace {
  enum spec_ns_type type;
  int clone_flag; /* CLONE_NEW* */
  char *path;     /* join this namespace when non-NULL */
} spec_namespace;

typedef struct spec_device {
  char type; /* 'c', 'b', 'u' or 'p' */
  char *path;
  int64_t major, minor; /* required for c/b/u, ignored for p */
  opt_u64 file_mode;
  opt_u64 uid, gid;
} spec_device;

typedef struct spec_device_rule {
  bool allow;
  char type; /* 'a', 'c' or 'b'; 'a' when absent */
  opt_i64 major, minor; /* unset means wildcard */
  char *access;          /* subset of "rwm"; NULL means "rwm" */
} spec_device_rule;

typedef struct spec_memory {
  opt_i64 limit, reservation, swap, kernel, kernel_tcp;
  opt_u64 swappiness;
  opt_bool disable_oom_killer, use_hierarchy, check_before_update;
} spec_memory;

typedef struct spec_cpu {
  opt_u64 shares;
  opt_i64 quota;
  opt_u64 burst, period;
  opt_i64 realtime_runtime;
  opt_u64 realtime_period;
  char *cpus, *mems;
  opt_i64 idle;
} spec_cpu;

typedef struct spec_weight_device {
  int64_t major, minor;
  opt_u64 weight, leaf_weight;
} spec_weight_device;

typedef struct spec_throttle_device {
  int64_t major, minor;
  uint64_t rate;
} spec_throttle_device;

typedef struct spec_throttle_list {
  spec_throttle_device *v;
  size_t n;
} spec_throttle_list;

typedef struct spec_blkio {
  opt_u64 weight, leaf_weight;
  spec_weight_device *weight_device;
  size_t n_weight_device;
  spec_throttle_list read_bps, write_bps, read_iops, write_iops;
} spec_blkio;

typedef struct spec_hugepage_limit {
  char *page_size; /* e.g. "2MB" */
  uint64_t limit;
} spec_hugepage_limit;

typedef struct spec_net_priority {
  char *name;
  uint32_t priority;
} spec_net_priority;

typedef struct spec_rdma {
  char *device;
  opt_u64 hca_handles, hca_objects;
} spec_rdma;

typedef struct spec_resources {
  spec_device_rule *devices;
  size_t n_devices;
  spec_memory *memory; /* NULL when absent, likewise below */
  spec_cpu *cpu;
  opt_i64 pids_limit;
  spec_blkio *block_io;
  spec_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  bool has_network;
  opt_u64 net_class_id;
  spec_net_priority *net_priorities;
  size_t n_net_priorities;
  spec_rdma *rdma;
  size_t n_rdma;
  spec_kvs unified;
} spec_resources;

typedef struct spec_seccomp_arg {
  unsigned index;
  uint64_t value, value_two;
  char *op; /* SCMP_CMP_* as written */
} spec_seccomp_arg;

typedef struct spec_seccomp_syscall {
  spec_strv names;
  char *action; /* SCMP_ACT_* as written */
  opt_u64 errno_ret;
  spec_seccomp_arg *args;
  size_t n_args;
} spec_seccomp_syscall;

typedef struct spec_seccomp {
  char *default_action;
  opt_u64 default_errno_ret;
  spec_strv architectures;
  spec_strv flags;
  char *listener_path;
  char *listener_metadata;
  spec_seccomp_syscall *syscalls;
  size_t n_syscalls;
} spec_seccomp;

typedef struct spec_intel_rdt {
  char *clos_id, *l3_cache_schema, *mem_bw_schema;
  spec_strv schemata;
  bool enable_monitoring;
} spec_intel_rdt;

typedef struct spec_memory_policy {
  char *mode; /* MPOL_* */
  char *nodes;
  spec_strv flags;
} spec_memory_policy;

typedef struct spec_personality {
  char *domain; /* LINUX | LINUX32 */
  spec_strv flags;
} spec_personality;

typedef struct spec_time_offset {
  bool set;
  int64_t secs;
  uint32_t nanosecs;
} spec_time_offset;

typedef struct spec_net_device {
  char *host_name;      /* key of linux.netDevices */
  char *container_name; /* .name, or the key when absent */
} spec_net_device;

typedef struct spec_linux {
  spec_namespace *namespaces;
  size_t n_namespaces; /* duplicate types rejected at parse time */
  spec_idmaps uid_mappings, gid_mappings;
  spec_time_offset time_monotonic, time_boottime;
  spec_device *devices;
  size_t n_devices;
  spec_net_device *net_devices;
  size_t n_net_devices;
  char *cgroups_path;
  spec_resources *resources; /* NULL when absent */
  spec_intel_rdt *intel_rdt;
  spec_memory_policy *memory_policy;
  spec_kvs sysctl;
  spec_seccomp *seccomp;
  char *rootfs_propagation; /* as written; validated */
  spec_strv masked_paths, readonly_paths;
  char *mount_label;
  spec_personality *personality;
} spec_linux;

typedef struct spec {
  char *path; /* the file it was read from, for messages */
  char *oci_version;
  char *root_path; /* as written (relative to the bundle or absolute) */
  bool root_readonly;
  spec_mount *mounts;
  size_t n_mounts;
  spec_process *process; /* NULL when absent */
  char *hostname;
  char *domainname;
  spec_hooks hooks[HOOK_KIND_COUNT];
  spec_kvs annotations;
  spec_linux linux; /* zeroed when "linux" is absent */
  spec_strv warnings; /* things ignored, like unknown capabilities */
} spec;

/* Parse and validate `path` (a config.json). On error, *err reads like
 * `config.json:12:18: linux.resources.memory.limit: expected an integer, got a string`. */
int spec_load(const char *path, spec **out, berth_error **err);
/* spec_load that also hands back the bytes it parsed (*text, *len; free
 * *text), so that what is kept of the file is what was validated. */
int spec_load_text(const char *path, spec **out, char **text, size_t *len, berth_error **err);
/* Same for an in-memory document; `name` is used in messages. */
int spec_parse(const char *json, size_t len, const char *name, spec **out, berth_error **err);
/* A lone process object, as `exec --process FILE` takes. */
int spec_load_process(const char *path, spec_process **out, berth_error **err);
void spec_process_free(spec_process *p);
void spec_free(spec *s);

/* Lookup helpers used by the runtime. */
const spec_namespace *spec_find_namespace(const spec *s, enum spec_ns_type type);
const char *spec_ns_type_name(enum spec_ns_type type); /* "pid", "network", ... */
int spec_ns_clone_flag(enum spec_ns_type type);        /* CLONE_NEWPID, ... */
const char *spec_hook_kind_name(enum spec_hook_kind kind); /* "prestart", ... */

#endif
