/* The "options" list of a spec mount, translated once into what the mount
 * syscalls take: MS_* flags for mount(2), propagation changes applied after
 * the mount, MOUNT_ATTR_* changes applied recursively with mount_setattr(2),
 * and filesystem data for everything the table does not know. */
#ifndef BERTH_MOUNT_OPTIONS_H
#define BERTH_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

typedef struct mount_options {
  unsigned long flags;        /* MS_* for mount(2), later options win */
  unsigned long *propagation; /* MS_PRIVATE|MS_REC, ... in listed order */
  size_t n_propagation;
  uint64_t rec_attr_set;      /* MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) */
  uint64_t rec_attr_clr;
  char *data;                 /* unknown options joined by ',', or NULL */
  char *first_data_option;    /* the first of them, for messages */
  bool tmpcopyup;
  bool idmap;                 /* idmap or ridmap was asked for */
  bool idmap_recursive;       /* the last of them was ridmap */
} mount_options;

/* Parse `opts` into `out` (zeroed first). Fails only on allocation. */
int mount_options_parse(const spec_strv *opts, mount_options *out, berth_error **err);
void mount_options_free(mount_options *o);

/* Whether `name` is in one of the tables (flags, propagation, recursive,
 * extensions); the features command lists the same names. */
bool mount_option_known(const char *name);
/* MS_* propagation flags for a rootfsPropagation value ("rslave", ...);
 * -1 when the name is not a propagation. */
int mount_propagation_flags(const char *name, unsigned long *out);
/* NULL-terminated list of every option name the parser understands. */
const char *const *mount_option_names(void);

#endif
