/* process.terminal: the pty is made inside the container (from its own
 * devpts), its slave becomes /dev/console and the init's stdio, and the
 * master goes out to the caller. */
#ifndef BERTH_TERMINAL_H
#define BERTH_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Open a pty through the container's /dev/ptmx; the slave comes from
 * TIOCGPTPEER, so no path lookup an image could redirect is involved. */
int terminal_open_pty(const spec_process *p, int *master, int *slave, berth_error **err);
/* New session, slave as controlling terminal, and dup'd onto 0, 1, 2. */
int terminal_make_controlling(int slave, berth_error **err);
/* Connect to a unix socket and send `fd` with SCM_RIGHTS, as runc does
 * for --console-socket. */
int terminal_send_fd(const char *socket_path, int fd, const char *name, berth_error **err);

/* runc's rules for a process's terminal: a detached process with a tty
 * needs a console socket, and a console socket needs both. */
int terminal_check_opts(bool tty, bool detach, const char *console_socket, berth_error **err);

/* Foreground: proxy stdin/stdout to `master` (when >= 0), forward signals
 * and SIGWINCH to `pid`, and return its wait status once it exits. */
int foreground_wait(pid_t pid, int master, int *wait_status, berth_error **err);
/* 128+signal for a killed process, the exit status otherwise. */
int foreground_exit_code(int wait_status);

#endif
