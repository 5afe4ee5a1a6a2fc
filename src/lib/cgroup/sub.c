/* exec --cgroup: put a process into an existing sub-cgroup of its
 * container, per controller on v1 ("cpu,memory:sub") or as one path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_internal.h"

struct sub_spec {
  char *controllers; /* NULL: every controller */
  const char *path;
};

static int parse_spec(const char *text, struct sub_spec *out, berth_error **err) {
  const char *colon = strchr(text, ':');
  out->controllers = colon ? strndup(text, (size_t)(colon - text)) : NULL;
  out->path = colon ? colon + 1 : text;
  if (*out->path == '\0' || strstr(out->path, "..") != NULL)
    return berth_fail_id(err, "BERTH-E-EXEC-CGROUP", 0,
                         "--cgroup: invalid sub-cgroup path in \"%s\"", text);
  return 0;
}

/* Which of the given sub-cgroups a directory of the container takes. */
static const char *sub_for(const cg_dir *d, const struct sub_spec *specs, size_t n) {
  const char *fallback = NULL;
  for (size_t i = 0; i < n; i++) {
    if (specs[i].controllers == NULL) {
      fallback = specs[i].path;
      continue;
    }
    char *list = strdup(specs[i].controllers);
    bool match = false;
    char *save = NULL;
    for (char *c = strtok_r(list, ",", &save); c && !match; c = strtok_r(NULL, ",", &save))
      match = !d->unified && cg_list_has(d->controllers, c);
    free(list);
    if (match)
      return specs[i].path;
  }
  return fallback;
}

static int enter_sub(const cg_dir *d, const char *sub, pid_t pid, berth_error **err) {
  char dir[4096], value[32];
  snprintf(dir, sizeof(dir), "%s/%s", d->path, sub ? sub : "");
  struct stat st;
  if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
    return berth_fail_id(err, "BERTH-E-EXEC-CGROUP", ENOENT,
                         "--cgroup: sub-cgroup \"%s\" does not exist", dir);
  snprintf(value, sizeof(value), "%d", (int)pid);
  return cg_write(dir, "cgroup.procs", value, err);
}

int cgroup_add_pid_sub(cgroup *cg, const char *const *subs, size_t n, pid_t pid,
                       berth_error **err) {
  struct sub_spec *specs = calloc(n ? n : 1, sizeof(*specs));
  if (specs == NULL)
    return berth_fail(err, ENOMEM, "--cgroup");
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    rc = parse_spec(subs[i], &specs[i], err);
    if (rc == 0 && cg->layout == CG_LAYOUT_V2 && (specs[i].controllers || n > 1))
      rc = berth_fail_id(err, "BERTH-E-EXEC-CGROUP", 0,
                         "--cgroup: cgroup v2 takes a single path without controllers");
  }
  for (size_t i = 0; i < cg->n_dirs && rc == 0; i++)
    rc = enter_sub(&cg->dirs[i], sub_for(&cg->dirs[i], specs, n), pid, err);
  for (size_t i = 0; i < n; i++)
    free(specs[i].controllers);
  free(specs);
  return rc;
}
