/* linux.resources (spec_resources.c): the section of config.json, and the
 * lone LinuxResources object that `update --resources FILE` takes. */
#ifndef BERTH_SPEC_RESOURCES_H
#define BERTH_SPEC_RESOURCES_H

#include "spec.h"
#include "spec_json.h"

/* Fills a zeroed *r; 0, or -1 with r half filled but consistent, for
 * spec_resources_free. */
int spec_parse_resources_obj(sj_ctx *c, json_t *obj, spec_resources *r);
void spec_resources_free(spec_resources *r);

/* A lone LinuxResources object, `name` naming it in messages. */
int spec_parse_resources(const char *json, size_t len, const char *name, spec_resources **out,
                         berth_error **err);

#endif
