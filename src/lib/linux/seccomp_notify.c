/* Handing the seccomp listener fd to the agent at linux.seccomp.listenerPath.
 * The runtime spec (config-linux.md, runtime.md "container process state")
 * asks for an AF_UNIX SOCK_STREAM connection per container carrying exactly
 * one JSON document, {ociVersion, fds: ["seccompFd"], pid, metadata, state},
 * with the fds as SCM_RIGHTS in the first sendmsg, then closed. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/seccomp.h"
#include "linux/unixsock.h"

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
  int rc = unixsock_send_fd_to(listener_path, text, strlen(text), notify_fd, err);
  free(text);
  if (rc < 0)
    return berth_wrap(err, "seccomp listener: send the container process state");
  return 0;
}
