#include "container_cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/systemd.h"
#include "device_rules.h"
#include "state.h"

static bool is_permission_error(int code) {
  return code == EACCES || code == EPERM || code == EROFS;
}

static int apply_resources(cgroup *cg, const spec *s, berth_error **err) {
  spec_resources res = {0};
  if (s->linux.resources != NULL)
    res = *s->linux.resources;
  res.devices = device_rules_effective(s, &res.n_devices);
  if (res.devices == NULL)
    return berth_fail(err, ENOMEM, "build device rules");
  int rc = cgroup_apply(cg, &res, err);
  free(res.devices);
  return rc;
}

bool container_cgroup_record(container_state *st, cgroup *cg) {
  json_t *now = cgroup_to_json(cg);
  bool changed = st->cgroup == NULL || !json_equal(now, st->cgroup);
  json_decref(st->cgroup);
  st->cgroup = now;
  const char *freezer = cgroup_freezer_path(cg, &st->freezer_v2);
  free(st->freezer);
  st->freezer = strdup(freezer ? freezer : "");
  return changed;
}

int container_cgroup_apply(cgroup *cg, const spec *s, berth_error **err) {
  return apply_resources(cg, s, err);
}

int container_cgroup_setup(const spec *s, const char *id, bool systemd, bool rootless,
                           bool v1_later, cgroup **out, berth_error **err) {
  *out = NULL;
  if ((v1_later ? cgroup_create_v1_later(s->linux.cgroups_path, id, out, err)
                : cgroup_create(s->linux.cgroups_path, id, systemd, out, err)) < 0) {
    if (!rootless || !is_permission_error((*err)->code))
      return -1;
    /* Not delegated to us: the container runs without its own cgroup. */
    berth_error_clear(err);
    return 0;
  }
  if (cgroup_systemd_annotations(*out, &s->annotations, err) < 0)
    return -1;
  return v1_later ? 0 : apply_resources(*out, s, err);
}

void container_discard(const char *root, const char *id, int dirfd, cgroup *cg,
                       const char *pid_file, const char *what) {
  berth_error *e = NULL;
  if (cg != NULL && cgroup_destroy(cg, &e) < 0) {
    berth_warn("clean up after failed %s: %s", what, berth_error_text(e));
    berth_error_clear(&e);
  }
  if (dirfd >= 0 && state_dir_remove(root, id, dirfd, &e) < 0) {
    berth_warn("clean up after failed %s: %s", what, berth_error_text(e));
    berth_error_clear(&e);
  }
  if (pid_file)
    unlink(pid_file);
}
