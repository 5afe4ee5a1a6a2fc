#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "spec.h"
#include "faultpoint.h"

const char *state_status_name(enum container_status s) {
  switch (s) {
  case STATUS_CREATING: return "creating";
  case STATUS_CREATED: return "created";
  case STATUS_RUNNING: return "running";
  case STATUS_PAUSED: return "paused";
  case STATUS_STOPPED: return "stopped";
  }
  return "unknown";
}

int state_check_id(const char *id, berth_error **err) {
  if (id == NULL || *id == '\0')
    return berth_fail_id(err, "BERTH-E-STATE-BAD-ID", 0, "container id cannot be empty");
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return berth_fail_id(err, "BERTH-E-STATE-BAD-ID", 0, "invalid container ID format: %s", id);
  for (const char *p = id; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '.' || c == '-';
    if (!ok)
      return berth_fail_id(err, "BERTH-E-STATE-BAD-ID", 0, "invalid container ID format: %s", id);
  }
  if (strlen(id) > 1024)
    return berth_fail_id(err, "BERTH-E-STATE-BAD-ID", 0,
                         "invalid container ID format: the ID is longer than 1024 bytes");
  return 0;
}

static int mkdir_p(const char *path, mode_t mode) {
  char buf[4096];
  if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if (mkdir(buf, mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

static int lock_dir(int fd, const char *id, berth_error **err) {
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR)
      return berth_fail_errno(err, "lock container \"%s\"", id);
  }
  return 0;
}

int state_dir_create(const char *root, const char *id, berth_error **err) {
  if (state_check_id(id, err) < 0)
    return -1;
  /* The root is made only the first time: a mkdir of each of its
   * components on every create would be that many failed lookups. */
  int rootfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0 && errno == ENOENT) {
    if (mkdir_p(root, 0700) < 0)
      return berth_fail_errno_id(err, "BERTH-E-STATE-ROOT", "create state root \"%s\"", root);
    rootfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  }
  if (rootfd < 0)
    return berth_fail_errno_id(err, "BERTH-E-STATE-ROOT", "open state root \"%s\"", root);
  if (mkdirat(rootfd, id, 0711) < 0) {
    int e = errno;
    close(rootfd);
    if (e == EEXIST)
      return berth_fail(err, 0, "container with given ID already exists");
    return berth_fail_id(err, "BERTH-E-STATE-ROOT", e,
                         "create state directory \"%s/%s\"", root, id);
  }
  int fd = openat(rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  close(rootfd);
  if (fd < 0)
    return berth_fail_errno(err, "open state directory \"%s/%s\"", root, id);
  if (lock_dir(fd, id, err) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int state_dir_open(const char *root, const char *id, berth_error **err) {
  if (state_check_id(id, err) < 0)
    return -1;
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", root, id);
  int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT)
      return berth_fail(err, 0, "container does not exist");
    return berth_fail_errno(err, "open state directory \"%s\"", path);
  }
  if (lock_dir(fd, id, err) < 0) {
    close(fd);
    return -1;
  }
  /* A concurrent delete may have removed it while we waited for the lock. */
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_nlink == 0) {
    close(fd);
    return berth_fail(err, 0, "container does not exist");
  }
  return fd;
}

/* A directory below the state directory, opened only if it is on the same
 * mount: fails with EXDEV on a mount point. */
static int open_subdir_same_mount(int dirfd, const char *name) {
  struct open_how how = {.flags = O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS};
  int fd;
  do
    fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

/* A mount on an entry of the state directory is berth's own, left by a
 * command killed before it unmounted it (restore's bind of the bundle's
 * rootfs): it is detached, as the directory must not be emptied through
 * it, which would delete what it shows. Stacked mounts are peeled one by
 * one. */
static int open_subdir_unmounted(int dirfd, const char *name) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
  for (int tries = 0; tries < 16; tries++) {
    int fd = open_subdir_same_mount(dirfd, name);
    if (fd >= 0 || errno != EXDEV)
      return fd;
    if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
      return -1;
  }
  errno = EBUSY;
  return -1;
}

