#include "linux/intelrdt.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- where resctrl is ---- */

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape_octal(char *s) {
  char *out = s;
  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
        s[3] >= '0' && s[3] <= '7') {
      *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    } else {
      *out++ = *s;
    }
  }
  *out = '\0';
}

/* The first resctrl mount point, into root (PATH_MAX); 0 or -1. */
static int find_resctrl(char *root) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return -1;
  char *line = NULL;
  size_t cap = 0;
  int rc = -1;
  while (rc < 0 && getline(&line, &cap, f) > 0) {
    char mnt[PATH_MAX], fstype[64];
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "resctrl") != 0)
      continue;
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
      unescape_octal(mnt);
      snprintf(root, PATH_MAX, "%s", mnt);
      rc = 0;
    }
  }
  free(line);
  fclose(f);
  return rc;
}

static int need_resctrl(char *root, berth_error **err) {
  if (find_resctrl(root) == 0)
    return 0;
  return berth_fail_id(err, "BERTH-E-INTELRDT-UNSUPPORTED", 0,
                       "linux.intelRdt: intelRdt is specified in config, but Intel RDT is "
                       "not supported or enabled (the resctrl filesystem is not mounted)");
}

/* ---- files ---- */

static int write_file(const char *dir, const char *name, const char *data) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write(fd, data, strlen(data));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(data) ? 0 : -1;
}

/* resctrl explains a refused write in info/last_cmd_status. */
static void last_status(const char *root, char *buf, size_t len) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/info/last_cmd_status", root);
  buf[0] = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  buf[n > 0 ? n : 0] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
}

/* ---- schemata ---- */

typedef struct lines {
  char **v;
  size_t n;
} lines;

static int add_lines(lines *l, const char *text, bool skip_mb) {
  char *copy = strdup(text), *save = NULL;
  if (copy == NULL)
    return -1;
  for (char *t = strtok_r(copy, "\n", &save); t != NULL; t = strtok_r(NULL, "\n", &save)) {
    while (isspace((unsigned char)*t))
      t++;
    if (*t == '\0' || (skip_mb && strncmp(t, "MB:", 3) == 0))
      continue;
    char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (v == NULL || (v[l->n] = strdup(t)) == NULL) {
      l->v = v ? v : l->v;
      free(copy);
      return -1;
    }
    l->v = v;
    l->n++;
  }
  free(copy);
  return 0;
}

static void free_lines(lines *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

/* The order the spec asks for: l3CacheSchema, memBwSchema, schemata[]. */
static int wanted_lines(const spec_intel_rdt *r, lines *out) {
  memset(out, 0, sizeof(*out));
  bool mb = r->mem_bw_schema != NULL && *r->mem_bw_schema;
  if ((r->l3_cache_schema && add_lines(out, r->l3_cache_schema, mb) < 0) ||
      (mb && add_lines(out, r->mem_bw_schema, false) < 0))
    return -1;
  for (size_t i = 0; i < r->schemata.n; i++)
    if (add_lines(out, r->schemata.v[i], false) < 0)
      return -1;
  return 0;
}

/* "L3:0=00ff;1=f0" and "L3:0=ff;1=f0" are the same: compare resource,
 * domains and values with blanks and leading zeros dropped. */
static void normalize(const char *in, char *out, size_t len) {
  size_t o = 0;
  bool value_start = false;
  for (; *in && o + 1 < len; in++) {
    char c = (char)tolower((unsigned char)*in);
    if (isspace((unsigned char)c))
      continue;
    if (value_start && c == '0' && isxdigit((unsigned char)in[1]))
      continue;
    value_start = c == '=';
    out[o++] = c;
  }
  out[o] = '\0';
}

/* Every "domain=value" of `want` appears in the normalized `have` line. */
static bool domains_match(char *want_domains, const char *have_domains) {
  char *save = NULL;
  for (char *d = strtok_r(want_domains, ";", &save); d; d = strtok_r(NULL, ";", &save)) {
    size_t dl = strlen(d);
    const char *at = have_domains;
    while ((at = strstr(at, d)) != NULL) {
      bool starts = at == have_domains || at[-1] == ';';
      if (starts && (at[dl] == ';' || at[dl] == '\0'))
        break;
      at++;
    }
    if (at == NULL)
      return false;
  }
  return true;
}

/* The `have` schemata file holds `want`'s resource line with at least
 * `want`'s domain values. */
static bool line_matches(const char *want, const char *have_file) {
  char w[512], h[512];
  normalize(want, w, sizeof(w));
  const char *colon = strchr(w, ':');
  if (colon == NULL)
    return false;
  size_t res_len = (size_t)(colon - w) + 1; /* "l3:" */
  char *copy = strdup(have_file), *save = NULL;
  bool match = false;
  for (char *t = copy ? strtok_r(copy, "\n", &save) : NULL; t; t = strtok_r(NULL, "\n", &save)) {
    normalize(t, h, sizeof(h));
    if (strncmp(h, w, res_len) == 0) {
      match = domains_match(w + res_len, h + res_len);
      break;
    }
  }
  free(copy);
  return match;
}

static int check_existing(const char *group, const lines *want, berth_error **err) {
  char path[PATH_MAX], have[8192];
  snprintf(path, sizeof(path), "%s/schemata", group);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, have, sizeof(have) - 1);
  if (fd >= 0)
    close(fd);
  if (n < 0)
    return berth_fail_errno(err, "linux.intelRdt: read %s", path);
  have[n] = '\0';
  for (size_t i = 0; i < want->n; i++)
    if (!line_matches(want->v[i], have))
      return berth_fail_id(err, "BERTH-E-INTELRDT-CLOSID", 0,
                           "linux.intelRdt: existing group %s does not have schema \"%s\"",
                           group, want->v[i]);
  return 0;
}

