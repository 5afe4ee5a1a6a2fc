#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux/unixsock.h"

static int add_env(spec_process *p, const char *entry) {
  size_t name_len = strchr(entry, '=') - entry + 1;
  for (size_t i = 0; i < p->env.n; i++) {
    if (strncmp(p->env.v[i], entry, name_len) == 0) {
      free(p->env.v[i]);
      p->env.v[i] = strdup(entry);
      return p->env.v[i] ? 0 : -1;
    }
  }
  char **grown = realloc(p->env.v, (p->env.n + 2) * sizeof(char *));
  if (grown == NULL)
    return -1;
  p->env.v = grown;
  p->env.v[p->env.n] = strdup(entry);
  p->env.v[++p->env.n] = NULL;
  return p->env.v[p->env.n - 1] ? 0 : -1;
}

static int add_mount(spec *s, const char *source) {
  static const char *const options[] = {"bind", "nosuid", "noexec", "nodev", "ro"};
  spec_mount *grown = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*grown));
  if (grown == NULL)
    return -1;
  s->mounts = grown;
  spec_mount *m = &s->mounts[s->n_mounts++];
  memset(m, 0, sizeof(*m));
  m->destination = strdup(NOTIFY_CONTAINER_DIR);
  m->source = strdup(source);
  m->type = strdup("bind");
  size_t n = sizeof(options) / sizeof(options[0]);
  m->options.v = calloc(n + 1, sizeof(char *));
  if (m->options.v == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    m->options.v[i] = strdup(options[i]);
  m->options.n = n;
  return m->destination && m->source && m->type ? 0 : -1;
}

int notify_prepare(spec *s, int state_dirfd, const char *state_dir, berth_error **err) {
  const char *host = getenv("NOTIFY_SOCKET");
  if (host == NULL || *host == '\0')
    return 0;
  /* Refused here rather than cut short when start passes READY on. */
  if (strlen(host) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
    return berth_fail(err, ENAMETOOLONG,
                      "NOTIFY_SOCKET \"%s\": longer than a socket address holds (%zu bytes)",
                      host, sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
  /* World-searchable: a container root mapped to another uid must reach it. */
  if (mkdirat(state_dirfd, NOTIFY_DIR, 0755) < 0 || fchmodat(state_dirfd, NOTIFY_DIR, 0755, 0) < 0)
    return berth_fail_errno(err, "create the notify socket directory");
  char source[4096];
  snprintf(source, sizeof(source), "%s/" NOTIFY_DIR, state_dir);
  if (add_mount(s, source) < 0 ||
      add_env(s->process, "NOTIFY_SOCKET=" NOTIFY_CONTAINER_DIR "/" NOTIFY_SOCKET_NAME) < 0)
    return berth_fail(err, ENOMEM, "set up the notify socket");
  return 0;
}

int notify_listen(int state_dirfd, const char *state_dir, berth_error **err) {
  const char *host = getenv("NOTIFY_SOCKET");
  if (host == NULL || *host == '\0')
    return -1;
  int dirfd = openat(state_dirfd, NOTIFY_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return -1; /* created without one */
  /* Bound through /proc/self/fd: the state directory's own path may be
   * longer than a socket address holds (108 bytes). */
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/" NOTIFY_SOCKET_NAME, dirfd);
  unlinkat(dirfd, NOTIFY_SOCKET_NAME, 0);
  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    close(dirfd);
    return berth_fail_errno(err, "create the notify socket");
  }
  if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
      fchmodat(dirfd, NOTIFY_SOCKET_NAME, 0777, 0) < 0) {
    berth_fail_errno(err, "bind the notify socket \"%s/" NOTIFY_DIR "/" NOTIFY_SOCKET_NAME "\"",
                     state_dir);
    close(sock);
    sock = -1;
  }
  close(dirfd);
  return sock;
}

static int send_to_host(const char *text, int fd, berth_error **err) {
  const char *host = getenv("NOTIFY_SOCKET");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", host);
  if (addr.sun_path[0] == '@')
    addr.sun_path[0] = '\0'; /* abstract socket, as systemd spells it */
  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return berth_fail_errno(err, "create a socket for NOTIFY_SOCKET");
  int rc = connect(sock, (struct sockaddr *)&addr, sizeof(addr));
  if (rc == 0)
    rc = unixsock_send(sock, text, strlen(text), fd);
  if (rc < 0)
    berth_fail_errno(err, "notify \"%s\"", host);
  close(sock);
  return rc;
}

/* BARRIER=1 with a pipe: the host has read everything before when it
 * closes its end. */
static int barrier(berth_error **err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return berth_fail_errno(err, "pipe for the notify barrier");
  int rc = send_to_host("BARRIER=1", p[1], err);
  close(p[1]);
  if (rc == 0) {
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    if (poll(&pfd, 1, 30000) == 0)
      berth_warn("notify: the host did not answer the barrier within 30s");
  }
  close(p[0]);
  return rc;
}

int notify_forward(int sock, pid_t init_pid, int (*alive)(void *), void *arg,
                   berth_error **err) {
  char buf[4096];
  for (;;) {
    struct pollfd pfd = {.fd = sock, .events = POLLIN};
    int r = poll(&pfd, 1, 100);
    if (r < 0 && errno != EINTR)
      return berth_fail_errno(err, "wait on the notify socket");
    if (r <= 0) {
      if (!alive(arg))
        return 0; /* runc stops waiting when the init is gone */
      continue;
    }
    ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
      continue;
    buf[n] = '\0';
    if (strstr(buf, "READY=") == NULL)
      continue;
    char msg[4200];
    snprintf(msg, sizeof(msg), "%s\nMAINPID=%d", buf, (int)init_pid);
    if (send_to_host(msg, -1, err) < 0)
      return -1;
    return barrier(err);
  }
}
