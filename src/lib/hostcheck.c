/* Kernel and host probes of `berth check`. Each asks the kernel with the
 * call berth would make, so a feature compiled out, disabled by a sysctl or
 * refused by a seccomp filter around berth shows as missing, whatever the
 * kernel version says. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "hostcheck.h"
#include "linux/idmap.h"
#include "linux/lsm.h"

#define HOST "host"

/* Runs fn in a forked child; returns the errno it exits with (0: worked),
 * so whatever the probe creates dies with the child. */
static int in_child(int (*fn)(int), int arg) {
  pid_t pid = fork();
  if (pid < 0)
    return errno;
  if (pid == 0)
    _exit(fn(arg));
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return errno;
  return WIFEXITED(status) ? WEXITSTATUS(status) : EFAULT;
}

/* Exit status of a probe child whose namespace needed a user namespace
 * around it, as it does for a rootless berth. */
#define IN_USERNS 200

static int try_unshare(int flag) {
  if (unshare(flag) == 0)
    return 0;
  int e = errno;
  if (e == EPERM && flag != CLONE_NEWUSER && unshare(CLONE_NEWUSER | flag) == 0)
    return IN_USERNS;
  return e;
}

/* As an unprivileged user, the way rootless berth would. */
static int try_unprivileged_userns(int uid) {
  if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) < 0 ||
                         setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0))
    return errno;
  return unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
}

static void probe_namespaces(hc_host *h, hc_report *r) {
  for (int t = 0; t < NS_TYPE_COUNT; t++) {
    char name[32];
    snprintf(name, sizeof(name), "namespace %s", spec_ns_type_name(t));
    int e = in_child(try_unshare, spec_ns_clone_flag(t));
    h->ns[t] = e == 0 || e == IN_USERNS;
    h->ns_in_userns_only[t] = e == IN_USERNS;
    if (e == 0)
      hc_add(r, HOST, HC_OK, name, "can be created");
    else if (e == IN_USERNS)
      hc_add(r, HOST, HC_OK, name, "can be created inside a user namespace");
    else
      hc_add(r, HOST, t == NS_MOUNT ? HC_FAIL : HC_WARN, name, "cannot be created: %s",
             strerror(e));
  }
  int e = in_child(try_unprivileged_userns, 65534);
  h->userns_unprivileged = e == 0;
  if (e == 0)
    hc_add(r, HOST, HC_OK, "user namespace (unprivileged)", "allowed");
  else
    hc_add(r, HOST, HC_WARN, "user namespace (unprivileged)",
           "refused (%s): rootless containers will not work; see the sysctls "
           "kernel.unprivileged_userns_clone and user.max_user_namespaces",
           strerror(e));
}

/* clone3 copies its argument before anything else; a size above a page is
 * refused with E2BIG by a kernel that has it, ENOSYS by one that does not. */
static void probe_clone3(hc_host *h, hc_report *r) {
  long page = sysconf(_SC_PAGESIZE);
  size_t size = (size_t)(page > 0 ? page : 4096) + 8;
  void *buf = calloc(1, size);
  errno = ENOMEM;
  long rc = buf != NULL ? syscall(SYS_clone3, buf, size) : -1;
  int e = errno;
  free(buf);
  h->clone3 = rc < 0 && e == E2BIG;
  if (h->clone3)
    hc_add(r, HOST, HC_OK, "clone3", "present");
  else
    hc_add(r, HOST, HC_WARN, "clone3", "not usable (%s): processes are moved into their cgroup "
                                      "after they start", strerror(e));
}

static void probe_pidfd(hc_host *h, hc_report *r) {
  int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  int e = errno;
  if (fd >= 0 && syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0)
    e = errno;
  else if (fd >= 0)
    h->pidfd = true;
  if (fd >= 0)
    close(fd);
  if (h->pidfd)
    hc_add(r, HOST, HC_OK, "pidfd", "pidfd_open and pidfd_send_signal present");
  else
    hc_add(r, HOST, HC_WARN, "pidfd", "not usable (%s): --pidfd-socket will not work",
           strerror(e));
}

