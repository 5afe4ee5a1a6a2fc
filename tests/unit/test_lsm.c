/* AppArmor/SELinux attribute writes: the refusals on a host without those
 * LSMs, the exact bytes written (into a test directory), and that neither
 * a fake file nor a bind mount over /proc/self/attr catches the write. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "unit.h"

static char tmp[] = "/tmp/berth-lsm-XXXXXX";

static void put(const char *rel, const char *content) {
  char path[256];
  snprintf(path, sizeof(path), "%s/%s", tmp, rel);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CHECK(fd >= 0);
  if (fd >= 0) {
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
  }
}

/* The file's whole content, or "<missing>". */
static const char *get(const char *rel) {
  static char buf[256];
  char path[256];
  snprintf(path, sizeof(path), "%s/%s", tmp, rel);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "<missing>";
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

static void make_fake_task_dir(void) {
  char path[256];
  snprintf(path, sizeof(path), "%s/attr", tmp);
  mkdir(path, 0755);
  snprintf(path, sizeof(path), "%s/attr/apparmor", tmp);
  mkdir(path, 0755);
  put("attr/exec", "");
  put("attr/keycreate", "");
  put("attr/apparmor/exec", "");
}

/* ---- refusals where the LSM is off ---- */

static void test_not_enabled(void) {
  bool aa = access("/sys/kernel/security/apparmor", F_OK) == 0;
  CHECK(lsm_apparmor_enabled() == (aa && lsm_apparmor_enabled()));
  berth_error *e = NULL;
  int procfd = lsm_open_trusted_proc(&e);
  CHECK(procfd >= 0);
  if (!lsm_apparmor_enabled()) {
    /* Refused by the kernel: the "not enabled" refusal belongs to
     * validation, on the host side (see test_apparmor_apply_in_container). */
    CHECK(lsm_apply_apparmor(procfd, "myprof", &e) < 0);
    CHECK(e != NULL && e->code != 0);
    CHECK_STR_CONTAINS(berth_error_text(e), "process.apparmorProfile: apparmor failed to apply "
                                            "profile \"myprof\"");
    berth_error_clear(&e);
  }
  if (!lsm_selinux_enabled()) {
    CHECK(lsm_apply_selinux_exec_label(procfd, "system_u:system_r:container_t:s0", &e) < 0);
    CHECK_STR_CONTAINS(berth_error_text(e), "process.selinuxLabel: selinux label is specified "
                                            "in config, but selinux is disabled or not supported");
    berth_error_clear(&e);
    CHECK(lsm_apply_selinux_keyring_label(procfd, "system_u:system_r:container_t:s0", &e) < 0);
    berth_error_clear(&e);
  }
  /* Nothing asked, nothing done, whatever the host has. */
  CHECK(lsm_apply_apparmor(procfd, NULL, &e) == 0 && lsm_apply_apparmor(procfd, "", &e) == 0);
  CHECK(lsm_apply_selinux_exec_label(procfd, "", &e) == 0 && e == NULL);
  close(procfd);
}

/* ---- AppArmor applied where the container's /sys is all there is ---- */

/* The profile is applied in the container after pivot_root, where
 * securityfs is not mounted: a check of /sys there said "AppArmor is not
 * enabled" on every AppArmor host and no profile could ever be applied.
 * Here /sys is an empty tmpfs, as good as the container's; the write must
 * still go to the kernel and the error be the kernel's. */
static int apparmor_hidden_sys_child(void) {
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return 1;
  if (mount("tmpfs", "/sys", "tmpfs", 0, NULL) < 0)
    return 2;
  if (access("/sys/kernel/security/apparmor", F_OK) == 0)
    return 3;
  berth_error *e = NULL;
  int procfd = lsm_open_trusted_proc(&e);
  if (procfd < 0)
    return 4;
  int rc = lsm_apply_apparmor(procfd, "berth-unit-no-such-profile", &e);
  close(procfd);
  if (rc == 0 || e == NULL)
    return 5; /* no such profile anywhere: the kernel must refuse */
  const char *text = berth_error_text(e);
  if (strstr(text, "not enabled") != NULL)
    return 6; /* decided from the (hidden) /sys, not by the kernel */
  if (e->code == 0 || strstr(text, ": write attr/") == NULL)
    return 7;
  if (strstr(text, "process.apparmorProfile: apparmor failed to apply profile "
                   "\"berth-unit-no-such-profile\"") == NULL)
    return 8;
  /* On an AppArmor host the kernel's ENOENT is explained. */
  if (e->code == ENOENT && strstr(text, "no profile by that name is loaded") == NULL)
    return 9;
  berth_error_free(e);
  return 0;
}

static void test_apparmor_apply_in_container(void) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(apparmor_hidden_sys_child());
  int status = -1;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "hidden-/sys child failed at step %d\n", WEXITSTATUS(status));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- the trusted procfs ---- */

