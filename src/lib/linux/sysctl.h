#ifndef BERTH_SYSCTL_H
#define BERTH_SYSCTL_H

#include "error.h"
#include "spec.h"

/* Check each linux.sysctl key belongs to a namespace the container owns
 * (as runc's validator) and that values carry no injected settings. */
int sysctl_validate(const spec *s, berth_error **err);
/* Write them under the container's /proc/sys (after pivot_root). */
int sysctl_apply(const spec *s, berth_error **err);

#endif
