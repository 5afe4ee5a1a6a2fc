/* Handing the seccomp listener fd to the agent at linux.seccomp.listenerPath.
 * The runtime spec (config-linux.md, runtime.md "container process state")
 * asks for an AF_UNIX SOCK_STREAM connection per container carrying exactly
 * one JSON document, {ociVersion, fds: ["seccompFd"], pid, metadata, state},
 * with the fds as SCM_RIGHTS in the first sendmsg, then closed. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux/seccomp.h"

static json_t *process_state(const char *metadata, const char *state_json, berth_error **err) {
  json_error_t jerr;
  json_t *state = state_json != NULL ? json_loads(state_json, 0, &jerr) : NULL;
  json_t *pid = json_object_get(state, "pid");
  if (!json_is_object(state) || !json_is_integer(pid) || json_integer_value(pid) <= 0) {
    json_decref(state);
    berth_fail(err, EINVAL, "seccomp listener: the container state has no pid");
    return NULL;
  }
  json_t *msg = json_pack("{s:s, s:[s], s:O}", "ociVersion", BERTH_SPEC_VERSION, "fds",
                          "seccompFd", "pid", pid);
  if (msg != NULL && metadata != NULL && metadata[0] != '\0')
    json_object_set_new(msg, "metadata", json_string(metadata));
  if (msg == NULL || json_object_set_new(msg, "state", state) < 0) {
    json_decref(msg);
    berth_fail(err, ENOMEM, "seccomp listener: building the message");
    return NULL;
  }
  return msg;
}

static int connect_listener(const char *path, berth_error **err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof(addr.sun_path))
    return berth_fail(err, ENAMETOOLONG, "seccomp listener \"%s\"", path);
  memcpy(addr.sun_path, path, len + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_fail_errno(err, "seccomp listener \"%s\": socket", path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    berth_fail_errno(err, "seccomp listener \"%s\": connect", path);
    close(fd);
    return -1;
  }
  return fd;
}

/* The fd rides on the first sendmsg; a stream socket may take the text in
 * several pieces, and the rest goes without it. */
static int send_with_fd(int sock, const char *text, size_t len, int fd_to_pass) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = {.iov_base = (void *)text, .iov_len = len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                      .msg_controllen = sizeof(control.buf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd_to_pass, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  for (size_t sent = (size_t)n; sent < len; sent += (size_t)n) {
    n = send(sock, text + sent, len - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      n = 0;
    else if (n <= 0)
      return -1;
  }
  return 0;
}

int seccomp_send_listener(const char *listener_path, const char *metadata, int notify_fd,
                          const char *state_json, berth_error **err) {
  if (listener_path == NULL || notify_fd < 0)
    return berth_fail(err, EINVAL, "seccomp listener: no path or no fd");
  json_t *msg = process_state(metadata, state_json, err);
  if (msg == NULL)
    return -1;
  char *text = json_dumps(msg, JSON_COMPACT);
  json_decref(msg);
  if (text == NULL)
    return berth_fail(err, ENOMEM, "seccomp listener: encoding the message");
  int sock = connect_listener(listener_path, err);
  int rc = sock < 0 ? -1 : send_with_fd(sock, text, strlen(text), notify_fd);
  if (sock >= 0 && rc < 0)
    berth_fail_errno(err, "seccomp listener \"%s\": sending the container process state",
                     listener_path);
  if (sock >= 0)
    close(sock);
  free(text);
  return rc;
}
