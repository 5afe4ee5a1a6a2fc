/* The foreground side of `run` (and later `exec`): berth stays as the
 * container process's parent, relays its terminal and signals, and
 * reports how it ended. */
#include "linux/terminal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const int forwarded_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                        SIGPIPE, SIGALRM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU};

static int make_signalfd(sigset_t *old, berth_error **err) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGWINCH);
  for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
    sigaddset(&set, forwarded_signals[i]);
  if (sigprocmask(SIG_BLOCK, &set, old) < 0)
    return berth_fail_errno(err, "block signals");
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0)
    return berth_fail_errno(err, "signalfd");
  return fd;
}

static void copy_winsize(int master) {
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

/* Returns false when the source is finished. */
static bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return false;
    off += w;
  }
  return true;
}

static void drain(int master) {
  struct pollfd p = {.fd = master, .events = POLLIN};
  while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && pump(master, STDOUT_FILENO))
    ;
}

/* Returns 1 when pid has exited (status filled), 0 otherwise. */
static int handle_signals(int sfd, pid_t pid, int master, int *wait_status) {
  struct signalfd_siginfo si;
  int done = 0;
  while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
    if (si.ssi_signo == SIGCHLD) {
      /* Reap everything: as a subreaper, orphans land here too. */
      pid_t w;
      int st;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == pid) {
          *wait_status = st;
          done = 1;
        }
      }
    } else if (si.ssi_signo == SIGWINCH) {
      if (master >= 0)
        copy_winsize(master);
    } else {
      kill(pid, (int)si.ssi_signo);
    }
  }
  return done;
}

int foreground_wait(pid_t pid, int master, int *wait_status, berth_error **err) {
  sigset_t old;
  int sfd = make_signalfd(&old, err);
  if (sfd < 0)
    return -1;
  struct termios saved_tio;
  bool raw = false;
  if (master >= 0) {
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
      struct termios tio = saved_tio;
      cfmakeraw(&tio);
      raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
    }
    copy_winsize(master);
  }
  /* The child may have exited before the signalfd existed. */
  int done = 0;
  int st;
  if (waitpid(pid, &st, WNOHANG) == pid) {
    *wait_status = st;
    done = 1;
  }
  bool stdin_open = master >= 0;
  while (!done) {
    struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                          {.fd = master, .events = POLLIN},
                          {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
    int r = poll(p, master >= 0 ? 3 : 1, -1);
    if (r < 0 && errno != EINTR)
      break;
    if (p[0].revents & POLLIN)
      done = handle_signals(sfd, pid, master, wait_status);
    if (stdin_open && (p[2].revents & (POLLIN | POLLHUP)) && !pump(STDIN_FILENO, master))
      stdin_open = false;
    if (master >= 0 && (p[1].revents & POLLIN)) {
      pump(master, STDOUT_FILENO);
    } else if (master >= 0 && (p[1].revents & (POLLHUP | POLLERR))) {
      /* Every slave fd is closed but the process lingers: stop polling the
       * pty, which would report the hang-up forever, and wait for the exit. */
      struct pollfd only = {.fd = sfd, .events = POLLIN};
      while (!done && poll(&only, 1, -1) >= 0)
        done = handle_signals(sfd, pid, master, wait_status);
    }
  }
  if (master >= 0)
    drain(master);
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
  close(sfd);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (!done)
    return berth_fail_errno(err, "wait for the container process");
  return 0;
}

int foreground_exit_code(int wait_status) {
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}
