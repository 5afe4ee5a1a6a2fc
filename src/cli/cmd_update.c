/* update: new resource limits for a running container, from flags or from
 * a LinuxResources document (-r FILE, or - for stdin). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "log.h"
#include "resources_cmd.h"

/* The flags, as given (NULL when absent). */
struct update_flags {
  const char *resources;
  long blkio_weight, pids_limit;
  const char *cpu_period, *cpu_quota, *cpu_burst, *cpu_share, *cpu_rt_period, *cpu_rt_runtime;
  const char *cpu_idle, *cpuset_cpus, *cpuset_mems;
  const char *memory, *memory_reservation, *memory_swap, *kernel_memory, *kernel_memory_tcp;
  const char *l3_cache_schema, *mem_bw_schema;
};

/* The whole of fd; NULL with errno set on failure. */
static char *read_all(int fd, size_t *len) {
  size_t cap = 4096;
  char *buf = malloc(cap + 1);
  *len = 0;
  while (buf != NULL) {
    ssize_t n = read(fd, buf + *len, cap - *len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0) {
        buf[*len] = '\0';
        return buf;
      }
      break;
    }
    *len += (size_t)n;
    if (*len == cap) {
      char *bigger = realloc(buf, cap * 2 + 1);
      if (bigger == NULL)
        break;
      buf = bigger;
      cap *= 2;
    }
  }
  int saved = errno;
  free(buf);
  errno = saved;
  return NULL;
}

static char *read_resources_file(const char *path, size_t *len) {
  if (strcmp(path, "-") == 0)
    return read_all(STDIN_FILENO, len);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  char *text = read_all(fd, len);
  int saved = errno;
  close(fd);
  errno = saved;
  return text;
}

/* Go's strconv.ParseUint / ParseInt in base 10, with runc's wording. */
static int parse_number(const char *flag, const char *val, bool is_signed, json_int_t *out) {
  const char *digits = val + (is_signed && (*val == '-' || *val == '+'));
  bool syntax = *digits != '\0';
  for (const char *p = digits; *p; p++)
    syntax = syntax && *p >= '0' && *p <= '9';
  errno = 0;
  long long v = syntax ? strtoll(val, NULL, 10) : 0;
  if (!syntax || errno == ERANGE) {
    char *quoted = cli_go_quote(val);
    cli_log_error("invalid value for %s: strconv.Parse%s: parsing %s: %s", flag,
                  is_signed ? "Int" : "Uint", quoted ? quoted : val,
                  syntax ? "value out of range" : "invalid syntax");
    free(quoted);
    return -1;
  }
  *out = v;
  return 0;
}

static int set_number(json_t *obj, const char *key, const char *flag, const char *val,
                      bool is_signed) {
  json_int_t v;
  if (val == NULL)
    return 0;
  if (parse_number(flag, val, is_signed, &v) < 0)
    return -1;
  json_object_set_new(obj, key, json_integer(v));
  return 0;
}

static int set_size(json_t *obj, const char *key, const char *flag, const char *val) {
  if (val == NULL || *val == '\0')
    return 0;
  int64_t v = -1;
  char *why = NULL;
  if (strcmp(val, "-1") != 0 && resources_parse_size(val, &v, &why) < 0) {
    cli_log_error("invalid value for %s: %s", flag, why ? why : "invalid size");
    free(why);
    return -1;
  }
  json_object_set_new(obj, key, json_integer(v));
  return 0;
}

static int cpu_from_flags(const struct update_flags *f, json_t *cpu) {
  if (set_number(cpu, "burst", "cpu-burst", f->cpu_burst, false) < 0 ||
      set_number(cpu, "period", "cpu-period", f->cpu_period, false) < 0 ||
      set_number(cpu, "realtimePeriod", "cpu-rt-period", f->cpu_rt_period, false) < 0 ||
      set_number(cpu, "shares", "cpu-share", f->cpu_share, false) < 0 ||
      set_number(cpu, "quota", "cpu-quota", f->cpu_quota, true) < 0 ||
      set_number(cpu, "realtimeRuntime", "cpu-rt-runtime", f->cpu_rt_runtime, true) < 0 ||
      set_number(cpu, "idle", "cpu-idle", f->cpu_idle, true) < 0)
    return -1;
  if (f->cpuset_cpus != NULL && *f->cpuset_cpus)
    json_object_set_new(cpu, "cpus", json_string(f->cpuset_cpus));
  if (f->cpuset_mems != NULL && *f->cpuset_mems)
    json_object_set_new(cpu, "mems", json_string(f->cpuset_mems));
  return 0;
}

static int memory_from_flags(const struct update_flags *f, json_t *mem) {
  if (set_size(mem, "limit", "memory", f->memory) < 0 ||
      set_size(mem, "swap", "memory-swap", f->memory_swap) < 0 ||
      set_size(mem, "kernel", "kernel-memory", f->kernel_memory) < 0 ||
      set_size(mem, "kernelTCP", "kernel-memory-tcp", f->kernel_memory_tcp) < 0 ||
      set_size(mem, "reservation", "memory-reservation", f->memory_reservation) < 0)
    return -1;
  return 0;
}

