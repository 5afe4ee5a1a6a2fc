/* OCI hooks: each runs with the container state JSON on stdin, in order,
 * with its own timeout. */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include "error.h"
#include "spec.h"
#include "state.h"

/* Run every hook of `kind`; the first failure stops the rest and is
 * returned ("prestart hook #1 \"/bin/x\": exit status 3"). */
int hooks_run(const spec *s, enum spec_hook_kind kind, const char *state_json, berth_error **err);
/* hooks_run with ST, as STATUS, for their stdin; nothing is encoded when
 * the spec has no hook of `kind`. */
int hooks_run_with_state(const spec *s, enum spec_hook_kind kind, const container_state *st,
                         enum container_status status, berth_error **err);
/* create's (and restore's) hooks in the runtime namespace: prestart, then
 * createRuntime, with ST as "creating". */
int hooks_run_create_runtime(const spec *s, const container_state *st, berth_error **err);
/* poststop: a failure is only a warning and the remaining hooks still run. */
void hooks_run_poststop(const spec *s, const char *state_json);

#endif
