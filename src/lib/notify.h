/* sd_notify pass-through, as runc does it: when NOTIFY_SOCKET is set for
 * create, the container gets its own socket at /run/notify/notify.sock
 * (the directory <root>/<id>/notify bind-mounted read-only); `start`
 * listens there, and once the container says READY=1 it tells the host's
 * socket, with MAINPID set to the container's init, and waits on a
 * BARRIER=1 so the message is taken before start returns. */
#ifndef BERTH_NOTIFY_H
#define BERTH_NOTIFY_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

#define NOTIFY_DIR "notify"
#define NOTIFY_SOCKET_NAME "notify.sock"
#define NOTIFY_CONTAINER_DIR "/run/notify"

/* create: without NOTIFY_SOCKET in the environment, nothing. Otherwise
 * make the directory and add the mount and the environment variable to
 * the spec the init will apply. */
int notify_prepare(spec *s, int state_dirfd, const char *state_dir, berth_error **err);
/* start: bind the container's socket; -1 with no error when the container
 * was created without one. */
int notify_listen(int state_dirfd, const char *state_dir, berth_error **err);
/* start: wait for READY from the container (giving up when `alive` says
 * the init is gone) and pass it on to the host's NOTIFY_SOCKET. */
int notify_forward(int sock, pid_t init_pid, int (*alive)(void *), void *arg,
                   berth_error **err);

#endif
