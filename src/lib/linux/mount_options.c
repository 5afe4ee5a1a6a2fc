#include "linux/mount_options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

/* Options that set or clear an MS_* flag for mount(2). */
typedef struct flag_option {
  const char *name;
  bool clear;
  unsigned long flag;
} flag_option;

static const flag_option flag_options[] = {
    {"acl", false, MS_POSIXACL},
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noacl", true, MS_POSIXACL},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
    {"symfollow", true, MS_NOSYMFOLLOW},
};

typedef struct propagation_option {
  const char *name;
  unsigned long flag;
} propagation_option;

static const propagation_option propagation_options[] = {
    {"private", MS_PRIVATE},
    {"shared", MS_SHARED},
    {"slave", MS_SLAVE},
    {"unbindable", MS_UNBINDABLE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"rshared", MS_SHARED | MS_REC},
    {"rslave", MS_SLAVE | MS_REC},
    {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Recursive options for mount_setattr(2). The access-time setting is an
 * enum inside MOUNT_ATTR__ATIME, so every atime option replaces the whole
 * field: the "clear" forms fall back to the kernel default, relatime, as
 * their non-recursive counterparts do with mount(2). rnorelatime has no
 * mode of its own to pick (norelatime is a no-op for mount(2) as well). */
typedef struct recursive_option {
  const char *name;
  bool clear;
  uint64_t attr;
} recursive_option;

static const recursive_option recursive_options[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

typedef struct atime_option {
  const char *name;
  bool applies;  /* false: accepted, changes nothing */
  uint64_t mode; /* value inside MOUNT_ATTR__ATIME */
} atime_option;

static const atime_option atime_options[] = {
    {"rnoatime", true, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_RELATIME},
    {"rrelatime", true, MOUNT_ATTR_RELATIME},
    {"rnorelatime", false, 0},
    {"rstrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_RELATIME},
};

static const char *const extension_options[] = {"tmpcopyup", "idmap", "ridmap"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const flag_option *find_flag(const char *name) {
  for (size_t i = 0; i < COUNT(flag_options); i++)
    if (strcmp(flag_options[i].name, name) == 0)
      return &flag_options[i];
  return NULL;
}

static const propagation_option *find_propagation(const char *name) {
  for (size_t i = 0; i < COUNT(propagation_options); i++)
    if (strcmp(propagation_options[i].name, name) == 0)
      return &propagation_options[i];
  return NULL;
}

static const recursive_option *find_recursive(const char *name) {
  for (size_t i = 0; i < COUNT(recursive_options); i++)
    if (strcmp(recursive_options[i].name, name) == 0)
      return &recursive_options[i];
  return NULL;
}

static const atime_option *find_atime(const char *name) {
  for (size_t i = 0; i < COUNT(atime_options); i++)
    if (strcmp(atime_options[i].name, name) == 0)
      return &atime_options[i];
  return NULL;
}

static bool is_extension(const char *name) {
  for (size_t i = 0; i < COUNT(extension_options); i++)
    if (strcmp(extension_options[i], name) == 0)
      return true;
  return false;
}

int mount_propagation_flags(const char *name, unsigned long *out) {
  const propagation_option *p = name ? find_propagation(name) : NULL;
  if (p == NULL)
    return -1;
  *out = p->flag;
  return 0;
}

bool mount_option_known(const char *name) {
  return find_flag(name) || find_propagation(name) || find_recursive(name) ||
         find_atime(name) || is_extension(name);
}

const char *const *mount_option_names(void) {
  static const char *names[COUNT(flag_options) + COUNT(propagation_options) +
                           COUNT(recursive_options) + COUNT(atime_options) +
                           COUNT(extension_options) + 1];
  if (names[0] != NULL)
    return names;
  size_t n = 0;
  for (size_t i = 0; i < COUNT(flag_options); i++)
    names[n++] = flag_options[i].name;
  for (size_t i = 0; i < COUNT(propagation_options); i++)
    names[n++] = propagation_options[i].name;
  for (size_t i = 0; i < COUNT(recursive_options); i++)
    names[n++] = recursive_options[i].name;
  for (size_t i = 0; i < COUNT(atime_options); i++)
    names[n++] = atime_options[i].name;
  for (size_t i = 0; i < COUNT(extension_options); i++)
    names[n++] = extension_options[i];
  names[n] = NULL;
  return names;
}

/* Appends `name` to the comma-separated data string. */
static int append_data(mount_options *o, const char *name) {
  size_t old = o->data ? strlen(o->data) : 0;
  char *grown = realloc(o->data, old + strlen(name) + 2);
  if (grown == NULL)
    return -1;
  if (old > 0)
    grown[old++] = ',';
  strcpy(grown + old, name);
  o->data = grown;
  if (o->first_data_option == NULL && (o->first_data_option = strdup(name)) == NULL)
    return -1;
  return 0;
}

static void apply_recursive(mount_options *o, const recursive_option *r) {
  if (r->clear) {
    o->rec_attr_clr |= r->attr;
    o->rec_attr_set &= ~r->attr;
  } else {
    o->rec_attr_set |= r->attr;
    o->rec_attr_clr &= ~r->attr;
  }
}

static void apply_atime(mount_options *o, const atime_option *a) {
  if (!a->applies)
    return;
  o->rec_attr_set = (o->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | a->mode;
  o->rec_attr_clr |= MOUNT_ATTR__ATIME;
}

static int parse_one(mount_options *o, const char *name) {
  if (name[0] == '\0')
    return 0;
  const flag_option *f = find_flag(name);
  if (f != NULL) {
    if (f->clear)
      o->flags &= ~f->flag;
    else
      o->flags |= f->flag;
    return 0;
  }
  const propagation_option *p = find_propagation(name);
  if (p != NULL) {
    o->propagation[o->n_propagation++] = p->flag;
    return 0;
  }
  const recursive_option *r = find_recursive(name);
  if (r != NULL) {
    apply_recursive(o, r);
    return 0;
  }
  const atime_option *a = find_atime(name);
  if (a != NULL) {
    apply_atime(o, a);
    return 0;
  }
  if (strcmp(name, "tmpcopyup") == 0) {
    o->tmpcopyup = true;
    return 0;
  }
  if (strcmp(name, "idmap") == 0 || strcmp(name, "ridmap") == 0) {
    o->idmap = true;
    o->idmap_recursive = name[0] == 'r';
    return 0;
  }
  return append_data(o, name);
}

int mount_options_parse(const spec_strv *opts, mount_options *out, berth_error **err) {
  memset(out, 0, sizeof(*out));
  size_t n = opts ? opts->n : 0;
  if (n == 0)
    return 0;
  out->propagation = calloc(n, sizeof(*out->propagation));
  if (out->propagation == NULL)
    return berth_fail(err, ENOMEM, "parse mount options");
  for (size_t i = 0; i < n; i++) {
    if (parse_one(out, opts->v[i]) < 0) {
      mount_options_free(out);
      return berth_fail(err, ENOMEM, "parse mount options");
    }
  }
  return 0;
}

void mount_options_free(mount_options *o) {
  if (o == NULL)
    return;
  free(o->propagation);
  free(o->data);
  free(o->first_data_option);
  memset(o, 0, sizeof(*o));
}
