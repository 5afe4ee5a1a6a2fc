/* Gone: each section parser has its own header now (spec_linux.h,
 * spec_process.h, spec_resources.h, spec_seccomp.h). Kept one commit
 * longer for update.c. */
#ifndef BERTH_SPEC_PARSE_H
#define BERTH_SPEC_PARSE_H

#include "spec_resources.h"

#endif
