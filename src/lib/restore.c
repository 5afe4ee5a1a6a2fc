/* restore: a new container, made from CRIU images instead of a fresh init.
 * berth makes the state directory and the cgroup as create does; CRIU
 * makes the process tree, its namespaces and its mount tree on top of the
 * bundle's rootfs, with each external mount mapped back to a source on
 * this host. The restored init is the caller's child (CRIU's "sibling"
 * restore), so the caller can wait for it as `run` waits for an init. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "criu.h"
#include "container_cgroup.h"
#include "faultpoint.h"
#include "hooks.h"
#include "linux/pathsafe.h"
#include "linux/terminal.h"
#include "spec.h"
#include "state.h"

#define CRIU_ROOT_DIR "criu-root"
/* Descriptors handed to criu besides its socket: the network and pid
 * namespaces given by path, and a /dev/null for each of the three stdio. */
#define MAX_PASSED_FDS 5

struct restore_job {
  const struct restore_opts *o;
  struct restore_result *res;
  spec *spec;
  char bundle[PATH_MAX], rootfs[PATH_MAX], config_path[PATH_MAX];
  char *config_text; /* the bytes of config.json that were parsed */
  size_t config_len;
  char image_dir[PATH_MAX], log_path[PATH_MAX], criu_root[PATH_MAX];
  int image_fd, work_fd, dirfd;
  bool root_mounted;
  json_t *descriptors;
  int passed_fds[MAX_PASSED_FDS];
  size_t n_passed_fds;
  cgroup *cg;
  container_state st;
  pid_t pid;
  pid_t recorded_pid; /* the init in state.json, 0 before post-restore */
  struct criu_msg opts;
};

static int resolve_bundle(struct restore_job *j, berth_error **err) {
  const char *b = j->o->bundle ? j->o->bundle : ".";
  if (realpath(b, j->bundle) == NULL)
    return berth_fail_errno_id(err, "BERTH-E-BUNDLE-MISSING", "bundle \"%s\"", b);
  snprintf(j->config_path, sizeof(j->config_path), "%s/config.json", j->bundle);
  if (spec_load_text(j->config_path, &j->spec, &j->config_text, &j->config_len, err) < 0)
    return -1;
  const char *rp = j->spec->root_path;
  if (rp == NULL)
    return berth_fail_id(err, "BERTH-E-SPEC-SCHEMA", 0,
                         "%s: root.path is required", j->config_path);
  char root[PATH_MAX];
  snprintf(root, sizeof(root), "%s%s%s", rp[0] == '/' ? "" : j->bundle, rp[0] == '/' ? "" : "/",
           rp);
  if (realpath(root, j->rootfs) == NULL)
    return berth_fail_errno_id(err, "BERTH-E-ROOTFS-MISSING", "root.path \"%s\"", root);
  return 0;
}

static int check_terminal(const struct restore_job *j, berth_error **err) {
  bool tty = j->spec->process && j->spec->process->terminal;
  return terminal_check_opts(tty, !j->o->keep_pty_master, j->o->console_socket, err);
}

/* The images must be there before anything is made for the container. */
static int open_images(struct restore_job *j, berth_error **err) {
  const char *path = j->o->image_path ? j->o->image_path : "checkpoint";
  j->image_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (j->image_fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-CRIU-IMAGE", "image directory \"%s\"", path);
  if (realpath(path, j->image_dir) == NULL)
    snprintf(j->image_dir, sizeof(j->image_dir), "%s", path);
  int fd = openat(j->image_fd, CRIU_DESCRIPTORS_FILE, O_RDONLY | O_CLOEXEC);
  json_error_t jerr;
  j->descriptors = fd >= 0 ? json_loadfd(fd, 0, &jerr) : NULL;
  if (fd >= 0)
    close(fd);
  if (!json_is_array(j->descriptors))
    return berth_fail_id(err, "BERTH-E-CRIU-IMAGE", fd < 0 ? ENOENT : EINVAL,
                         "%s/%s (is it a checkpoint image?)",
                         j->image_dir, CRIU_DESCRIPTORS_FILE);
  const char *work = j->o->work_path ? j->o->work_path : j->image_dir;
  if (j->o->work_path != NULL) {
    if (mkdir(work, 0700) < 0 && errno != EEXIST)
      return berth_fail_errno(err, "create work directory \"%s\"", work);
    j->work_fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->work_fd < 0)
      return berth_fail_errno(err, "open work directory \"%s\"", work);
  }
  snprintf(j->log_path, sizeof(j->log_path), "%s/restore.log", work);
  return 0;
}

/* The cgroup, and at once a state with no init (pid 0 reads "stopped")
 * that names it, as create's provisional state: CRIU makes the restored
 * tasks in the cgroup before it names their init, so a restore killed
 * from here on leaves a container that list shows and delete removes
 * whole, CRIU and the tasks it made included. */
