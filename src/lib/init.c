#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "hooks.h"
#include "linux/idmap.h"
#include "linux/keyring.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/proc_controls.h"
#include "linux/rootfs.h"
#include "linux/sysctl.h"
#include "linux/terminal.h"
#include "process.h"
#include "sync.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Before READY, every failure goes back to the parent, which reports it
 * and cleans up; the init then simply dies. */
__attribute__((noreturn)) static void fail_to_parent(struct init_ctx *ctx, berth_error *e) {
  sync_send_error(ctx->sync_fd, e);
  _exit(1);
}

static int set_names(const spec *s, berth_error **err) {
  bool own_uts = ns_is_private(s, NS_UTS);
  if ((s->hostname || s->domainname) && !own_uts)
    return berth_fail_id(err, "BERTH-E-NAMESPACE-NEEDED", 0,
                         "unable to set hostname without a private UTS namespace");
  if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return berth_fail_errno(err, "sethostname \"%s\"", s->hostname);
  if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return berth_fail_errno(err, "setdomainname \"%s\"", s->domainname);
  return 0;
}

static int setup_console(struct init_ctx *ctx, berth_error **err) {
  int master, slave;
  if (terminal_open_pty(ctx->spec->process, &master, &slave, err) < 0)
    return -1;
  int rc = rootfs_bind_console(slave, err);
  if (rc == 0)
    rc = sync_send(ctx->sync_fd, SYNC_CONSOLE, 0, master, err);
  close(master);
  if (rc == 0)
    rc = terminal_make_controlling(slave, err);
  close(slave);
  return rc;
}

/* The parent makes or joins the cgroups after GO (see sync.h); what
 * needs them waits here. Once: later calls return at once. */
static int await_cgroup(void *arg, berth_error **err) {
  struct init_ctx *ctx = arg;
  if (ctx->joined)
    return 0;
  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_JOINED;
  if (sync_expect(ctx->sync_fd, &phase, &m, NULL, err) < 0 ||
      (ctx->cg_entry == CGROUP_ENTRY_V1_LATER && cgroup_join_v1_later(ctx->cg, err) < 0))
    return -1;
  /* Every CPU again (the cgroup narrows it), for the hooks too. */
  if (ctx->started_beside && proc_reset_cpu_affinity(0, err) < 0)
    return -1;
  ctx->joined = true;
  return 0;
}

static int setup_inside(struct init_ctx *ctx, struct process_launch *launch,
                        berth_error **err) {
  const spec *s = ctx->spec;
  /* Labels only where SELinux is on, as runc: asked here, on the host's
   * /sys, since after the pivot /sys is the container's; and only when a
   * label is asked for, so no other container pays for the question. */
  const char *mount_label = s->linux.mount_label;
  const char *process_label = s->process->selinux_label;
  bool selinux = ((mount_label && *mount_label) || (process_label && *process_label)) &&
                 lsm_selinux_enabled();
  rootfs_opts ro = {.spec = s, .rootfs = ctx->rootfs, .no_pivot = ctx->no_pivot,
                    .has_terminal = s->process->terminal, .idmap = ctx->idmap,
                    .mount_label = selinux && mount_label && *mount_label ? mount_label : NULL,
                    .await_cgroup = await_cgroup, .await_arg = ctx,
                    .cgroup = ctx->cg_entry != CGROUP_ENTRY_BY_PARENT ? ctx->cg : NULL};
  /* Hooks, the console, the user's program: all in the cgroups. */
  if (idmap_trees_claim(ctx->idmap, err) < 0 || rootfs_prepare(&ro, err) < 0 ||
      await_cgroup(ctx, err) < 0)
    return -1;
  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_HOOKS_DONE;
  if (init_waits_for_runtime_hooks(s) &&
      (sync_send(ctx->sync_fd, SYNC_HOOKS, 0, -1, err) < 0 ||
       sync_expect(ctx->sync_fd, &phase, &m, NULL, err) < 0))
    return -1;
  if (hooks_run_with_state(ctx->spec, HOOK_CREATE_CONTAINER, ctx->state, STATUS_CREATED, err) < 0)
    return -1;
  if (rootfs_pivot(&ro, err) < 0)
    return -1;
  /* Its own session either way, as runc: CRIU refuses to dump a process
   * tree whose session leader is outside the container. */
  if (s->process->terminal ? setup_console(ctx, err) < 0 : setsid() < 0 && errno != EPERM)
    return s->process->terminal ? -1 : berth_fail_errno(err, "setsid");
  if (sysctl_apply(s, err) < 0)
    return -1;
  process_make_cwd(s->process->cwd);
  if (rootfs_finalize(&ro, err) < 0)
    return -1;
  if (!ctx->no_new_keyring &&
      keyring_join_session(ctx->state->id, selinux ? process_label : NULL, err) < 0)
    return -1;
  return process_setup(launch, err);
}

/* The parent copies the listener with pidfd_getfd while we wait. */
int hand_over_listener(void *arg, int notify_fd, berth_error **err) {
  int sock = *(int *)arg;
  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_SECCOMP_DONE;
  if (sync_send(sock, SYNC_SECCOMP, notify_fd, -1, err) < 0)
    return -1;
  return sync_expect(sock, &phase, &m, NULL, err);
}

