/* Resource groups whose cgroup v1 and cgroup2 files differ at most by
 * name: cpuset, pids, hugetlb, rdma. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"

int cg_cpuset(const char *dir, const spec_cpu *cpu, berth_error **err) {
  if (cpu->cpus && *cpu->cpus &&
      cg_write_field(dir, "cpuset.cpus", cpu->cpus, "linux.resources.cpu.cpus", NULL, err) < 0)
    return -1;
  if (cpu->mems && *cpu->mems &&
      cg_write_field(dir, "cpuset.mems", cpu->mems, "linux.resources.cpu.mems", NULL, err) < 0)
    return -1;
  return 0;
}

int cg_pids(const char *dir, const opt_i64 *limit, berth_error **err) {
  char buf[32];
  if (limit->v <= 0)
    snprintf(buf, sizeof(buf), "max"); /* the spec's "no limit" */
  else
    snprintf(buf, sizeof(buf), "%" PRId64, limit->v);
  return cg_write_field(dir, "pids.max", buf, "linux.resources.pids.limit", NULL, err);
}

/* Page sizes appear in file names ("hugetlb.2MB.max"), so they must be a
 * plain word. */
static bool page_size_ok(const char *s) {
  if (s == NULL || *s == '\0')
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
      return false;
  return true;
}

static int hugetlb_one(const char *dir, bool v2, const spec_hugepage_limit *h, size_t i,
                       berth_error **err) {
  char field[64], limit[32], *file = NULL, *rsvd = NULL, *hint = NULL;
  snprintf(field, sizeof(field), "linux.resources.hugepageLimits[%zu]", i);
  if (!page_size_ok(h->page_size))
    return berth_fail_id(err, "BERTH-E-CGROUP-VALUE", EINVAL,
                         "%s.pageSize: \"%s\" is not a page size like \"2MB\"", field,
                         h->page_size ? h->page_size : "");
  snprintf(limit, sizeof(limit), "%" PRIu64, h->limit);
  const char *suffix = v2 ? "max" : "limit_in_bytes";
  int rc = -1;
  if (asprintf(&file, "hugetlb.%s.%s", h->page_size, suffix) >= 0 &&
      asprintf(&rsvd, "hugetlb.%s.rsvd.%s", h->page_size, suffix) >= 0 &&
      asprintf(&hint, "the kernel has no %s huge pages", h->page_size) >= 0) {
    rc = cg_write_field(dir, file, limit, field, hint, err);
    /* Reservations count too where the kernel tracks them, or a mapping
     * could reserve pages beyond the limit and fault later. */
    if (rc == 0 && cg_file_exists(dir, rsvd))
      rc = cg_write_field(dir, rsvd, limit, field, NULL, err);
  } else {
    berth_fail(err, ENOMEM, "%s", field);
  }
  free(file);
  free(rsvd);
  free(hint);
  return rc;
}

int cg_hugetlb(const char *dir, bool v2, const spec_resources *res, berth_error **err) {
  for (size_t i = 0; i < res->n_hugepage_limits; i++)
    if (hugetlb_one(dir, v2, &res->hugepage_limits[i], i, err) < 0)
      return -1;
  return 0;
}

int cg_rdma(const char *dir, const spec_resources *res, berth_error **err) {
  for (size_t i = 0; i < res->n_rdma; i++) {
    const spec_rdma *r = &res->rdma[i];
    if (!r->hca_handles.set && !r->hca_objects.set)
      continue;
    char field[48], handles[48] = "", objects[48] = "", *line = NULL;
    snprintf(field, sizeof(field), "linux.resources.rdma[\"%.20s\"]", r->device);
    if (r->hca_handles.set)
      snprintf(handles, sizeof(handles), " hca_handle=%" PRIu64, r->hca_handles.v);
    if (r->hca_objects.set)
      snprintf(objects, sizeof(objects), " hca_object=%" PRIu64, r->hca_objects.v);
    if (asprintf(&line, "%s%s%s", r->device, handles, objects) < 0)
      return berth_fail(err, ENOMEM, "%s", field);
    int rc = cg_write_field(dir, "rdma.max", line, field, NULL, err);
    free(line);
    if (rc < 0)
      return -1;
  }
  return 0;
}