static bool action_available(unsigned action) {
  return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

static void probe_seccomp(hc_host *h, hc_report *r) {
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
    hc_add(r, HOST, HC_WARN, "seccomp", "the kernel has no seccomp: linux.seccomp will fail");
    return;
  }
  h->seccomp = action_available(SECCOMP_RET_ERRNO) && action_available(SECCOMP_RET_KILL_PROCESS);
  if (h->seccomp)
    hc_add(r, HOST, HC_OK, "seccomp", "filters with every action");
  else
    hc_add(r, HOST, HC_WARN, "seccomp", "filter actions unavailable (%s)", strerror(errno));
  struct seccomp_notif_sizes sizes;
  h->seccomp_notify = action_available(SECCOMP_RET_USER_NOTIF) &&
                      syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0;
  if (h->seccomp_notify)
    hc_add(r, HOST, HC_OK, "seccomp notify", "SCMP_ACT_NOTIFY and listenerPath work");
  else
    hc_add(r, HOST, HC_WARN, "seccomp notify", "unavailable (%s): SCMP_ACT_NOTIFY will fail",
           strerror(errno));
}

/* An idmapped clone of "/" through berth's own idmapped-mount code, with a
 * one-id mapping of the caller; the detached tree is closed at once. */
static void probe_idmapped(hc_host *h, hc_report *r) {
  char json[512];
  snprintf(json, sizeof(json),
           "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"mounts\":[{\"destination\":"
           "\"/probe\",\"type\":\"bind\",\"source\":\"/\",\"options\":[\"bind\"],"
           "\"uidMappings\":[{\"containerID\":0,\"hostID\":%u,\"size\":1}],"
           "\"gidMappings\":[{\"containerID\":0,\"hostID\":%u,\"size\":1}]}]}",
           geteuid(), getegid());
  spec *s = NULL;
  struct idmap_trees *t = NULL;
  berth_error *err = NULL;
  if (spec_parse(json, strlen(json), "probe", &s, &err) == 0 && idmap_prepare(s, NULL, &t, &err) == 0)
    h->idmapped_mounts = true;
  idmap_trees_free(t);
  spec_free(s);
  if (h->idmapped_mounts)
    hc_add(r, HOST, HC_OK, "idmapped mounts", "an idmapped bind mount of / works");
  else
    hc_add(r, HOST, HC_WARN, "idmapped mounts", "%s", berth_error_text(err));
  berth_error_free(err);
}

static void probe_criu(hc_host *h, hc_report *r) {
  berth_error *err = NULL;
  int v = 0;
  if (criu_check_version(0, &v, &err) == 0) {
    h->criu_version = v;
    hc_add(r, HOST, HC_OK, "criu", "version %d.%d.%d", v / 10000, v / 100 % 100, v % 100);
  } else {
    hc_add(r, HOST, HC_WARN, "criu", "%s", berth_error_text(err));
  }
  berth_error_free(err);
}

static bool is_fs(const char *path, long magic) {
  struct statfs sf;
  return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

static enum hc_cgroup_mode cgroup_mode(void) {
  if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
    return HC_CGROUP_V2;
  if (!is_fs("/sys/fs/cgroup", TMPFS_MAGIC))
    return HC_CGROUP_NONE;
  return is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC) ? HC_CGROUP_HYBRID : HC_CGROUP_V1;
}

/* The cgroup2 directory this process is in, from its "0::" line. */
static int own_unified_dir(const char *mount, char *out, size_t len) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  char line[4096];
  int rc = -1;
  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "0::", 3) == 0) {
      line[strcspn(line, "\n")] = '\0';
      snprintf(out, len, "%s%s", mount, strcmp(line + 3, "/") == 0 ? "" : line + 3);
      rc = 0;
    }
  }
  if (f != NULL)
    fclose(f);
  return rc;
}

static void read_line(const char *path, char *buf, size_t len) {
  buf[0] = '\0';
  FILE *f = fopen(path, "re");
  if (f != NULL && fgets(buf, (int)len, f) != NULL)
    buf[strcspn(buf, "\n")] = '\0';
  if (f != NULL)
    fclose(f);
}

/* The controllers of the v1 hierarchies this process is in (the lines of
 * /proc/self/cgroup other than "0::"), comma-separated. */
