/* `events`: a container's cgroup counters and OOM kills as runc's JSON
 * event stream. Field names, order and omissions follow runc's event
 * types (Go's encoding of them: omitempty drops zero numbers and empty
 * lists, never nested objects; map keys come sorted). The JSON is written
 * by hand because counters are uint64 and may pass int64's range. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "handle.h"
#include "resources_cmd.h"

/* ---- JSON ---- */

/* Strings as Go's encoder writes them, including its HTML escapes. */
static void put_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", f);
    else if (*p == '\t')
      fputs("\\t", f);
    else if (*p == '\r')
      fputs("\\r", f);
    else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

/* Writes `"key":value` with the separator; *first tracks the object. */
static void put_key(FILE *f, bool *first, const char *key) {
  if (!*first)
    fputc(',', f);
  *first = false;
  put_string(f, key);
  fputc(':', f);
}

static void put_u64(FILE *f, bool *first, const char *key, uint64_t v) {
  put_key(f, first, key);
  fprintf(f, "%" PRIu64, v);
}

static void put_u64_omitempty(FILE *f, bool *first, const char *key, uint64_t v) {
  if (v != 0)
    put_u64(f, first, key, v);
}

static void put_list_omitempty(FILE *f, bool *first, const char *key, const cgroup_u64_list *l) {
  if (l->n == 0)
    return;
  put_key(f, first, key);
  fputc('[', f);
  for (size_t i = 0; i < l->n; i++)
    fprintf(f, "%s%" PRIu64, i ? "," : "", l->v[i]);
  fputc(']', f);
}

static void put_cpu(FILE *f, const cgroup_stats *s) {
  bool first = true;
  fputs("\"cpu\":{\"usage\":{", f);
  put_u64_omitempty(f, &first, "total", s->cpu.total);
  put_list_omitempty(f, &first, "percpu", &s->cpu.percpu);
  put_list_omitempty(f, &first, "percpu_kernel", &s->cpu.percpu_kernel);
  put_list_omitempty(f, &first, "percpu_user", &s->cpu.percpu_user);
  put_u64(f, &first, "kernel", s->cpu.kernel);
  put_u64(f, &first, "user", s->cpu.user);
  fputs("},\"throttling\":{", f);
  first = true;
  put_u64_omitempty(f, &first, "periods", s->cpu.periods);
  put_u64_omitempty(f, &first, "throttledPeriods", s->cpu.throttled_periods);
  put_u64_omitempty(f, &first, "throttledTime", s->cpu.throttled_time);
  fputs("}}", f);
}

static void put_cpuset(FILE *f, const cgroup_stats *s) {
  bool first = true;
  fputs(",\"cpuset\":{", f);
  put_list_omitempty(f, &first, "cpus", &s->cpuset.cpus);
  put_u64(f, &first, "cpu_exclusive", s->cpuset.cpu_exclusive);
  put_list_omitempty(f, &first, "mems", &s->cpuset.mems);
  put_u64(f, &first, "mem_hardwall", s->cpuset.mem_hardwall);
  put_u64(f, &first, "mem_exclusive", s->cpuset.mem_exclusive);
  put_u64(f, &first, "memory_migrate", s->cpuset.memory_migrate);
  put_u64(f, &first, "memory_spread_page", s->cpuset.memory_spread_page);
  put_u64(f, &first, "memory_spread_slab", s->cpuset.memory_spread_slab);
  put_u64(f, &first, "memory_pressure", s->cpuset.memory_pressure);
  put_u64(f, &first, "sched_load_balance", s->cpuset.sched_load_balance);
  put_key(f, &first, "sched_relax_domain_level");
  fprintf(f, "%" PRId64 "}", s->cpuset.sched_relax_domain_level);
}

