/* /etc/passwd is read with fgetpwent rather than getpwuid: getpwuid goes
 * through NSS, which a static berth could only reach by loading the shared
 * glibc it was built with, and runc names owners from /etc/passwd alone
 * (its `list` prints the same name for the same file). fgetpwent_r, with
 * its buffer here, because list reads owners from several threads. */
#include <pwd.h>
#include <stdio.h>

#include "linux/passwd.h"

int passwd_name(uid_t uid, char *buf, size_t len) {
  FILE *f = fopen("/etc/passwd", "re");
  if (f == NULL)
    return -1;
  int found = -1;
  struct passwd entry, *pw;
  char line[4096];
  while (found < 0 && fgetpwent_r(f, &entry, line, sizeof(line), &pw) == 0)
    if (pw->pw_uid == uid) {
      snprintf(buf, len, "%s", pw->pw_name);
      found = 0;
    }
  fclose(f);
  return found;
}
