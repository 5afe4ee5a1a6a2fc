/* The parent side of `create`: everything done from outside the container,
 * and the undo of all of it when any step fails. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container.h"
#include "create_internal.h"
#include "faultpoint.h"
#include "container_cgroup.h"
#include "hooks.h"
#include "init.h"
#include "linux/clone_fork.h"
#include "linux/idmap.h"
#include "linux/namespaces.h"
#include "linux/netdev.h"
#include "linux/proc_controls.h"
#include "linux/seccomp.h"
#include "seccomp_forward.h"
#include "linux/terminal.h"
#include "linux/unixsock.h"
#include "notify.h"
#include "sync.h"

struct create_job {
  const struct create_opts *o;
  spec *spec;
  char bundle[PATH_MAX];
  char rootfs[PATH_MAX];
  char config_path[PATH_MAX];
  char state_dir[PATH_MAX]; /* <root>/<id>, for the notify socket */
  char *config_text; /* the bytes of config.json that were parsed */
  size_t config_len;
  int dirfd;
  int fifo_fd;
  int notify_fd; /* run's end of the container's NOTIFY_SOCKET, or -1 */
  int sock[2];
  cgroup *cg;
  container_state st;
  pid_t pid;
  int listen_fds;
  struct berth_seccomp *seccomp;
  struct idmap_trees *idmap;
  enum cgroup_entry cg_entry; /* how the init gets into j->cg */
  bool cgroup_unfinished;     /* v1 directories and resources wait for the clone */
  bool completed;          /* st has the init's start time and final cgroup */
  bool cgroup_changed;     /* since the provisional state: cgroup.json too */
  bool staged;             /* the final state waits beside its files */
  bool saved_early;        /* run: SAVED went before READY (saves_before_ready) */
};

