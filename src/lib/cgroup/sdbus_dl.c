#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stddef.h>
#include <string.h>

#include "sdbus_dl.h"

struct sdbus_api sdbus;

static const struct {
  const char *symbol;
  size_t offset;
} sdbus_symbols[] = {
    {"sd_bus_call", offsetof(struct sdbus_api, call)},
    {"sd_bus_call_method", offsetof(struct sdbus_api, call_method)},
    {"sd_bus_error_free", offsetof(struct sdbus_api, error_free)},
    {"sd_bus_error_get_errno", offsetof(struct sdbus_api, error_get_errno)},
    {"sd_bus_error_has_name", offsetof(struct sdbus_api, error_has_name)},
    {"sd_bus_error_is_set", offsetof(struct sdbus_api, error_is_set)},
    {"sd_bus_flush_close_unref", offsetof(struct sdbus_api, flush_close_unref)},
    {"sd_bus_get_property_string", offsetof(struct sdbus_api, get_property_string)},
    {"sd_bus_match_signal", offsetof(struct sdbus_api, match_signal)},
    {"sd_bus_message_append", offsetof(struct sdbus_api, message_append)},
    {"sd_bus_message_append_basic", offsetof(struct sdbus_api, message_append_basic)},
    {"sd_bus_message_close_container", offsetof(struct sdbus_api, message_close_container)},
    {"sd_bus_message_new_method_call", offsetof(struct sdbus_api, message_new_method_call)},
    {"sd_bus_message_open_container", offsetof(struct sdbus_api, message_open_container)},
    {"sd_bus_message_read", offsetof(struct sdbus_api, message_read)},
    {"sd_bus_message_unref", offsetof(struct sdbus_api, message_unref)},
    {"sd_bus_new", offsetof(struct sdbus_api, new)},
    {"sd_bus_open_system", offsetof(struct sdbus_api, open_system)},
    {"sd_bus_process", offsetof(struct sdbus_api, process)},
    {"sd_bus_set_address", offsetof(struct sdbus_api, set_address)},
    {"sd_bus_slot_unref", offsetof(struct sdbus_api, slot_unref)},
    {"sd_bus_start", offsetof(struct sdbus_api, start)},
    {"sd_bus_unref", offsetof(struct sdbus_api, unref)},
    {"sd_bus_wait", offsetof(struct sdbus_api, wait)},
    {"free", offsetof(struct sdbus_api, lib_free)},
};

int sdbus_load(berth_error **err) {
  static void *lib;
  if (lib != NULL)
    return 0;
  void *handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    return berth_fail_id(err, "BERTH-E-SYSTEMD-LIBRARY", 0,
                         "systemd cgroup driver: load libsystemd.so.0: %s", dlerror());
  /* A static berth carries its own glibc, and libsystemd brings the host's
   * libc.so.6 along; glibc supports that pair only when both are the same
   * release. In a dynamic berth the two lookups find the same function. */
  const char *(*shared_libc_version)(void) =
      (const char *(*)(void))dlsym(handle, "gnu_get_libc_version");
  if (shared_libc_version != NULL &&
      strcmp(shared_libc_version(), gnu_get_libc_version()) != 0) {
    const char *host = shared_libc_version();
    dlclose(handle);
    return berth_fail_id(err, "BERTH-E-SYSTEMD-LIBRARY", 0,
                         "systemd cgroup driver: libsystemd.so.0 uses glibc %s but this static "
                         "berth was built with glibc %s: build berth with -Dstatic=false for this "
                         "host",
                         host, gnu_get_libc_version());
  }
  for (size_t i = 0; i < sizeof(sdbus_symbols) / sizeof(sdbus_symbols[0]); i++) {
    void *fn = dlsym(handle, sdbus_symbols[i].symbol);
    if (fn == NULL) {
      dlclose(handle);
      return berth_fail_id(err, "BERTH-E-SYSTEMD-LIBRARY", 0,
                           "systemd cgroup driver: libsystemd lacks %s",
                           sdbus_symbols[i].symbol);
    }
    /* POSIX guarantees function pointers round-trip through void *. */
    *(void **)((char *)&sdbus + sdbus_symbols[i].offset) = fn;
  }
  lib = handle;
  return 0;
}