static int setup_cgroup(struct restore_job *j, berth_error **err) {
  if (container_cgroup_setup(j->spec, j->o->id, j->o->systemd_cgroup, false, false, &j->cg, err) < 0)
    return -1;
  if (j->cg != NULL)
    container_cgroup_record(&j->st, j->cg);
  if (state_save(j->dirfd, &j->st, err) < 0)
    return -1;
  faultpoint("restore.cgroup");
  return 0;
}

static bool under_tmpfs(const spec *s, const char *dest) {
  for (size_t i = 0; i < s->n_mounts; i++) {
    const spec_mount *m = &s->mounts[i];
    size_t n = strlen(m->destination);
    if (m->type && strcmp(m->type, "tmpfs") == 0 && strncmp(dest, m->destination, n) == 0 &&
        dest[n] == '/')
      return true;
  }
  return false;
}

/* Mount points the rootfs lacks (a fresh copy of the bundle) are made as
 * create would; those on a tmpfs come back with the tmpfs' contents. */
static int make_mountpoints(struct restore_job *j, berth_error **err) {
  int root_fd = open(j->criu_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_fail_errno(err, "open \"%s\"", j->criu_root);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < j->spec->n_mounts; i++) {
    const spec_mount *m = &j->spec->mounts[i];
    if ((m->type && strcmp(m->type, "cgroup") == 0) || under_tmpfs(j->spec, m->destination))
      continue;
    char src[PATH_MAX];
    struct stat st;
    bool dir = true;
    if (criu_bind_source(j->bundle, m, src, sizeof(src)) && stat(src, &st) == 0)
      dir = S_ISDIR(st.st_mode);
    int fd = pathsafe_mount_target(root_fd, m->destination, dir, err);
    if (fd < 0)
      rc = -1;
    else
      close(fd);
  }
  close(root_fd);
  return rc;
}

/* CRIU wants its root to be a mount point whose parent is not covered:
 * a bind of the rootfs in the state directory. */
