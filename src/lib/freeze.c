/* pause, resume and the process list: the container seen through its cgroup. */
#include <stdlib.h>

#include "container.h"
#include "handle.h"
#include "faultpoint.h"

int container_pause(const char *root, const char *id, bool pause, berth_error **err) {
  struct handle h;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  int rc = -1;
  enum container_status s = handle_status(&h);
  if (h.cg == NULL)
    berth_fail(err, 0, "container has no cgroup to freeze");
  else if (pause && s != STATUS_RUNNING && s != STATUS_CREATED)
    berth_fail(err, 0, "container not running");
  else if (!pause && s != STATUS_PAUSED)
    berth_fail_id(err, "BERTH-E-BAD-STATUS", 0, "container not paused");
  else {
    faultpoint(pause ? "pause.checked" : "resume.checked");
    rc = cgroup_freeze(h.cg, pause, err);
    faultpoint(pause ? "pause.frozen" : "resume.thawed");
  }
  handle_close(&h);
  return rc;
}

int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, berth_error **err) {
  struct handle h;
  *pids = NULL;
  *n = 0;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  int rc = 0;
  if (handle_status(&h) == STATUS_STOPPED)
    rc = berth_fail(err, 0, "container not running");
  else if (h.cg != NULL)
    rc = cgroup_pids(h.cg, pids, n, err);
  handle_close(&h);
  return rc;
}
