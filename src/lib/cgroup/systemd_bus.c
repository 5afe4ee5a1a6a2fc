/* The systemd driver's conversation with the manager, over sd-bus: one
 * short-lived connection per operation, so nothing outlives the call (and
 * no connection is inherited across the fork of the container's init). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "sdbus_dl.h"
#include "systemd.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define PRIVATE_ADDRESS "unix:path=/run/systemd/private"
#define ERROR_UNIT_EXISTS "org.freedesktop.systemd1.UnitExists"
#define ERROR_NO_SUCH_UNIT "org.freedesktop.systemd1.NoSuchUnit"
/* runc waits as long for a unit's job. */
#define JOB_TIMEOUT_USEC (30ull * 1000000ull)

struct conn {
  sd_bus *bus;
  bool direct; /* peer-to-peer with the manager: no bus daemon, no sender names */
};

static int open_direct(const char *address, sd_bus **out) {
  sd_bus *bus = NULL;
  int r = sd_bus_new(&bus);
  if (r >= 0)
    r = sd_bus_set_address(bus, address);
  if (r >= 0)
    r = sd_bus_start(bus);
  if (r < 0) {
    sd_bus_unref(bus);
    return r;
  }
  *out = bus;
  return 0;
}

static int conn_open(struct conn *c, berth_error **err) {
  if (sdbus_load(err) < 0)
    return -1;
  const char *address = getenv(BERTH_SYSTEMD_BUS_ENV);
  c->bus = NULL;
  c->direct = true;
  if (address != NULL && *address != '\0') {
    int r = open_direct(address, &c->bus);
    return r < 0 ? berth_fail_id(err, "BERTH-E-SYSTEMD-BUS", -r,
                                 "connect to systemd at \"%s\"", address) : 0;
  }
  c->direct = false;
  int r = sd_bus_open_system(&c->bus);
  if (r >= 0)
    return 0;
  /* No D-Bus daemon: systemd still answers root on its private socket. */
  c->direct = true;
  int r2 = open_direct(PRIVATE_ADDRESS, &c->bus);
  if (r2 >= 0)
    return 0;
  return berth_fail_id(err, "BERTH-E-SYSTEMD-BUS", -r,
                       "connect to systemd: neither the system bus nor "
                       "/run/systemd/private answers (%s)", strerror(-r2));
}

static void conn_close(struct conn *c) {
  sd_bus_flush_close_unref(c->bus);
  c->bus = NULL;
}

/* ---- properties on the wire ---- */

static int append_value(sd_bus_message *m, const unit_value *v) {
  switch (v->type) {
  case 'y': {
    uint8_t x = (uint8_t)v->num.u;
    return sd_bus_message_append_basic(m, 'y', &x);
  }
  case 'b': {
    int x = v->num.i != 0;
    return sd_bus_message_append_basic(m, 'b', &x);
  }
  case 'n': {
    int16_t x = (int16_t)v->num.i;
    return sd_bus_message_append_basic(m, 'n', &x);
  }
  case 'q': {
    uint16_t x = (uint16_t)v->num.u;
    return sd_bus_message_append_basic(m, 'q', &x);
  }
  case 'i': {
    int32_t x = (int32_t)v->num.i;
    return sd_bus_message_append_basic(m, 'i', &x);
  }
  case 'u': {
    uint32_t x = (uint32_t)v->num.u;
    return sd_bus_message_append_basic(m, 'u', &x);
  }
  case 'x':
    return sd_bus_message_append_basic(m, 'x', &v->num.i);
  case 't':
    return sd_bus_message_append_basic(m, 't', &v->num.u);
  case 'd':
    return sd_bus_message_append_basic(m, 'd', &v->num.d);
  default:
    return sd_bus_message_append_basic(m, v->type, v->str);
  }
}

static int append_pair(sd_bus_message *m, const unit_value *v) {
  int r = sd_bus_message_open_container(m, 'r', "ss");
  if (r >= 0)
    r = sd_bus_message_append(m, "ss", v->str, v->str2);
  return r >= 0 ? sd_bus_message_close_container(m) : r;
}

static int append_prop(sd_bus_message *m, const unit_prop *p) {
  bool pairs = p->elem == 'r';
  char elem[5] = {p->elem, '\0'}, sig[6] = {'a', p->elem, '\0'};
  if (pairs) {
    strcpy(elem, "(ss)");
    strcpy(sig, "a(ss)");
  }
  int r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0)
    r = sd_bus_message_append_basic(m, 's', p->name);
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'v', p->array ? sig : elem);
  if (r >= 0 && p->array)
    r = sd_bus_message_open_container(m, 'a', elem);
  for (size_t i = 0; r >= 0 && i < p->n; i++)
    r = pairs ? append_pair(m, &p->v[i]) : append_value(m, &p->v[i]);
  if (r >= 0 && p->array)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  return r;
}

