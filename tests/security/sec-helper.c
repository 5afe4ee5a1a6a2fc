/* sec-helper: the attacker's side of the security tests. Built static at
 * test time and copied into a container's rootfs, since busybox has no
 * ptrace, renameat2 or raw syscalls.
 *
 * It never writes into a file it was not meant to reach: when an attack
 * gets a host file open for writing, it reports that and closes it.
 *
 *   sec-helper openw PATH DEV:INO       try to open PATH for writing, also
 *                                       through an O_PATH fd reopened via
 *                                       /proc/self/fd; DEV:INO is the host
 *                                       runtime binary
 *   sec-helper hunt SECONDS DEV:INO [PTRACE [STOPFILE]]
 *                                       watch /proc for new processes and
 *                                       attack each: open its exe for
 *                                       writing (directly and by a later
 *                                       reopen), and with PTRACE=1 attach
 *                                       to it; it ends after SECONDS or
 *                                       once STOPFILE exists
 *   sec-helper ptrace PID               PTRACE_ATTACH, then detach
 *   sec-helper readmem PID              read /proc/PID/mem at its stack
 *   sec-helper fds                      list this process's descriptors
 *   sec-helper exchange A B SECONDS     swap A and B with RENAME_EXCHANGE
 *                                       in a loop
 *   sec-helper getpriority WHICH WHO    the raw syscall; prints errno
 *   sec-helper keyring                  the description of this process's
 *                                       session keyring (type;uid;gid;perm;
 *                                       name), or the error
 *   sec-helper session NAME CMD...      join (or make) the session keyring
 *                                       NAME, then exec CMD: a caller with
 *                                       a keyring the container must not
 *                                       inherit
 *
 * Every line of output starts with a word the tests grep for: RESULT,
 * HOST-EXE-WRITABLE, ATTACHED, etc. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static dev_t host_dev;
static ino_t host_ino;

static void parse_devino(const char *s) {
  unsigned long long d = 0, i = 0;
  if (sscanf(s, "%llu:%llu", &d, &i) == 2) {
    host_dev = (dev_t)d;
    host_ino = (ino_t)i;
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An fd open for writing on something: the host binary is a failure of
 * the runtime, reported without touching the file. Anything else (a
 * sealed memfd) is tried with a write of the byte already at offset 0,
 * which changes nothing when it works and which a seal refuses. */
static void judge_writable(int fd, const char *how, const char *path) {
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_dev == host_dev && st.st_ino == host_ino) {
    printf("HOST-EXE-WRITABLE %s %s\n", how, path);
    return;
  }
  char self[64], target[256] = "";
  snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
  ssize_t len = readlink(self, target, sizeof(target) - 1);
  target[len > 0 ? len : 0] = '\0';
  if (strncmp(target, "/memfd:", 7) != 0) {
    /* The container's own files are the container's to write. */
    printf("CONTAINER-FILE-WRITABLE %s %s %s\n", how, path, target);
    return;
  }
  char c = 0;
  int rfd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t got = rfd < 0 ? -1 : pread(rfd, &c, 1, 0);
  if (rfd >= 0)
    close(rfd);
  ssize_t n = got == 1 ? pwrite(fd, &c, 1, 0) : -1;
  printf("OTHER-WRITABLE %s %s dev=%llu ino=%llu write1=%zd\n", how, path,
         (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, n);
}

static int try_write_open(const char *path, const char *how) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  judge_writable(fd, path, how);
  close(fd);
  return 0;
}

static int cmd_openw(const char *path) {
  int e = try_write_open(path, "direct");
  printf("RESULT direct %s %s\n", path, e == 0 ? "OPENED" : strerror(-e));
  int pfd = open(path, O_PATH | O_CLOEXEC);
  if (pfd < 0) {
    printf("RESULT opath %s %s\n", path, strerror(errno));
    return 0;
  }
  /* The reopen loop of the original exploit: the O_PATH fd keeps the
   * inode, and the write-open is retried until the binary is no longer
   * busy. */
  char fdpath[64];
  snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pfd);
  for (int i = 0; i < 200; i++) {
    e = try_write_open(fdpath, "reopen");
    if (e == 0 || e != -ETXTBSY)
      break;
    usleep(10000);
  }
  printf("RESULT reopen %s %s\n", path, e == 0 ? "OPENED" : strerror(-e));
  close(pfd);
  return 0;
}

