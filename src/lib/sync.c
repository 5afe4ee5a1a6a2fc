#include "sync.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux/unixsock.h"

const char *sync_type_name(uint32_t type) {
  switch (type) {
  case SYNC_GO: return "GO";
  case SYNC_HOOKS: return "HOOKS";
  case SYNC_HOOKS_DONE: return "HOOKS_DONE";
  case SYNC_CONSOLE: return "CONSOLE";
  case SYNC_READY: return "READY";
  case SYNC_ERROR: return "ERROR";
  case SYNC_SECCOMP: return "SECCOMP";
  case SYNC_SECCOMP_DONE: return "SECCOMP_DONE";
  case SYNC_SAVED: return "SAVED";
  case SYNC_RELEASED: return "RELEASED";
  case SYNC_JOINED: return "JOINED";
  }
  return "UNKNOWN";
}

static int send_msg(int sock, const struct sync_msg *m, int fd, berth_error **err) {
  /* Without a descriptor a plain write: see the seccomp note in sync.h. */
  int rc;
  if (fd >= 0) {
    rc = unixsock_send(sock, m, sizeof(*m), fd);
  } else {
    ssize_t n;
    do
      n = write(sock, m, sizeof(*m));
    while (n < 0 && errno == EINTR);
    rc = n == (ssize_t)sizeof(*m) ? 0 : -1;
  }
  if (rc < 0)
    return berth_fail_errno(err, "send %s to the other side of create", sync_type_name(m->type));
  return 0;
}

int sync_send(int sock, enum sync_type type, int64_t value, int fd, berth_error **err) {
  struct sync_msg m = {.type = type, .value = value};
  return send_msg(sock, &m, fd, err);
}

int sync_send_error(int sock, const berth_error *e) {
  struct sync_msg m = {.type = SYNC_ERROR, .code = e ? e->code : 0};
  snprintf(m.text, sizeof(m.text), "%s", e && e->msg ? e->msg : "unknown error");
  snprintf(m.id, sizeof(m.id), "%s", berth_error_id(e));
  return send_msg(sock, &m, -1, NULL);
}

static void take_passed_fd(struct msghdr *mh, int *fd) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    int got;
    memcpy(&got, CMSG_DATA(c), sizeof(int));
    if (fd != NULL && *fd < 0)
      *fd = got;
    else
      close(got); /* only one descriptor per message is expected */
  }
}

static int recv_raw(int sock, struct sync_msg *m, int *fd, bool *eof, berth_error **err) {
  *eof = false;
  if (fd != NULL)
    *fd = -1;
  struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
                      .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
  ssize_t n;
  /* A peer that closed with a message of ours unread (the init failing
   * while JOINED was on its way) leaves ECONNRESET, reported once, ahead
   * of what it sent last: its ERROR, which is what the caller needs. */
  bool reset_seen = false;
  for (;;) {
    n = fd != NULL ? recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) : read(sock, m, sizeof(*m));
    if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset_seen)))
      break;
    reset_seen = reset_seen || errno == ECONNRESET;
  }
  if (n < 0)
    return berth_fail_errno(err, "receive from the other side of create");
  if (fd != NULL)
    take_passed_fd(&mh, fd);
  if (n == 0) {
    *eof = true;
    return 0;
  }
  if ((size_t)n != sizeof(*m))
    return berth_fail(err, EPROTO, "short message (%zd bytes) from the other side of create", n);
  m->text[SYNC_TEXT_MAX - 1] = '\0';
  return 0;
}

int sync_recv(int sock, struct sync_msg *m, int *fd, berth_error **err) {
  bool eof;
  if (recv_raw(sock, m, fd, &eof, err) < 0)
    return -1;
  if (eof)
    return berth_fail_id(err, "BERTH-E-SYNC-INIT-EXITED", 0,
                         "the container's init exited before finishing its setup");
  return 0;
}

