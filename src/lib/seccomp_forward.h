#ifndef BERTH_SECCOMP_FORWARD_H
#define BERTH_SECCOMP_FORWARD_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"
#include "state.h"

struct berth_seccomp;

/* Compile linux.seccomp (NULL when absent) in the runtime, reusing the
 * filter cache under <root>/.seccomp-cache. */
int seccomp_prepare_for(const spec *s, const char *root, struct berth_seccomp **out,
                        berth_error **err);
/* Parent side of SYNC_SECCOMP: copy the child's listener fd `fdnum` with
 * pidfd_getfd, send it with the container state to listenerPath, and let
 * the child go on. */
int seccomp_forward_listener(int sock, pid_t child, int64_t fdnum, const spec *s,
                             const container_state *st, berth_error **err);

#endif
