/* Idmapped mounts against the real kernel, as root: trees are prepared as
 * the runtime prepares them, handed over the way the init receives them,
 * and attached in a child's private mount namespace, so every mount goes
 * away with the child. The host only sees the test's temporary dir. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/idmap.h"
#include "unit.h"

#define STRV(...)                                                                            \
  ((spec_strv){.v = (char *[]){__VA_ARGS__, NULL},                                          \
               .n = sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)})
#define NO_OPTIONS ((spec_strv){0})

static char tmp_dir[64];
static char src_dir[128];    /* files owned by 1000:1000, a tmpfs at sub/ */
static char target_dir[128]; /* where the trees get attached */

/* Container id 1000 <-> host id 0: what the disk calls 1000 shows as 0. */
static spec_idmap map_1000_to_root[] = {{.container_id = 1000, .host_id = 0, .size = 1}};
static const spec_idmaps maps_1000 = {.v = map_1000_to_root, .n = 1};

static spec_mount mnt(const char *type, const char *source, spec_strv opts) {
  return (spec_mount){.destination = "/data", .type = (char *)type, .source = (char *)source,
                      .options = opts};
}

static spec_mount mapped(spec_strv opts) {
  spec_mount m = mnt("bind", src_dir, opts);
  m.uid_mappings = maps_1000;
  m.gid_mappings = maps_1000;
  return m;
}

static void make_owned_file(const char *dir, const char *name, uid_t uid) {
  char path[256];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CHECK(fd >= 0);
  if (fd >= 0) {
    CHECK(fchown(fd, uid, uid) == 0);
    close(fd);
  }
}

static uid_t owner_of(const char *dir, const char *name) {
  char path[256];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  struct stat st;
  return stat(path, &st) == 0 ? st.st_uid : (uid_t)-2;
}

/* Runs fn in a child with a private mount namespace; its exit status is
 * the number of failed checks. */
static int in_child(int (*fn)(void *), void *arg) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    unit_failed = 0;
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0)
      _exit(100);
    int rc = fn(arg);
    fflush(NULL);
    _exit(rc > 0 ? (rc > 99 ? 99 : rc) : unit_failed > 99 ? 99 : unit_failed);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* Prepares, claims and attaches mounts[0] at target_dir. */
static int attach(spec *s) {
  struct idmap_trees *t = NULL;
  berth_error *err = NULL;
  if (idmap_prepare(s, NULL, &t, &err) < 0) {
    fprintf(stderr, "idmap_prepare: %s\n", berth_error_text(err));
    berth_error_free(err);
    return -1;
  }
  CHECK(t != NULL);
  CHECK(idmap_trees_holder_fd(t) >= 0);
  CHECK(idmap_tree_fd(t, 0) == -1); /* still in the holder */
  CHECK(idmap_trees_claim(t, &err) == 0);
  int tree = idmap_tree_fd(t, 0);
  CHECK(tree >= 0);
  CHECK((fcntl(tree, F_GETFD) & FD_CLOEXEC) != 0);
  int rc = move_mount(tree, "", AT_FDCWD, target_dir, MOVE_MOUNT_F_EMPTY_PATH);
  CHECK(rc == 0);
  idmap_trees_free(t);
  berth_error_free(err);
  return rc;
}

static void mount_sub_tmpfs(void) {
  char sub[192];
  snprintf(sub, sizeof(sub), "%s/sub", src_dir);
  CHECK(mount("tmpfs", sub, "tmpfs", 0, "mode=0755") == 0);
  make_owned_file(sub, "deep", 1000);
}

static int idmap_scenario(void *arg) {
  mount_sub_tmpfs();
  spec_mount m = mapped(STRV("rbind", "idmap"));
  spec s = {.mounts = &m, .n_mounts = 1};
  if (attach(&s) < 0)
    return 1;
  CHECK(owner_of(target_dir, "owned") == 0);
  CHECK(owner_of(target_dir, "rootfile") == 65534); /* 0 has no mapping */
  /* Created through the mount by host root: 1000 on the disk (the
   * directory is 1000's too, or root would not be let in). */
  make_owned_file(target_dir, "made", 0);
  CHECK(owner_of(src_dir, "made") == 1000);
  char path[256];
  snprintf(path, sizeof(path), "%s/made", src_dir);
  unlink(path);
  /* idmap maps the top mount only: the tmpfs under it is as it was. */
  CHECK(owner_of(target_dir, "sub/deep") == 1000);
  return 0;
}

static int ridmap_scenario(void *arg) {
  mount_sub_tmpfs();
  spec_mount m = mapped(STRV("rbind", "ridmap"));
  spec s = {.mounts = &m, .n_mounts = 1};
  if (attach(&s) < 0)
    return 1;
  CHECK(owner_of(target_dir, "owned") == 0);
  CHECK(owner_of(target_dir, "sub/deep") == 0);
  return 0;
}

