/* A container opened for an operation: its state directory locked, its
 * state loaded, its cgroup found. Shared by the lifecycle commands. */
#ifndef BERTH_HANDLE_H
#define BERTH_HANDLE_H

#include "cgroup/cgroup.h"
#include "spec.h"
#include "state.h"

struct handle {
  int dirfd; /* locked */
  container_state *st;
  cgroup *cg;
};

int handle_open(const char *root, const char *id, struct handle *h, berth_error **err);
void handle_close(struct handle *h);
/* Kernel view plus the freezer: created, running, paused or stopped. */
enum container_status handle_status(struct handle *h);
/* The copy of config.json taken at create. */
int handle_load_spec(struct handle *h, spec **out, berth_error **err);
/* Whether `use` (a CONFIG_FOR_* of state.h) needs that copy read: when
 * create found it does, or the state does not say. */
bool handle_config_needed(const struct handle *h, unsigned use);
/* A pidfd of the init, checked against its recorded start time so a
 * recycled pid is never used; -1 with errno ESRCH when it is gone. */
int handle_init_pidfd(struct handle *h);

#endif
