/* start, kill, delete, state and list: everything after create. Each holds
 * the container's lock for its whole run. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container.h"
#include "hooks.h"
#include "notify.h"
#include "linux/netdev.h"
#include "spec.h"
#include "state.h"
#include "handle.h"
#include "faultpoint.h"

static int signal_init(struct handle *h, int sig, berth_error **err) {
  int fd = handle_init_pidfd(h);
  if (fd < 0)
    return berth_fail(err, 0, "container not running");
  int rc = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
  int saved = errno;
  close(fd);
  if (rc < 0) {
    if (saved == ESRCH)
      return berth_fail(err, 0, "no such process");
    return berth_fail(err, saved, "kill container");
  }
  return 0;
}

/* Wait (bounded) until the init is gone or a zombie. */
static void wait_init_gone(struct handle *h, int timeout_ms) {
  int fd = handle_init_pidfd(h);
  if (fd < 0)
    return;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
    ;
  close(fd);
}

static int poststart(struct handle *h, berth_error **err) {
  if (!handle_config_needed(h, CONFIG_FOR_POSTSTART))
    return 0;
  spec *s = NULL;
  if (handle_load_spec(h, &s, err) < 0)
    return -1;
  int rc = hooks_run_with_state(s, HOOK_POSTSTART, h->st, STATUS_RUNNING, err);
  if (rc < 0) {
    /* Spec 1.3: a failing poststart hook stops the container. */
    berth_error *ignored = NULL;
    signal_init(h, SIGKILL, &ignored);
    berth_error_free(ignored);
  }
  spec_free(s);
  return rc;
}

/* Open the fifo without blocking, then wait for the init's byte while
 * checking that it is still alive, so a dead init cannot hang `start`.
 * After the byte, the init keeps its end open until its execve closes it
 * (O_CLOEXEC): the end of the fifo is the moment the user's program runs,
 * after the startContainer hooks, which poststart must follow. */
static int release_init(struct handle *h, berth_error **err) {
  int fd = openat(h->dirfd, STATE_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno(err, "open exec fifo");
  int rc = -1;
  bool released = false;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) {
      berth_fail_errno(err, "wait on exec fifo");
      break;
    }
    if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
      char c;
      ssize_t n = read(fd, &c, 1);
      if (n == 1) {
        released = true;
        continue;
      }
      if (n == 0 && released) {
        rc = 0;
        break;
      }
      if (n < 0 && errno == EAGAIN)
        continue;
    }
    if (state_process_status(h->dirfd, h->st) == STATUS_STOPPED) {
      if (released) { /* it ran, and is already gone */
        rc = 0;
        break;
      }
      berth_fail(err, 0, "cannot start a container that has stopped");
      break;
    }
  }
  close(fd);
  if (rc == 0 && unlinkat(h->dirfd, STATE_FIFO, 0) < 0)
    return berth_fail_errno(err, "remove exec fifo");
  return rc;
}

static int init_alive(void *arg) {
  struct handle *h = arg;
  return state_process_status(h->dirfd, h->st) != STATUS_STOPPED;
}

static int start_created(const char *root, const char *id, struct handle *h, berth_error **err) {
  char state_dir[4096];
  snprintf(state_dir, sizeof(state_dir), "%s/%s", root, id);
  int notify = notify_listen(h->dirfd, state_dir, err);
  if (notify < 0 && *err != NULL)
    return -1;
  faultpoint("start.opened");
  int rc = release_init(h, err);
  faultpoint("start.released");
  if (rc == 0 && notify >= 0)
    rc = notify_forward(notify, h->st->pid, init_alive, h, err);
  if (notify >= 0)
    close(notify);
  if (rc == 0)
    rc = poststart(h, err);
  faultpoint("start.done");
  return rc;
}

int container_start(const char *root, const char *id, berth_error **err) {
  struct handle h;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  int rc = -1;
  switch (handle_status(&h)) {
  case STATUS_CREATED:
    rc = start_created(root, id, &h, err);
    break;
  case STATUS_STOPPED:
    berth_fail(err, 0, "cannot start a container that has stopped");
    break;
  case STATUS_PAUSED:
    berth_fail(err, 0, "cannot start a paused container");
    break;
  default:
    berth_fail(err, 0, "cannot start an already running container");
    break;
  }
  handle_close(&h);
  return rc;
}

