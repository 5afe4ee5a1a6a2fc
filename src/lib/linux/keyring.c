#include "linux/keyring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/lsm.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6
#define KEY_USR_SETATTR 0x00080000UL

/* The description reads "type;uid;gid;perm;name", perm in hex. */
static int grant_owner_setattr(long key, berth_error **err) {
  char desc[1200];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, key, desc, sizeof(desc) - 1);
  if (n < 0)
    return berth_fail_errno(err, "describe the session keyring");
  desc[n < (long)sizeof(desc) ? n : (long)sizeof(desc) - 1] = '\0';
  char *field = desc;
  for (int i = 0; i < 3 && field != NULL; i++) {
    field = strchr(field, ';');
    field = field ? field + 1 : NULL;
  }
  if (field == NULL)
    return berth_fail(err, EINVAL, "session keyring description \"%s\"", desc);
  unsigned long perm = strtoul(field, NULL, 16) | KEY_USR_SETATTR;
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, key, perm) < 0)
    return berth_fail_errno(err, "set the session keyring's permissions");
  return 0;
}

/* attr/keycreate of this thread, through a procfs no mount can shadow. */
static int set_keycreate(int procfd, const char *label, berth_error **err) {
  int task = lsm_open_thread_self(procfd, err);
  if (task < 0)
    return -1;
  int rc = lsm_selinux_write_at(task, "keycreate", label, true, err);
  close(task);
  return rc;
}

int keyring_join_session(const char *id, const char *selinux_label, berth_error **err) {
  int procfd = -1;
  bool labelled = selinux_label != NULL && *selinux_label != '\0';
  if (labelled) {
    procfd = lsm_open_trusted_proc(err);
    if (procfd < 0 || set_keycreate(procfd, selinux_label, err) < 0) {
      if (procfd >= 0)
        close(procfd);
      return berth_wrap(err, "label the session keyring");
    }
  }
  char name[1100];
  snprintf(name, sizeof(name), "_ses.%s", id);
  int rc = 0;
  long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
  if (key < 0 && errno != ENOSYS)
    rc = berth_fail_errno_id(err, "BERTH-E-KEYRING-JOIN",
                             "join session keyring \"%s\" (--no-new-keyring does without)",
                             name);
  else if (key > 0) /* 0: it is our session keyring already, set up when made */
    rc = grant_owner_setattr(key, err);
  /* Keys the process makes later get their label from its own context. */
  if (labelled) {
    berth_error *reset_err = NULL;
    if (set_keycreate(procfd, "", rc == 0 ? err : &reset_err) < 0 && rc == 0)
      rc = berth_wrap(err, "clear the keyring label");
    berth_error_free(reset_err);
    close(procfd);
  }
  return rc;
}
