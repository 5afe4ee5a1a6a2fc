/* The cgroup driver against the real cgroup hierarchies of this machine.
 * Everything made here is named "berth-test-<pid>-..." and swept away at
 * the end even when checks fail; only children this test forked are
 * signalled. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/cgroup_internal.h"
#include "unit.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static char prefix[64];   /* "berth-test-<pid>" */
static pid_t children[8]; /* forked by this test, reaped at the end */
static size_t n_children;

/* ---- helpers ---- */

static char *name(const char *suffix) {
  static char buf[8][128];
  static int next;
  char *b = buf[next++ % 8];
  snprintf(b, 128, "%s-%s", prefix, suffix);
  return b;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static char *read_text(const char *dir, const char *file) {
  char *text = NULL;
  if (cg_read(dir, file, &text, NULL) < 0)
    return strdup("(unreadable)");
  return text;
}

static bool file_is(const char *dir, const char *file, const char *want) {
  char *text = read_text(dir, file);
  text[strcspn(text, "\n")] = '\0';
  bool ok = strcmp(text, want) == 0;
  if (!ok)
    fprintf(stderr, "  %s/%s: \"%s\", want \"%s\"\n", dir, file, text, want);
  free(text);
  return ok;
}

static bool v2_has(const char *dir, const char *controller) {
  char *text = read_text(dir, "cgroup.controllers");
  bool has = strstr(text, controller) != NULL;
  free(text);
  return has;
}

static const char *err_text(berth_error *e) {
  return e ? berth_error_text(e) : "(no error)";
}

static bool fs_is(const char *path, long magic) {
  struct statfs st;
  return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

static enum cg_layout expected_layout(void) {
  if (fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
    return CG_LAYOUT_V2;
  if (fs_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
    return CG_LAYOUT_HYBRID;
  return CG_LAYOUT_V1;
}

static pid_t fork_pauser(void) {
  pid_t pid = fork();
  if (pid == 0) {
    for (;;)
      pause();
  }
  if (pid > 0 && n_children < sizeof(children) / sizeof(children[0]))
    children[n_children++] = pid;
  return pid;
}

/* Reap a child of ours; returns its wait status or -1. */
static int reap(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid)
    return -1;
  for (size_t i = 0; i < n_children; i++)
    if (children[i] == pid)
      children[i] = 0;
  return status;
}

static bool pid_listed(cgroup *cg, pid_t pid) {
  pid_t *pids = NULL;
  size_t n = 0;
  bool found = false;
  if (cgroup_pids(cg, &pids, &n, NULL) == 0)
    for (size_t i = 0; i < n; i++)
      found = found || pids[i] == pid;
  free(pids);
  return found;
}

/* ---- cleanup, whatever happened ---- */

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.')
      continue;
    char *child = cg_join(path, e->d_name);
    remove_tree(child);
    free(child);
  }
  closedir(d);
  rmdir(path);
}

/* Thaw everything below path, so killed tasks can die. */
static void thaw_tree(const char *path) {
  cg_write(path, "freezer.state", "THAWED", NULL);
  cg_write(path, "cgroup.freeze", "0", NULL);
  DIR *d = opendir(path);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.')
      continue;
    char *child = cg_join(path, e->d_name);
    thaw_tree(child);
    free(child);
  }
  closedir(d);
}

/* Our entries directly below dir: thawed on the first pass, removed on
 * the second. */
static void sweep_dir(const char *dir, bool remove) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || e->d_name[strlen(prefix)] != '-')
      continue;
    char *child = cg_join(dir, e->d_name);
    if (remove)
      remove_tree(child);
    else
      thaw_tree(child);
    free(child);
  }
  closedir(d);
}

/* Every place this test may have made a cgroup: the tops of the
 * hierarchies, our own cgroup and its parent. */
static void sweep(const cg_mount *m, bool remove) {
  sweep_dir(m->mountpoint, remove);
  char *own = NULL;
  if (m->own == NULL || asprintf(&own, "%s%s", m->mountpoint, m->own) < 0)
    return;
  sweep_dir(own, remove);
  char *slash = strrchr(own, '/');
  if (slash != NULL && slash > own + strlen(m->mountpoint)) {
    *slash = '\0';
    sweep_dir(own, remove);
  }
  free(own);
}

static void kill_children(void) {
  for (size_t i = 0; i < n_children; i++) {
    if (children[i] > 0) {
      kill(children[i], SIGKILL);
      waitpid(children[i], NULL, 0);
      children[i] = 0;
    }
  }
}

static void cleanup(void) {
  cg_host host;
  bool have_host = cg_host_detect(&host, NULL) == 0;
  for (size_t i = 0; have_host && i < host.n_mounts; i++)
    sweep(&host.mounts[i], false);
  kill_children();
  for (size_t i = 0; have_host && i < host.n_mounts; i++)
    sweep(&host.mounts[i], true);
  if (have_host)
    cg_host_release(&host);
}

/* ---- tests ---- */