static int write_lines(const char *root, const char *group, const lines *l, berth_error **err) {
  for (size_t i = 0; i < l->n; i++) {
    char data[1024], why[256];
    snprintf(data, sizeof(data), "%s\n", l->v[i]);
    if (write_file(group, "schemata", data) < 0) {
      int saved = errno;
      last_status(root, why, sizeof(why));
      return berth_fail_id(err, "BERTH-E-INTELRDT-SCHEMA", saved,
                           "linux.intelRdt: write \"%s\" to %s/schemata%s%s%s",
                           l->v[i], group, *why ? " (" : "", why, *why ? ")" : "");
    }
  }
  return 0;
}

/* ---- the calls ---- */

int intelrdt_check(const spec_intel_rdt *r, berth_error **err) {
  if (r == NULL)
    return 0;
  char root[PATH_MAX], group[PATH_MAX];
  if (need_resctrl(root, err) < 0)
    return -1;
  bool schemas = (r->l3_cache_schema && *r->l3_cache_schema) ||
                 (r->mem_bw_schema && *r->mem_bw_schema) || r->schemata.n > 0;
  snprintf(group, sizeof(group), "%s/%s", root, r->clos_id ? r->clos_id : "");
  if (r->clos_id && !schemas && access(group, F_OK) != 0)
    return berth_fail_id(err, "BERTH-E-INTELRDT-CLOSID", 0,
                         "linux.intelRdt.closID: group \"%s\" does not exist in %s",
                         r->clos_id, root);
  return 0;
}

static int join(const char *root, const intelrdt_state *st, pid_t pid, berth_error **err) {
  char data[32], why[256];
  snprintf(data, sizeof(data), "%d\n", (int)pid);
  /* A monitoring group takes only tasks already in its parent group. */
  const char *dirs[] = {st->group, st->mon_group};
  for (size_t i = 0; i < 2 && dirs[i] != NULL; i++) {
    if (write_file(dirs[i], "tasks", data) < 0) {
      int saved = errno;
      last_status(root, why, sizeof(why));
      return berth_fail(err, saved, "linux.intelRdt: add pid %d to %s/tasks%s%s", (int)pid,
                        dirs[i], *why ? ": " : "", why);
    }
  }
  return 0;
}

static int make_groups(const char *root, const spec_intel_rdt *r, const char *id,
                       intelrdt_state *st, berth_error **err) {
  lines want;
  if (wanted_lines(r, &want) < 0) {
    free_lines(&want);
    return berth_fail(err, ENOMEM, "linux.intelRdt");
  }
  int rc = 0;
  if (r->clos_id && want.n == 0) { /* a pre-configured group, used as it is */
    if (access(st->group, F_OK) != 0)
      rc = berth_fail_errno(err, "linux.intelRdt.closID: group %s", st->group);
  } else if (mkdir(st->group, 0755) == 0) {
    st->created_group = true;
  } else if (errno != EEXIST) {
    rc = berth_fail_errno(err, "linux.intelRdt: create group %s", st->group);
  }
  if (rc == 0 && want.n > 0)
    rc = st->created_group || !r->clos_id ? write_lines(root, st->group, &want, err)
                                          : check_existing(st->group, &want, err);
  free_lines(&want);
  if (rc == 0 && r->enable_monitoring) {
    if (asprintf(&st->mon_group, "%s/mon_groups/%s", st->group, id) < 0)
      return berth_fail(err, ENOMEM, "linux.intelRdt");
    if (mkdir(st->mon_group, 0755) < 0)
      rc = berth_fail_errno(err, "linux.intelRdt.enableMonitoring: create %s", st->mon_group);
  }
  return rc;
}

int intelrdt_apply(const spec_intel_rdt *r, const char *container_id, pid_t pid,
                   intelrdt_state *out, berth_error **err) {
  memset(out, 0, sizeof(*out));
  if (r == NULL)
    return 0;
  char root[PATH_MAX];
  if (need_resctrl(root, err) < 0)
    return -1;
  if (asprintf(&out->group, "%s/%s", root, r->clos_id ? r->clos_id : container_id) < 0)
    return berth_fail(err, ENOMEM, "linux.intelRdt");
  if (make_groups(root, r, container_id, out, err) < 0 || join(root, out, pid, err) < 0) {
    berth_error *ignored = NULL;
    intelrdt_destroy(out, &ignored);
    berth_error_free(ignored);
    intelrdt_state_free(out);
    return -1;
  }
  return 0;
}

int intelrdt_add_task(const intelrdt_state *st, pid_t pid, berth_error **err) {
  char root[PATH_MAX];
  if (st == NULL || st->group == NULL)
    return 0;
  if (need_resctrl(root, err) < 0)
    return -1;
  return join(root, st, pid, err);
}

int intelrdt_destroy(const intelrdt_state *st, berth_error **err) {
  if (st == NULL)
    return 0;
  if (st->mon_group && rmdir(st->mon_group) < 0 && errno != ENOENT)
    return berth_fail_errno(err, "linux.intelRdt: remove %s", st->mon_group);
  if (st->created_group && st->group && rmdir(st->group) < 0 && errno != ENOENT)
    return berth_fail_errno(err, "linux.intelRdt: remove %s", st->group);
  return 0;
}

void intelrdt_state_free(intelrdt_state *st) {
  free(st->group);
  free(st->mon_group);
  memset(st, 0, sizeof(*st));
}
