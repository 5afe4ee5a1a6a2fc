#include "faultpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
  bool armed;
  pid_t owner;
  unsigned long kill_at; /* 0: never */
  unsigned long reached;
  const char *trace;
  char pause_at[96]; /* a step's name; "": none */
  long pause_ms;
} fp;

/* "NAME:MS" */
static void read_pause(const char *v) {
  const char *colon = v != NULL ? strrchr(v, ':') : NULL;
  if (colon == NULL || (size_t)(colon - v) >= sizeof(fp.pause_at))
    return;
  long ms = strtol(colon + 1, NULL, 10);
  if (ms <= 0)
    return;
  memcpy(fp.pause_at, v, (size_t)(colon - v));
  fp.pause_at[colon - v] = '\0';
  fp.pause_ms = ms;
}

__attribute__((constructor)) static void faultpoint_read_env(void) {
  const char *at = getenv(FAULT_KILL_ENV);
  fp.trace = getenv(FAULT_TRACE_ENV);
  if (fp.trace != NULL && *fp.trace == '\0')
    fp.trace = NULL;
  if (at != NULL && *at != '\0')
    fp.kill_at = strtoul(at, NULL, 10);
  read_pause(getenv(FAULT_PAUSE_ENV));
  fp.armed = fp.kill_at > 0 || fp.trace != NULL || fp.pause_ms > 0;
  fp.owner = getpid();
}

static void trace(const char *name, const char *what) {
  int fd = open(fp.trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  char line[256];
  int len = snprintf(line, sizeof(line), "%lu %s%s\n", fp.reached, name, what);
  if (len > 0 && write(fd, line, (size_t)len) < 0) {
    /* A trace that cannot be written changes nothing in what berth does. */
  }
  close(fd);
}

void faultpoint(const char *name) {
  if (!fp.armed || getpid() != fp.owner)
    return;
  fp.reached++;
  bool fire = fp.reached == fp.kill_at;
  if (fp.trace != NULL)
    trace(name, fire ? " killed" : "");
  if (fire)
    raise(SIGKILL);
  if (fp.pause_ms > 0 && strcmp(name, fp.pause_at) == 0) {
    struct timespec ts = {.tv_sec = fp.pause_ms / 1000, .tv_nsec = fp.pause_ms % 1000 * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
  }
}

void faultpoint_step(const char *command, const char *step) {
  if (!fp.armed || getpid() != fp.owner)
    return;
  char name[128];
  snprintf(name, sizeof(name), "%s.%s", command, step);
  faultpoint(name);
}
