#include "linux/proc_controls.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BITS_PER_WORD (sizeof(unsigned long) * CHAR_BIT)

/* ---- id lists ---- */

static bool is_blank(const char *s, const char *end) {
  for (; s < end; s++)
    if (!isspace((unsigned char)*s))
      return false;
  return true;
}

/* One decimal id from [s, end), surrounding blanks allowed. */
static int parse_id(const char *s, const char *end, unsigned long *out) {
  while (s < end && isspace((unsigned char)*s))
    s++;
  while (end > s && isspace((unsigned char)end[-1]))
    end--;
  if (s == end)
    return -1;
  unsigned long v = 0;
  for (; s < end; s++) {
    if (!isdigit((unsigned char)*s))
      return -1;
    v = v * 10 + (unsigned long)(*s - '0');
    if (v > PROC_LIST_MAX_ID)
      return -2;
  }
  *out = v;
  return 0;
}

static int set_range(proc_idset *set, unsigned long lo, unsigned long hi) {
  size_t need = hi / BITS_PER_WORD + 1;
  if (need > set->nwords) {
    unsigned long *w = realloc(set->words, need * sizeof(*w));
    if (w == NULL)
      return -1;
    memset(w + set->nwords, 0, (need - set->nwords) * sizeof(*w));
    set->words = w;
    set->nwords = need;
  }
  for (unsigned long i = lo; i <= hi; i++) {
    unsigned long bit = 1UL << (i % BITS_PER_WORD);
    if (!(set->words[i / BITS_PER_WORD] & bit))
      set->count++;
    set->words[i / BITS_PER_WORD] |= bit;
  }
  if (hi + 1 > set->nbits)
    set->nbits = hi + 1;
  return 0;
}

/* One element: "N" or "N-M". */
static int parse_element(const char *field, const char *s, const char *end, proc_idset *set,
                         berth_error **err) {
  int len = (int)(end - s);
  const char *dash = memchr(s, '-', (size_t)(end - s));
  unsigned long lo, hi;
  int rc = parse_id(s, dash ? dash : end, &lo);
  if (rc == 0)
    rc = dash ? parse_id(dash + 1, end, &hi) : (hi = lo, 0);
  if (rc == -2)
    return berth_fail_id(err, "BERTH-E-PROCESS-CPU-AFFINITY", 0,
                         "%s: \"%.*s\" is out of range (the largest id is %d)", field, len,
                         s, PROC_LIST_MAX_ID);
  if (rc < 0)
    return berth_fail_id(err, "BERTH-E-PROCESS-CPU-AFFINITY", 0,
                         "%s: invalid element \"%.*s\" (expected N or N-M)", field, len, s);
  if (lo > hi)
    return berth_fail_id(err, "BERTH-E-PROCESS-CPU-AFFINITY", 0,
                         "%s: invalid range \"%.*s\" (start is after end)", field, len, s);
  if (set_range(set, lo, hi) < 0)
    return berth_fail(err, ENOMEM, "%s", field);
  return 0;
}

int proc_idset_parse(const char *field, const char *list, proc_idset *out, berth_error **err) {
  memset(out, 0, sizeof(*out));
  if (list == NULL)
    return 0;
  const char *s = list;
  for (;;) {
    const char *comma = strchr(s, ',');
    const char *end = comma ? comma : s + strlen(s);
    if (!is_blank(s, end) && parse_element(field, s, end, out, err) < 0) {
      proc_idset_free(out);
      return -1;
    }
    if (comma == NULL)
      return 0;
    s = comma + 1;
  }
}

void proc_idset_free(proc_idset *s) {
  free(s->words);
  memset(s, 0, sizeof(*s));
}

/* A non-empty set, or an error: an empty list would mean "no CPU". */
static int parse_nonempty(const char *field, const char *list, proc_idset *out,
                          berth_error **err) {
  if (proc_idset_parse(field, list, out, err) < 0)
    return -1;
  if (out->count == 0)
    return berth_fail_id(err, "BERTH-E-PROCESS-CPU-AFFINITY", 0,
                         "%s: no CPUs found in \"%s\"", field, list);
  return 0;
}

/* ---- personality ---- */

