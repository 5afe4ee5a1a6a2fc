/* What SELinux says about files and keyrings, for the VM suite "selinux"
 * (busybox has no ls -Z, stat %C or keyctl). Static, so it runs in the
 * busybox container rootfs.
 *
 *   selinux-probe file PATH...   "PATH LABEL" per path: its security.selinux
 *                                attribute as the kernel reports it, or
 *                                "PATH error=ERRNO"
 *   selinux-probe keyring        "serial=N label=LABEL" of the calling
 *                                process's session keyring
 *                                (KEYCTL_GET_SECURITY; /proc/keys does not
 *                                show labels)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_GET_SECURITY 17
#define KEY_SPEC_SESSION_KEYRING (-3)

/* Labels come back with the NUL the kernel counts in their length. */
static int label_length(const char *buf, long n) {
  while (n > 0 && (buf[n - 1] == '\0' || buf[n - 1] == '\n'))
    n--;
  return (int)n;
}

static int files(int argc, char **argv) {
  int rc = 0;
  for (int i = 0; i < argc; i++) {
    char buf[512];
    ssize_t n = lgetxattr(argv[i], "security.selinux", buf, sizeof(buf));
    if (n < 0) {
      printf("%s error=%s\n", argv[i], strerror(errno));
      rc = 1;
      continue;
    }
    printf("%s %.*s\n", argv[i], label_length(buf, n), buf);
  }
  return rc;
}

static int keyring(void) {
  long serial = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  if (serial < 0) {
    printf("serial error=%s\n", strerror(errno));
    return 1;
  }
  char buf[512];
  long n = syscall(SYS_keyctl, KEYCTL_GET_SECURITY, serial, buf, sizeof(buf));
  if (n < 0) {
    printf("serial=%ld label error=%s\n", serial, strerror(errno));
    return 1;
  }
  if (n > (long)sizeof(buf))
    n = sizeof(buf);
  printf("serial=%ld label=%.*s\n", serial, label_length(buf, n), buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "file") == 0)
    return files(argc - 2, argv + 2);
  if (argc == 2 && strcmp(argv[1], "keyring") == 0)
    return keyring();
  fprintf(stderr, "usage: selinux-probe file PATH... | selinux-probe keyring\n");
  return 2;
}
