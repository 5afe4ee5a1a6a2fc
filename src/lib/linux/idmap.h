/* Idmapped bind mounts (mount_setattr with MOUNT_ATTR_IDMAP), prepared on
 * the runtime side before the container's init exists.
 *
 * The init may run inside the container's user namespace, where it could
 * not create a user namespace whose maps name host ids. So the runtime, as
 * root on the host, clones each idmapped source into a detached tree, gives
 * it the mount's id mapping, and hands the trees to the init, which only
 * attaches them (move_mount) at their safely resolved targets.
 *
 * The semantics are runc's: only bind mounts may be idmapped; "idmap"
 * maps the top mount of the tree, "ridmap" every mount in it; a mount that
 * gives uidMappings/gidMappings without either option is idmapped
 * non-recursively; one that gives the option without mappings takes the
 * container's user namespace (its maps, or the namespace it joins), and
 * fails without one; uid and gid mappings come together. */
#ifndef BERTH_IDMAP_H
#define BERTH_IDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

struct idmap_trees;

/* Whether mounts[index] asks for an idmapped mount at all. */
bool idmap_wanted(const spec_mount *m);

/* Runtime side: one detached, idmapped tree per idmapped mount of the
 * spec. Relative bind sources are relative to `bundle` (NULL: the working
 * directory). *out is NULL when no mount is idmapped. Errors name the
 * mount as rootfs does: mounts[N] ("/dst"): ... */
int idmap_prepare(const spec *s, const char *bundle, struct idmap_trees **out,
                  berth_error **err);

/* The trees wait in a socket while the init closes every descriptor it was
 * not told to keep: this is the one descriptor to keep (-1 for NULL). */
int idmap_trees_holder_fd(const struct idmap_trees *t);
/* In the process that attaches the trees, after that cleanup: take them
 * out of the holder (close-on-exec). A NULL t is no work. */
int idmap_trees_claim(struct idmap_trees *t, berth_error **err);

/* The claimed tree of mounts[index], or -1 when that mount is not
 * idmapped (or t is NULL). */
int idmap_tree_fd(const struct idmap_trees *t, size_t mount_index);

void idmap_trees_free(struct idmap_trees *t);

#endif
