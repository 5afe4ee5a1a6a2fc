/* The cgroup interface (cgroup.h) over its drivers: the driver is chosen
 * once, when the cgroup is created or read back from state.json, and every
 * call goes through its table (cgroup_internal.h). */
#include <stdlib.h>

#include "cgroup_internal.h"

/* The drivers that keep a part of their own in state.json, found there by
 * their name; a cgroup without one is cgroupfs's. */
static const cg_driver *const saved_drivers[] = {&cg_driver_systemd};

int cgroup_create(const char *cgroups_path, const char *id, bool systemd, cgroup **out,
                  berth_error **err) {
  const cg_driver *driver = systemd ? &cg_driver_systemd : &cg_driver_cgroupfs;
  return driver->create(cgroups_path, id, out, err);
}

int cgroup_apply(cgroup *cg, const spec_resources *res, berth_error **err) {
  return res == NULL ? 0 : cg->driver->apply(cg, res, err);
}

int cgroup_add_pid(cgroup *cg, pid_t pid, berth_error **err) {
  return cg->driver->add_pid(cg, pid, err);
}

int cgroup_destroy(cgroup *cg, berth_error **err) {
  return cg->driver->destroy(cg, err);
}

void cgroup_free(cgroup *cg) {
  if (cg == NULL)
    return;
  if (cg->driver->release != NULL)
    cg->driver->release(cg);
  cg_free(cg);
}

json_t *cgroup_to_json(const cgroup *cg) {
  json_t *mine = cg->driver->state_to_json ? cg->driver->state_to_json(cg) : NULL;
  return cg_state_to_json(cg, cg->driver->name, mine);
}

int cgroup_from_json(json_t *j, cgroup **out, berth_error **err) {
  cgroup *cg = NULL;
  if (cg_state_from_json(j, &cg, err) < 0)
    return -1;
  cg->driver = &cg_driver_cgroupfs;
  for (size_t i = 0; i < sizeof(saved_drivers) / sizeof(saved_drivers[0]); i++) {
    json_t *mine = json_object_get(j, saved_drivers[i]->name);
    if (mine == NULL)
      continue;
    cg->driver = saved_drivers[i];
    if (cg->driver->state_from_json(cg, mine, err) < 0) {
      cgroup_free(cg);
      return -1;
    }
    break;
  }
  *out = cg;
  return 0;
}
