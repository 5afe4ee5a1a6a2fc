/* The create protocol: real socketpairs, both sides' state machines. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"
#include "unit.h"

static struct sync_msg msg_of(uint32_t type) {
  struct sync_msg m;
  memset(&m, 0, sizeof(m));
  m.type = type;
  return m;
}

static void test_parent_happy_path(void) {
  enum sync_phase p = PHASE_WAIT_HOOKS;
  berth_error *e = NULL;
  struct sync_msg m = msg_of(SYNC_HOOKS);
  CHECK(sync_advance(&p, &m, &e) == 0 && p == PHASE_WAIT_READY);
  m = msg_of(SYNC_CONSOLE);
  CHECK(sync_advance(&p, &m, &e) == 0 && p == PHASE_WAIT_READY);
  m = msg_of(SYNC_READY);
  CHECK(sync_advance(&p, &m, &e) == 0 && p == PHASE_DONE);
  CHECK(e == NULL);
}

static void test_child_happy_path(void) {
  enum sync_phase p = PHASE_WAIT_GO;
  berth_error *e = NULL;
  struct sync_msg m = msg_of(SYNC_GO);
  CHECK(sync_advance(&p, &m, &e) == 0 && p == PHASE_WAIT_HOOKS_DONE);
  m = msg_of(SYNC_HOOKS_DONE);
  CHECK(sync_advance(&p, &m, &e) == 0 && p == PHASE_DONE);
}

static void test_out_of_order_is_rejected(void) {
  enum sync_phase p = PHASE_WAIT_HOOKS;
  berth_error *e = NULL;
  struct sync_msg m = msg_of(SYNC_READY);
  CHECK(sync_advance(&p, &m, &e) < 0);
  CHECK(p == PHASE_FAILED);
  CHECK_STR_CONTAINS(berth_error_text(e), "unexpected READY message while waiting for HOOKS");
  berth_error_clear(&e);

  p = PHASE_DONE;
  m = msg_of(SYNC_GO);
  CHECK(sync_advance(&p, &m, &e) < 0);
  berth_error_clear(&e);
}

static void test_error_carries_text_and_errno(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  berth_error *child_err = NULL;
  berth_fail(&child_err, EPERM, "mount \"proc\" on \"/proc\"");
  CHECK(sync_send_error(sv[1], child_err) == 0);
  berth_error_free(child_err);

  enum sync_phase p = PHASE_WAIT_HOOKS;
  struct sync_msg m;
  int fd;
  berth_error *e = NULL;
  CHECK(sync_expect(sv[0], &p, &m, &fd, &e) < 0);
  CHECK(p == PHASE_FAILED && fd == -1);
  CHECK(e != NULL && e->code == EPERM);
  CHECK_STR_CONTAINS(berth_error_text(e), "mount \"proc\" on \"/proc\": operation not permitted");
  berth_error_free(e);
  close(sv[0]);
  close(sv[1]);
}

static void test_fd_passing_and_value(void) {
  int sv[2], pipefd[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
  berth_error *e = NULL;
  CHECK(sync_send(sv[1], SYNC_HOOKS, 0, -1, &e) == 0);
  CHECK(sync_send(sv[1], SYNC_CONSOLE, 0, pipefd[1], &e) == 0);
  CHECK(sync_send(sv[1], SYNC_READY, 4242, -1, &e) == 0);

  enum sync_phase p = PHASE_WAIT_HOOKS;
  struct sync_msg m;
  int fd = -1;
  CHECK(sync_expect(sv[0], &p, &m, &fd, &e) == 0 && fd == -1);
  CHECK(sync_expect(sv[0], &p, &m, &fd, &e) == 0 && fd >= 0);
  CHECK(write(fd, "x", 1) == 1);
  char c = 0;
  CHECK(read(pipefd[0], &c, 1) == 1 && c == 'x');
  CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  close(fd);
  CHECK(sync_expect(sv[0], &p, &m, &fd, &e) == 0 && m.value == 4242 && p == PHASE_DONE);
  close(pipefd[0]);
  close(pipefd[1]);
  close(sv[0]);
  close(sv[1]);
}

static void test_peer_exit_is_an_error(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  close(sv[1]);
  enum sync_phase p = PHASE_WAIT_READY;
  struct sync_msg m;
  berth_error *e = NULL;
  CHECK(sync_expect(sv[0], &p, &m, NULL, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "exited before finishing its setup");
  berth_error_free(e);
  close(sv[0]);
}

/* run, after RELEASED: only the end of the socket (the execve) is right. */
static void test_started_waits_for_eof_only(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  berth_error *e = NULL;
  CHECK(sync_send(sv[1], SYNC_READY, 0, -1, &e) == 0);
  enum sync_phase p = PHASE_WAIT_STARTED;
  struct sync_msg m;
  CHECK(sync_expect_exec(sv[0], &p, &m, NULL, &e) < 0 && p == PHASE_FAILED);
  CHECK_STR_CONTAINS(berth_error_text(e),
                     "unexpected READY message while waiting for the program to start");
  berth_error_clear(&e);

  berth_error *init_err = NULL;
  berth_fail(&init_err, ENOENT, "startContainer hook");
  CHECK(sync_send_error(sv[1], init_err) == 0);
  berth_error_free(init_err);
  p = PHASE_WAIT_STARTED;
  CHECK(sync_expect_exec(sv[0], &p, &m, NULL, &e) < 0 && e != NULL && e->code == ENOENT);
  berth_error_clear(&e);

  close(sv[1]);
  p = PHASE_WAIT_STARTED;
  CHECK(sync_expect_exec(sv[0], &p, &m, NULL, &e) == 0 && p == PHASE_DONE && e == NULL);
  close(sv[0]);
}

