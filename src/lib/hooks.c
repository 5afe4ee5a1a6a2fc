#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void exec_hook(const spec_hook *h, int stdin_fd) {
  if (dup2(stdin_fd, STDIN_FILENO) < 0)
    _exit(127);
  char *fallback_argv[] = {h->path, NULL};
  char *empty_env[] = {NULL};
  char **argv = h->args.n > 0 ? h->args.v : fallback_argv;
  char **envp = h->env.n > 0 ? h->env.v : empty_env;
  execve(h->path, argv, envp);
  fprintf(stderr, "exec hook \"%s\": %s\n", h->path, strerror(errno));
  _exit(127);
}

/* The state goes into a pipe first: a hook that never reads its stdin must
 * not block the runtime, and the state fits in the pipe buffer. */
static int state_pipe(const char *state_json, berth_error **err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return berth_fail_errno(err, "create pipe for hook state");
  size_t len = strlen(state_json);
  if (len < 65536)
    fcntl(p[1], F_SETPIPE_SZ, 65536);
  ssize_t n = write(p[1], state_json, len);
  close(p[1]);
  if (n != (ssize_t)len) {
    close(p[0]);
    return berth_fail(err, EIO, "write hook state");
  }
  return p[0];
}

static int wait_hook(pid_t pid, int pidfd, const spec_hook *h, int *status, berth_error **err) {
  int timeout_ms = h->timeout.set ? (int)(h->timeout.v * 1000) : -1;
  if (pidfd >= 0) {
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    int r;
    do
      r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, status, 0);
      return berth_fail_id(err, "BERTH-E-HOOK-TIMEOUT", 0,
                           "timed out after %llds", (long long)h->timeout.v);
    }
  }
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR)
      return berth_fail_errno(err, "wait");
  }
  return 0;
}

/* exec_hook's own exit when the program could not be started; any other
 * status is the hook's. */
static const char *exit_code(int status) {
  return WEXITSTATUS(status) == 127 ? "BERTH-E-HOOK-EXEC" : "BERTH-E-HOOK-FAILED";
}

static int run_one(const spec_hook *h, const char *state_json, berth_error **err) {
  int in = state_pipe(state_json, err);
  if (in < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(in);
    return berth_fail_errno(err, "fork");
  }
  if (pid == 0)
    exec_hook(h, in);
  close(in);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int status = 0;
  int rc = wait_hook(pid, pidfd, h, &status, err);
  if (pidfd >= 0)
    close(pidfd);
  if (rc < 0)
    return -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return berth_fail_id(err, exit_code(status), 0, "exit status %d", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return berth_fail_id(err, "BERTH-E-HOOK-FAILED", 0, "killed by signal %d", WTERMSIG(status));
  return 0;
}

int hooks_run(const spec *s, enum spec_hook_kind kind, const char *state_json, berth_error **err) {
  const spec_hooks *list = &s->hooks[kind];
  for (size_t i = 0; i < list->n; i++) {
    if (run_one(&list->v[i], state_json, err) < 0)
      return berth_wrap(err, "error running %s hook #%zu \"%s\"", spec_hook_kind_name(kind), i,
                        list->v[i].path);
  }
  return 0;
}

int hooks_run_with_state(const spec *s, enum spec_hook_kind kind, const container_state *st,
                         enum container_status status, berth_error **err) {
  if (s->hooks[kind].n == 0)
    return 0;
  char *text = state_oci_text(st, status);
  if (text == NULL)
    return berth_fail(err, ENOMEM, "encode state for %s hooks", spec_hook_kind_name(kind));
  int rc = hooks_run(s, kind, text, err);
  free(text);
  return rc;
}

int hooks_run_create_runtime(const spec *s, const container_state *st, berth_error **err) {
  if (hooks_run_with_state(s, HOOK_PRESTART, st, STATUS_CREATING, err) < 0)
    return -1;
  return hooks_run_with_state(s, HOOK_CREATE_RUNTIME, st, STATUS_CREATING, err);
}

void hooks_run_poststop(const spec *s, const char *state_json) {
  const spec_hooks *list = &s->hooks[HOOK_POSTSTOP];
  for (size_t i = 0; i < list->n; i++) {
    berth_error *e = NULL;
    if (run_one(&list->v[i], state_json, &e) < 0) {
      berth_warn("error running poststop hook #%zu \"%s\": %s", i, list->v[i].path,
                 berth_error_text(e));
      berth_error_free(e);
    }
  }
}
