/* seccomp against the real kernel: every filter is loaded in a forked child
 * whose exit status (or death by SIGSYS) tells what its syscalls saw. The
 * cache, the listener hand-off and the error messages are checked from the
 * parent. Child bodies make raw syscalls so libc cannot route around the
 * rules, and end with exit_group, which every filter here allows. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/seccomp.h"
#include "spec.h"
#include "unit.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a SIGSYS from a filter; not in every libc */
#endif

static char tmp_dir[64];

/* ---- building specs ---------------------------------------------------- */

/* Parses `seccomp_json` as linux.seccomp of a minimal config, the way
 * create receives it. */
static spec *parse_seccomp(const char *seccomp_json) {
  char *doc = NULL;
  spec *s = NULL;
  berth_error *e = NULL;
  if (asprintf(&doc, "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"},"
                     "\"linux\":{\"seccomp\":%s}}", seccomp_json) < 0)
    return NULL;
  if (spec_parse(doc, strlen(doc), "config.json", &s, &e) < 0) {
    fprintf(stderr, "parse: %s\n", berth_error_text(e));
    berth_error_free(e);
    s = NULL;
  }
  free(doc);
  return s;
}

/* Parses and prepares; NULL (with the error printed) when either fails. */
static struct berth_seccomp *prepare_json(const char *seccomp_json, const char *cache_dir) {
  spec *s = parse_seccomp(seccomp_json);
  struct berth_seccomp *p = NULL;
  berth_error *e = NULL;
  if (s != NULL && seccomp_prepare_cached(s->linux.seccomp, cache_dir, &p, &e) < 0) {
    fprintf(stderr, "prepare: %s\n", berth_error_text(e));
    berth_error_free(e);
  }
  spec_free(s);
  CHECK(p != NULL);
  return p;
}

/* The error text of preparing `s`, owned by a static buffer; "" on success. */
static const char *prepare_error(const spec_seccomp *sc) {
  static char text[512];
  struct berth_seccomp *p = NULL;
  berth_error *e = NULL;
  text[0] = '\0';
  if (seccomp_prepare(sc, &p, &e) < 0)
    snprintf(text, sizeof(text), "%s", berth_error_text(e));
  berth_error_free(e);
  seccomp_free(p);
  return text;
}

/* ---- running filtered children ---------------------------------------- */

typedef int (*child_body)(void);

/* Forks, loads `p` in the child and runs `body`; the wait status. */
static int run_filtered(struct berth_seccomp *p, child_body body) {
  if (p == NULL)
    return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    berth_error *e = NULL;
    int notify_fd;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load_prepared(p, &notify_fd, &e) < 0)
      _exit(100);
    /* Straight to the kernel: sanitizers hook _exit with syscalls of
     * their own that a deny-by-default filter refuses. */
    syscall(SYS_exit_group, body());
  }
  int status = -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

#define EXITED_OK(st) (WIFEXITED(st) && WEXITSTATUS(st) == 0)
#define KILLED_BY_SIGSYS(st) (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)

static long mkdir_raw(void) {
  return syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-berth-test/x", 0700);
}

static long symlink_raw(void) {
  return syscall(SYS_symlinkat, "x", AT_FDCWD, "/nonexistent-berth-test/y");
}

/* Outcome of a raw syscall as one number: the result, or -errno. */
static long outcome(long rc) {
  return rc < 0 ? -errno : rc;
}

static long getpriority_raw(long which, long who) {
  return outcome(syscall(SYS_getpriority, which, who));
}

/* ---- actions ---------------------------------------------------------- */

static int body_errno_actions(void) {
  if (outcome(mkdir_raw()) != -EPERM)
    return 1; /* ERRNO without errnoRet is EPERM */
  if (outcome(symlink_raw()) != -EOPNOTSUPP)
    return 2; /* errnoRet */
  if (outcome(syscall(SYS_unlinkat, AT_FDCWD, "/nonexistent-berth-test", AT_REMOVEDIR)) != -ENOENT)
    return 3; /* not filtered */
  return 0;
}

static void test_errno_with_errno_ret(void) {
  struct berth_seccomp *p = prepare_json(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"},"
      "{\"names\":[\"symlinkat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":95}]}", NULL);
  int st = run_filtered(p, body_errno_actions);
  CHECK(EXITED_OK(st));
  seccomp_free(p);
}