/* start opens the fifo for reading; until then this open blocks. The
 * written end stays open, to be closed by the execve of the user's
 * program (O_CLOEXEC): that is how start knows the program runs. */
static int wait_for_start(struct init_ctx *ctx, berth_error **err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", ctx->fifo_fd);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno(err, "open exec fifo");
  ssize_t n = write(fd, "0", 1);
  close(ctx->fifo_fd);
  if (n != 1) {
    close(fd);
    return berth_fail_errno(err, "write exec fifo");
  }
  return 0;
}

/* After start: nobody is waiting for an error any more, so it goes to
 * the container's stderr. */
__attribute__((noreturn)) static void start_process(struct init_ctx *ctx,
                                                    struct process_launch *launch) {
  berth_error *e = NULL;
  if (hooks_run_with_state(ctx->spec, HOOK_START_CONTAINER, ctx->state, STATUS_CREATED, &e) == 0)
    process_exec(launch, &e);
  fprintf(stderr, "berth init: %s\n", berth_error_text(e));
  _exit(e != NULL && e->code == ENOENT ? 127 : e != NULL && e->code == EACCES ? 126 : 1);
}

void container_init(struct init_ctx *ctx) {
  berth_error *e = NULL;
  /* Until state.json names us (SAVED), if the parent dies, so do we. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* Before anything is charged to the runtime's cgroups; a failure is told
   * after GO, as the parent listens only from then. */
  berth_error *join_err = NULL;
  cgroup_join_self(ctx->cg, &join_err);
  /* What state_process_status tells a created container by: the execve
   * of the container's process renames it. Before state.json names this
   * pid, so no reader sees the pid with another name before start. */
  prctl(PR_SET_NAME, STATE_INIT_COMM, 0, 0, 0);

  int keep[] = {ctx->sync_fd, ctx->fifo_fd, idmap_trees_holder_fd(ctx->idmap)};
  process_close_fds_except(ctx->extra_fds, keep, sizeof(keep) / sizeof(keep[0]));

  /* With no namespace to join and no user namespace to be mapped, lo and
   * the host and domain names belong to namespaces this process made at
   * clone, and nothing of the parent's is needed to set them up: they are
   * done while the parent is still busy, instead of after GO. */
  bool early = ns_all_made_at_clone_without_user(ctx->spec);
  berth_error *early_err = join_err;
  if (early_err == NULL && early && ns_loopback_up(ctx->spec, &early_err) == 0)
    set_names(ctx->spec, &early_err);

  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_GO;
  if (sync_expect(ctx->sync_fd, &phase, &m, NULL, &e) < 0)
    _exit(1);
  ctx->state->pid = (pid_t)m.value;
  /* Keep container processes from ptracing or reading /proc of this
   * process while it still holds host resources (already so when the
   * parent is root; see clone_init). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (early_err != NULL)
    fail_to_parent(ctx, early_err);

  if (ns_join_paths(ctx->spec, &e) < 0 || ns_become_userns_root(ctx->spec, &e) < 0 ||
      /* A new cgroup namespace is rooted where its creator is. */
      (ns_is_new(ctx->spec, NS_CGROUP) && await_cgroup(ctx, &e) < 0) ||
      ns_unshare_late(ctx->spec, &e) < 0 ||
      (!early && (ns_loopback_up(ctx->spec, &e) < 0 || set_names(ctx->spec, &e) < 0)))
    fail_to_parent(ctx, e);

  struct process_launch launch = {.p = ctx->spec->process,
                                  .personality = ctx->spec->linux.personality,
                                  .memory_policy = ctx->spec->linux.memory_policy,
                                  .listen_fds = ctx->listen_fds,
                                  .extra_fds = ctx->extra_fds, .seccomp = ctx->seccomp,
                                  .on_notify_fd = hand_over_listener, .notify_arg = &ctx->sync_fd};
  if (setup_inside(ctx, &launch, &e) < 0)
    fail_to_parent(ctx, e);

  if (sync_send(ctx->sync_fd, SYNC_READY, 0, -1, &e) < 0)
    _exit(1);
  /* Until state.json names this process, a create killed meanwhile would
   * leave it running in a container that reads as stopped: it dies with
   * its parent until SAVED, and says RELEASED before the parent may exit. */
  phase = PHASE_WAIT_SAVED;
  if (sync_expect(ctx->sync_fd, &phase, &m, NULL, &e) < 0)
    _exit(1);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (sync_send(ctx->sync_fd, SYNC_RELEASED, 0, -1, &e) < 0)
    _exit(1);
  /* run: started already. The socket, close-on-exec, stays open for the
   * parent to see the execve, as the fifo's written end does for start. */
  if (m.value == SYNC_SAVED_START)
    start_process(ctx, &launch);
  close(ctx->sync_fd);

  if (wait_for_start(ctx, &e) < 0) {
    fprintf(stderr, "berth init: %s\n", berth_error_text(e));
    _exit(1);
  }
  start_process(ctx, &launch);
}
