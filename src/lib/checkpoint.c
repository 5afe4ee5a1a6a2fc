/* checkpoint: describe the container to CRIU (its root, the mounts whose
 * sources live outside it, its cgroup, its stdio) and have CRIU dump it. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container.h"
#include "criu.h"
#include "handle.h"
#include "faultpoint.h"
#include "spec.h"

#define CHECKPOINT_PRE_DUMP_MIN 31700

struct dump_job {
  const struct checkpoint_opts *o;
  struct handle h;
  spec *spec;
  int image_fd, work_fd;
  char image_dir[PATH_MAX];
  char log_path[PATH_MAX];
  struct criu_msg opts;
};

static int open_dir(const char *path, char *resolved, berth_error **err) {
  if (mkdir(path, 0700) < 0 && errno != EEXIST)
    return berth_fail_errno(err, "create directory \"%s\"", path);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno(err, "open directory \"%s\"", path);
  if (resolved != NULL && realpath(path, resolved) == NULL)
    snprintf(resolved, PATH_MAX, "%s", path);
  return fd;
}

/* The v1 freezer directory, or the cgroup2 one on a unified host: CRIU
 * freezes the whole container at once through it instead of stopping
 * each task with ptrace. */
static const char *freezer_path(const json_t *cg) {
  json_t *dirs = json_object_get(cg, "dirs");
  const char *unified = NULL;
  const char *layout = json_string_value(json_object_get(cg, "layout"));
  size_t i;
  json_t *d;
  json_array_foreach(dirs, i, d) {
    const char *ctl = json_string_value(json_object_get(d, "controllers"));
    const char *path = json_string_value(json_object_get(d, "path"));
    if (json_is_true(json_object_get(d, "unified")))
      unified = path;
    else if (ctl && path && strstr(ctl, "freezer") != NULL)
      return path;
  }
  return layout && strcmp(layout, "hybrid") == 0 ? NULL : unified;
}

static void add_ext_mount(struct criu_msg *m, const char *key, const char *val) {
  criu_msg_pair(m, CRIU_OPT_EXT_MNT, key, val);
}

/* Mount points of the container (as it sees them) that lie below `dir`
 * and hold a cgroup hierarchy: on a v1 host, binds of host directories. */
static void add_cgroup_binds(struct criu_msg *m, pid_t pid, const char *dir) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return;
  char *line = NULL;
  size_t cap = 0;
  size_t dlen = strlen(dir);
  while (getline(&line, &cap, f) > 0) {
    char mnt[PATH_MAX], fstype[64];
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
        sscanf(sep + 3, "%63s", fstype) != 1)
      continue;
    if (strncmp(fstype, "cgroup", 6) == 0 && strncmp(mnt, dir, dlen) == 0 && mnt[dlen] == '/')
      add_ext_mount(m, mnt, mnt);
  }
  free(line);
  fclose(f);
}

static bool has_namespace(const spec *s, enum spec_ns_type t) {
  return spec_find_namespace(s, t) != NULL;
}

/* Mounts whose sources are outside the container: CRIU records them by a
 * key (the destination) and restore maps each key to a source again. */
static void add_external_mounts(struct dump_job *j) {
  const spec *s = j->spec;
  pid_t pid = j->h.st->pid;
  for (size_t i = 0; i < s->n_mounts; i++) {
    const spec_mount *m = &s->mounts[i];
    if (criu_mount_is_bind(m))
      add_ext_mount(&j->opts, m->destination, m->destination);
    else if (m->type && strcmp(m->type, "cgroup") == 0 && !has_namespace(s, NS_CGROUP))
      add_cgroup_binds(&j->opts, pid, m->destination);
  }
  /* Masked files are binds of /dev/null: one key for all of them. */
  for (size_t i = 0; i < s->linux.masked_paths.n; i++) {
    const char *p = s->linux.masked_paths.v[i];
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, p);
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
      add_ext_mount(&j->opts, p, "/dev/null");
  }
  /* Device nodes are bind mounts of the host's where mknod is refused. */
  for (size_t i = 0; criu_default_devices[i] != NULL; i++)
    add_ext_mount(&j->opts, criu_default_devices[i], criu_default_devices[i]);
  for (size_t i = 0; i < s->linux.n_devices; i++)
    add_ext_mount(&j->opts, s->linux.devices[i].path, s->linux.devices[i].path);
}

/* Namespaces the container joined by path stay where they are: CRIU
 * records them as external, and restore joins them again. */
static int add_external_namespaces(struct dump_job *j, berth_error **err) {
  static const enum spec_ns_type types[] = {NS_NETWORK, NS_PID};
  static const int flags[] = {CLONE_NEWNET, CLONE_NEWPID};
  for (size_t i = 0; i < 2; i++) {
    const spec_namespace *ns = spec_find_namespace(j->spec, types[i]);
    if (ns == NULL || ns->path == NULL)
      continue;
    struct stat st;
    if (stat(ns->path, &st) < 0)
      return berth_fail_errno_id(err, "BERTH-E-NAMESPACE-PATH",
                                 "%s namespace \"%s\"", spec_ns_type_name(types[i]),
                                 ns->path);
    char ext[128];
    snprintf(ext, sizeof(ext), "%s[%lu]:%s", types[i] == NS_NETWORK ? "net" : "pid",
             (unsigned long)st.st_ino, criu_ext_ns_key(flags[i]));
    criu_msg_string(&j->opts, CRIU_OPT_EXTERNAL, ext);
  }
  return 0;
}

