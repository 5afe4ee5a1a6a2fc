/* AF_UNIX plumbing shared by the console socket, the pidfd socket, the
 * seccomp listener and the create protocol: connecting by path and passing
 * one descriptor with SCM_RIGHTS. */
#ifndef BERTH_UNIXSOCK_H
#define BERTH_UNIXSOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* A connected SOCK_STREAM socket (O_CLOEXEC), or -1. */
int unixsock_connect(const char *path, berth_error **err);
/* Send `data` with `fd` (when >= 0) riding on the first sendmsg; on a
 * stream socket the rest of `data` follows without it. -1 with errno set. */
int unixsock_send(int sock, const void *data, size_t len, int fd);
/* Connect, send, close: what --console-socket and --pidfd-socket expect. */
int unixsock_send_fd_to(const char *path, const void *data, size_t len, int fd,
                        berth_error **err);

/* --pidfd-socket: a pidfd of `pid`, sent as runc sends it. */
int unixsock_send_pidfd(const char *path, pid_t pid, berth_error **err);

#endif
