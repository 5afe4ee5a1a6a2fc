/* Finding the host's cgroup hierarchies: which are mounted where (from
 * /proc/self/mountinfo), which controllers each carries, and where this
 * process sits in each (from /proc/self/cgroup). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"

/* Used when /proc/cgroups is missing (a kernel without v1 support). */
static const char *const builtin_controllers =
    "cpuset,cpu,cpuacct,blkio,memory,devices,freezer,net_cls,perf_event,net_prio,hugetlb,"
    "pids,rdma,misc,debug";

/* The item of a comma list starting at p, and where the next one starts. */
static size_t list_item(const char *p, const char **next) {
  const char *comma = strchr(p, ',');
  *next = comma ? comma + 1 : NULL;
  return comma ? (size_t)(comma - p) : strlen(p);
}

bool cg_list_has(const char *list, const char *controller) {
  size_t len = strlen(controller);
  for (const char *p = list, *next; p != NULL && *p != '\0'; p = next) {
    if (list_item(p, &next) == len && strncmp(p, controller, len) == 0)
      return true;
  }
  return false;
}

/* Both comma lists name the same set (the kernel's orders may differ
 * between mountinfo and /proc/self/cgroup). */
static bool same_set(const char *a, const char *b) {
  size_t na = 0, nb = 0;
  for (const char *p = a, *next; p && *p; p = next, na++)
    list_item(p, &next);
  for (const char *p = b, *next; p && *p; p = next, nb++) {
    char *item = strndup(p, list_item(p, &next));
    bool found = item != NULL && cg_list_has(a, item);
    free(item);
    if (!found)
      return false;
  }
  return na == nb;
}

const char *cg_layout_name(enum cg_layout layout) {
  switch (layout) {
  case CG_LAYOUT_V1:
    return "v1";
  case CG_LAYOUT_HYBRID:
    return "hybrid";
  case CG_LAYOUT_V2:
    return "v2";
  }
  return "unknown";
}

int cg_layout_parse(const char *name, enum cg_layout *out) {
  for (int l = CG_LAYOUT_V1; l <= CG_LAYOUT_V2; l++) {
    if (strcmp(name, cg_layout_name(l)) == 0) {
      *out = l;
      return 0;
    }
  }
  return -1;
}

/* The names in the first column of /proc/cgroups, comma-joined. */
static char *known_controllers(void) {
  FILE *f = fopen("/proc/cgroups", "re");
  if (f == NULL)
    return strdup(builtin_controllers);
  char *list = strdup(""), *line = NULL;
  size_t cap = 0;
  while (list != NULL && getline(&line, &cap, f) > 0) {
    if (line[0] == '#')
      continue;
    line[strcspn(line, " \t\n")] = '\0';
    char *joined = NULL;
    if (asprintf(&joined, "%s%s%s", list, *list ? "," : "", line) < 0)
      joined = NULL;
    free(list);
    list = joined;
  }
  free(line);
  fclose(f);
  return list;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
        r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
}

/* The controllers named in a v1 mount's super options, comma-joined. */
static char *v1_controllers(const char *superopts, const char *known) {
  char *copy = strdup(superopts), *save = NULL, *out = strdup("");
  if (copy == NULL || out == NULL) {
    free(copy);
    free(out);
    return NULL;
  }
  for (char *opt = strtok_r(copy, ",", &save); opt && out; opt = strtok_r(NULL, ",", &save)) {
    if (strncmp(opt, "name=", 5) != 0 && !cg_list_has(known, opt))
      continue;
    char *joined = NULL;
    if (asprintf(&joined, "%s%s%s", out, *out ? "," : "", opt) < 0)
      joined = NULL;
    free(out);
    out = joined;
  }
  free(copy);
  return out;
}

static bool have_mount(const cg_host *host, bool unified, const char *controllers) {
  for (size_t i = 0; i < host->n_mounts; i++) {
    const cg_mount *m = &host->mounts[i];
    if (m->unified == unified && (unified || same_set(m->controllers, controllers)))
      return true;
  }
  return false;
}

