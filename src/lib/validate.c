#include <unistd.h>

#include "create_internal.h"
#include "linux/namespaces.h"
#include "linux/sysctl.h"

static int not_yet(berth_error **err, const char *field) {
  return berth_fail(err, 0, "%s: not supported by this version of berth", field);
}

/* runc applies SELinux labels only when SELinux is enabled and ignores
 * them otherwise; berth does the same, and refuses them when it would
 * have to apply them. */
static bool selinux_enabled(void) { return access("/sys/fs/selinux/enforce", F_OK) == 0; }

static int check_process(const spec_process *p, berth_error **err) {
  if (p->apparmor_profile && *p->apparmor_profile)
    return berth_fail(err, 0, "process.apparmorProfile: apparmor is not enabled on this host");
  if (p->selinux_label && *p->selinux_label && selinux_enabled())
    return not_yet(err, "process.selinuxLabel");
  if (p->io_priority)
    return not_yet(err, "process.ioPriority");
  if (p->scheduler)
    return not_yet(err, "process.scheduler");
  if (p->exec_cpu_affinity_initial || p->exec_cpu_affinity_final)
    return not_yet(err, "process.execCPUAffinity");
  return 0;
}

static int check_linux(const spec *s, berth_error **err) {
  const spec_linux *l = &s->linux;
  if (ns_check_id_maps(s, err) < 0)
    return -1;
  if (spec_find_namespace(s, NS_MOUNT) == NULL)
    return berth_fail(err, 0, "linux.namespaces: a mount namespace is required");
  if (l->n_net_devices)
    return not_yet(err, "linux.netDevices");
  if (l->intel_rdt)
    return not_yet(err, "linux.intelRdt");
  if (l->memory_policy)
    return not_yet(err, "linux.memoryPolicy");
  if (l->personality)
    return not_yet(err, "linux.personality");
  if (l->mount_label && *l->mount_label && selinux_enabled())
    return not_yet(err, "linux.mountLabel");
  return sysctl_validate(s, err);
}

int create_check_supported(const spec *s, berth_error **err) {
  if (s->process == NULL)
    return berth_fail(err, 0, "%s: process is required to create a container", s->path);
  if (check_process(s->process, err) < 0 || check_linux(s, err) < 0)
    return berth_wrap(err, "%s", s->path);
  return 0;
}
