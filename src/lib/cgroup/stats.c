/* Reading a container's counters from its cgroup files, v1 and v2. Each
 * group is read from its v1 hierarchy when the host has one and from the
 * cgroup2 directory otherwise (a hybrid host may hold some controllers,
 * such as hugetlb, only there). A missing file leaves its fields at zero:
 * kernels differ in what they offer (kmem, memsw, cpuacct.usage_all...). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "stats.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL

static const char *v1_path(cgroup *cg, const char *controller) {
  cg_dir *d = cg_find_v1(cg, controller);
  return d != NULL ? d->path : NULL;
}

static const char *unified_path(cgroup *cg) {
  cg_dir *u = cg_find_unified(cg);
  return u != NULL ? u->path : NULL;
}

/* The whole file, or NULL when it cannot be read. */
static char *slurp(const char *dir, const char *file) {
  char *text = NULL;
  if (dir == NULL || cg_read(dir, file, &text, NULL) < 0)
    return NULL;
  return text;
}

/* One number; "max" reads as `unlimited`. False when absent or malformed. */
static bool read_value(const char *dir, const char *file, uint64_t unlimited, uint64_t *out) {
  char *text = slurp(dir, file);
  if (text == NULL)
    return false;
  bool ok = true;
  if (strncmp(text, "max", 3) == 0) {
    *out = unlimited;
  } else {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    ok = errno == 0 && end != text && text[0] != '-';
    if (ok)
      *out = v;
  }
  free(text);
  return ok;
}

static int list_push(cgroup_u64_list *l, uint64_t v) {
  uint64_t *bigger = realloc(l->v, (l->n + 1) * sizeof(*l->v));
  if (bigger == NULL)
    return -1;
  l->v = bigger;
  l->v[l->n++] = v;
  return 0;
}

