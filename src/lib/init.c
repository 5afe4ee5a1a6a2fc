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

#include "hooks.h"
#include "linux/identity.h"
#include "linux/namespaces.h"
#include "linux/rootfs.h"
#include "linux/sysctl.h"
#include "linux/terminal.h"
#include "sync.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

/* Before READY, every failure goes back to the parent, which reports it
 * and cleans up; the init then simply dies. */
__attribute__((noreturn)) static void fail_to_parent(struct init_ctx *ctx, berth_error *e) {
  sync_send_error(ctx->sync_fd, e);
  _exit(1);
}

static int set_names(const spec *s, berth_error **err) {
  bool own_uts = ns_is_private(s, NS_UTS);
  if ((s->hostname || s->domainname) && !own_uts)
    return berth_fail(err, 0, "unable to set hostname without a private UTS namespace");
  if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return berth_fail_errno(err, "sethostname \"%s\"", s->hostname);
  if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return berth_fail_errno(err, "setdomainname \"%s\"", s->domainname);
  return 0;
}

static char *state_text(struct init_ctx *ctx, enum container_status status) {
  json_t *j = state_oci_json(ctx->state, status);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return text;
}

static int run_hooks_here(struct init_ctx *ctx, enum spec_hook_kind kind,
                          enum container_status status, berth_error **err) {
  if (ctx->spec->hooks[kind].n == 0)
    return 0;
  char *text = state_text(ctx, status);
  if (text == NULL)
    return berth_fail(err, ENOMEM, "encode state for %s hooks", spec_hook_kind_name(kind));
  int rc = hooks_run(ctx->spec, kind, text, err);
  free(text);
  return rc;
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

/* HOME from the container's /etc/passwd when the env lacks it, as runc. */
static const char *home_of(uid_t uid, char *buf, size_t len) {
  FILE *f = fopen("/etc/passwd", "re");
  if (f == NULL)
    return "/";
  char line[1024];
  const char *home = "/";
  while (fgets(line, sizeof(line), f)) {
    char *fields[7] = {0};
    char *save = NULL, *p = line;
    int n = 0;
    for (char *tok = strtok_r(p, ":\n", &save); tok && n < 7; tok = strtok_r(NULL, ":\n", &save))
      fields[n++] = tok;
    if (n >= 6 && strtoul(fields[2], NULL, 10) == uid && fields[5][0] == '/') {
      snprintf(buf, len, "%s", fields[5]);
      home = buf;
      break;
    }
  }
  fclose(f);
  return home;
}

static bool env_has(char **env, const char *name) {
  size_t len = strlen(name);
  for (; env && *env; env++) {
    if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
      return true;
  }
  return false;
}

static char **build_env(struct init_ctx *ctx) {
  const spec_process *p = ctx->spec->process;
  char **env = calloc(p->env.n + 4, sizeof(char *));
  if (env == NULL)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < p->env.n; i++)
    env[n++] = p->env.v[i];
  if (ctx->listen_fds > 0) {
    char *fds = NULL;
    if (asprintf(&fds, "LISTEN_FDS=%d", ctx->listen_fds) >= 0)
      env[n++] = fds;
    env[n++] = "LISTEN_PID=1";
  }
  if (!env_has(env, "HOME")) {
    static char home_buf[PATH_MAX];
    char *home = NULL;
    if (asprintf(&home, "HOME=%s", home_of(p->uid, home_buf, sizeof(home_buf))) >= 0)
      env[n++] = home;
  }
  env[n] = NULL;
  return env;
}

static const char *env_get(char **env, const char *name) {
  size_t len = strlen(name);
  for (; env && *env; env++) {
    if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
      return *env + len + 1;
  }
  return NULL;
}

static bool is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* $PATH lookup with the container's environment, as Go's exec.LookPath in
 * runc's init; the messages are the ones callers match. */
static int find_executable(const char *name, char **env, char *out, size_t len,
                           berth_error **err) {
  if (strchr(name, '/') != NULL) {
    struct stat st;
    if (stat(name, &st) < 0)
      return berth_fail_errno(err, "exec: \"%s\": stat %s", name, name);
    if (S_ISDIR(st.st_mode) || access(name, X_OK) < 0)
      return berth_fail(err, EACCES, "exec: \"%s\"", name);
    snprintf(out, len, "%s", name);
    return 0;
  }
  const char *path = env_get(env, "PATH");
  if (path != NULL) {
    const char *p = path;
    while (true) {
      const char *colon = strchrnul(p, ':');
      int dlen = (int)(colon - p);
      snprintf(out, len, "%.*s/%s", dlen, dlen ? p : ".", name);
      if (is_executable_file(out))
        return 0;
      if (*colon == '\0')
        break;
      p = colon + 1;
    }
  }
  return berth_fail(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

/* Made as root before the user switch, as runc does; we are inside the
 * new root here, so the walk cannot leave it. */
static void make_cwd(const char *cwd) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", cwd);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(buf, 0755);
      *p = '/';
    }
  }
  mkdir(buf, 0755);
}