static int body_allow_list(void) {
  if (syscall(SYS_getpid) != getpid())
    return 1;
  if (outcome(mkdir_raw()) != -ENXIO)
    return 2;
  if (outcome(syscall(SYS_getppid)) != -ENXIO)
    return 3;
  return 0;
}

/* Docker's shape: deny by default with an errno, allow a list. */
static void test_default_errno_with_allow_list(void) {
  struct berth_seccomp *p = prepare_json(
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":6,\"syscalls\":["
      "{\"names\":[\"getpid\",\"exit\",\"exit_group\",\"rt_sigreturn\"],"
      "\"action\":\"SCMP_ACT_ALLOW\"},"
      "{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":6}]}", NULL);
  int st = run_filtered(p, body_allow_list);
  if (!EXITED_OK(st))
    fprintf(stderr, "allow list: status %#x\n", st);
  CHECK(EXITED_OK(st));
  seccomp_free(p);
}

static int body_getppid(void) {
  return syscall(SYS_getppid) > 0 ? 0 : 1;
}

static void test_kill_actions(void) {
  static const char *const kills[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
                                      "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"};
  for (size_t i = 0; i < sizeof(kills) / sizeof(kills[0]); i++) {
    char json[256];
    snprintf(json, sizeof(json), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
             "{\"names\":[\"getppid\"],\"action\":\"%s\"}]}", kills[i]);
    struct berth_seccomp *p = prepare_json(json, NULL);
    int st = run_filtered(p, body_getppid);
    if (!KILLED_BY_SIGSYS(st))
      fprintf(stderr, "%s: status %#x\n", kills[i], st);
    CHECK(KILLED_BY_SIGSYS(st));
    seccomp_free(p);
  }
}

static void on_sigsys(int sig, siginfo_t *info, void *uctx) {
  (void)sig, (void)uctx;
  _exit(info->si_code == SYS_SECCOMP && info->si_syscall == SYS_getppid ? 0 : 1);
}

static int body_trap_handled(void) {
  syscall(SYS_getppid);
  return 2; /* the handler should have exited */
}

/* TRAP delivers a SIGSYS the process can catch, naming the syscall. */
static void test_trap_is_catchable(void) {
  struct berth_seccomp *p = prepare_json(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_TRAP\"}]}", NULL);
  struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
  struct sigaction old;
  sigaction(SIGSYS, &sa, &old);
  CHECK(EXITED_OK(run_filtered(p, body_trap_handled)));
  sigaction(SIGSYS, &old, NULL);
  seccomp_free(p);
}

static int body_log_and_trace(void) {
  if (syscall(SYS_getppid) <= 0)
    return 1; /* LOG lets it through */
  if (outcome(mkdir_raw()) != -ENOSYS)
    return 2; /* TRACE without a tracer fails the call with ENOSYS */
  return 0;
}

static void test_log_and_trace(void) {
  struct berth_seccomp *p = prepare_json(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
      "\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"},"
      "{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":5}]}", NULL);
  CHECK(EXITED_OK(run_filtered(p, body_log_and_trace)));
  seccomp_free(p);
}

/* ---- argument conditions ---------------------------------------------- */

/* getpriority(which, who) probes; the child exits with a bit set for each
 * probe the rule caught (it returns the rule's errno, EBADFD). */
struct probe {
  long which, who;
};
static struct probe probes[4];
static size_t n_probes;

static int body_probes(void) {
  int caught = 0;
  for (size_t i = 0; i < n_probes; i++)
    if (getpriority_raw(probes[i].which, probes[i].who) == -EBADFD)
      caught |= 1 << i;
  return caught;
}

