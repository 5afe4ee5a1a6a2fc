#include "seccomp_forward.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/seccomp.h"
#include "sync.h"

int seccomp_prepare_for(const spec *s, const char *root, struct berth_seccomp **out,
                        berth_error **err) {
  *out = NULL;
  if (s->linux.seccomp == NULL)
    return 0;
  char cache[4096];
  snprintf(cache, sizeof(cache), "%s/.seccomp-cache", root);
  if (seccomp_prepare_cached(s->linux.seccomp, cache, out, err) < 0)
    return berth_wrap(err, "%s", s->path);
  return 0;
}

static int copy_child_fd(pid_t child, int64_t fdnum, berth_error **err) {
  int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0)
    return berth_fail_errno(err, "pidfd_open %d", (int)child);
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fdnum, 0);
  int saved = errno;
  close(pidfd);
  if (fd < 0)
    return berth_fail(err, saved, "take the seccomp listener from the container");
  return fd;
}

int seccomp_forward_listener(int sock, pid_t child, int64_t fdnum, const spec *s,
                             const container_state *st, berth_error **err) {
  const spec_seccomp *sc = s->linux.seccomp;
  if (sc == NULL || sc->listener_path == NULL)
    return berth_fail(err, EPROTO, "unexpected seccomp listener from the container");
  int fd = copy_child_fd(child, fdnum, err);
  if (fd < 0)
    return -1;
  char *text = state_oci_text(st, STATUS_CREATING);
  int rc = text ? seccomp_send_listener(sc->listener_path, sc->listener_metadata, fd, text, err)
                : berth_fail(err, ENOMEM, "encode state for the seccomp listener");
  free(text);
  close(fd);
  if (rc < 0)
    return berth_wrap(err, "linux.seccomp.listenerPath");
  return sync_send(sock, SYNC_SECCOMP_DONE, 0, -1, err);
}
