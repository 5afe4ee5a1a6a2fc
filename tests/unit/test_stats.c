/* update's size parser, events' duration parser and JSON, and the cgroup
 * statistics parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resources_cmd.h"
#include "unit.h"

static void check_size(const char *text, int64_t want) {
  int64_t got = -2;
  char *why = NULL;
  int rc = resources_parse_size(text, &got, &why);
  CHECK(rc == 0);
  CHECK(got == want);
  if (rc != 0 || got != want)
    fprintf(stderr, "  size \"%s\": rc %d got %lld (%s)\n", text, rc, (long long)got,
            why ? why : "");
  free(why);
}

static void check_size_error(const char *text, const char *want) {
  int64_t got = 0;
  char *why = NULL;
  CHECK(resources_parse_size(text, &got, &why) < 0);
  CHECK_STR_CONTAINS(why, want);
  free(why);
}

static void test_sizes(void) {
  check_size("0", 0);
  check_size("10", 10);
  check_size("1k", 1024);
  check_size("1K", 1024);
  check_size("1kb", 1024);
  check_size("1KiB", 1024);
  check_size("512m", 512LL << 20);
  check_size("512M", 512LL << 20);
  check_size("1g", 1LL << 30);
  check_size("2t", 2LL << 40);
  check_size("1p", 1LL << 50);
  check_size("1.5k", 1536);
  check_size("10 m", 10LL << 20);
  check_size("7b", 7);
  check_size_error("1x", "invalid size: '1x'");
  check_size_error("", "invalid size: ''");
  check_size_error("-5", "invalid size: '-5'");
  check_size_error("m", "invalid size: 'm'");
  check_size_error("1.", "invalid size: '1.'");
  check_size_error("1.2.3", "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
  check_size_error("1gg", "invalid size: '1gg'");
}

static void check_duration(const char *text, int64_t want) {
  int64_t got = -2;
  CHECK(events_parse_duration(text, &got) == 0);
  CHECK(got == want);
  if (got != want)
    fprintf(stderr, "  duration \"%s\": got %lld\n", text, (long long)got);
}

static void test_durations(void) {
  check_duration("5s", 5000000000LL);
  check_duration("100ms", 100000000LL);
  check_duration("1m", 60000000000LL);
  check_duration("1m30s", 90000000000LL);
  check_duration("1.5h", 5400000000000LL);
  check_duration("300us", 300000LL);
  check_duration("10ns", 10);
  check_duration("0", 0);
  check_duration("-1s", -1000000000LL);
  int64_t ns;
  CHECK(events_parse_duration("5", &ns) < 0);
  CHECK(events_parse_duration("x", &ns) < 0);
  CHECK(events_parse_duration("", &ns) < 0);
  CHECK(events_parse_duration("5x", &ns) < 0);
  CHECK(events_parse_duration(".s", &ns) < 0);
}

static void test_parsers(void) {
  cgroup_u64_list l = {0};
  CHECK(cgroup_parse_id_ranges("0-3,8\n", &l) == 0);
  CHECK(l.n == 5 && l.v[0] == 0 && l.v[3] == 3 && l.v[4] == 8);
  free(l.v);
  l = (cgroup_u64_list){0};
  CHECK(cgroup_parse_id_ranges("\n", &l) == 0 && l.n == 0);
  free(l.v);
  l = (cgroup_u64_list){0};
  CHECK(cgroup_parse_id_ranges("3-1", &l) < 0);
  free(l.v);

  cgroup_stat_kv *kv = NULL;
  size_t n = 0;
  CHECK(cgroup_parse_flat_keyed("cache 4096\nrss 8192\nbroken\n", &kv, &n) == 0);
  CHECK(n == 2 && strcmp(kv[0].key, "cache") == 0 && kv[1].value == 8192);
  for (size_t i = 0; i < n; i++)
    free(kv[i].key);
  free(kv);
  uint64_t v = 0;
  CHECK(cgroup_flat_keyed_get("nr_periods 5\nnr_throttled 3\n", "nr_throttled", &v) == 0);
  CHECK(v == 3);
  CHECK(cgroup_flat_keyed_get("nr_periods 5\n", "nr", &v) < 0);
}

/* What runc prints for a cgroup with nothing in it: Go keeps nested
 * objects and drops zero numbers marked omitempty. */
static void test_json(void) {
  cgroup_stats s;
  memset(&s, 0, sizeof(s));
  char *json = events_stats_json("c1", &s);
  const char *want =
      "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":{\"kernel\":0,\"user\":0},"
      "\"throttling\":{}},\"cpuset\":{\"cpu_exclusive\":0,\"mem_hardwall\":0,\"mem_exclusive\":0,"
      "\"memory_migrate\":0,\"memory_spread_page\":0,\"memory_spread_slab\":0,"
      "\"memory_pressure\":0,\"sched_load_balance\":0,\"sched_relax_domain_level\":0},"
      "\"memory\":{\"usage\":{\"limit\":0,\"failcnt\":0},\"swap\":{\"limit\":0,\"failcnt\":0},"
      "\"kernel\":{\"limit\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,\"failcnt\":0}},"
      "\"pids\":{},\"blkio\":{},\"hugetlb\":{},\"intel_rdt\":{},\"network_interfaces\":null}}";
  CHECK(json != NULL && strcmp(json, want) == 0);
  if (json != NULL && strcmp(json, want) != 0)
    fprintf(stderr, "  got  %s\n  want %s\n", json, want);
  free(json);

  s.memory.usage.limit = UINT64_MAX;
  cgroup_stat_kv raw[] = {{"zeta", 1}, {"alpha", 2}};
  s.memory.raw = raw;
  s.memory.n_raw = 2;
  uint64_t cpus[] = {0, 1};
  s.cpuset.cpus = (cgroup_u64_list){cpus, 2};
  json = events_stats_json("a<b", &s);
  CHECK_STR_CONTAINS(json, "\"usage\":{\"limit\":18446744073709551615,");
  CHECK_STR_CONTAINS(json, "\"raw\":{\"alpha\":2,\"zeta\":1}");
  CHECK_STR_CONTAINS(json, "\"cpuset\":{\"cpus\":[0,1],\"cpu_exclusive\":0");
  CHECK_STR_CONTAINS(json, "\"id\":\"a\\u003cb\"");
  free(json);

  json = events_oom_json("c1");
  CHECK(json != NULL && strcmp(json, "{\"type\":\"oom\",\"id\":\"c1\"}") == 0);
  free(json);
}

int main(void) {
  test_sizes();
  test_durations();
  test_parsers();
  test_json();
  return unit_summary("stats");
}
