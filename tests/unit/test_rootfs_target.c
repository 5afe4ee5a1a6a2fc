/* A mount's target taken from what its destination check found
 * (rootfs_take_found): the found path or its made last component, and a
 * symlink that appears there after the check refused rather than followed.
 * Plain directories under /tmp; no mount is made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/rootfs_internal.h"
#include "unit.h"

static char top[] = "/tmp/berth-rootfs-target-XXXXXX";
static char root[80], outside[80];

/* A context whose check found `rel` in the root (whole) or its parent. */
static rootfs_ctx found(const char *rel, bool whole) {
  rootfs_ctx ctx = {.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), .found_fd = -1};
  char path[160];
  snprintf(path, sizeof(path), "%s/%s", root, rel);
  ctx.found_fd = open(path, O_PATH | O_CLOEXEC);
  ctx.found_whole = whole;
  return ctx;
}

static void done(rootfs_ctx *ctx) {
  CHECK(ctx->found_fd == -1); /* always used up */
  rootfs_forget_found(ctx);
  close(ctx->root_fd);
}

static bool is_kind(int fd, mode_t kind) {
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == kind;
}

static size_t entries(const char *dir) {
  DIR *d = opendir(dir);
  size_t n = 0;
  for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
    n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
  if (d != NULL)
    closedir(d);
  return n;
}

static void test_missing_last_component_is_made(void) {
  berth_error *err = NULL;
  rootfs_ctx ctx = found("dev", false);
  int fd = rootfs_take_found(&ctx, "/dev/pts", true, &err);
  CHECK(is_kind(fd, S_IFDIR));
  done(&ctx);
  if (fd >= 0)
    close(fd);
  ctx = found("dev", false);
  fd = rootfs_take_found(&ctx, "/dev/console", false, &err);
  CHECK(is_kind(fd, S_IFREG));
  done(&ctx);
  if (fd >= 0)
    close(fd);
  /* A real directory that appeared meanwhile is as good as one made. */
  ctx = found("dev", false);
  fd = rootfs_take_found(&ctx, "/dev/pts", true, &err);
  CHECK(is_kind(fd, S_IFDIR));
  done(&ctx);
  if (fd >= 0)
    close(fd);
  CHECK(err == NULL);
}

static void test_found_whole(void) {
  berth_error *err = NULL;
  rootfs_ctx ctx = found("dev", true);
  int fd = rootfs_take_found(&ctx, "/dev", true, &err);
  CHECK(is_kind(fd, S_IFDIR));
  done(&ctx);
  if (fd >= 0)
    close(fd);
  /* A file where a directory is needed: the long way, which says why. */
  ctx = found("dev/console", true);
  CHECK(rootfs_take_found(&ctx, "/dev/console", true, &err) == ROOTFS_FOUND_NONE);
  done(&ctx);
  ctx = (rootfs_ctx){.root_fd = -1, .found_fd = -1};
  CHECK(rootfs_take_found(&ctx, "/proc", true, &err) == ROOTFS_FOUND_NONE);
  CHECK(err == NULL);
}

/* The check saw "/dev/evil" missing; a symlink out of the root took its
 * place before the mount. Neither a directory nor a file is made through
 * it, and rootfs_target_dir does not go the long way, which follows it. */
static void test_symlink_raced_in_is_refused(void) {
  char link[160];
  snprintf(link, sizeof(link), "%s/dev/evil", root);
  CHECK(symlink(outside, link) == 0);
  berth_error *err = NULL;
  rootfs_ctx ctx;
  ctx = found("dev", false);
  CHECK(rootfs_take_found(&ctx, "/dev/evil", true, &err) == -1);
  CHECK(err != NULL && strcmp(err->id, "BERTH-E-MOUNT-DEST-SYMLINK") == 0);
  done(&ctx);
  berth_error_clear(&err);
  ctx = found("dev", false);
  CHECK(rootfs_target_dir(&ctx, "/dev/evil", &err) == -1 && err != NULL);
  done(&ctx);
  berth_error_clear(&err);
  ctx = found("dev", false);
  CHECK(rootfs_target_for(&ctx, "/dev/evil", false, &err) == -1 && err != NULL);
  done(&ctx);
  berth_error_clear(&err);
  CHECK(entries(outside) == 0);

  /* A dangling symlink to a file outside: not created through it. */
  char target[160];
  snprintf(target, sizeof(target), "%s/made", outside);
  CHECK(unlink(link) == 0 && symlink(target, link) == 0);
  ctx = found("dev", false);
  CHECK(rootfs_take_found(&ctx, "/dev/evil", false, &err) == -1 && err != NULL);
  done(&ctx);
  CHECK(access(target, F_OK) < 0 && errno == ENOENT);
  berth_error_free(err);
  unlink(link);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* Everything under top goes, even after a failed check left more there. */
static void cleanup(void) {
  CHECK(nftw(top, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

int main(void) {
  if (mkdtemp(top) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(root, sizeof(root), "%s/rootfs", top);
  snprintf(outside, sizeof(outside), "%s/outside", top);
  char dev[96];
  snprintf(dev, sizeof(dev), "%s/dev", root);
  if (mkdir(root, 0755) < 0 || mkdir(dev, 0755) < 0 || mkdir(outside, 0755) < 0) {
    perror("mkdir");
    return 1;
  }
  test_missing_last_component_is_made();
  test_found_whole();
  test_symlink_raced_in_is_refused();
  cleanup();
  return unit_summary("rootfs_target");
}
