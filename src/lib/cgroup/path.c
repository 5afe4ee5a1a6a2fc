/* Where a container's cgroup lives, following runc's cgroupfs driver:
 * an absolute cgroupsPath is taken from the top of every hierarchy, a
 * relative one (and the default, the container id) from the cgroup the
 * runtime itself runs in. On a pure v2 host runc goes one level up from its
 * own cgroup, because that one already has processes and so could not
 * delegate controllers to a child. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"

char *cg_clean_path(const char *path) {
  if (path == NULL || *path == '\0')
    return strdup("");
  bool absolute = path[0] == '/';
  size_t len = strlen(path);
  char *out = malloc(len + 2), *copy = strdup(path);
  if (out == NULL || copy == NULL) {
    free(out);
    free(copy);
    return NULL;
  }
  size_t n = 0; /* out holds "/a/b" style components */
  char *save = NULL;
  for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
    if (strcmp(part, ".") == 0)
      continue;
    if (strcmp(part, "..") == 0) {
      while (n > 0 && out[n - 1] != '/')
        n--;
      if (n > 0)
        n--; /* drop the slash too; ".." at the top stays at the top */
      continue;
    }
    out[n++] = '/';
    memcpy(out + n, part, strlen(part));
    n += strlen(part);
  }
  free(copy);
  out[n] = '\0';
  if (absolute) {
    if (n == 0)
      strcpy(out, "/");
    return out;
  }
  if (n == 0) {
    strcpy(out, ".");
    return out;
  }
  memmove(out, out + 1, n); /* relative: drop the leading slash */
  return out;
}

/* The directory above `path` ("/" for a top-level one). */
static char *parent_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL || slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

int cg_dir_for_mount(const cg_host *host, const cg_mount *m, const char *inner, char **out,
                     berth_error **err) {
  char *base = NULL;
  if (inner[0] == '/') {
    base = strdup("");
  } else if (m->own == NULL) {
    return berth_fail(err, 0, "cgroup hierarchy \"%s\": this process is not listed in it in "
                              "/proc/self/cgroup", m->mountpoint);
  } else if (host->layout == CG_LAYOUT_V2) {
    base = parent_of(m->own);
  } else {
    base = strdup(m->own);
  }
  char *joined = NULL, *clean = NULL;
  if (base != NULL && asprintf(&joined, "/%s/%s", base, inner) >= 0)
    clean = cg_clean_path(joined);
  free(base);
  free(joined);
  if (clean == NULL)
    return berth_fail(err, ENOMEM, "cgroup path \"%s\"", inner);
  char *dir = NULL;
  int rc = asprintf(&dir, "%s%s", m->mountpoint, strcmp(clean, "/") == 0 ? "" : clean);
  free(clean);
  if (rc < 0)
    return berth_fail(err, ENOMEM, "cgroup path \"%s\"", inner);
  *out = dir;
  return 0;
}