static int mount_criu_root(struct restore_job *j, berth_error **err) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s/" CRIU_ROOT_DIR, j->o->root, j->o->id);
  if (mkdirat(j->dirfd, CRIU_ROOT_DIR, 0755) < 0)
    return berth_fail_errno(err, "create \"%s\"", path);
  if (realpath(path, j->criu_root) == NULL)
    return berth_fail_errno(err, "resolve \"%s\"", path);
  if (mount(j->rootfs, j->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_errno(err, "bind \"%s\" on \"%s\"", j->rootfs, j->criu_root);
  j->root_mounted = true;
  return make_mountpoints(j, err);
}

static void unmount_criu_root(struct restore_job *j) {
  if (j->root_mounted && umount2(j->criu_root, MNT_DETACH) < 0)
    berth_warn("unmount \"%s\": %s", j->criu_root, strerror(errno));
  j->root_mounted = false;
  if (j->dirfd >= 0)
    unlinkat(j->dirfd, CRIU_ROOT_DIR, AT_REMOVEDIR);
}

/* Hands `fd` to criu (as 4, 5, ...) for the external resource `key`; the
 * job owns it from here on. */
static void pass_fd(struct restore_job *j, int fd, const char *key) {
  j->passed_fds[j->n_passed_fds] = fd;
  criu_msg_inherit_fd(&j->opts, key, 4 + (int)j->n_passed_fds);
  j->n_passed_fds++;
}

static bool is_seekable(int fd) {
  return lseek(fd, 0, SEEK_CUR) >= 0;
}

/* The caller's stdio replaces the init's pipes and outside files, each by
 * the key recorded at checkpoint (criu runs with the caller's fds 0-2).
 * CRIU puts a file back at its saved offset, which a pipe, fifo or socket
 * cannot take: where the caller has one of those for a file (a shim
 * restoring a task that ran with the host's /dev/null, `ctr --null-io`),
 * the file becomes /dev/null, what runc's restored processes get there. */
static int add_stdio(struct restore_job *j, berth_error **err) {
  size_t i;
  json_t *d;
  json_array_foreach(j->descriptors, i, d) {
    const char *key = json_string_value(d);
    if (i >= 3 || key == NULL)
      continue;
    if (strncmp(key, "pipe:", 5) == 0 || (strncmp(key, "file[", 5) == 0 && is_seekable((int)i))) {
      criu_msg_inherit_fd(&j->opts, key, (int)i);
    } else if (strncmp(key, "file[", 5) == 0) {
      int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno(err, "open /dev/null for the restored stdio %zu", i);
      pass_fd(j, fd, key);
    }
  }
  return 0;
}

/* Namespaces given by path: network and pid are handed over as fds under
 * the keys the checkpoint used; the others are joined by CRIU. */
static int add_namespaces(struct restore_job *j, berth_error **err) {
  for (size_t i = 0; i < j->spec->linux.n_namespaces; i++) {
    const spec_namespace *ns = &j->spec->linux.namespaces[i];
    if (ns->path == NULL)
      continue;
    if (ns->type == NS_NETWORK || ns->type == NS_PID) {
      int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno_id(err, "BERTH-E-NAMESPACE-PATH",
                                   "%s namespace \"%s\"", spec_ns_type_name(ns->type),
                                   ns->path);
      pass_fd(j, fd, criu_ext_ns_key(ns->clone_flag));
      continue;
    }
    if (ns->type == NS_CGROUP)
      return berth_fail(err, EINVAL, "restore cannot join a cgroup namespace by path");
    const char *name = criu_ns_name(ns->type);
    if (name != NULL)
      criu_msg_pair(&j->opts, CRIU_OPT_JOIN_NS, name, ns->path);
  }
  return 0;
}

static int build_opts(struct restore_job *j, berth_error **err) {
  const struct restore_opts *o = j->o;
  struct criu_msg *m = &j->opts;
  struct criu_shared_opts shared = {.image_fd = j->image_fd, .work_fd = j->work_fd,
                                     .log_file = "restore.log", .flags = &o->criu};
  if (criu_msg_shared(m, j->spec, &shared, err) < 0)
    return -1;
  criu_msg_bool(m, CRIU_OPT_EVASIVE_DEVICES, true);
  criu_msg_bool(m, CRIU_OPT_RST_SIBLING, true);
  criu_msg_string(m, CRIU_OPT_ROOT, j->criu_root);
  if (o->lsm_profile != NULL)
    criu_msg_string(m, CRIU_OPT_LSM_PROFILE, o->lsm_profile);
  if (o->lsm_mount_context != NULL)
    criu_msg_string(m, CRIU_OPT_LSM_MOUNT_CONTEXT, o->lsm_mount_context);
  criu_restore_mounts(m, j->spec, j->bundle);
  if (add_stdio(j, err) < 0)
    return -1;
  return add_namespaces(j, err);
}

/* prestart and createRuntime run once the namespaces exist, as at create. */
static int run_hooks(struct restore_job *j, pid_t pid, berth_error **err) {
  if (j->spec->hooks[HOOK_PRESTART].n == 0 && j->spec->hooks[HOOK_CREATE_RUNTIME].n == 0)
    return 0;
  j->st.pid = pid;
  return hooks_run_create_runtime(j->spec, &j->st, err);
}

/* The restored init goes into state.json as soon as CRIU names it, before
 * its tasks resume (runc records it at the same notification): a restore
 * killed from here on leaves a container whose status follows its init,
 * running, or stopped once CRIU, left without its caller, undid the
 * restore. */
static int record_init(struct restore_job *j, pid_t pid, berth_error **err) {
  if (pid <= 0 || proc_stat_of(pid, &j->st.start_time, NULL) < 0)
    return berth_fail(err, ESRCH, "the restored init is gone");
  j->pid = pid;
  j->st.pid = pid;
  free(j->st.created);
  j->st.created = state_timestamp_now();
  if (j->st.created == NULL)
    return berth_fail(err, ENOMEM, "build state");
  if (state_save(j->dirfd, &j->st, err) < 0)
    return -1;
  j->recorded_pid = pid;
  faultpoint("restore.init-recorded");
  return 0;
}

static int on_restore_notify(void *ctx, const struct criu_notify *n, berth_error **err) {
  struct restore_job *j = ctx;
  /* CRIU waits for the answer with the tasks it made so far in the
   * cgroup: a kill point at each notification ("restore.post-restore"). */
  faultpoint_step("restore", n->script);
  if (strcmp(n->script, "orphan-pts-master") == 0 && n->fd >= 0) {
    if (j->o->keep_pty_master) {
      j->res->pty_master = n->fd;
      return 0;
    }
    int rc = j->o->console_socket ? terminal_send_fd(j->o->console_socket, n->fd, "/dev/ptmx", err)
                                  : 0;
    close(n->fd);
    return rc;
  }
  if (n->fd >= 0)
    close(n->fd);
  if (strcmp(n->script, "setup-namespaces") == 0)
    return run_hooks(j, n->pid, err);
  if (strcmp(n->script, "post-restore") == 0)
    return record_init(j, n->pid, err);
  return 0;
}

/* criu runs in the container's cgroup (its restored tasks start there)
 * and tells CRIU where that cgroup is in each hierarchy. */
static int on_criu_started(void *ctx, pid_t criu_pid, berth_error **err) {
  struct restore_job *j = ctx;
  if (j->cg != NULL && cgroup_add_pid(j->cg, criu_pid, err) < 0)
    return berth_wrap(err, "move criu into the container's cgroup");
  faultpoint("restore.criu-in-cgroup");
  return criu_restore_cgroups(&j->opts, j->spec, criu_pid, err);
}

static int finish(struct restore_job *j, berth_error **err) {
  uint64_t start_time;
  if (j->pid <= 0 || proc_stat_of(j->pid, &start_time, NULL) < 0)
    return berth_fail(err, ESRCH, "the restored init is gone");
  /* Recorded at post-restore, unless CRIU named the init only in its
   * answer. */
  if ((j->recorded_pid != j->pid || j->st.start_time != start_time) &&
      record_init(j, j->pid, err) < 0)
    return -1;
  j->res->pid = j->pid;
  if (j->o->pid_file && state_write_pid_file(j->o->pid_file, j->pid, err) < 0)
    return -1;
  return 0;
}

static int fill_state(struct restore_job *j, berth_error **err) {
  j->st.id = (char *)j->o->id;
  j->st.bundle = j->bundle;
  j->st.rootfs = j->rootfs;
  j->st.owner = "";
  j->st.created = state_timestamp_now();
  j->st.annotations = json_object();
  for (size_t i = 0; j->st.annotations && i < j->spec->annotations.n; i++)
    json_object_set_new(j->st.annotations, j->spec->annotations.v[i].key,
                        json_string(j->spec->annotations.v[i].value));
  if (j->st.created == NULL || j->st.annotations == NULL)
    return berth_fail(err, ENOMEM, "build state");
  return 0;
}

static int run_restore(struct restore_job *j, berth_error **err) {
  faultpoint("restore.state-dir");
  if (state_keep_config(j->dirfd, j->config_text, j->config_len, err) < 0 ||
      fill_state(j, err) < 0 || setup_cgroup(j, err) < 0 ||
      mount_criu_root(j, err) < 0 || build_opts(j, err) < 0)
    return -1;
  faultpoint("restore.prepared");
  struct criu_call c = {.type = CRIU_REQ_RESTORE, .opts = &j->opts, .fds = j->passed_fds,
                        .n_fds = j->n_passed_fds, .notify = on_restore_notify, .notify_ctx = j,
                        .started = on_criu_started, .log_path = j->log_path};
  struct criu_reply r;
  if (criu_run(&c, &r, err) < 0)
    return -1;
  if (r.restored_pid > 0)
    j->pid = r.restored_pid;
  faultpoint("restore.restored");
  unmount_criu_root(j);
  return finish(j, err);
}

static void undo_restore(struct restore_job *j) {
  berth_error *e = NULL;
  if (j->cg != NULL && cgroup_signal_all(j->cg, SIGKILL, &e) < 0)
    berth_error_clear(&e);
  if (j->pid > 0)
    while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  if (j->res->pty_master >= 0) {
    close(j->res->pty_master);
    j->res->pty_master = -1;
  }
  unmount_criu_root(j);
  container_discard(j->o->root, j->o->id, j->dirfd, j->cg, j->o->pid_file, "restore");
}

static void release_job(struct restore_job *j) {
  if (j->image_fd >= 0)
    close(j->image_fd);
  if (j->work_fd >= 0)
    close(j->work_fd);
  if (j->dirfd >= 0)
    close(j->dirfd);
  for (size_t i = 0; i < j->n_passed_fds; i++)
    close(j->passed_fds[i]);
  json_decref(j->descriptors);
  cgroup_free(j->cg);
  criu_msg_free(&j->opts);
  free(j->st.created);
  free(j->st.freezer);
  json_decref(j->st.annotations);
  json_decref(j->st.cgroup);
  spec_free(j->spec);
  free(j->config_text);
}

int container_restore(const struct restore_opts *o, struct restore_result *res,
                      berth_error **err) {
  struct restore_job j = {.o = o, .res = res, .image_fd = -1, .work_fd = -1, .dirfd = -1};
  res->pid = 0;
  res->pty_master = -1;
  int rc = -1;
  if (state_check_id(o->id, err) < 0 || resolve_bundle(&j, err) < 0 ||
      check_terminal(&j, err) < 0 || open_images(&j, err) < 0 ||
      criu_check_version(0, NULL, err) < 0)
    goto out;
  j.dirfd = state_dir_create(o->root, o->id, err);
  if (j.dirfd < 0)
    goto out;
  rc = run_restore(&j, err);
  if (rc < 0)
    undo_restore(&j);
out:
  release_job(&j);
  if (rc < 0)
    berth_wrap(err, "restore \"%s\"", o->id);
  return rc;
}