static int remove_tree_at(int dirfd) {
  DIR *d = fdopendir(dup(dirfd));
  if (d == NULL)
    return -1;
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (unlinkat(dirfd, de->d_name, 0) == 0 || errno == ENOENT)
      continue;
    if (errno != EISDIR) {
      rc = -1;
      continue;
    }
    int sub = open_subdir_unmounted(dirfd, de->d_name);
    if (sub < 0 || remove_tree_at(sub) < 0 || unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0)
      rc = -1;
    if (sub >= 0)
      close(sub);
  }
  closedir(d);
  return rc;
}

int state_dir_remove(const char *root, const char *id, int dirfd, berth_error **err) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", root, id);
  /* What a started container's directory holds; its removal needs no
   * listing (a dup, an fstat, two fcntls, two getdents). Anything else,
   * the exec fifo of a container never started, a notify socket, a mount
   * left by a killed restore, is found by the listing when rmdir says the
   * directory is not empty yet. */
  static const char *const usual[] = {STATE_FILE, STATE_CGROUP, STATE_CONFIG};
  for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++)
    unlinkat(dirfd, usual[i], 0);
  if (rmdir(path) == 0 || errno == ENOENT)
    return 0;
  if (remove_tree_at(dirfd) < 0)
    return berth_fail_errno(err, "remove the contents of state directory \"%s/%s\"", root, id);
  if (rmdir(path) < 0 && errno != ENOENT)
    return berth_fail_errno(err, "remove state directory \"%s\"", path);
  return 0;
}

/* The CONFIG_FOR_* bits by their names in state.json's config_uses. */
static const struct {
  unsigned bit;
  const char *name;
} config_use_names[] = {
    {CONFIG_FOR_POSTSTART, "poststart"},
    {CONFIG_FOR_POSTSTOP, "poststop"},
    {CONFIG_FOR_NET_DEVICES, "net_devices"},
    {CONFIG_FOR_KILL, "kill"},
};
#define CONFIG_USE_COUNT (sizeof(config_use_names) / sizeof(config_use_names[0]))

static void config_uses_from_json(json_t *uses, container_state *st) {
  st->config_uses_known = json_is_array(uses);
  st->config_uses = 0;
  size_t i;
  json_t *v;
  json_array_foreach(uses, i, v) {
    const char *name = json_string_value(v);
    bool found = false;
    for (size_t k = 0; name != NULL && k < CONFIG_USE_COUNT; k++)
      if (strcmp(name, config_use_names[k].name) == 0) {
        st->config_uses |= config_use_names[k].bit;
        found = true;
      }
    /* A use this berth does not know of: read the config for everything. */
    if (!found)
      st->config_uses_known = false;
  }
}

/* The cgroup record is most of the state, and goes to cgroup.json: a list
 * of a thousand containers then parses a few hundred bytes of each instead
 * of kilobytes, reading the freezer at the path kept here. */
static json_t *state_to_json(const container_state *st) {
  json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "id", st->id, "pid",
                        (json_int_t)st->pid, "start_time", (json_int_t)st->start_time, "bundle",
                        st->bundle, "rootfs", st->rootfs, "created", st->created, "owner",
                        st->owner ? st->owner : "");
  if (j == NULL)
    return NULL;
  if (st->annotations)
    json_object_set(j, "annotations", st->annotations);
  if (st->cgroup && st->freezer) {
    json_object_set_new(j, "freezer", json_string(st->freezer));
    if (st->freezer_v2)
      json_object_set_new(j, "freezer_v2", json_true());
  }
  if (st->no_new_keyring)
    json_object_set_new(j, "no_new_keyring", json_true());
  if (st->init_named)
    json_object_set_new(j, "init_named", json_true());
  if (st->config_uses_known) {
    json_t *uses = json_array();
    for (size_t i = 0; uses != NULL && i < CONFIG_USE_COUNT; i++)
      if (st->config_uses & config_use_names[i].bit)
        json_array_append_new(uses, json_string(config_use_names[i].name));
    json_object_set_new(j, "config_uses", uses);
  }
  return j;
}

/* All of BUF to FD, through short writes and signals; -1 with errno. */
static int write_all(int fd, const char *buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, buf + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    off += (size_t)n;
  }
  return 0;
}

