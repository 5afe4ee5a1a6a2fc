/* The container's session keyring. Without one of its own, a container
 * process keeps the session keyring of whoever ran the runtime (a login
 * session's, containerd's) and can read or add keys there. */
#ifndef BERTH_KEYRING_H
#define BERTH_KEYRING_H

#include <stdbool.h>

#include "error.h"

/* Joins the session keyring "_ses.<id>", creating it when no keyring of
 * that name is reachable (runc's name, so the init and every exec of one
 * container share it), and lets its owner set its attributes. With
 * `selinux_label` (process.selinuxLabel, only when SELinux is enabled) the
 * keyring is created with that label through attr/keycreate, which is
 * cleared again afterwards. A kernel without keyctl (ENOSYS) is not an
 * error, as with runc. */
int keyring_join_session(const char *id, const char *selinux_label, berth_error **err);

#endif
