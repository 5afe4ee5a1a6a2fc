/* The host's user names, read from /etc/passwd itself. */
#ifndef BERTH_PASSWD_H
#define BERTH_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

/* Copies the name of uid's first entry in /etc/passwd into buf. Returns 0,
 * or -1 when there is no such entry (or no readable /etc/passwd). */
int passwd_name(uid_t uid, char *buf, size_t len);

#endif
