/* exec: a new process joins every namespace and the cgroup of a running
 * container's init, then goes through the same process setup as the init
 * itself (process.c). */
#include "exec.h"

#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
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
#include "exec_internal.h"
#include "faultpoint.h"
#include "handle.h"
#include "init.h"
#include "linux/keyring.h"
#include "linux/lsm.h"
#include "linux/seccomp.h"
#include "seccomp_forward.h"
#include "linux/terminal.h"
#include "linux/unixsock.h"
#include "process.h"
#include "sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_job {
  const struct exec_opts *o;
  struct handle h;
  spec *container;
  spec_process *process;
  int pidfd;
  int ns_flags; /* namespaces of the init that differ from ours */
  int sock[2];
  pid_t pid;
  int pty_master;
  struct berth_seccomp *seccomp;
  bool selinux; /* asked on the host's /sys, before joining the container */
  enum cgroup_entry cg_entry; /* how the process gets into the container's cgroup */
};

static const struct {
  const char *name;
  int flag;
} ns_files[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},     {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},   {"ipc", CLONE_NEWIPC},    {"uts", CLONE_NEWUTS},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

/* Joining one's own user namespace is an error, and joining any other
 * we already share is pointless: only the ones that differ count. */
static int differing_namespaces(pid_t pid) {
  int flags = 0;
  for (size_t i = 0; i < sizeof(ns_files) / sizeof(ns_files[0]); i++) {
    char theirs[64], ours[64];
    snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
    snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns_files[i].name);
    struct stat a, b;
    if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 &&
        (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
      flags |= ns_files[i].flag;
  }
  return flags;
}

static int check_status(struct exec_job *j, berth_error **err) {
  switch (handle_status(&j->h)) {
  case STATUS_STOPPED:
    return berth_fail_id(err, "BERTH-E-EXEC-STOPPED", 0, "cannot exec in a stopped container");
  case STATUS_PAUSED:
    if (!j->o->ignore_paused)
      return berth_fail_id(err, "BERTH-E-EXEC-PAUSED", 0,
                           "cannot exec in a paused container (use --ignore-paused to "
                           "override)");
    return 0;
  default:
    return 0;
  }
}

static int check_opts(const struct exec_opts *o, const spec_process *p, berth_error **err) {
  if (terminal_check_opts(p->terminal, o->detach, o->console_socket, err) < 0)
    return -1;
  if (p->apparmor_profile && *p->apparmor_profile && !lsm_apparmor_enabled())
    return berth_fail_id(err, "BERTH-E-LSM-DISABLED", 0,
                         "apparmor failed to apply profile \"%s\": apparmor is not enabled "
                         "on this host", p->apparmor_profile);
  if (p->selinux_label && *p->selinux_label && !lsm_selinux_enabled())
    return berth_fail_id(err, "BERTH-E-LSM-DISABLED", 0,
                         "selinux label is specified in config, but selinux is disabled or "
                         "not supported");
  return 0;
}

