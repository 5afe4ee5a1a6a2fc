/* When berth must run from a sealed copy of itself (cloned_binary.h).
 *
 * The init and exec children are non-dumpable while they still run
 * berth's code inside a container, and the kernel then lets only holders
 * of CAP_SYS_PTRACE in the user namespace of their memory (the host's)
 * open /proc/<pid>/exe. A container in a new user namespace never has
 * that; one in the host's has it exactly when CAP_SYS_PTRACE is in some
 * process's bounding set, or when its pid namespace is shared with others
 * (joined by path, or none of its own), whose capabilities we cannot
 * know. Only those containers pay for the copy: it costs a read of the
 * binary and a second execve on every create and exec. */
#ifndef BERTH_SEALED_BINARY_H
#define BERTH_SEALED_BINARY_H

#include <stdbool.h>

#include "spec.h"

/* Re-executes berth from a sealed copy when needed; set by the CLI, which
 * owns argv. Returns only when berth carries on as it is. */
typedef void (*sealed_binary_fn)(void);

/* For create, p is NULL; for exec, the process being started. */
bool sealed_binary_needed(const spec *s, const spec_process *p);

#endif