static void put_memory_entry(FILE *f, bool *outer, const char *key,
                             const cgroup_memory_entry *e) {
  bool first = true;
  put_key(f, outer, key);
  fputc('{', f);
  put_u64(f, &first, "limit", e->limit);
  put_u64_omitempty(f, &first, "usage", e->usage);
  put_u64_omitempty(f, &first, "max", e->max);
  put_u64(f, &first, "failcnt", e->failcnt);
  fputc('}', f);
}

static int kv_cmp(const void *a, const void *b) {
  return strcmp(((const cgroup_stat_kv *)a)->key, ((const cgroup_stat_kv *)b)->key);
}

static void put_memory(FILE *f, const cgroup_stats *s) {
  bool first = true;
  fputs(",\"memory\":{", f);
  put_u64_omitempty(f, &first, "cache", s->memory.cache);
  put_memory_entry(f, &first, "usage", &s->memory.usage);
  put_memory_entry(f, &first, "swap", &s->memory.swap);
  put_memory_entry(f, &first, "kernel", &s->memory.kernel);
  put_memory_entry(f, &first, "kernelTCP", &s->memory.kernel_tcp);
  if (s->memory.n_raw > 0) {
    cgroup_stat_kv *sorted = malloc(s->memory.n_raw * sizeof(*sorted));
    if (sorted != NULL) {
      memcpy(sorted, s->memory.raw, s->memory.n_raw * sizeof(*sorted));
      qsort(sorted, s->memory.n_raw, sizeof(*sorted), kv_cmp);
      bool inner = true;
      put_key(f, &first, "raw");
      fputc('{', f);
      for (size_t i = 0; i < s->memory.n_raw; i++)
        put_u64(f, &inner, sorted[i].key, sorted[i].value);
      fputc('}', f);
      free(sorted);
    }
  }
  fputc('}', f);
}

static void put_blkio(FILE *f, const cgroup_stats *s) {
  static const char *const names[BLKIO_KIND_COUNT] = {
      "ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive",
      "ioServiceTimeRecursive",  "ioWaitTimeRecursive", "ioMergedRecursive",
      "ioTimeRecursive",         "sectorsRecursive"};
  bool first = true;
  fputs(",\"blkio\":{", f);
  for (int k = 0; k < BLKIO_KIND_COUNT; k++) {
    const cgroup_blkio_list *l = &s->blkio[k];
    if (l->n == 0)
      continue;
    put_key(f, &first, names[k]);
    fputc('[', f);
    for (size_t i = 0; i < l->n; i++) {
      bool inner = true;
      fputs(i ? ",{" : "{", f);
      put_u64_omitempty(f, &inner, "major", l->v[i].major);
      put_u64_omitempty(f, &inner, "minor", l->v[i].minor);
      if (l->v[i].op[0]) {
        put_key(f, &inner, "op");
        put_string(f, l->v[i].op);
      }
      put_u64_omitempty(f, &inner, "value", l->v[i].value);
      fputc('}', f);
    }
    fputc(']', f);
  }
  fputc('}', f);
}

static int hugetlb_cmp(const void *a, const void *b) {
  return strcmp(((const cgroup_hugetlb_stat *)a)->page_size,
                ((const cgroup_hugetlb_stat *)b)->page_size);
}

static void put_hugetlb(FILE *f, const cgroup_stats *s) {
  bool first = true;
  fputs(",\"hugetlb\":{", f);
  cgroup_hugetlb_stat *sorted = malloc((s->n_hugetlb + 1) * sizeof(*sorted));
  if (sorted != NULL && s->n_hugetlb > 0) {
    memcpy(sorted, s->hugetlb, s->n_hugetlb * sizeof(*sorted));
    qsort(sorted, s->n_hugetlb, sizeof(*sorted), hugetlb_cmp);
    for (size_t i = 0; i < s->n_hugetlb; i++) {
      bool inner = true;
      put_key(f, &first, sorted[i].page_size);
      fputc('{', f);
      put_u64_omitempty(f, &inner, "usage", sorted[i].usage);
      put_u64_omitempty(f, &inner, "max", sorted[i].max);
      put_u64(f, &inner, "failcnt", sorted[i].failcnt);
      fputc('}', f);
    }
  }
  free(sorted);
  fputc('}', f);
}

