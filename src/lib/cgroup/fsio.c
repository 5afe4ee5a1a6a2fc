/* Reading and writing cgroup control files. The kernel parses each write(2)
 * as one value, so every value goes out in a single call. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"

/* Control files are small; the largest we read (cgroup.procs of a busy
 * container) grows as needed. */
#define CG_READ_CHUNK 4096

void cg_sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

bool cg_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *cg_join(const char *dir, const char *file) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s", dir, file) < 0)
    return NULL;
  return p;
}

bool cg_file_exists(const char *dir, const char *file) {
  char *p = cg_join(dir, file);
  if (p == NULL)
    return false;
  bool ok = access(p, F_OK) == 0;
  free(p);
  return ok;
}

/* Returns 0, or -1 with errno set and *failed_op naming the step. */
static int write_once(const char *path, const char *value, const char **failed_op) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    *failed_op = "open";
    return -1;
  }
  size_t len = strlen(value);
  ssize_t n = write(fd, value, len);
  int saved = errno;
  close(fd);
  if (n < 0 || (size_t)n != len) {
    errno = n < 0 ? saved : EIO;
    *failed_op = "write";
    return -1;
  }
  return 0;
}

const char *cg_refused_code(const char *file, int e) {
  if (e == EACCES || e == EPERM || e == EROFS)
    return "BERTH-E-CGROUP-PERMISSION";
  if (file == NULL)
    return NULL;
  if (strncmp(file, "cpuset.", 7) == 0)
    return "BERTH-E-CGROUP-CPUSET";
  /* cgroup v1 answers a limit it cannot reclaim down to with EBUSY. */
  if (e == EBUSY && strncmp(file, "memory.", 7) == 0)
    return "BERTH-E-CGROUP-MEMORY-USAGE";
  if ((e == EINVAL || e == ERANGE) && strncmp(file, "cgroup.", 7) != 0)
    return "BERTH-E-CGROUP-VALUE";
  return NULL;
}

int cg_write(const char *dir, const char *file, const char *value, berth_error **err) {
  char *path = cg_join(dir, file);
  if (path == NULL)
    return berth_fail(err, ENOMEM, "write \"%s/%s\"", dir, file);
  const char *op = "write";
  int rc = write_once(path, value, &op);
  if (rc < 0)
    berth_fail_errno_id(err, cg_refused_code(file, errno), "write \"%s\"", path);
  free(path);
  return rc;
}

int cg_write_field(const char *dir, const char *file, const char *value, const char *field,
                   const char *hint, berth_error **err) {
  char *path = cg_join(dir, file);
  if (path == NULL)
    return berth_fail(err, ENOMEM, "%s: write \"%s/%s\"", field, dir, file);
  const char *op = "write";
  int rc = write_once(path, value, &op);
  if (rc < 0) {
    if (errno == ENOENT && strcmp(op, "open") == 0)
      berth_fail_id(err, "BERTH-E-CGROUP-CONTROLLER", 0,
                    "%s: %s does not exist%s%s%s", field, file, hint ? " (" : "",
                    hint ? hint : "", hint ? ")" : "");
    else
      berth_fail_errno_id(err, cg_refused_code(file, errno), "%s: write \"%s\"", field, path);
  }
  free(path);
  return rc;
}

int cg_read(const char *dir, const char *file, char **out, berth_error **err) {
  char *path = cg_join(dir, file);
  if (path == NULL)
    return berth_fail(err, ENOMEM, "read \"%s/%s\"", dir, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    berth_fail_errno(err, "read \"%s\"", path);
    free(path);
    return -1;
  }
  size_t cap = CG_READ_CHUNK, len = 0;
  char *buf = malloc(cap + 1);
  int rc = 0;
  while (buf != NULL) {
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = berth_fail_errno(err, "read \"%s\"", path);
      break;
    }
    if (n == 0)
      break;
    len += (size_t)n;
    if (len == cap) {
      char *bigger = realloc(buf, cap * 2 + 1);
      if (bigger == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  close(fd);
  if (buf == NULL && rc == 0)
    rc = berth_fail(err, ENOMEM, "read \"%s\"", path);
  free(path);
  if (rc < 0) {
    free(buf);
    return -1;
  }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out, berth_error **err) {
  char *text = NULL;
  if (cg_read(dir, file, &text, err) < 0)
    return -1;
  char *end = NULL;
  errno = 0;
  uint64_t v = strtoull(text, &end, 10);
  bool ok = errno == 0 && end != text && (*end == '\n' || *end == '\0');
  free(text);
  if (!ok)
    return berth_fail(err, 0, "read \"%s/%s\": not a number", dir, file);
  *out = v;
  return 0;
}

int cg_error_pass(berth_error **err, berth_error *e) {
  if (err == NULL) {
    berth_error_free(e);
    return -1;
  }
  berth_error_free(*err);
  *err = e;
  return -1;
}
