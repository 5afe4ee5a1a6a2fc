/* Shared between the cgroup driver's files; nothing outside src/lib/cgroup
 * includes this. */
#ifndef BERTH_CGROUP_INTERNAL_H
#define BERTH_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "cgroup.h"

enum cg_layout {
  CG_LAYOUT_V1,     /* only v1 hierarchies */
  CG_LAYOUT_HYBRID, /* v1 hierarchies plus a cgroup2 mount */
  CG_LAYOUT_V2,     /* a single cgroup2 hierarchy */
};

/* One mounted hierarchy, as found on the host. */
typedef struct cg_mount {
  char *mountpoint;
  char *root;        /* the mount's root inside the hierarchy (mountinfo field 4) */
  char *controllers; /* v1: "cpu,cpuacct", "name=systemd"; cgroup2: "" */
  bool unified;      /* a cgroup2 mount */
  char *own;         /* this process's cgroup, relative to mountpoint ("/" at the top) */
} cg_mount;

typedef struct cg_host {
  enum cg_layout layout;
  cg_mount *mounts;
  size_t n_mounts;
} cg_host;

/* The container's directory in one hierarchy. */
typedef struct cg_dir {
  char *mountpoint;
  char *controllers;
  bool unified;
  char *path;     /* absolute directory of the container */
  char **created; /* directories cgroup_create made, outermost first */
  size_t n_created;
} cg_dir;

typedef struct cg_driver cg_driver;

struct cgroup {
  enum cg_layout layout;
  cg_dir *dirs;
  size_t n_dirs;
  int unified_fd;          /* lazily opened for CLONE_INTO_CGROUP; -1 otherwise */
  int *join_fds;           /* per directory, its v1 tasks file open for a child's
                            * cgroup_join_self (-1: a cgroup2 one); see clone.c */
  size_t n_join_fds;
  bool v1_pending;         /* v1 directories planned, made later (cgroup_make_v1) */
  struct cg_mkdir_helper *mkdir_helper; /* making them meanwhile, or NULL */
  const cg_driver *driver; /* chosen once, by cgroup.c */
  void *driver_data;       /* the driver's own, released by its release() */
};

/* A driver decides who makes the container's directories, places its
 * processes in them and removes them: cgroupfs (cgroupfs.c) or systemd
 * (systemd.c). cgroup.c picks one when the cgroup is created or read back
 * from state.json and calls only through this table. A driver uses only
 * the helpers below it (dirs.c, mkdir.c, rmdir.c, apply.c, fsio.c,
 * layout.c, path.c), never cgroup.c or another driver, so a new driver is
 * one more file. The host's layout (v1, v2 or hybrid) is not a driver:
 * every driver meets it through those helpers, which find each
 * controller's directory in whichever hierarchy holds it. */
struct cg_driver {
  /* Also the key of the driver's part of state.json, when it has one. */
  const char *name;
  int (*create)(const char *cgroups_path, const char *id, cgroup **out, berth_error **err);
  /* linux.resources, never NULL here. */
  int (*apply)(cgroup *cg, const spec_resources *res, berth_error **err);
  int (*add_pid)(cgroup *cg, pid_t pid, berth_error **err);
  /* Whether the directories exist yet: a systemd scope's appear with its
   * first pid, which systemd moves in itself. */
  bool (*placed)(const cgroup *cg);
  int (*destroy)(cgroup *cg, berth_error **err);
  /* Frees driver_data (may be NULL). */
  void (*release)(cgroup *cg);
  /* The driver's part of state.json (NULL: it keeps none), and back. */
  json_t *(*state_to_json)(const cgroup *cg);
  int (*state_from_json)(cgroup *cg, json_t *j, berth_error **err);
};

extern const cg_driver cg_driver_cgroupfs;
extern const cg_driver cg_driver_systemd;

/* layout.c */
int cg_host_detect(cg_host *host, berth_error **err);
void cg_host_release(cg_host *host);
const char *cg_layout_name(enum cg_layout layout);
int cg_layout_parse(const char *name, enum cg_layout *out);
/* True when `list` (comma-separated) names `controller`. */
bool cg_list_has(const char *list, const char *controller);

/* path.c */
/* runc's CleanPath: lexical cleanup; a relative path cannot climb out with
 * "..". Returns "" for an empty input. */
char *cg_clean_path(const char *path);
/* Where the container's directory goes in one hierarchy. */
int cg_dir_for_mount(const cg_host *host, const cg_mount *m, const char *inner,
                     char **out, berth_error **err);

/* fsio.c */
int cg_write(const char *dir, const char *file, const char *value, berth_error **err);
/* Like cg_write, but a missing file becomes "<field>: <file> does not exist
 * (<hint>)" and any other failure is prefixed with the field. */
int cg_write_field(const char *dir, const char *file, const char *value, const char *field,
                   const char *hint, berth_error **err);
int cg_read(const char *dir, const char *file, char **out, berth_error **err);
/* The code of a write to `file` (or of a mkdir, for NULL) that the kernel
 * refused with `e`, by what fixes it: the permission to write the cgroup, a
 * cpuset, a memory limit below usage, a value; NULL (the area's code) for
 * anything else (docs/errors.md). */