/* Child: runs in the container from here on. Never returns. */
__attribute__((noreturn)) static void exec_child(struct exec_job *j) {
  berth_error *e = NULL;
  /* First, as the init does; told after GO, when the parent listens. */
  berth_error *join_err = NULL;
  cgroup_join_self(j->h.cg, &join_err);
  int sock = j->sock[1];
  int keep[] = {sock, j->pidfd};
  process_close_fds_except(j->o->preserve_fds, keep, sizeof(keep) / sizeof(keep[0]));
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_GO;
  if (sync_expect(sock, &phase, &m, NULL, &e) < 0)
    _exit(255);
  if (join_err != NULL) {
    e = join_err;
    goto fail;
  }
  /* All at once through the pidfd: the kernel orders user first. */
  int join = j->ns_flags & ~CLONE_NEWPID;
  if (join != 0 && setns(j->pidfd, join) < 0) {
    berth_fail_errno_id(&e, "BERTH-E-EXEC-JOIN", "join the container's namespaces");
    goto fail;
  }
  close(j->pidfd);
  if (!j->h.st->no_new_keyring &&
      keyring_join_session(j->o->id, j->selinux ? j->process->selinux_label : NULL, &e) < 0)
    goto fail;
  if (j->process->terminal) {
    int master, slave;
    if (terminal_open_pty(j->process, &master, &slave, &e) < 0 ||
        sync_send(sock, SYNC_CONSOLE, 0, master, &e) < 0 || terminal_make_controlling(slave, &e) < 0)
      goto fail;
    close(master);
    close(slave);
  }
  struct process_launch launch = {.p = j->process,
                                  .personality = j->container->linux.personality,
                                  .memory_policy = j->container->linux.memory_policy,
                                  .extra_fds = j->o->preserve_fds,
                                  .seccomp = j->seccomp, .on_notify_fd = hand_over_listener,
                                  .notify_arg = &sock};
  if (process_setup(&launch, &e) < 0)
    goto fail;
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  process_exec(&launch, &e);
fail:
  sync_send_error(sock, e);
  _exit(255);
}

static int spawn(struct exec_job *j, berth_error **err) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sock) < 0)
    return berth_fail_errno(err, "socketpair");
  /* Non-dumpable before the child exists: it is visible in the container
   * from the moment it is cloned, while it still holds host descriptors
   * and runs berth (CVE-2016-9962). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Unprivileged, only the container's own user namespace grants the
   * right to enter its pid namespace: join it first, here (root keeps the
   * host's, which the cgroup move below needs). */
  if (geteuid() != 0 && (j->ns_flags & CLONE_NEWUSER)) {
    if (setns(j->pidfd, CLONE_NEWUSER) < 0)
      return berth_fail_errno_id(err, "BERTH-E-EXEC-JOIN", "join the container's user namespace");
    j->ns_flags &= ~CLONE_NEWUSER;
  }
  /* A pid namespace applies to children only: enter it here for the one
   * child we are about to make. */
  if ((j->ns_flags & CLONE_NEWPID) && setns(j->pidfd, CLONE_NEWPID) < 0)
    return berth_fail_errno_id(err, "BERTH-E-EXEC-JOIN", "join the container's pid namespace");
  struct clone_args args = {.exit_signal = SIGCHLD};
  /* In the container's cgroup with no move by us where the host allows
   * (clone.c), as the init is; --cgroup sub-cgroups are joined by moving,
   * in drive_child. */
  j->pid = cgroup_clone3(j->o->n_cgroups == 0 ? j->h.cg : NULL, &args, &j->cg_entry);
  if (j->pid < 0 && errno == ENOSYS)
    j->pid = fork();
  if (j->pid == 0) {
    close(j->sock[0]);
    exec_child(j);
  }
  if (j->pid < 0)
    return berth_fail_errno(err, "clone the exec process");
  close(j->sock[1]);
  j->sock[1] = -1;
  return 0;
}

static int deliver_console(struct exec_job *j, int fd, berth_error **err) {
  if (!j->o->detach) {
    j->pty_master = fd;
    return 0;
  }
  int rc = terminal_send_fd(j->o->console_socket, fd, "/dev/ptmx", err);
  close(fd);
  return rc;
}