static bool mount_is_in(pid_t pid, int mnt_id) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return false;
  char *line = NULL;
  size_t cap = 0;
  bool found = false;
  while (!found && getline(&line, &cap, f) > 0)
    found = atoi(line) == mnt_id;
  free(line);
  fclose(f);
  return found;
}

static int fd_mnt_id(pid_t pid, int fd) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return -1;
  char line[256];
  int id = -1;
  while (fgets(line, sizeof(line), f)) {
    if (sscanf(line, "mnt_id: %d", &id) == 1)
      break;
  }
  fclose(f);
  return id;
}

/* What restore needs to reconnect the init's stdio: pipes by CRIU's
 * "pipe:[inode]" key, and files from outside the container (the caller's
 * log files, the host's /dev/null) declared external, as CRIU could not
 * reopen them from inside. */
static int describe_stdio(struct dump_job *j, berth_error **err) {
  pid_t pid = j->h.st->pid;
  json_t *arr = json_array();
  for (int fd = 0; arr && fd < 3; fd++) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    struct stat st;
    int mnt = n > 0 && target[0] == '/' && stat(link, &st) == 0 ? fd_mnt_id(pid, fd) : -1;
    if (mnt >= 0 && !mount_is_in(pid, mnt)) {
      snprintf(target, sizeof(target), "file[%x:%lx]", (unsigned)mnt, (unsigned long)st.st_ino);
      criu_msg_string(&j->opts, CRIU_OPT_EXTERNAL, target);
    }
    json_array_append_new(arr, json_string(target));
  }
  int dfd = openat(j->image_fd, CRIU_DESCRIPTORS_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                   0600);
  int rc = dfd >= 0 && arr && json_dumpfd(arr, dfd, JSON_COMPACT) == 0 ? 0 : -1;
  if (rc < 0)
    berth_fail_errno(err, "write %s/%s", j->image_dir, CRIU_DESCRIPTORS_FILE);
  if (dfd >= 0)
    close(dfd);
  json_decref(arr);
  return rc;
}

static int add_page_server(struct dump_job *j, berth_error **err) {
  const char *ps = j->o->page_server;
  const char *colon = ps ? strrchr(ps, ':') : NULL;
  if (ps == NULL)
    return 0;
  char *end;
  long port = colon ? strtol(colon + 1, &end, 10) : 0;
  if (colon == NULL || colon == ps || *end != '\0' || port <= 0 || port > 65535)
    return berth_fail_id(err, "BERTH-E-CRIU-OPTION", EINVAL,
                         "page-server \"%s\": expected ADDRESS:PORT", ps);
  char addr[256];
  snprintf(addr, sizeof(addr), "%.*s", (int)(colon - ps), ps);
  struct criu_msg sub = {0};
  criu_msg_string(&sub, 1, addr);
  criu_msg_int(&sub, 2, port);
  criu_msg_embed(&j->opts, CRIU_OPT_PS, &sub);
  criu_msg_free(&sub);
  return 0;
}

static int build_opts(struct dump_job *j, berth_error **err) {
  const struct checkpoint_opts *o = j->o;
  struct criu_msg *m = &j->opts;
  struct criu_shared_opts shared = {.image_fd = j->image_fd, .work_fd = j->work_fd,
                                     .log_file = "dump.log", .flags = &o->criu};
  if (criu_msg_shared(m, j->spec, &shared, err) < 0)
    return -1;
  criu_msg_int(m, CRIU_OPT_PID, j->h.st->pid);
  criu_msg_string(m, CRIU_OPT_ROOT, j->h.st->rootfs);
  criu_msg_bool(m, CRIU_OPT_LEAVE_RUNNING, o->leave_running);
  criu_msg_bool(m, CRIU_OPT_TCP_SKIP_IN_FLIGHT, o->tcp_skip_in_flight);
  criu_msg_bool(m, CRIU_OPT_LINK_REMAP, o->link_remap);
  const char *freezer = j->h.st->cgroup ? freezer_path(j->h.st->cgroup) : NULL;
  if (freezer != NULL)
    criu_msg_string(m, CRIU_OPT_FREEZE_CGROUP, freezer);
  if (o->parent_path != NULL) {
    criu_msg_string(m, CRIU_OPT_PARENT_IMG, o->parent_path);
    criu_msg_bool(m, CRIU_OPT_TRACK_MEM, true);
  }
  if (add_page_server(j, err) < 0 || add_external_namespaces(j, err) < 0)
    return -1;
  if (!o->pre_dump) {
    add_external_mounts(j);
    if (describe_stdio(j, err) < 0)
      return -1;
  }
  return 0;
}