/* The flags as a LinuxResources document; NULL after logging an error. */
static char *resources_from_flags(const struct update_flags *f, size_t *len) {
  json_t *doc = json_object(), *cpu = json_object(), *mem = json_object();
  char *text = NULL;
  if (cpu_from_flags(f, cpu) == 0 && memory_from_flags(f, mem) == 0) {
    if (json_object_size(mem) > 0)
      json_object_set(doc, "memory", mem);
    if (json_object_size(cpu) > 0)
      json_object_set(doc, "cpu", cpu);
    /* Zero is "leave it", as in runc (whose flags default to 0). */
    if (f->blkio_weight != 0)
      json_object_set_new(doc, "blockIO", json_pack("{sI}", "weight",
                                                    (json_int_t)f->blkio_weight));
    if (f->pids_limit != 0)
      json_object_set_new(doc, "pids", json_pack("{sI}", "limit", (json_int_t)f->pids_limit));
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL)
      cli_log_error("out of memory");
  }
  json_decref(cpu);
  json_decref(mem);
  json_decref(doc);
  *len = text ? strlen(text) : 0;
  return text;
}

static int run_update(struct cli_globals *g, const char *id, const struct update_flags *f) {
  struct update_request req = {.name = "resources",
                               .l3_cache_schema = f->l3_cache_schema,
                               .mem_bw_schema = f->mem_bw_schema};
  char *text;
  if (f->resources != NULL && *f->resources) {
    text = read_resources_file(f->resources, &req.len);
    if (text == NULL) {
      cli_log_error("open %s: %s", f->resources, cli_errno_text(errno));
      return 1;
    }
    req.name = strcmp(f->resources, "-") == 0 ? "<stdin>" : f->resources;
  } else if ((text = resources_from_flags(f, &req.len)) == NULL) {
    return 1;
  }
  req.json = text;
  berth_error *err = NULL;
  int rc = container_update(g->root, id, &req, &err) < 0 ? cli_fail(NULL, err) : 0;
  free(text);
  return rc;
}

int cmd_update(struct cli_globals *g, int argc, char **argv) {
  struct update_flags f = {0};
  const struct opt_def defs[] = {
      {"resources", 'r', OPT_STRING, &f.resources,
       "path to the file containing the resources to update or '-' to read from the standard "
       "input", "value"},
      {"blkio-weight", 0, OPT_INT, &f.blkio_weight,
       "Specifies per cgroup weight, range is from 10 to 1000", "value"},
      {"cpu-period", 0, OPT_STRING, &f.cpu_period,
       "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default", "value"},
      {"cpu-quota", 0, OPT_STRING, &f.cpu_quota,
       "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period", "value"},
      {"cpu-burst", 0, OPT_STRING, &f.cpu_burst,
       "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for "
       "burst a given period", "value"},
      {"cpu-share", 0, OPT_STRING, &f.cpu_share,
       "CPU shares (relative weight vs. other containers)", "value"},
      {"cpu-rt-period", 0, OPT_STRING, &f.cpu_rt_period,
       "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
       "value"},
      {"cpu-rt-runtime", 0, OPT_STRING, &f.cpu_rt_runtime,
       "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period", "value"},
      {"cpu-idle", 0, OPT_STRING, &f.cpu_idle,
       "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE", "value"},
      {"cpuset-cpus", 0, OPT_STRING, &f.cpuset_cpus, "CPU(s) to use", "value"},
      {"cpuset-mems", 0, OPT_STRING, &f.cpuset_mems, "Memory node(s) to use", "value"},
      {"kernel-memory", 0, OPT_STRING, &f.kernel_memory, NULL, NULL},
      {"kernel-memory-tcp", 0, OPT_STRING, &f.kernel_memory_tcp, NULL, NULL},
      {"memory", 0, OPT_STRING, &f.memory, "Memory limit (in bytes)", "value"},
      {"memory-reservation", 0, OPT_STRING, &f.memory_reservation,
       "Memory reservation or soft_limit (in bytes)", "value"},
      {"memory-swap", 0, OPT_STRING, &f.memory_swap,
       "Total memory usage (memory + swap); set '-1' to enable unlimited swap", "value"},
      {"pids-limit", 0, OPT_INT, &f.pids_limit,
       "Maximum number of pids allowed in the container", "value"},
      {"l3-cache-schema", 0, OPT_STRING, &f.l3_cache_schema,
       "The string of Intel RDT/CAT L3 cache schema", "value"},
      {"mem-bw-schema", 0, OPT_STRING, &f.mem_bw_schema,
       "The string of Intel RDT/MBA memory bandwidth schema", "value"},
      {0},
  };
  const struct opt_command_help help = {
      "update", "update container resource constraints", "<container-id>",
      "The update command change the resource constraints of a running container instance.\n\n"
      "The accepted format is as follow (unchanged values can be omitted):\n\n"
      "{\n  \"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0},\n"
      "  \"cpu\": {\"shares\": 0, \"quota\": 0, \"burst\": 0, \"period\": 0,\n"
      "          \"realtimeRuntime\": 0, \"realtimePeriod\": 0, \"cpus\": \"\", \"mems\": \"\","
      " \"idle\": 0},\n  \"blockIO\": {\"weight\": 0},\n  \"pids\": {\"limit\": 0}\n}\n\n"
      "Note: if data is to be read from a file or the standard input, all\n"
      "other options are ignored."};
  const char **pos = NULL;
  size_t npos = 0;
  int rc = cli_parse(&help, defs, argc, argv, false, &pos, &npos, 1, OPT_ARGS_EXACT);
  if (rc < 0)
    rc = run_update(g, pos[0], &f);
  free(pos);
  return rc;
}