static void v1_controllers(char *out, size_t len) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  char line[4096];
  out[0] = '\0';
  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    char *first = strchr(line, ':'), *last = first ? strchr(first + 1, ':') : NULL;
    if (first == NULL || last == NULL || last == first + 1 || strncmp(line, "0:", 2) == 0)
      continue;
    size_t used = strlen(out);
    snprintf(out + used, len - used, "%s%.*s", used ? "," : "", (int)(last - first - 1), first + 1);
  }
  if (f != NULL)
    fclose(f);
}

static void probe_cgroups(hc_host *h, hc_report *r) {
  static const char *const names[] = {"none", "v1", "hybrid (v1 and a cgroup2 mount)", "v2"};
  h->cgroup_mode = cgroup_mode();
  hc_add(r, HOST, h->cgroup_mode == HC_CGROUP_NONE ? HC_WARN : HC_OK, "cgroup mode", "%s",
         names[h->cgroup_mode]);
  const char *mount = h->cgroup_mode == HC_CGROUP_V2       ? "/sys/fs/cgroup"
                      : h->cgroup_mode == HC_CGROUP_HYBRID ? "/sys/fs/cgroup/unified"
                                                           : NULL;
  char dir[4096], file[4200], controllers[1024];
  v1_controllers(h->v1_controllers, sizeof(h->v1_controllers));
  if (mount != NULL) {
    snprintf(file, sizeof(file), "%s/cgroup.controllers", mount);
    read_line(file, h->v2_controllers, sizeof(h->v2_controllers));
    for (char *c = h->v2_controllers; *c; c++)
      *c = *c == ' ' ? ',' : *c;
  }
  if (mount != NULL && own_unified_dir(mount, dir, sizeof(dir)) == 0) {
    snprintf(file, sizeof(file), "%s/cgroup.controllers", dir);
    read_line(file, controllers, sizeof(controllers));
    bool writable = access(dir, W_OK) == 0;
    hc_add(r, HOST, writable ? HC_OK : HC_WARN, "cgroup delegation",
           "cgroup2 %s is %s; controllers: %s", dir,
           writable ? "writable" : "not writable (limits will be refused or ignored)",
           *controllers ? controllers : "none");
  }
  if (h->cgroup_mode == HC_CGROUP_V1 || h->cgroup_mode == HC_CGROUP_HYBRID) {
    bool writable = access("/sys/fs/cgroup/memory", W_OK) == 0 ||
                    access("/sys/fs/cgroup/pids", W_OK) == 0;
    hc_add(r, HOST, writable ? HC_OK : HC_WARN, "cgroup v1 hierarchies", "%s",
           writable ? "writable" : "not writable by this user: limits will be refused or ignored");
  }
}

static void probe_lsms(hc_host *h, hc_report *r) {
  char active[256];
  read_line("/sys/kernel/security/lsm", active, sizeof(active));
  h->apparmor = lsm_apparmor_enabled();
  h->selinux = lsm_selinux_enabled();
  hc_add(r, HOST, HC_OK, "LSMs", "AppArmor %s, SELinux %s (active: %s)",
         h->apparmor ? "enabled" : "off", h->selinux ? "enabled" : "off",
         *active ? active : "unknown");
}

static bool socket_answers(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

/* The sockets the systemd cgroup driver talks to (cgroup/systemd_bus.c). */
void hostcheck_systemd(hc_report *r) {
  static const char *const sockets[] = {"/run/dbus/system_bus_socket", "/run/systemd/private"};
  for (size_t i = 0; i < sizeof(sockets) / sizeof(sockets[0]); i++) {
    if (socket_answers(sockets[i])) {
      hc_add(r, HOST, HC_OK, "systemd cgroup driver", "%s answers", sockets[i]);
      return;
    }
  }
  hc_add(r, HOST, HC_FAIL, "systemd cgroup driver", "--systemd-cgroup: neither %s nor %s "
         "answers (no systemd here?)", sockets[0], sockets[1]);
}

void hostcheck_probe(hc_host *h, hc_report *r) {
  memset(h, 0, sizeof(*h));
  probe_namespaces(h, r);
  probe_clone3(h, r);
  probe_pidfd(h, r);
  probe_seccomp(h, r);
  probe_idmapped(h, r);
  probe_criu(h, r);
  probe_cgroups(h, r);
  probe_lsms(h, r);
}
