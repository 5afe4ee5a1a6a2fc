#include "linux/terminal.h"
#include "linux/unixsock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int terminal_open_pty(const spec_process *p, int *master, int *slave, berth_error **err) {
  int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return berth_fail_errno_id(err, "BERTH-E-TERMINAL-PTY", "open /dev/ptmx");
  int unlock = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
    berth_fail_errno_id(err, "BERTH-E-TERMINAL-PTY", "unlock pty");
    close(m);
    return -1;
  }
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) {
    berth_fail_errno_id(err, "BERTH-E-TERMINAL-PTY", "open pty peer");
    close(m);
    return -1;
  }
  if (p->has_console_size) {
    struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                         .ws_col = (unsigned short)p->console_width};
    if (ioctl(s, TIOCSWINSZ, &ws) < 0) {
      berth_fail_errno(err, "set process.consoleSize");
      close(m);
      close(s);
      return -1;
    }
  }
  *master = m;
  *slave = s;
  return 0;
}

int terminal_make_controlling(int slave, berth_error **err) {
  if (setsid() < 0)
    return berth_fail_errno(err, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return berth_fail_errno(err, "make the pty the controlling terminal");
  for (int fd = 0; fd <= 2; fd++) {
    if (dup2(slave, fd) < 0)
      return berth_fail_errno(err, "dup pty onto fd %d", fd);
  }
  return 0;
}

int terminal_send_fd(const char *socket_path, int fd, const char *name, berth_error **err) {
  return unixsock_send_fd_to(socket_path, name, strlen(name), fd, err);
}

int terminal_check_opts(bool tty, bool detach, const char *console_socket, berth_error **err) {
  if (tty && detach && console_socket == NULL)
    return berth_fail_id(err, "BERTH-E-TERMINAL-NO-SOCKET", 0,
                         "cannot allocate tty if berth will detach without setting "
                         "console socket");
  if (console_socket != NULL && !(tty && detach))
    return berth_fail_id(err, "BERTH-E-TERMINAL-SOCKET-UNUSED", 0,
                         "cannot use console socket if berth will not detach or allocate "
                         "tty");
  return 0;
}
