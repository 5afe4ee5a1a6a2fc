/* Shared between the cgroup driver's files; nothing outside src/lib/cgroup
 * includes this. */
#ifndef BERTH_CGROUP_INTERNAL_H
#define BERTH_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct cg_systemd; /* systemd.h */

struct cgroup {
  enum cg_layout layout;
  cg_dir *dirs;
  size_t n_dirs;
  int unified_fd; /* lazily opened on pure v2; -1 otherwise */
  struct cg_systemd *systemd; /* the unit, with --systemd-cgroup; NULL otherwise */
};

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
/* Reads a single unsigned decimal value. */
int cg_read_u64(const char *dir, const char *file, uint64_t *out, berth_error **err);
bool cg_file_exists(const char *dir, const char *file);
char *cg_join(const char *dir, const char *file);
/* Hand a locally caught error to the caller's slot; returns -1. */
int cg_error_pass(berth_error **err, berth_error *e);

/* create.c: mkdir -p of d->path below its mountpoint, remembering what it made. */
int cg_make_dirs(cg_dir *d, berth_error **err);

/* apply.c: linux.resources written to the cgroup files (cgroup_apply
 * without the systemd driver's part). */
int cg_apply_files(cgroup *cg, const spec_resources *res, berth_error **err);

/* cgroup.c */
cgroup *cg_alloc(enum cg_layout layout, size_t n_dirs);
int cg_remember_created(cg_dir *d, const char *path);
/* Lookup in a live cgroup. */
cg_dir *cg_find_v1(cgroup *cg, const char *controller);
cg_dir *cg_find_unified(cgroup *cg);

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
