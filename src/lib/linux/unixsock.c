#include "linux/unixsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int unixsock_connect(const char *path, berth_error **err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof(addr.sun_path))
    return berth_fail_id(err, "BERTH-E-SOCKET-CONNECT", ENAMETOOLONG, "socket path \"%s\"", path);
  memcpy(addr.sun_path, path, len + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_fail_errno(err, "create a socket for \"%s\"", path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    berth_fail_errno_id(err, "BERTH-E-SOCKET-CONNECT", "connect to \"%s\"", path);
    close(fd);
    return -1;
  }
  return fd;
}

int unixsock_send(int sock, const void *data, size_t len, int fd) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do
    n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  for (size_t sent = (size_t)n; sent < len; sent += (size_t)n) {
    n = send(sock, (const char *)data + sent, len - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      n = 0;
    else if (n <= 0)
      return -1;
  }
  return 0;
}

int unixsock_send_fd_to(const char *path, const void *data, size_t len, int fd,
                        berth_error **err) {
  int sock = unixsock_connect(path, err);
  if (sock < 0)
    return -1;
  int rc = unixsock_send(sock, data, len, fd);
  if (rc < 0)
    berth_fail_errno(err, "send to \"%s\"", path);
  close(sock);
  return rc;
}

int unixsock_send_pidfd(const char *path, pid_t pid, berth_error **err) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return berth_fail_errno(err, "pidfd_open %d", (int)pid);
  int rc = unixsock_send_fd_to(path, "pidfd", 5, pidfd, err);
  close(pidfd);
  return rc;
}
