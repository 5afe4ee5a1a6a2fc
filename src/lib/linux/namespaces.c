#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* A new IPC namespace in a new user namespace is made by the init once it
 * is root there, as runc orders it: the namespace's mqueue root belongs to
 * whoever makes the namespace, and only its owner may relabel it for
 * linux.mountLabel. Made by the clone, it would belong to the host's root,
 * unmapped in the container. */
static bool ipc_made_late(const spec *s) {
  return ns_is_new(s, NS_IPC) && ns_is_new(s, NS_USER);
}

int ns_clone_flags(const spec *s) {
  int flags = 0;
  for (size_t i = 0; i < s->linux.n_namespaces; i++) {
    const spec_namespace *ns = &s->linux.namespaces[i];
    if (ns->path != NULL || ns->type == NS_CGROUP || ns->type == NS_TIME)
      continue;
    if (ns->type == NS_IPC && ipc_made_late(s))
      continue;
    flags |= ns->clone_flag;
  }
  return flags;
}

bool ns_is_private(const spec *s, enum spec_ns_type type) {
  return spec_find_namespace(s, type) != NULL;
}

bool ns_is_new(const spec *s, enum spec_ns_type type) {
  const spec_namespace *ns = spec_find_namespace(s, type);
  return ns != NULL && ns->path == NULL;
}

bool ns_all_made_at_clone_without_user(const spec *s) {
  if (spec_find_namespace(s, NS_USER) != NULL)
    return false;
  for (size_t i = 0; i < s->linux.n_namespaces; i++)
    if (s->linux.namespaces[i].path != NULL)
      return false;
  return true;
}

static int join_one(const spec_namespace *ns, berth_error **err) {
  int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-NAMESPACE-PATH",
                               "open %s namespace \"%s\"", spec_ns_type_name(ns->type), ns->path);
  int rc = setns(fd, ns->clone_flag);
  int saved = errno;
  close(fd);
  if (rc < 0)
    return berth_fail_id(err, "BERTH-E-NAMESPACE-JOIN", saved,
                         "join %s namespace \"%s\"", spec_ns_type_name(ns->type),
                         ns->path);
  return 0;
}

int ns_join_paths(const spec *s, berth_error **err) {
  /* The user namespace decides what the others may do: it goes first. */
  const spec_namespace *user = spec_find_namespace(s, NS_USER);
  if (user != NULL && user->path != NULL && join_one(user, err) < 0)
    return -1;
  for (size_t i = 0; i < s->linux.n_namespaces; i++) {
    const spec_namespace *ns = &s->linux.namespaces[i];
    if (ns->path == NULL || ns->type == NS_USER || ns->type == NS_PID)
      continue;
    if (join_one(ns, err) < 0)
      return -1;
  }
  return 0;
}

static int write_time_offsets(const spec *s, berth_error **err) {
  char buf[128];
  int len = 0;
  if (s->linux.time_monotonic.set)
    len += snprintf(buf + len, sizeof(buf) - (size_t)len, "monotonic %lld %u\n",
                    (long long)s->linux.time_monotonic.secs, s->linux.time_monotonic.nanosecs);
  if (s->linux.time_boottime.set)
    len += snprintf(buf + len, sizeof(buf) - (size_t)len, "boottime %lld %u\n",
                    (long long)s->linux.time_boottime.secs, s->linux.time_boottime.nanosecs);
  if (len == 0)
    return 0;
  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-NAMESPACE-TIME-OFFSET",
                               "open /proc/self/timens_offsets");
  ssize_t n = write(fd, buf, (size_t)len);
  int saved = errno;
  close(fd);
  if (n != len)
    return berth_fail_id(err, "BERTH-E-NAMESPACE-TIME-OFFSET", n < 0 ? saved : EIO,
                         "write linux.timeOffsets");
  return 0;
}

