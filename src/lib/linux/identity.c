#include "linux/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

int identity_apply_rlimits(const spec_process *p, berth_error **err) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const spec_rlimit *r = &p->rlimits[i];
    struct rlimit lim = {.rlim_cur = r->soft, .rlim_max = r->hard};
    if (setrlimit(r->resource, &lim) < 0)
      return berth_fail_errno_id(err, "BERTH-E-PROCESS-RLIMIT",
                                 "setrlimit %s (soft %llu, hard %llu)", r->type,
                                 (unsigned long long)r->soft, (unsigned long long)r->hard);
  }
  return 0;
}

static int drop_bounding(uint64_t keep, int last_cap, berth_error **err) {
  for (int cap = 0; cap <= last_cap; cap++) {
    if (keep & (1ULL << cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return berth_fail_errno_id(err, "BERTH-E-PROCESS-CAPS",
                                 "drop %s from the bounding set", cap_to_name(cap));
  }
  return 0;
}

/* In a user namespace whose gid_map was written without privilege the
 * kernel forbids setgroups for good; with no extra groups asked for there
 * is nothing to do then, as runc does. */
static bool setgroups_denied(void) {
  char buf[8] = {0};
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n >= 4 && strncmp(buf, "deny", 4) == 0;
}

static int set_ids(const spec_process *p, berth_error **err) {
  if (setgroups(p->n_additional_gids, p->additional_gids) < 0 &&
      !(errno == EPERM && p->n_additional_gids == 0 && setgroups_denied()))
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-USER", "setgroups");
  if (setresgid(p->gid, p->gid, p->gid) < 0)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-USER", "setresgid %u", p->gid);
  if (setresuid(p->uid, p->uid, p->uid) < 0)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-USER", "setresuid %u", p->uid);
  return 0;
}

static int set_cap_sets(const spec_capabilities *c, int last_cap, berth_error **err) {
  cap_t caps = cap_init();
  if (caps == NULL)
    return berth_fail_errno(err, "allocate capability state");
  for (int cap = 0; cap <= last_cap; cap++) {
    cap_value_t v = cap;
    uint64_t bit = 1ULL << cap;
    if (c->effective & bit)
      cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
    if (c->permitted & bit)
      cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
    if (c->inheritable & bit)
      cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
  }
  int rc = cap_set_proc(caps);
  int saved = errno;
  cap_free(caps);
  if (rc < 0)
    return berth_fail_id(err, "BERTH-E-PROCESS-CAPS", saved, "set capabilities");
  for (int cap = 0; cap <= last_cap; cap++) {
    if (!(c->ambient & (1ULL << cap)))
      continue;
    /* The kernel refuses ambient caps missing from permitted or
     * inheritable; runc ignores those rather than failing. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM)
      return berth_fail_errno_id(err, "BERTH-E-PROCESS-CAPS", "raise ambient %s", cap_to_name(cap));
  }
  return 0;
}

int identity_apply_user_and_caps(const spec_process *p, berth_error **err) {
  int last_cap = (int)cap_max_bits() - 1;
  if (last_cap > 63)
    last_cap = 63;
  if (p->caps.present && drop_bounding(p->caps.bounding, last_cap, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_fail_errno(err, "prctl(PR_SET_KEEPCAPS)");
  if (set_ids(p, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_fail_errno(err, "prctl(PR_SET_KEEPCAPS)");
  if (p->caps.present && set_cap_sets(&p->caps, last_cap, err) < 0)
    return -1;
  return 0;
}

int identity_apply_no_new_privs(const spec_process *p, berth_error **err) {
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berth_fail_errno(err, "prctl(PR_SET_NO_NEW_PRIVS)");
  return 0;
}
