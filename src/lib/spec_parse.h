/* The section parsers of config.json, shared between the spec_*.c files.
 *
 * Each fills a zeroed struct in place and returns 0 or -1. On failure the
 * struct may be half filled but is always consistent (counts match what was
 * allocated), so the caller frees it with the matching *_free function. */
#ifndef BERTH_SPEC_PARSE_H
#define BERTH_SPEC_PARSE_H

#include "spec.h"
#include "spec_json.h"

int spec_parse_process_obj(sj_ctx *c, json_t *obj, spec_process *p);
void spec_process_clear(spec_process *p);

int spec_parse_linux_obj(sj_ctx *c, json_t *obj, spec_linux *l);
void spec_linux_clear(spec_linux *l);

int spec_parse_resources_obj(sj_ctx *c, json_t *obj, spec_resources *r);
void spec_resources_free(spec_resources *r);

int spec_parse_seccomp_obj(sj_ctx *c, json_t *obj, spec_seccomp *s);
void spec_seccomp_free(spec_seccomp *s);

/* uidMappings/gidMappings, for linux and for mounts. */
int spec_parse_idmaps(sj_ctx *c, json_t *obj, const char *key, spec_idmaps *out);

/* A lone LinuxResources object, as `update --resources FILE` takes. */
int spec_parse_resources(const char *json, size_t len, const char *name, spec_resources **out,
                         berth_error **err);

#endif
