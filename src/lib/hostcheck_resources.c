/* linux.resources against the host's cgroup controllers: each group the
 * bundle sets needs its controller in a mounted v1 hierarchy or in the
 * cgroup2 root, or create fails with "the X cgroup controller is not
 * mounted". What the host has was read by hostcheck_probe. */
#include <stdio.h>
#include <string.h>

#include "hostcheck.h"

static bool list_has(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; *p != '\0'; p += strcspn(p, ","), p += *p == ',')
    if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
      return true;
  return false;
}

/* One resource group: its JSON path and its controller's v1 and cgroup2
 * names (NULL where cgroup2 has none). */
static void need(const hc_host *h, bool wanted, const char *field, const char *v1,
                 const char *v2, hc_report *r) {
  if (!wanted || list_has(h->v1_controllers, v1) || (v2 && list_has(h->v2_controllers, v2)))
    return;
  hc_add(r, "bundle", HC_FAIL, field, "the %s cgroup controller is not mounted on this host "
         "(v1: %s; cgroup2: %s)", v1, *h->v1_controllers ? h->v1_controllers : "none",
         *h->v2_controllers ? h->v2_controllers : "none");
}

void hostcheck_resources(const hc_host *h, const spec *s, hc_report *r) {
  const spec_resources *res = s->linux.resources;
  if (res == NULL || h->cgroup_mode == HC_CGROUP_NONE)
    return;
  const spec_memory *m = res->memory;
  const spec_cpu *c = res->cpu;
  need(h, m && (m->limit.set || m->reservation.set || m->swap.set || m->swappiness.set),
       "linux.resources.memory", "memory", "memory", r);
  need(h, c && (c->shares.set || c->quota.set || c->period.set || c->burst.set),
       "linux.resources.cpu", "cpu", "cpu", r);
  need(h, c && ((c->cpus && *c->cpus) || (c->mems && *c->mems)), "linux.resources.cpu",
       "cpuset", "cpuset", r);
  need(h, res->pids_limit.set, "linux.resources.pids", "pids", "pids", r);
  need(h, res->n_hugepage_limits > 0, "linux.resources.hugepageLimits", "hugetlb", "hugetlb", r);
  need(h, res->net_class_id.set, "linux.resources.network.classID", "net_cls", NULL, r);
  need(h, res->n_net_priorities > 0, "linux.resources.network.priorities", "net_prio", NULL, r);
  need(h, res->n_rdma > 0, "linux.resources.rdma", "rdma", "rdma", r);
}
