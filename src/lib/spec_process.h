/* config.json "process" (spec_process.c), for spec.c, which reads the
 * document and hands this parser its section. */
#ifndef BERTH_SPEC_PROCESS_H
#define BERTH_SPEC_PROCESS_H

#include "spec.h"
#include "spec_json.h"

/* Fills a zeroed *p; 0, or -1 with p half filled but consistent, for
 * spec_process_free or spec_process_clear. */
int spec_parse_process_obj(sj_ctx *c, json_t *obj, spec_process *p);
void spec_process_clear(spec_process *p);

#endif
