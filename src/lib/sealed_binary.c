#include "sealed_binary.h"

#include <linux/capability.h>

static bool may_ptrace(const spec_process *p) {
  /* No capabilities object: the process keeps all of ours. */
  return !p->caps.present || (p->caps.bounding & (1ULL << CAP_SYS_PTRACE)) != 0;
}

/* Processes outside the container see its init and exec children when
 * their pid namespace is shared: joined by path, or the runtime's own. */
static bool pid_namespace_shared(const spec *s) {
  const spec_namespace *pid = spec_find_namespace(s, NS_PID);
  return pid == NULL || pid->path != NULL;
}

bool sealed_binary_needed(const spec *s, const spec_process *p) {
  const spec_namespace *user = spec_find_namespace(s, NS_USER);
  if (user != NULL && user->path == NULL)
    return false;
  return pid_namespace_shared(s) || (s->process != NULL && may_ptrace(s->process)) ||
         (p != NULL && may_ptrace(p));
}