static void test_clean_path(void) {
  static const char *const cases[][2] = {
      {"/a/../b", "/b"}, {"../x", "x"},   {"a/./b/", "a/b"}, {"/", "/"},
      {"..", "."},       {"", ""},        {"//a//b", "/a/b"}, {"/../../etc", "/etc"},
      {"a/../../b", "b"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *got = cg_clean_path(cases[i][0]);
    CHECK(got != NULL && strcmp(got, cases[i][1]) == 0);
    free(got);
  }
}

static void test_shares_to_weight(void) {
  CHECK(cg_shares_to_weight(0) == 0);
  CHECK(cg_shares_to_weight(2) == 1);
  CHECK(cg_shares_to_weight(3) == 2);
  CHECK(cg_shares_to_weight(512) == 59);
  CHECK(cg_shares_to_weight(1024) == 100);
  CHECK(cg_shares_to_weight(2048) == 174);
  CHECK(cg_shares_to_weight(4096) == 303);
  CHECK(cg_shares_to_weight(10000) == 627);
  CHECK(cg_shares_to_weight(262144) == 10000);
  CHECK(cg_blkio_to_io_weight(10) == 1);
  CHECK(cg_blkio_to_io_weight(1000) == 10000);
}

/* Placement rules on made-up hosts, including layouts this machine lacks. */
static void test_dir_for_mount(void) {
  cg_mount v2m = {.mountpoint = "/sys/fs/cgroup", .root = "/", .controllers = "",
                  .unified = true, .own = "/user.slice/session-1.scope"};
  cg_host v2 = {.layout = CG_LAYOUT_V2, .mounts = &v2m, .n_mounts = 1};
  cg_mount v1m = {.mountpoint = "/sys/fs/cgroup/cpu,cpuacct", .root = "/",
                  .controllers = "cpu,cpuacct", .own = "/runtime"};
  cg_host v1 = {.layout = CG_LAYOUT_V1, .mounts = &v1m, .n_mounts = 1};
  const struct {
    cg_host *host;
    const char *inner, *want;
  } cases[] = {
      {&v2, "web", "/sys/fs/cgroup/user.slice/web"},
      {&v2, "/machine/web", "/sys/fs/cgroup/machine/web"},
      {&v1, "web", "/sys/fs/cgroup/cpu,cpuacct/runtime/web"},
      {&v1, "/web", "/sys/fs/cgroup/cpu,cpuacct/web"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *got = NULL;
    CHECK(cg_dir_for_mount(cases[i].host, cases[i].host->mounts, cases[i].inner, &got,
                           NULL) == 0);
    CHECK(got != NULL && strcmp(got, cases[i].want) == 0);
    free(got);
  }
  cg_mount lost = v1m;
  lost.own = NULL;
  berth_error *err = NULL;
  char *got = NULL;
  CHECK(cg_dir_for_mount(&v1, &lost, "web", &got, &err) < 0);
  CHECK_STR_CONTAINS(err_text(err), "not listed in it");
  berth_error_free(err);
}

static void test_json_rejects(void) {
  static const char *const bad[] = {
      "{\"layout\": \"v4\", \"dirs\": []}",
      "{\"layout\": \"v1\"}",
      "{\"layout\": \"v1\", \"dirs\": [{\"mountpoint\": \"/sys/fs/cgroup/cpu\", "
      "\"controllers\": \"cpu\", \"unified\": false, \"path\": \"/etc\"}]}",
      "{\"layout\": \"v1\", \"dirs\": [{\"mountpoint\": \"/sys/fs/cgroup/cpu\", "
      "\"controllers\": \"cpu\", \"unified\": false, \"path\": \"/sys/fs/cgroup/cpu/a\", "
      "\"created\": [\"/sys/fs/cgroup/cpu/../../../etc\"]}]}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    json_t *j = json_loads(bad[i], 0, NULL);
    cgroup *cg = NULL;
    berth_error *err = NULL;
    CHECK(j != NULL && cgroup_from_json(j, &cg, &err) < 0 && cg == NULL);
    CHECK_STR_CONTAINS(err_text(err), "cgroup state");
    berth_error_free(err);
    json_decref(j);
  }
}

static void test_layout(void) {
  cg_host host;
  berth_error *err = NULL;
  CHECK(cg_host_detect(&host, &err) == 0);
  if (err != NULL) {
    fprintf(stderr, "  %s\n", err_text(err));
    berth_error_free(err);
    return;
  }
  CHECK(host.layout == expected_layout());
  size_t unified = 0;
  for (size_t i = 0; i < host.n_mounts; i++) {
    unified += host.mounts[i].unified;
    CHECK(host.mounts[i].own != NULL);
  }
  CHECK(unified == (host.layout == CG_LAYOUT_V1 ? 0u : 1u));
  if (host.layout != CG_LAYOUT_V2 && exists("/sys/fs/cgroup/systemd")) {
    bool named = false;
    for (size_t i = 0; i < host.n_mounts; i++)
      named = named || strcmp(host.mounts[i].controllers, "name=systemd") == 0;
    CHECK(named);
  }
  cg_host_release(&host);
}

static void test_create_destroy(void) {
  char path[160];
  snprintf(path, sizeof(path), "/%s/c1", name("abs"));
  cgroup *cg = NULL;
  berth_error *err = NULL;
  CHECK(cgroup_create(path, "ignored", false, &cg, &err) == 0);
  if (cg == NULL) {
    fprintf(stderr, "  %s\n", err_text(err));
    berth_error_free(err);
    return;
  }
  CHECK(cg->layout == expected_layout());
  CHECK(cg->n_dirs > 0);
  for (size_t i = 0; i < cg->n_dirs; i++) {
    cg_dir *d = &cg->dirs[i];
    CHECK(exists(d->path));
    CHECK(strcmp(d->path + strlen(d->mountpoint), path) == 0);
    CHECK(d->n_created == 2); /* the parent and the container directory */
  }
  /* clone3(CLONE_INTO_CGROUP) only where one directory holds everything. */
  if (cg->layout == CG_LAYOUT_V2)
    CHECK(cgroup_unified_fd(cg) >= 0);
  else
    CHECK(cgroup_unified_fd(cg) == -1);

  /* Round trip through the state representation. */
  json_t *j = cgroup_to_json(cg);
  cgroup *back = NULL;
  CHECK(j != NULL && cgroup_from_json(j, &back, &err) == 0);
  if (back != NULL) {
    CHECK(back->n_dirs == cg->n_dirs && back->layout == cg->layout);
    for (size_t i = 0; i < back->n_dirs && i < cg->n_dirs; i++) {
      CHECK(strcmp(back->dirs[i].path, cg->dirs[i].path) == 0);
      CHECK(back->dirs[i].n_created == cg->dirs[i].n_created);
    }
    CHECK(cgroup_destroy(back, &err) == 0);
    cgroup_free(back);
  }
  json_decref(j);
  for (size_t i = 0; i < cg->n_dirs; i++) {
    CHECK(!exists(cg->dirs[i].path));
    CHECK(!exists(cg->dirs[i].created[0]));
  }
  CHECK(cgroup_destroy(cg, &err) == 0); /* again: nothing left, no error */
  cgroup_free(cg);
  berth_error_free(err);
}

static void test_default_path(void) {
  cgroup *cg = NULL;
  berth_error *err = NULL;
  const char *id = name("dflt");
  CHECK(cgroup_create(NULL, id, false, &cg, &err) == 0);
  if (cg == NULL) {
    fprintf(stderr, "  %s\n", err_text(err));
    berth_error_free(err);
    return;
  }
  cg_host host;
  CHECK(cg_host_detect(&host, NULL) == 0);
  for (size_t i = 0; i < cg->n_dirs && i < host.n_mounts; i++) {
    /* runc's cgroupfs driver: relative to our own cgroup on v1 (and on
     * the hybrid cgroup2 mount), to its parent on pure v2. */
    char *want = NULL;
    const char *own = host.mounts[i].own;
    if (host.layout == CG_LAYOUT_V2) {
      char *parent = strdup(own);
      char *slash = strrchr(parent, '/');
      if (slash != NULL)
        *slash = '\0';
      CHECK(asprintf(&want, "%s%s/%s", host.mounts[i].mountpoint, parent, id) > 0);
      free(parent);
    } else {
      CHECK(asprintf(&want, "%s%s/%s", host.mounts[i].mountpoint,
                     strcmp(own, "/") == 0 ? "" : own, id) > 0);
    }
    CHECK(strcmp(cg->dirs[i].path, want) == 0);
    CHECK(exists(want));
    free(want);
  }
  cg_host_release(&host);
  CHECK(cgroup_destroy(cg, &err) == 0);
  for (size_t i = 0; i < cg->n_dirs; i++)
    CHECK(!exists(cg->dirs[i].path));
  cgroup_free(cg);
  berth_error_free(err);
}

static void test_create_failure_cleans_up(void) {
  char path[160];
  /* "cgroup.procs" is a file in every cgroup, so the walk fails below it. */
  snprintf(path, sizeof(path), "/%s/cgroup.procs/x", name("bad"));
  cgroup *cg = NULL;
  berth_error *err = NULL;
  CHECK(cgroup_create(path, "x", false, &cg, &err) < 0);
  CHECK(cg == NULL);
  CHECK(strcasestr(err_text(err), "not a directory") != NULL);
  berth_error_clear(&err);
  cg_host host;
  if (cg_host_detect(&host, NULL) == 0) {
    for (size_t i = 0; i < host.n_mounts; i++) {
      char *p = NULL;
      CHECK(asprintf(&p, "%s/%s", host.mounts[i].mountpoint, name("bad")) > 0);
      CHECK(!exists(p));
      free(p);
    }
    cg_host_release(&host);
  }
  CHECK(cgroup_create("/", "x", false, &cg, &err) < 0);
  CHECK_STR_CONTAINS(err_text(err), "linux.cgroupsPath");
  berth_error_clear(&err);
  CHECK(cgroup_create("system.slice/x", "x", true, &cg, &err) < 0);
  CHECK_STR_CONTAINS(err_text(err), "\"slice:prefix:name\" for systemd cgroups");
  berth_error_clear(&err);
}

static cgroup *make(const char *suffix) {
  char path[160];
  snprintf(path, sizeof(path), "/%s", name(suffix));
  cgroup *cg = NULL;
  berth_error *err = NULL;
  if (cgroup_create(path, "x", false, &cg, &err) < 0)
    fprintf(stderr, "  create %s: %s\n", path, err_text(err));
  berth_error_free(err);
  return cg;
}

static void check_v1_limits(cgroup *cg, bool swap) {
  cg_dir *mem = cg_find_v1(cg, "memory"), *cpu = cg_find_v1(cg, "cpu");
  cg_dir *pids = cg_find_v1(cg, "pids"), *cpuset = cg_find_v1(cg, "cpuset");
  cg_dir *devices = cg_find_v1(cg, "devices");
  if (mem) {
    CHECK(file_is(mem->path, "memory.limit_in_bytes", "67108864"));
    CHECK(file_is(mem->path, "memory.soft_limit_in_bytes", "33554432"));
    CHECK(file_is(mem->path, "memory.swappiness", "10"));
    if (swap)
      CHECK(file_is(mem->path, "memory.memsw.limit_in_bytes", "134217728"));
  }
  if (cpu) {
    CHECK(file_is(cpu->path, "cpu.shares", "512"));
    CHECK(file_is(cpu->path, "cpu.cfs_quota_us", "50000"));
    CHECK(file_is(cpu->path, "cpu.cfs_period_us", "100000"));
  }
  if (pids)
    CHECK(file_is(pids->path, "pids.max", "42"));
  if (cpuset)
    CHECK(file_is(cpuset->path, "cpuset.cpus", "0"));
  if (devices)
    CHECK(file_is(devices->path, "devices.list", "c 1:3 rwm"));
}

static void check_v2_limits(cgroup *cg) {
  cg_dir *u = cg_find_unified(cg);
  CHECK(file_is(u->path, "memory.max", "67108864"));
  CHECK(file_is(u->path, "memory.low", "33554432"));
  CHECK(file_is(u->path, "cpu.weight", "59"));
  CHECK(file_is(u->path, "cpu.max", "50000 100000"));
  CHECK(file_is(u->path, "pids.max", "42"));
}

static void test_apply(void) {
  cgroup *cg = make("apply");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  spec_device_rule rules[2] = {
      {.allow = false, .type = 'a', .access = "rwm"},
      {.allow = true, .type = 'c', .major = {true, 1}, .minor = {true, 3}, .access = "rwm"},
  };
  cg_dir *mem = cg_find_v1(cg, "memory");
  bool swap = mem != NULL && cg_file_exists(mem->path, "memory.memsw.limit_in_bytes");
  spec_memory memory = {.limit = {true, 64 << 20}, .reservation = {true, 32 << 20},
                        .swappiness = {true, 10}};
  if (swap)
    memory.swap = (opt_i64){true, 128 << 20};
  spec_cpu cpu = {.shares = {true, 512}, .quota = {true, 50000}, .period = {true, 100000},
                  .cpus = "0", .mems = "0"};
  bool huge = exists("/sys/kernel/mm/hugepages/hugepages-2048kB");
  spec_hugepage_limit hl = {.page_size = "2MB", .limit = 4 << 20};
  spec_resources res = {.devices = rules, .n_devices = 2, .memory = &memory, .cpu = &cpu,
                        .pids_limit = {true, 42}, .hugepage_limits = &hl,
                        .n_hugepage_limits = huge ? 1 : 0};
  berth_error *err = NULL;
  CHECK(cgroup_apply(cg, &res, &err) == 0);
  if (err != NULL)
    fprintf(stderr, "  apply: %s\n", err_text(err));
  berth_error_clear(&err);
  if (cg->layout == CG_LAYOUT_V2)
    check_v2_limits(cg);
  else
    check_v1_limits(cg, swap);
  if (huge) {
    cg_dir *h = cg_find_v1(cg, "hugetlb");
    if (h != NULL)
      CHECK(file_is(h->path, "hugetlb.2MB.limit_in_bytes", "4194304"));
    else
      CHECK(file_is(cg_find_unified(cg)->path, "hugetlb.2MB.max", "4194304"));
  }

  /* pids.limit 0 or below means no limit. */
  spec_resources unlimited = {.pids_limit = {true, 0}};
  CHECK(cgroup_apply(cg, &unlimited, &err) == 0);
  cg_dir *pids = cg->layout == CG_LAYOUT_V2 ? cg_find_unified(cg) : cg_find_v1(cg, "pids");
  if (pids)
    CHECK(file_is(pids->path, "pids.max", "max"));
  berth_error_clear(&err);
  CHECK(cgroup_destroy(cg, &err) == 0);
  cgroup_free(cg);
  berth_error_free(err);
}

/* Apply `res` and expect a failure whose text contains `want`. */
static void expect_apply_error(cgroup *cg, const spec_resources *res, const char *want) {
  berth_error *err = NULL;
  CHECK(cgroup_apply(cg, res, &err) < 0);
  CHECK_STR_CONTAINS(err_text(err), want);
  berth_error_free(err);
}

/* Device rules go through devices.allow and devices.deny opened once
 * each, in the order given; a rule the kernel refuses still names its
 * field and the file. */
static void test_device_rules_in_order(void) {
  cgroup *cg = make("devrules");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  cg_dir *devices = cg_find_v1(cg, "devices");
  if (devices != NULL) {
    spec_device_rule rules[] = {
        {.allow = false, .type = 'a'},
        {.allow = true, .type = 'c', .major = {true, 1}, .minor = {true, 3}, .access = "rwm"},
        {.allow = true, .type = 'b', .major = {true, 8}, .access = "r"},
        {.allow = false, .type = 'c', .major = {true, 1}, .minor = {true, 3}, .access = "w"},
        {.allow = true, .type = 'c', .major = {true, 5}, .minor = {true, 1}, .access = "rwz"},
    };
    spec_resources res = {.devices = rules, .n_devices = 4};
    berth_error *err = NULL;
    CHECK(cgroup_apply(cg, &res, &err) == 0);
    if (err != NULL)
      fprintf(stderr, "  device rules: %s\n", err_text(err));
    berth_error_clear(&err);
    char *list = read_text(devices->path, "devices.list");
    CHECK(strstr(list, "c 1:3 rm\n") != NULL && strstr(list, "b 8:* r\n") != NULL &&
          strstr(list, "c 1:3 rwm") == NULL);
    free(list);
    res.n_devices = 5;
    expect_apply_error(cg, &res, "linux.resources.devices[4]: write \"");
    expect_apply_error(cg, &res, "devices.allow\": ");
  }
  berth_error *err = NULL;
  CHECK(cgroup_destroy(cg, &err) == 0);
  cgroup_free(cg);
  berth_error_free(err);
}

static void test_apply_errors(void) {
  cgroup *cg = make("errors");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  berth_error *err = NULL;
  if (cg_find_v1(cg, "net_cls") == NULL) {
    spec_resources net = {.has_network = true, .net_class_id = {true, 0x100001}};
    expect_apply_error(cg, &net, "linux.resources.network.classID: the net_cls cgroup "
                                 "controller");
    spec_net_priority prio = {.name = "lo", .priority = 3};
    spec_resources np = {.has_network = true, .net_priorities = &prio, .n_net_priorities = 1};
    expect_apply_error(cg, &np, "linux.resources.network.priorities: the net_prio cgroup");
  }
  if (cg_find_v1(cg, "rdma") == NULL) {
    spec_rdma rdma = {.device = "mlx5_0", .hca_handles = {true, 3}};
    spec_resources r = {.rdma = &rdma, .n_rdma = 1};
    expect_apply_error(cg, &r, "linux.resources.rdma");
  }
  spec_memory bad_swappiness = {.swappiness = {true, 200}};
  spec_resources sw = {.memory = &bad_swappiness};
  if (cg->layout != CG_LAYOUT_V2)
    expect_apply_error(cg, &sw, "linux.resources.memory.swappiness");
  spec_cpu tiny = {.shares = {true, 1}};
  spec_resources sh = {.cpu = &tiny};
  if (cg->layout != CG_LAYOUT_V2)
    expect_apply_error(cg, &sh, "linux.resources.cpu.shares: 1 is out of range, the minimum");
  spec_hugepage_limit odd = {.page_size = "3MB", .limit = 1};
  spec_resources hp = {.hugepage_limits = &odd, .n_hugepage_limits = 1};
  expect_apply_error(cg, &hp, "linux.resources.hugepageLimits[0]: hugetlb.3MB.");

  /* unified needs a cgroup2 mount; this host's hybrid one has one. */
  spec_kv bogus = {.key = "memory.nonexistent", .value = "1"};
  spec_resources un = {.unified = {.v = &bogus, .n = 1}};
  if (cg->layout == CG_LAYOUT_V1) {
    expect_apply_error(cg, &un, "linux.resources.unified: cgroup v2 is not mounted");
  } else {
    /* On a hybrid host memory is a v1 hierarchy: refused as such. */
    if (cg->layout == CG_LAYOUT_V2 || cg_find_v1(cg, "memory") == NULL)
      expect_apply_error(cg, &un, "linux.resources.unified.memory.nonexistent: "
                                  "memory.nonexistent does not exist");
    else
      expect_apply_error(cg, &un, "linux.resources.unified.memory.nonexistent: the memory "
                                  "controller is on a cgroup v1 hierarchy on this host");
    spec_kv nofile = {.key = "hugetlb.nonexistent", .value = "1"};
    spec_resources nf = {.unified = {.v = &nofile, .n = 1}};
    expect_apply_error(cg, &nf, "linux.resources.unified.hugetlb.nonexistent: "
                                "hugetlb.nonexistent does not exist");
    spec_kv slash = {.key = "../cgroup.procs", .value = "1"};
    spec_resources sl = {.unified = {.v = &slash, .n = 1}};
    expect_apply_error(cg, &sl, "must be a file name");
    if (exists("/sys/kernel/mm/hugepages/hugepages-2048kB") &&
        cg_file_exists(cg_find_unified(cg)->path, "hugetlb.2MB.max")) {
      spec_kv ok = {.key = "hugetlb.2MB.max", .value = "2097152"};
      spec_resources good = {.unified = {.v = &ok, .n = 1}};
      CHECK(cgroup_apply(cg, &good, &err) == 0);
      CHECK(file_is(cg_find_unified(cg)->path, "hugetlb.2MB.max", "2097152"));
      berth_error_clear(&err);
    }
  }
  CHECK(cgroup_destroy(cg, &err) == 0);
  cgroup_free(cg);
  berth_error_free(err);
}

/* cgroup_destroy succeeds and none of cg's directories is left; frees cg. */
static void destroy_all_gone(cgroup *cg, const char *what) {
  berth_error *err = NULL;
  CHECK(cgroup_destroy(cg, &err) == 0);
  if (err != NULL)
    fprintf(stderr, "  %s: %s\n", what, err_text(err));
  for (size_t i = 0; i < cg->n_dirs; i++)
    CHECK(!exists(cg->dirs[i].path));
  cgroup_free(cg);
  berth_error_free(err);
}

static void test_processes(void) {
  cgroup *cg = make("procs");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  berth_error *err = NULL;
  pid_t child = fork_pauser();
  CHECK(child > 0);
  CHECK(cgroup_add_pid(cg, child, &err) == 0);
  if (err != NULL)
    fprintf(stderr, "  add_pid: %s\n", err_text(err));
  char want[32];
  snprintf(want, sizeof(want), "%d", (int)child);
  for (size_t i = 0; i < cg->n_dirs; i++)
    CHECK(file_is(cg->dirs[i].path, "cgroup.procs", want));
  CHECK(pid_listed(cg, child));

  CHECK(cgroup_is_frozen(cg, &err) == 0);
  CHECK(cgroup_freeze(cg, true, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 1);
  CHECK(cgroup_freeze(cg, false, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 0);

  /* A paused container stays paused for a non-fatal signal... */
  CHECK(cgroup_freeze(cg, true, &err) == 0);
  CHECK(cgroup_signal_all(cg, SIGCONT, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 1);
  /* ...and SIGKILL still gets through. */
  CHECK(cgroup_signal_all(cg, SIGKILL, &err) == 0);
  if (err != NULL)
    fprintf(stderr, "  signal_all: %s\n", err_text(err));
  int status = reap(child);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK(cgroup_is_frozen(cg, &err) == 0);
  CHECK(!pid_listed(cg, child));
  berth_error_free(err);
  destroy_all_gone(cg, "destroy");
}

/* A child of cgroup_clone3 that calls cgroup_join_self, or, told to join
 * later, waits for a byte on GO and calls cgroup_join_v1_later; its result
 * (the error's text, or "joined") comes back through a pipe, and the child
 * then waits to be killed. The parent's BETWEEN runs before the byte is
 * sent. 0 where there is no clone3: the test WHAT is then skipped, saying
 * so, and cg removed. */
static pid_t clone_joiner_between(cgroup *cg, const char *what, enum cgroup_entry *entry,
                                  void (*between)(cgroup *), char *said, size_t len) {
  int p[2], go[2];
  if (pipe(p) < 0)
    return -1;
  if (pipe(go) < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  struct clone_args args = {.exit_signal = SIGCHLD};
  pid_t pid = cgroup_clone3(cg, &args, entry);
  if (pid < 0 && errno == ENOSYS) {
    /* No clone3 (qemu-user): callers fork instead, and move the child. */
    CHECK(*entry == CGROUP_ENTRY_BY_PARENT && cg->join_fds == NULL);
    close(go[0]);
    close(go[1]);
    close(p[0]);
    close(p[1]);
    printf("  %s: skipped, no clone3 here (qemu-user): the parent moves the child\n", what);
    destroy_all_gone(cg, "destroy");
    return 0;
  }
  if (pid == 0) {
    berth_error *e = NULL;
    char byte;
    int rc = *entry == CGROUP_ENTRY_V1_LATER
                 ? (read(go[0], &byte, 1) == 1 ? cgroup_join_v1_later(cg, &e) : -1)
                 : cgroup_join_self(cg, &e);
    const char *text = rc == 0 ? "joined" : err_text(e);
    if (write(p[1], text, strlen(text)) < 0)
      _exit(1);
    close(p[1]);
    for (;;)
      pause();
  }
  close(p[1]);
  close(go[0]);
  if (pid > 0 && n_children < sizeof(children) / sizeof(children[0]))
    children[n_children++] = pid;
  if (pid > 0 && between != NULL)
    between(cg);
  CHECK(pid <= 0 || write(go[1], "g", 1) == 1);
  close(go[1]);
  ssize_t n = pid > 0 ? read(p[0], said, len - 1) : -1;
  said[n > 0 ? n : 0] = '\0';
  close(p[0]);
  return pid;
}

static pid_t clone_joiner(cgroup *cg, const char *what, bool *placed, char *said, size_t len) {
  enum cgroup_entry entry = CGROUP_ENTRY_BY_PARENT;
  pid_t pid = clone_joiner_between(cg, what, &entry, NULL, said, len);
  *placed = entry == CGROUP_ENTRY_PLACED;
  return pid;
}

/* Kills and reaps a clone_joiner child, then removes its cgroup. */
static void end_joiner(cgroup *cg, pid_t pid, const char *what) {
  if (pid > 0) {
    kill(pid, SIGKILL);
    reap(pid);
  }
  destroy_all_gone(cg, what);
}

/* The child said it joined and is in every directory of cg; then it is
 * ended and cg removed, as WHAT. */
static void end_joined_everywhere(cgroup *cg, pid_t pid, const char *said, const char *what) {
  CHECK(strcmp(said, "joined") == 0);
  if (strcmp(said, "joined") != 0)
    fprintf(stderr, "  %s: the child said %s\n", what, said);
  char want[32];
  snprintf(want, sizeof(want), "%d", (int)pid);
  for (size_t i = 0; pid > 0 && i < cg->n_dirs; i++)
    CHECK(file_is(cg->dirs[i].path, "cgroup.procs", want));
  end_joiner(cg, pid, what);
}

/* The clone's child is in every directory of the cgroup with no move by
 * the parent (which on cgroup.procs waits for an RCU grace period): born
 * in the cgroup2 one, joining v1 ones itself; the parent keeps no file of
 * it open. */
static void test_clone_joins_itself(void) {
  cgroup *cg = make("clone");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  bool placed = false;
  char said[512];
  pid_t pid = clone_joiner(cg, "clone", &placed, said, sizeof(said));
  if (pid == 0)
    return;
  CHECK(pid > 0);
  CHECK(placed);
  CHECK(cg->join_fds == NULL && cg->n_join_fds == 0);
  end_joined_everywhere(cg, pid, said, "destroy after clone");
}

/* A v1 directory the child cannot join (a cpuset without cpus) makes the
 * child's join fail with the directory named, and no move was left to
 * the parent. */
static void test_clone_join_refused(void) {
  cgroup *cg = make("clone-refused");
  cg_dir *cpuset = cg != NULL ? cg_find_v1(cg, "cpuset") : NULL;
  if (cpuset == NULL) {
    printf("  clone-refused: skipped, no v1 cpuset hierarchy on this host\n");
    if (cg != NULL)
      destroy_all_gone(cg, "destroy");
    return;
  }
  berth_error *err = NULL;
  CHECK(cg_write(cpuset->path, "cpuset.cpus", "\n", &err) == 0);
  CHECK(file_is(cpuset->path, "cpuset.cpus", ""));
  berth_error_free(err);
  bool placed = false;
  char said[512];
  pid_t pid = clone_joiner(cg, "clone-refused", &placed, said, sizeof(said));
  if (pid == 0)
    return;
  CHECK(pid > 0 && placed);
  char want[PATH_MAX + 64];
  snprintf(want, sizeof(want), "join the cgroup: write \"%s/tasks\"", cpuset->path);
  CHECK(strstr(said, want) != NULL && strcasestr(said, "no space left") != NULL);
  if (strstr(said, want) == NULL)
    fprintf(stderr, "  refused join said: %s\n", said);
  end_joiner(cg, pid, "destroy after refused clone");
}

/* Whether d's own directory is recorded as made for the container. */
static bool recorded_made(const cg_dir *d) {
  for (size_t i = 0; i < d->n_created; i++)
    if (strcmp(d->created[i], d->path) == 0)
      return true;
  return false;
}

static void make_v1_now(cgroup *cg) {
  berth_error *err = NULL;
  CHECK(cgroup_make_v1(cg, &err) == 0);
  if (err != NULL)
    fprintf(stderr, "  make v1: %s\n", err_text(err));
  berth_error_free(err);
  CHECK(cg->mkdir_helper == NULL);
  for (size_t i = 0; i < cg->n_dirs; i++)
    CHECK(cg_is_dir(cg->dirs[i].path) && recorded_made(&cg->dirs[i]));
}

static cgroup *make_later_at(const char *path) {
  cgroup *cg = NULL;
  berth_error *err = NULL;
  CHECK(cgroup_create_v1_later(path, "x", &cg, &err) == 0);
  if (cg == NULL)
    fprintf(stderr, "  create later %s: %s\n", path, err_text(err));
  berth_error_free(err);
  return cg;
}

static cgroup *make_later(const char *suffix) {
  char path[160];
  snprintf(path, sizeof(path), "/%s", name(suffix));
  return make_later_at(path);
}

/* cgroup_create_v1_later makes the cgroup2 directory, and the v1 ones in
 * the background (x86_64: the mkdir helper); cgroup_make_v1 has them all,
 * recorded as the container's. The child, born in the cgroup2 one, joins
 * the v1 ones by path once the parent has made them, and is then in every
 * directory with no move by the parent. */
static void test_clone_v1_later(void) {
  cgroup *cg = make_later("later");
  if (cg == NULL)
    return;
  bool v1 = false;
  for (size_t i = 0; i < cg->n_dirs; i++) {
    v1 = v1 || !cg->dirs[i].unified;
    CHECK(!cg->dirs[i].unified || cg_is_dir(cg->dirs[i].path));
  }
#if defined(__x86_64__)
  CHECK((cg->mkdir_helper != NULL) == v1);
#endif
  enum cgroup_entry entry = CGROUP_ENTRY_BY_PARENT;
  char said[512];
  pid_t pid = clone_joiner_between(cg, "clone-later", &entry, make_v1_now, said, sizeof(said));
  if (pid == 0)
    return;
  CHECK(pid > 0);
  CHECK(entry == (v1 ? CGROUP_ENTRY_V1_LATER : CGROUP_ENTRY_PLACED));
  end_joined_everywhere(cg, pid, said, "destroy after a later join");
}

/* A create given up before cgroup_make_v1 removes what the helper made;
 * a directory that was there before is not taken for the container's
 * (the helper's mkdir fails, and the usual walk finds it). */
static void test_v1_later_given_up_and_existing(void) {
  cgroup *cg = make_later("later-given-up");
  if (cg == NULL)
    return;
  destroy_all_gone(cg, "destroy before make v1");
  cg = make_later("later-existing");
  if (cg == NULL)
    return;
  cg_dir *theirs = NULL;
  for (size_t i = 0; i < cg->n_dirs && theirs == NULL; i++)
    if (!cg->dirs[i].unified && !cg_list_has(cg->dirs[i].controllers, "cpuset"))
      theirs = &cg->dirs[i];
  if (theirs == NULL) {
    printf("  later-existing: skipped, no v1 hierarchy on this host\n");
    destroy_all_gone(cg, "destroy");
    return;
  }
  berth_error *err = NULL;
  CHECK(cgroup_make_v1(cg, &err) == 0);
  berth_error_clear(&err);
  CHECK(cgroup_destroy(cg, &err) == 0);
  berth_error_clear(&err);
  /* Again, with one directory made by someone else first. */
  char *path = strdup(theirs->path);
  cgroup_free(cg);
  CHECK(path != NULL && mkdir(path, 0755) == 0);
  cg = make_later("later-existing");
  CHECK(cg != NULL && cgroup_make_v1(cg, &err) == 0);
  berth_error_free(err);
  for (size_t i = 0; cg != NULL && i < cg->n_dirs; i++) {
    bool is_theirs = path != NULL && strcmp(cg->dirs[i].path, path) == 0;
    CHECK(cg_is_dir(cg->dirs[i].path) && recorded_made(&cg->dirs[i]) == !is_theirs);
  }
  err = NULL;
  CHECK(cg != NULL && cgroup_destroy(cg, &err) == 0);
  berth_error_free(err);
  CHECK(path != NULL && cg_is_dir(path) && rmdir(path) == 0);
  cgroup_free(cg);
  free(path);
}

/* cgroup_make_v1 failing in one hierarchy (a parent that is a file there:
 * cpuset's own cpuset.cpus) still records what the helper made in the
 * hierarchies after it, so that destroy removes those too. */
static void test_v1_later_fails_half_way(void) {
  char path[160];
  snprintf(path, sizeof(path), "/cpuset.cpus/%s", name("half-way"));
  cgroup *probe = NULL;
  berth_error *err = NULL;
  CHECK(cgroup_reclaim(path, "x", &probe, &err) == 0);
  berth_error_clear(&err);
  size_t cpuset = probe != NULL ? probe->n_dirs : 0;
  for (size_t i = 0; i < cpuset; i++)
    if (!probe->dirs[i].unified && cg_list_has(probe->dirs[i].controllers, "cpuset"))
      cpuset = i;
  if (probe == NULL || cpuset == probe->n_dirs) {
    printf("  half-way: skipped, no v1 cpuset hierarchy on this host\n");
    cgroup_free(probe);
    return;
  }
  /* After cpuset, the parent is a directory: the helper makes the leaf. */
  char parents[16][PATH_MAX];
  size_t n_parents = 0;
  for (size_t i = cpuset + 1; i < probe->n_dirs && n_parents < 16; i++) {
    if (probe->dirs[i].unified)
      continue;
    const char *leaf = strrchr(probe->dirs[i].path, '/');
    snprintf(parents[n_parents], PATH_MAX, "%.*s", (int)(leaf - probe->dirs[i].path),
             probe->dirs[i].path);
    CHECK(mkdir(parents[n_parents], 0755) == 0);
    n_parents++;
  }
  cgroup_free(probe);
  cgroup *cg = make_later_at(path);
  CHECK(cg != NULL);
  if (cg != NULL) {
    CHECK(cgroup_make_v1(cg, &err) < 0 && err != NULL && err->code == ENOTDIR);
    berth_error_clear(&err);
    destroy_all_gone(cg, "destroy after a half-made cgroup");
  }
  for (size_t i = 0; i < n_parents; i++)
    CHECK(rmdir(parents[i]) == 0);
}

/* destroy removes what the container made below its directories, deepest
 * first (the first rmdir of a directory that holds more fails, and the
 * tree is walked then). */
static void test_destroy_nested(void) {
  cgroup *cg = make("nested");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  char sub[PATH_MAX];
  for (size_t i = 0; i < cg->n_dirs; i++) {
    snprintf(sub, sizeof(sub), "%s/made-inside", cg->dirs[i].path);
    CHECK(mkdir(sub, 0755) == 0);
    snprintf(sub, sizeof(sub), "%s/made-inside/deeper", cg->dirs[i].path);
    CHECK(mkdir(sub, 0755) == 0);
  }
  destroy_all_gone(cg, "destroy nested");
}

/* destroy waits out a task that is still dying. */
static void test_destroy_busy(void) {
  cgroup *cg = make("busy");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  berth_error *err = NULL;
  pid_t child = fork_pauser();
  CHECK(child > 0 && cgroup_add_pid(cg, child, &err) == 0);
  CHECK(cgroup_destroy(cg, &err) < 0); /* a live task: EBUSY to the end */
  CHECK(strcasestr(err_text(err), "resource busy") != NULL);
  berth_error_clear(&err);
  kill(child, SIGKILL);
  reap(child);
  CHECK(cgroup_destroy(cg, &err) == 0);
  for (size_t i = 0; i < cg->n_dirs; i++)
    CHECK(!exists(cg->dirs[i].path));
  cgroup_free(cg);
  berth_error_free(err);
}

/* cgroup_create of PATH, with *cpuset its v1 cpuset directory (or NULL). */
static cgroup *create_with_cpuset(const char *path, cg_dir **cpuset) {
  cgroup *cg = NULL;
  berth_error *err = NULL;
  CHECK(cgroup_create(path, "x", false, &cg, &err) == 0);
  if (err != NULL)
    fprintf(stderr, "  create %s: %s\n", path, err_text(err));
  berth_error_free(err);
  *cpuset = cg != NULL ? cg_find_v1(cg, "cpuset") : NULL;
  return cg;
}

/* A new v1 cpuset directory takes its own parent's cpus and mems (not the
 * root's), whether or not that parent sets cgroup.clone_children. */
static void test_cpuset_inherited(void) {
  static const char root[] = "/sys/fs/cgroup/cpuset";
  char probe[PATH_MAX];
  snprintf(probe, sizeof(probe), "%s/cpuset.cpus", root);
  if (!exists(probe) || fs_is(root, CGROUP2_SUPER_MAGIC)) {
    printf("cgroup: cpuset inheritance skipped, no v1 cpuset hierarchy at %s\n", root);
    return;
  }
  static const char *const clone_children[] = {"0", "1"};
  for (size_t i = 0; i < 2; i++) {
    char suffix[32], parent[PATH_MAX], path[PATH_MAX];
    snprintf(suffix, sizeof(suffix), "cpuset-%zu", i);
    snprintf(parent, sizeof(parent), "%s/%s", root, name(suffix));
    berth_error *err = NULL;
    CHECK(mkdir(parent, 0755) == 0);
    CHECK(cg_write(parent, "cpuset.cpus", "0", &err) == 0 &&
          cg_write(parent, "cpuset.mems", "0", &err) == 0 &&
          cg_write(parent, "cgroup.clone_children", clone_children[i], &err) == 0);
    snprintf(path, sizeof(path), "/%s/a/b", name(suffix));
    cgroup *cg = NULL;
    CHECK(cgroup_create(path, "x", false, &cg, &err) == 0);
    cg_dir *cpuset = cg ? cg_find_v1(cg, "cpuset") : NULL;
    CHECK(cpuset != NULL);
    if (cpuset != NULL) {
      CHECK(file_is(cpuset->path, "cpuset.cpus", "0"));
      CHECK(file_is(cpuset->path, "cpuset.mems", "0"));
    }
    if (err != NULL)
      fprintf(stderr, "  clone_children %s: %s\n", clone_children[i], err_text(err));
    if (cg != NULL)
      destroy_all_gone(cg, "destroy cpuset");
    /* Its parent there already: only the container's directory is made,
     * and only it is removed. */
    snprintf(path, sizeof(path), "/%s/leaf", name(suffix));
    cg = NULL;
    CHECK(cgroup_create(path, "x", false, &cg, &err) == 0);
    cpuset = cg ? cg_find_v1(cg, "cpuset") : NULL;
    CHECK(cpuset != NULL && cpuset->n_created == 1);
    if (cpuset != NULL)
      CHECK(file_is(cpuset->path, "cpuset.cpus", "0"));
    if (cg != NULL)
      destroy_all_gone(cg, "destroy cpuset leaf");
    /* A directory there already, blank (as mkdir leaves it without
     * clone_children), gets the parent's cpus and mems, as runc fills it:
     * the kernel would refuse the container's init there. */
    char existing[PATH_MAX + 16];
    snprintf(existing, sizeof(existing), "%s/existing", parent);
    if (i == 0 && mkdir(existing, 0755) == 0) {
      CHECK(file_is(existing, "cpuset.cpus", ""));
      snprintf(path, sizeof(path), "/%s/existing", name(suffix));
      cg = create_with_cpuset(path, &cpuset);
      CHECK(cpuset != NULL && cpuset->n_created == 0);
      CHECK(file_is(existing, "cpuset.cpus", "0"));
      CHECK(file_is(existing, "cpuset.mems", "0"));
      /* What berth made goes; the directory it found stays. */
      CHECK(cg != NULL && cgroup_destroy(cg, &err) == 0);
      cgroup_free(cg);
      CHECK(exists(existing));
      CHECK(rmdir(existing) == 0);
      /* A blank directory above a new one: filled on the way down too. */
      CHECK(mkdir(existing, 0755) == 0);
      snprintf(path, sizeof(path), "/%s/existing/below", name(suffix));
      cg = create_with_cpuset(path, &cpuset);
      CHECK(cpuset != NULL && cpuset->n_created == 1);
      CHECK(file_is(existing, "cpuset.cpus", "0"));
      if (cpuset != NULL)
        CHECK(file_is(cpuset->path, "cpuset.mems", "0"));
      CHECK(cg != NULL && cgroup_destroy(cg, &err) == 0);
      cgroup_free(cg);
      CHECK(rmdir(existing) == 0);
    }
    CHECK(exists(parent));
    CHECK(rmdir(parent) == 0);
    berth_error_free(err);
  }
}

/* Run in a private mount namespace that shows only the cgroup2 mount at
 * /sys/fs/cgroup, so the driver sees a pure v2 host. */
static void v2_checks(void) {
  cgroup *cg = make("v2");
  CHECK(cg != NULL);
  if (cg == NULL)
    return;
  berth_error *err = NULL;
  CHECK(cg->layout == CG_LAYOUT_V2 && cg->n_dirs == 1);
  CHECK(cgroup_unified_fd(cg) >= 0);
  spec_memory mem = {.limit = {true, 1 << 20}};
  spec_resources res = {.memory = &mem};
  if (!v2_has(cg->dirs[0].path, "memory"))
    expect_apply_error(cg, &res, "linux.resources.memory: the memory cgroup controller");
  if (exists("/sys/kernel/mm/hugepages/hugepages-2048kB") &&
      cg_file_exists(cg->dirs[0].path, "hugetlb.2MB.max")) {
    spec_hugepage_limit hl = {.page_size = "2MB", .limit = 2 << 20};
    spec_resources h = {.hugepage_limits = &hl, .n_hugepage_limits = 1};
    CHECK(cgroup_apply(cg, &h, &err) == 0);
    CHECK(file_is(cg->dirs[0].path, "hugetlb.2MB.max", "2097152"));
  }
  pid_t child = fork_pauser();
  CHECK(child > 0 && cgroup_add_pid(cg, child, &err) == 0);
  CHECK(pid_listed(cg, child));
  CHECK(cgroup_freeze(cg, true, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 1);
  CHECK(cgroup_freeze(cg, false, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 0);
  CHECK(cgroup_signal_all(cg, SIGKILL, &err) == 0);
  int status = reap(child);
  CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  if (err != NULL)
    fprintf(stderr, "  v2: %s\n", err_text(err));
  berth_error_clear(&err);
  CHECK(cgroup_destroy(cg, &err) == 0);
  CHECK(!exists(cg->dirs[0].path));
  cgroup_free(cg);
  berth_error_free(err);
}

static bool enter_v2_view(void) {
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return false;
  if (umount2("/sys/fs/cgroup", MNT_DETACH) < 0)
    return false;
  return mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) == 0;
}

static void test_pure_v2_view(void) {
  if (expected_layout() != CG_LAYOUT_HYBRID)
    return; /* v2 runs natively there; v1 has no cgroup2 to show */
  int fds[2];
  if (pipe(fds) < 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    n_children = 0;
    int counts[2] = {0, 1};
    if (enter_v2_view()) {
      unit_passed = unit_failed = 0;
      v2_checks();
      /* Whatever failed, leave no grandchild behind for init to adopt. */
      cg_mount top = {.mountpoint = "/sys/fs/cgroup", .own = NULL};
      sweep(&top, false);
      kill_children();
      counts[0] = unit_passed;
      counts[1] = unit_failed;
    } else {
      fprintf(stderr, "  could not set up a cgroup2-only mount namespace\n");
    }
    if (write(fds[1], counts, sizeof(counts)) != (ssize_t)sizeof(counts))
      _exit(1);
    _exit(0);
  }
  close(fds[1]);
  int counts[2] = {0, 1};
  ssize_t n = pid > 0 ? read(fds[0], counts, sizeof(counts)) : -1;
  close(fds[0]);
  if (pid > 0)
    waitpid(pid, NULL, 0);
  if (n != (ssize_t)sizeof(counts))
    counts[0] = 0, counts[1] = 1;
  unit_passed += counts[0];
  unit_failed += counts[1];
}

int main(void) {
  if (geteuid() != 0) {
    printf("cgroup: skipped, needs root to create cgroups\n");
    return 77;
  }
  snprintf(prefix, sizeof(prefix), "berth-test-%d", (int)getpid());
  test_clean_path();
  test_shares_to_weight();
  test_dir_for_mount();
  test_json_rejects();
  test_layout();
  test_create_destroy();
  test_default_path();
  test_create_failure_cleans_up();
  test_apply();
  test_apply_errors();
  test_processes();
  test_clone_joins_itself();
  test_clone_join_refused();
  test_clone_v1_later();
  test_v1_later_given_up_and_existing();
  test_v1_later_fails_half_way();
  test_destroy_busy();
  test_destroy_nested();
  test_cpuset_inherited();
  test_device_rules_in_order();
  test_pure_v2_view();
  cleanup();
  return unit_summary("cgroup");
}