static int add_mount(cg_host *host, const char *mountpoint, const char *root,
                     const char *controllers, bool unified) {
  cg_mount *grown = realloc(host->mounts, (host->n_mounts + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  host->mounts = grown;
  cg_mount *m = &grown[host->n_mounts];
  *m = (cg_mount){.mountpoint = strdup(mountpoint), .root = strdup(root),
                  .controllers = strdup(controllers), .unified = unified};
  host->n_mounts++;
  if (m->mountpoint == NULL || m->root == NULL || m->controllers == NULL)
    return -1;
  return 0;
}

/* A cgroup2 mount at the usual places wins over one found earlier
 * elsewhere (a bind mount inside some other tree). */
static bool preferred_unified(const char *mountpoint) {
  return strcmp(mountpoint, "/sys/fs/cgroup") == 0 ||
         strcmp(mountpoint, "/sys/fs/cgroup/unified") == 0;
}

static int replace_unified(cg_host *host, const char *mountpoint, const char *root) {
  for (size_t i = 0; i < host->n_mounts; i++) {
    cg_mount *m = &host->mounts[i];
    if (!m->unified || preferred_unified(m->mountpoint))
      continue;
    char *mp = strdup(mountpoint), *rt = strdup(root);
    if (mp == NULL || rt == NULL) {
      free(mp);
      free(rt);
      return -1;
    }
    free(m->mountpoint);
    free(m->root);
    m->mountpoint = mp;
    m->root = rt;
  }
  return 0;
}

/* One mountinfo line: "id parent maj:min root mountpoint opts [tags] - fstype src superopts". */
static int parse_mountinfo_line(cg_host *host, char *line, const char *known) {
  char *fields[5] = {0}, *save = NULL, *tok = strtok_r(line, " \n", &save);
  for (int i = 0; i < 5 && tok; i++, tok = strtok_r(NULL, " \n", &save))
    fields[i] = tok;
  while (tok && strcmp(tok, "-") != 0)
    tok = strtok_r(NULL, " \n", &save);
  char *fstype = strtok_r(NULL, " \n", &save);
  strtok_r(NULL, " \n", &save); /* source */
  char *superopts = strtok_r(NULL, " \n", &save);
  if (fields[4] == NULL || fstype == NULL || superopts == NULL)
    return 0;
  char *root = fields[3], *mountpoint = fields[4];
  unescape_octal(root);
  unescape_octal(mountpoint);
  if (strcmp(fstype, "cgroup2") == 0) {
    if (!have_mount(host, true, NULL))
      return add_mount(host, mountpoint, root, "", true);
    return preferred_unified(mountpoint) ? replace_unified(host, mountpoint, root) : 0;
  }
  if (strcmp(fstype, "cgroup") != 0)
    return 0;
  char *controllers = v1_controllers(superopts, known);
  if (controllers == NULL)
    return -1;
  int rc = 0;
  if (*controllers != '\0' && !have_mount(host, false, controllers))
    rc = add_mount(host, mountpoint, root, controllers, false);
  free(controllers);
  return rc;
}

static int read_mountinfo(cg_host *host, berth_error **err) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berth_fail_errno(err, "open \"/proc/self/mountinfo\"");
  char *known = known_controllers(), *line = NULL;
  size_t cap = 0;
  int rc = known == NULL ? -1 : 0;
  while (rc == 0 && getline(&line, &cap, f) > 0)
    rc = parse_mountinfo_line(host, line, known);
  free(line);
  free(known);
  fclose(f);
  if (rc < 0)
    return berth_fail(err, ENOMEM, "read \"/proc/self/mountinfo\"");
  return 0;
}

/* The process's cgroup as the mount shows it: strip the mount's root. */
static char *own_below_root(const char *cgroup_path, const char *root) {
  size_t n = strlen(root);
  if (strcmp(root, "/") == 0)
    return strdup(cgroup_path);
  if (strncmp(cgroup_path, root, n) == 0 && (cgroup_path[n] == '/' || cgroup_path[n] == '\0'))
    return strdup(cgroup_path[n] ? cgroup_path + n : "/");
  /* Outside the mounted subtree (a cgroup namespace): the path is already
   * relative to what we can see. */
  return strdup(cgroup_path);
}

static int read_own_cgroups(cg_host *host, berth_error **err) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return berth_fail_errno(err, "open \"/proc/self/cgroup\"");
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c1 = *c2 = '\0';
    const char *controllers = c1 + 1, *path = c2 + 1;
    bool unified = strcmp(line, "0") == 0 && *controllers == '\0';
    for (size_t i = 0; i < host->n_mounts; i++) {
      cg_mount *m = &host->mounts[i];
      if (m->own != NULL || m->unified != unified ||
          (!unified && !same_set(m->controllers, controllers)))
        continue;
      m->own = own_below_root(path, m->root);
      if (m->own == NULL)
        rc = -1;
    }
  }
  free(line);
  fclose(f);
  if (rc < 0)
    return berth_fail(err, ENOMEM, "read \"/proc/self/cgroup\"");
  return 0;
}

/* Named-only v1 hierarchies (name=systemd) do not make a host v1: systemd
 * keeps one next to a pure cgroup2 tree in some setups. */
static bool has_v1_controllers(const cg_host *host) {
  for (size_t i = 0; i < host->n_mounts; i++) {
    const cg_mount *m = &host->mounts[i];
    if (m->unified)
      continue;
    const char *c = m->controllers;
    if (strncmp(c, "name=", 5) != 0 || strchr(c, ',') != NULL)
      return true;
  }
  return false;
}

/* On a pure v2 host only the cgroup2 mount is used. */
static void keep_only_unified(cg_host *host) {
  size_t kept = 0;
  for (size_t i = 0; i < host->n_mounts; i++) {
    cg_mount *m = &host->mounts[i];
    if (m->unified) {
      host->mounts[kept++] = *m;
      continue;
    }
    free(m->mountpoint);
    free(m->root);
    free(m->controllers);
    free(m->own);
  }
  host->n_mounts = kept;
}

int cg_host_detect(cg_host *host, berth_error **err) {
  *host = (cg_host){0};
  if (read_mountinfo(host, err) < 0 || read_own_cgroups(host, err) < 0) {
    cg_host_release(host);
    return -1;
  }
  bool v1 = has_v1_controllers(host), v2 = have_mount(host, true, NULL);
  if (!v1 && !v2) {
    cg_host_release(host);
    return berth_fail_id(err, "BERTH-E-CGROUP-NO-HIERARCHY", 0,
                         "no cgroup hierarchy with controllers is mounted");
  }
  host->layout = v1 ? (v2 ? CG_LAYOUT_HYBRID : CG_LAYOUT_V1) : CG_LAYOUT_V2;
  if (host->layout == CG_LAYOUT_V2)
    keep_only_unified(host);
  return 0;
}

void cg_host_release(cg_host *host) {
  for (size_t i = 0; i < host->n_mounts; i++) {
    free(host->mounts[i].mountpoint);
    free(host->mounts[i].root);
    free(host->mounts[i].controllers);
    free(host->mounts[i].own);
  }
  free(host->mounts);
  *host = (cg_host){0};
}