static void list_free(cgroup_u64_list *l) {
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

int cgroup_parse_id_ranges(const char *text, cgroup_u64_list *out) {
  const char *p = text;
  while (*p && *p != '\n') {
    char *end = NULL;
    uint64_t lo = strtoull(p, &end, 10), hi = lo;
    if (end == p)
      return -1;
    p = end;
    if (*p == '-') {
      hi = strtoull(p + 1, &end, 10);
      if (end == p + 1 || hi < lo)
        return -1;
      p = end;
    }
    for (uint64_t v = lo; v <= hi; v++)
      if (list_push(out, v) < 0)
        return -1;
    if (*p == ',')
      p++;
    else if (*p && *p != '\n')
      return -1;
  }
  return 0;
}

int cgroup_parse_flat_keyed(const char *text, cgroup_stat_kv **out, size_t *n) {
  const char *line = text;
  while (line != NULL && *line) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    const char *sp = memchr(line, ' ', len);
    if (sp != NULL && sp > line) {
      char *end = NULL;
      uint64_t v = strtoull(sp + 1, &end, 10);
      if (end != sp + 1 && (end == line + len)) {
        cgroup_stat_kv *bigger = realloc(*out, (*n + 1) * sizeof(**out));
        char *key = strndup(line, (size_t)(sp - line));
        if (bigger == NULL || key == NULL) {
          if (bigger != NULL)
            *out = bigger;
          free(key);
          return -1;
        }
        *out = bigger;
        (*out)[*n].key = key;
        (*out)[(*n)++].value = v;
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  return 0;
}

int cgroup_flat_keyed_get(const char *text, const char *key, uint64_t *out) {
  size_t klen = strlen(key);
  for (const char *line = text; line != NULL && *line;) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
      *out = strtoull(line + klen + 1, NULL, 10);
      return 0;
    }
    line = strchr(line, '\n');
    if (line != NULL)
      line++;
  }
  return -1;
}

/* A keyed value of one file; false when the file or the key is absent. */
static bool read_keyed(const char *dir, const char *file, const char *key, uint64_t *out) {
  char *text = slurp(dir, file);
  bool ok = text != NULL && cgroup_flat_keyed_get(text, key, out) == 0;
  free(text);
  return ok;
}

/* ---- cpu ---- */

static void read_u64_list(const char *dir, const char *file, cgroup_u64_list *out) {
  char *text = slurp(dir, file);
  if (text == NULL)
    return;
  char *p = text, *end = NULL;
  for (;;) {
    uint64_t v = strtoull(p, &end, 10);
    if (end == p || list_push(out, v) < 0)
      break;
    p = end;
  }
  free(text);
}

/* cpuacct.usage_all: a "cpu user system" header, then one line per cpu. */
static void read_usage_all(const char *dir, cgroup_stats *s) {
  char *text = slurp(dir, "cpuacct.usage_all");
  if (text == NULL)
    return;
  char *line = strchr(text, '\n');
  while (line != NULL && *++line) {
    unsigned long long cpu, user, sys;
    if (sscanf(line, "%llu %llu %llu", &cpu, &user, &sys) == 3) {
      list_push(&s->cpu.percpu_user, user);
      list_push(&s->cpu.percpu_kernel, sys);
    }
    line = strchr(line, '\n');
  }
  free(text);
}

static void read_cpu_v1(cgroup *cg, cgroup_stats *s) {
  const char *acct = v1_path(cg, "cpuacct");
  if (acct != NULL) {
    read_value(acct, "cpuacct.usage", 0, &s->cpu.total);
    read_u64_list(acct, "cpuacct.usage_percpu", &s->cpu.percpu);
    read_usage_all(acct, s);
    /* cpuacct.stat counts USER_HZ ticks. */
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t ticks;
    if (hz > 0 && read_keyed(acct, "cpuacct.stat", "user", &ticks))
      s->cpu.user = ticks * NSEC_PER_SEC / (uint64_t)hz;
    if (hz > 0 && read_keyed(acct, "cpuacct.stat", "system", &ticks))
      s->cpu.kernel = ticks * NSEC_PER_SEC / (uint64_t)hz;
  }
  const char *cpu = v1_path(cg, "cpu");
  char *text = slurp(cpu, "cpu.stat");
  if (text != NULL) {
    cgroup_flat_keyed_get(text, "nr_periods", &s->cpu.periods);
    cgroup_flat_keyed_get(text, "nr_throttled", &s->cpu.throttled_periods);
    cgroup_flat_keyed_get(text, "throttled_time", &s->cpu.throttled_time);
    free(text);
  }
}

/* cgroup2's cpu.stat counts microseconds. */
static void read_cpu_v2(const char *dir, cgroup_stats *s) {
  char *text = slurp(dir, "cpu.stat");
  if (text == NULL)
    return;
  uint64_t v;
  if (cgroup_flat_keyed_get(text, "usage_usec", &v) == 0)
    s->cpu.total = v * NSEC_PER_USEC;
  if (cgroup_flat_keyed_get(text, "user_usec", &v) == 0)
    s->cpu.user = v * NSEC_PER_USEC;
  if (cgroup_flat_keyed_get(text, "system_usec", &v) == 0)
    s->cpu.kernel = v * NSEC_PER_USEC;
  cgroup_flat_keyed_get(text, "nr_periods", &s->cpu.periods);
  cgroup_flat_keyed_get(text, "nr_throttled", &s->cpu.throttled_periods);
  if (cgroup_flat_keyed_get(text, "throttled_usec", &v) == 0)
    s->cpu.throttled_time = v * NSEC_PER_USEC;
  free(text);
}

static void read_cpuset_v1(const char *dir, cgroup_stats *s) {
  char *text = slurp(dir, "cpuset.cpus");
  if (text == NULL)
    return;
  s->cpuset.present = true;
  cgroup_parse_id_ranges(text, &s->cpuset.cpus);
  free(text);
  if ((text = slurp(dir, "cpuset.mems")) != NULL)
    cgroup_parse_id_ranges(text, &s->cpuset.mems);
  free(text);
  read_value(dir, "cpuset.cpu_exclusive", 0, &s->cpuset.cpu_exclusive);
  read_value(dir, "cpuset.mem_hardwall", 0, &s->cpuset.mem_hardwall);
  read_value(dir, "cpuset.mem_exclusive", 0, &s->cpuset.mem_exclusive);
  read_value(dir, "cpuset.memory_migrate", 0, &s->cpuset.memory_migrate);
  read_value(dir, "cpuset.memory_spread_page", 0, &s->cpuset.memory_spread_page);
  read_value(dir, "cpuset.memory_spread_slab", 0, &s->cpuset.memory_spread_slab);
  read_value(dir, "cpuset.memory_pressure", 0, &s->cpuset.memory_pressure);
  read_value(dir, "cpuset.sched_load_balance", 0, &s->cpuset.sched_load_balance);
  if ((text = slurp(dir, "cpuset.sched_relax_domain_level")) != NULL)
    s->cpuset.sched_relax_domain_level = strtoll(text, NULL, 10);
  free(text);
}

/* ---- memory ---- */

static int read_memory_stat(const char *dir, cgroup_stats *s, const char *cache_key) {
  char *text = slurp(dir, "memory.stat");
  if (text == NULL)
    return 0;
  int rc = cgroup_parse_flat_keyed(text, &s->memory.raw, &s->memory.n_raw);
  free(text);
  for (size_t i = 0; i < s->memory.n_raw; i++)
    if (strcmp(s->memory.raw[i].key, cache_key) == 0)
      s->memory.cache = s->memory.raw[i].value;
  return rc;
}

/* v1: memory.<part>usage_in_bytes and its siblings; part is "", "memsw.",
 * "kmem." or "kmem.tcp.". */
static void read_v1_entry(const char *dir, const char *part, cgroup_memory_entry *e) {
  static const char *const names[] = {"usage_in_bytes", "max_usage_in_bytes", "failcnt",
                                      "limit_in_bytes"};
  uint64_t *fields[] = {&e->usage, &e->max, &e->failcnt, &e->limit};
  char file[64];
  for (size_t i = 0; i < 4; i++) {
    snprintf(file, sizeof(file), "memory.%s%s", part, names[i]);
    read_value(dir, file, UINT64_MAX, fields[i]);
  }
}

static int read_memory_v1(const char *dir, cgroup_stats *s) {
  read_v1_entry(dir, "", &s->memory.usage);
  read_v1_entry(dir, "memsw.", &s->memory.swap);
  read_v1_entry(dir, "kmem.", &s->memory.kernel);
  read_v1_entry(dir, "kmem.tcp.", &s->memory.kernel_tcp);
  return read_memory_stat(dir, s, "cache");
}

static int read_memory_v2(const char *dir, cgroup_stats *s) {
  cgroup_memory_entry *u = &s->memory.usage, *sw = &s->memory.swap;
  if (!read_value(dir, "memory.current", 0, &u->usage))
    return 0; /* no memory controller here */
  read_value(dir, "memory.max", UINT64_MAX, &u->limit);
  read_value(dir, "memory.peak", 0, &u->max);
  read_keyed(dir, "memory.events", "max", &u->failcnt);
  /* v1 reports swap as memory+swap; keep that meaning on v2. */
  uint64_t swap_usage = 0, swap_limit = UINT64_MAX;
  bool has_swap = read_value(dir, "memory.swap.current", 0, &swap_usage);
  read_value(dir, "memory.swap.max", UINT64_MAX, &swap_limit);
  if (has_swap) {
    sw->usage = swap_usage + u->usage;
    sw->limit = swap_limit == UINT64_MAX || u->limit == UINT64_MAX ? UINT64_MAX
                                                                   : swap_limit + u->limit;
  }
  return read_memory_stat(dir, s, "file");
}

/* ---- pids ---- */

static void read_pids(const char *dir, cgroup_stats *s) {
  read_value(dir, "pids.current", 0, &s->pids.current);
  read_value(dir, "pids.max", 0, &s->pids.limit);
}

/* ---- block I/O ---- */

static int blkio_push(cgroup_blkio_list *l, const cgroup_blkio_entry *e) {
  cgroup_blkio_entry *bigger = realloc(l->v, (l->n + 1) * sizeof(*l->v));
  if (bigger == NULL)
    return -1;
  l->v = bigger;
  l->v[l->n++] = *e;
  return 0;
}

/* v1 lines: "8:0 Read 4096" or "8:0 4096"; the closing "Total N" line,
 * which has no device, is left out. */
static int read_blkio_file(const char *dir, const char *file, cgroup_blkio_list *l) {
  char *text = slurp(dir, file);
  if (text == NULL)
    return 0;
  int rc = 0;
  for (char *line = strtok(text, "\n"); line != NULL && rc == 0; line = strtok(NULL, "\n")) {
    cgroup_blkio_entry e = {0};
    unsigned long long major, minor, value;
    char op[16];
    if (sscanf(line, "%llu:%llu %15s %llu", &major, &minor, op, &value) == 4) {
      snprintf(e.op, sizeof(e.op), "%s", op);
    } else if (sscanf(line, "%llu:%llu %llu", &major, &minor, &value) != 3) {
      continue;
    }
    e.major = major;
    e.minor = minor;
    e.value = value;
    rc = blkio_push(l, &e);
  }
  free(text);
  return rc;
}

static int read_blkio_v1(const char *dir, cgroup_stats *s) {
  static const char *const names[BLKIO_KIND_COUNT] = {
      "io_service_bytes_recursive", "io_serviced_recursive", "io_queued_recursive",
      "io_service_time_recursive",  "io_wait_time_recursive", "io_merged_recursive",
      "time_recursive",             "sectors_recursive"};
  /* The CFQ (or BFQ) files when the scheduler keeps them, else the
   * throttle layer's two, which every kernel has. */
  const char *prefixes[] = {"blkio.", "blkio.bfq.", NULL};
  char file[80];
  for (size_t p = 0; prefixes[p] != NULL; p++) {
    snprintf(file, sizeof(file), "%s%s", prefixes[p], names[BLKIO_SERVICED]);
    char *probe = slurp(dir, file);
    bool useful = probe != NULL && strchr(probe, ':') != NULL;
    free(probe);
    if (!useful)
      continue;
    for (int k = 0; k < BLKIO_KIND_COUNT; k++) {
      snprintf(file, sizeof(file), "%s%s", prefixes[p], names[k]);
      if (read_blkio_file(dir, file, &s->blkio[k]) < 0)
        return -1;
    }
    return 0;
  }
  if (read_blkio_file(dir, "blkio.throttle.io_service_bytes_recursive",
                      &s->blkio[BLKIO_SERVICE_BYTES]) < 0 ||
      read_blkio_file(dir, "blkio.throttle.io_serviced_recursive", &s->blkio[BLKIO_SERVICED]) <
          0)
    return -1;
  return 0;
}

/* One io.stat field as a Read/Write/Discard entry. */
static int io_stat_field(cgroup_stats *s, uint64_t major, uint64_t minor, const char *field) {
  static const struct {
    const char *key, *op;
    enum cgroup_blkio_kind kind;
  } map[] = {{"rbytes", "Read", BLKIO_SERVICE_BYTES}, {"wbytes", "Write", BLKIO_SERVICE_BYTES},
             {"dbytes", "Discard", BLKIO_SERVICE_BYTES}, {"rios", "Read", BLKIO_SERVICED},
             {"wios", "Write", BLKIO_SERVICED},          {"dios", "Discard", BLKIO_SERVICED}};
  const char *eq = strchr(field, '=');
  if (eq == NULL)
    return 0;
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    if (strlen(map[i].key) == (size_t)(eq - field) &&
        strncmp(field, map[i].key, (size_t)(eq - field)) == 0) {
      cgroup_blkio_entry e = {.major = major, .minor = minor};
      snprintf(e.op, sizeof(e.op), "%s", map[i].op);
      e.value = strtoull(eq + 1, NULL, 10);
      return blkio_push(&s->blkio[map[i].kind], &e);
    }
  }
  return 0;
}