static int attach(pid_t pid, int quiet) {
  if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0) {
    if (!quiet)
      printf("RESULT ptrace %d %s\n", (int)pid, strerror(errno));
    return -1;
  }
  int status = 0;
  if (waitpid(pid, &status, __WALL) < 0 || !WIFSTOPPED(status)) {
    /* It died before it stopped: nothing of it was reachable. */
    if (!quiet)
      printf("RESULT ptrace %d exited\n", (int)pid);
    return -1;
  }
  /* The tracee is stopped: what it runs now is what it ran when caught. */
  char link[64], target[4096] = "";
  snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n > 0)
    target[n] = '\0';
  else
    snprintf(target, sizeof(target), "(unreadable: %s)", strerror(errno));
  struct stat st;
  int is_host = stat(link, &st) == 0 && st.st_dev == host_dev && st.st_ino == host_ino;
  printf("ATTACHED %d exe=%s%s\n", (int)pid, target, is_host ? " HOST-EXE" : "");
  fflush(stdout);
  ptrace(PTRACE_DETACH, pid, NULL, NULL);
  return 0;
}

static int cmd_readmem(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  printf("RESULT mem-open %d %s\n", (int)pid, fd < 0 ? strerror(errno) : "OPENED");
  if (fd >= 0)
    close(fd);
  snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  char buf[64];
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
  printf("RESULT environ %d %s\n", (int)pid,
         fd < 0 ? strerror(errno) : n < 0 ? strerror(errno) : "READ");
  if (fd >= 0)
    close(fd);
  snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
  /* The directory itself may be listable (it belongs to root): what
   * matters is whether its links can be read or opened. */
  DIR *d = opendir(path);
  printf("RESULT fd-dir %d %s\n", (int)pid, d ? "OPENED" : strerror(errno));
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    char link[512], target[256];
    snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    printf("RESULT fd-link %d/%s %s\n", (int)pid, de->d_name, n >= 0 ? target : strerror(errno));
    int fd2 = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    printf("RESULT fd-open %d/%s %s\n", (int)pid, de->d_name, fd2 >= 0 ? "OPENED" : strerror(errno));
    if (fd2 >= 0)
      close(fd2);
  }
  if (d)
    closedir(d);
  return 0;
}

/* What was already obtained from each pid: a held exe, an attach. A pid is
 * attacked again on every pass until then, since it may still be the
 * runtime's non-dumpable clone the first few times it is seen. */
#define MAX_SEEN 65536
#define GOT_EXE 1
#define GOT_ATTACH 2
static unsigned char got[MAX_SEEN];

struct held {
  int fd;
  char path[64];
};

static int cmd_hunt(double seconds, int use_ptrace, const char *stop_file) {
  pid_t self = getpid();
  printf("HUNTING\n");
  struct held held[256];
  int nheld = 0;
  long tries = 0, denied = 0;
  double end = now() + seconds;
  while (now() < end) {
    /* The test says when it is done, so the time limit is only a bound. */
    if (stop_file != NULL && access(stop_file, F_OK) == 0)
      break;
    DIR *d = opendir("/proc");
    if (d == NULL)
      return 1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      pid_t pid = (pid_t)atoi(de->d_name);
      if (pid <= 0 || pid == self || pid >= MAX_SEEN)
        continue;
      char exe[64];
      snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
      if (!(got[pid] & GOT_EXE)) {
        tries++;
        if (try_write_open(exe, "hunt-direct") < 0)
          denied++;
        int pfd = open(exe, O_PATH | O_CLOEXEC);
        if (pfd >= 0 && nheld < 256) {
          held[nheld].fd = pfd;
          snprintf(held[nheld].path, sizeof(held[nheld].path), "%s", exe);
          nheld++;
          got[pid] |= GOT_EXE;
        } else if (pfd >= 0) {
          close(pfd);
        }
      }
      if (use_ptrace && !(got[pid] & GOT_ATTACH) && attach(pid, 1) == 0)
        got[pid] |= GOT_ATTACH;
    }
    closedir(d);
    /* Reopen what we hold: a process that has exited no longer keeps its
     * binary busy. */
    for (int i = 0; i < nheld; i++) {
      if (held[i].fd < 0)
        continue;
      char fdpath[64];
      snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", held[i].fd);
      if (try_write_open(fdpath, held[i].path) == 0) {
        /* Judged once: a second report would say nothing new. */
        close(held[i].fd);
        held[i].fd = -1;
      }
    }
    usleep(2000);
  }
  printf("RESULT hunt tries=%ld denied=%ld held=%d\n", tries, denied, nheld);
  return 0;
}