static bool shares_host_pid_ns(struct handle *h) {
  if (!handle_config_needed(h, CONFIG_FOR_KILL))
    return false;
  spec *s = NULL;
  berth_error *e = NULL;
  if (handle_load_spec(h, &s, &e) < 0) {
    berth_error_free(e);
    return false;
  }
  const spec_namespace *ns = spec_find_namespace(s, NS_PID);
  bool shared = ns == NULL;
  spec_free(s);
  return shared;
}

static int kill_locked(struct handle *h, int sig, bool all, berth_error **err) {
  enum container_status s = handle_status(h);
  if (s == STATUS_STOPPED) {
    /* runc: --all only turns "not running" into success. */
    if (all)
      return 0;
    return berth_fail(err, 0, "container not running");
  }
  /* Without its own pid namespace, killing the init leaves the others
   * running: reach every process through the cgroup. */
  if (h->cg != NULL && (all || (sig == SIGKILL && shares_host_pid_ns(h))))
    return cgroup_signal_all(h->cg, sig, err);
  return signal_init(h, sig, err);
}

int container_kill(const char *root, const char *id, int sig, bool all, berth_error **err) {
  struct handle h;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  faultpoint("kill.opened");
  int rc = kill_locked(&h, sig, all, err);
  faultpoint("kill.signalled");
  handle_close(&h);
  return rc;
}

static void run_poststop(struct handle *h) {
  if (!handle_config_needed(h, CONFIG_FOR_POSTSTOP))
    return;
  spec *s = NULL;
  berth_error *e = NULL;
  if (handle_load_spec(h, &s, &e) == 0) {
    if (s->hooks[HOOK_POSTSTOP].n > 0) {
      char *text = state_oci_text(h->st, STATUS_STOPPED);
      hooks_run_poststop(s, text ? text : "{}");
      free(text);
    }
    spec_free(s);
  } else {
    berth_warn("poststop hooks not run: %s", berth_error_text(e));
    berth_error_free(e);
  }
}

static int destroy(const char *root, const char *id, struct handle *h, berth_error **err) {
  faultpoint("delete.stopped");
  if (h->cg != NULL && cgroup_destroy(h->cg, err) < 0)
    return -1;
  faultpoint("delete.cgroup-removed");
  run_poststop(h);
  faultpoint("delete.poststop-done");
  return state_dir_remove(root, id, h->dirfd, err);
}

/* Host interfaces given to the container go home while its network
 * namespace still exists; once it is gone the kernel returns physical
 * devices by itself and destroys virtual ones. */
static void return_net_devices(struct handle *h) {
  if (!handle_config_needed(h, CONFIG_FOR_NET_DEVICES))
    return;
  spec *s = NULL;
  berth_error *e = NULL;
  if (handle_load_spec(h, &s, &e) == 0 && s->linux.n_net_devices > 0 &&
      netdev_move_back(h->st->pid, s->linux.net_devices, s->linux.n_net_devices, &e) < 0)
    berth_warn("linux.netDevices: %s", berth_error_text(e));
  berth_error_free(e);
  spec_free(s);
}

static int kill_everything(struct handle *h, berth_error **err) {
  faultpoint("delete.opened");
  return_net_devices(h);
  int rc = h->cg != NULL ? cgroup_signal_all(h->cg, SIGKILL, err) : signal_init(h, SIGKILL, err);
  if (rc < 0 && handle_status(h) != STATUS_STOPPED)
    return -1;
  berth_error_clear(err);
  faultpoint("delete.signalled");
  wait_init_gone(h, 10000);
  return 0;
}

/* A stopped container may still have processes in its cgroup: an init
 * whose create was killed before it recorded the pid, or children of a
 * dead init that shared the host's pid namespace. */
static int kill_strays(struct handle *h, berth_error **err) {
  pid_t *pids = NULL;
  size_t n = 0;
  if (h->cg == NULL || cgroup_pids(h->cg, &pids, &n, err) < 0 || n == 0) {
    free(pids);
    berth_error_clear(err);
    return 0;
  }
  free(pids);
  return cgroup_signal_all(h->cg, SIGKILL, err);
}

