#include "linux/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "linux/namespaces.h"

static bool has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The ipc-namespaced keys (see ipc_sysctls in the kernel). */
static bool is_ipc_key(const char *k) {
  static const char *const exact[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                      "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
    if (strcmp(k, exact[i]) == 0)
      return true;
  }
  return has_prefix(k, "fs.mqueue.");
}

static int check_key(const spec *s, const char *k, berth_error **err) {
  if (is_ipc_key(k)) {
    if (!ns_is_private(s, NS_IPC))
      return berth_fail_id(err, "BERTH-E-SYSCTL-NOT-ALLOWED", 0,
                           "sysctl \"%s\" is not allowed in the hosts ipc namespace", k);
    return 0;
  }
  if (has_prefix(k, "net.")) {
    if (!ns_is_private(s, NS_NETWORK))
      return berth_fail_id(err, "BERTH-E-SYSCTL-NOT-ALLOWED", 0,
                           "sysctl \"%s\" is not allowed in the hosts network namespace", k);
    return 0;
  }
  if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0) {
    if (!ns_is_private(s, NS_UTS))
      return berth_fail_id(err, "BERTH-E-SYSCTL-NOT-ALLOWED", 0,
                           "sysctl \"%s\" is not allowed as it conflicts with the OCI "
                           "\"hostname\" field", k);
    return 0;
  }
  return berth_fail_id(err, "BERTH-E-SYSCTL-NOT-NAMESPACED", 0,
                       "sysctl \"%s\" is not in a separate kernel namespace", k);
}

int sysctl_validate(const spec *s, berth_error **err) {
  for (size_t i = 0; i < s->linux.sysctl.n; i++) {
    const spec_kv *kv = &s->linux.sysctl.v[i];
    if (strstr(kv->key, "..") || strchr(kv->key, '/') == kv->key)
      return berth_fail_id(err, "BERTH-E-SYSCTL-KEY", 0,
                           "linux.sysctl: invalid key \"%s\"", kv->key);
    if (strpbrk(kv->value, "\n\r") != NULL)
      return berth_fail_id(err, "BERTH-E-SYSCTL-KEY", 0,
                           "linux.sysctl.%s: value must be a single line", kv->key);
    if (check_key(s, kv->key, err) < 0)
      return berth_wrap(err, "linux.sysctl");
  }
  return 0;
}

/* Written through a procfs instance of our own, never through the
 * container's /proc, where a spec mount (maybe reached through an image's
 * symlink) could cover /proc/sys with a decoy (CVE-2025-52881). */
static int write_one(int procfd, const spec_kv *kv, berth_error **err) {
  char path[512];
  int len = snprintf(path, sizeof(path), "sys/%s", kv->key);
  if (len >= (int)sizeof(path))
    return berth_fail_id(err, "BERTH-E-SYSCTL-KEY", ENAMETOOLONG, "sysctl \"%s\"", kv->key);
  for (char *p = path + strlen("sys/"); *p; p++) {
    if (*p == '.')
      *p = '/';
  }
  struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
  int fd = (int)syscall(SYS_openat2, procfd, path, &how, sizeof(how));
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-SYSCTL-WRITE", "open sysctl \"%s\"", kv->key);
  ssize_t n = write(fd, kv->value, strlen(kv->value));
  int saved = errno;
  close(fd);
  if (n < 0)
    return berth_fail_id(err, "BERTH-E-SYSCTL-WRITE", saved,
                         "write sysctl \"%s\" = \"%s\"", kv->key, kv->value);
  return 0;
}

int sysctl_apply(const spec *s, berth_error **err) {
  if (s->linux.sysctl.n == 0)
    return 0;
  int procfd = lsm_open_trusted_proc(err);
  if (procfd < 0)
    return berth_wrap(err, "linux.sysctl");
  int rc = 0;
  for (size_t i = 0; i < s->linux.sysctl.n && rc == 0; i++)
    rc = write_one(procfd, &s->linux.sysctl.v[i], err);
  close(procfd);
  return rc;
}
