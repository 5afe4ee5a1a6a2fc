/* `berth check`: will this host (and this bundle) work, asked before any
 * container exists. Kernel features are probed with the syscalls berth
 * itself uses (a child that unshares, clone3 with an oversized argument,
 * pidfd_open, seccomp's action queries), never guessed from the kernel
 * version. Nothing is left behind: no state, no cgroup, no mount; probe
 * children exit and detached mount trees are closed. */
#ifndef BERTH_HOSTCHECK_H
#define BERTH_HOSTCHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

enum hc_status { HC_OK, HC_WARN, HC_FAIL };

/* One finding. `name` is a feature ("clone3", "namespace time") or, for
 * the bundle, the JSON path of the field at fault ("mounts[2].source"). */
typedef struct hc_item {
  char *section; /* "host" or "bundle" */
  char *name;
  enum hc_status status;
  char *detail;
} hc_item;

typedef struct hc_report {
  hc_item *v;
  size_t n;
} hc_report;

void hc_add(hc_report *r, const char *section, enum hc_status st, const char *name,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
size_t hc_count(const hc_report *r, enum hc_status st);
/* {"ok": bool, "checks": [{"section","name","status","detail"}...]} */
json_t *hc_report_json(const hc_report *r);
void hc_report_free(hc_report *r);

enum hc_cgroup_mode { HC_CGROUP_NONE, HC_CGROUP_V1, HC_CGROUP_HYBRID, HC_CGROUP_V2 };

/* What the probes found, for the bundle checks to consult. */
typedef struct hc_host {
  bool ns[NS_TYPE_COUNT]; /* a namespace of the type can be created */
  bool ns_in_userns_only[NS_TYPE_COUNT]; /* ...but only inside a new user namespace */
  bool userns_unprivileged;
  bool idmapped_mounts;
  bool clone3, pidfd, seccomp, seccomp_notify;
  int criu_version; /* 0 when criu is missing or unusable */
  enum hc_cgroup_mode cgroup_mode;
  char v1_controllers[256]; /* mounted v1 hierarchies' controllers, comma-separated */
  char v2_controllers[256]; /* the cgroup2 root's cgroup.controllers, comma-separated */
  bool apparmor, selinux;
} hc_host;

/* Probe the kernel and the host; one item per feature into r. */
void hostcheck_probe(hc_host *h, hc_report *r);

/* With --systemd-cgroup: does systemd answer on the bus or its private
 * socket? (A connect, nothing more.) */
void hostcheck_systemd(hc_report *r);

/* Check `bundle` (config.json through berth's own parser, then what this
 * host must provide for it: rootfs, bind sources, namespace paths, id
 * ranges, hooks, seccomp agent, idmapped sources). */
void hostcheck_bundle(const hc_host *h, const char *bundle, hc_report *r);

/* hostcheck_resources.c, for hostcheck_bundle: linux.resources asking for
 * a controller that no hierarchy of this host has. */
void hostcheck_resources(const hc_host *h, const spec *s, hc_report *r);
/* hostcheck_process.c: process.args[0] is a program in the rootfs. */
void hostcheck_process(const spec *s, const char *rootfs, hc_report *r);

#endif
