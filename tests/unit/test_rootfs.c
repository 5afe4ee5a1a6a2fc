/* The container filesystem setup against the real kernel, as root. Every
 * scenario runs in a forked child with its own mount namespace, so the
 * mounts vanish with it; the host only sees the test's temporary dir. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/pathsafe.h"
#include "linux/rootfs.h"
#include "unit.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static char tmp_dir[64];
static char escape_dir[80]; /* a host path a symlink in the image points at */

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
  }
  CHECK(fd >= 0);
}

static char *read_file(const char *path) {
  static char buf[65536];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

/* The directory part of PATH, in a static buffer. */
static const char *dirname_of(const char *path) {
  static char buf[256];
  snprintf(buf, sizeof(buf), "%s", path);
  char *slash = strrchr(buf, '/');
  if (slash != NULL)
    *slash = '\0';
  return buf;
}

static void mkdirs(const char *base, const char *const *names) {
  char path[512];
  for (size_t i = 0; names[i] != NULL; i++) {
    snprintf(path, sizeof(path), "%s/%s", base, names[i]);
    CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
  }
}

static void copy_busybox(const char *rootfs) {
  char cmd[512];
  snprintf(cmd, sizeof(cmd), "cp /bin/busybox '%s/bin/busybox'", rootfs);
  CHECK(system(cmd) == 0);
}

/* A rootfs with bin, proc, sys, dev, tmp, etc, opt and a few test files. */
static void make_rootfs(const char *rootfs) {
  static const char *const dirs[] = {"", "bin", "proc", "sys", "dev", "tmp", "etc", "opt",
                                     "secretdir", "secretdir2", "rwdir", NULL};
  mkdirs(rootfs, dirs);
  copy_busybox(rootfs);
  char path[512];
  snprintf(path, sizeof(path), "%s/etc/secret", rootfs);
  write_file(path, "secret\n");
  snprintf(path, sizeof(path), "%s/secretdir/inside", rootfs);
  write_file(path, "secret\n");
  snprintf(path, sizeof(path), "%s/opt/hello", rootfs);
  write_file(path, "hi\n");
  snprintf(path, sizeof(path), "%s/escape", rootfs);
  CHECK(symlink(escape_dir, path) == 0);
}

#define STRV(...) ((spec_strv){.v = (char *[]){__VA_ARGS__, NULL}, .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})

static spec_mount mnt(const char *dest, const char *type, const char *source, spec_strv opts) {
  spec_mount m = {.destination = (char *)dest, .type = (char *)type, .source = (char *)source,
                  .options = opts};
  return m;
}

/* Runs fn in a child with its own mount namespace; its exit status is the
 * number of failed checks (0 = all passed). */
static int in_child(int (*fn)(void *), void *arg) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    unit_failed = 0; /* count only this child's checks */
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
      _exit(100);
    int rc = fn(arg);
    fflush(NULL);
    _exit(rc > 0 ? (rc > 99 ? 99 : rc) : unit_failed > 99 ? 99 : unit_failed);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  if (!WIFEXITED(status))
    return 255;
  return WEXITSTATUS(status);
}

static bool mounted_at(const char *where, const char *fstype) {
  const char *info = read_file("/proc/self/mountinfo");
  char needle[256];
  snprintf(needle, sizeof(needle), " %s ", where);
  for (const char *line = info; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char copy[1024];
    snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
    const char *dash = strstr(copy, " - ");
    if (strstr(copy, needle) != NULL && strstr(copy, needle) < dash && dash &&
        strncmp(dash + 3, fstype, strlen(fstype)) == 0)
      return true;
    line = end ? end + 1 : NULL;
  }
  return false;
}

static void check_errno_write(const char *path, int want) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  int got = fd < 0 ? errno : 0;
  if (fd >= 0)
    close(fd);
  if (got != want)
    fprintf(stderr, "write %s: got errno %d, want %d\n", path, got, want);
  CHECK(got == want);
}

static void check_device(const char *path, unsigned type, unsigned maj, unsigned min,
                         mode_t mode) {
  struct stat st;
  CHECK(lstat(path, &st) == 0);
  CHECK((st.st_mode & S_IFMT) == type);
  CHECK((st.st_mode & 07777) == mode);
  if (type != S_IFIFO)
    CHECK(major(st.st_rdev) == maj && minor(st.st_rdev) == min);
}

