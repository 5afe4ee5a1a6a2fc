/* The cgroup as saved in state.json, so that later commands (kill, pause,
 * delete) act on the same directories, and remove only what create made:
 *
 *   {"layout": "hybrid",
 *    "dirs": [{"mountpoint": "/sys/fs/cgroup/cpu", "controllers": "cpu",
 *              "unified": false, "path": "/sys/fs/cgroup/cpu/web",
 *              "created": ["/sys/fs/cgroup/cpu/web"]}, ...],
 *    "systemd": {...}}
 *
 * with the driver's own part, if it keeps one, under its name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"

static json_t *dir_to_json(const cg_dir *d) {
  json_t *created = json_array();
  for (size_t i = 0; created != NULL && i < d->n_created; i++)
    json_array_append_new(created, json_string(d->created[i]));
  return json_pack("{s:s, s:s, s:b, s:s, s:o*}", "mountpoint", d->mountpoint, "controllers",
                   d->controllers, "unified", d->unified, "path", d->path, "created",
                   created);
}

json_t *cg_state_to_json(const cgroup *cg, const char *driver_key, json_t *driver_state) {
  json_t *dirs = json_array();
  for (size_t i = 0; dirs != NULL && i < cg->n_dirs; i++) {
    json_t *d = dir_to_json(&cg->dirs[i]);
    if (d == NULL || json_array_append_new(dirs, d) < 0) {
      json_decref(dirs);
      json_decref(driver_state);
      return NULL;
    }
  }
  return json_pack("{s:s, s:o*, s:o*}", "layout", cg_layout_name(cg->layout), "dirs", dirs,
                   driver_key, driver_state);
}

/* Only absolute paths without ".." are accepted back: state.json is ours,
 * but a damaged one must not turn rmdir loose elsewhere. */
static bool sane_path(const char *p) {
  return p[0] == '/' && strstr(p, "/../") == NULL &&
         (strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..") != 0);
}

static int dir_from_json(json_t *j, cg_dir *d, berth_error **err) {
  const char *mountpoint, *controllers, *path;
  int unified = 0;
  json_t *created = NULL;
  json_error_t jerr;
  if (json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:b, s:s, s?o}", "mountpoint", &mountpoint,
                     "controllers", &controllers, "unified", &unified, "path", &path, "created",
                     &created) < 0)
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL, "cgroup state: %s", jerr.text);
  if (!sane_path(mountpoint) || !sane_path(path) || strncmp(path, mountpoint,
                                                              strlen(mountpoint)) != 0)
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL,
                         "cgroup state: bad path \"%s\"", path);
  d->mountpoint = strdup(mountpoint);
  d->controllers = strdup(controllers);
  d->path = strdup(path);
  d->unified = unified;
  if (d->mountpoint == NULL || d->controllers == NULL || d->path == NULL)
    return berth_fail(err, ENOMEM, "cgroup state");
  size_t i;
  json_t *c;
  json_array_foreach(created, i, c) {
    const char *p = json_string_value(c);
    if (p == NULL || !sane_path(p) || strncmp(p, mountpoint, strlen(mountpoint)) != 0 ||
        strlen(p) <= strlen(mountpoint))
      return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL,
                           "cgroup state: bad created path in \"%s\"", path);
    if (cg_remember_created(d, p) < 0)
      return berth_fail(err, ENOMEM, "cgroup state");
  }
  return 0;
}

int cg_state_from_json(json_t *j, cgroup **out, berth_error **err) {
  const char *layout_name;
  json_t *dirs;
  json_error_t jerr;
  enum cg_layout layout;
  if (json_unpack_ex(j, &jerr, 0, "{s:s, s:o}", "layout", &layout_name, "dirs", &dirs) < 0)
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL, "cgroup state: %s", jerr.text);
  if (cg_layout_parse(layout_name, &layout) < 0)
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL,
                         "cgroup state: unknown layout \"%s\"", layout_name);
  if (!json_is_array(dirs))
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", EINVAL,
                         "cgroup state: \"dirs\" is not an array");
  cgroup *cg = cg_alloc(NULL, layout, json_array_size(dirs));
  if (cg == NULL)
    return berth_fail(err, ENOMEM, "cgroup state");
  size_t i;
  json_t *d;
  json_array_foreach(dirs, i, d) {
    cg->n_dirs = i + 1;
    if (dir_from_json(d, &cg->dirs[i], err) < 0) {
      cg_free(cg);
      return -1;
    }
  }
  *out = cg;
  return 0;
}
