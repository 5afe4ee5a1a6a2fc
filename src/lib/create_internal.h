#ifndef BERTH_CREATE_INTERNAL_H
#define BERTH_CREATE_INTERNAL_H

#include "error.h"
#include "spec.h"

/* Refuse, before anything is made, what create cannot honour: a missing
 * process, and fields this build does not implement yet (never silently
 * skipped). */
int create_check_supported(const spec *s, berth_error **err);

#endif