static void check_link(const char *path, const char *target) {
  char buf[256];
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);
  CHECK(n > 0);
  buf[n < 0 ? 0 : n] = '\0';
  CHECK(strcmp(buf, target) == 0);
}

typedef struct scenario {
  char rootfs[128];
  char host_dir[128];
  char host_file[128];
  char host_tree[128];
  bool no_pivot;
  bool console;
} scenario;

static void report(berth_error *err) {
  if (err != NULL)
    fprintf(stderr, "error: %s\n", berth_error_text(err));
}

/* A pty from the container's devpts bound on /dev/console, as the init
 * does between pivot and finalize. */
static int bind_console(berth_error **err) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHECK(master >= 0);
  if (master < 0)
    return -1;
  CHECK(unlockpt(master) == 0);
  const char *name = ptsname(master);
  int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  CHECK(slave >= 0);
  struct stat want, got;
  CHECK(fstat(slave, &want) == 0);
  int rc = rootfs_bind_console(slave, err);
  CHECK(rc == 0);
  CHECK(stat("/dev/console", &got) == 0 && got.st_rdev == want.st_rdev);
  close(slave);
  close(master);
  return rc;
}

static int run_setup(const scenario *sc, spec *s) {
  rootfs_opts o = {.spec = s, .rootfs = sc->rootfs, .no_pivot = sc->no_pivot, .bundle = tmp_dir,
                   .has_terminal = sc->console};
  berth_error *err = NULL;
  int rc = rootfs_prepare(&o, &err);
  if (rc == 0)
    rc = rootfs_pivot(&o, &err);
  if (rc == 0 && sc->console)
    rc = bind_console(&err);
  if (rc == 0)
    rc = rootfs_finalize(&o, &err);
  report(err);
  berth_error_free(err);
  CHECK(rc == 0);
  return rc;
}

