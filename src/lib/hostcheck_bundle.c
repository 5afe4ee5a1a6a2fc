/* The bundle half of `berth check`: config.json through berth's own parser
 * and validation, then what the config needs from this host. Every finding
 * is named by the JSON path of the field at fault. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create_internal.h"
#include "criu.h"
#include "hostcheck.h"
#include "linux/idmap.h"
#include "linux/passwd.h"
#include "linux/seccomp.h"

#define BUNDLE "bundle"

static void bundle_path(const char *bundle, const char *p, char *out, size_t len) {
  if (p[0] == '/')
    snprintf(out, len, "%s", p);
  else
    snprintf(out, len, "%s/%s", bundle, p);
}

static void check_root(const spec *s, const char *bundle, hc_report *r) {
  char path[PATH_MAX];
  struct stat st;
  bundle_path(bundle, s->root_path ? s->root_path : "", path, sizeof(path));
  if (stat(path, &st) < 0) {
    hc_add(r, BUNDLE, HC_FAIL, "root.path", "\"%s\": %s", path, strerror(errno));
  } else if (!S_ISDIR(st.st_mode)) {
    hc_add(r, BUNDLE, HC_FAIL, "root.path", "\"%s\" is not a directory", path);
  } else {
    hc_add(r, BUNDLE, HC_OK, "root.path", "\"%s\" is a directory", path);
    hostcheck_process(s, path, r);
  }
}

static void check_mounts(const spec *s, const char *bundle, hc_report *r) {
  size_t failed = hc_count(r, HC_FAIL);
  for (size_t i = 0; i < s->n_mounts; i++) {
    char src[PATH_MAX], name[64];
    struct stat st;
    if (!criu_bind_source(bundle, &s->mounts[i], src, sizeof(src)))
      continue;
    snprintf(name, sizeof(name), "mounts[%zu].source", i);
    if (stat(src, &st) < 0)
      hc_add(r, BUNDLE, HC_FAIL, name, "bind source \"%s\": %s", src, strerror(errno));
  }
  /* A missing source would fail the idmapped clone a second time. */
  if (hc_count(r, HC_FAIL) != failed)
    return;
  struct idmap_trees *t = NULL;
  berth_error *err = NULL;
  if (idmap_prepare(s, bundle, &t, &err) < 0)
    hc_add(r, BUNDLE, HC_FAIL, "mounts", "idmapped mount: %s", berth_error_text(err));
  idmap_trees_free(t);
  berth_error_free(err);
}

/* An nsfs file of the right type: open it and ask its type. */
static void check_ns_path(const spec_namespace *ns, const char *name, hc_report *r) {
  int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    hc_add(r, BUNDLE, HC_FAIL, name, "\"%s\": %s", ns->path, strerror(errno));
    return;
  }
  int type = ioctl(fd, NS_GET_NSTYPE);
  int e = errno;
  close(fd);
  if (type < 0)
    hc_add(r, BUNDLE, HC_FAIL, name, "\"%s\" is not a namespace file (%s)", ns->path, strerror(e));
  else if (type != ns->clone_flag)
    hc_add(r, BUNDLE, HC_FAIL, name, "\"%s\" is not a %s namespace", ns->path,
           spec_ns_type_name(ns->type));
}

static void check_namespaces(const hc_host *h, const spec *s, hc_report *r) {
  for (size_t i = 0; i < s->linux.n_namespaces; i++) {
    const spec_namespace *ns = &s->linux.namespaces[i];
    char name[64];
    snprintf(name, sizeof(name), "linux.namespaces[%zu]%s", i, ns->path ? ".path" : "");
    if (ns->path != NULL)
      check_ns_path(ns, name, r);
    else if (!h->ns[ns->type])
      hc_add(r, BUNDLE, HC_FAIL, name, "this host cannot create a %s namespace",
             spec_ns_type_name(ns->type));
    else if (h->ns_in_userns_only[ns->type] && spec_find_namespace(s, NS_USER) == NULL)
      hc_add(r, BUNDLE, HC_FAIL, name, "this user can create a %s namespace only inside a "
             "user namespace, and the config has none", spec_ns_type_name(ns->type));
  }
}

typedef struct id_range {
  unsigned long first, count;
} id_range;

typedef struct id_ranges {
  id_range v[64];
  size_t n;
} id_ranges;

static void ranges_add(id_ranges *a, unsigned long first, unsigned long count) {
  if (a->n < sizeof(a->v) / sizeof(a->v[0]))
    a->v[a->n++] = (id_range){first, count};
}

/* Ids the caller may map: those of its own namespace (the first column of
 * its uid_map) as root; its own id and its /etc/subuid ranges otherwise. */
static void available_ids(const char *kind, id_ranges *a) {
  char path[64], line[256];
  a->n = 0;
  if (geteuid() == 0) {
    snprintf(path, sizeof(path), "/proc/self/%s_map", kind);
    FILE *f = fopen(path, "re");
    unsigned long inside, outside, count;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
      if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) == 3)
        ranges_add(a, inside, count);
    if (f != NULL)
      fclose(f);
    return;
  }
  unsigned long self = strcmp(kind, "uid") == 0 ? geteuid() : getegid();
  ranges_add(a, self, 1);
  char name[256];
  bool named = passwd_name(geteuid(), name, sizeof(name)) == 0;
  snprintf(path, sizeof(path), "/etc/sub%s", kind);
  FILE *f = fopen(path, "re");
  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    char who[128];
    unsigned long first, count;
    if (sscanf(line, "%127[^:]:%lu:%lu", who, &first, &count) == 3 &&
        ((named && strcmp(who, name) == 0) || strtoul(who, NULL, 10) == geteuid()))
      ranges_add(a, first, count);
  }
  if (f != NULL)
    fclose(f);
}

