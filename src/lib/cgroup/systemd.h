/* The systemd cgroup driver (`--systemd-cgroup`), as runc's: the container
 * gets a transient scope (or slice) unit, asked of systemd's manager over
 * D-Bus, and the cgroup directories are the ones systemd makes for it.
 *
 * A scope cannot be started empty, so the unit is started when the first
 * pid joins (cgroup_add_pid): until then cgroup_apply only remembers the
 * limits, which go to systemd as unit properties with the start and to
 * the cgroup files right after it, as runc writes them.
 *
 * The manager is reached on the system bus, or on systemd's private socket
 * (/run/systemd/private) when there is no D-Bus daemon. The environment
 * variable BERTH_SYSTEMD_BUS_ADDRESS names another direct (peer-to-peer)
 * address instead, such as a test's own manager. */
#ifndef BERTH_CGROUP_SYSTEMD_H
#define BERTH_CGROUP_SYSTEMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"

#define BERTH_SYSTEMD_BUS_ENV "BERTH_SYSTEMD_BUS_ADDRESS"

/* For the container's creator: the spec's org.systemd.property.<Name>
 * annotations become unit properties of the container's unit. Call
 * between cgroup_create and cgroup_add_pid; a no-op for a cgroup that is
 * not systemd's. */
int cgroup_systemd_annotations(cgroup *cg, const spec_kvs *annotations, berth_error **err);

/* ---- unit properties (systemd_props.c) ---- */

/* One D-Bus value of a basic type (y b n q i u x t d s o g), or 'r' for
 * a pair of strings "(ss)", as DeviceAllow's entries. */
typedef struct unit_value {
  char type;
  union {
    uint64_t u; /* y q u t */
    int64_t i;  /* n i x, and b as 0 or 1 */
    double d;
  } num;
  char *str;  /* s o g, and the first of a pair */
  char *str2; /* the second of a pair */
} unit_value;

/* A property: one value, or an array of values of one basic type. */
typedef struct unit_prop {
  char *name;
  bool array;
  char elem; /* the basic type of the value or of the array's elements */
  unit_value *v;
  size_t n;
} unit_prop;

typedef struct unit_props {
  unit_prop *v;
  size_t n;
} unit_props;

void unit_prop_release(unit_prop *p);
void unit_props_clear(unit_props *p);
/* Moves *prop (then zeroed) to the end of the list. */
int unit_props_push(unit_props *p, unit_prop *prop);
int unit_props_add_bool(unit_props *p, const char *name, bool v);
int unit_props_add_u64(unit_props *p, const char *name, uint64_t v);
int unit_props_add_str(unit_props *p, const char *name, const char *v);
/* A one-element array of strings ("as"), as Wants= takes. */
int unit_props_add_str_array(unit_props *p, const char *name, const char *v);
int unit_props_add_u32_array(unit_props *p, const char *name, const uint32_t *v, size_t n);
int unit_props_add_bytes(unit_props *p, const char *name, const uint8_t *v, size_t n);
/* An empty array of string pairs, "a(ss)", to fill with unit_props_add_pair. */
int unit_props_add_pairs(unit_props *p, const char *name);
int unit_props_add_pair(unit_prop *prop, const char *a, const char *b);
/* Moves every property of `from` to the end of `to`. */
int unit_props_take(unit_props *to, unit_props *from);
/* "Name=<signature> <value>" lines, for messages and tests; heap text. */
char *unit_props_describe(const unit_props *p);

/* GVariant text as runc reads annotation values ("uint64 123", "true",
 * "'text'", "@t 5", "[1, 2]"): a typed or untyped number (untyped is int32,
 * or double with a '.' or an exponent), a boolean, a quoted string, or an
 * array of those. */
int unit_parse_variant(const char *text, unit_prop *out, char **why);
/* org.systemd.property.<Name> annotations, in order, with runc's checks
 * and its <x>Sec -> <x>USec conversion. */
int unit_props_from_annotations(const spec_kvs *annotations, unit_props *out, berth_error **err);

/* The limits runc hands to systemd for linux.resources. *quota is the cpu
 * quota the cgroup files should get: runc rounds it up with systemd's
 * percent granularity so both agree (unchanged when not rounded). */
int unit_props_for_resources(const spec_resources *res, bool v2, unit_props *out, int64_t *quota,
                           berth_error **err);
/* linux.resources.unified files that have a systemd property (cgroup v2). */
/* Device rules as DevicePolicy and DeviceAllow, where systemd can say
 * them (runc's translation); nothing on cgroup v2 when it cannot, since
 * there systemd's program would deny what berth's own allows. */
int unit_props_for_devices(const spec_device_rule *rules, size_t n, bool v2, unit_props *out,
                           berth_error **err);
int unit_props_for_unified(const spec_kvs *unified, unit_props *out, berth_error **err);
/* unified memory.oom.group as OOMPolicy, which only a start can set. */
int unit_props_oom_policy(const spec_kvs *unified, unit_props *out, berth_error **err);
/* "0-3,7" -> the little-endian bit mask systemd's AllowedCPUs takes. */
int unit_cpu_list_bits(const char *list, uint8_t **bits, size_t *n, char **why);

/* ---- unit names ---- */

typedef struct cg_systemd {
  char *unit;       /* "docker-abc.scope", or a slice "x-y.slice" */
  char *slice;      /* the parent slice, "system.slice" by default */
  char *slice_path; /* the slice's cgroup, "/system.slice" */
  char *name;       /* the name part of cgroupsPath, for the description */
  bool started;
  unit_props annotations;
  unit_props limits;          /* from the last cgroup_apply before the start */
  spec_resources *pending;  /* written to the files once the unit exists */
} cg_systemd;

/* runc's "slice:prefix:name" (NULL or "": ":berth:<id>"). */
int cg_systemd_names(const char *cgroups_path, const char *id, cg_systemd *sd,
                     berth_error **err);
/* "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "/". */
int cg_systemd_expand_slice(const char *slice, char **out, berth_error **err);
/* Properties of the start: placement, accounting, PIDs, then the
 * annotations and the limits, which are moved out of sd. */
int cg_systemd_start_props(cg_systemd *sd, pid_t pid, bool v2, unit_props *out,
                           berth_error **err);

/* ---- the conversation with the manager (systemd.c) ---- */

/* StartTransientUnit and wait for its job; an existing (failed) unit of
 * the same name is reset and the start tried once more, as runc does.
 * *cgroup_path (when asked for) gets the unit's ControlGroup property,
 * or NULL when the manager does not tell it. */
int systemd_start_unit(const char *unit, const unit_props *props, char **cgroup_path,
                       berth_error **err);
/* StopUnit and wait for its job, then ResetFailedUnit. A unit that is
 * already gone (an emptied scope stops by itself) is no error. */
int systemd_stop_unit(const char *unit, berth_error **err);
int systemd_set_unit_properties(const char *unit, const unit_props *props, berth_error **err);

#endif
