/* The container's session keyring, against the real kernel: each case runs
 * in a forked child, since joining a session keyring cannot be undone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/keyring.h"
#include "linux/lsm.h"
#include "unit.h"

/* The session keyring's description: "type;uid;gid;perm;name". */
static int session_description(char *buf, size_t len) {
  long id = syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* SESSION */, 0);
  long n = id < 0 ? -1 : syscall(SYS_keyctl, 6 /* DESCRIBE */, id, buf, len - 1);
  if (n < 0)
    return -1;
  buf[n < (long)len ? n : (long)len - 1] = '\0';
  return 0;
}

static int in_child(int (*fn)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    unit_failed = 0;
    int rc = fn();
    fflush(NULL);
    _exit(rc ? rc : unit_failed > 99 ? 99 : unit_failed);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* Joined by name, made searchable and attribute-settable by its owner:
 * the init and later execs of one container share it. */
static int joins_named_keyring(void) {
  berth_error *err = NULL;
  CHECK(keyring_join_session("unit-ring", NULL, &err) == 0);
  berth_error_free(err);
  char desc[512];
  CHECK(session_description(desc, sizeof(desc)) == 0);
  const char *name = strrchr(desc, ';');
  CHECK(name != NULL && strcmp(name + 1, "_ses.unit-ring") == 0);
  /* perm is the fourth field, in hex; 0x00080000 is the owner's setattr. */
  char *field = desc;
  for (int i = 0; i < 3 && field != NULL; i++) {
    field = strchr(field, ';');
    field = field ? field + 1 : NULL;
  }
  CHECK(field != NULL && (strtoul(field, NULL, 16) & 0x00080000UL) != 0);
  long first = syscall(SYS_keyctl, 0, -3, 0);
  /* A second join by the same name lands in the same keyring. */
  CHECK(keyring_join_session("unit-ring", NULL, &err) == 0);
  CHECK(syscall(SYS_keyctl, 0, -3, 0) == first);
  berth_error_free(err);
  return 0;
}

/* With a label the keyring is made through attr/keycreate first; where
 * SELinux is off (this host) the kernel refuses that write, and the error
 * says so before any keyring is joined. */
static int label_goes_first(void) {
  char before[512], after[512];
  CHECK(session_description(before, sizeof(before)) == 0);
  berth_error *err = NULL;
  int rc = keyring_join_session("unit-labelled", "system_u:system_r:container_t:s0:c1,c2", &err);
  if (lsm_selinux_enabled()) {
    CHECK(rc == 0);
  } else {
    CHECK(rc < 0);
    CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "label the session keyring");
    CHECK_STR_CONTAINS(err ? berth_error_text(err) : NULL, "keycreate");
    CHECK(session_description(after, sizeof(after)) == 0 && strcmp(before, after) == 0);
  }
  berth_error_free(err);
  return 0;
}

int main(void) {
  if (geteuid() != 0) {
    printf("test_keyring: skipped (needs root)\n");
    return 77;
  }
  CHECK(in_child(joins_named_keyring) == 0);
  CHECK(in_child(label_goes_first) == 0);
  return unit_summary("test_keyring");
}
