/* config.json: the document, root, mounts, hooks and annotations; process
 * and linux are in spec_process.c and spec_linux.c. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec_json.h"
#include "spec_linux.h"
#include "spec_process.h"
#include "spec_resources.h"
#include "spec_seccomp.h"

static const char *const hook_kind_names[HOOK_KIND_COUNT] = {
  [HOOK_PRESTART] = "prestart",
  [HOOK_CREATE_RUNTIME] = "createRuntime",
  [HOOK_CREATE_CONTAINER] = "createContainer",
  [HOOK_START_CONTAINER] = "startContainer",
  [HOOK_POSTSTART] = "poststart",
  [HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_kind_name(enum spec_hook_kind kind) {
  return (unsigned)kind < HOOK_KIND_COUNT ? hook_kind_names[kind] : "unknown";
}

/* ---- root ---- */

static int parse_root(sj_ctx *c, json_t *doc, spec *s) {
  json_t *root;
  int rc = sj_object(c, doc, "root", &root);
  if (rc == 0)
    return sj_missing(c, "root");
  if (rc < 0)
    return -1;
  size_t mark = sj_push(c, "root");
  if (sj_string_required(c, root, "path", &s->root_path) < 0 ||
      sj_bool(c, root, "readonly", &s->root_readonly) < 0)
    return -1;
  if (s->root_path[0] == '\0')
    return sj_fail(c, "path", "must not be empty");
  sj_pop(c, mark);
  return 0;
}

/* ---- mounts ---- */

static int make_destination_absolute(sj_ctx *c, spec_mount *m) {
  if (m->destination[0] == '/')
    return 0;
  /* runc still takes these, relative to the root, with a warning. */
  if (sj_warn(c, "%s: mount destination \"%s\" is not absolute, taken as relative to the root",
              sj_path(c, "destination"), m->destination) < 0)
    return -1;
  char *absolute = NULL;
  if (asprintf(&absolute, "/%s", m->destination) < 0)
    return sj_oom(c);
  free(m->destination);
  m->destination = absolute;
  return 0;
}

static int parse_mount(sj_ctx *c, json_t *item, spec_mount *m) {
  if (sj_as_object(c, item, NULL) < 0 ||
      sj_string_required(c, item, "destination", &m->destination) < 0)
    return -1;
  if (m->destination[0] == '\0')
    return sj_fail(c, "destination", "must not be empty");
  if (make_destination_absolute(c, m) < 0 || sj_string(c, item, "source", &m->source) < 0 ||
      sj_string(c, item, "type", &m->type) < 0 || sj_strv(c, item, "options", &m->options) < 0 ||
      sj_idmaps(c, item, "uidMappings", &m->uid_mappings) < 0 ||
      sj_idmaps(c, item, "gidMappings", &m->gid_mappings) < 0)
    return -1;
  return 0;
}