static int caught_by(const char *args_json, const struct probe *ps, size_t n) {
  char json[512];
  snprintf(json, sizeof(json), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
           "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":%d,"
           "\"args\":%s}]}", EBADFD, args_json);
  memcpy(probes, ps, n * sizeof(*ps));
  n_probes = n;
  struct berth_seccomp *p = prepare_json(json, NULL);
  int st = run_filtered(p, body_probes);
  seccomp_free(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Two conditions on different arguments: the rule matches only when both
 * hold. Adding them as separate rules ORs them (CVE-2017-18367). */
static void test_conditions_are_anded(void) {
  const struct probe ps[] = {{PRIO_PROCESS, 12345}, {PRIO_PROCESS, 1}, {PRIO_PGRP, 12345}};
  int caught = caught_by("[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
                         "{\"index\":1,\"value\":12345,\"op\":\"SCMP_CMP_EQ\"}]", ps, 3);
  CHECK(caught == 1);
}

/* runc's rule for a repeated argument: every condition of the entry becomes
 * a rule of its own, so they are ORed, the distinct argument included. */
static void test_repeated_argument_follows_runc(void) {
  const struct probe ps[] = {{PRIO_PROCESS, 4242}, {PRIO_PGRP, 0}, {PRIO_PROCESS, 0},
                             {PRIO_USER, 0}};
  int caught = caught_by("[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
                         "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"},"
                         "{\"index\":1,\"value\":4242,\"op\":\"SCMP_CMP_EQ\"}]", ps, 4);
  CHECK(caught == (1 | 2 | 8));
}

static void test_each_operator(void) {
  static const struct {
    const char *op;
    int caught; /* of who = 99, 100, 101 */
  } cases[] = {
      {"SCMP_CMP_NE", 1 | 4}, {"SCMP_CMP_LT", 1}, {"SCMP_CMP_LE", 1 | 2},
      {"SCMP_CMP_EQ", 2},     {"SCMP_CMP_GE", 2 | 4}, {"SCMP_CMP_GT", 4},
  };
  const struct probe ps[] = {{PRIO_PROCESS, 99}, {PRIO_PROCESS, 100}, {PRIO_PROCESS, 101}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char args[128];
    snprintf(args, sizeof(args), "[{\"index\":1,\"value\":100,\"op\":\"%s\"}]", cases[i].op);
    int caught = caught_by(args, ps, 3);
    if (caught != cases[i].caught)
      fprintf(stderr, "%s: caught %#x, expected %#x\n", cases[i].op, caught, cases[i].caught);
    CHECK(caught == cases[i].caught);
  }
}

/* value is the mask, valueTwo what the masked argument must equal. */
static void test_masked_eq(void) {
  const struct probe ps[] = {{PRIO_PROCESS, 0x12ab}, {PRIO_PROCESS, 0x13ab},
                             {PRIO_PROCESS, 0x1200}};
  int caught = caught_by("[{\"index\":1,\"value\":65280,\"valueTwo\":4608,"
                         "\"op\":\"SCMP_CMP_MASKED_EQ\"}]", ps, 3);
  CHECK(caught == (1 | 4));
}

/* ---- names, defaults and architectures --------------------------------- */

static int body_mkdir_eperm(void) {
  return outcome(mkdir_raw()) == -EPERM ? 0 : 1;
}

static void test_unknown_names_and_redundant_rules_are_skipped(void) {
  struct berth_seccomp *p = prepare_json(
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"no_such_syscall\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"},"
      "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", NULL);
  CHECK(EXITED_OK(run_filtered(p, body_mkdir_eperm)));
  seccomp_free(p);
}

/* The native architecture and its compat ones, as Docker's default profile
 * lists them; socketcall exists on some of them only. */
static const char *native_architectures(void) {
  switch (seccomp_arch_native()) {
  case SCMP_ARCH_X86_64: return "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"";
  case SCMP_ARCH_AARCH64: return "\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"";
  case SCMP_ARCH_PPC64LE: return "\"SCMP_ARCH_PPC64LE\"";
  case SCMP_ARCH_S390X: return "\"SCMP_ARCH_S390X\",\"SCMP_ARCH_S390\"";
  case SCMP_ARCH_RISCV64: return "\"SCMP_ARCH_RISCV64\"";
  }
  return NULL;
}

static void test_architectures(void) {
  const char *archs = native_architectures();
  CHECK(archs != NULL);
  if (archs == NULL)
    return;
  char json[512];
  snprintf(json, sizeof(json),
           "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[%s],\"syscalls\":["
           "{\"names\":[\"mkdirat\",\"socketcall\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
           archs);
  struct berth_seccomp *p = prepare_json(json, NULL);
  CHECK(EXITED_OK(run_filtered(p, body_mkdir_eperm)));
  seccomp_free(p);
}

/* ---- flags ------------------------------------------------------------ */