static int resolve_bundle(struct create_job *j, berth_error **err) {
  const char *b = j->o->bundle ? j->o->bundle : ".";
  if (realpath(b, j->bundle) == NULL)
    return berth_fail_errno_id(err, "BERTH-E-BUNDLE-MISSING", "bundle \"%s\"", b);
  snprintf(j->config_path, sizeof(j->config_path), "%s/config.json", j->bundle);
  if (access(j->config_path, F_OK) < 0 && errno == ENOENT)
    return berth_fail_id(err, "BERTH-E-SPEC-MISSING", 0,
                         "JSON specification file config.json not found in bundle \"%s\"",
                      j->bundle);
  if (spec_load_text(j->config_path, &j->spec, &j->config_text, &j->config_len, err) < 0)
    return -1;
  char root[PATH_MAX];
  const char *rp = j->spec->root_path;
  if (rp == NULL)
    return berth_fail_id(err, "BERTH-E-SPEC-SCHEMA", 0,
                         "%s: root.path is required", j->config_path);
  if (rp[0] == '/')
    snprintf(root, sizeof(root), "%s", rp);
  else
    snprintf(root, sizeof(root), "%s/%s", j->bundle, rp);
  if (realpath(root, j->rootfs) == NULL)
    return berth_fail_errno_id(err, "BERTH-E-ROOTFS-MISSING", "root.path \"%s\"", root);
  struct stat st;
  if (stat(j->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
    return berth_fail_id(err, "BERTH-E-ROOTFS-NOT-DIR", ENOTDIR, "root.path \"%s\"", root);
  return 0;
}

static int check_terminal_opts(const struct create_job *j, berth_error **err) {
  return terminal_check_opts(j->spec->process->terminal, !j->o->keep_pty_master,
                             j->o->console_socket, err);
}

static int make_fifo(struct create_job *j, berth_error **err) {
  /* 0622 despite the umask: an init mapped to another uid in a user
   * namespace must still be able to open it for writing. */
  if (mkfifoat(j->dirfd, STATE_FIFO, 0622) < 0 ||
      fchmodat(j->dirfd, STATE_FIFO, 0622, 0) < 0)
    return berth_fail_errno(err, "create exec fifo");
  /* Opened by path only: the init reopens it for writing through
   * /proc/self/fd once it is ready, which blocks until `start`. */
  j->fifo_fd = openat(j->dirfd, STATE_FIFO, O_PATH | O_CLOEXEC);
  if (j->fifo_fd < 0)
    return berth_fail_errno(err, "open exec fifo");
  return 0;
}

static json_t *annotations_json(const spec *s) {
  json_t *a = json_object();
  for (size_t i = 0; a && i < s->annotations.n; i++)
    json_object_set_new(a, s->annotations.v[i].key, json_string(s->annotations.v[i].value));
  return a;
}

static int fill_state(struct create_job *j, berth_error **err) {
  j->st.id = (char *)j->o->id;
  j->st.bundle = j->bundle;
  j->st.rootfs = j->rootfs;
  j->st.created = state_timestamp_now();
  j->st.owner = "";
  j->st.no_new_keyring = j->o->no_new_keyring;
  j->st.init_named = true;
  const spec *sp = j->spec;
  j->st.config_uses_known = true;
  j->st.config_uses = (sp->hooks[HOOK_POSTSTART].n > 0 ? CONFIG_FOR_POSTSTART : 0) |
                      (sp->hooks[HOOK_POSTSTOP].n > 0 ? CONFIG_FOR_POSTSTOP : 0) |
                      (sp->linux.n_net_devices > 0 ? CONFIG_FOR_NET_DEVICES : 0) |
                      (spec_find_namespace(sp, NS_PID) == NULL ? CONFIG_FOR_KILL : 0);
  j->st.annotations = annotations_json(j->spec);
  if (j->st.created == NULL || j->st.annotations == NULL)
    return berth_fail(err, ENOMEM, "build state");
  return 0;
}

static void count_passed_fds(struct create_job *j) {
  const char *lf = getenv("LISTEN_FDS");
  j->listen_fds = lf ? atoi(lf) : 0;
  if (j->listen_fds < 0)
    j->listen_fds = 0;
}

static pid_t clone_init(struct create_job *j, berth_error **err) {
  /* The child inherits this before it runs a single instruction inside
   * the container's namespaces (CVE-2016-9962). Unprivileged, we must
   * still write its uid_map, which a non-dumpable process's /proc keeps
   * from us: the child then turns non-dumpable itself once mapped. */
  if (geteuid() == 0)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  int flags = ns_clone_flags(j->spec);
  struct clone_args args = {.flags = (uint64_t)flags, .exit_signal = SIGCHLD};
  int saved_pidns;
  if (ns_enter_pid_for_children(j->spec, &saved_pidns, err) < 0)
    return -1;
  /* The init is born in its cgroup (cgroup2) or joins its v1 directories
   * itself, first thing (clone.c): no move by us, which on cgroup.procs
   * costs the kernel a grace period, and no moment in which the new
   * process is charged to the runtime's cgroup. */
  /* The v1 cgroups are made meanwhile (setup_cgroup). By us, after GO:
   * the init is better started on another CPU, and widens its affinity
   * again once in its cgroups (init.c). By a helper on another CPU: the
   * init takes ours when we wait for the helper. */
  bool beside = j->cgroup_unfinished && !cgroup_v1_in_background(j->cg);
  pid_t pid = cgroup_clone3(j->cg, &args, &j->cg_entry);
  if (pid < 0 && errno == ENOSYS)
    pid = clone_fork((unsigned long)flags | SIGCHLD);
  if (pid == 0) {
    close(j->sock[0]);
    close(j->dirfd); /* the lock stays with the parent alone */
    struct init_ctx ctx = {
        .spec = j->spec, .state = &j->st, .bundle = j->bundle, .rootfs = j->rootfs,
        .sync_fd = j->sock[1], .fifo_fd = j->fifo_fd,
        .extra_fds = j->listen_fds + j->o->preserve_fds, .listen_fds = j->listen_fds,
        .no_pivot = j->o->no_pivot, .no_new_keyring = j->o->no_new_keyring,
        .seccomp = j->seccomp, .idmap = j->idmap, .cg = j->cg,
        .cg_entry = j->cg_entry, .started_beside = beside};
    container_init(&ctx);
  }
  int saved = errno;
  if (pid > 0 && beside)
    proc_start_beside(pid);
  berth_error *restore_err = NULL;
  ns_restore_pid_for_children(saved_pidns, &restore_err);
  berth_error_free(restore_err);
  if (pid < 0)
    return berth_fail(err, saved, "clone the container's init");
  return pid;
}

static int write_oom_score_adj(pid_t pid, const spec_process *p, berth_error **err) {
  if (!p->oom_score_adj.set)
    return 0;
  char path[64], val[32];
  snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
  int len = snprintf(val, sizeof(val), "%lld", (long long)p->oom_score_adj.v);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-OOM-SCORE", "open %s", path);
  ssize_t n = write(fd, val, (size_t)len);
  int saved = errno;
  close(fd);
  if (n != len)
    return berth_fail_id(err, "BERTH-E-PROCESS-OOM-SCORE", saved,
                         "set process.oomScoreAdj to %s", val);
  return 0;
}

static int handle_console(struct create_job *j, int fd, struct create_result *res,
                          berth_error **err) {
  if (j->o->keep_pty_master) {
    res->pty_master = fd;
    return 0;
  }
  int rc = terminal_send_fd(j->o->console_socket, fd, "/dev/ptmx", err);
  close(fd);
  return rc;
}

/* The state after READY is known from GO on: the init's pid, its start
 * time (fixed at clone) and its cgroup. Written now, while the init sets
 * itself up (on the other CPU, when the scheduler puts it there), it is
 * only renamed into place once the init is ready; on any failure here
 * save_state() writes it the long way. */
static int complete_state(struct create_job *j, berth_error **err) {
  if (j->completed)
    return 0;
  if (proc_stat_of(j->pid, &j->st.start_time, NULL) < 0)
    return berth_fail_id(err, "BERTH-E-SYNC-INIT-EXITED", ESRCH,
                         "the container's init exited during create");
  /* The provisional state (run_create) has the cgroup already; it is
   * written again only if it changed since. */
  j->cgroup_changed = j->cg != NULL && container_cgroup_record(&j->st, j->cg);
  j->completed = true;
  return 0;
}

static void stage_state(struct create_job *j) {
  berth_error *ignored = NULL;
  j->staged = complete_state(j, &ignored) == 0 &&
              state_stage(j->dirfd, &j->st, j->cgroup_changed, &ignored) == 0;
  berth_error_free(ignored);
}

/* A state with no init (pid 0 reads "stopped") but naming the cgroup, so
 * that a create killed from here on leaves a container that `delete`
 * finds and removes whole, the init included: it sits in that cgroup. */
static int save_provisional_state(struct create_job *j, berth_error **err) {
  if (j->cg != NULL)
    container_cgroup_record(&j->st, j->cg);
  return state_save(j->dirfd, &j->st, err);
}

/* The v1 directories and the resources: after the clone where
 * setup_cgroup left them for then, else right there. */
static int finish_cgroup(struct create_job *j, berth_error **err) {
  j->cgroup_unfinished = false;
  if (cgroup_make_v1(j->cg, err) < 0)
    return -1;
  faultpoint("create.cgroup-v1-made");
  return container_cgroup_apply(j->cg, j->spec, err);
}

/* run: what start would bind before it releases the init. */
static int listen_for_notify(struct create_job *j, berth_error **err) {
  j->notify_fd = notify_listen(j->dirfd, j->state_dir, err);
  return j->notify_fd < 0 && *err != NULL ? -1 : 0;
}

static int save_state(struct create_job *j, berth_error **err) {
  if (j->staged)
    return state_commit_staged(j->dirfd, &j->st, j->cgroup_changed, err);
  if (complete_state(j, err) < 0)
    return -1;
  return (j->cgroup_changed ? state_save : state_save_status)(j->dirfd, &j->st, err);
}

/* run, where nothing but READY comes from the init after JOINED (no
 * prestart or createRuntime hook, no seccomp listener to hand over) and
 * nothing but the program itself is left to fail after it (no console to
 * pass on, which may fail after the program ran): the state naming the
 * init is saved and SAVED sent right after JOINED, while the init sets
 * itself up, so the init finds SAVED waiting behind READY instead of
 * waiting a round trip for it. SAVED still follows the save, so the init
 * may outlive the runtime only once state.json names it; until the init's
 * READY, `list` sees that init "running" instead of a provisional state
 * with no init. create keeps SAVED after READY: its state says "created"
 * only once the init is ready to start. */
static bool saves_before_ready(const struct create_job *j) {
  return j->o->start && !init_waits_for_runtime_hooks(j->spec) &&
         (j->spec->process == NULL || !j->spec->process->terminal) &&
         (j->seccomp == NULL || !seccomp_prepared_uses_notify(j->seccomp));
}

/* What the init needs saved before it may outlive create (SAVED). */
static int save_for_release(struct create_job *j, berth_error **err) {
  if (save_state(j, err) < 0)
    return -1;
  faultpoint("create.state-saved");
  return j->o->start ? listen_for_notify(j, err) : 0;
}

/* A message the init may not live to read: a send that fails because it
 * is gone sets *gone, and its error (or its end) is what the next read
 * gets. Any other failure is the runtime's own. */
static int send_unless_gone(struct create_job *j, enum sync_type type, int64_t value, bool *gone,
                            berth_error **err) {
  berth_error *e = NULL;
  if (sync_send(j->sock[0], type, value, -1, &e) == 0)
    return 0;
  if (e != NULL && (e->code == EPIPE || e->code == ECONNRESET || e->code == ECONNREFUSED)) {
    berth_error_free(e);
    *gone = true;
    return 0;
  }
  *err = e;
  return -1;
}

/* Drive the child through the protocol in sync.h until READY. */
static int talk_to_init(struct create_job *j, struct create_result *res, berth_error **err) {
  faultpoint("create.cloned");
  if (write_oom_score_adj(j->pid, j->spec->process, err) < 0 ||
      ns_write_id_maps(j->pid, j->spec, err) < 0 ||
      netdev_move_into(j->pid, j->spec->linux.net_devices, j->spec->linux.n_net_devices, err) < 0)
    return -1;
  if (sync_send(j->sock[0], SYNC_GO, j->pid, -1, err) < 0)
    return -1;
  faultpoint("create.init-released");
  /* While the init mounts (see sync.h). */
  bool made_now = j->cgroup_unfinished;
  if (made_now && finish_cgroup(j, err) < 0)
    return -1;
  if (j->cg != NULL && j->cg_entry == CGROUP_ENTRY_BY_PARENT && cgroup_add_pid(j->cg, j->pid, err) < 0)
    return -1;
  faultpoint("create.in-cgroup");
  bool gone = false;
  if (send_unless_gone(j, SYNC_JOINED, 0, &gone, err) < 0)
    return -1;
  if (!gone && saves_before_ready(j)) {
    j->st.pid = j->pid;
    if (save_for_release(j, err) < 0 ||
        send_unless_gone(j, SYNC_SAVED, SYNC_SAVED_START, &gone, err) < 0)
      return -1;
    j->saved_early = true;
  } else {
    /* The first state of a cgroup made beside the clone, recording exactly
     * what was made, written while the init goes on; it names no init yet. */
    if (made_now && save_provisional_state(j, err) < 0)
      return -1;
    j->st.pid = j->pid;
    stage_state(j);
  }
  struct sync_msg m;
  int fd;
  enum sync_phase phase = PHASE_WAIT_READY;
  if (init_waits_for_runtime_hooks(j->spec)) {
    phase = PHASE_WAIT_HOOKS;
    if (sync_expect(j->sock[0], &phase, &m, &fd, err) < 0 ||
        hooks_run_create_runtime(j->spec, &j->st, err) < 0 ||
        sync_send(j->sock[0], SYNC_HOOKS_DONE, 0, -1, err) < 0)
      return -1;
    faultpoint("create.hooks-done");
  }
  while (phase != PHASE_DONE) {
    if (sync_expect(j->sock[0], &phase, &m, &fd, err) < 0)
      return -1;
    if (m.type == SYNC_CONSOLE && fd >= 0 && handle_console(j, fd, res, err) < 0)
      return -1;
    if (m.type == SYNC_SECCOMP &&
        seccomp_forward_listener(j->sock[0], j->pid, m.value, j->spec, &j->st, err) < 0)
      return -1;
  }
  return 0;
}

static int finish(struct create_job *j, berth_error **err) {
  faultpoint("create.init-ready");
  /* The init dies with create until it hears SAVED (see container_init). */
  if (!j->saved_early &&
      (save_for_release(j, err) < 0 ||
       sync_send(j->sock[0], SYNC_SAVED, j->o->start ? SYNC_SAVED_START : 0, -1, err) < 0))
    return -1;
  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_RELEASED;
  if (sync_expect(j->sock[0], &phase, &m, NULL, err) < 0)
    return -1;
  faultpoint("create.init-on-its-own");
  if (j->o->pid_file && state_write_pid_file(j->o->pid_file, j->pid, err) < 0)
    return -1;
  if (j->o->pidfd_socket && unixsock_send_pidfd(j->o->pidfd_socket, j->pid, err) < 0)
    return -1;
  return 0;
}

/* Whether a hierarchy is mounted at or below the rootfs, where the init's
 * own mounts could hide it from the init's join by path. */
static bool hierarchy_in_rootfs(const cgroup *cg, const char *rootfs) {
  size_t n = strlen(rootfs);
  const char *mount_point, *path;
  for (size_t i = 0; cgroup_dir_at(cg, i, &mount_point, &path); i++)
    if (strncmp(mount_point, rootfs, n) == 0 &&
        (n == 1 || mount_point[n] == '/' || mount_point[n] == '\0'))
      return true;
  return false;
}

/* Making the v1 directories is most of the cgroup's cost (clone.c): they
 * are made beside the clone (a helper, or after GO) and the resources
 * after GO, while the init mounts, where the init can join them itself by
 * path: it is root in the host's user namespace and sees the host's
 * hierarchies (no namespace joined, none inside the rootfs). Otherwise,
 * on a cgroup2 host, and with systemd or rootless, all is made first. */
static int setup_cgroup(struct create_job *j, berth_error **err) {
  bool later = !j->o->systemd_cgroup && !j->o->rootless &&
               ns_all_made_at_clone_without_user(j->spec);
  if (container_cgroup_setup(j->spec, j->o->id, j->o->systemd_cgroup, j->o->rootless, later,
                             &j->cg, err) < 0)
    return -1;
  if (!later || j->cg == NULL)
    return 0;
  /* A cgroup2 host has nothing to make later; nor has one whose
   * hierarchies the init might not see. */
  if (!cgroup_v1_pending(j->cg) || hierarchy_in_rootfs(j->cg, j->rootfs))
    return finish_cgroup(j, err);
  j->cgroup_unfinished = true;
  return 0;
}

static int run_create(struct create_job *j, struct create_result *res, berth_error **err) {
  faultpoint("create.state-dir");
  if (state_keep_config(j->dirfd, j->config_text, j->config_len, err) < 0 ||
      (!j->o->start && make_fifo(j, err) < 0) || fill_state(j, err) < 0)
    return -1;
  faultpoint("create.config-copied");
  /* First of what needs no clone, as its directories are made in the
   * background meanwhile (mkdir_helper.c). */
  if (setup_cgroup(j, err) < 0)
    return -1;
  /* The cgroup exists and nothing records it yet: delete --force must find
   * it from the copy of config.json. */
  faultpoint("create.cgroup-made");
  if (seccomp_prepare_for(j->spec, j->o->root, &j->seccomp, err) < 0)
    return -1;
  if (idmap_prepare(j->spec, j->bundle, &j->idmap, err) < 0)
    return -1;
  snprintf(j->state_dir, sizeof(j->state_dir), "%s/%s", j->o->root, j->o->id);
  if (notify_prepare(j->spec, j->dirfd, j->state_dir, err) < 0)
    return -1;
  /* Made beside the clone, the cgroup is first recorded after it
   * (talk_to_init): until then a delete finds its directories from the
   * copy of config.json (cgroup_reclaim), as after a create killed before
   * any state. */
  if (!j->cgroup_unfinished && save_provisional_state(j, err) < 0)
    return -1;
  faultpoint("create.cgroup");
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sock) < 0)
    return berth_fail_errno(err, "socketpair");
  count_passed_fds(j);
  j->pid = clone_init(j, err);
  if (j->pid < 0)
    return -1;
  close(j->sock[1]);
  j->sock[1] = -1;
  if (talk_to_init(j, res, err) < 0 || finish(j, err) < 0)
    return -1;
  faultpoint("create.done");
  res->pid = j->pid;
  return 0;
}

