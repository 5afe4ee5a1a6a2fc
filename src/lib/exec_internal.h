#ifndef BERTH_EXEC_INTERNAL_H
#define BERTH_EXEC_INTERNAL_H

#include "exec.h"
#include "spec.h"

/* Takes container->process (leaving NULL) when no --process file is given. */
int exec_build_process(const struct exec_opts *o, spec *container, spec_process **out,
                       berth_error **err);

#endif