int state_keep_config(int dirfd, const char *text, size_t len, berth_error **err) {
  int fd = openat(dirfd, STATE_CONFIG, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return berth_fail_errno(err, "keep a copy of config.json");
  int rc = write_all(fd, text, len) < 0 ? berth_fail_errno(err, "keep a copy of config.json") : 0;
  close(fd);
  return rc;
}

/* TEXT written to NAME.tmp beside NAME, synced when SYNC, to be renamed
 * over NAME; on failure -1 with errno, and no NAME.tmp left. */
static int write_beside(int dirfd, const char *name, const char *text, bool sync) {
  char tmp[64];
  snprintf(tmp, sizeof(tmp), "%s.tmp", name);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return -1;
  int rc = write_all(fd, text, strlen(text)) < 0 || (sync && fsync(fd) < 0) ? -1 : 0;
  int saved = errno;
  close(fd);
  if (rc < 0) {
    unlinkat(dirfd, tmp, 0);
    errno = saved;
  }
  return rc;
}

/* NAME.tmp renamed over NAME; on failure -1 with errno, NAME.tmp removed. */
static int rename_over(int dirfd, const char *name) {
  char tmp[64];
  snprintf(tmp, sizeof(tmp), "%s.tmp", name);
  if (renameat(dirfd, tmp, dirfd, name) == 0)
    return 0;
  int saved = errno;
  unlinkat(dirfd, tmp, 0);
  errno = saved;
  return -1;
}

int state_replace_config(int dirfd, const char *text, berth_error **err) {
  if (write_beside(dirfd, STATE_CONFIG, text, true) < 0)
    return berth_fail_errno(err, "write the container's config.json");
  if (rename_over(dirfd, STATE_CONFIG) < 0)
    return berth_fail_errno(err, "replace the container's config.json");
  return 0;
}

/* The text of J written to NAME.tmp, to be renamed over NAME. */
static int stage_json_at(int dirfd, const char *name, json_t *j, const char *id,
                         berth_error **err) {
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (text == NULL)
    return berth_fail(err, ENOMEM, "encode state of \"%s\"", id);
  int rc = write_beside(dirfd, name, text, false);
  if (rc < 0)
    berth_fail_errno(err, "write state of \"%s\"", id);
  free(text);
  return rc;
}

static int commit_json_at(int dirfd, const char *name, const char *id, berth_error **err) {
  /* No fsync: the rename alone is atomic for every other process, and the
   * page cache outlives a berth killed at any instant. Only a crash of the
   * whole machine could lose the write, and that kills every container
   * the file describes: on the usual tmpfs root (/run/berth) nothing
   * survives it anyway, and on a disk an empty state.json left by it is
   * cleared by `delete --force` (container_delete). The fsync cost a
   * journal commit, milliseconds, on every create. */
  faultpoint("state.written");
  if (rename_over(dirfd, name) < 0)
    return berth_fail_errno(err, "replace state of \"%s\"", id);
  return 0;
}

/* NAME replaced by the text of J: written beside it, then renamed over it. */
static int write_json_at(int dirfd, const char *name, json_t *j, const char *id,
                         berth_error **err) {
  if (stage_json_at(dirfd, name, j, id, err) < 0)
    return -1;
  return commit_json_at(dirfd, name, id, err);
}

/* cgroup.json first: a state.json that names a freezer always has its
 * cgroup beside it. */
int state_save(int dirfd, const container_state *st, berth_error **err) {
  if (st->cgroup && write_json_at(dirfd, STATE_CGROUP, st->cgroup, st->id, err) < 0)
    return -1;
  return state_save_status(dirfd, st, err);
}

int state_save_status(int dirfd, const container_state *st, berth_error **err) {
  json_t *j = state_to_json(st);
  int rc = write_json_at(dirfd, STATE_FILE, j, st->id, err);
  json_decref(j);
  return rc;
}

int state_stage(int dirfd, const container_state *st, bool with_cgroup, berth_error **err) {
  if (with_cgroup && st->cgroup &&
      stage_json_at(dirfd, STATE_CGROUP, st->cgroup, st->id, err) < 0)
    return -1;
  json_t *j = state_to_json(st);
  int rc = stage_json_at(dirfd, STATE_FILE, j, st->id, err);
  json_decref(j);
  return rc;
}

int state_commit_staged(int dirfd, const container_state *st, bool with_cgroup,
                        berth_error **err) {
  if (with_cgroup && st->cgroup && commit_json_at(dirfd, STATE_CGROUP, st->id, err) < 0)
    return -1;
  return commit_json_at(dirfd, STATE_FILE, st->id, err);
}

static char *dup_field(json_t *j, const char *key) {
  const char *s = json_string_value(json_object_get(j, key));
  return strdup(s ? s : "");
}

/* A state.json is never written in place (state_save renames a finished
 * file over it), so once its size is read the file is whole: no read
 * until end-of-file is needed. */
static char *read_whole(int fd, size_t *len, struct stat *sb) {
  struct stat st;
  if (fstat(fd, &st) < 0)
    memset(&st, 0, sizeof(st));
  if (sb != NULL)
    *sb = st;
  bool sized = st.st_size > 0;
  size_t cap = sized ? (size_t)st.st_size + 1 : 65536;
  char *buf = malloc(cap);
  *len = 0;
  while (buf != NULL) {
    if (sized && *len == (size_t)st.st_size)
      return buf;
    if (*len == cap) {
      char *grown = realloc(buf, cap * 2);
      if (grown == NULL)
        break;
      buf = grown;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + *len, cap - *len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    if (n == 0)
      return buf;
    *len += (size_t)n;
  }
  free(buf);
  return NULL;
}

/* The JSON text read from FD (NAME, for errors), parsed; NULL with *err
 * set. Closes FD; *SB (unless NULL) gets its fstat. */
static json_t *load_json_fd(int fd, const char *name, struct stat *sb, berth_error **err) {
  /* Whole reads: jansson's fd reader asks the kernel for a byte at a time. */
  size_t len = 0;
  char *buf = read_whole(fd, &len, sb);
  int saved = errno;
  close(fd);
  if (buf == NULL) {
    berth_fail(err, saved, "read %s", name);
    return NULL;
  }
  json_error_t jerr;
  json_t *j = json_loadb(buf, len, 0, &jerr);
  free(buf);
  if (j == NULL)
    berth_fail_id(err, "BERTH-E-STATE-CORRUPT", 0,
                  "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
  return j;
}

static json_t *open_failed(const char *name, bool optional, berth_error **err) {
  if (errno == ENOENT && optional)
    return NULL;
  if (errno == ENOENT)
    berth_fail(err, 0, "container does not exist");
  else
    berth_fail_errno(err, "open %s", name);
  return NULL;
}

/* NAME parsed, or NULL with *err set. A missing file is "container does
 * not exist" without OPTIONAL, and NULL with *err untouched with it. */
static json_t *load_json_at(int dirfd, const char *name, bool optional, berth_error **err) {
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return open_failed(name, optional, err);
  return load_json_fd(fd, name, NULL, err);
}

/* The container state in J (which it releases), without its cgroup record
 * unless the state predates cgroup.json. */
static int state_from_json(json_t *j, container_state **out, berth_error **err) {
  json_t *pid = json_object_get(j, "pid");
  if (!json_is_object(j) || !json_is_string(json_object_get(j, "id")) || !json_is_integer(pid) ||
      json_integer_value(pid) < 0 || json_integer_value(pid) > INT32_MAX) {
    json_decref(j);
    return berth_fail_id(err, "BERTH-E-STATE-CORRUPT", 0,
                         "state.json: not a container state (an object with id and pid)");
  }
  container_state *st = calloc(1, sizeof(*st));
  if (st == NULL) {
    json_decref(j);
    return berth_fail(err, ENOMEM, "load state");
  }
  st->id = dup_field(j, "id");
  st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
  st->start_time = (uint64_t)json_integer_value(json_object_get(j, "start_time"));
  st->bundle = dup_field(j, "bundle");
  st->rootfs = dup_field(j, "rootfs");
  st->created = dup_field(j, "created");
  st->owner = dup_field(j, "owner");
  st->annotations = json_incref(json_object_get(j, "annotations"));
  /* A state written before cgroup.json keeps its cgroup inline. */
  st->cgroup = json_incref(json_object_get(j, "cgroup"));
  const char *freezer = json_string_value(json_object_get(j, "freezer"));
  st->freezer = freezer ? strdup(freezer) : NULL;
  st->freezer_v2 = json_is_true(json_object_get(j, "freezer_v2"));
  st->no_new_keyring = json_is_true(json_object_get(j, "no_new_keyring"));
  st->init_named = json_is_true(json_object_get(j, "init_named"));
  config_uses_from_json(json_object_get(j, "config_uses"), st);
  json_decref(j);
  *out = st;
  return 0;
}

static int load_state(int dirfd, bool with_cgroup, container_state **out, berth_error **err) {
  json_t *j = load_json_at(dirfd, STATE_FILE, false, err);
  if (j == NULL || state_from_json(j, out, err) < 0)
    return -1;
  container_state *st = *out;
  if (with_cgroup && st->cgroup == NULL) {
    berth_error *e = NULL;
    st->cgroup = load_json_at(dirfd, STATE_CGROUP, true, &e);
    if (e != NULL) {
      if (err != NULL)
        *err = e;
      else
        berth_error_free(e);
      container_state_free(st);
      return -1;
    }
  }
  *out = st;
  return 0;
}

int state_load(int dirfd, container_state **out, berth_error **err) {
  return load_state(dirfd, true, out, err);
}

int state_load_brief(int dirfd, container_state **out, berth_error **err) {
  return load_state(dirfd, false, out, err);
}

int state_load_listed(int rootfd, const char *id, container_state **out, uid_t *owner,
                      berth_error **err) {
  char path[NAME_MAX + sizeof("/" STATE_FILE)];
  snprintf(path, sizeof(path), "%s/%s", id, STATE_FILE);
  /* One open from the root: a symlink anywhere on the way is refused, as
   * the O_NOFOLLOW opens of the directory and then the file would. */
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
  if (fd < 0 && errno == ENOSYS) {
    int dirfd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0)
      return berth_fail_errno(err, "open state directory of %s", id);
    fd = openat(dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    close(dirfd);
  }
  if (fd < 0) {
    open_failed(STATE_FILE, false, err);
    return -1;
  }
  /* The fstat that sizes the read names the owner too: state.json is
   * written by whoever made the directory. */
  struct stat sb;
  json_t *j = load_json_fd(fd, STATE_FILE, &sb, err);
  if (j == NULL || state_from_json(j, out, err) < 0)
    return -1;
  *owner = sb.st_uid;
  return 0;
}

/* A create killed between writing cgroup.json.tmp and renaming it has
 * the record only in the temporary file, whole (each write is). */
json_t *state_load_cgroup(int dirfd, berth_error **err) {
  json_t *j = load_json_at(dirfd, STATE_CGROUP, true, err);
  if (j == NULL && (err == NULL || *err == NULL))
    j = load_json_at(dirfd, STATE_CGROUP ".tmp", true, err);
  return j;
}

void container_state_free(container_state *st) {
  if (st == NULL)
    return;
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->owner);
  json_decref(st->annotations);
  json_decref(st->cgroup);
  free(st->freezer);
  free(st);
}

json_t *state_oci_json(const container_state *st, enum container_status status) {
  json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "ociVersion",
                        BERTH_SPEC_VERSION, "id", st->id, "pid",
                        (json_int_t)(status == STATUS_STOPPED ? 0 : st->pid), "status",
                        state_status_name(status), "bundle", st->bundle, "rootfs", st->rootfs,
                        "created", st->created, "owner", st->owner ? st->owner : "");
  if (j != NULL && st->annotations != NULL && json_object_size(st->annotations) > 0)
    json_object_set(j, "annotations", st->annotations);
  return j;
}

char *state_oci_text(const container_state *st, enum container_status status) {
  json_t *j = state_oci_json(st, status);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return text;
}

int state_write_pid_file(const char *path, pid_t pid, berth_error **err) {
  char tmp[4096];
  if (snprintf(tmp, sizeof(tmp), "%s.berth-tmp", path) >= (int)sizeof(tmp))
    return berth_fail_id(err, "BERTH-E-STATE-PID-FILE", ENAMETOOLONG, "pid file \"%s\"", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-STATE-PID-FILE", "write pid file \"%s\"", path);
  char buf[32];
  int len = snprintf(buf, sizeof(buf), "%d", (int)pid);
  ssize_t n = write(fd, buf, (size_t)len);
  close(fd);
  if (n != len || rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    return berth_fail_id(err, "BERTH-E-STATE-PID-FILE", saved, "write pid file \"%s\"", path);
  }
  return 0;
}

int proc_stat_at(int procfd, pid_t pid, struct proc_stat *out) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), procfd == AT_FDCWD ? "/proc/%d/stat" : "%d/stat", (int)pid);
  int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* "PID (COMM) S ...": comm may contain spaces and parentheses, so it
   * ends at the last ')'. */
  char *open_paren = strchr(buf, '(');
  char *p = strrchr(buf, ')');
  if (open_paren == NULL || p == NULL || p < open_paren || p[1] != ' ')
    return -1;
  size_t comm_len = (size_t)(p - open_paren - 1);
  out->init_comm = comm_len == strlen(STATE_INIT_COMM) &&
                   memcmp(open_paren + 1, STATE_INIT_COMM, comm_len) == 0;
  p += 2;
  out->state = *p;
  /* p is field 3 (state); start time is field 22. */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return -1;
    p++;
  }
  out->start_time = strtoull(p, NULL, 10);
  return 0;
}