static int append_props(sd_bus_message *m, const unit_props *props) {
  int r = sd_bus_message_open_container(m, 'a', "(sv)");
  for (size_t i = 0; r >= 0 && i < props->n; i++)
    r = append_prop(m, &props->v[i]);
  return r >= 0 ? sd_bus_message_close_container(m) : r;
}

/* ---- jobs ---- */

struct job_wait {
  char *path;   /* the job to wait for, once the call returned it */
  char *result; /* "done", "failed", "canceled", "timeout", ... */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path != NULL && w->result == NULL && strcmp(path, w->path) == 0)
    w->result = strdup(result);
  return 0;
}

/* Before the call, so that the signal cannot slip past. */
static int watch_jobs(struct conn *c, sd_bus_slot **slot, struct job_wait *w,
                      berth_error **err) {
  int r = sd_bus_match_signal(c->bus, slot, c->direct ? NULL : SYSTEMD_DEST, SYSTEMD_PATH,
                              MANAGER_IFACE, "JobRemoved", on_job_removed, w);
  return r < 0 ? berth_fail(err, -r, "subscribe to systemd's JobRemoved signal") : 0;
}

static uint64_t now_usec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int wait_job(struct conn *c, struct job_wait *w, const char *unit, berth_error **err) {
  uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
  while (w->result == NULL) {
    int r = sd_bus_process(c->bus, NULL);
    if (r < 0)
      return berth_fail(err, -r, "wait for systemd's job on unit \"%s\"", unit);
    if (r > 0)
      continue;
    uint64_t now = now_usec();
    if (now >= deadline)
      return berth_fail_id(err, "BERTH-E-SYSTEMD-JOB", ETIMEDOUT,
                           "timed out waiting for systemd's job on unit \"%s\"",
                           unit);
    r = sd_bus_wait(c->bus, deadline - now);
    if (r < 0)
      return berth_fail(err, -r, "wait for systemd's job on unit \"%s\"", unit);
  }
  return 0;
}

/* Keeps the job path of a reply for the wait. */
static int take_job_path(sd_bus_message *reply, struct job_wait *w) {
  const char *path;
  int r = sd_bus_message_read(reply, "o", &path);
  if (r < 0)
    return r;
  w->path = strdup(path);
  return w->path == NULL ? -ENOMEM : 0;
}

static void reset_failed(struct conn *c, const char *unit) {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_call_method(c->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "ResetFailedUnit", &e,
                     NULL, "s", unit);
  sd_bus_error_free(&e);
}

/* A unit of the container's name that is still there after reset_failed
 * is another container's, or a running leftover: a conflict the user
 * resolves, unlike the rest of systemd's refusals. */
static const char *refusal_code(const sd_bus_error *e) {
  return sd_bus_error_has_name(e, ERROR_UNIT_EXISTS) ? "BERTH-E-SYSTEMD-UNIT-EXISTS"
                                                     : "BERTH-E-SYSTEMD-REFUSED";
}

/* The failure of a call: systemd's message when it sent one. */
static int call_fail(berth_error **err, int r, const sd_bus_error *e, const char *what,
                     const char *unit) {
  if (sd_bus_error_is_set(e))
    return berth_fail_id(err, refusal_code(e), sd_bus_error_get_errno(e),
                         "%s \"%s\": %s (%s)", what, unit,
                         e->message ? e->message : "", e->name);
  return berth_fail(err, -r, "%s \"%s\"", what, unit);
}

/* ---- the calls ---- */

