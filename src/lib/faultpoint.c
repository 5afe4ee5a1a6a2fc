#include "faultpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
  bool armed;
  pid_t owner;
  unsigned long kill_at; /* 0: never */
  unsigned long reached;
  const char *trace;
} fp;

__attribute__((constructor)) static void faultpoint_read_env(void) {
  const char *at = getenv(FAULT_KILL_ENV);
  fp.trace = getenv(FAULT_TRACE_ENV);
  if (fp.trace != NULL && *fp.trace == '\0')
    fp.trace = NULL;
  if (at != NULL && *at != '\0')
    fp.kill_at = strtoul(at, NULL, 10);
  fp.armed = fp.kill_at > 0 || fp.trace != NULL;
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
}

void faultpoint_step(const char *command, const char *step) {
  if (!fp.armed || getpid() != fp.owner)
    return;
  char name[128];
  snprintf(name, sizeof(name), "%s.%s", command, step);
  faultpoint(name);
}
