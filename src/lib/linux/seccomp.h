/* linux.seccomp: turning the spec's filter into a BPF program and loading it.
 *
 * The work is split so that everything that can fail for a config reason
 * happens in the runtime, before the container exists, and the container's
 * init only has to make one syscall at the very end:
 *
 *   create (runtime)   seccomp_prepare_cached()  validate, compile (or reuse
 *                                                a cached program), decide flags
 *   init, last step    seccomp_load_prepared()   one seccomp(2) call
 *   create (runtime)   seccomp_send_listener()   hand the notify fd to the
 *                                                agent at listenerPath
 *
 * The init is a clone of the runtime, so the prepared program is simply
 * inherited memory. Loading does not set no_new_privs: that follows
 * process.noNewPrivileges. Without it, seccomp(2) needs CAP_SYS_ADMIN, so
 * such a filter must be loaded before capabilities are dropped; with it,
 * load as late as possible, right before execve, so that the runtime's own
 * last syscalls are not filtered. */

/* With src/lib on the include path this file shadows the kernel's
 * <linux/seccomp.h>, which libseccomp's <seccomp.h> includes: chain to it
 * so that both sets of names are there whichever way this was reached. */
#include_next <linux/seccomp.h>

#ifndef BERTH_LINUX_SECCOMP_H
#define BERTH_LINUX_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

struct berth_seccomp;

/* Validate `sc` and compile it. Errors name the JSON path, e.g.
 * `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
 * Syscall names libseccomp does not know are skipped, as runc does. */
int seccomp_prepare(const spec_seccomp *sc, struct berth_seccomp **out, berth_error **err);

/* Same, reusing a program compiled earlier for an identical section (same
 * libseccomp, architecture and kernel) from `cache_dir`, which is created
 * with mode 0700 when missing. A missing, foreign or damaged cache never
 * fails the call: the filter is compiled and the cache entry rewritten.
 * `cache_dir` may be NULL to compile without a cache. */
int seccomp_prepare_cached(const spec_seccomp *sc, const char *cache_dir,
                           struct berth_seccomp **out, berth_error **err);

/* Install the filter on the calling thread. *notify_fd gets the listener
 * (O_CLOEXEC) when a rule uses SCMP_ACT_NOTIFY, else -1. Allocates nothing
 * on success. */
int seccomp_load_prepared(struct berth_seccomp *p, int *notify_fd, berth_error **err);

void seccomp_free(struct berth_seccomp *p);

/* Whether a rule uses SCMP_ACT_NOTIFY, so a listener fd will come back. */
bool seccomp_prepared_uses_notify(const struct berth_seccomp *p);
/* Whether the program came from the cache rather than from libseccomp. */
bool seccomp_prepared_from_cache(const struct berth_seccomp *p);
/* The number of BPF instructions and the seccomp(2) flags to be used. */
size_t seccomp_prepared_length(const struct berth_seccomp *p);
/* The program itself (seccomp_prepared_length instructions). */
struct sock_filter;
const struct sock_filter *seccomp_prepared_program(const struct berth_seccomp *p);
unsigned seccomp_prepared_flags(const struct berth_seccomp *p);

/* Whether the running kernel accepts a SECCOMP_FILTER_FLAG_* given by its
 * spec name (probed without installing anything). Unknown names: false. */
bool seccomp_flag_supported(const char *name);

/* Send the container process state (runtime-spec runtime.md) to the seccomp
 * agent listening on the AF_UNIX SOCK_STREAM socket `listener_path`, with
 * `notify_fd` as SCM_RIGHTS in the first sendmsg. `state_json` is the
 * container's state as `berth state` prints it; its ociVersion and pid are
 * used for the message. `metadata` (listenerMetadata) may be NULL. */
int seccomp_send_listener(const char *listener_path, const char *metadata, int notify_fd,
                          const char *state_json, berth_error **err);

#endif
