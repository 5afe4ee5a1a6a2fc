/* The processes in a container's cgroup: listing, freezing, signalling. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"

/* How long a freeze may take before we give up and thaw again. */
#define CG_FREEZE_TIMEOUT_MS 2000
#define CG_FREEZE_POLL_MS 1

typedef struct pid_list {
  pid_t *v;
  size_t n, cap;
} pid_list;

static int pid_list_add(pid_list *l, pid_t pid) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    pid_t *grown = realloc(l->v, cap * sizeof(*grown));
    if (grown == NULL)
      return -1;
    l->v = grown;
    l->cap = cap;
  }
  l->v[l->n++] = pid;
  return 0;
}

/* cgroup.procs of dir and of every cgroup below it (containers may nest). */
static int collect_pids(const char *dir, pid_list *l, berth_error **err) {
  char *text = NULL;
  berth_error *read_err = NULL;
  if (cg_read(dir, "cgroup.procs", &text, &read_err) < 0) {
    /* A nested cgroup removed while we walk holds no processes. */
    int code = read_err ? read_err->code : 0;
    if (code == ENOENT) {
      berth_error_free(read_err);
      return 0;
    }
    return cg_error_pass(err, read_err);
  }
  int rc = 0;
  for (char *p = text; rc == 0 && *p;) {
    char *end = NULL;
    long v = strtol(p, &end, 10);
    if (end == p)
      break;
    if (v > 0 && pid_list_add(l, (pid_t)v) < 0)
      rc = berth_fail(err, ENOMEM, "read \"%s/cgroup.procs\"", dir);
    p = end + strspn(end, "\n");
  }
  free(text);
  DIR *d = rc == 0 ? opendir(dir) : NULL;
  struct dirent *e;
  while (d != NULL && rc == 0 && (e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char *child = cg_join(dir, e->d_name);
    rc = child ? collect_pids(child, l, err) : berth_fail(err, ENOMEM, "list \"%s\"", dir);
    free(child);
  }
  if (d != NULL)
    closedir(d);
  return rc;
}

/* Any v1 hierarchy lists the same tasks; prefer the ones a container is
 * least likely to be missing from. */
static cg_dir *procs_dir(cgroup *cg) {
  if (cg->layout == CG_LAYOUT_V2)
    return cg_find_unified(cg);
  static const char *const prefer[] = {"pids", "freezer", "devices", "memory", "cpu"};
  for (size_t i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++) {
    cg_dir *d = cg_find_v1(cg, prefer[i]);
    if (d != NULL)
      return d;
  }
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (!cg->dirs[i].unified)
      return &cg->dirs[i];
  return NULL;
}

int cgroup_pids(cgroup *cg, pid_t **pids, size_t *n, berth_error **err) {
  cg_dir *d = procs_dir(cg);
  if (d == NULL)
    return berth_fail(err, ENOENT, "list cgroup processes: no cgroup directory");
  pid_list l = {0};
  if (collect_pids(d->path, &l, err) < 0) {
    free(l.v);
    return -1;
  }
  *pids = l.v;
  *n = l.n;
  return 0;
}

/* Where the freezer lives: the v1 freezer hierarchy, else cgroup2. */
static cg_dir *freezer_dir(cgroup *cg, bool *v2) {
  cg_dir *d = cg->layout == CG_LAYOUT_V2 ? NULL : cg_find_v1(cg, "freezer");
  *v2 = d == NULL;
  if (d == NULL) {
    d = cg_find_unified(cg);
    if (d != NULL && !cg_file_exists(d->path, "cgroup.freeze"))
      d = NULL;
  }
  return d;
}

/* 1 when the freezer reports the wanted state, 0 not yet, -1 error. */
static const char *freezer_file(bool v2) {
  return v2 ? "cgroup.events" : "freezer.state";
}

/* Whether the text of freezer_file says FROZEN (or, without it, thawed). */
static bool freezer_text_reached(const char *text, bool v2, bool frozen) {
  bool is_frozen;
  if (v2) {
    const char *line = strstr(text, "frozen ");
    is_frozen = line != NULL && line[7] == '1';
  } else {
    is_frozen = strncmp(text, "FROZEN", 6) == 0;
  }
  bool thawed = v2 ? !is_frozen : strncmp(text, "THAWED", 6) == 0;
  return frozen ? is_frozen : thawed;
}

static int freezer_reached(const char *dir, bool v2, bool frozen, berth_error **err) {
  char *text = NULL;
  if (cg_read(dir, freezer_file(v2), &text, err) < 0)
    return -1;
  bool reached = freezer_text_reached(text, v2, frozen);
  free(text);
  return reached;
}

static int set_freezer(const char *dir, bool v2, bool frozen, berth_error **err) {
  const char *file = v2 ? "cgroup.freeze" : "freezer.state";
  const char *value = v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
  for (int waited = 0; waited <= CG_FREEZE_TIMEOUT_MS; waited += CG_FREEZE_POLL_MS) {
    /* v1 can stall in FREEZING when a task forks at the wrong moment;
     * writing FROZEN again restarts the attempt. */
    if (waited % 100 == 0 && cg_write(dir, file, value, err) < 0)
      return -1;
    int r = freezer_reached(dir, v2, frozen, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
    cg_sleep_ms(CG_FREEZE_POLL_MS);
  }
  return berth_fail(err, ETIMEDOUT, "%s \"%s\"", frozen ? "freeze" : "thaw", dir);
}

int cgroup_freeze(cgroup *cg, bool frozen, berth_error **err) {
  bool v2;
  cg_dir *d = freezer_dir(cg, &v2);
  if (d == NULL)
    return berth_fail_id(err, "BERTH-E-CGROUP-CONTROLLER", ENOTSUP,
                         "%s: the freezer cgroup controller is not mounted",
                         frozen ? "pause" : "resume");
  if (set_freezer(d->path, v2, frozen, err) == 0)
    return 0;
  if (frozen) {
    berth_error *ignored = NULL;
    set_freezer(d->path, v2, false, &ignored);
    berth_error_free(ignored);
  }
  return -1;
}

int cgroup_is_frozen(cgroup *cg, berth_error **err) {
  bool v2;
  cg_dir *d = freezer_dir(cg, &v2);
  if (d == NULL)
    return 0;
  return freezer_reached(d->path, v2, true, err);
}

const char *cgroup_freezer_path(cgroup *cg, bool *v2) {
  cg_dir *d = freezer_dir(cg, v2);
  return d != NULL ? d->path : NULL;
}

int cgroup_dir_is_frozen(const char *dir, bool v2, berth_error **err) {
  return freezer_reached(dir, v2, true, err);
}

int cgroup_dir_is_frozen_cached(struct cgroup_dir_cache *c, const char *dir, bool v2) {
  const char *slash = strrchr(dir, '/');
  if (slash == NULL || slash == dir)
    return cgroup_dir_is_frozen(dir, v2, NULL);
  size_t parent_len = (size_t)(slash - dir);
  if (c->parent == NULL || strlen(c->parent) != parent_len ||
      strncmp(c->parent, dir, parent_len) != 0) {
    cgroup_dir_cache_close(c);
    c->parent = strndup(dir, parent_len);
    c->fd = c->parent ? open(c->parent, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  }
  if (c->fd < 0)
    return cgroup_dir_is_frozen(dir, v2, NULL);
  char name[PATH_MAX];
  if (snprintf(name, sizeof(name), "%s/%s", slash + 1, freezer_file(v2)) >= (int)sizeof(name))
    return -1;
  int fd = openat(c->fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  /* Both files are far shorter than one read: no read to end-of-file. */
  char text[512];
  ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  text[n] = '\0';
  return freezer_text_reached(text, v2, true);
}

void cgroup_dir_cache_close(struct cgroup_dir_cache *c) {
  if (c->fd >= 0)
    close(c->fd);
  free(c->parent);
  c->parent = NULL;
  c->fd = -1;
}

static int kill_listed(cgroup *cg, int sig, berth_error **err) {
  pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_pids(cg, &pids, &n, err) < 0)
    return -1;
  int rc = 0;
  pid_t self = getpid();
  for (size_t i = 0; i < n; i++) {
    /* Never 0, 1 or ourselves, whatever a cgroup.procs claims. */
    if (pids[i] <= 1 || pids[i] == self)
      continue;
    if (kill(pids[i], sig) < 0 && errno != ESRCH && rc == 0)
      rc = berth_fail_errno(err, "kill %d", (int)pids[i]);
  }
  free(pids);
  return rc;
}

int cgroup_signal_all(cgroup *cg, int sig, berth_error **err) {
  cg_dir *unified = cg_find_unified(cg);
  if (sig == SIGKILL && cg->layout == CG_LAYOUT_V2 && unified != NULL &&
      cg_file_exists(unified->path, "cgroup.kill"))
    return cg_write(unified->path, "cgroup.kill", "1", err);
  bool v2;
  cg_dir *fz = freezer_dir(cg, &v2);
  int was_frozen = fz ? freezer_reached(fz->path, v2, true, NULL) : 0;
  /* Freezing keeps anything from forking past the signal. A failed freeze
   * still lets us signal what we can see. */
  bool froze = false;
  if (fz != NULL && was_frozen == 0)
    froze = set_freezer(fz->path, v2, true, NULL) == 0;
  int rc = kill_listed(cg, sig, err);
  /* A paused container stays paused, unless it is being killed: frozen
   * tasks cannot die. */
  if (fz != NULL && (froze || (was_frozen == 1 && sig == SIGKILL))) {
    berth_error *thaw_err = NULL;
    if (set_freezer(fz->path, v2, false, rc == 0 ? err : &thaw_err) < 0)
      rc = -1;
    berth_error_free(thaw_err);
  } else if (fz != NULL && !froze && was_frozen == 0) {
    set_freezer(fz->path, v2, false, NULL); /* undo a half-done freeze */
  }
  return rc;
}