static int start_call(struct conn *c, const char *unit, const unit_props *props,
                      struct job_wait *w, sd_bus_error *e) {
  sd_bus_message *m = NULL, *reply = NULL;
  int r = sd_bus_message_new_method_call(c->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
                                         "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append(m, "ss", unit, "replace");
  if (r >= 0)
    r = append_props(m, props);
  if (r >= 0)
    r = sd_bus_message_append(m, "a(sa(sv))", 0);
  if (r >= 0)
    r = sd_bus_call(c->bus, m, 0, e, &reply);
  if (r >= 0)
    r = take_job_path(reply, w);
  sd_bus_message_unref(m);
  sd_bus_message_unref(reply);
  return r;
}

static int start_and_wait(struct conn *c, const char *unit, const unit_props *props,
                          struct job_wait *w, berth_error **err) {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = start_call(c, unit, props, w, &e);
  if (r < 0 && sd_bus_error_has_name(&e, ERROR_UNIT_EXISTS)) {
    /* Most likely a failed leftover of an earlier container by the name. */
    sd_bus_error_free(&e);
    reset_failed(c, unit);
    r = start_call(c, unit, props, w, &e);
  }
  if (r < 0) {
    call_fail(err, r, &e, "start systemd unit", unit);
    sd_bus_error_free(&e);
    return -1;
  }
  if (wait_job(c, w, unit, err) < 0)
    return -1;
  if (strcmp(w->result, "done") != 0) {
    reset_failed(c, unit);
    return berth_fail_id(err, "BERTH-E-SYSTEMD-JOB", EIO,
                         "systemd unit \"%s\" did not start: its job ended \"%s\"",
                         unit, w->result);
  }
  return 0;
}

/* The unit's ControlGroup property, NULL when the manager does not say. */
static char *control_group(struct conn *c, const char *unit) {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  const char *path = NULL;
  char *lib_group = NULL;
  size_t n = strlen(unit);
  bool slice = n > 6 && strcmp(unit + n - 6, ".slice") == 0;
  const char *iface = slice ? "org.freedesktop.systemd1.Slice" : "org.freedesktop.systemd1.Scope";
  if (sd_bus_call_method(c->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "GetUnit", &e,
                         &reply, "s", unit) >= 0 &&
      sd_bus_message_read(reply, "o", &path) > 0)
    sd_bus_get_property_string(c->bus, SYSTEMD_DEST, path, iface, "ControlGroup", &e,
                               &lib_group);
  sd_bus_message_unref(reply);
  sd_bus_error_free(&e);
  /* libsystemd's string is freed by libsystemd's libc (sdbus_api.lib_free). */
  char *group = lib_group != NULL && lib_group[0] == '/' ? strdup(lib_group) : NULL;
  sdbus.lib_free(lib_group);
  return group;
}

int systemd_start_unit(const char *unit, const unit_props *props, char **cgroup_path,
                       berth_error **err) {
  struct conn c;
  if (cgroup_path != NULL)
    *cgroup_path = NULL;
  if (conn_open(&c, err) < 0)
    return -1;
  struct job_wait w = {0};
  sd_bus_slot *slot = NULL;
  int rc = watch_jobs(&c, &slot, &w, err);
  if (rc == 0)
    rc = start_and_wait(&c, unit, props, &w, err);
  if (rc == 0 && cgroup_path != NULL)
    *cgroup_path = control_group(&c, unit);
  sd_bus_slot_unref(slot);
  conn_close(&c);
  free(w.path);
  free(w.result);
  return rc;
}

static int stop_and_wait(struct conn *c, const char *unit, struct job_wait *w,
                         berth_error **err) {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(c->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "StopUnit", &e,
                             &reply, "ss", unit, "replace");
  if (r >= 0)
    r = take_job_path(reply, w);
  sd_bus_message_unref(reply);
  if (r < 0) {
    /* An emptied scope stops by itself: gone is what we wanted. */
    bool gone = sd_bus_error_has_name(&e, ERROR_NO_SUCH_UNIT);
    if (!gone)
      call_fail(err, r, &e, "stop systemd unit", unit);
    sd_bus_error_free(&e);
    return gone ? 0 : -1;
  }
  if (wait_job(c, w, unit, err) < 0)
    return -1;
  if (strcmp(w->result, "done") != 0)
    berth_warn("stopping systemd unit \"%s\": its job ended \"%s\"", unit, w->result);
  return 0;
}

int systemd_stop_unit(const char *unit, berth_error **err) {
  struct conn c;
  if (conn_open(&c, err) < 0)
    return -1;
  struct job_wait w = {0};
  sd_bus_slot *slot = NULL;
  int rc = watch_jobs(&c, &slot, &w, err);
  if (rc == 0)
    rc = stop_and_wait(&c, unit, &w, err);
  if (rc == 0)
    reset_failed(&c, unit); /* a failed unit would linger otherwise */
  sd_bus_slot_unref(slot);
  conn_close(&c);
  free(w.path);
  free(w.result);
  return rc;
}

int systemd_set_unit_properties(const char *unit, const unit_props *props, berth_error **err) {
  if (props->n == 0)
    return 0;
  struct conn c;
  if (conn_open(&c, err) < 0)
    return -1;
  sd_bus_message *m = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int runtime = 1; /* like runc: until the next boot only */
  int r = sd_bus_message_new_method_call(c.bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
                                         "SetUnitProperties");
  if (r >= 0)
    r = sd_bus_message_append(m, "sb", unit, runtime);
  if (r >= 0)
    r = append_props(m, props);
  if (r >= 0)
    r = sd_bus_call(c.bus, m, 0, &e, NULL);
  int rc = r < 0 ? call_fail(err, r, &e, "set properties of systemd unit", unit) : 0;
  sd_bus_error_free(&e);
  sd_bus_message_unref(m);
  conn_close(&c);
  return rc;
}