int proc_stat_of(pid_t pid, uint64_t *start_time, char *state_letter) {
  struct proc_stat ps;
  if (proc_stat_at(AT_FDCWD, pid, &ps) < 0)
    return -1;
  if (start_time)
    *start_time = ps.start_time;
  if (state_letter)
    *state_letter = ps.state;
  return 0;
}

/* FIFO: the path of exec.fifo relative to DIRFD. An init that no longer
 * bears STATE_INIT_COMM has executed the container's process, which it
 * does only after start took the fifo away: running, without a lookup.
 * One that bears it (or a process that named itself so) is created while
 * the fifo is there. A state without init_named (restored, or written by
 * an older berth whose init kept its name) is always asked the fifo. */
static enum container_status process_status(int procfd, int dirfd, const char *fifo,
                                            const container_state *st) {
  struct proc_stat ps;
  if (st->pid <= 0 || proc_stat_at(procfd, st->pid, &ps) < 0)
    return STATUS_STOPPED;
  if (ps.start_time != st->start_time || ps.state == 'Z' || ps.state == 'X')
    return STATUS_STOPPED;
  if ((ps.init_comm || !st->init_named) && faccessat(dirfd, fifo, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return STATUS_CREATED;
  return STATUS_RUNNING;
}

enum container_status state_process_status(int dirfd, const container_state *st) {
  return process_status(AT_FDCWD, dirfd, STATE_FIFO, st);
}

enum container_status state_process_status_in(int procfd, int rootfd, const char *id,
                                              const container_state *st) {
  char fifo[NAME_MAX + sizeof("/" STATE_FIFO)];
  snprintf(fifo, sizeof(fifo), "%s/%s", id, STATE_FIFO);
  return process_status(procfd, rootfd, fifo, st);
}

/* Days since 1970-01-01 to a proleptic Gregorian date (the inverse of
 * days-from-civil; eras of 400 years keep it exact for any time_t). */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  days += 719468; /* from 0000-03-01 */
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);                       /* [0, 146096] */
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
  unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *state_timestamp(const struct timespec *ts) {
  /* By hand rather than gmtime_r and strftime: glibc loads the local time
   * zone (/etc/localtime) for them on every create, for a UTC stamp. */
  int64_t secs = ts->tv_sec;
  int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400;
  int64_t in_day = secs - days * 86400;
  int64_t year;
  unsigned month, day;
  civil_from_days(days, &year, &month, &day);
  char *out = NULL;
  if (asprintf(&out, "%04lld-%02u-%02uT%02d:%02d:%02d.%09ldZ", (long long)year, month, day,
               (int)(in_day / 3600), (int)(in_day / 60 % 60), (int)(in_day % 60),
               ts->tv_nsec) < 0)
    return NULL;
  return out;
}

char *state_timestamp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return state_timestamp(&ts);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list_ids(const char *root, char ***ids, size_t *n, berth_error **err) {
  *ids = NULL;
  *n = 0;
  DIR *d = opendir(root);
  if (d == NULL) {
    if (errno == ENOENT)
      return 0;
    return berth_fail_errno_id(err, "BERTH-E-STATE-ROOT", "open state root \"%s\"", root);
  }
  struct dirent *de;
  size_t cap = 0;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || state_check_id(de->d_name, NULL) < 0)
      continue;
    if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      char **grown = realloc(*ids, cap * sizeof(char *));
      if (grown == NULL)
        break;
      *ids = grown;
    }
    (*ids)[(*n)++] = strdup(de->d_name);
  }
  closedir(d);
  if (*n > 1)
    qsort(*ids, *n, sizeof(char *), cmp_str);
  return 0;
}