static unsigned flags_of(const char *flags_json, const char *extra_rule) {
  char json[512];
  snprintf(json, sizeof(json), "{\"defaultAction\":\"SCMP_ACT_ALLOW\"%s%s%s,\"syscalls\":["
           "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}%s]}",
           flags_json ? ",\"flags\":" : "", flags_json ? flags_json : "",
           extra_rule ? ",\"listenerPath\":\"/run/agent.sock\"" : "",
           extra_rule ? extra_rule : "");
  struct berth_seccomp *p = prepare_json(json, NULL);
  unsigned flags = p ? seccomp_prepared_flags(p) : ~0u;
  seccomp_free(p);
  return flags;
}

static void test_flags(void) {
  const char *notify = ",{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}";
  unsigned spec_allow = seccomp_flag_supported("SECCOMP_FILTER_FLAG_SPEC_ALLOW")
                            ? SECCOMP_FILTER_FLAG_SPEC_ALLOW
                            : 0;
  CHECK(flags_of(NULL, NULL) == spec_allow); /* runc's default when "flags" is absent */
  CHECK(flags_of("[]", NULL) == 0);
  CHECK(flags_of("[\"SECCOMP_FILTER_FLAG_TSYNC\"]", NULL) == 0);
  CHECK(seccomp_flag_supported("SECCOMP_FILTER_FLAG_LOG"));
  CHECK(flags_of("[\"SECCOMP_FILTER_FLAG_LOG\"]", NULL) == SECCOMP_FILTER_FLAG_LOG);
  CHECK(flags_of("[]", notify) == SECCOMP_FILTER_FLAG_NEW_LISTENER);
  CHECK(!seccomp_flag_supported("SECCOMP_FILTER_FLAG_NOPE"));
  if (seccomp_flag_supported("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")) {
    CHECK(flags_of("[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]", NULL) == 0);
    CHECK(flags_of("[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]", notify) ==
          (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER));
  }
}

/* ---- notify: the listener fd travels to an agent that answers ------------ */

static int send_fd(int sock, int fd) {
  char byte = 'f';
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                      .msg_controllen = sizeof(control.buf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Receives up to `cap` bytes and one fd; the byte count, or -1. */
static ssize_t recv_with_fd(int sock, char *buf, size_t cap, int *fd) {
  union {
    char buf[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = buf, .iov_len = cap};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                      .msg_controllen = sizeof(control.buf)};
  ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL;
  *fd = -1;
  if (c != NULL && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
    memcpy(fd, CMSG_DATA(c), sizeof(int));
  return n;
}

/* Reads the rest of the stream after the first piece. */
static ssize_t recv_rest(int sock, char *buf, size_t have, size_t cap) {
  ssize_t n;
  while (have < cap && (n = recv(sock, buf + have, cap - have, 0)) > 0)
    have += (size_t)n;
  buf[have < cap ? have : cap - 1] = '\0';
  return (ssize_t)have;
}

static int check_process_state(const char *text, pid_t pid) {
  json_t *j = json_loads(text, 0, NULL);
  json_t *fds = json_object_get(j, "fds");
  int bad = j == NULL || !json_is_string(json_object_get(j, "ociVersion")) ||
            json_array_size(fds) != 1 ||
            strcmp(json_string_value(json_array_get(fds, 0)) ?: "", "seccompFd") != 0 ||
            json_integer_value(json_object_get(j, "pid")) != pid ||
            strcmp(json_string_value(json_object_get(j, "metadata")) ?: "", "agent-meta") != 0 ||
            strcmp(json_string_value(json_object_get(json_object_get(j, "state"), "id")) ?: "",
                   "notify-test") != 0;
  json_decref(j);
  return bad;
}

/* Answers the child's mkdirat with 4242 once the state message checks out. */
static int agent_main(int listen_fd, pid_t child) {
  static char text[65536];
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC), fd;
  ssize_t n = conn >= 0 ? recv_with_fd(conn, text, sizeof(text) - 1, &fd) : -1;
  if (n <= 0 || fd < 0)
    return 10;
  recv_rest(conn, text, (size_t)n, sizeof(text));
  if (check_process_state(text, child))
    return 11;
  struct seccomp_notif req;
  memset(&req, 0, sizeof(req));
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return 12;
  if (req.data.nr != SYS_mkdirat || (pid_t)req.pid != child)
    return 13;
  struct seccomp_notif_resp resp = {.id = req.id, .val = 4242, .error = 0, .flags = 0};
  return ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 ? 14 : 0;
}

static int fd_channel; /* child -> test: the listener fd */

static int body_notified(void) {
  return outcome(mkdir_raw()) == 4242 ? 0 : 1;
}

static pid_t fork_notified_child(struct berth_seccomp *p) {
  pid_t pid = fork();
  if (pid == 0) {
    berth_error *e = NULL;
    int nfd;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load_prepared(p, &nfd, &e) < 0 ||
        nfd < 0 || send_fd(fd_channel, nfd) < 0)
      _exit(100);
    close(nfd);
    _exit(body_notified());
  }
  return pid;
}

static int listen_on(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0)
    return -1;
  return fd;
}