char *events_stats_json(const char *id, const cgroup_stats *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  fputs("{\"type\":\"stats\",\"id\":", f);
  put_string(f, id);
  fputs(",\"data\":{", f);
  put_cpu(f, s);
  put_cpuset(f, s);
  put_memory(f, s);
  bool first = true;
  fputs(",\"pids\":{", f);
  put_u64_omitempty(f, &first, "current", s->pids.current);
  put_u64_omitempty(f, &first, "limit", s->pids.limit);
  fputc('}', f);
  put_blkio(f, s);
  put_hugetlb(f, s);
  fputs(",\"intel_rdt\":{},\"network_interfaces\":null}}", f);
  bool failed = ferror(f) != 0;
  if (fclose(f) != 0 || failed) {
    free(buf);
    return NULL;
  }
  return buf;
}

char *events_oom_json(const char *id) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  fputs("{\"type\":\"oom\",\"id\":", f);
  put_string(f, id);
  fputc('}', f);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* ---- durations ---- */

static const struct {
  const char *name;
  uint64_t ns;
} duration_units[] = {{"ns", 1},
                      {"us", 1000},
                      {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
                      {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
                      {"ms", 1000000},
                      {"s", 1000000000ULL},
                      {"m", 60000000000ULL},
                      {"h", 3600000000000ULL}};

/* One "<number><unit>" element; advances *p. */
static int duration_element(const char **p, double *total) {
  const char *s = *p, *start = s;
  while ((*s >= '0' && *s <= '9') || *s == '.')
    s++;
  if (s == start || (s == start + 1 && *start == '.'))
    return -1;
  char *num = strndup(start, (size_t)(s - start)), *end = NULL;
  double v = num != NULL ? strtod(num, &end) : 0;
  bool ok = num != NULL && *end == '\0';
  free(num);
  const char *unit = s;
  while (*s && !((*s >= '0' && *s <= '9') || *s == '.'))
    s++;
  for (size_t i = 0; ok && i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
    if (strlen(duration_units[i].name) == (size_t)(s - unit) &&
        strncmp(unit, duration_units[i].name, (size_t)(s - unit)) == 0) {
      *total += v * (double)duration_units[i].ns;
      *p = s;
      return 0;
    }
  }
  return -1;
}

int events_parse_duration(const char *text, int64_t *ns) {
  const char *p = text;
  bool negative = *p == '-';
  if (*p == '-' || *p == '+')
    p++;
  if (strcmp(p, "0") == 0) {
    *ns = 0;
    return 0;
  }
  if (*p == '\0')
    return -1;
  double total = 0;
  while (*p)
    if (duration_element(&p, &total) < 0)
      return -1;
  if (total >= 9223372036854775807.0)
    return -1;
  *ns = negative ? -(int64_t)total : (int64_t)total;
  return 0;
}

/* ---- the stream ---- */

static int emit_stats(cgroup *cg, const char *id, events_emit_fn emit, void *ctx,
                      berth_error **err) {
  cgroup_stats s;
  int rc = cgroup_stats_read(cg, &s, err);
  char *json = rc == 0 ? events_stats_json(id, &s) : NULL;
  cgroup_stats_free(&s);
  if (rc == 0 && json == NULL)
    rc = berth_fail(err, ENOMEM, "encode statistics");
  if (rc == 0)
    rc = emit(json, ctx) < 0 ? 1 : 0;
  free(json);
  return rc;
}

/* Returns 1 when the stream should end. */
static int emit_ooms(cgroup_oom_watch *w, const char *id, events_emit_fn emit, void *ctx) {
  bool gone = false;
  int n = cgroup_oom_watch_read(w, &gone);
  for (int i = 0; i < n; i++) {
    char *json = events_oom_json(id);
    int rc = json != NULL ? emit(json, ctx) : 0;
    free(json);
    if (rc < 0)
      return 1;
  }
  return gone ? 1 : 0;
}

static int start_ticker(uint64_t interval_ns, berth_error **err) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0)
    return berth_fail_errno(err, "timerfd_create");
  struct itimerspec its = {0};
  its.it_interval.tv_sec = (time_t)(interval_ns / 1000000000ULL);
  its.it_interval.tv_nsec = (long)(interval_ns % 1000000000ULL);
  its.it_value = its.it_interval;
  if (timerfd_settime(fd, 0, &its, NULL) < 0) {
    berth_fail_errno(err, "timerfd_settime");
    close(fd);
    return -1;
  }
  return fd;
}

