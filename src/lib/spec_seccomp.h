/* linux.seccomp of config.json (spec_seccomp.c). */
#ifndef BERTH_SPEC_SECCOMP_H
#define BERTH_SPEC_SECCOMP_H

#include "spec.h"
#include "spec_json.h"

/* Fills a zeroed *s; 0, or -1 with s half filled but consistent, for
 * spec_seccomp_free. */
int spec_parse_seccomp_obj(sj_ctx *c, json_t *obj, spec_seccomp *s);
void spec_seccomp_free(spec_seccomp *s);

#endif