static int check_personality(const spec_personality *p, unsigned long *persona,
                             berth_error **err) {
  if (p->flags.n > 0)
    return berth_fail_id(err, "BERTH-E-PROCESS-PERSONALITY", 0,
                         "linux.personality.flags: \"%s\" is not supported (no personality "
                         "flags are implemented; remove them)", p->flags.v[0]);
  if (p->domain != NULL && strcmp(p->domain, "LINUX") == 0)
    *persona = PER_LINUX;
  else if (p->domain != NULL && strcmp(p->domain, "LINUX32") == 0)
    *persona = PER_LINUX32;
  else
    return berth_fail_id(err, "BERTH-E-PROCESS-PERSONALITY", 0,
                         "linux.personality.domain: invalid personality domain \"%s\"",
                         p->domain ? p->domain : "");
  return 0;
}

int proc_apply_personality(const spec_personality *p, berth_error **err) {
  if (p == NULL)
    return 0;
  unsigned long persona;
  if (check_personality(p, &persona, err) < 0)
    return -1;
  if (personality(persona) < 0)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-PERSONALITY",
                               "linux.personality: set personality %s", p->domain);
  return 0;
}

/* ---- I/O priority ---- */

int proc_apply_io_priority(const spec_io_priority *io, berth_error **err) {
  if (io == NULL)
    return 0;
  if (io->class_num < IOPRIO_CLASS_RT || io->class_num > IOPRIO_CLASS_IDLE ||
      io->priority < 0 || io->priority >= IOPRIO_NR_LEVELS)
    return berth_fail_id(err, "BERTH-E-PROCESS-IOPRIO", 0,
                         "process.ioPriority: invalid class %d or priority %d",
                         io->class_num, io->priority);
  int value = IOPRIO_PRIO_VALUE(io->class_num, io->priority);
  if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-IOPRIO",
                               "process.ioPriority: set I/O priority %s/%d",
                               io->class_name ? io->class_name : "?", io->priority);
  return 0;
}

/* ---- scheduler ---- */

/* struct sched_attr as sched_setattr(2) takes it (SCHED_ATTR_SIZE_VER1);
 * spelled out because <linux/sched/types.h> clashes with <sched.h>. */
struct sched_attr_v1 {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};
/* SCHED_ATTR_SIZE_VER1, the same on every architecture: only fixed-size
 * fields, each at its natural alignment. */
_Static_assert(sizeof(struct sched_attr_v1) == 56 &&
                   offsetof(struct sched_attr_v1, sched_flags) == 8 &&
                   offsetof(struct sched_attr_v1, sched_runtime) == 24 &&
                   offsetof(struct sched_attr_v1, sched_util_max) == 52,
               "struct sched_attr_v1 must match the kernel's struct sched_attr");