/* The init waits for JOINED (the parent's cgroup join, after GO) and
 * takes nothing else there; nobody else takes JOINED. */
static void test_joined_only_where_awaited(void) {
  enum sync_phase p = PHASE_WAIT_JOINED;
  berth_error *e = NULL;
  struct sync_msg m = msg_of(SYNC_JOINED);
  CHECK(sync_advance(&p, &m, &e) == 0 && p == PHASE_DONE && e == NULL);
  p = PHASE_WAIT_JOINED;
  m = msg_of(SYNC_HOOKS_DONE);
  CHECK(sync_advance(&p, &m, &e) < 0 && p == PHASE_FAILED);
  CHECK_STR_CONTAINS(berth_error_text(e), "unexpected HOOKS_DONE message while waiting for JOINED");
  berth_error_clear(&e);
  p = PHASE_WAIT_GO;
  m = msg_of(SYNC_JOINED);
  CHECK(sync_advance(&p, &m, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "unexpected JOINED message while waiting for GO");
  berth_error_clear(&e);
}

/* An init that died after GO: the parent's JOINED fails with EPIPE, and
 * no SIGPIPE (a seqpacket socket raises none), so create goes on to read
 * why and to clean up. */
static void test_send_to_dead_child_is_an_error(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  close(sv[1]);
  berth_error *e = NULL;
  CHECK(sync_send(sv[0], SYNC_JOINED, 0, -1, &e) < 0);
  CHECK(e != NULL && e->code == EPIPE);
  CHECK_STR_CONTAINS(berth_error_text(e), "send JOINED to the other side of create");
  berth_error_clear(&e);
  close(sv[0]);
}

/* The init failed right after GO and exited with JOINED unread: the
 * kernel reports ECONNRESET once, and the init's ERROR behind it is what
 * create must show. */
static void test_error_behind_a_reset_is_read(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  berth_error *init_err = NULL, *e = NULL;
  berth_fail(&init_err, EINVAL, "linux.timeOffsets: requires a new time namespace");
  CHECK(sync_send_error(sv[1], init_err) == 0);
  berth_error_free(init_err);
  CHECK(sync_send(sv[0], SYNC_JOINED, 0, -1, &e) == 0);
  close(sv[1]);
  enum sync_phase p = PHASE_WAIT_READY;
  struct sync_msg m;
  CHECK(sync_expect(sv[0], &p, &m, NULL, &e) < 0 && p == PHASE_FAILED);
  CHECK(e != NULL && e->code == EINVAL);
  CHECK_STR_CONTAINS(berth_error_text(e), "requires a new time namespace");
  berth_error_clear(&e);
  close(sv[0]);
}

int main(void) {
  test_parent_happy_path();
  test_error_behind_a_reset_is_read();
  test_joined_only_where_awaited();
  test_send_to_dead_child_is_an_error();
  test_child_happy_path();
  test_out_of_order_is_rejected();
  test_error_carries_text_and_errno();
  test_fd_passing_and_value();
  test_peer_exit_is_an_error();
  test_started_waits_for_eof_only();
  return unit_summary("sync");
}
