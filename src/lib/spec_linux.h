/* config.json "linux" (spec_linux.c) apart from its resources and seccomp,
 * which spec.c hands to their own parsers. */
#ifndef BERTH_SPEC_LINUX_H
#define BERTH_SPEC_LINUX_H

#include "spec.h"
#include "spec_json.h"

/* Fills a zeroed *l; 0, or -1 with l half filled but consistent, for
 * spec_linux_clear. l->resources and l->seccomp are left alone. */
int spec_parse_linux_obj(sj_ctx *c, json_t *obj, spec_linux *l);
void spec_linux_clear(spec_linux *l);

#endif