static int on_dump_started(void *ctx, pid_t criu_pid, berth_error **err) {
  (void)ctx;
  (void)criu_pid;
  (void)err;
  faultpoint("checkpoint.criu-started");
  return 0;
}

static int on_dump_notify(void *ctx, const struct criu_notify *n, berth_error **err) {
  struct dump_job *j = ctx;
  /* CRIU waits for the answer, the container frozen from network-lock
   * on: a kill point at each notification ("checkpoint.post-dump"). */
  faultpoint_step("checkpoint", n->script);
  if (n->fd >= 0)
    close(n->fd);
  if (strcmp(n->script, "status-ready") == 0 && j->o->status_fd >= 0) {
    if (write(j->o->status_fd, "", 1) != 1)
      berth_warn("write to --status-fd %d: %s", j->o->status_fd, strerror(errno));
  }
  return 0;
}

/* Pre-dumps and lazy pages need CRIU features the kernel may lack. */
static int check_features(const struct checkpoint_opts *o, berth_error **err) {
  if (!o->pre_dump && !o->criu.lazy_pages)
    return 0;
  struct criu_msg want = {0};
  if (o->pre_dump)
    criu_msg_bool(&want, 1, true);
  if (o->criu.lazy_pages)
    criu_msg_bool(&want, 2, true);
  struct criu_call c = {.type = CRIU_REQ_FEATURE_CHECK, .features = &want};
  struct criu_reply r;
  int rc = criu_run(&c, &r, err);
  criu_msg_free(&want);
  if (rc < 0)
    return berth_wrap(err, "CRIU feature check");
  if (o->pre_dump && !r.mem_track)
    return berth_fail_id(err, "BERTH-E-CRIU-FEATURE", 0,
                         "criu is missing features: MemTrack (needed by --pre-dump)");
  if (o->criu.lazy_pages && !r.lazy_pages)
    return berth_fail_id(err, "BERTH-E-CRIU-FEATURE", 0,
                         "criu is missing features: LazyPages (needed by --lazy-pages)");
  return 0;
}

static int check_state(struct dump_job *j, berth_error **err) {
  enum container_status s = handle_status(&j->h);
  if (s == STATUS_CREATED || s == STATUS_STOPPED)
    return berth_fail_id(err, "BERTH-E-BAD-STATUS", 0,
                         "Container cannot be checkpointed in %s state",
                         state_status_name(s));
  if (j->o->status_fd >= 0 && fcntl(j->o->status_fd, F_GETFL) < 0)
    return berth_fail_errno_id(err, "BERTH-E-CRIU-OPTION",
                               "invalid --status-fd argument %d", j->o->status_fd);
  return 0;
}

static int run_dump(struct dump_job *j, berth_error **err) {
  const struct checkpoint_opts *o = j->o;
  if (check_state(j, err) < 0 || criu_check_version(CHECKPOINT_PRE_DUMP_MIN, NULL, err) < 0 ||
      check_features(o, err) < 0 || handle_load_spec(&j->h, &j->spec, err) < 0)
    return -1;
  j->image_fd = open_dir(o->image_path ? o->image_path : "checkpoint", j->image_dir, err);
  if (j->image_fd < 0)
    return -1;
  char work_dir[PATH_MAX];
  snprintf(work_dir, sizeof(work_dir), "%s", j->image_dir);
  if (o->work_path != NULL && (j->work_fd = open_dir(o->work_path, work_dir, err)) < 0)
    return -1;
  snprintf(j->log_path, sizeof(j->log_path), "%s/dump.log", work_dir);
  if (build_opts(j, err) < 0)
    return -1;
  struct criu_call c = {.type = o->pre_dump ? CRIU_REQ_PRE_DUMP : CRIU_REQ_DUMP,
                        .opts = &j->opts, .notify = on_dump_notify, .notify_ctx = j,
                        .started = on_dump_started, .log_path = j->log_path};
  struct criu_reply r;
  faultpoint("checkpoint.prepared");
  int rc = criu_run(&c, &r, err);
  faultpoint("checkpoint.dumped");
  return rc;
}

int container_checkpoint(const struct checkpoint_opts *o, berth_error **err) {
  struct dump_job j = {.o = o, .image_fd = -1, .work_fd = -1};
  if (handle_open(o->root, o->id, &j.h, err) < 0)
    return -1;
  int rc = run_dump(&j, err);
  if (j.image_fd >= 0)
    close(j.image_fd);
  if (j.work_fd >= 0)
    close(j.work_fd);
  criu_msg_free(&j.opts);
  spec_free(j.spec);
  handle_close(&j.h);
  if (rc < 0)
    return berth_wrap(err, "checkpoint \"%s\"", o->id);
  /* As runc: a full dump ends the container, which restore brings back. */
  if (!o->leave_running && !o->pre_dump && container_delete(o->root, o->id, true, err) < 0)
    return berth_wrap(err, "remove \"%s\" after its checkpoint", o->id);
  return 0;
}

int checkpoint_criu_available(char *version, size_t len, berth_error **err) {
  int v = 0;
  if (criu_check_version(0, &v, err) < 0)
    return -1;
  if (version != NULL)
    snprintf(version, len, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
  return 0;
}