int ns_unshare_late(const spec *s, berth_error **err) {
  if (ipc_made_late(s) && unshare(CLONE_NEWIPC) < 0)
    return berth_fail_errno_id(err, "BERTH-E-NAMESPACE-CREATE", "create ipc namespace");
  if (ns_is_new(s, NS_TIME)) {
    /* Only children (and this process after execve) enter the new time
     * namespace, and offsets can be set only until someone is inside. */
    if (unshare(CLONE_NEWTIME) < 0)
      return berth_fail_errno_id(err, "BERTH-E-NAMESPACE-CREATE", "create time namespace");
    if (write_time_offsets(s, err) < 0)
      return -1;
  } else if (s->linux.time_monotonic.set || s->linux.time_boottime.set) {
    return berth_fail_id(err, "BERTH-E-NAMESPACE-NEEDED", 0,
                         "linux.timeOffsets: requires a new time namespace");
  }
  if (ns_is_new(s, NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
    return berth_fail_errno_id(err, "BERTH-E-NAMESPACE-CREATE", "create cgroup namespace");
  return 0;
}

int ns_enter_pid_for_children(const spec *s, int *saved_fd, berth_error **err) {
  *saved_fd = -1;
  const spec_namespace *pid = spec_find_namespace(s, NS_PID);
  if (pid == NULL || pid->path == NULL)
    return 0;
  int self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return berth_fail_errno(err, "open /proc/self/ns/pid");
  if (join_one(pid, err) < 0) {
    close(self);
    return -1;
  }
  *saved_fd = self;
  return 0;
}

int ns_restore_pid_for_children(int saved_fd, berth_error **err) {
  if (saved_fd < 0)
    return 0;
  int rc = setns(saved_fd, CLONE_NEWPID);
  int saved = errno;
  close(saved_fd);
  if (rc < 0)
    return berth_fail(err, saved, "return to the runtime's pid namespace");
  return 0;
}

static bool maps_zero(const spec_idmaps *m) {
  for (size_t i = 0; i < m->n; i++) {
    if (m->v[i].container_id == 0 && m->v[i].size > 0)
      return true;
  }
  return false;
}

int ns_check_id_maps(const spec *s, berth_error **err) {
  if (!ns_is_new(s, NS_USER)) {
    if (s->linux.uid_mappings.n || s->linux.gid_mappings.n)
      return berth_fail_id(err, "BERTH-E-NAMESPACE-NEEDED", 0,
                           "linux.uidMappings: user mappings need a new user namespace");
    return 0;
  }
  if (!maps_zero(&s->linux.uid_mappings))
    return berth_fail_id(err, "BERTH-E-USERNS-NO-ROOT", 0,
                         "linux.uidMappings: user namespaces enabled, but no root user "
                         "mapping found");
  if (!maps_zero(&s->linux.gid_mappings))
    return berth_fail_id(err, "BERTH-E-USERNS-NO-ROOT", 0,
                         "linux.gidMappings: user namespaces enabled, but no root group "
                         "mapping found");
  return 0;
}

int ns_write_id_map(pid_t pid, const char *file, const spec_idmaps *m, berth_error **err) {
  char buf[4096];
  size_t len = 0;
  for (size_t i = 0; i < m->n; i++) {
    int n = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m->v[i].container_id,
                     m->v[i].host_id, m->v[i].size);
    if (n < 0 || (size_t)n >= sizeof(buf) - len)
      return berth_fail(err, E2BIG, "%s: too many mappings", file);
    len += (size_t)n;
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-USERNS-MAP", "open %s", path);
  ssize_t w = write(fd, buf, len);
  int saved = errno;
  close(fd);
  if (w != (ssize_t)len)
    return berth_fail_id(err, "BERTH-E-USERNS-MAP", w < 0 ? saved : EIO, "write %s", path);
  return 0;
}

/* An unprivileged caller may write one mapping of its own id itself (for
 * groups only after denying setgroups); anything else goes through the
 * setuid helpers newuidmap/newgidmap, which check /etc/subuid. */
static bool self_mapping(const spec_idmaps *m, uint32_t own) {
  return m->n == 1 && m->v[0].host_id == own && m->v[0].size == 1;
}

/* 127 is the child's own exit when execvp found no helper; any other
 * failure is the helper refusing the mapping. */
static const char *helper_code(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "BERTH-E-USERNS-HELPER-MISSING"
                                                          : "BERTH-E-USERNS-HELPER-FAILED";
}

static int run_map_helper(const char *helper, pid_t pid, const spec_idmaps *m,
                          berth_error **err) {
  char *argv[3 + 3 * 340 + 1];
  char nums[3 * 340][12];
  if (m->n > 340)
    return berth_fail(err, E2BIG, "%s: too many mappings", helper);
  char pidbuf[16];
  snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
  size_t k = 0;
  argv[k++] = (char *)helper;
  argv[k++] = pidbuf;
  for (size_t i = 0; i < m->n; i++) {
    uint32_t v[3] = {m->v[i].container_id, m->v[i].host_id, m->v[i].size};
    for (int f = 0; f < 3; f++) {
      snprintf(nums[3 * i + f], sizeof(nums[0]), "%u", v[f]);
      argv[k++] = nums[3 * i + f];
    }
  }
  argv[k] = NULL;
  pid_t child = fork();
  if (child < 0)
    return berth_fail_errno(err, "fork for %s", helper);
  if (child == 0) {
    execvp(helper, argv);
    _exit(127);
  }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return berth_fail_id(err, helper_code(status), 0,
                         "%s failed (exit status %d); is the uidmap package installed "
                         "and /etc/subuid set up?", helper,
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}

static int deny_setgroups(pid_t pid, berth_error **err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno_id(err, "BERTH-E-USERNS-MAP", "open %s", path);
  ssize_t n = write(fd, "deny", 4);
  int saved = errno;
  close(fd);
  return n == 4 ? 0 : berth_fail_id(err, "BERTH-E-USERNS-MAP", saved, "write %s", path);
}

static int map_ids(pid_t pid, const spec *s, berth_error **err) {
  if (geteuid() == 0)
    return ns_write_id_map(pid, "uid_map", &s->linux.uid_mappings, err) < 0 ||
                   ns_write_id_map(pid, "gid_map", &s->linux.gid_mappings, err) < 0
               ? -1
               : 0;
  if (self_mapping(&s->linux.uid_mappings, geteuid())) {
    if (ns_write_id_map(pid, "uid_map", &s->linux.uid_mappings, err) < 0)
      return -1;
  } else if (run_map_helper("newuidmap", pid, &s->linux.uid_mappings, err) < 0) {
    return -1;
  }
  if (self_mapping(&s->linux.gid_mappings, getegid()))
    return deny_setgroups(pid, err) < 0 ||
                   ns_write_id_map(pid, "gid_map", &s->linux.gid_mappings, err) < 0
               ? -1
               : 0;
  return run_map_helper("newgidmap", pid, &s->linux.gid_mappings, err);
}

int ns_write_id_maps(pid_t pid, const spec *s, berth_error **err) {
  if (!ns_is_new(s, NS_USER))
    return 0;
  if (map_ids(pid, s, err) < 0)
    return berth_wrap(err, "map user namespace ids");
  return 0;
}

int ns_become_userns_root(const spec *s, berth_error **err) {
  if (spec_find_namespace(s, NS_USER) == NULL)
    return 0;
  if (setresgid(0, 0, 0) < 0)
    return berth_fail_errno(err, "setresgid 0 in the user namespace");
  if (setresuid(0, 0, 0) < 0)
    return berth_fail_errno(err, "setresuid 0 in the user namespace");
  return 0;
}

int ns_loopback_up(const spec *s, berth_error **err) {
  const spec_namespace *net = spec_find_namespace(s, NS_NETWORK);
  if (net == NULL || net->path != NULL)
    return 0;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return berth_fail_errno(err, "socket to bring up lo");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  strcpy(ifr.ifr_name, "lo");
  int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(sock, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(sock);
  if (rc < 0)
    return berth_fail(err, saved, "bring up lo in the container's network namespace");
  return 0;
}