static bool ids_covered(const id_ranges *a, unsigned long first, unsigned long count) {
  while (count > 0) {
    size_t i;
    for (i = 0; i < a->n; i++)
      if (first >= a->v[i].first && first < a->v[i].first + a->v[i].count)
        break;
    if (i == a->n)
      return false;
    unsigned long room = a->v[i].first + a->v[i].count - first;
    unsigned long take = room < count ? room : count;
    first += take;
    count -= take;
  }
  return true;
}

static void check_idmaps(const spec_idmaps *m, const char *kind, const char *field,
                         hc_report *r) {
  id_ranges avail;
  available_ids(kind, &avail);
  for (size_t i = 0; i < m->n; i++) {
    if (ids_covered(&avail, m->v[i].host_id, m->v[i].size))
      continue;
    char name[96];
    snprintf(name, sizeof(name), "%s[%zu]", field, i);
    hc_add(r, BUNDLE, HC_FAIL, name, "host %ss %u-%lu are not available to this user%s", kind,
           m->v[i].host_id, (unsigned long)m->v[i].host_id + m->v[i].size - 1,
           geteuid() == 0 ? "" : " (own id and /etc/sub*id ranges)");
  }
}

static void check_ids(const spec *s, hc_report *r) {
  check_idmaps(&s->linux.uid_mappings, "uid", "linux.uidMappings", r);
  check_idmaps(&s->linux.gid_mappings, "gid", "linux.gidMappings", r);
  for (size_t i = 0; i < s->n_mounts; i++) {
    char field[64];
    snprintf(field, sizeof(field), "mounts[%zu].uidMappings", i);
    check_idmaps(&s->mounts[i].uid_mappings, "uid", field, r);
    snprintf(field, sizeof(field), "mounts[%zu].gidMappings", i);
    check_idmaps(&s->mounts[i].gid_mappings, "gid", field, r);
  }
}

static void check_hooks(const spec *s, hc_report *r) {
  for (int k = 0; k < HOOK_KIND_COUNT; k++) {
    for (size_t i = 0; i < s->hooks[k].n; i++) {
      const char *path = s->hooks[k].v[i].path;
      char name[96];
      snprintf(name, sizeof(name), "hooks.%s[%zu].path", spec_hook_kind_name(k), i);
      if (access(path, X_OK) < 0)
        hc_add(r, BUNDLE, HC_FAIL, name, "\"%s\": %s", path, strerror(errno));
    }
  }
}

static bool uses_notify(const spec_seccomp *sc) {
  if (sc->default_action && strcmp(sc->default_action, "SCMP_ACT_NOTIFY") == 0)
    return true;
  for (size_t i = 0; i < sc->n_syscalls; i++)
    if (sc->syscalls[i].action && strcmp(sc->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

static void check_seccomp(const hc_host *h, const spec *s, hc_report *r) {
  const spec_seccomp *sc = s->linux.seccomp;
  if (sc == NULL)
    return;
  if (!h->seccomp)
    hc_add(r, BUNDLE, HC_FAIL, "linux.seccomp", "this host cannot load seccomp filters");
  if (uses_notify(sc) && !h->seccomp_notify)
    hc_add(r, BUNDLE, HC_FAIL, "linux.seccomp", "SCMP_ACT_NOTIFY: this host has no user notification");
  for (size_t i = 0; i < sc->flags.n; i++) {
    char name[64];
    snprintf(name, sizeof(name), "linux.seccomp.flags[%zu]", i);
    if (!seccomp_flag_supported(sc->flags.v[i]))
      hc_add(r, BUNDLE, HC_FAIL, name, "%s is not supported by this kernel", sc->flags.v[i]);
  }
  struct stat st;
  if (sc->listener_path && (stat(sc->listener_path, &st) < 0 || !S_ISSOCK(st.st_mode)))
    hc_add(r, BUNDLE, HC_FAIL, "linux.seccomp.listenerPath", "\"%s\" is not a socket%s%s",
           sc->listener_path, errno == ENOENT ? ": " : "", errno == ENOENT ? strerror(errno) : "");
}

void hostcheck_bundle(const hc_host *h, const char *bundle, hc_report *r) {
  char config[PATH_MAX];
  snprintf(config, sizeof(config), "%s/config.json", bundle);
  spec *s = NULL;
  berth_error *err = NULL;
  if (spec_load(config, &s, &err) < 0) {
    hc_add(r, BUNDLE, HC_FAIL, "config.json", "%s", berth_error_text(err));
    berth_error_free(err);
    return;
  }
  hc_add(r, BUNDLE, HC_OK, "config.json", "\"%s\" is a valid runtime spec", config);
  for (size_t i = 0; i < s->warnings.n; i++)
    hc_add(r, BUNDLE, HC_WARN, "config.json", "%s", s->warnings.v[i]);
  if (s->process != NULL && s->process->terminal)
    hc_add(r, BUNDLE, HC_WARN, "process.terminal", "true: create and run --detach need "
           "--console-socket; run in the foreground gives it the caller's terminal");
  if (create_check_supported(s, &err) < 0)
    hc_add(r, BUNDLE, HC_FAIL, "config.json", "%s", berth_error_text(err));
  berth_error_free(err);
  check_root(s, bundle, r);
  check_mounts(s, bundle, r);
  check_namespaces(h, s, r);
  check_ids(s, r);
  check_hooks(s, r);
  check_seccomp(h, s, r);
  hostcheck_resources(h, s, r);
  spec_free(s);
}