const char *cg_refused_code(const char *file, int e);
/* Whether PATH is a directory (a cgroup that exists). */
bool cg_is_dir(const char *path);
/* Between polls of the kernel's cgroup state (a freezer, an rmdir). */
void cg_sleep_ms(long ms);
/* Reads a single unsigned decimal value. */
int cg_read_u64(const char *dir, const char *file, uint64_t *out, berth_error **err);
bool cg_file_exists(const char *dir, const char *file);
char *cg_join(const char *dir, const char *file);
/* Hand a locally caught error to the caller's slot; returns -1. */
int cg_error_pass(berth_error **err, berth_error *e);

/* dirs.c: the cgroup's set of directories. */
cgroup *cg_alloc(const cg_driver *driver, enum cg_layout layout, size_t n_dirs);
/* Frees the directories and cg itself; the driver's data must be gone. */
void cg_free(cgroup *cg);
int cg_remember_created(cg_dir *d, const char *path);
/* Lookup in a live cgroup. */
cg_dir *cg_find_v1(cgroup *cg, const char *controller);
cg_dir *cg_find_unified(cgroup *cg);
/* Write pid to cgroup.procs of every directory. */
int cg_dirs_add_pid(cgroup *cg, pid_t pid, berth_error **err);
/* Closes the files clone.c opened for a child's cgroup_join_self. */
void cg_close_join_fds(cgroup *cg);
/* Forgets them, open. */
void cg_forget_join_fds(cgroup *cg);

/* clone.c */
/* The cgroup2 directory open (cached in cg->unified_fd), or -1. */
int cg_open_unified(cgroup *cg);

/* mkdir.c: mkdir -p of d->path below its mountpoint, remembering what it made. */
int cg_make_dirs(cg_dir *d, berth_error **err);
/* The container's own directory was made for us (the mkdir helper) and
 * recorded: what else cg_make_dirs does after its mkdir. */
int cg_fill_made_leaf(cg_dir *d, berth_error **err);

/* mkdir_helper.c: the v1 directories of cg made by a second process while
 * the runtime goes on (nothing started where it cannot be). Wait before
 * reading a result; release waits too, and frees. */
void cg_mkdir_helper_start(cgroup *cg);
void cg_mkdir_helper_wait(cgroup *cg);
bool cg_mkdir_helper_made(const cgroup *cg, size_t i);
void cg_mkdir_helper_release(cgroup *cg);

/* rmdir.c: remove what cg_make_dirs made in every directory (retrying
 * while the kernel says EBUSY), and with `whole_dirs` each container
 * directory and what is below it even when another made it (systemd). */
int cg_remove_dirs(cgroup *cg, bool whole_dirs, berth_error **err);

/* apply.c: linux.resources written to the cgroup files, each group to the
 * hierarchy that holds its controller. */
int cg_apply_files(cgroup *cg, const spec_resources *res, berth_error **err);

/* json.c: the layout and directories in state.json, with the driver's own
 * part (stolen; omitted when NULL) under the key `driver_key`, and back
 * (without the driver, which the caller picks from the keys). */
json_t *cg_state_to_json(const cgroup *cg, const char *driver_key, json_t *driver_state);
int cg_state_from_json(json_t *j, cgroup **out, berth_error **err);

/* apply_v1.c and apply_v2.c: one function per controller group. */
int cg_v1_devices(const char *dir, const spec_resources *res, berth_error **err);
int cg_v1_memory(const char *dir, const spec_memory *mem, berth_error **err);
int cg_v1_cpu(const char *dir, const spec_cpu *cpu, berth_error **err);
int cg_v1_blkio(const char *dir, const spec_blkio *blk, berth_error **err);
int cg_v1_net_cls(const char *dir, const spec_resources *res, berth_error **err);
int cg_v1_net_prio(const char *dir, const spec_resources *res, berth_error **err);

int cg_v2_memory(const char *dir, const spec_memory *mem, berth_error **err);
int cg_v2_cpu(const char *dir, const spec_cpu *cpu, berth_error **err);
int cg_v2_io(const char *dir, const spec_blkio *blk, berth_error **err);
int cg_v2_unified(const char *dir, const spec_kvs *unified, berth_error **err);

/* Shared by both versions (the file names differ only by suffix). */
int cg_cpuset(const char *dir, const spec_cpu *cpu, berth_error **err);
int cg_pids(const char *dir, const opt_i64 *limit, berth_error **err);
int cg_hugetlb(const char *dir, bool v2, const spec_resources *res, berth_error **err);
int cg_rdma(const char *dir, const spec_resources *res, berth_error **err);

/* cpu_weight.c */
/* cgroup v1 cpu.shares -> cgroup v2 cpu.weight, as runc converts it. */
uint64_t cg_shares_to_weight(uint64_t shares);
/* blkio.weight [10..1000] -> io.weight [1..10000]. */
uint64_t cg_blkio_to_io_weight(uint64_t weight);

#endif
