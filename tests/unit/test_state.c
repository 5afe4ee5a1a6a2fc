/* How a container's status is read from the kernel: /proc/PID/stat of a
 * real child process, named as a created init is or as a started one, and
 * a real exec.fifo beside it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "unit.h"

/* A child that names itself NAME, says so on a pipe and waits to be
 * killed; its pid, or -1. */
static pid_t named_child(const char *name) {
  int p[2];
  if (pipe(p) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
    if (write(p[1], "x", 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  char c;
  close(p[1]);
  if (pid < 0 || read(p[0], &c, 1) != 1)
    pid = -1;
  close(p[0]);
  return pid;
}

/* The child has written to the pipe but may not be in pause() yet: wait
 * (up to a second) until its state letter says it sleeps. */
static void wait_sleeping(pid_t pid) {
  struct proc_stat ps;
  for (int i = 0; i < 200; i++) {
    if (proc_stat_at(AT_FDCWD, pid, &ps) == 0 && ps.state == 'S')
      return;
    usleep(5000);
  }
}

static void end_child(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static void test_proc_stat_reads_name_state_and_start(void) {
  pid_t init = named_child(STATE_INIT_COMM);
  pid_t odd = named_child("a) (b c)");
  CHECK(init > 0 && odd > 0);
  if (init <= 0 || odd <= 0)
    return;
  wait_sleeping(init);
  wait_sleeping(odd);
  int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHECK(procfd >= 0);
  struct proc_stat a, b, c;
  CHECK(proc_stat_at(AT_FDCWD, init, &a) == 0);
  CHECK(proc_stat_at(procfd, init, &b) == 0);
  CHECK(a.init_comm && b.init_comm);
  CHECK(a.start_time > 0 && a.start_time == b.start_time);
  CHECK(a.state == 'S');
  uint64_t start;
  char letter;
  CHECK(proc_stat_of(init, &start, &letter) == 0 && start == a.start_time && letter == 'S');
  /* A name with spaces and parentheses ends at the last ')'. */
  CHECK(proc_stat_at(procfd, odd, &c) == 0);
  CHECK(!c.init_comm && c.state == 'S' && c.start_time > 0);
  end_child(init);
  end_child(odd);
  CHECK(proc_stat_at(procfd, init, &a) < 0);
  close(procfd);
}

/* The status of a container whose init is CHILD, with or without its
 * exec.fifo in DIR, and with its state saying init_named or not. */
static enum container_status status_of(int dirfd, pid_t child, uint64_t start, bool init_named) {
  container_state st = {.pid = child, .start_time = start, .init_named = init_named};
  return state_process_status(dirfd, &st);
}

/* A fresh directory from the template DIR (…XXXXXX), opened; -1 if not. */
static int temp_dir(char *dir) {
  if (mkdtemp(dir) == NULL)
    return -1;
  return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void test_status_from_name_and_fifo(void) {
  char dir[] = "/tmp/berth-test-state.XXXXXX";
  int dirfd = temp_dir(dir);
  CHECK(dirfd >= 0);
  CHECK(mkfifoat(dirfd, STATE_FIFO, 0600) == 0);
  pid_t init = named_child(STATE_INIT_COMM);
  pid_t started = named_child("sleep");
  struct proc_stat pi, ps;
  CHECK(init > 0 && started > 0);
  if (init <= 0 || started <= 0 || proc_stat_at(AT_FDCWD, init, &pi) < 0 ||
      proc_stat_at(AT_FDCWD, started, &ps) < 0) {
    CHECK(!"children to read");
    return;
  }
  /* The fifo is there: a named init is created. */
  CHECK(status_of(dirfd, init, pi.start_time, true) == STATUS_CREATED);
  /* An init that executed its program is running: its name says so. */
  CHECK(status_of(dirfd, started, ps.start_time, true) == STATUS_RUNNING);
  /* A state without init_named is asked the fifo whatever the name. */
  CHECK(status_of(dirfd, started, ps.start_time, false) == STATUS_CREATED);
  CHECK(status_of(dirfd, init, pi.start_time, false) == STATUS_CREATED);
  /* Another process on the pid (another start time) is not the init. */
  CHECK(status_of(dirfd, init, pi.start_time + 1, true) == STATUS_STOPPED);
  CHECK(status_of(dirfd, 0, 0, true) == STATUS_STOPPED);
  /* Without the fifo every live init is running. */
  CHECK(unlinkat(dirfd, STATE_FIFO, 0) == 0);
  CHECK(status_of(dirfd, init, pi.start_time, true) == STATUS_RUNNING);
  CHECK(status_of(dirfd, started, ps.start_time, false) == STATUS_RUNNING);
  /* A zombie is stopped. */
  kill(init, SIGKILL);
  siginfo_t si;
  CHECK(waitid(P_PID, (id_t)init, &si, WEXITED | WNOWAIT) == 0);
  CHECK(status_of(dirfd, init, pi.start_time, true) == STATUS_STOPPED);
  waitpid(init, NULL, 0);
  end_child(started);
  close(dirfd);
  rmdir(dir);
}

/* state.json says what later commands need the config for; a state that
 * does not say, or names a use this berth does not know, needs it for all. */
static void test_config_uses_round_trip(void) {
  char dir[] = "/tmp/berth-state-uses-XXXXXX";
  int dirfd = temp_dir(dir);
  CHECK(dirfd >= 0);
  container_state st = {.id = "uses", .bundle = "/b", .rootfs = "/b/rootfs",
                        .created = "2026-01-01T00:00:00Z", .owner = "",
                        .config_uses_known = true,
                        .config_uses = CONFIG_FOR_POSTSTOP | CONFIG_FOR_KILL};
  berth_error *err = NULL;
  container_state *back = NULL;
  CHECK(state_save(dirfd, &st, &err) == 0);
  CHECK(state_load(dirfd, &back, &err) == 0);
  CHECK(back != NULL && back->config_uses_known &&
        back->config_uses == (CONFIG_FOR_POSTSTOP | CONFIG_FOR_KILL));
  container_state_free(back);
  back = NULL;
  st.config_uses = 0;
  CHECK(state_save(dirfd, &st, &err) == 0);
  CHECK(state_load(dirfd, &back, &err) == 0);
  CHECK(back != NULL && back->config_uses_known && back->config_uses == 0);
  container_state_free(back);
  back = NULL;
  st.config_uses_known = false;
  CHECK(state_save(dirfd, &st, &err) == 0);
  CHECK(state_load(dirfd, &back, &err) == 0);
  CHECK(back != NULL && !back->config_uses_known);
  container_state_free(back);
  back = NULL;
  static const char unknown_use[] =
      "{\"id\":\"uses\",\"pid\":0,\"start_time\":0,\"bundle\":\"/b\",\"rootfs\":\"/r\","
      "\"created\":\"c\",\"owner\":\"\",\"config_uses\":[\"poststop\",\"later\"]}";
  int fd = openat(dirfd, "state.json", O_WRONLY | O_TRUNC | O_CLOEXEC);
  CHECK(fd >= 0 && write(fd, unknown_use, sizeof(unknown_use) - 1) == (ssize_t)sizeof(unknown_use) - 1);
  if (fd >= 0)
    close(fd);
  CHECK(state_load(dirfd, &back, &err) == 0);
  CHECK(back != NULL && !back->config_uses_known);
  container_state_free(back);
  berth_error_free(err);
  unlinkat(dirfd, "state.json", 0);
  unlinkat(dirfd, "cgroup.json", 0);
  close(dirfd);
  CHECK(rmdir(dir) == 0);
}

/* The kept config.json is exactly the bytes given, made once: a second
 * copy must not replace the first. */
static void test_keep_config_exact_and_once(void) {
  char dir[] = "/tmp/berth-state-config-XXXXXX";
  int dirfd = temp_dir(dir);
  CHECK(dirfd >= 0);
  static const char text[] = "{\"ociVersion\":\"1.3.0\"}\n\0after a NUL";
  berth_error *err = NULL;
  CHECK(state_keep_config(dirfd, text, sizeof(text) - 1, &err) == 0);
  char back[128];
  int fd = openat(dirfd, STATE_CONFIG, O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  ssize_t n = fd >= 0 ? read(fd, back, sizeof(back)) : -1;
  CHECK(n == (ssize_t)sizeof(text) - 1 && memcmp(back, text, sizeof(text) - 1) == 0);
  if (fd >= 0)
    close(fd);
  CHECK(state_keep_config(dirfd, "{}", 2, &err) < 0);
  CHECK(err != NULL && err->code == EEXIST);
  berth_error_free(err);
  unlinkat(dirfd, STATE_CONFIG, 0);
  close(dirfd);
  CHECK(rmdir(dir) == 0);
}

/* What a reader finds in DIRFD: the init's pid and start time, and the
 * cgroup record's driver. */
static void check_on_disk(int dirfd, pid_t pid, uint64_t start_time,
                          const char *driver) {
  container_state *back = NULL;
  berth_error *err = NULL;
  CHECK(state_load(dirfd, &back, &err) == 0);
  CHECK(back != NULL && back->pid == pid && back->start_time == start_time);
  CHECK(back != NULL && strcmp(json_string_value(json_object_get(back->cgroup, "driver")),
                               driver) == 0);
  container_state_free(back);
  berth_error_free(err);
}

/* A staged state is invisible until committed: readers keep the state
 * written before (the provisional one, in create), then see the new one
 * whole, with its cgroup.json when asked. */
static void test_stage_then_commit(void) {
  char dir[] = "/tmp/berth-state-stage-XXXXXX";
  int dirfd = temp_dir(dir);
  CHECK(dirfd >= 0);
  container_state st = {.id = "staged", .bundle = "/b", .rootfs = "/b/rootfs",
                        .created = "2026-01-01T00:00:00Z", .owner = ""};
  st.cgroup = json_pack("{s:s}", "driver", "first");
  berth_error *err = NULL;
  CHECK(state_save(dirfd, &st, &err) == 0);
  st.pid = 4242;
  st.start_time = 77;
  json_decref(st.cgroup);
  st.cgroup = json_pack("{s:s}", "driver", "second");
  CHECK(state_stage(dirfd, &st, true, &err) == 0);
  check_on_disk(dirfd, 0, 0, "first");
  CHECK(state_commit_staged(dirfd, &st, true, &err) == 0);
  check_on_disk(dirfd, 4242, 77, "second");
  /* Nothing is left beside the two files. */
  CHECK(faccessat(dirfd, "state.json.tmp", F_OK, 0) < 0 && errno == ENOENT);
  CHECK(faccessat(dirfd, "cgroup.json.tmp", F_OK, 0) < 0 && errno == ENOENT);
  /* Without the cgroup, only state.json changes. */
  st.pid = 99;
  CHECK(state_stage(dirfd, &st, false, &err) == 0);
  CHECK(faccessat(dirfd, "cgroup.json.tmp", F_OK, 0) < 0 && errno == ENOENT);
  CHECK(state_commit_staged(dirfd, &st, false, &err) == 0);
  container_state *back = NULL;
  CHECK(state_load(dirfd, &back, &err) == 0);
  CHECK(back != NULL && back->pid == 99);
  container_state_free(back);
  /* A commit with nothing staged fails and says so. */
  CHECK(state_commit_staged(dirfd, &st, false, &err) < 0 && err != NULL);
  berth_error_free(err);
  json_decref(st.cgroup);
  unlinkat(dirfd, "state.json", 0);
  unlinkat(dirfd, "cgroup.json", 0);
  close(dirfd);
  CHECK(rmdir(dir) == 0);
}

/* Makes FILES (a trailing '/' makes a directory) in a fresh state
 * directory ROOT/ID, removes it with state_dir_remove, and checks nothing
 * is left. */
static void remove_holding(const char *const *files, size_t n) {
  char root[] = "/tmp/berth-state-remove-XXXXXX";
  CHECK(mkdtemp(root) != NULL);
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/c1", root);
  CHECK(mkdir(path, 0711) == 0);
  int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(dirfd >= 0);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(files[i]);
    char name[NAME_MAX + 1];
    snprintf(name, sizeof(name), "%.*s", (int)(files[i][len - 1] == '/' ? len - 1 : len),
             files[i]);
    if (files[i][len - 1] == '/') {
      CHECK(mkdirat(dirfd, name, 0700) == 0);
      int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      int fd = sub >= 0 ? openat(sub, "inside", O_CREAT | O_WRONLY | O_CLOEXEC, 0600) : -1;
      CHECK(fd >= 0);
      if (fd >= 0)
        close(fd);
      if (sub >= 0)
        close(sub);
    } else if (strcmp(name, STATE_FIFO) == 0) {
      CHECK(mkfifoat(dirfd, name, 0622) == 0);
    } else {
      int fd = openat(dirfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
      CHECK(fd >= 0 && write(fd, "{}", 2) == 2);
      if (fd >= 0)
        close(fd);
    }
  }
  berth_error *err = NULL;
  CHECK(state_dir_remove(root, "c1", dirfd, &err) == 0);
  if (err != NULL)
    fprintf(stderr, "  remove: %s\n", berth_error_text(err));
  CHECK(access(path, F_OK) < 0 && errno == ENOENT);
  berth_error_free(err);
  close(dirfd);
  CHECK(rmdir(root) == 0);
}

/* The usual files go without a listing; whatever else is there, a fifo,
 * a directory with a file in it, a file of another name, is still found
 * and removed; an empty directory, and one already gone, are no error. */
static void test_dir_remove(void) {
  static const char *const usual[] = {STATE_FILE, STATE_CGROUP, STATE_CONFIG};
  remove_holding(usual, 3);
  static const char *const more[] = {STATE_FILE, STATE_CONFIG, STATE_FIFO, "descriptors.json"};
  remove_holding(more, 4);
  /* A subdirectory is opened with openat2, so that a mount on it is not
   * followed; qemu-user, where the cross suite runs this, lacks it. */
  struct open_how how = {.flags = O_PATH | O_CLOEXEC};
  int probe = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
  if (probe >= 0) {
    close(probe);
    static const char *const with_dir[] = {STATE_FILE, "notify/"};
    remove_holding(with_dir, 2);
  } else {
    printf("state: removal of a subdirectory skipped, openat2 fails here (%s)\n",
           strerror(errno));
  }
  remove_holding(NULL, 0);
  char root[] = "/tmp/berth-state-gone-XXXXXX";
  CHECK(mkdtemp(root) != NULL);
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/c1", root);
  CHECK(mkdir(path, 0711) == 0);
  int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(dirfd >= 0 && rmdir(path) == 0);
  berth_error *err = NULL;
  CHECK(state_dir_remove(root, "c1", dirfd, &err) == 0 && err == NULL);
  berth_error_free(err);
  if (dirfd >= 0)
    close(dirfd);
  CHECK(rmdir(root) == 0);
}

/* A state root that does not exist yet is made, every missing level of
 * it, private; one that exists is used as it is. */
static void test_dir_create_makes_root(void) {
  char top[] = "/tmp/berth-state-root-XXXXXX";
  CHECK(mkdtemp(top) != NULL);
  char root[PATH_MAX];
  snprintf(root, sizeof(root), "%s/a/b", top);
  berth_error *err = NULL;
  int first = state_dir_create(root, "c1", &err);
  CHECK(first >= 0);
  struct stat st;
  CHECK(stat(root, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
  int second = state_dir_create(root, "c2", &err);
  CHECK(second >= 0);
  CHECK(state_dir_create(root, "c1", &err) < 0 && err != NULL);
  if (first >= 0)
    CHECK(state_dir_remove(root, "c1", first, &err) == 0);
  if (second >= 0)
    CHECK(state_dir_remove(root, "c2", second, &err) == 0);
  if (first >= 0)
    close(first);
  if (second >= 0)
    close(second);
  berth_error_free(err);
  CHECK(rmdir(root) == 0);
  snprintf(root, sizeof(root), "%s/a", top);
  CHECK(rmdir(root) == 0);
  CHECK(rmdir(top) == 0);
}

/* The hand-made UTC stamp reads as gmtime_r and strftime would write it,
 * across leap days, century years and before 1970. */
static void test_timestamp_matches_gmtime(void) {
  static const long long secs[] = {0,          -1,          59,         86399,      86400,
                                   951782400,  951868799,   4107542400, 4102444800, 1796500000,
                                   -86400,     -2208988800, 253402300799, 68169600, 1709164800};
  for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
    struct timespec ts = {.tv_sec = (time_t)secs[i], .tv_nsec = 123456789};
    struct tm tm;
    CHECK(gmtime_r(&ts.tv_sec, &tm) != NULL);
    char want[96], date[64];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(want, sizeof(want), "%s.123456789Z", date);
    char *got = state_timestamp(&ts);
    CHECK(got != NULL && strcmp(got, want) == 0);
    if (got == NULL || strcmp(got, want) != 0)
      fprintf(stderr, "  %lld: got %s, want %s\n", secs[i], got ? got : "(null)", want);
    free(got);
  }
}

int main(void) {
  test_timestamp_matches_gmtime();
  test_keep_config_exact_and_once();
  test_stage_then_commit();
  test_dir_remove();
  test_dir_create_makes_root();
  test_config_uses_round_trip();
  test_proc_stat_reads_name_state_and_start();
  test_status_from_name_and_fifo();
  return unit_summary("state");
}