static int init_alive(void *arg) {
  struct create_job *j = arg;
  return state_process_status(j->dirfd, &j->st) != STATUS_STOPPED;
}

/* Spec 1.3: a failing poststart hook stops the container. The init is
 * still our unreaped child, so its pid cannot have been reused. */
static int run_poststart(struct create_job *j, berth_error **err) {
  int rc = hooks_run_with_state(j->spec, HOOK_POSTSTART, &j->st, STATUS_RUNNING, err);
  if (rc < 0)
    kill(j->pid, SIGKILL);
  return rc;
}

/* run: the rest of what start does (lifecycle.c), on the container this
 * process has just made and still holds locked, without reading it back. */
static int start_in_place(struct create_job *j, berth_error **err) {
  faultpoint("run.released");
  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_STARTED;
  if (sync_expect_exec(j->sock[0], &phase, &m, NULL, err) < 0)
    return -1;
  faultpoint("run.started");
  if (j->notify_fd >= 0 && notify_forward(j->notify_fd, j->pid, init_alive, j, err) < 0)
    return -1;
  int rc = run_poststart(j, err);
  faultpoint("run.done");
  return rc;
}

static void undo_create(struct create_job *j, struct create_result *res) {
  if (j->pid > 0) {
    kill(j->pid, SIGKILL);
    while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  if (res->pty_master >= 0) {
    close(res->pty_master);
    res->pty_master = -1;
  }
  container_discard(j->o->root, j->o->id, j->dirfd, j->cg, j->o->pid_file, "create");
}

static void release_job(struct create_job *j) {
  for (int i = 0; i < 2; i++) {
    if (j->sock[i] >= 0)
      close(j->sock[i]);
  }
  if (j->fifo_fd >= 0)
    close(j->fifo_fd);
  if (j->notify_fd >= 0)
    close(j->notify_fd);
  if (j->dirfd >= 0)
    close(j->dirfd);
  cgroup_free(j->cg);
  seccomp_free(j->seccomp);
  idmap_trees_free(j->idmap);
  free(j->st.created);
  free(j->st.freezer);
  json_decref(j->st.annotations);
  json_decref(j->st.cgroup);
  spec_free(j->spec);
  free(j->config_text);
}

int container_create(const struct create_opts *o, struct create_result *res, berth_error **err) {
  struct create_job j = {.o = o, .dirfd = -1, .fifo_fd = -1, .notify_fd = -1, .sock = {-1, -1}};
  res->pid = 0;
  res->pty_master = -1;
  res->created = false;
  int rc = -1;
  if (state_check_id(o->id, err) < 0)
    goto out;
  /* Before the config is loaded, as exec does: the re-executed berth would
   * parse it a second time. */
  if (o->ensure_sealed_binary)
    o->ensure_sealed_binary();
  if (resolve_bundle(&j, err) < 0 || create_check_supported(j.spec, err) < 0 ||
      check_terminal_opts(&j, err) < 0)
    goto out;
  for (size_t i = 0; i < j.spec->warnings.n; i++)
    berth_warn("%s", j.spec->warnings.v[i]);
  j.dirfd = state_dir_create(o->root, o->id, err);
  if (j.dirfd < 0)
    goto out;
  rc = run_create(&j, res, err);
  if (rc < 0) {
    undo_create(&j, res);
  } else if (o->start) {
    res->created = true;
    rc = start_in_place(&j, err);
  }
out:
  release_job(&j);
  return rc;
}
