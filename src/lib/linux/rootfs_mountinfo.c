#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/rootfs_internal.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t len) {
  char *out = malloc(len + 1);
  if (out == NULL)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3') {
      out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  return out;
}

/* Returns the next space-separated field of *cur and advances past it. */
static char *next_field(char **cur) {
  char *s = *cur;
  while (*s == ' ')
    s++;
  char *end = s;
  while (*end != ' ' && *end != '\0' && *end != '\n')
    end++;
  char *field = unescape(s, (size_t)(end - s));
  *cur = end;
  return field;
}

static void entry_free(mountinfo_entry *e) {
  free(e->root);
  free(e->mount_point);
  free(e->optional);
  free(e->fstype);
  free(e->source);
  free(e->super_opts);
}

static int parse_line(char *line, mountinfo_entry *e) {
  memset(e, 0, sizeof(*e));
  char *cur = line;
  for (int i = 0; i < 3; i++) /* id, parent id, major:minor */
    free(next_field(&cur));
  e->root = next_field(&cur);
  e->mount_point = next_field(&cur);
  free(next_field(&cur)); /* per-mount options */
  char *sep = strstr(cur, " - ");
  if (sep == NULL)
    return -1;
  e->optional = unescape(cur, (size_t)(sep - cur));
  cur = sep + 3;
  e->fstype = next_field(&cur);
  e->source = next_field(&cur);
  e->super_opts = next_field(&cur);
  if (!e->root || !e->mount_point || !e->optional || !e->fstype || !e->source ||
      !e->super_opts)
    return -1;
  return 0;
}

int mountinfo_read(mountinfo *out, berth_error **err) {
  memset(out, 0, sizeof(*out));
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berth_fail_errno(err, "open /proc/self/mountinfo");
  char *line = NULL;
  size_t cap = 0, alloc = 0;
  int rc = 0;
  while (getline(&line, &cap, f) >= 0) {
    if (out->n == alloc) {
      alloc = alloc ? alloc * 2 : 32;
      mountinfo_entry *grown = realloc(out->v, alloc * sizeof(*grown));
      if (grown == NULL) {
        rc = berth_fail(err, ENOMEM, "read /proc/self/mountinfo");
        break;
      }
      out->v = grown;
    }
    if (parse_line(line, &out->v[out->n]) < 0) {
      entry_free(&out->v[out->n]);
      rc = berth_fail(err, EINVAL, "read /proc/self/mountinfo: bad line");
      break;
    }
    out->n++;
  }
  free(line);
  fclose(f);
  if (rc < 0)
    mountinfo_free(out);
  return rc;
}

void mountinfo_free(mountinfo *mi) {
  for (size_t i = 0; i < mi->n; i++)
    entry_free(&mi->v[i]);
  free(mi->v);
  mi->v = NULL;
  mi->n = 0;
}

static size_t prefix_len_of(const char *mount_point, const char *path) {
  size_t len = strlen(mount_point);
  if (strcmp(mount_point, "/") == 0)
    return 1;
  if (strncmp(mount_point, path, len) != 0 || (path[len] != '/' && path[len] != '\0'))
    return 0;
  return len;
}

const mountinfo_entry *mountinfo_holding(const mountinfo *mi, const char *path) {
  const mountinfo_entry *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < mi->n; i++) {
    size_t len = prefix_len_of(mi->v[i].mount_point, path);
    if (len > 0 && len >= best_len) {
      best = &mi->v[i];
      best_len = len;
    }
  }
  return best;
}