static int parse_mounts(sj_ctx *c, json_t *doc, spec *s) {
  json_t *arr;
  int rc = sj_array(c, doc, "mounts", &arr);
  if (rc <= 0)
    return rc;
  s->mounts = sj_calloc(c, json_array_size(arr), sizeof(spec_mount));
  if (s->mounts == NULL)
    return -1;
  s->n_mounts = json_array_size(arr);
  size_t mark = sj_push(c, "mounts");
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    if (parse_mount(c, item, &s->mounts[i]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

static void mount_clear(spec_mount *m) {
  free(m->destination);
  free(m->source);
  free(m->type);
  sj_strv_free(&m->options);
  free(m->uid_mappings.v);
  free(m->gid_mappings.v);
}

/* ---- hooks ---- */

static int parse_hook(sj_ctx *c, json_t *item, spec_hook *h) {
  if (sj_as_object(c, item, NULL) < 0 || sj_string_required(c, item, "path", &h->path) < 0)
    return -1;
  if (h->path[0] != '/')
    return sj_fail_id(c, "BERTH-E-HOOK-PATH", "path",
                      "must be an absolute path, got \"%s\"", h->path);
  if (sj_strv(c, item, "args", &h->args) < 0 || sj_strv(c, item, "env", &h->env) < 0 ||
      sj_int(c, item, "timeout", 1, INT64_MAX, &h->timeout.v) < 0)
    return -1;
  h->timeout.set = sj_field(item, "timeout") != NULL;
  return 0;
}

static int parse_hook_list(sj_ctx *c, json_t *hooks, enum spec_hook_kind kind, spec_hooks *list) {
  const char *key = hook_kind_names[kind];
  json_t *arr;
  int rc = sj_array(c, hooks, key, &arr);
  if (rc <= 0)
    return rc;
  list->v = sj_calloc(c, json_array_size(arr), sizeof(spec_hook));
  if (list->v == NULL)
    return -1;
  list->n = json_array_size(arr);
  size_t mark = sj_push(c, key);
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    if (parse_hook(c, item, &list->v[i]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

static int parse_hooks(sj_ctx *c, json_t *doc, spec *s) {
  json_t *hooks;
  int rc = sj_object(c, doc, "hooks", &hooks);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, "hooks");
  for (int kind = 0; kind < HOOK_KIND_COUNT; kind++)
    if (parse_hook_list(c, hooks, (enum spec_hook_kind)kind, &s->hooks[kind]) < 0)
      return -1;
  sj_pop(c, mark);
  return 0;
}

static void hooks_clear(spec_hooks *list) {
  for (size_t i = 0; i < list->n; i++) {
    free(list->v[i].path);
    sj_strv_free(&list->v[i].args);
    sj_strv_free(&list->v[i].env);
  }
  free(list->v);
}

/* ---- sections holding others ---- */

/* Each section parser fills the struct of its own header; these adapters
 * let one parse_section allocate and name them all. */
typedef int (*section_parser)(sj_ctx *c, json_t *obj, void *out);
static int process_section(sj_ctx *c, json_t *o, void *out) { return spec_parse_process_obj(c, o, out); }
static int resources_section(sj_ctx *c, json_t *o, void *out) { return spec_parse_resources_obj(c, o, out); }
static int seccomp_section(sj_ctx *c, json_t *o, void *out) { return spec_parse_seccomp_obj(c, o, out); }

/* PARENT[KEY], when present, into a new struct of SIZE bytes at *OUT. */
static int parse_section(sj_ctx *c, json_t *parent, const char *key, size_t size,
                         section_parser parse, void **out) {
  json_t *obj;
  int rc = sj_object(c, parent, key, &obj);
  if (rc <= 0)
    return rc;
  *out = sj_calloc(c, 1, size);
  if (*out == NULL)
    return -1;
  size_t mark = sj_push(c, key);
  if (parse(c, obj, *out) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

/* "linux": its own fields, then the two sections with parsers of their own. */
static int parse_linux(sj_ctx *c, json_t *doc, spec *s) {
  json_t *obj;
  int rc = sj_object(c, doc, "linux", &obj);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, "linux");
  spec_linux *l = &s->linux;
  if (spec_parse_linux_obj(c, obj, l) < 0 ||
      parse_section(c, obj, "resources", sizeof(*l->resources), resources_section,
                    (void **)&l->resources) < 0 ||
      parse_section(c, obj, "seccomp", sizeof(*l->seccomp), seccomp_section,
                    (void **)&l->seccomp) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

static int parse_document(sj_ctx *c, json_t *doc, spec *s) {
  if (sj_string_required(c, doc, "ociVersion", &s->oci_version) < 0 || parse_root(c, doc, s) < 0 ||
      parse_mounts(c, doc, s) < 0 ||
      parse_section(c, doc, "process", sizeof(*s->process), process_section,
                    (void **)&s->process) < 0 ||
      sj_string(c, doc, "hostname", &s->hostname) < 0 ||
      sj_string(c, doc, "domainname", &s->domainname) < 0 || parse_hooks(c, doc, s) < 0 ||
      sj_string_map(c, doc, "annotations", &s->annotations) < 0 || parse_linux(c, doc, s) < 0)
    return -1;
  return 0;
}

/* ---- entry points ---- */

int spec_parse(const char *json, size_t len, const char *name, spec **out, berth_error **err) {
  spec *s = calloc(1, sizeof(*s));
  if (s == NULL || (s->path = strdup(name)) == NULL) {
    free(s);
    return berth_fail(err, ENOMEM, "%s", name);
  }
  sj_ctx c;
  sj_init(&c, name, err, &s->warnings);
  json_t *doc = NULL;
  int rc = sj_load(&c, json, len, &doc);
  if (rc == 0)
    rc = parse_document(&c, doc, s);
  json_decref(doc);
  sj_release(&c);
  if (rc < 0) {
    spec_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

static int read_file(const char *path, char **buf, size_t *len, berth_error **err) {
  /* O_NONBLOCK: a FIFO in place of the file must not hang berth. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return berth_fail_errno_id(err, errno == ENOENT ? "BERTH-E-SPEC-MISSING" : "BERTH-E-SPEC-READ",
                               "open %s", path);
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return berth_fail_id(err, "BERTH-E-SPEC-READ", 0, "%s: not a regular file", path);
  }
  size_t cap = 16384, used = 0;
  char *data = malloc(cap);
  for (;;) {
    if (data == NULL) {
      close(fd);
      return berth_fail(err, ENOMEM, "read %s", path);
    }
    ssize_t n = read(fd, data + used, cap - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      berth_fail_errno_id(err, "BERTH-E-SPEC-READ", "read %s", path);
      free(data);
      close(fd);
      return -1;
    }
    if (n == 0)
      break;
    used += (size_t)n;
    if (used == cap) {
      char *grown = realloc(data, cap *= 2);
      if (grown == NULL)
        free(data);
      data = grown;
    }
  }
  close(fd);
  *buf = data;
  *len = used;
  return 0;
}

int spec_load_text(const char *path, spec **out, char **text, size_t *len, berth_error **err) {
  *text = NULL;
  char *buf;
  size_t n;
  if (read_file(path, &buf, &n, err) < 0)
    return -1;
  if (spec_parse(buf, n, path, out, err) < 0) {
    free(buf);
    return -1;
  }
  *text = buf;
  *len = n;
  return 0;
}

int spec_load(const char *path, spec **out, berth_error **err) {
  char *text;
  size_t len;
  int rc = spec_load_text(path, out, &text, &len, err);
  free(text);
  return rc;
}

int spec_load_process(const char *path, spec_process **out, berth_error **err) {
  char *buf;
  size_t len;
  if (read_file(path, &buf, &len, err) < 0)
    return -1;
  spec_process *p = calloc(1, sizeof(*p));
  if (p == NULL) {
    free(buf);
    return berth_fail(err, ENOMEM, "%s", path);
  }
  sj_ctx c;
  sj_init(&c, path, err, &p->warnings);
  json_t *doc = NULL;
  int rc = sj_load(&c, buf, len, &doc);
  if (rc == 0)
    rc = spec_parse_process_obj(&c, doc, p);
  json_decref(doc);
  sj_release(&c);
  free(buf);
  if (rc < 0) {
    spec_process_free(p);
    return -1;
  }
  *out = p;
  return 0;
}

void spec_free(spec *s) {
  if (s == NULL)
    return;
  free(s->path);
  free(s->oci_version);
  free(s->root_path);
  for (size_t i = 0; i < s->n_mounts; i++)
    mount_clear(&s->mounts[i]);
  free(s->mounts);
  spec_process_free(s->process);
  free(s->hostname);
  free(s->domainname);
  for (int kind = 0; kind < HOOK_KIND_COUNT; kind++)
    hooks_clear(&s->hooks[kind]);
  sj_kvs_free(&s->annotations);
  spec_resources_free(s->linux.resources);
  spec_seccomp_free(s->linux.seccomp);
  spec_linux_clear(&s->linux);
  sj_strv_free(&s->warnings);
  free(s);
}