static const char *phase_name(enum sync_phase p) {
  switch (p) {
  case PHASE_WAIT_GO: return "waiting for GO";
  case PHASE_WAIT_HOOKS_DONE: return "waiting for HOOKS_DONE";
  case PHASE_WAIT_SECCOMP_DONE: return "waiting for SECCOMP_DONE";
  case PHASE_WAIT_HOOKS: return "waiting for HOOKS";
  case PHASE_WAIT_READY: return "waiting for READY";
  case PHASE_WAIT_EXEC: return "waiting for exec";
  case PHASE_WAIT_SAVED: return "waiting for SAVED";
  case PHASE_WAIT_RELEASED: return "waiting for RELEASED";
  case PHASE_WAIT_STARTED: return "waiting for the program to start";
  case PHASE_WAIT_JOINED: return "waiting for JOINED";
  case PHASE_DONE: return "done";
  case PHASE_FAILED: return "failed";
  }
  return "unknown";
}

int sync_advance(enum sync_phase *phase, const struct sync_msg *m, berth_error **err) {
  if (m->type == SYNC_ERROR && *phase != PHASE_DONE && *phase != PHASE_FAILED) {
    *phase = PHASE_FAILED;
    /* The init's error keeps the code it was made with. */
    char id[sizeof(m->id)];
    snprintf(id, sizeof(id), "%s", m->id);
    const char *known = berth_error_id_known(id);
    if (known != NULL)
      return berth_fail_id(err, known, m->code, "%s", m->text);
    return berth_fail(err, m->code, "%s", m->text);
  }
  enum sync_phase next = PHASE_FAILED;
  switch (*phase) {
  case PHASE_WAIT_GO:
    if (m->type == SYNC_GO)
      next = PHASE_WAIT_HOOKS_DONE;
    break;
  case PHASE_WAIT_HOOKS_DONE:
    if (m->type == SYNC_HOOKS_DONE)
      next = PHASE_DONE;
    break;
  case PHASE_WAIT_HOOKS:
    if (m->type == SYNC_HOOKS)
      next = PHASE_WAIT_READY;
    break;
  case PHASE_WAIT_SECCOMP_DONE:
    if (m->type == SYNC_SECCOMP_DONE)
      next = PHASE_DONE;
    break;
  case PHASE_WAIT_EXEC:
    if (m->type == SYNC_CONSOLE || m->type == SYNC_SECCOMP)
      next = PHASE_WAIT_EXEC;
    break;
  case PHASE_WAIT_SAVED:
    if (m->type == SYNC_SAVED)
      next = PHASE_DONE;
    break;
  case PHASE_WAIT_RELEASED:
    if (m->type == SYNC_RELEASED)
      next = PHASE_DONE;
    break;
  case PHASE_WAIT_JOINED:
    if (m->type == SYNC_JOINED)
      next = PHASE_DONE;
    break;
  case PHASE_WAIT_STARTED: /* end-of-file only */
    break;
  case PHASE_WAIT_READY:
    if (m->type == SYNC_CONSOLE || m->type == SYNC_SECCOMP)
      next = PHASE_WAIT_READY;
    else if (m->type == SYNC_READY)
      next = PHASE_DONE;
    break;
  case PHASE_DONE:
  case PHASE_FAILED:
    break;
  }
  if (next == PHASE_FAILED) {
    enum sync_phase was = *phase;
    *phase = PHASE_FAILED;
    return berth_fail(err, EPROTO, "unexpected %s message while %s", sync_type_name(m->type),
                      phase_name(was));
  }
  *phase = next;
  return 0;
}

int sync_expect(int sock, enum sync_phase *phase, struct sync_msg *m, int *fd, berth_error **err) {
  if (sync_recv(sock, m, fd, err) < 0) {
    *phase = PHASE_FAILED;
    return -1;
  }
  if (sync_advance(phase, m, err) < 0) {
    if (fd != NULL && *fd >= 0) {
      close(*fd);
      *fd = -1;
    }
    return -1;
  }
  return 0;
}

int sync_expect_exec(int sock, enum sync_phase *phase, struct sync_msg *m, int *fd,
                     berth_error **err) {
  bool eof;
  if (recv_raw(sock, m, fd, &eof, err) < 0) {
    *phase = PHASE_FAILED;
    return -1;
  }
  if (eof) {
    *phase = PHASE_DONE;
    return 0;
  }
  if (sync_advance(phase, m, err) < 0) {
    if (fd != NULL && *fd >= 0) {
      close(*fd);
      *fd = -1;
    }
    return -1;
  }
  return 0;
}
