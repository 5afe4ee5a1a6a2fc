/* Per-process kernel settings from config.json that are not namespaces,
 * mounts or credentials: personality, I/O priority, scheduler, CPU
 * affinity and NUMA memory policy.
 *
 * Every apply function acts on the calling thread (the container's init or
 * exec child, which is single-threaded), does nothing for an absent
 * setting, and reports failures under the setting's JSON path. The
 * settings are inherited across fork and execve, so each may be applied
 * at any point before execve; the ones needing privilege (real-time
 * scheduling, IOPRIO_CLASS_RT) must come before capabilities are dropped.
 *
 * proc_controls_check() runs the parse-time checks on their own, so that
 * create and exec can refuse a bad config before anything is cloned. */
#ifndef BERTH_PROC_CONTROLS_H
#define BERTH_PROC_CONTROLS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Largest CPU or NUMA node number a list may name. The kernel ignores
 * bits above its own limits; this only bounds the allocation. */
#define PROC_LIST_MAX_ID 8191

/* A set of small non-negative ids (CPUs, NUMA nodes) in the kernel's
 * bitmap layout: bit i of words[i / BITS_PER_LONG]. */
typedef struct proc_idset {
  unsigned long *words;
  size_t nwords;
  size_t nbits; /* highest id + 1 */
  size_t count; /* ids in the set */
} proc_idset;

/* Parse a list like "0-3,7" (spaces around elements and empty elements
 * are tolerated, as runc does). An empty or blank list gives an empty set.
 * `field` names the JSON path for messages. */
int proc_idset_parse(const char *field, const char *list, proc_idset *out, berth_error **err);
void proc_idset_free(proc_idset *s);

/* linux.personality: domain LINUX or LINUX32. Flags are refused: no
 * runtime implements them (runc warns and ignores them). */
int proc_apply_personality(const spec_personality *p, berth_error **err);

/* process.ioPriority via ioprio_set(IOPRIO_WHO_PROCESS, 0, ...). */
int proc_apply_io_priority(const spec_io_priority *io, berth_error **err);

/* process.scheduler via sched_setattr(0, ...): any policy, nice, priority,
 * SCHED_FLAG_* flags, and runtime/deadline/period for SCHED_DEADLINE. */
int proc_apply_scheduler(const spec_scheduler *s, berth_error **err);

/* sched_setaffinity of the calling thread to a CPU list; NULL or "" does
 * nothing. Messages name process.execCPUAffinity. */
int proc_apply_cpu_affinity(const char *cpulist, berth_error **err);
/* The same for one stage, naming process.execCPUAffinity.initial/.final:
 * `initial` where the process is first set up (before it joins the
 * container's cgroup when it joins later), `final` after the cgroup move,
 * right before execve. */
int proc_apply_exec_cpu_affinity_initial(const spec_process *p, berth_error **err);
int proc_apply_exec_cpu_affinity_final(const spec_process *p, berth_error **err);
/* The same, applied by the runtime to another task (sched_setaffinity(pid)),
 * for a runtime that moves the child into the cgroup itself. */
int proc_apply_cpu_affinity_to(pid_t pid, const char *field, const char *cpulist,
                               berth_error **err);
/* Allow every CPU (the kernel narrows it to the cgroup's cpuset), so that a
 * container does not inherit a `taskset` of whoever started the runtime;
 * runc does this for init and exec processes without execCPUAffinity. */
int proc_reset_cpu_affinity(pid_t pid, berth_error **err);
/* Best effort: lets pid, a child that has not run yet, start on any CPU
 * allowed to the caller but the one the caller runs on, so that both work
 * at once (the kernel tends to queue a new child behind its busy parent).
 * For a child whose process setup resets its affinity before the user's
 * program runs (proc_reset_cpu_affinity, or execCPUAffinity). */
void proc_start_beside(pid_t pid);
/* Best effort: the calling thread takes pid's CPUs, its own saved in *own
 * for proc_restore_cpus; false (nothing changed) where it cannot. For a
 * parent about to wait for a helper started beside it (proc_start_beside),
 * so that its own CPU is left to another child meanwhile and it wakes
 * where the helper ends. */
bool proc_move_to_cpus_of(pid_t pid, cpu_set_t *own);
/* Back to *own; where the kernel refuses them now, every CPU. */
void proc_restore_cpus(const cpu_set_t *own);

/* linux.memoryPolicy via set_mempolicy(2): MPOL_* mode, node list and
 * MPOL_F_* flags. */
int proc_apply_memory_policy(const spec_memory_policy *m, berth_error **err);

/* The checks the apply functions make before any syscall: lists parse,
 * modes and flags are known and consistent, personality has no flags,
 * SCHED_DEADLINE has runtime <= deadline <= period. Either may be NULL. */
int proc_controls_check(const spec_process *p, const spec_linux *l, berth_error **err);

#endif