static int read_io_v2(const char *dir, cgroup_stats *s) {
  char *text = slurp(dir, "io.stat");
  if (text == NULL)
    return 0;
  int rc = 0;
  char *save_line = NULL;
  for (char *line = strtok_r(text, "\n", &save_line); line != NULL && rc == 0;
       line = strtok_r(NULL, "\n", &save_line)) {
    unsigned long long major, minor;
    if (sscanf(line, "%llu:%llu", &major, &minor) != 2)
      continue;
    char *save_field = NULL;
    strtok_r(line, " ", &save_field);
    for (char *f = strtok_r(NULL, " ", &save_field); f != NULL && rc == 0;
         f = strtok_r(NULL, " ", &save_field))
      rc = io_stat_field(s, major, minor, f);
  }
  free(text);
  return rc;
}

/* ---- hugetlb ---- */

/* "hugetlb.2MB.usage_in_bytes" (v1) or "hugetlb.2MB.current" (v2) -> "2MB". */
static char *hugetlb_page_size(const char *name, const char *suffix) {
  size_t len = strlen(name), slen = strlen(suffix);
  if (strncmp(name, "hugetlb.", 8) != 0 || len <= 8 + slen ||
      strcmp(name + len - slen, suffix) != 0)
    return NULL;
  char *size = strndup(name + 8, len - 8 - slen);
  if (size != NULL && (strchr(size, '.') != NULL || *size == '\0')) {
    free(size); /* hugetlb.2MB.rsvd.*: reservations, not usage */
    size = NULL;
  }
  return size;
}

