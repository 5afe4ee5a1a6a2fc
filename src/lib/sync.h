/* The parent/child protocol of `create`: typed messages over a
 * SOCK_SEQPACKET socketpair, checked against a small state machine so that
 * a message out of order is an error, never a silent hang.
 *
 *   parent                               child (container init)
 *   clone ───────────────────────────►   joins its cgroups (see below), waits
 *   id maps, oom ─ GO(pid) ──────────►   namespaces joined, mounts
 *   cgroup made/joined ─ JOINED ─────►   awaited before anything that
 *                                        needs the cgroups (see below)
 *                        ◄─ HOOKS ────   before pivot_root, only when
 *   prestart, createRuntime ─ HOOKS_DONE ►   the spec has such hooks
 *                        ◄─ CONSOLE(fd)  only when process.terminal
 *                        ◄─ READY ────
 *   state.json ─ SAVED ──────────────►
 *                        ◄─ RELEASED ─   blocks on exec.fifo
 *   pid file, exit
 *
 * `run` sends SAVED with SYNC_SAVED_START instead: the init keeps its end
 * of the socket, runs the startContainer hooks and execs the program, and
 * the parent, which never made an exec.fifo, reads end-of-file when the
 * program runs (or the init died), as `start` does on the fifo. Where the
 * init sends nothing after JOINED that waits for an answer (no HOOKS, no
 * SECCOMP) and has no console to pass on, `run` saves the state and sends
 * SAVED right after JOINED, before READY: the init reads it behind its
 * READY without waiting (create.c, saves_before_ready), and `list` shows
 * the init "running" from then on rather than once it is ready.
 *
 * Where the clone could prepare it (cgroup_clone3), the init is in its
 * cgroups before it does anything else: born in the cgroup2 one, joining
 * the v1 ones itself; JOINED then only says so. Where the init is root in
 * the host's user namespace and joins no namespace (cgroupfs, v1 or
 * hybrid), the v1 directories are made beside the clone by a helper
 * (x86_64) or after GO, and the resources after GO, while the init does
 * its mounts: JOINED then says they are ready, and the init joins the v1
 * ones itself (CGROUP_ENTRY_V1_LATER). Otherwise (a systemd
 * scope, which starts with the init's pid; a kernel that refuses
 * CLONE_INTO_CGROUP) the parent moves the init after GO, not before,
 * because a write to cgroup.procs can wait for an RCU grace period (6 to
 * 15 ms on an idle host): the init does its mounts meanwhile. It waits
 * for JOINED before a new cgroup namespace, before the cgroup mount
 * (which binds the cgroups it is in), before its device nodes (which the
 * devices cgroup checks), and in any case before the createContainer
 * hooks and READY, so no hook and no user code ever runs outside its
 * cgroups. When the parent moves it, the kernel's objects for the mounts
 * made before that (a few kilobytes) are charged to the runtime's memory
 * cgroup rather than the container's.
 *
 * Either side may instead send ERROR (errno + text) and stop. A child whose
 * seccomp filter has a notify listener sends SECCOMP (the fd number) and
 * waits for SECCOMP_DONE while the parent copies it with pidfd_getfd;
 * messages without a descriptor travel by plain write/read, so a filter
 * that sends sendmsg/recvmsg to the listener cannot deadlock this step.
 *
 * exec uses the same messages: GO, then CONSOLE when a tty is asked for,
 * then the child execs; its end of the socket is close-on-exec, so the
 * parent reads end-of-file exactly when execve succeeded. */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum sync_type {
  SYNC_GO = 1,     /* parent: setup from outside is done; payload: host pid */
  SYNC_HOOKS,      /* child: mounts are ready, run the runtime-namespace hooks */
  SYNC_HOOKS_DONE, /* parent */
  SYNC_CONSOLE,    /* child: the pty master rides along as SCM_RIGHTS */
  SYNC_READY,      /* child: about to block on exec.fifo */
  SYNC_ERROR,      /* either: code + text */
  SYNC_SECCOMP,    /* child: value is the fd number of a seccomp listener */
  SYNC_SECCOMP_DONE, /* parent: it took the listener (pidfd_getfd) */
  SYNC_SAVED,      /* parent: state.json names the init, which may outlive create now;
                    * value SYNC_SAVED_START: and start at once (run) */
  SYNC_RELEASED,   /* child: no longer dies with its parent */
  SYNC_JOINED,     /* parent, after GO: the init is in its cgroups (sent without any) */
};

enum sync_phase {
  PHASE_WAIT_GO,         /* child side */
  PHASE_WAIT_HOOKS_DONE, /* child side */
  PHASE_WAIT_SECCOMP_DONE, /* child side */
  PHASE_WAIT_HOOKS,      /* parent side */
  PHASE_WAIT_READY,      /* parent side: CONSOLE may come first */
  PHASE_WAIT_EXEC,       /* exec's parent side: CONSOLE, then EOF */
  PHASE_WAIT_SAVED,      /* child side, after READY */
  PHASE_WAIT_RELEASED,   /* parent side, after SAVED */
  PHASE_WAIT_STARTED,    /* run's parent side, after RELEASED: only EOF */
  PHASE_WAIT_JOINED,     /* child side, after GO */
  PHASE_DONE,
  PHASE_FAILED,
};

#define SYNC_TEXT_MAX 2048
#define SYNC_SAVED_START 1

struct sync_msg {
  uint32_t type;
  int32_t code;   /* errno for SYNC_ERROR */
  int64_t value;  /* SYNC_GO: the child's host pid */
  char text[SYNC_TEXT_MAX];
  char id[32];    /* the error's stable code, for SYNC_ERROR */
};

/* Send a message; fd >= 0 is passed with SCM_RIGHTS. */
int sync_send(int sock, enum sync_type type, int64_t value, int fd, berth_error **err);
int sync_send_error(int sock, const berth_error *e);
/* Receive one message; *fd gets a passed descriptor or -1. EOF is an error
 * ("the other side exited"). */
int sync_recv(int sock, struct sync_msg *m, int *fd, berth_error **err);

/* Advance *phase by message type. Returns 0 when `type` is allowed in that
 * phase, -1 (with an error naming both) when not. A SYNC_ERROR is turned
 * into the error it carries and moves to PHASE_FAILED. */
int sync_advance(enum sync_phase *phase, const struct sync_msg *m, berth_error **err);

/* Receive and advance in one go: the usual call on both sides. */
int sync_expect(int sock, enum sync_phase *phase, struct sync_msg *m, int *fd, berth_error **err);

/* exec's (and run's) parent side: end-of-file means the child exec'd, and
 * moves *phase to PHASE_DONE. */
int sync_expect_exec(int sock, enum sync_phase *phase, struct sync_msg *m, int *fd,
                     berth_error **err);

const char *sync_type_name(uint32_t type);

#endif
