#include "checkpoint.h"

int container_checkpoint(const struct checkpoint_opts *o, berth_error **err) {
  return berth_fail(err, 0, "checkpoint: not implemented yet");
}

int checkpoint_criu_available(char *version, size_t len, berth_error **err) {
  return berth_fail(err, 0, "checkpoint: not implemented yet");
}