static int wait_status(pid_t pid) {
  int st = -1;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

static void test_notify_reaches_agent(void) {
  char sock_path[128], json[512], state[256];
  snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", tmp_dir);
  snprintf(json, sizeof(json), "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\","
           "\"listenerMetadata\":\"agent-meta\",\"syscalls\":[{\"names\":[\"mkdirat\"],"
           "\"action\":\"SCMP_ACT_NOTIFY\"}]}", sock_path);
  struct berth_seccomp *p = prepare_json(json, NULL);
  int sv[2], listen_fd = listen_on(sock_path);
  CHECK(listen_fd >= 0);
  if (p == NULL || listen_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return;
  CHECK(seccomp_prepared_uses_notify(p));
  fd_channel = sv[1];
  fflush(NULL);
  pid_t child = fork_notified_child(p);
  pid_t agent = fork();
  if (agent == 0)
    _exit(agent_main(listen_fd, child));
  close(listen_fd);
  close(sv[1]);
  char byte;
  int notify_fd;
  CHECK(recv_with_fd(sv[0], &byte, 1, &notify_fd) == 1 && notify_fd >= 0);
  snprintf(state, sizeof(state), "{\"ociVersion\":\"1.3.0\",\"id\":\"notify-test\","
           "\"status\":\"creating\",\"pid\":%d,\"bundle\":\"/b\"}", (int)child);
  berth_error *e = NULL;
  CHECK(seccomp_send_listener(sock_path, "agent-meta", notify_fd, state, &e) == 0);
  if (e != NULL)
    fprintf(stderr, "send: %s\n", berth_error_text(e));
  berth_error_free(e);
  close(notify_fd);
  close(sv[0]);
  int agent_st = wait_status(agent), child_st = wait_status(child);
  if (!EXITED_OK(agent_st) || !EXITED_OK(child_st))
    fprintf(stderr, "agent %#x, child %#x\n", agent_st, child_st);
  CHECK(EXITED_OK(agent_st));
  CHECK(EXITED_OK(child_st));
  seccomp_free(p);
}

static void test_listener_errors(void) {
  char path[128];
  berth_error *e = NULL;
  snprintf(path, sizeof(path), "%s/nobody-listens.sock", tmp_dir);
  CHECK(seccomp_send_listener(path, NULL, 0, "{\"pid\":1}", &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "connect to \"");
  CHECK_STR_CONTAINS(berth_error_text(e), "nobody-listens.sock\": no such file or directory");
  berth_error_clear(&e);
  CHECK(seccomp_send_listener(path, NULL, 0, "{\"id\":\"x\"}", &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "no pid");
  berth_error_free(e);
}

/* ---- the cache --------------------------------------------------------- */

/* The one cache file in `dir` (NULL if not exactly one); counts leftovers. */
static const char *cache_file(const char *dir, int *others) {
  static char path[256];
  DIR *d = opendir(dir);
  struct dirent *de;
  int found = 0;
  *others = 0;
  while (d != NULL && (de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (de->d_name[0] == '.')
      continue;
    if (n > 4 && strcmp(de->d_name + n - 4, ".bpf") == 0 && found++ == 0)
      snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
    else
      ++*others;
  }
  if (d != NULL)
    closedir(d);
  return found == 1 ? path : NULL;
}

static bool prepared_from_cache(const char *json, const char *dir, bool *works) {
  struct berth_seccomp *p = prepare_json(json, dir);
  bool hit = p != NULL && seccomp_prepared_from_cache(p);
  *works = p != NULL && EXITED_OK(run_filtered(p, body_mkdir_eperm));
  seccomp_free(p);
  return hit;
}

static void corrupt_file(const char *path, off_t from_end) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  struct stat st;
  unsigned char b = 0;
  CHECK(fd >= 0 && fstat(fd, &st) == 0);
  CHECK(pread(fd, &b, 1, st.st_size - from_end) == 1);
  b ^= 0x5a;
  CHECK(pwrite(fd, &b, 1, st.st_size - from_end) == 1);
  close(fd);
}

static void test_cache(void) {
  const char *json = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                     "{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
  char dir[128];
  struct stat st;
  bool works;
  int others;
  snprintf(dir, sizeof(dir), "%s/seccomp-cache", tmp_dir);
  CHECK(!prepared_from_cache(json, dir, &works) && works);
  CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
  CHECK(prepared_from_cache(json, dir, &works) && works);
  const char *file = cache_file(dir, &others);
  CHECK(file != NULL && others == 0); /* no temporary files left */
  if (file == NULL)
    return;
  char path[256];
  snprintf(path, sizeof(path), "%s", file);

  corrupt_file(path, 3); /* inside the program: checksum mismatch */
  CHECK(!prepared_from_cache(json, dir, &works) && works);
  CHECK(prepared_from_cache(json, dir, &works) && works); /* rewritten */
  CHECK(truncate(path, 10) == 0);
  CHECK(!prepared_from_cache(json, dir, &works) && works);
  CHECK(truncate(path, 0) == 0);
  CHECK(!prepared_from_cache(json, dir, &works) && works);

  /* A different section is a different entry. */
  const char *other = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                      "{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
                      "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"}]}";
  CHECK(!prepared_from_cache(other, dir, &works) && works);
  CHECK(prepared_from_cache(other, dir, &works) && works);

  CHECK(chmod(dir, 0755) == 0);
  CHECK(prepared_from_cache(json, dir, &works) && works);
  CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
}

/* ---- errors ------------------------------------------------------------ */

static const char *error_base_json =
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
    "\"SCMP_ARCH_X86\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":["
    "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ALLOW\","
    "\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";

static void set_str(char **slot, const char *value) {
  free(*slot);
  *slot = value ? strdup(value) : NULL;
}

enum error_case {
  BAD_ACTION, BAD_DEFAULT, BAD_OPERATOR, BAD_INDEX, BAD_ARCH, BAD_FLAG, ERRNO_ON_ALLOW,
  DEFAULT_ERRNO_ON_ALLOW, ERRNO_TOO_BIG, NOTIFY_DEFAULT, NOTIFY_WRITE, NOTIFY_NO_LISTENER,
  EMPTY_NAME,
};

static void break_spec(spec_seccomp *sc, enum error_case c) {
  switch (c) {
  case BAD_ACTION: set_str(&sc->syscalls[3].action, "SCMP_ACT_FOO"); break;
  case BAD_DEFAULT: set_str(&sc->default_action, "SCMP_ACT_BAR"); break;
  case BAD_OPERATOR: set_str(&sc->syscalls[1].args[0].op, "SCMP_CMP_FOO"); break;
  case BAD_INDEX: sc->syscalls[1].args[0].index = 6; break;
  case BAD_ARCH: set_str(&sc->architectures.v[1], "SCMP_ARCH_FOO"); break;
  case BAD_FLAG: set_str(&sc->flags.v[0], "SECCOMP_FILTER_FLAG_FOO"); break;
  case ERRNO_ON_ALLOW: sc->syscalls[0].errno_ret = (opt_u64){true, 1}; break;
  case DEFAULT_ERRNO_ON_ALLOW:
    set_str(&sc->default_action, "SCMP_ACT_ALLOW");
    sc->default_errno_ret = (opt_u64){true, 1};
    break;
  case ERRNO_TOO_BIG:
    set_str(&sc->syscalls[0].action, "SCMP_ACT_ERRNO");
    sc->syscalls[0].errno_ret = (opt_u64){true, 70000};
    break;
  case NOTIFY_DEFAULT: set_str(&sc->default_action, "SCMP_ACT_NOTIFY"); break;
  case NOTIFY_WRITE: set_str(&sc->syscalls[2].action, "SCMP_ACT_NOTIFY"); break;
  case NOTIFY_NO_LISTENER: set_str(&sc->syscalls[3].action, "SCMP_ACT_NOTIFY"); break;
  case EMPTY_NAME: set_str(&sc->syscalls[1].names.v[0], ""); break;
  }
}

static void test_error_messages(void) {
  static const struct {
    enum error_case c;
    const char *text;
  } cases[] = {
      {BAD_ACTION, "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\""},
      {BAD_DEFAULT, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\""},
      {BAD_OPERATOR, "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_FOO\""},
      {BAD_INDEX, "linux.seccomp.syscalls[1].args[0].index: must be 0 to 5, got 6"},
      {BAD_ARCH, "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\""},
      {BAD_FLAG, "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\""},
      {ERRNO_ON_ALLOW, "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and "
                       "SCMP_ACT_TRACE take an errno"},
      {DEFAULT_ERRNO_ON_ALLOW, "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO"},
      {ERRNO_TOO_BIG, "linux.seccomp.syscalls[0].errnoRet: 70000 does not fit"},
      {NOTIFY_DEFAULT, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default"},
      {NOTIFY_WRITE, "linux.seccomp.syscalls[2].names[0]: SCMP_ACT_NOTIFY cannot be used for "
                     "the write syscall"},
      {NOTIFY_NO_LISTENER, "linux.seccomp.listenerPath: must be set when a rule uses "
                           "SCMP_ACT_NOTIFY"},
      {EMPTY_NAME, "linux.seccomp.syscalls[1].names[0]: must not be empty"},
  };
  spec *base = parse_seccomp(error_base_json);
  CHECK(base != NULL && strcmp(prepare_error(base->linux.seccomp), "") == 0);
  spec_free(base);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    spec *s = parse_seccomp(error_base_json);
    if (s == NULL)
      continue;
    break_spec(s->linux.seccomp, cases[i].c);
    CHECK_STR_CONTAINS(prepare_error(s->linux.seccomp), cases[i].text);
    spec_free(s);
  }
}

/* The spec parser catches names first, with the file and the same path. */
static void test_parse_error_path(void) {
  berth_error *e = NULL;
  spec *s = NULL;
  const char *doc = "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"seccomp\":"
                    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],"
                    "\"action\":\"SCMP_ACT_FOO\"}]}}}";
  CHECK(spec_parse(doc, strlen(doc), "config.json", &s, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "linux.seccomp.syscalls[0].action");
  berth_error_free(e);
  spec_free(s);
}

/* ---- a large profile: compile time against a cache hit ------------------ */

/* Docker's shape, written here: deny with EPERM by default, allow ~300
 * syscalls from libseccomp's table one entry each, and a few entries with
 * argument conditions. */
static const char *const conditional_names[] = {"personality", "clone", "socket", NULL};

static bool is_conditional(const char *name) {
  for (size_t i = 0; conditional_names[i] != NULL; i++)
    if (strcmp(conditional_names[i], name) == 0)
      return true;
  return false;
}

static json_t *rule(const char *name, const char *action, json_t *args) {
  json_t *r = json_pack("{s:[s], s:s}", "names", name, "action", action);
  if (args != NULL)
    json_object_set_new(r, "args", args);
  return r;
}

static json_t *conditional_rules(void) {
  json_t *a = json_array();
  static const uint64_t personas[] = {0, 8, 0x20000, 0x20008, 0xffffffff};
  for (size_t i = 0; i < sizeof(personas) / sizeof(personas[0]); i++)
    json_array_append_new(a, rule("personality", "SCMP_ACT_ALLOW",
                                  json_pack("[{s:i, s:I, s:s}]", "index", 0, "value",
                                            (json_int_t)personas[i], "op", "SCMP_CMP_EQ")));
  json_array_append_new(a, rule("clone", "SCMP_ACT_ALLOW",
                                json_pack("[{s:i, s:I, s:i, s:s}]", "index", 0, "value",
                                          (json_int_t)2114060288, "valueTwo", 0, "op",
                                          "SCMP_CMP_MASKED_EQ")));
  json_array_append_new(a, rule("socket", "SCMP_ACT_ALLOW",
                                json_pack("[{s:i, s:i, s:s}, {s:i, s:i, s:s}]", "index", 0,
                                          "value", 40, "op", "SCMP_CMP_NE", "index", 1,
                                          "value", 10, "op", "SCMP_CMP_LT")));
  return a;
}

/* The first `want` system calls by number, allowed; pidfd_open never, as
 * body_large_profile expects it denied: on x86-64 it numbers beyond them,
 * but arm64 and riscv64 number theirs densely and reach it. */
static char *large_profile(size_t want, size_t *n_rules) {
  json_t *syscalls = json_array();
  size_t n = 0;
  for (int nr = 0; nr < 1024 && n < want; nr++) {
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name != NULL && !is_conditional(name) && strcmp(name, "pidfd_open") != 0) {
      json_array_append_new(syscalls, rule(name, "SCMP_ACT_ALLOW", NULL));
      n++;
    }
    free(name);
  }
  json_t *conditional = conditional_rules();
  json_array_extend(syscalls, conditional);
  json_decref(conditional);
  json_t *doc = json_pack("{s:s, s:i, s:o}", "defaultAction", "SCMP_ACT_ERRNO",
                          "defaultErrnoRet", EPERM, "syscalls", syscalls);
  if (seccomp_arch_native() == SCMP_ARCH_X86_64)
    json_object_set_new(doc, "architectures", json_pack("[s, s, s]", "SCMP_ARCH_X86_64",
                                                        "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
  *n_rules = json_array_size(syscalls);
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return text;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Mean milliseconds per prepare of `sc` over `rounds`; -1 on a failure or
 * when the cache was (not) used against `expect_hit`. */
static double time_prepare(const spec_seccomp *sc, const char *cache_dir, int rounds,
                           bool expect_hit) {
  double start = now_ms();
  for (int i = 0; i < rounds; i++) {
    struct berth_seccomp *p = NULL;
    berth_error *e = NULL;
    int rc = seccomp_prepare_cached(sc, cache_dir, &p, &e);
    bool hit = rc == 0 && seccomp_prepared_from_cache(p);
    if (rc < 0)
      fprintf(stderr, "large profile: %s\n", berth_error_text(e));
    berth_error_free(e);
    seccomp_free(p);
    if (rc < 0 || hit != expect_hit)
      return -1;
  }
  return (now_ms() - start) / rounds;
}

static int body_large_profile(void) {
  if (syscall(SYS_getpid) != getpid())
    return 1;
  if (outcome(syscall(SYS_pidfd_open, getpid(), 0)) != -EPERM)
    return 2; /* beyond the allowed names */
  if (outcome(syscall(SYS_personality, 0x12345678UL)) != -EPERM)
    return 3; /* a persona not allowed */
  return 0;
}

static void test_large_profile_timing(void) {
  size_t n_rules;
  char *json = large_profile(300, &n_rules);
  spec *s = json ? parse_seccomp(json) : NULL;
  free(json);
  CHECK(s != NULL);
  if (s == NULL)
    return;
  char dir[128];
  snprintf(dir, sizeof(dir), "%s/large-cache", tmp_dir);
  double compile = time_prepare(s->linux.seccomp, NULL, 20, false);
  CHECK(time_prepare(s->linux.seccomp, dir, 1, false) >= 0); /* fills the cache */
  double hit = time_prepare(s->linux.seccomp, dir, 200, true);
  CHECK(compile > 0 && hit > 0);
  struct berth_seccomp *p = NULL;
  berth_error *e = NULL;
  CHECK(seccomp_prepare_cached(s->linux.seccomp, dir, &p, &e) == 0);
  if (p != NULL) {
    CHECK(EXITED_OK(run_filtered(p, body_large_profile)));
    printf("seccomp: large profile, %zu rules -> %zu BPF instructions: compile %.3f ms, "
           "cache hit %.3f ms (%.0fx)\n", n_rules, seccomp_prepared_length(p), compile, hit,
           hit > 0 ? compile / hit : 0.0);
  }
  berth_error_free(e);
  seccomp_free(p);
  spec_free(s);
}

/* ---- main -------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

int main(void) {
  snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/berth-seccomp-XXXXXX");
  if (mkdtemp(tmp_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_errno_with_errno_ret();
  test_default_errno_with_allow_list();
  test_kill_actions();
  test_trap_is_catchable();
  test_log_and_trace();
  test_conditions_are_anded();
  test_repeated_argument_follows_runc();
  test_each_operator();
  test_masked_eq();
  test_unknown_names_and_redundant_rules_are_skipped();
  test_architectures();
  test_flags();
  test_notify_reaches_agent();
  test_listener_errors();
  test_cache();
  test_error_messages();
  test_parse_error_path();
  test_large_profile_timing();
  nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return unit_summary("seccomp");
}