static void test_trusted_proc(void) {
  berth_error *e = NULL;
  int procfd = lsm_open_trusted_proc(&e);
  CHECK(procfd >= 0);
  struct statfs sfs;
  CHECK(fstatfs(procfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC);
  char link[64], want[64];
  ssize_t n = readlinkat(procfd, "thread-self", link, sizeof(link) - 1);
  CHECK(n > 0);
  link[n < 0 ? 0 : n] = '\0';
  snprintf(want, sizeof(want), "%d/task/%d", getpid(), gettid());
  CHECK(strcmp(link, want) == 0);
  int task = lsm_open_thread_self(procfd, &e);
  CHECK(task >= 0);
  struct stat st;
  CHECK(fstatat(task, "attr/exec", &st, 0) == 0);
  close(task);
  close(procfd);

  /* The fallback takes only the root of a procfs mount. */
  CHECK(lsm_open_proc_mount(tmp, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "is not the root of a procfs mount");
  berth_error_clear(&e);
  CHECK(lsm_open_proc_mount("/proc/self", &e) < 0);
  berth_error_clear(&e);
  int fd = lsm_open_proc_mount("/proc", &e);
  CHECK(fd >= 0);
  if (fd >= 0)
    close(fd);
}

/* ---- the bytes ---- */

static void test_bytes_written(void) {
  make_fake_task_dir();
  int dir = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  berth_error *e = NULL;
  CHECK(lsm_apparmor_write_at(dir, "myprof", false, &e) == 0);
  CHECK(strcmp(get("attr/apparmor/exec"), "exec myprof") == 0);
  CHECK(strcmp(get("attr/exec"), "") == 0);

  /* An older kernel without attr/apparmor: the shared attr/exec. */
  char path[256];
  snprintf(path, sizeof(path), "%s/attr/apparmor/exec", tmp);
  unlink(path);
  snprintf(path, sizeof(path), "%s/attr/apparmor", tmp);
  rmdir(path);
  CHECK(lsm_apparmor_write_at(dir, "other//child", false, &e) == 0);
  CHECK(strcmp(get("attr/exec"), "exec other//child") == 0);

  const char *label = "system_u:system_r:container_t:s0:c1,c2";
  put("attr/exec", "");
  CHECK(lsm_selinux_write_at(dir, "exec", label, false, &e) == 0);
  CHECK(strcmp(get("attr/exec"), label) == 0);
  CHECK(lsm_selinux_write_at(dir, "keycreate", label, false, &e) == 0);
  CHECK(strcmp(get("attr/keycreate"), label) == 0);

  /* One value, one line: a newline could smuggle a second command. */
  CHECK(lsm_apparmor_write_at(dir, "a\nchangeprofile b", false, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "contains a newline");
  berth_error_clear(&e);

  /* Not procfs: refused when procfs is required (as it always is). */
  put("attr/exec", "");
  CHECK(lsm_apparmor_write_at(dir, "myprof", true, &e) < 0);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.apparmorProfile: apparmor failed to apply "
                                          "profile \"myprof\": open attr/exec: not a procfs");
  berth_error_clear(&e);
  CHECK(strcmp(get("attr/exec"), "") == 0);

  /* A symlink where the attribute should be is not followed. */
  snprintf(path, sizeof(path), "%s/attr/exec", tmp);
  unlink(path);
  put("decoy", "");
  CHECK(symlink("../decoy", path) == 0);
  CHECK(lsm_selinux_write_at(dir, "exec", label, false, &e) < 0);
  CHECK(e != NULL && e->code == ELOOP);
  CHECK_STR_CONTAINS(berth_error_text(e), "process.selinuxLabel: set exec label");
  berth_error_clear(&e);
  CHECK(strcmp(get("decoy"), "") == 0);
  unlink(path);
  close(dir);
}

/* ---- a bind mount over /proc/self/attr ---- */

static int bind_attack_child(void) {
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return 1;
  make_fake_task_dir();
  put("attr/exec", "");
  char fake[256];
  snprintf(fake, sizeof(fake), "%s/attr", tmp);
  /* Both the process's and the thread's directory, as an attacker would. */
  if (mount(fake, "/proc/self/attr", NULL, MS_BIND, NULL) < 0 ||
      mount(fake, "/proc/thread-self/attr", NULL, MS_BIND, NULL) < 0)
    return 2;
  /* The attack works on the plain path... */
  int naive = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
  if (naive < 0 || write(naive, "caught", 6) != 6)
    return 3;
  close(naive);
  if (strcmp(get("attr/exec"), "caught") != 0)
    return 4;

  /* ...but not on the private procfs: the write reaches the kernel (which
   * refuses it without an LSM, or applies it), never the fake file. */
  berth_error *e = NULL;
  int procfd = lsm_open_trusted_proc(&e);
  int task = procfd >= 0 ? lsm_open_thread_self(procfd, &e) : -1;
  if (task < 0)
    return 5;
  int rc = lsm_selinux_write_at(task, "exec", "system_u:system_r:container_t:s0", true, &e);
  if (rc < 0 && (e == NULL || e->code == EXDEV || e->code == EPERM))
    return 6;
  berth_error_clear(&e);
  if (strcmp(get("attr/exec"), "caught") != 0)
    return 7;
  close(task);
  close(procfd);

  /* The /proc fallback sees the mount and refuses to cross it. */
  procfd = lsm_open_proc_mount("/proc", &e);
  task = procfd >= 0 ? lsm_open_thread_self(procfd, &e) : -1;
  if (task < 0)
    return 8;
  if (lsm_apparmor_write_at(task, "myprof", true, &e) == 0 || e->code != EXDEV)
    return 9;
  if (strstr(berth_error_text(e), "something is mounted over it") == NULL)
    return 10;
  berth_error_clear(&e);
  if (strcmp(get("attr/exec"), "caught") != 0 || strcmp(get("attr/apparmor/exec"), "") != 0)
    return 11;
  return 0;
}

static void test_bind_mount_over_attr(void) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(bind_attack_child());
  int status = -1;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "bind-mount child failed at step %d\n", WEXITSTATUS(status));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- mount label ---- */

static void test_mount_context(void) {
  char *o = lsm_mount_context_option("system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
  CHECK(o != NULL && strcmp(o, "context=\"system_u:object_r:svirt_sandbox_file_t:s0:c715,c811\"")
                         == 0);
  free(o);
  CHECK(lsm_mount_context_option(NULL) == NULL && errno == 0);
  CHECK(lsm_mount_context_option("") == NULL && errno == 0);
  CHECK(lsm_mount_context_option("a\"b") == NULL && errno == EINVAL);
  CHECK(lsm_mount_context_option("a\nb") == NULL && errno == EINVAL);
}

/* The data a labelled filesystem is mounted with: the spec's options
 * first, the quoted context last, commas of the MCS label kept inside the
 * quotes. */
static void test_mount_data_with_context(void) {
  const char *label = "system_u:object_r:container_file_t:s0:c1,c2";
  char *d = lsm_mount_data_with_context("mode=755,size=65536k", label);
  CHECK(d != NULL &&
        strcmp(d, "mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\"")
            == 0);
  free(d);
  d = lsm_mount_data_with_context(NULL, label);
  CHECK(d != NULL && strcmp(d, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"") == 0);
  free(d);
  d = lsm_mount_data_with_context("", label);
  CHECK(d != NULL && strcmp(d, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"") == 0);
  free(d);
  CHECK(lsm_mount_data_with_context("mode=755", "") == NULL && errno == 0);
  CHECK(lsm_mount_data_with_context("mode=755", "bad\"label") == NULL && errno == EINVAL);
}

static void remove_tmp(void) {
  const char *files[] = {"attr/apparmor/exec", "attr/exec", "attr/keycreate", "decoy"};
  char path[256];
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", tmp, files[i]);
    unlink(path);
  }
  snprintf(path, sizeof(path), "%s/attr/apparmor", tmp);
  rmdir(path);
  snprintf(path, sizeof(path), "%s/attr", tmp);
  rmdir(path);
  CHECK(rmdir(tmp) == 0);
}

int main(void) {
  if (geteuid() != 0) {
    printf("test_lsm: skipped (needs root)\n");
    return 77;
  }
  if (mkdtemp(tmp) == NULL)
    return 1;
  test_not_enabled();
  test_apparmor_apply_in_container();
  test_trusted_proc();
  test_bytes_written();
  test_bind_mount_over_attr();
  test_mount_context();
  test_mount_data_with_context();
  remove_tmp();
  return unit_summary("test_lsm");
}