static int hugetlb_one(const char *dir, bool v2, char *size, cgroup_stats *s) {
  cgroup_hugetlb_stat *bigger = realloc(s->hugetlb, (s->n_hugetlb + 1) * sizeof(*bigger));
  if (bigger == NULL) {
    free(size);
    return -1;
  }
  s->hugetlb = bigger;
  cgroup_hugetlb_stat *h = &s->hugetlb[s->n_hugetlb++];
  memset(h, 0, sizeof(*h));
  h->page_size = size;
  char file[96];
  snprintf(file, sizeof(file), "hugetlb.%s.%s", size, v2 ? "current" : "usage_in_bytes");
  read_value(dir, file, 0, &h->usage);
  if (v2) {
    snprintf(file, sizeof(file), "hugetlb.%s.events", size);
    read_keyed(dir, file, "max", &h->failcnt);
    return 0;
  }
  snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", size);
  read_value(dir, file, 0, &h->max);
  snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
  read_value(dir, file, 0, &h->failcnt);
  return 0;
}

static int read_hugetlb(const char *dir, bool v2, cgroup_stats *s) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    char *size = hugetlb_page_size(e->d_name, v2 ? ".current" : ".usage_in_bytes");
    if (size != NULL)
      rc = hugetlb_one(dir, v2, size, s);
  }
  closedir(d);
  return rc;
}