static const struct {
  const char *name;
  uint64_t value;
} sched_flag_names[] = {
  {"SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK},
  {"SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM},
  {"SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN},
  {"SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY},
  {"SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS},
  {"SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN},
  {"SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX},
};

static int sched_flags_of(const spec_strv *names, uint64_t *out, berth_error **err) {
  *out = 0;
  for (size_t i = 0; i < names->n; i++) {
    size_t k = 0, n = sizeof(sched_flag_names) / sizeof(sched_flag_names[0]);
    while (k < n && strcmp(names->v[i], sched_flag_names[k].name) != 0)
      k++;
    if (k == n)
      return berth_fail_id(err, "BERTH-E-PROCESS-SCHEDULER", 0,
                           "process.scheduler.flags: unknown flag \"%s\"", names->v[i]);
    *out |= sched_flag_names[k].value;
  }
  return 0;
}

/* What the kernel would refuse with a bare EINVAL, said precisely. */
static int check_deadline_params(const spec_scheduler *s, berth_error **err) {
  bool deadline = s->policy_num == SCHED_DEADLINE;
  if (!deadline && (s->runtime.set || s->deadline.set || s->period.set))
    return berth_fail_id(err, "BERTH-E-PROCESS-SCHEDULER", 0,
                         "process.scheduler: runtime, deadline and period can only be "
                         "specified for SCHED_DEADLINE, not %s", s->policy);
  if (!deadline)
    return 0;
  uint64_t runtime = s->runtime.v, dl = s->deadline.v;
  uint64_t period = s->period.set && s->period.v ? s->period.v : dl;
  if (dl == 0)
    return berth_fail_id(err, "BERTH-E-PROCESS-SCHEDULER", 0,
                         "process.scheduler.deadline: SCHED_DEADLINE needs a deadline");
  if (runtime > dl || dl > period)
    return berth_fail_id(err, "BERTH-E-PROCESS-SCHEDULER", 0,
                         "process.scheduler: SCHED_DEADLINE needs runtime <= deadline <= "
                         "period, got %" PRIu64 " <= %" PRIu64 " <= %" PRIu64,
                         runtime, dl, period);
  return 0;
}

static int build_sched_attr(const spec_scheduler *s, struct sched_attr_v1 *a, berth_error **err) {
  memset(a, 0, sizeof(*a));
  a->size = sizeof(*a);
  a->sched_policy = (uint32_t)s->policy_num;
  uint64_t flags;
  if (sched_flags_of(&s->flags, &flags, err) < 0 || check_deadline_params(s, err) < 0)
    return -1;
  if (s->priority.set && s->priority.v != 0 && s->policy_num != SCHED_FIFO &&
      s->policy_num != SCHED_RR)
    return berth_fail_id(err, "BERTH-E-PROCESS-SCHEDULER", 0,
                         "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a "
                         "priority, not %s", s->policy);
  if (s->priority.set && (s->priority.v < 0 || s->priority.v > 99))
    return berth_fail_id(err, "BERTH-E-PROCESS-SCHEDULER", 0,
                         "process.scheduler.priority: %" PRId64 " is not in 0..99",
                         s->priority.v);
  a->sched_flags = flags;
  a->sched_nice = s->nice.set ? (int32_t)s->nice.v : 0;
  a->sched_priority = s->priority.set ? (uint32_t)s->priority.v : 0;
  a->sched_runtime = s->runtime.v;
  a->sched_deadline = s->deadline.v;
  a->sched_period = s->period.v;
  return 0;
}

int proc_apply_scheduler(const spec_scheduler *s, berth_error **err) {
  if (s == NULL)
    return 0;
  struct sched_attr_v1 attr;
  if (build_sched_attr(s, &attr, err) < 0)
    return -1;
  if (syscall(SYS_sched_setattr, 0, &attr, 0) == 0)
    return 0;
  if (errno == EPERM && s->policy_num == SCHED_DEADLINE)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-SCHEDULER",
                               "process.scheduler: set %s (the kernel refuses SCHED_DEADLINE "
                               "in a cgroup with a restricted cpuset)", s->policy);
  return berth_fail_errno_id(err, "BERTH-E-PROCESS-SCHEDULER",
                             "process.scheduler: set %s", s->policy);
}

/* ---- CPU affinity ---- */

int proc_apply_cpu_affinity_to(pid_t pid, const char *field, const char *cpulist,
                               berth_error **err) {
  if (cpulist == NULL || *cpulist == '\0')
    return 0;
  proc_idset set;
  if (parse_nonempty(field, cpulist, &set, err) < 0)
    return -1;
  int rc = sched_setaffinity(pid, set.nwords * sizeof(unsigned long), (cpu_set_t *)set.words);
  proc_idset_free(&set);
  if (rc < 0)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-CPU-AFFINITY",
                               "%s: set CPU affinity to \"%s\"%s", field, cpulist,
                               errno == EINVAL ? " (no CPU of the list is online and allowed "
                                                 "by the cgroup's cpuset)" : "");
  return 0;
}

int proc_apply_cpu_affinity(const char *cpulist, berth_error **err) {
  return proc_apply_cpu_affinity_to(0, "process.execCPUAffinity", cpulist, err);
}

int proc_apply_exec_cpu_affinity_initial(const spec_process *p, berth_error **err) {
  return proc_apply_cpu_affinity_to(0, "process.execCPUAffinity.initial",
                                    p ? p->exec_cpu_affinity_initial : NULL, err);
}

int proc_apply_exec_cpu_affinity_final(const spec_process *p, berth_error **err) {
  return proc_apply_cpu_affinity_to(0, "process.execCPUAffinity.final",
                                    p ? p->exec_cpu_affinity_final : NULL, err);
}

int proc_reset_cpu_affinity(pid_t pid, berth_error **err) {
  unsigned long all[(PROC_LIST_MAX_ID + 1) / BITS_PER_WORD];
  memset(all, 0xff, sizeof(all));
  if (sched_setaffinity(pid, sizeof(all), (cpu_set_t *)all) < 0)
    return berth_fail_errno(err, "reset CPU affinity");
  return 0;
}

void proc_start_beside(pid_t pid) {
  cpu_set_t set;
  int here = sched_getcpu();
  if (here < 0 || here >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) < 0)
    return;
  CPU_CLR(here, &set);
  if (CPU_COUNT(&set) > 0)
    sched_setaffinity(pid, sizeof(set), &set);
}

bool proc_move_to_cpus_of(pid_t pid, cpu_set_t *own) {
  cpu_set_t theirs;
  return sched_getaffinity(0, sizeof(*own), own) == 0 &&
         sched_getaffinity(pid, sizeof(theirs), &theirs) == 0 &&
         sched_setaffinity(0, sizeof(theirs), &theirs) == 0;
}

void proc_restore_cpus(const cpu_set_t *own) {
  /* The saved CPUs may be gone meanwhile (a cpuset changed, a CPU taken
   * offline): every CPU then, narrowed by the kernel to the cpuset, rather
   * than the helper's few for the hooks and children still to come. */
  if (sched_setaffinity(0, sizeof(*own), own) < 0)
    proc_reset_cpu_affinity(0, NULL);
}

/* ---- memory policy ---- */

/* Kernel values (include/uapi/linux/mempolicy.h); spelled out because the
 * installed headers may predate MPOL_WEIGHTED_INTERLEAVE. */
enum {
  MODE_DEFAULT = 0, MODE_PREFERRED = 1, MODE_BIND = 2, MODE_INTERLEAVE = 3,
  MODE_LOCAL = 4, MODE_PREFERRED_MANY = 5, MODE_WEIGHTED_INTERLEAVE = 6,
};
enum { NODES_NONE, NODES_ANY, NODES_SOME };

static const struct {
  const char *name;
  int mode;
  int nodes; /* what the kernel accepts for this mode */
} mpol_modes[] = {
  {"MPOL_DEFAULT", MODE_DEFAULT, NODES_NONE},
  {"MPOL_PREFERRED", MODE_PREFERRED, NODES_ANY},
  {"MPOL_BIND", MODE_BIND, NODES_SOME},
  {"MPOL_INTERLEAVE", MODE_INTERLEAVE, NODES_SOME},
  {"MPOL_LOCAL", MODE_LOCAL, NODES_NONE},
  {"MPOL_PREFERRED_MANY", MODE_PREFERRED_MANY, NODES_SOME},
  {"MPOL_WEIGHTED_INTERLEAVE", MODE_WEIGHTED_INTERLEAVE, NODES_SOME},
};

static const struct {
  const char *name;
  int flag;
} mpol_flags[] = {
  {"MPOL_F_NUMA_BALANCING", 1 << 13},
  {"MPOL_F_RELATIVE_NODES", 1 << 14},
  {"MPOL_F_STATIC_NODES", 1 << 15},
};

#define MPOL_FLAG_RELATIVE (1 << 14)
#define MPOL_FLAG_STATIC (1 << 15)

static int mpol_mode_of(const spec_memory_policy *m, size_t *index, berth_error **err) {
  for (size_t i = 0; i < sizeof(mpol_modes) / sizeof(mpol_modes[0]); i++) {
    if (m->mode != NULL && strcmp(m->mode, mpol_modes[i].name) == 0) {
      *index = i;
      return 0;
    }
  }
  return berth_fail_id(err, "BERTH-E-PROCESS-MEMORY-POLICY", 0,
                       "linux.memoryPolicy.mode: invalid memory policy mode \"%s\"",
                       m->mode ? m->mode : "");
}

static int mpol_flags_of(const spec_memory_policy *m, int *out, berth_error **err) {
  *out = 0;
  for (size_t i = 0; i < m->flags.n; i++) {
    size_t k = 0, n = sizeof(mpol_flags) / sizeof(mpol_flags[0]);
    while (k < n && strcmp(m->flags.v[i], mpol_flags[k].name) != 0)
      k++;
    if (k == n)
      return berth_fail_id(err, "BERTH-E-PROCESS-MEMORY-POLICY", 0,
                           "linux.memoryPolicy.flags: invalid memory policy flag \"%s\"",
                           m->flags.v[i]);
    *out |= mpol_flags[k].flag;
  }
  if ((*out & MPOL_FLAG_RELATIVE) && (*out & MPOL_FLAG_STATIC))
    return berth_fail_id(err, "BERTH-E-PROCESS-MEMORY-POLICY", 0,
                         "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and "
                         "MPOL_F_RELATIVE_NODES exclude each other");
  return 0;
}

/* Parse and check everything; on success the caller frees `nodes`. */
static int mpol_prepare(const spec_memory_policy *m, int *mode_flags, proc_idset *nodes,
                        berth_error **err) {
  size_t i = 0;
  int flags = 0;
  if (mpol_mode_of(m, &i, err) < 0 || mpol_flags_of(m, &flags, err) < 0 ||
      proc_idset_parse("linux.memoryPolicy.nodes", m->nodes, nodes, err) < 0)
    return -1;
  const char *problem = NULL;
  if (mpol_modes[i].nodes == NODES_NONE && nodes->count > 0)
    problem = "takes no nodes";
  else if (mpol_modes[i].nodes == NODES_SOME && nodes->count == 0)
    problem = "needs at least one node";
  else if (mpol_modes[i].nodes == NODES_NONE && flags != 0)
    problem = "takes no flags";
  if (problem != NULL) {
    proc_idset_free(nodes);
    return berth_fail_id(err, "BERTH-E-PROCESS-MEMORY-POLICY", 0,
                         "linux.memoryPolicy: %s %s", m->mode, problem);
  }
  *mode_flags = mpol_modes[i].mode | flags;
  return 0;
}

int proc_apply_memory_policy(const spec_memory_policy *m, berth_error **err) {
  if (m == NULL)
    return 0;
  int mode;
  proc_idset nodes;
  if (mpol_prepare(m, &mode, &nodes, err) < 0)
    return -1;
  /* The kernel reads maxnode - 1 bits, so pass one more than the bitmap. */
  unsigned long maxnode = nodes.nwords ? nodes.nwords * BITS_PER_WORD + 1 : 0;
  long rc = syscall(SYS_set_mempolicy, mode, nodes.count ? nodes.words : NULL, maxnode);
  proc_idset_free(&nodes);
  if (rc < 0)
    return berth_fail_errno_id(err, "BERTH-E-PROCESS-MEMORY-POLICY",
                               "linux.memoryPolicy: set_mempolicy %s nodes \"%s\"%s", m->mode,
                               m->nodes ? m->nodes : "",
                               errno == EINVAL ? " (are the nodes online and in cpuset.mems, and "
                                                 "does this kernel know the mode and flags?)" : "");
  return 0;
}

/* ---- checks before clone ---- */

static int check_affinity(const char *field, const char *list, berth_error **err) {
  if (list == NULL || *list == '\0')
    return 0;
  proc_idset set;
  if (parse_nonempty(field, list, &set, err) < 0)
    return -1;
  proc_idset_free(&set);
  return 0;
}

static int check_process(const spec_process *p, berth_error **err) {
  struct sched_attr_v1 attr;
  if (p->scheduler != NULL && build_sched_attr(p->scheduler, &attr, err) < 0)
    return -1;
  if (check_affinity("process.execCPUAffinity.initial", p->exec_cpu_affinity_initial, err) < 0 ||
      check_affinity("process.execCPUAffinity.final", p->exec_cpu_affinity_final, err) < 0)
    return -1;
  return 0;
}

static int check_linux(const spec_linux *l, berth_error **err) {
  unsigned long persona;
  if (l->personality != NULL && check_personality(l->personality, &persona, err) < 0)
    return -1;
  if (l->memory_policy != NULL) {
    int mode;
    proc_idset nodes;
    if (mpol_prepare(l->memory_policy, &mode, &nodes, err) < 0)
      return -1;
    proc_idset_free(&nodes);
  }
  return 0;
}

int proc_controls_check(const spec_process *p, const spec_linux *l, berth_error **err) {
  if (p != NULL && check_process(p, err) < 0)
    return -1;
  if (l != NULL && check_linux(l, err) < 0)
    return -1;
  return 0;
}
