/* `berth --version`. Docker and Podman read the first line and the
 * "commit:" line; the library lines say which builds are linked in. */
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/capability.h>

#include "berth-config.h"
#include "commands.h"

#define SPEC_VERSION "1.3.0"

void cli_print_version(void) {
  const struct scmp_version *seccomp = seccomp_version();
  printf("berth version %s\n", BERTH_VERSION);
  printf("commit: %s\n", BERTH_COMMIT);
  printf("spec: %s\n", SPEC_VERSION);
  if (seccomp != NULL)
    printf("libseccomp: %u.%u.%u\n", seccomp->major, seccomp->minor, seccomp->micro);
#ifdef LIBCAP_MAJOR
  /* libcap has no run-time version query; this is the one built against. */
  printf("libcap: %d.%d\n", LIBCAP_MAJOR, LIBCAP_MINOR);
#endif
  printf("jansson: %s\n", jansson_version_str());
}
