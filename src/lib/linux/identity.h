/* Who the container process is: rlimits, user and groups, capabilities,
 * no_new_privs. Applied by the container's init just before exec. */
#ifndef BERTH_IDENTITY_H
#define BERTH_IDENTITY_H

#include "error.h"
#include "spec.h"

int identity_apply_rlimits(const spec_process *p, berth_error **err);
/* Bounding set, then uid/gid/groups (keeping permitted caps across the
 * switch), then the effective/permitted/inheritable and ambient sets. */
int identity_apply_user_and_caps(const spec_process *p, berth_error **err);
int identity_apply_no_new_privs(const spec_process *p, berth_error **err);

#endif