/* ---- the whole set ---- */

static int read_memory_io(cgroup *cg, const char *unified, cgroup_stats *s) {
  const char *dir = v1_path(cg, "memory");
  if ((dir != NULL ? read_memory_v1(dir, s) : read_memory_v2(unified, s)) < 0)
    return -1;
  if ((dir = v1_path(cg, "blkio")) != NULL)
    return read_blkio_v1(dir, s);
  return unified != NULL ? read_io_v2(unified, s) : 0;
}

int cgroup_stats_read(cgroup *cg, cgroup_stats *out, berth_error **err) {
  memset(out, 0, sizeof(*out));
  const char *unified = unified_path(cg);
  if (v1_path(cg, "cpuacct") != NULL || v1_path(cg, "cpu") != NULL)
    read_cpu_v1(cg, out);
  else if (unified != NULL)
    read_cpu_v2(unified, out);
  const char *dir = v1_path(cg, "cpuset");
  if (dir != NULL)
    read_cpuset_v1(dir, out);
  dir = v1_path(cg, "pids");
  read_pids(dir != NULL ? dir : unified, out);
  int rc = read_memory_io(cg, unified, out);
  if (rc == 0) {
    dir = v1_path(cg, "hugetlb");
    if (dir != NULL)
      rc = read_hugetlb(dir, false, out);
    else if (unified != NULL)
      rc = read_hugetlb(unified, true, out);
  }
  return rc < 0 ? berth_fail(err, ENOMEM, "read cgroup statistics") : 0;
}

void cgroup_stats_free(cgroup_stats *s) {
  if (s == NULL)
    return;
  list_free(&s->cpu.percpu);
  list_free(&s->cpu.percpu_kernel);
  list_free(&s->cpu.percpu_user);
  list_free(&s->cpuset.cpus);
  list_free(&s->cpuset.mems);
  for (size_t i = 0; i < s->memory.n_raw; i++)
    free(s->memory.raw[i].key);
  free(s->memory.raw);
  for (int k = 0; k < BLKIO_KIND_COUNT; k++)
    free(s->blkio[k].v);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    free(s->hugetlb[i].page_size);
  free(s->hugetlb);
  memset(s, 0, sizeof(*s));
}