/* Until the init exits (its pidfd turns readable), the cgroup goes away,
 * or the reader stops listening. A failed stats read is reported and the
 * stream goes on, as runc's does. */
static int stream(cgroup *cg, const char *id, int pidfd, uint64_t interval_ns,
                  events_emit_fn emit, void *ctx, berth_error **err) {
  cgroup_oom_watch w;
  berth_error *werr = NULL;
  if (cgroup_oom_watch_open(cg, &w, &werr) < 0) {
    berth_warn("OOM events will not be reported: %s", berth_error_text(werr));
    berth_error_free(werr);
  }
  int ticker = start_ticker(interval_ns, err);
  int rc = ticker < 0 ? -1 : 0;
  bool done = ticker < 0;
  while (!done) {
    struct pollfd fds[3] = {{ticker, POLLIN, 0}, {w.fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      rc = berth_fail_errno(err, "poll");
      break;
    }
    if (w.fd >= 0 && (fds[1].revents & POLLIN))
      done = emit_ooms(&w, id, emit, ctx) != 0;
    uint64_t ticks;
    if (!done && (fds[0].revents & POLLIN) && read(ticker, &ticks, sizeof(ticks)) > 0) {
      berth_error *serr = NULL;
      int sent = emit_stats(cg, id, emit, ctx, &serr);
      if (sent < 0)
        berth_warn("%s", berth_error_text(serr));
      berth_error_free(serr);
      done = sent > 0;
    }
    if (!done && (fds[2].revents & (POLLIN | POLLHUP))) {
      if (w.fd >= 0)
        emit_ooms(&w, id, emit, ctx); /* a kill that stopped the init */
      done = true;
    }
  }
  if (ticker >= 0)
    close(ticker);
  if (w.fd >= 0)
    cgroup_oom_watch_close(&w);
  return rc;
}

int container_events(const char *root, const char *id, const struct events_opts *o,
                     events_emit_fn emit, void *ctx, berth_error **err) {
  struct handle h;
  if (handle_open(root, id, &h, err) < 0)
    return -1;
  if (o->interval_ns == 0) {
    handle_close(&h);
    return berth_fail_id(err, "BERTH-E-USAGE", 0, "duration interval must be greater than 0");
  }
  if (handle_status(&h) == STATUS_STOPPED) {
    handle_close(&h);
    return berth_fail_id(err, "BERTH-E-NOT-RUNNING", 0, "container with id %s is not running", id);
  }
  /* Keep the cgroup, let go of the lock: the stream may run for days. */
  cgroup *cg = h.cg;
  h.cg = NULL;
  int pidfd = o->stats_once ? -1 : handle_init_pidfd(&h);
  handle_close(&h);
  int rc;
  if (cg == NULL)
    rc = berth_fail(err, 0, "container with id %s has no cgroup", id);
  else if (o->stats_once)
    rc = emit_stats(cg, id, emit, ctx, err) < 0 ? -1 : 0;
  else if (pidfd < 0)
    rc = 0; /* it stopped in the meantime */
  else
    rc = stream(cg, id, pidfd, o->interval_ns, emit, ctx, err);
  if (pidfd >= 0)
    close(pidfd);
  cgroup_free(cg);
  return rc;
}