/* "idmap" alone takes the maps of the container's new user namespace. */
static int container_maps_scenario(void *arg) {
  spec_mount m = mnt("bind", src_dir, STRV("bind", "idmap"));
  spec_namespace user = {.type = NS_USER, .clone_flag = CLONE_NEWUSER};
  spec s = {.mounts = &m, .n_mounts = 1};
  s.linux.namespaces = &user;
  s.linux.n_namespaces = 1;
  s.linux.uid_mappings = maps_1000;
  s.linux.gid_mappings = maps_1000;
  if (attach(&s) < 0)
    return 1;
  CHECK(owner_of(target_dir, "owned") == 0);
  return 0;
}

static void expect_prepare_error(spec_mount m, const char *want) {
  spec s = {.mounts = &m, .n_mounts = 1};
  struct idmap_trees *t = NULL;
  berth_error *err = NULL;
  CHECK(idmap_prepare(&s, NULL, &t, &err) < 0);
  CHECK(t == NULL);
  CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, want);
  berth_error_free(err);
}

static void test_errors(void) {
  spec_mount tmpfs = mnt("tmpfs", "tmpfs", STRV("idmap"));
  tmpfs.uid_mappings = tmpfs.gid_mappings = maps_1000;
  expect_prepare_error(tmpfs, "mounts[0] (\"/data\"): idmapped mounts are only supported for "
                              "bind mounts");
  expect_prepare_error(mnt("bind", src_dir, STRV("rbind", "idmap")),
                       "idmapped mounts must have both uid and gid mappings specified");
  spec_mount uids_only = mnt("bind", src_dir, STRV("rbind"));
  uids_only.uid_mappings = maps_1000;
  expect_prepare_error(uids_only, "must have both uid and gid mappings");
  /* sysfs cannot be idmapped; the error names the filesystem. */
  spec_mount sys = mapped(STRV("bind", "idmap"));
  sys.source = "/sys/kernel";
  expect_prepare_error(sys, "its filesystem (sysfs) does not support idmapped mounts");
}

/* Mappings without either option: idmapped all the same. */
static void test_mappings_alone(void) {
  spec_mount m = mapped(STRV("bind"));
  spec s = {.mounts = &m, .n_mounts = 1};
  struct idmap_trees *t = NULL;
  berth_error *err = NULL;
  CHECK(idmap_prepare(&s, NULL, &t, &err) == 0 && t != NULL);
  CHECK(idmap_trees_claim(t, &err) == 0 && idmap_tree_fd(t, 0) >= 0);
  berth_error_free(err);
  idmap_trees_free(t);
}

static void test_wanted(void) {
  spec_mount plain = mnt("bind", src_dir, STRV("rbind", "ro"));
  CHECK(!idmap_wanted(&plain));
  plain.options = NO_OPTIONS;
  CHECK(!idmap_wanted(&plain));
  spec_mount opt = mnt("bind", src_dir, STRV("ridmap"));
  CHECK(idmap_wanted(&opt));
  spec_mount maps = mapped(NO_OPTIONS);
  CHECK(idmap_wanted(&maps));
  /* No idmapped mount: nothing is prepared and that is no error. */
  spec s = {.mounts = &plain, .n_mounts = 1};
  struct idmap_trees *t = (struct idmap_trees *)&s;
  berth_error *err = NULL;
  CHECK(idmap_prepare(&s, NULL, &t, &err) == 0 && t == NULL && err == NULL);
  CHECK(idmap_tree_fd(NULL, 0) == -1 && idmap_trees_holder_fd(NULL) == -1);
  CHECK(idmap_trees_claim(NULL, &err) == 0);
  idmap_trees_free(NULL);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path);
}

int main(void) {
  if (geteuid() != 0) {
    printf("idmap: skipped, needs root\n");
    return 77;
  }
  snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/berth-idmap-XXXXXX");
  if (mkdtemp(tmp_dir) == NULL)
    return 1;
  snprintf(src_dir, sizeof(src_dir), "%s/src", tmp_dir);
  snprintf(target_dir, sizeof(target_dir), "%s/target", tmp_dir);
  char sub[192];
  snprintf(sub, sizeof(sub), "%s/sub", src_dir);
  CHECK(mkdir(src_dir, 0755) == 0 && mkdir(sub, 0755) == 0 && mkdir(target_dir, 0755) == 0);
  CHECK(chown(src_dir, 1000, 1000) == 0);
  make_owned_file(src_dir, "owned", 1000);
  make_owned_file(src_dir, "rootfile", 0);

  test_wanted();
  test_errors();
  test_mappings_alone();
  CHECK(in_child(idmap_scenario, NULL) == 0);
  CHECK(in_child(ridmap_scenario, NULL) == 0);
  CHECK(in_child(container_maps_scenario, NULL) == 0);
  /* The host's view never changed. */
  CHECK(owner_of(src_dir, "owned") == 1000);

  nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  CHECK(access(tmp_dir, F_OK) < 0);
  return unit_summary("idmap");
}
