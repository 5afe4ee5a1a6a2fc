#include <errno.h>
#include <stdlib.h>

#include "create_internal.h"
#include "linux/intelrdt.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/proc_controls.h"
#include "linux/sysctl.h"

static int not_yet(berth_error **err, const char *field) {
  return berth_fail_id(err, "BERTH-E-SPEC-UNSUPPORTED", 0,
                       "%s: not supported by this version of berth", field);
}

static int check_process(const spec *s, berth_error **err) {
  const spec_process *p = s->process;
  if (p->apparmor_profile && *p->apparmor_profile && !lsm_apparmor_enabled())
    return berth_fail_id(err, "BERTH-E-LSM-DISABLED", 0,
                         "process.apparmorProfile: apparmor failed to apply profile \"%s\": "
                         "apparmor is not enabled on this host", p->apparmor_profile);
  /* runc's validator refuses a label it cannot apply. */
  if (p->selinux_label && *p->selinux_label && !lsm_selinux_enabled())
    return berth_fail_id(err, "BERTH-E-LSM-DISABLED", 0,
                         "process.selinuxLabel: selinux label is specified in config, but "
                         "selinux is disabled or not supported");
  return proc_controls_check(p, &s->linux, err);
}

static int check_linux(const spec *s, berth_error **err) {
  const spec_linux *l = &s->linux;
  if (ns_check_id_maps(s, err) < 0)
    return -1;
  if (spec_find_namespace(s, NS_MOUNT) == NULL)
    return berth_fail_id(err, "BERTH-E-NAMESPACE-NEEDED", 0,
                         "linux.namespaces: a mount namespace is required");
  if (l->n_net_devices && !spec_find_namespace(s, NS_NETWORK))
    return berth_fail_id(err, "BERTH-E-NAMESPACE-NEEDED", 0,
                         "linux.netDevices: requires a private network namespace");
  if (l->intel_rdt) {
    if (intelrdt_check(l->intel_rdt, err) < 0)
      return -1;
    return not_yet(err, "linux.intelRdt");
  }
  /* Ignored without SELinux, as runc; checked here so a label that cannot
   * be a mount option fails before anything exists. */
  if (l->mount_label && *l->mount_label && lsm_selinux_enabled()) {
    char *probe = lsm_mount_context_option(l->mount_label);
    if (probe == NULL)
      return berth_fail_id(err, "BERTH-E-MOUNT-LABEL", errno,
                           "linux.mountLabel \"%s\": not usable as a mount option",
                           l->mount_label);
    free(probe);
  }
  return sysctl_validate(s, err);
}

int create_check_supported(const spec *s, berth_error **err) {
  if (s->process == NULL)
    return berth_fail_id(err, "BERTH-E-SPEC-SCHEMA", 0,
                         "%s: process is required to create a container", s->path);
  if (check_process(s, err) < 0 || check_linux(s, err) < 0)
    return berth_wrap(err, "%s", s->path);
  return 0;
}
