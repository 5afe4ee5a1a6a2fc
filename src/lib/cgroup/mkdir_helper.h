/* A second process that makes the container's v1 cgroup directories while
 * the runtime goes on (mkdir_helper.c); only the cgroup code includes this. */
#ifndef BERTH_CGROUP_MKDIR_HELPER_H
#define BERTH_CGROUP_MKDIR_HELPER_H

#include <sys/types.h>

#define CG_MKDIR_HELPER_MAX 32
#define CG_MKDIR_NOT_TRIED 1

struct cg_mkdir_batch {
  pid_t parent;                           /* the runtime, to notice its end */
  unsigned n;
  const char *path[CG_MKDIR_HELPER_MAX];  /* the runtime's strings, shared;
                                           * NULL: a cgroup2 slot, skipped */
  int result[CG_MKDIR_HELPER_MAX];        /* 0, -errno, or CG_MKDIR_NOT_TRIED */
};

/* The helper's whole life: mkdir each path, store each result. */
int cg_mkdir_helper_main(void *arg);

#endif
