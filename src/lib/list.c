/* list: every container under a state root, read without locks.
 *
 * Each container costs a few system calls (its state.json, its init's
 * /proc stat, its freezer), and nothing one container's reading needs
 * comes from another's, so a long list is read by as many threads as the
 * process may run on (a list of a thousand on two CPUs: 47.6 ms serial,
 * 41.6 ms with two threads, which share procfs's and cgroupfs's locks).
 * The entries are put in order afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container.h"
#include "handle.h"
#include "linux/passwd.h"
#include "state.h"

/* Below this many containers per thread a thread costs more than it saves. */
#define LIST_PER_THREAD 128
#define LIST_MAX_THREADS 8

/* The user owning a state directory, looked up once per uid: each lookup
 * reads /etc/passwd again, and a list has one owner for every container as
 * a rule. */
struct owner_cache {
  uid_t uid;
  bool known;
  char name[64];
};

static const char *owner_name(uid_t uid, struct owner_cache *c) {
  if (c->known && c->uid == uid)
    return c->name;
  if (passwd_name(uid, c->name, sizeof(c->name)) < 0)
    snprintf(c->name, sizeof(c->name), "#%u", (unsigned)uid);
  c->uid = uid;
  c->known = true;
  return c->name;
}

/* What one reader keeps open from one container to the next: each
 * thread has its own. */
struct list_reader {
  int rootfd;
  int procfd; /* /proc, so each pid's stat is a two-step lookup */
  struct owner_cache owners;
  struct cgroup_dir_cache freezers;
};

/* The status of a container read by state_load_listed, from the freezer
 * path in state.json without the cgroup; a state that predates that path
 * loads its cgroup as any command does. */
static enum container_status listed_status(struct list_reader *r, const char *id,
                                           container_state **st) {
  enum container_status s = state_process_status_in(r->procfd, r->rootfd, id, *st);
  if (s != STATUS_RUNNING && s != STATUS_CREATED)
    return s;
  if ((*st)->freezer != NULL)
    return *(*st)->freezer != '\0' &&
                   cgroup_dir_is_frozen_cached(&r->freezers, (*st)->freezer,
                                               (*st)->freezer_v2) == 1
               ? STATUS_PAUSED
               : s;
  berth_error *e = NULL;
  struct handle h = {.dirfd = openat(r->rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (h.dirfd >= 0 && state_load(h.dirfd, &h.st, &e) == 0) {
    container_state_free(*st);
    *st = h.st;
    if (h.st->cgroup == NULL || cgroup_from_json(h.st->cgroup, &h.cg, &e) == 0)
      s = handle_status(&h);
    cgroup_free(h.cg);
  }
  if (h.dirfd >= 0)
    close(h.dirfd);
  berth_error_free(e);
  return s;
}

/* The list entry of container ID, or NULL when it cannot be read (being
 * created or deleted meanwhile, or damaged). */
static json_t *listed_entry(struct list_reader *r, const char *id) {
  container_state *st = NULL;
  uid_t owner;
  json_t *o = NULL;
  if (state_load_listed(r->rootfd, id, &st, &owner, NULL) == 0) {
    o = state_oci_json(st, listed_status(r, id, &st));
    if (o != NULL)
      json_object_set_new(o, "owner", json_string(owner_name(owner, &r->owners)));
  }
  container_state_free(st);
  return o;
}

/* One thread's share: entries FROM to TO of IDS into OUT, read with its
 * own reader. */
struct list_part {
  struct list_reader r;
  char **ids;
  json_t **out;
  size_t from, to;
  pthread_t thread;
  bool started;
};

static void *read_part(void *arg) {
  struct list_part *p = arg;
  for (size_t i = p->from; i < p->to; i++)
    p->out[i] = listed_entry(&p->r, p->ids[i]);
  cgroup_dir_cache_close(&p->r.freezers);
  return NULL;
}

/* How many threads read N containers: one per CPU this process may run
 * on, each with at least LIST_PER_THREAD of them. */
static size_t list_threads(size_t n) {
  cpu_set_t set;
  size_t cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? (size_t)CPU_COUNT(&set) : 1;
  size_t t = n / LIST_PER_THREAD;
  if (t > cpus)
    t = cpus;
  if (t > LIST_MAX_THREADS)
    t = LIST_MAX_THREADS;
  return t > 0 ? t : 1;
}

/* list reads each container without its lock: state.json is only ever
 * replaced whole by a rename, so a reader sees the old file or the new one,
 * and a container being created (no state.json yet) or deleted meanwhile
 * drops out of the list. Waiting on every lock would make a list of a
 * thousand containers wait for each create and delete in flight. */
int container_list(const char *root, json_t **out, berth_error **err) {
  char **ids;
  size_t n;
  if (state_list_ids(root, &ids, &n, err) < 0)
    return -1;
  json_t *arr = json_array();
  json_t **entries = n > 0 ? calloc(n, sizeof(json_t *)) : NULL;
  int rootfd = n > 0 ? open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  int procfd = rootfd >= 0 ? open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (arr == NULL || (n > 0 && entries == NULL)) {
    json_decref(arr);
    arr = NULL;
  }
  if (arr != NULL && rootfd >= 0) {
    size_t threads = list_threads(n);
    struct list_part parts[LIST_MAX_THREADS];
    for (size_t t = 0; t < threads; t++) {
      parts[t] = (struct list_part){.r = {.rootfd = rootfd,
                                          .procfd = procfd >= 0 ? procfd : AT_FDCWD,
                                          .freezers = {NULL, -1}},
                                    .ids = ids, .out = entries,
                                    .from = n * t / threads, .to = n * (t + 1) / threads};
      /* The first share is read here; a thread that cannot be made
       * leaves its share to be read here as well. */
      if (t > 0)
        parts[t].started = pthread_create(&parts[t].thread, NULL, read_part, &parts[t]) == 0;
    }
    read_part(&parts[0]);
    for (size_t t = 1; t < threads; t++) {
      if (parts[t].started)
        pthread_join(parts[t].thread, NULL);
      else
        read_part(&parts[t]);
    }
    for (size_t i = 0; i < n; i++)
      if (entries[i] != NULL)
        json_array_append_new(arr, entries[i]);
  }
  for (size_t i = 0; i < n; i++)
    free(ids[i]);
  free(ids);
  free(entries);
  if (procfd >= 0)
    close(procfd);
  if (rootfd >= 0)
    close(rootfd);
  if (arr == NULL)
    return berth_fail(err, ENOMEM, "list containers");
  *out = arr;
  return 0;
}