static int cmd_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return 1;
  int own = dirfd(d);
  printf("FDS");
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || atoi(de->d_name) == own)
      continue;
    char link[300], target[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    printf(" %s=%s", de->d_name, target);
  }
  printf("\n");
  closedir(d);
  return 0;
}

static int cmd_exchange(const char *a, const char *b, double seconds) {
  long n = 0;
  double end = now() + seconds;
  while (now() < end) {
    if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
      n++;
  }
  printf("RESULT exchanged %ld\n", n);
  return 0;
}

static int cmd_getpriority(int which, int who) {
  errno = 0;
  long r = syscall(SYS_getpriority, which, who);
  printf("RESULT getpriority %d %d %s\n", which, who, r < 0 ? strerror(errno) : "OK");
  return 0;
}

/* KEYCTL_GET_KEYRING_ID and KEYCTL_DESCRIBE, without libkeyutils. */
static int cmd_keyring(void) {
  long id = syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* SESSION */, 0);
  char desc[512];
  long n = id < 0 ? -1 : syscall(SYS_keyctl, 6 /* DESCRIBE */, id, desc, sizeof(desc) - 1);
  if (n < 0) {
    printf("RESULT keyring error %s\n", strerror(errno));
    return 0;
  }
  desc[n < (long)sizeof(desc) ? n : (long)sizeof(desc) - 1] = '\0';
  printf("RESULT keyring %ld %s\n", id, desc);
  return 0;
}

static int cmd_session(const char *name, char **argv) {
  if (syscall(SYS_keyctl, 1 /* JOIN_SESSION_KEYRING */, name) < 0) {
    printf("RESULT session error %s\n", strerror(errno));
    return 1;
  }
  execvp(argv[0], argv);
  printf("RESULT session exec %s: %s\n", argv[0], strerror(errno));
  return 127;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp(argv[1], "openw") == 0) {
    parse_devino(argv[3]);
    return cmd_openw(argv[2]);
  }
  if (argc >= 4 && strcmp(argv[1], "hunt") == 0) {
    parse_devino(argv[3]);
    return cmd_hunt(atof(argv[2]), argc >= 5 && strcmp(argv[4], "1") == 0,
                    argc >= 6 ? argv[5] : NULL);
  }
  if (argc >= 3 && strcmp(argv[1], "ptrace") == 0)
    return attach((pid_t)atoi(argv[2]), 0) < 0 ? 0 : 0;
  if (argc >= 3 && strcmp(argv[1], "readmem") == 0)
    return cmd_readmem((pid_t)atoi(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "fds") == 0)
    return cmd_fds();
  if (argc >= 5 && strcmp(argv[1], "exchange") == 0)
    return cmd_exchange(argv[2], argv[3], atof(argv[4]));
  if (argc >= 4 && strcmp(argv[1], "getpriority") == 0)
    return cmd_getpriority(atoi(argv[2]), atoi(argv[3]));
  if (argc >= 2 && strcmp(argv[1], "keyring") == 0)
    return cmd_keyring();
  if (argc >= 4 && strcmp(argv[1], "session") == 0)
    return cmd_session(argv[2], argv + 3);
  fprintf(stderr, "usage: see the comment at the top of sec-helper.c\n");
  return 2;
}
