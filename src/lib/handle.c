#include "handle.h"

#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

void handle_close(struct handle *h) {
  if (h->dirfd >= 0)
    close(h->dirfd);
  container_state_free(h->st);
  cgroup_free(h->cg);
}

int handle_open(const char *root, const char *id, struct handle *h, berth_error **err) {
  h->dirfd = -1;
  h->st = NULL;
  h->cg = NULL;
  h->dirfd = state_dir_open(root, id, err);
  if (h->dirfd < 0)
    return -1;
  if (state_load(h->dirfd, &h->st, err) < 0 ||
      (h->st->cgroup && cgroup_from_json(h->st->cgroup, &h->cg, err) < 0)) {
    handle_close(h);
    return -1;
  }
  return 0;
}

enum container_status handle_status(struct handle *h) {
  enum container_status s = state_process_status(h->dirfd, h->st);
  if ((s == STATUS_RUNNING || s == STATUS_CREATED) && h->cg != NULL &&
      cgroup_is_frozen(h->cg, NULL) == 1)
    return STATUS_PAUSED;
  return s;
}

int handle_load_spec(struct handle *h, spec **out, berth_error **err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d/" STATE_CONFIG, h->dirfd);
  if (spec_load(path, out, err) < 0)
    return berth_wrap(err, "load the container's copy of config.json");
  return 0;
}

bool handle_config_needed(const struct handle *h, unsigned use) {
  return !h->st->config_uses_known || (h->st->config_uses & use) != 0;
}

/* A pidfd for the init, checked against the start time recorded at
 * create, so a recycled pid is never signalled. */
int handle_init_pidfd(struct handle *h) {
  int fd = (int)syscall(SYS_pidfd_open, h->st->pid, 0);
  if (fd < 0)
    return -1;
  uint64_t start;
  if (proc_stat_of(h->st->pid, &start, NULL) < 0 || start != h->st->start_time) {
    close(fd);
    errno = ESRCH;
    return -1;
  }
  return fd;
}