/* Entered as the container user, so a directory only root may enter fails. */
static int enter_cwd(const char *cwd, berth_error **err) {
  char buf[PATH_MAX];
  if (chdir(cwd) < 0)
    return berth_fail_errno(err, "chdir to cwd (\"%s\") set in config.json", cwd);
  /* A directory outside the root (a leaked descriptor's cwd) shows as
   * "(unreachable)" or fails here: refuse it. */
  if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
    return berth_fail(err, EPERM,
                      "current working directory is outside of container mount namespace root");
  return 0;
}

static void join_session_keyring(struct init_ctx *ctx) {
  if (ctx->no_new_keyring)
    return;
  /* Old kernels or seccomp'd hosts may lack keyctl; runc carries on too. */
  syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
}

static int setup_inside(struct init_ctx *ctx, char **env, char *exe, size_t exe_len,
                        berth_error **err) {
  const spec *s = ctx->spec;
  rootfs_opts ro = {.spec = s, .rootfs = ctx->rootfs, .no_pivot = ctx->no_pivot,
                    .has_terminal = s->process->terminal};
  if (rootfs_prepare(&ro, err) < 0)
    return -1;
  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_HOOKS_DONE;
  if (sync_send(ctx->sync_fd, SYNC_HOOKS, 0, -1, err) < 0 ||
      sync_expect(ctx->sync_fd, &phase, &m, NULL, err) < 0)
    return -1;
  if (run_hooks_here(ctx, HOOK_CREATE_CONTAINER, STATUS_CREATED, err) < 0)
    return -1;
  if (rootfs_pivot(&ro, err) < 0)
    return -1;
  if (s->process->terminal && setup_console(ctx, err) < 0)
    return -1;
  if (sysctl_apply(s, err) < 0)
    return -1;
  if (rootfs_finalize(&ro, err) < 0)
    return -1;
  join_session_keyring(ctx);
  if (identity_apply_rlimits(s->process, err) < 0)
    return -1;
  if (s->process->umask.set)
    umask((mode_t)s->process->umask.v);
  make_cwd(s->process->cwd);
  if (identity_apply_user_and_caps(s->process, err) < 0)
    return -1;
  if (enter_cwd(s->process->cwd, err) < 0)
    return -1;
  if (find_executable(s->process->args.v[0], env, exe, exe_len, err) < 0)
    return -1;
  return identity_apply_no_new_privs(s->process, err);
}

/* start opens the fifo for reading; until then this open blocks. */
static int wait_for_start(struct init_ctx *ctx, berth_error **err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", ctx->fifo_fd);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno(err, "open exec fifo");
  ssize_t n = write(fd, "0", 1);
  close(fd);
  close(ctx->fifo_fd);
  if (n != 1)
    return berth_fail_errno(err, "write exec fifo");
  return 0;
}

__attribute__((noreturn)) static void exec_process(struct init_ctx *ctx, const char *exe,
                                                   char **env) {
  berth_error *e = NULL;
  if (run_hooks_here(ctx, HOOK_START_CONTAINER, STATUS_CREATED, &e) < 0) {
    fprintf(stderr, "berth init: %s\n", berth_error_text(e));
    _exit(1);
  }
  execve(exe, ctx->spec->process->args.v, env);
  fprintf(stderr, "berth init: exec \"%s\": %s\n", exe, strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

void container_init(struct init_ctx *ctx) {
  berth_error *e = NULL;
  /* Until READY the parent is waiting on us; if it dies, so do we. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* Keep container processes from ptracing or reading /proc of this
   * process while it still holds host resources. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  struct sync_msg m;
  enum sync_phase phase = PHASE_WAIT_GO;
  if (sync_expect(ctx->sync_fd, &phase, &m, NULL, &e) < 0)
    _exit(1);
  ctx->state->pid = (pid_t)m.value;

  if (ns_join_paths(ctx->spec, &e) < 0 || ns_unshare_late(ctx->spec, &e) < 0 ||
      set_names(ctx->spec, &e) < 0)
    fail_to_parent(ctx, e);

  char **env = build_env(ctx);
  char exe[PATH_MAX];
  if (env == NULL)
    fail_to_parent(ctx, (berth_fail(&e, ENOMEM, "build environment"), e));
  if (setup_inside(ctx, env, exe, sizeof(exe), &e) < 0)
    fail_to_parent(ctx, e);

  /* Only 0-2 and the fds the caller asked to pass survive exec. */
  syscall(SYS_close_range, 3 + ctx->extra_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (sync_send(ctx->sync_fd, SYNC_READY, 0, -1, &e) < 0)
    _exit(1);
  close(ctx->sync_fd);

  if (wait_for_start(ctx, &e) < 0) {
    fprintf(stderr, "berth init: %s\n", berth_error_text(e));
    _exit(1);
  }
  exec_process(ctx, exe, env);
}
