/* libsystemd, loaded on first use. Only the systemd cgroup driver needs
 * it, and linking it outright makes every berth start load libsystemd and
 * the half-dozen libraries behind it, which the benchmark shows as a
 * slower start and a larger footprint for containers that never ask for
 * --systemd-cgroup. Include after <systemd/sd-bus.h>: the sd_bus_* names
 * used by the driver then go through these pointers. */
#ifndef BERTH_SDBUS_DL_H
#define BERTH_SDBUS_DL_H

#include <systemd/sd-bus.h>

#include "error.h"

struct sdbus_api {
  int (*call)(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error, sd_bus_message **reply);
  int (*call_method)(sd_bus *bus, const char *destination, const char *path, const char *interface, const char *member, sd_bus_error *ret_error, sd_bus_message **reply, const char *types, ...);
  void (*error_free)(sd_bus_error *e);
  int (*error_get_errno)(const sd_bus_error *e);
  int (*error_has_name)(const sd_bus_error *e, const char *name);
  int (*error_is_set)(const sd_bus_error *e);
  sd_bus * (*flush_close_unref)(sd_bus *bus);
  int (*get_property_string)(sd_bus *bus, const char *destination, const char *path, const char *interface, const char *member, sd_bus_error *ret_error, char **ret);
  int (*match_signal)(sd_bus *bus, sd_bus_slot **ret, const char *sender, const char *path, const char *interface, const char *member, sd_bus_message_handler_t callback, void *userdata);
  int (*message_append)(sd_bus_message *m, const char *types, ...);
  int (*message_append_basic)(sd_bus_message *m, char type, const void *p);
  int (*message_close_container)(sd_bus_message *m);
  int (*message_new_method_call)(sd_bus *bus, sd_bus_message **m, const char *destination, const char *path, const char *interface, const char *member);
  int (*message_open_container)(sd_bus_message *m, char type, const char *contents);
  int (*message_read)(sd_bus_message *m, const char *types, ...);
  sd_bus_message * (*message_unref)(sd_bus_message *m);
  int (*new)(sd_bus **ret);
  int (*open_system)(sd_bus **ret);
  int (*process)(sd_bus *bus, sd_bus_message **r);
  int (*set_address)(sd_bus *bus, const char *address);
  sd_bus_slot * (*slot_unref)(sd_bus_slot *slot);
  int (*start)(sd_bus *bus);
  sd_bus * (*unref)(sd_bus *bus);
  int (*wait)(sd_bus *bus, uint64_t timeout_usec);
  /* The free of the libc that libsystemd allocates with: in a static berth
   * that is the host's libc.so.6, not berth's own, so memory libsystemd
   * hands over must go back through it. */
  void (*lib_free)(void *p);
};

extern struct sdbus_api sdbus;

/* dlopen libsystemd.so.0 and resolve every function once; an error names
 * what is missing. */
int sdbus_load(berth_error **err);

#define sd_bus_call sdbus.call
#define sd_bus_call_method sdbus.call_method
#define sd_bus_error_free sdbus.error_free
#define sd_bus_error_get_errno sdbus.error_get_errno
#define sd_bus_error_has_name sdbus.error_has_name
#define sd_bus_error_is_set sdbus.error_is_set
#define sd_bus_flush_close_unref sdbus.flush_close_unref
#define sd_bus_get_property_string sdbus.get_property_string
#define sd_bus_match_signal sdbus.match_signal
#define sd_bus_message_append sdbus.message_append
#define sd_bus_message_append_basic sdbus.message_append_basic
#define sd_bus_message_close_container sdbus.message_close_container
#define sd_bus_message_new_method_call sdbus.message_new_method_call
#define sd_bus_message_open_container sdbus.message_open_container
#define sd_bus_message_read sdbus.message_read
#define sd_bus_message_unref sdbus.message_unref
#define sd_bus_new sdbus.new
#define sd_bus_open_system sdbus.open_system
#define sd_bus_process sdbus.process
#define sd_bus_set_address sdbus.set_address
#define sd_bus_slot_unref sdbus.slot_unref
#define sd_bus_start sdbus.start
#define sd_bus_unref sdbus.unref
#define sd_bus_wait sdbus.wait

#endif