static int drive_child(struct exec_job *j, berth_error **err) {
  if (j->h.cg != NULL && j->cg_entry == CGROUP_ENTRY_BY_PARENT) {
    int rc = j->o->n_cgroups > 0
                 ? cgroup_add_pid_sub(j->h.cg, j->o->cgroups, j->o->n_cgroups, j->pid, err)
                 : cgroup_add_pid(j->h.cg, j->pid, err);
    if (rc < 0)
      return -1;
  } else if (j->o->n_cgroups > 0) {
    return berth_fail_id(err, "BERTH-E-EXEC-CGROUP", 0, "--cgroup: the container has no cgroup");
  }
  faultpoint("exec.in-cgroup");
  if (sync_send(j->sock[0], SYNC_GO, j->pid, -1, err) < 0)
    return -1;
  enum sync_phase phase = PHASE_WAIT_EXEC;
  while (phase != PHASE_DONE) {
    struct sync_msg m;
    int fd = -1;
    if (sync_expect_exec(j->sock[0], &phase, &m, &fd, err) < 0)
      return -1;
    if (phase == PHASE_DONE)
      break;
    if (m.type == SYNC_CONSOLE && fd >= 0 && deliver_console(j, fd, err) < 0)
      return -1;
    if (m.type == SYNC_SECCOMP &&
        seccomp_forward_listener(j->sock[0], j->pid, m.value, j->container, j->h.st, err) < 0)
      return -1;
  }
  return 0;
}

static int report_started(struct exec_job *j, berth_error **err) {
  if (j->o->pid_file && state_write_pid_file(j->o->pid_file, j->pid, err) < 0)
    return -1;
  if (j->o->pidfd_socket)
    return unixsock_send_pidfd(j->o->pidfd_socket, j->pid, err);
  return 0;
}

static int prepare(struct exec_job *j, berth_error **err) {
  if (handle_open(j->o->root, j->o->id, &j->h, err) < 0)
    return -1;
  if (check_status(j, err) < 0 || handle_load_spec(&j->h, &j->container, err) < 0 ||
      exec_build_process(j->o, j->container, &j->process, err) < 0 ||
      check_opts(j->o, j->process, err) < 0)
    return -1;
  j->pidfd = handle_init_pidfd(&j->h);
  if (j->pidfd < 0)
    return berth_fail(err, 0, "container not running");
  j->ns_flags = differing_namespaces(j->h.st->pid);
  const char *label = j->process->selinux_label;
  j->selinux = label != NULL && *label != '\0' && lsm_selinux_enabled();
  /* exec runs under the container's own filter, as runc does. */
  return seccomp_prepare_for(j->container, j->o->root, &j->seccomp, err);
}

static void release(struct exec_job *j) {
  for (int i = 0; i < 2; i++) {
    if (j->sock[i] >= 0)
      close(j->sock[i]);
  }
  if (j->pidfd >= 0)
    close(j->pidfd);
  if (j->pty_master >= 0)
    close(j->pty_master);
  handle_close(&j->h);
  seccomp_free(j->seccomp);
  spec_process_free(j->process);
  spec_free(j->container);
}

int container_exec(const struct exec_opts *o, int *exit_code, berth_error **err) {
  struct exec_job j = {.o = o, .pidfd = -1, .sock = {-1, -1}, .pty_master = -1,
                       .h = {.dirfd = -1}};
  *exit_code = 255;
  int rc = -1;
  /* Before anything is loaded: the re-executed berth would load it again. */
  if (o->ensure_sealed_binary)
    o->ensure_sealed_binary();
  if (prepare(&j, err) < 0)
    goto out;
  faultpoint("exec.prepared");
  /* Everything needed is loaded: let go of the container's lock now, or a
   * `resume` could never reach a paused container this exec waits on
   * (--ignore-paused), nor could kill or delete act meanwhile. */
  close(j.h.dirfd);
  j.h.dirfd = -1;
  if (spawn(&j, err) < 0)
    goto out;
  faultpoint("exec.spawned");
  if (drive_child(&j, err) < 0) {
    kill(j.pid, SIGKILL);
    waitpid(j.pid, NULL, 0);
    goto out;
  }
  faultpoint("exec.running");
  if (report_started(&j, err) < 0)
    goto out;
  faultpoint("exec.reported");
  if (o->detach) {
    *exit_code = 0;
    rc = 0;
    goto out;
  }
  int status;
  if (foreground_wait(j.pid, j.pty_master, &status, err) == 0) {
    *exit_code = foreground_exit_code(status);
    rc = 0;
  }
out:
  release(&j);
  return rc;
}
