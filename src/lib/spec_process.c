/* config.json "process", and the lone process file of `exec --process`. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "spec_process.h"

/* ---- user and console ---- */

static int parse_additional_gids(sj_ctx *c, json_t *user, spec_process *p) {
  json_t *arr;
  int rc = sj_array(c, user, "additionalGids", &arr);
  if (rc <= 0)
    return rc;
  p->additional_gids = sj_calloc(c, json_array_size(arr), sizeof(uint32_t));
  if (p->additional_gids == NULL)
    return -1;
  size_t mark = sj_push(c, "additionalGids");
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    uint64_t gid;
    size_t at = sj_push_index(c, i);
    if (sj_as_uint(c, item, NULL, UINT32_MAX, &gid) < 0)
      return -1;
    sj_pop(c, at);
    p->additional_gids[p->n_additional_gids++] = (uint32_t)gid;
  }
  sj_pop(c, mark);
  return 0;
}

static int parse_user(sj_ctx *c, json_t *obj, spec_process *p) {
  json_t *user;
  int rc = sj_object(c, obj, "user", &user);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, "user");
  if (sj_u32(c, user, "uid", &p->uid) < 0 || sj_u32(c, user, "gid", &p->gid) < 0 ||
      sj_opt_u64(c, user, "umask", UINT32_MAX, &p->umask) < 0 ||
      parse_additional_gids(c, user, p) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

static int parse_console_size(sj_ctx *c, json_t *obj, spec_process *p) {
  json_t *size;
  int rc = sj_object(c, obj, "consoleSize", &size);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, "consoleSize");
  uint64_t height, width;
  rc = sj_uint(c, size, "height", UINT_MAX, &height);
  if (rc == 0)
    return sj_missing(c, "height");
  if (rc < 0)
    return -1;
  rc = sj_uint(c, size, "width", UINT_MAX, &width);
  if (rc == 0)
    return sj_missing(c, "width");
  if (rc < 0)
    return -1;
  sj_pop(c, mark);
  p->has_console_size = true;
  p->console_height = (unsigned)height;
  p->console_width = (unsigned)width;
  return 0;
}

/* ---- capabilities ---- */

/* Only the canonical spelling counts: libcap would also take "cap_kill" or
 * "5", which runc treats as unknown. */
static bool capability_from_name(const char *name, cap_value_t *out) {
  if (strncmp(name, "CAP_", 4) != 0 || cap_from_name(name, out) != 0)
    return false;
  char *canonical = cap_to_name(*out);
  if (canonical == NULL)
    return false;
  bool same = strcasecmp(canonical, name) == 0;
  for (const char *s = name; *s != '\0'; s++)
    if (*s >= 'a' && *s <= 'z')
      same = false;
  cap_free(canonical);
  return same;
}

static int parse_cap_set(sj_ctx *c, json_t *caps, const char *key, uint64_t *mask) {
  spec_strv names = {0};
  int rc = sj_strv(c, caps, key, &names);
  if (rc <= 0) {
    sj_strv_free(&names);
    return rc;
  }
  cap_value_t kernel_max = cap_max_bits();
  for (size_t i = 0; i < names.n && rc >= 0; i++) {
    cap_value_t cap;
    if (!capability_from_name(names.v[i], &cap) || cap >= 64)
      rc = sj_warn(c, "unknown capability \"%s\" in %s ignored", names.v[i], sj_path(c, key));
    else if (cap >= kernel_max)
      rc = sj_warn(c, "capability \"%s\" in %s is not supported by the kernel, ignored",
                   names.v[i], sj_path(c, key));
    else
      *mask |= UINT64_C(1) << cap;
  }
  sj_strv_free(&names);
  return rc;
}

