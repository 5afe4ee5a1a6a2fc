#include "process.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/identity.h"
#include "linux/lsm.h"
#include "linux/proc_controls.h"
#include "linux/seccomp.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* HOME from the container's /etc/passwd when the env lacks it, as runc. */
static const char *home_of(uid_t uid, char *buf, size_t len) {
  FILE *f = fopen("/etc/passwd", "re");
  if (f == NULL)
    return "/";
  char line[1024];
  const char *home = "/";
  while (fgets(line, sizeof(line), f)) {
    char *fields[7] = {0};
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, ":\n", &save); t && n < 7; t = strtok_r(NULL, ":\n", &save))
      fields[n++] = t;
    if (n >= 6 && strtoul(fields[2], NULL, 10) == uid && fields[5][0] == '/') {
      snprintf(buf, len, "%s", fields[5]);
      home = buf;
      break;
    }
  }
  fclose(f);
  return home;
}

static const char *env_get(char **env, const char *name) {
  size_t len = strlen(name);
  for (; env && *env; env++) {
    if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
      return *env + len + 1;
  }
  return NULL;
}

static char **build_env(const struct process_launch *l) {
  const spec_process *p = l->p;
  char **env = calloc(p->env.n + 4, sizeof(char *));
  if (env == NULL)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < p->env.n; i++)
    env[n++] = p->env.v[i];
  if (l->listen_fds > 0) {
    char *fds = NULL;
    if (asprintf(&fds, "LISTEN_FDS=%d", l->listen_fds) >= 0)
      env[n++] = fds;
    env[n++] = "LISTEN_PID=1";
  }
  if (env_get(env, "HOME") == NULL) {
    char home_buf[PATH_MAX];
    char *home = NULL;
    if (asprintf(&home, "HOME=%s", home_of(p->uid, home_buf, sizeof(home_buf))) >= 0)
      env[n++] = home;
  }
  env[n] = NULL;
  return env;
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
      return berth_fail_errno_id(err, "BERTH-E-PROCESS-NOT-FOUND",
                                 "exec: \"%s\": stat %s", name, name);
    if (S_ISDIR(st.st_mode) || access(name, X_OK) < 0)
      return berth_fail_id(err, "BERTH-E-PROCESS-EXEC", EACCES, "exec: \"%s\"", name);
    snprintf(out, len, "%s", name);
    return 0;
  }
  const char *path = env_get(env, "PATH");
  for (const char *p = path; p != NULL;) {
    const char *colon = strchrnul(p, ':');
    int dlen = (int)(colon - p);
    snprintf(out, len, "%.*s/%s", dlen ? dlen : 1, dlen ? p : ".", name);
    if (is_executable_file(out))
      return 0;
    p = *colon ? colon + 1 : NULL;
  }
  return berth_fail_id(err, "BERTH-E-PROCESS-NOT-FOUND", 0,
                       "exec: \"%s\": executable file not found in $PATH", name);
}

void process_make_cwd(const char *cwd) {
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
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-CWD",
                               "chdir to cwd (\"%s\") set in config.json", cwd);
  /* A directory outside the root (a leaked descriptor's cwd) shows as
   * "(unreachable)" or fails here: refuse it. */
  if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
    return berth_fail_id(err, "BERTH-E-PROCESS-CWD", EPERM,
                         "current working directory is outside of container mount namespace "
                         "root");
  return 0;
}

/* Labels are written through a procfs of our own, never through a /proc
 * the container's mounts could redirect. */
static int apply_labels(const spec_process *p, berth_error **err) {
  bool apparmor = p->apparmor_profile && *p->apparmor_profile;
  bool selinux = p->selinux_label && *p->selinux_label;
  if (!apparmor && !selinux)
    return 0;
  int procfd = lsm_open_trusted_proc(err);
  if (procfd < 0)
    return -1;
  int rc = 0;
  if (apparmor)
    rc = lsm_apply_apparmor(procfd, p->apparmor_profile, err);
  if (rc == 0 && selinux)
    rc = lsm_apply_selinux_exec_label(procfd, p->selinux_label, err);
  close(procfd);
  return rc;
}

static int load_seccomp(struct process_launch *l, berth_error **err) {
  if (l->seccomp == NULL)
    return 0;
  int notify_fd = -1;
  if (seccomp_load_prepared(l->seccomp, &notify_fd, err) < 0)
    return -1;
  if (notify_fd < 0)
    return 0;
  int rc = l->on_notify_fd ? l->on_notify_fd(l->notify_arg, notify_fd, err)
                           : berth_fail_id(err, "BERTH-E-SECCOMP-LISTENER", 0,
                                           "linux.seccomp: a notify listener has nowhere to go");
  close(notify_fd);
  return rc;
}

/* Scheduling, I/O priority and the LSM label need privileges the
 * capability drop takes away; personality and memory policy ride along. */
static int apply_controls(struct process_launch *l, berth_error **err) {
  const spec_process *p = l->p;
  if (p->exec_cpu_affinity_initial ? proc_apply_exec_cpu_affinity_initial(p, err) < 0
                                   : proc_reset_cpu_affinity(0, err) < 0)
    return -1;
  if (proc_apply_io_priority(p->io_priority, err) < 0 ||
      proc_apply_scheduler(p->scheduler, err) < 0 ||
      proc_apply_personality(l->personality, err) < 0 ||
      proc_apply_memory_policy(l->memory_policy, err) < 0)
    return -1;
  return apply_labels(p, err);
}

int process_setup(struct process_launch *l, berth_error **err) {
  const spec_process *p = l->p;
  /* Only 0-2 and the kept fds survive execve. */
  syscall(SYS_close_range, 3 + l->extra_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  if (identity_apply_rlimits(p, err) < 0 || apply_controls(l, err) < 0)
    return -1;
  if (p->umask.set)
    umask((mode_t)p->umask.v);
  l->env = build_env(l);
  if (l->env == NULL)
    return berth_fail(err, ENOMEM, "build the process environment");
  if (!p->no_new_privileges && load_seccomp(l, err) < 0)
    return -1;
  if (identity_apply_user_and_caps(p, err) < 0 || enter_cwd(p->cwd, err) < 0)
    return -1;
  if (find_executable(p->args.v[0], l->env, l->exe, sizeof(l->exe), err) < 0)
    return -1;
  if (identity_apply_no_new_privs(p, err) < 0)
    return -1;
  return p->no_new_privileges ? load_seccomp(l, err) : 0;
}

static int cmp_int(const void *a, const void *b) {
  return *(const int *)a - *(const int *)b;
}

void process_close_fds_except(int extra_fds, const int *keep, size_t n) {
  int sorted[16];
  size_t k = 0;
  for (size_t i = 0; i < n && k < sizeof(sorted) / sizeof(sorted[0]); i++) {
    if (keep[i] >= 3 + extra_fds)
      sorted[k++] = keep[i];
  }
  qsort(sorted, k, sizeof(int), cmp_int);
  unsigned first = 3 + (unsigned)extra_fds;
  for (size_t i = 0; i < k; i++) {
    if ((unsigned)sorted[i] > first)
      syscall(SYS_close_range, first, (unsigned)sorted[i] - 1, 0);
    first = (unsigned)sorted[i] + 1;
  }
  syscall(SYS_close_range, first, ~0U, 0);
}

int process_exec(struct process_launch *l, berth_error **err) {
  if (proc_apply_exec_cpu_affinity_final(l->p, err) < 0)
    return -1;
  execve(l->exe, l->p->args.v, l->env);
  return berth_fail_errno_id(err, "BERTH-E-PROCESS-EXEC", "exec \"%s\"", l->exe);
}
