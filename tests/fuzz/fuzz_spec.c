/* libFuzzer harness: the config.json parser (and update's resources
 * parser) on arbitrary bytes. Any input must give a spec or an error,
 * never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "spec.h"
#include "spec_resources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  spec *s = NULL;
  berth_error *err = NULL;
  if (spec_parse((const char *)data, size, "config.json", &s, &err) == 0)
    spec_free(s);
  berth_error_free(err);
  err = NULL;
  spec_resources *r = NULL;
  if (spec_parse_resources((const char *)data, size, "resources", &r, &err) == 0)
    spec_resources_free(r);
  berth_error_free(err);
  return 0;
}