/* ---- OOM notifications ---- */

static int oom_watch_v1(const char *dir, cgroup_oom_watch *w, berth_error **err) {
  w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->fd < 0)
    return berth_fail_errno(err, "eventfd");
  char *path = cg_join(dir, "memory.oom_control");
  if (path == NULL)
    return berth_fail(err, ENOMEM, "watch OOM events");
  w->oom_control_fd = open(path, O_RDONLY | O_CLOEXEC);
  free(path);
  if (w->oom_control_fd < 0)
    return berth_fail_errno(err, "open \"%s/memory.oom_control\"", dir);
  char line[32];
  snprintf(line, sizeof(line), "%d %d", w->fd, w->oom_control_fd);
  return cg_write(dir, "cgroup.event_control", line, err);
}

static int oom_watch_v2(const char *dir, cgroup_oom_watch *w, berth_error **err) {
  w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->fd < 0)
    return berth_fail_errno(err, "inotify_init1");
  const char *files[] = {"memory.events", "cgroup.events"};
  for (size_t i = 0; i < 2; i++) {
    char *path = cg_join(dir, files[i]);
    int wd = path == NULL ? -1 : inotify_add_watch(w->fd, path, IN_MODIFY);
    free(path);
    if (wd < 0)
      return berth_fail_errno(err, "watch \"%s/%s\"", dir, files[i]);
  }
  read_keyed(dir, "memory.events", "oom_kill", &w->oom_kills);
  return 0;
}

int cgroup_oom_watch_open(cgroup *cg, cgroup_oom_watch *w, berth_error **err) {
  memset(w, 0, sizeof(*w));
  w->fd = w->oom_control_fd = -1;
  const char *dir = v1_path(cg, "memory");
  w->v2 = dir == NULL;
  if (w->v2)
    dir = unified_path(cg);
  if (dir == NULL || (w->v2 && !cg_file_exists(dir, "memory.events")))
    return berth_fail_id(err, "BERTH-E-CGROUP-CONTROLLER", ENOTSUP,
                         "the container has no memory cgroup to watch");
  w->dir = strdup(dir);
  if (w->dir == NULL)
    return berth_fail(err, ENOMEM, "watch OOM events");
  if ((w->v2 ? oom_watch_v2 : oom_watch_v1)(dir, w, err) < 0) {
    cgroup_oom_watch_close(w);
    return -1;
  }
  return 0;
}

/* The eventfd counts notifications; removing the cgroup sends one more. */
static int oom_read_v1(cgroup_oom_watch *w, bool *gone) {
  uint64_t count = 0;
  if (read(w->fd, &count, sizeof(count)) != sizeof(count))
    return 0;
  if (!cg_file_exists(w->dir, "cgroup.event_control")) {
    *gone = true;
    count--;
  }
  return count > INT32_MAX ? INT32_MAX : (int)count;
}

static int oom_read_v2(cgroup_oom_watch *w, bool *gone) {
  char buf[4096];
  while (read(w->fd, buf, sizeof(buf)) > 0)
    ; /* which file changed matters less than what they now say */
  uint64_t kills = 0, populated = 1;
  if (!read_keyed(w->dir, "memory.events", "oom_kill", &kills)) {
    *gone = true;
    return 0;
  }
  if (read_keyed(w->dir, "cgroup.events", "populated", &populated) && populated == 0)
    *gone = true;
  int n = kills > w->oom_kills ? (int)(kills - w->oom_kills) : 0;
  w->oom_kills = kills;
  return n;
}

int cgroup_oom_watch_read(cgroup_oom_watch *w, bool *gone) {
  *gone = false;
  return w->v2 ? oom_read_v2(w, gone) : oom_read_v1(w, gone);
}

void cgroup_oom_watch_close(cgroup_oom_watch *w) {
  if (w->fd >= 0)
    close(w->fd);
  if (w->oom_control_fd >= 0)
    close(w->oom_control_fd);
  free(w->dir);
  w->fd = w->oom_control_fd = -1;
  w->dir = NULL;
}
