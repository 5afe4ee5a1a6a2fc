/* /etc/passwd is read with fgetpwent rather than getpwuid: getpwuid goes
 * through NSS, which a static berth could only reach by loading the shared
 * glibc it was built with, and runc names owners from /etc/passwd alone
 * (its `list` prints the same name for the same file). */
#include <pwd.h>
#include <stdio.h>

#include "linux/passwd.h"

int passwd_name(uid_t uid, char *buf, size_t len) {
  FILE *f = fopen("/etc/passwd", "re");
  if (f == NULL)
    return -1;
  int found = -1;
  struct passwd *pw;
  while (found < 0 && (pw = fgetpwent(f)) != NULL)
    if (pw->pw_uid == uid) {
      snprintf(buf, len, "%s", pw->pw_name);
      found = 0;
    }
  fclose(f);
  return found;
}