/* A create killed after it made the cgroup but before its first
 * state.json was renamed into place has the cgroup only in cgroup.json
 * (or its temporary file), which state_save writes before state.json. */
static int remove_unrecorded_cgroup(int dirfd, berth_error **err) {
  struct handle h = {.dirfd = dirfd};
  berth_error *e = NULL;
  json_t *record = state_load_cgroup(dirfd, &e);
  if (record == NULL || cgroup_from_json(record, &h.cg, &e) < 0) {
    berth_error_free(e); /* no record: ask the config */
    json_decref(record);
    return 1;
  }
  json_decref(record);
  int rc = kill_strays(&h, err);
  if (rc == 0)
    rc = cgroup_destroy(h.cg, err);
  cgroup_free(h.cg);
  return rc;
}

/* With no readable state (damaged, or a create killed before it recorded
 * the cgroup), the cgroup is found again from the copy of config.json,
 * emptied and removed. Only cgroupfs paths: a systemd unit goes with its
 * processes. Returns 0 when there was nothing (more) to do. */
static int remove_cgroup_of_config(int dirfd, const char *id, berth_error **err) {
  struct handle h = {.dirfd = dirfd};
  spec *s = NULL;
  berth_error *e = NULL;
  if (handle_load_spec(&h, &s, &e) < 0) {
    berth_error_free(e); /* killed before the copy: no cgroup was made */
    return 0;
  }
  const char *path = s->linux.cgroups_path;
  int rc = 0;
  if ((path == NULL || strchr(path, ':') == NULL) && cgroup_reclaim(path, id, &h.cg, &e) == 0 &&
      (rc = kill_strays(&h, err)) == 0)
    rc = cgroup_destroy(h.cg, err);
  berth_error_free(e);
  cgroup_free(h.cg);
  spec_free(s);
  return rc;
}

/* A create killed before it wrote state.json leaves a directory with no
 * state; --force clears it (its init died with the create, by PDEATHSIG).
 * So does a machine crash right after a create on a disk-backed root,
 * which may leave state.json empty (state_save does not fsync): its
 * processes died with the machine. */
static int remove_half_created(const char *root, const char *id, berth_error **err) {
  int dirfd = state_dir_open(root, id, err);
  if (dirfd < 0) {
    berth_error_clear(err);
    return 0;
  }
  int rc = remove_unrecorded_cgroup(dirfd, err);
  if (rc == 1)
    rc = remove_cgroup_of_config(dirfd, id, err);
  if (rc == 0)
    rc = state_dir_remove(root, id, dirfd, err);
  close(dirfd);
  return rc;
}

int container_delete(const char *root, const char *id, bool force, berth_error **err) {
  struct handle h;
  if (handle_open(root, id, &h, err) < 0) {
    if (!force || *err == NULL)
      return -1;
    /* A damaged state.json must not make the container undeletable. */
    if (strcmp((*err)->msg, "container does not exist") != 0)
      berth_warn("delete --force of %s without its state: %s", id, berth_error_text(*err));
    berth_error_clear(err);
    return remove_half_created(root, id, err);
  }
  int rc = 0;
  enum container_status s = handle_status(&h);
  if (s == STATUS_CREATED || ((s == STATUS_RUNNING || s == STATUS_PAUSED) && force)) {
    rc = kill_everything(&h, err);
  } else if (s != STATUS_STOPPED) {
    rc = berth_fail(err, 0, "cannot delete container %s that is not stopped: %s", id,
                    state_status_name(s));
  } else {
    rc = kill_strays(&h, err);
  }
  if (rc == 0)
    rc = destroy(root, id, &h, err);
  handle_close(&h);
  return rc;
}

int container_get_state(const char *root, const char *id, json_t **out, berth_error **err) {
  struct handle h;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  *out = state_oci_json(h.st, handle_status(&h));
  handle_close(&h);
  if (*out == NULL)
    return berth_fail(err, ENOMEM, "encode state");
  return 0;
}