static int parse_capabilities(sj_ctx *c, json_t *obj, spec_capabilities *caps) {
  json_t *o;
  int rc = sj_object(c, obj, "capabilities", &o);
  if (rc <= 0)
    return rc;
  caps->present = true;
  size_t mark = sj_push(c, "capabilities");
  if (parse_cap_set(c, o, "bounding", &caps->bounding) < 0 ||
      parse_cap_set(c, o, "effective", &caps->effective) < 0 ||
      parse_cap_set(c, o, "inheritable", &caps->inheritable) < 0 ||
      parse_cap_set(c, o, "permitted", &caps->permitted) < 0 ||
      parse_cap_set(c, o, "ambient", &caps->ambient) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

/* ---- rlimits ---- */

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
  {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
  {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
  {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
  {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
  {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
  {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
  {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
  {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static int rlimit_resource(const char *name) {
  for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
    if (strcmp(rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

static int parse_rlimit(sj_ctx *c, json_t *item, spec_process *p, size_t index) {
  if (sj_as_object(c, item, NULL) < 0)
    return -1;
  spec_rlimit *r = &p->rlimits[index];
  if (sj_string_required(c, item, "type", &r->type) < 0)
    return -1;
  r->resource = rlimit_resource(r->type);
  if (r->resource < 0)
    return sj_fail_id(c, "BERTH-E-PROCESS-RLIMIT", "type", "unknown rlimit \"%s\"", r->type);
  for (size_t j = 0; j < index; j++)
    if (p->rlimits[j].resource == r->resource)
      return sj_fail_id(c, "BERTH-E-PROCESS-RLIMIT", NULL, "duplicate %s", r->type);
  int rc = sj_uint(c, item, "soft", UINT64_MAX, &r->soft);
  if (rc == 0)
    return sj_missing(c, "soft");
  if (rc < 0)
    return -1;
  rc = sj_uint(c, item, "hard", UINT64_MAX, &r->hard);
  if (rc == 0)
    return sj_missing(c, "hard");
  return rc < 0 ? -1 : 0;
}

static int parse_rlimits(sj_ctx *c, json_t *obj, spec_process *p) {
  json_t *arr;
  int rc = sj_array(c, obj, "rlimits", &arr);
  if (rc <= 0)
    return rc;
  p->rlimits = sj_calloc(c, json_array_size(arr), sizeof(spec_rlimit));
  if (p->rlimits == NULL)
    return -1;
  size_t mark = sj_push(c, "rlimits");
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    p->n_rlimits = i + 1;
    if (parse_rlimit(c, item, p, i) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

/* ---- scheduling ---- */

/* Indexes match the kernel's SCHED_* numbers. */
static const char *const sched_policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",
                                             "SCHED_BATCH", "SCHED_ISO",  "SCHED_IDLE",
                                             "SCHED_DEADLINE", NULL};
static const char *const sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",        "SCHED_FLAG_DL_OVERRUN",
  "SCHED_FLAG_KEEP_POLICY",   "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
  "SCHED_FLAG_UTIL_CLAMP_MAX", NULL};
enum { SCHED_POLICY_FIFO = 1, SCHED_POLICY_RR = 2 };

static int opt_int(sj_ctx *c, json_t *o, const char *key, int64_t min, int64_t max,
                   opt_i64 *out) {
  int rc = sj_int(c, o, key, min, max, &out->v);
  out->set = rc > 0;
  return rc;
}

static int parse_scheduler_fields(sj_ctx *c, json_t *o, spec_scheduler *s) {
  int rc = sj_code(c, "BERTH-E-PROCESS-SCHEDULER",
                   sj_enum(c, o, "policy", sched_policies, &s->policy, &s->policy_num));
  if (rc == 0)
    return sj_missing(c, "policy");
  if (rc < 0 || opt_int(c, o, "nice", -20, 19, &s->nice) < 0 ||
      opt_int(c, o, "priority", INT32_MIN, INT32_MAX, &s->priority) < 0 ||
      sj_code(c, "BERTH-E-PROCESS-SCHEDULER",
              sj_enum_strv(c, o, "flags", sched_flags, &s->flags)) < 0 ||
      sj_opt_u64(c, o, "runtime", UINT64_MAX, &s->runtime) < 0 ||
      sj_opt_u64(c, o, "deadline", UINT64_MAX, &s->deadline) < 0 ||
      sj_opt_u64(c, o, "period", UINT64_MAX, &s->period) < 0)
    return -1;
  /* runc refuses a priority for the other policies, and so do we. */
  if (s->priority.set && s->priority.v != 0 && s->policy_num != SCHED_POLICY_FIFO &&
      s->policy_num != SCHED_POLICY_RR)
    return sj_fail_id(c, "BERTH-E-PROCESS-SCHEDULER", "priority",
                      "only SCHED_FIFO and SCHED_RR take a priority, not %s", s->policy);
  return 0;
}

static void scheduler_free(spec_scheduler *s) {
  if (s == NULL)
    return;
  free(s->policy);
  sj_strv_free(&s->flags);
  free(s);
}

static int parse_scheduler(sj_ctx *c, json_t *obj, spec_process *p) {
  json_t *o;
  int rc = sj_object(c, obj, "scheduler", &o);
  if (rc <= 0)
    return rc;
  p->scheduler = sj_calloc(c, 1, sizeof(spec_scheduler));
  if (p->scheduler == NULL)
    return -1;
  size_t mark = sj_push(c, "scheduler");
  if (parse_scheduler_fields(c, o, p->scheduler) < 0)
    return -1;
  sj_pop(c, mark);
  return 0;
}

static const char *const ioprio_classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                             "IOPRIO_CLASS_IDLE", NULL};

static int parse_io_priority(sj_ctx *c, json_t *obj, spec_process *p) {
  json_t *o;
  int rc = sj_object(c, obj, "ioPriority", &o);
  if (rc <= 0)
    return rc;
  spec_io_priority *io = sj_calloc(c, 1, sizeof(*io));
  if (io == NULL)
    return -1;
  p->io_priority = io;
  size_t mark = sj_push(c, "ioPriority");
  rc = sj_code(c, "BERTH-E-PROCESS-IOPRIO",
               sj_enum(c, o, "class", ioprio_classes, &io->class_name, &io->class_num));
  if (rc == 0)
    return sj_missing(c, "class");
  io->class_num += 1; /* IOPRIO_CLASS_RT is 1 */
  int64_t priority = 0;
  if (rc < 0 || sj_int(c, o, "priority", 0, 7, &priority) < 0)
    return -1;
  io->priority = (int)priority;
  sj_pop(c, mark);
  return 0;
}

static int parse_cpu_affinity(sj_ctx *c, json_t *obj, spec_process *p) {
  json_t *o;
  int rc = sj_object(c, obj, "execCPUAffinity", &o);
  if (rc <= 0)
    return rc;
  size_t mark = sj_push(c, "execCPUAffinity");
  if (sj_string(c, o, "initial", &p->exec_cpu_affinity_initial) < 0 ||
      sj_string(c, o, "final", &p->exec_cpu_affinity_final) < 0)
    return -1;
  const char *lists[] = {p->exec_cpu_affinity_initial, p->exec_cpu_affinity_final};
  const char *keys[] = {"initial", "final"};
  for (int i = 0; i < 2; i++)
    if (lists[i] != NULL && strspn(lists[i], "0123456789, -") != strlen(lists[i]))
      return sj_fail_id(c, "BERTH-E-PROCESS-CPU-AFFINITY", keys[i],
                        "expected a CPU list like \"0-3,7\", got \"%s\"", lists[i]);
  sj_pop(c, mark);
  return 0;
}

/* ---- the process object ---- */

static int parse_command(sj_ctx *c, json_t *obj, spec_process *p) {
  if (sj_strv(c, obj, "args", &p->args) < 0)
    return -1;
  if (p->args.n == 0)
    return sj_fail(c, "args", "must not be empty");
  if (sj_strv(c, obj, "env", &p->env) < 0)
    return -1;
  if (sj_string_required(c, obj, "cwd", &p->cwd) < 0)
    return -1;
  if (p->cwd[0] != '/')
    return sj_fail(c, "cwd", "must be an absolute path, got \"%s\"", p->cwd);
  return 0;
}

int spec_parse_process_obj(sj_ctx *c, json_t *obj, spec_process *p) {
  if (sj_bool(c, obj, "terminal", &p->terminal) < 0 || parse_console_size(c, obj, p) < 0 ||
      parse_user(c, obj, p) < 0 || parse_command(c, obj, p) < 0 ||
      parse_capabilities(c, obj, &p->caps) < 0 || parse_rlimits(c, obj, p) < 0 ||
      sj_bool(c, obj, "noNewPrivileges", &p->no_new_privileges) < 0 ||
      sj_string(c, obj, "apparmorProfile", &p->apparmor_profile) < 0 ||
      sj_opt_i64(c, obj, "oomScoreAdj", &p->oom_score_adj) < 0 ||
      sj_string(c, obj, "selinuxLabel", &p->selinux_label) < 0 ||
      parse_io_priority(c, obj, p) < 0 || parse_scheduler(c, obj, p) < 0 ||
      parse_cpu_affinity(c, obj, p) < 0)
    return -1;
  return 0;
}

void spec_process_clear(spec_process *p) {
  free(p->additional_gids);
  sj_strv_free(&p->args);
  sj_strv_free(&p->env);
  free(p->cwd);
  for (size_t i = 0; i < p->n_rlimits; i++)
    free(p->rlimits[i].type);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  if (p->io_priority != NULL)
    free(p->io_priority->class_name);
  free(p->io_priority);
  scheduler_free(p->scheduler);
  free(p->exec_cpu_affinity_initial);
  free(p->exec_cpu_affinity_final);
  sj_strv_free(&p->warnings);
  memset(p, 0, sizeof(*p));
}

void spec_process_free(spec_process *p) {
  if (p == NULL)
    return;
  spec_process_clear(p);
  free(p);
}
