/* process.args[0] of a bundle: is there such a program in the rootfs? The
 * lookup is the one the container's init makes ($PATH of process.env, or
 * a path relative to process.cwd), resolved inside the rootfs as the
 * container would see it (openat2 RESOLVE_IN_ROOT, so an absolute symlink
 * stays inside). A program under a mount destination is not judged: the
 * mount provides it. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostcheck.h"
#include "linux/pathsafe.h"

static bool under_mount(const spec *s, const char *path) {
  for (size_t i = 0; i < s->n_mounts; i++) {
    const char *d = s->mounts[i].destination;
    size_t n = d ? strlen(d) : 0;
    while (n > 1 && d[n - 1] == '/')
      n--;
    if (n > 0 && strncmp(path, d, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1))
      return true;
  }
  return false;
}

static bool executable_in_root(int root_fd, const char *path) {
  berth_error *err = NULL;
  int fd = pathsafe_open(root_fd, path, O_PATH, 0, &err);
  berth_error_free(err);
  struct stat st;
  bool ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

static const char *env_path(const spec_process *p) {
  for (size_t i = 0; i < p->env.n; i++)
    if (strncmp(p->env.v[i], "PATH=", 5) == 0)
      return p->env.v[i] + 5;
  return NULL;
}

/* 1: found, 0: not found, -1: under a mount (not judged). */
static int lookup(const spec *s, int root_fd, const char *name) {
  const spec_process *p = s->process;
  char full[PATH_MAX];
  if (strchr(name, '/') != NULL) {
    snprintf(full, sizeof(full), "%s%s%s", name[0] == '/' ? "" : p->cwd,
             name[0] == '/' ? "" : "/", name);
    return under_mount(s, full) ? -1 : executable_in_root(root_fd, full);
  }
  for (const char *d = env_path(p); d != NULL;) {
    const char *colon = strchrnul(d, ':');
    int len = (int)(colon - d);
    snprintf(full, sizeof(full), "%s%.*s/%s", len && d[0] == '/' ? "" : p->cwd,
             len ? len : 1, len ? d : ".", name);
    if (under_mount(s, full))
      return -1;
    if (executable_in_root(root_fd, full))
      return 1;
    d = *colon ? colon + 1 : NULL;
  }
  return 0;
}

void hostcheck_process(const spec *s, const char *rootfs, hc_report *r) {
  if (s->process == NULL || s->process->args.n == 0)
    return;
  int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return; /* reported as root.path */
  const char *name = s->process->args.v[0];
  const char *path = env_path(s->process);
  if (lookup(s, root_fd, name) != 0)
    ;
  else if (strchr(name, '/') != NULL)
    hc_add(r, "bundle", HC_FAIL, "process.args[0]",
           "\"%s\" is not an executable file in the rootfs", name);
  else
    hc_add(r, "bundle", HC_FAIL, "process.args[0]",
           "\"%s\" is not an executable file in the rootfs's $PATH (%s)", name,
           path ? path : "process.env has no PATH");
  close(root_fd);
}