static void check_mounts_inside(void) {
  struct statfs sfs;
  CHECK(statfs("/proc", &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC);
  CHECK(statfs("/tmp", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
  CHECK(mounted_at("/dev/pts", "devpts"));
  CHECK(mounted_at("/sys", "sysfs"));
  check_errno_write("/sys/berth-test", EROFS);
  check_errno_write("/newfile", EROFS); /* root.readonly */
  check_errno_write("/tmp/ok", 0);
  check_errno_write("/data/x", EROFS);
  const char *text = read_file("/data/in-dir");
  CHECK(text != NULL && strcmp(text, "dir\n") == 0);
  text = read_file("/etc/hostname");
  CHECK(text != NULL && strcmp(text, "file\n") == 0);
  check_errno_write("/tree/sub/x", EROFS); /* rro reaches the submount */
  text = read_file("/opt/hello");          /* tmpcopyup */
  CHECK(text != NULL && strcmp(text, "hi\n") == 0);
  CHECK(statfs("/opt", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
  check_errno_write("/opt/new", 0);
  char where[128];
  snprintf(where, sizeof(where), "%s", escape_dir);
  CHECK(mounted_at(where, "tmpfs")); /* followed inside the rootfs */
  CHECK(mounted_at("/sys/fs/cgroup", "tmpfs") || mounted_at("/sys/fs/cgroup", "cgroup2"));
  if (mounted_at("/sys/fs/cgroup", "tmpfs")) /* a v1 or hybrid host */
    check_errno_write("/sys/fs/cgroup/x", EROFS);
}

static void check_dev_inside(void) {
  check_device("/dev/null", S_IFCHR, 1, 3, 0666);
  check_device("/dev/zero", S_IFCHR, 1, 5, 0666);
  check_device("/dev/full", S_IFCHR, 1, 7, 0666);
  check_device("/dev/random", S_IFCHR, 1, 8, 0666);
  check_device("/dev/urandom", S_IFCHR, 1, 9, 0666);
  check_device("/dev/tty", S_IFCHR, 5, 0, 0666);
  check_device("/dev/mynull", S_IFCHR, 1, 3, 0600);
  check_device("/dev/myfifo", S_IFIFO, 0, 0, 0640);
  check_device("/dev/sub/myzero", S_IFCHR, 1, 5, 0620);
  struct stat st;
  CHECK(lstat("/dev/myfifo", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001);
  check_link("/dev/ptmx", "pts/ptmx");
  check_link("/dev/fd", "/proc/self/fd");
  check_link("/dev/stdin", "/proc/self/fd/0");
  check_link("/dev/stdout", "/proc/self/fd/1");
  check_link("/dev/stderr", "/proc/self/fd/2");
  check_errno_write("/dev/newfile", EROFS); /* /dev tmpfs asked "ro" */
}

static void check_masked_inside(void) {
  const char *text = read_file("/etc/secret");
  CHECK(text != NULL && text[0] == '\0');
  CHECK(access("/secretdir/inside", F_OK) < 0 && errno == ENOENT);
  check_errno_write("/secretdir/x", EROFS);
  check_errno_write("/secretdir2/x", EROFS);
  CHECK(mounted_at("/secretdir2", "tmpfs"));
  check_errno_write("/rwdir/x", EROFS);
  int fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
  CHECK(fd < 0 && errno == EROFS);
  if (fd >= 0)
    close(fd);
  struct stat st;
  CHECK(stat("/proc/keys", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
  CHECK(mounted_at("/proc/acpi", "tmpfs"));
}

static void check_exec_inside(void) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/busybox", "busybox", "true", (char *)NULL);
    _exit(127);
  }
  int status = -1;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int full_scenario(void *arg) {
  const scenario *sc = arg;
  char tree_sub[160];
  snprintf(tree_sub, sizeof(tree_sub), "%s/sub", sc->host_tree);
  CHECK(mount("tmpfs", tree_sub, "tmpfs", 0, NULL) == 0);
  char escape_sub[128];
  snprintf(escape_sub, sizeof(escape_sub), "/escape");
  spec_mount mounts[] = {
      mnt("/proc", "proc", "proc", STRV("nosuid", "noexec", "nodev")),
      mnt("/dev", "tmpfs", "tmpfs", STRV("nosuid", "strictatime", "mode=755", "size=65536k", "ro")),
      mnt("/dev/pts", "devpts", "devpts",
          STRV("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")),
      mnt("/sys", "sysfs", "sysfs", STRV("nosuid", "noexec", "nodev", "ro")),
      mnt("/sys/fs/cgroup", "cgroup", "cgroup", STRV("nosuid", "noexec", "nodev", "relatime", "ro")),
      mnt("/tmp", "tmpfs", "tmpfs", STRV("nosuid", "nodev")),
      mnt("/data", NULL, "hostdir", STRV("bind", "ro")),
      mnt("/etc/hostname", "bind", sc->host_file, STRV("rprivate")),
      mnt("/tree", "none", sc->host_tree, STRV("rbind", "rro")),
      mnt("/opt", "tmpfs", "tmpfs", STRV("tmpcopyup", "mode=755")),
      mnt(escape_sub, "tmpfs", "tmpfs", STRV("size=1m")),
  };
  spec_device devices[] = {
      {.type = 'c', .path = "/dev/mynull", .major = 1, .minor = 3, .file_mode = {true, 0600}},
      /* In a directory of its own, between two in /dev: the kept parent
       * directory changes and comes back. */
      {.type = 'c', .path = "/dev/sub/myzero", .major = 1, .minor = 5, .file_mode = {true, 0620}},
      {.type = 'p', .path = "/dev/myfifo", .file_mode = {true, 0640}, .uid = {true, 1000},
       .gid = {true, 1001}},
  };
  spec s = {.mounts = mounts, .n_mounts = sizeof(mounts) / sizeof(mounts[0]),
            .root_readonly = true};
  s.linux.devices = devices;
  s.linux.n_devices = 3;
  s.linux.masked_paths = STRV("/proc/kcore", "/proc/keys", "/proc/acpi", "/etc/secret", "/secretdir", "/secretdir2",
                              "/does/not/exist");
  s.linux.readonly_paths = STRV("/proc/sys", "/rwdir", "/missing");
  if (run_setup(sc, &s) < 0)
    return 1;
  check_mounts_inside();
  check_dev_inside();
  check_masked_inside();
  check_exec_inside();
  char cwd[64];
  CHECK(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0);
  return 0;
}

static int no_pivot_scenario(void *arg) {
  const scenario *sc = arg;
  spec_mount mounts[] = {mnt("/proc", "proc", "proc", STRV("nosuid"))};
  spec s = {.mounts = mounts, .n_mounts = 1};
  if (run_setup(sc, &s) < 0)
    return 1;
  CHECK(access("/bin/busybox", X_OK) == 0);
  CHECK(access(sc->rootfs, F_OK) < 0);
  check_exec_inside();
  return 0;
}

/* A cgroup namespace: fresh cgroup mounts instead of binds. */
static int cgroupns_scenario(void *arg) {
  const scenario *sc = arg;
  CHECK(unshare(CLONE_NEWCGROUP) == 0);
  spec_mount mounts[] = {
      mnt("/sys", "sysfs", "sysfs", STRV("nosuid", "noexec", "nodev")),
      mnt("/sys/fs/cgroup", "cgroup", "cgroup", STRV("nosuid", "noexec", "nodev")),
      mnt("/proc", "proc", "proc", STRV("nosuid")),
  };
  spec_namespace ns = {.type = NS_CGROUP, .clone_flag = CLONE_NEWCGROUP};
  spec s = {.mounts = mounts, .n_mounts = 3};
  s.linux.namespaces = &ns;
  s.linux.n_namespaces = 1;
  if (run_setup(sc, &s) < 0)
    return 1;
  struct statfs host;
  if (mounted_at("/sys/fs/cgroup", "tmpfs")) {
    CHECK(statfs("/sys/fs/cgroup/pids", &host) == 0 && host.f_type == 0x27e0eb);
    CHECK(mounted_at("/sys/fs/cgroup/pids", "cgroup"));
  } else {
    CHECK(mounted_at("/sys/fs/cgroup", "cgroup2"));
  }
  return 0;
}

/* linux.mountLabel, as the init passes it when SELinux is enabled: every
 * filesystem made for the container carries it (context= after the spec's
 * own options; its own fsconfig key for tmpcopyup; an xattr on mqueue).
 * With SELinux the mounts succeed with the spec's size and mode intact.
 * Without it (this host) the kernel refuses context= and the xattr, which
 * shows the label reached it, and the error names the label. The exact
 * data string is checked in test_lsm. */
#define TEST_MOUNT_LABEL "system_u:object_r:container_file_t:s0:c1,c2"

static bool selinux_on(void) {
  struct statfs sfs;
  return statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == 0xf97cff8c;
}

/* Prepares a rootfs with the one mount m under the test label; checks the
 * outcome as above and returns whether it succeeded. */
static bool prepare_labelled(const scenario *sc, spec_mount m, const char *want_error) {
  spec s = {.mounts = &m, .n_mounts = 1};
  rootfs_opts o = {.spec = &s, .rootfs = sc->rootfs, .bundle = tmp_dir,
                   .mount_label = TEST_MOUNT_LABEL};
  berth_error *err = NULL;
  int rc = rootfs_prepare(&o, &err);
  if (selinux_on()) {
    report(err);
    CHECK(rc == 0);
  } else {
    CHECK(rc < 0);
    CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, want_error);
  }
  berth_error_free(err);
  return rc == 0;
}

static int labelled_scenario(void *arg) {
  const scenario *sc = arg;
  char path[256];
  struct statfs sfs;
  struct stat st;
  if (prepare_labelled(sc, mnt("/tmp", "tmpfs", "tmpfs", STRV("nosuid", "size=1m", "mode=1777")),
                       "mount \"tmpfs\" on \"/tmp\" (with linux.mountLabel \"" TEST_MOUNT_LABEL
                       "\"): invalid argument")) {
    snprintf(path, sizeof(path), "%s/tmp", sc->rootfs);
    CHECK(statfs(path, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC &&
          (unsigned long long)sfs.f_blocks * sfs.f_bsize == 1024 * 1024);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 01777);
  }
  if (prepare_labelled(sc, mnt("/opt", "tmpfs", "tmpfs", STRV("tmpcopyup", "size=2m")),
                       "create tmpfs for \"/opt\" (with linux.mountLabel \"" TEST_MOUNT_LABEL
                       "\")")) {
    snprintf(path, sizeof(path), "%s/opt/hello", sc->rootfs);
    CHECK_STR_CONTAINS(read_file(path), "hi");
  }
  prepare_labelled(sc, mnt("/mq", "mqueue", "mqueue", STRV("nosuid")),
                   "label \"/mq\" with linux.mountLabel \"" TEST_MOUNT_LABEL "\"");
  /* proc takes no label: the kernel's own view, as in runc. */
  spec_mount proc = mnt("/proc", "proc", "proc", STRV("nosuid"));
  spec s = {.mounts = &proc, .n_mounts = 1};
  rootfs_opts o = {.spec = &s, .rootfs = sc->rootfs, .bundle = tmp_dir,
                   .mount_label = TEST_MOUNT_LABEL};
  berth_error *err = NULL;
  int rc = rootfs_prepare(&o, &err);
  report(err);
  berth_error_free(err);
  CHECK(rc == 0);
  return 0;
}

/* Runs rootfs_prepare and checks it fails with `want` in the message. */
typedef struct failing {
  const scenario *sc;
  spec *s;
  const char *want;
} failing;

static int failing_scenario(void *arg) {
  const failing *f = arg;
  rootfs_opts o = {.spec = f->s, .rootfs = f->sc->rootfs, .bundle = tmp_dir};
  berth_error *err = NULL;
  CHECK(rootfs_prepare(&o, &err) < 0);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, f->want);
  berth_error_free(err);
  return 0;
}

static void expect_failure(const scenario *sc, spec_mount m, const char *want) {
  spec s = {.mounts = &m, .n_mounts = 1};
  failing f = {.sc = sc, .s = &s, .want = want};
  CHECK(in_child(failing_scenario, &f) == 0);
}

static void test_failures(const scenario *sc) {
  expect_failure(sc, mnt("/data", "bind", "hostdir", STRV("rbind", "foo")),
                 "mounts[0] (\"/data\"): option \"foo\" is not valid for a bind mount");
  expect_failure(sc, mnt("/data", "bind", "hostdir", STRV("rbind", "idmap")),
                 "idmapped mount was not prepared by the runtime");
  expect_failure(sc, mnt("/proc/self/attr", "bind", "hostdir", STRV("rbind")),
                 "inside /proc");
  expect_failure(sc, mnt("/data", "bind", "no-such-source", STRV("rbind")),
                 "no-such-source");
  /* A /proc that is a symlink (here to /tmp inside the image) is refused. */
  scenario evil = *sc;
  snprintf(evil.rootfs, sizeof(evil.rootfs), "%s/evil", tmp_dir);
  static const char *const dirs[] = {"", "tmp", NULL};
  mkdirs(evil.rootfs, dirs);
  char proc[192];
  snprintf(proc, sizeof(proc), "%s/proc", evil.rootfs);
  CHECK(symlink("/tmp", proc) == 0);
  expect_failure(&evil, mnt("/proc", "proc", "proc", STRV("nosuid")), "refusing to mount proc");
  snprintf(proc, sizeof(proc), "%s/sys", evil.rootfs);
  CHECK(symlink("tmp", proc) == 0);
  expect_failure(&evil, mnt("/sys", "sysfs", "sysfs", STRV("ro")), "refusing to mount sysfs");
}

/* pathsafe alone: creation through symlinks stays in the root. */
/* pathsafe_mkdir_all looks the whole path up first, then its parent,
 * before it walks component by component: each shortcut must end where
 * the walk would. */
static void test_pathsafe_shortcuts(const char *root, int root_fd) {
  char path[256];
  struct stat want, got;
  berth_error *err = NULL;
  /* An existing directory, reached through an in-root symlink. */
  snprintf(path, sizeof(path), "%s/deep/er", root);
  CHECK(mkdir(path, 0755) == 0 || (errno == ENOENT && mkdir(dirname_of(path), 0755) == 0 &&
                                   mkdir(path, 0755) == 0));
  CHECK(stat(path, &want) == 0);
  snprintf(path, sizeof(path), "%s/to-deep", root);
  CHECK(symlink("/deep", path) == 0);
  int fd = pathsafe_mkdir_all(root_fd, "/to-deep/er", 0755, &err);
  CHECK(fd >= 0 && fstat(fd, &got) == 0 && got.st_ino == want.st_ino);
  if (fd >= 0)
    close(fd);
  /* Only the last component missing: made in its parent. */
  fd = pathsafe_mkdir_all(root_fd, "/deep/er/new", 0755, &err);
  snprintf(path, sizeof(path), "%s/deep/er/new", root);
  CHECK(fd >= 0 && stat(path, &want) == 0 && fstat(fd, &got) == 0 && got.st_ino == want.st_ino);
  if (fd >= 0)
    close(fd);
  /* The last component a dangling absolute symlink: followed inside the
   * root, never to the host's path of the same name. */
  snprintf(path, sizeof(path), "%s/deep/dangle", root);
  CHECK(symlink(escape_dir, path) == 0);
  fd = pathsafe_mkdir_all(root_fd, "/deep/dangle", 0755, &err);
  report(err);
  snprintf(path, sizeof(path), "%s%s", root, escape_dir);
  CHECK(fd >= 0 && stat(path, &want) == 0 && fstat(fd, &got) == 0 && got.st_ino == want.st_ino);
  if (fd >= 0)
    close(fd);
  /* A file where a directory is wanted: an error naming the path. */
  snprintf(path, sizeof(path), "%s/deep/plain", root);
  write_file(path, "x");
  fd = pathsafe_mkdir_all(root_fd, "/deep/plain", 0755, &err);
  CHECK(fd < 0);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "mkdir \"/deep/plain\"");
  berth_error_free(err);
}

static void test_pathsafe(void) {
  char root[128], path[256];
  snprintf(root, sizeof(root), "%s/ps", tmp_dir);
  CHECK(mkdir(root, 0755) == 0);
  snprintf(path, sizeof(path), "%s/abs", root);
  CHECK(symlink(escape_dir, path) == 0);
  snprintf(path, sizeof(path), "%s/rel", root);
  CHECK(symlink("../../../x/y", path) == 0);
  int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  berth_error *err = NULL;
  int fd = pathsafe_mkdir_all(root_fd, "/abs/a/b", 0755, &err);
  report(err);
  CHECK(fd >= 0);
  if (fd >= 0)
    close(fd);
  snprintf(path, sizeof(path), "%s%s/a/b", root, escape_dir);
  struct stat st;
  CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
  fd = pathsafe_mount_target(root_fd, "/rel/file", 0, &err);
  report(err);
  CHECK(fd >= 0);
  if (fd >= 0)
    close(fd);
  snprintf(path, sizeof(path), "%s/x/y/file", root);
  CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
  fd = pathsafe_mkdir_all(root_fd, "/../../up", 0755, &err);
  CHECK(fd >= 0);
  if (fd >= 0)
    close(fd);
  snprintf(path, sizeof(path), "%s/up", root);
  CHECK(stat(path, &st) == 0);
  fd = pathsafe_open(root_fd, "/missing", O_RDONLY, 0, &err);
  CHECK(fd < 0);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "open \"/missing\"");
  berth_error_free(err);
  err = NULL;
  test_pathsafe_shortcuts(root, root_fd);
  close(root_fd);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path);
}

int main(void) {
  if (geteuid() != 0) {
    printf("rootfs: skipped, needs root\n");
    return 77;
  }
  snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/berth-rootfs-XXXXXX");
  if (mkdtemp(tmp_dir) == NULL)
    return 1;
  snprintf(escape_dir, sizeof(escape_dir), "/tmp/berth-escape-%d", (int)getpid());
  scenario sc = {0};
  snprintf(sc.rootfs, sizeof(sc.rootfs), "%s/rootfs", tmp_dir);
  snprintf(sc.host_dir, sizeof(sc.host_dir), "%s/hostdir", tmp_dir);
  snprintf(sc.host_file, sizeof(sc.host_file), "%s/hostfile", tmp_dir);
  snprintf(sc.host_tree, sizeof(sc.host_tree), "%s/tree", tmp_dir);
  static const char *const host_dirs[] = {"hostdir", "tree", "tree/sub", NULL};
  mkdirs(tmp_dir, host_dirs);
  char path[256];
  snprintf(path, sizeof(path), "%s/in-dir", sc.host_dir);
  write_file(path, "dir\n");
  write_file(sc.host_file, "file\n");
  make_rootfs(sc.rootfs);
  sc.console = true;

  test_pathsafe();
  CHECK(in_child(full_scenario, &sc) == 0);
  sc.console = false;
  CHECK(in_child(cgroupns_scenario, &sc) == 0);
  sc.no_pivot = true;
  CHECK(in_child(no_pivot_scenario, &sc) == 0);
  sc.no_pivot = false;
  CHECK(in_child(labelled_scenario, &sc) == 0);
  test_failures(&sc);

  CHECK(access(escape_dir, F_OK) < 0 && errno == ENOENT); /* the host was not touched */
  nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  CHECK(access(tmp_dir, F_OK) < 0);
  return unit_summary("rootfs");
}
