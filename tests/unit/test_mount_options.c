/* The mount option table: every option the spec requires maps to the
 * MS_* flag, propagation, recursive attribute or data it stands for. */
#include <stdlib.h>
#include <sys/mount.h>

#include "linux/mount_options.h"
#include "unit.h"

static mount_options parse(const char *const *names, size_t n) {
  spec_strv v = {.v = (char **)names, .n = n};
  mount_options o;
  berth_error *err = NULL;
  CHECK(mount_options_parse(&v, &o, &err) == 0);
  CHECK(err == NULL);
  return o;
}

static mount_options parse1(const char *name) {
  const char *names[] = {name, NULL};
  return parse(names, 1);
}

typedef struct flag_case {
  const char *name;
  unsigned long set;   /* flag the option sets */
  unsigned long clear; /* flag the option clears (tested from all-set) */
} flag_case;

static const flag_case flag_cases[] = {
    {"async", 0, MS_SYNCHRONOUS},     {"atime", 0, MS_NOATIME},
    {"bind", MS_BIND, 0},             {"defaults", 0, 0},
    {"dev", 0, MS_NODEV},             {"diratime", 0, MS_NODIRATIME},
    {"dirsync", MS_DIRSYNC, 0},       {"exec", 0, MS_NOEXEC},
    {"noatime", MS_NOATIME, 0},       {"nodev", MS_NODEV, 0},
    {"nodiratime", MS_NODIRATIME, 0}, {"noexec", MS_NOEXEC, 0},
    {"norelatime", 0, MS_RELATIME},   {"nostrictatime", 0, MS_STRICTATIME},
    {"nosuid", MS_NOSUID, 0},         {"rbind", MS_BIND | MS_REC, 0},
    {"relatime", MS_RELATIME, 0},     {"remount", MS_REMOUNT, 0},
    {"ro", MS_RDONLY, 0},             {"rw", 0, MS_RDONLY},
    {"strictatime", MS_STRICTATIME, 0}, {"suid", 0, MS_NOSUID},
    {"sync", MS_SYNCHRONOUS, 0},      {"iversion", MS_I_VERSION, 0},
    {"noiversion", 0, MS_I_VERSION},  {"lazytime", MS_LAZYTIME, 0},
    {"nolazytime", 0, MS_LAZYTIME},   {"silent", MS_SILENT, 0},
    {"loud", 0, MS_SILENT},           {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},       {"nosymfollow", MS_NOSYMFOLLOW, 0},
    {"symfollow", 0, MS_NOSYMFOLLOW},
};

static void test_flags(void) {
  for (size_t i = 0; i < sizeof(flag_cases) / sizeof(flag_cases[0]); i++) {
    const flag_case *c = &flag_cases[i];
    mount_options o = parse1(c->name);
    if (o.flags != c->set)
      fprintf(stderr, "option %s: flags %#lx, want %#lx\n", c->name, o.flags, c->set);
    CHECK(o.flags == c->set);
    CHECK(o.data == NULL);
    CHECK(mount_option_known(c->name));
    mount_options_free(&o);
    if (c->clear != 0) {
      /* The set form first, then the clearing one: the later one wins. */
      const flag_case *setter = NULL;
      for (size_t j = 0; j < sizeof(flag_cases) / sizeof(flag_cases[0]); j++)
        if (flag_cases[j].set == c->clear)
          setter = &flag_cases[j];
      CHECK(setter != NULL);
      if (setter == NULL)
        continue;
      const char *names[] = {setter->name, c->name, NULL};
      o = parse(names, 2);
      CHECK(o.flags == 0);
      mount_options_free(&o);
    }
  }
}

static void test_propagation(void) {
  const char *names[] = {"rbind", "rprivate", "shared", "rslave", "unbindable",
                         "private", "rshared", "slave", "runbindable", NULL};
  mount_options o = parse(names, 9);
  CHECK(o.flags == (MS_BIND | MS_REC));
  CHECK(o.n_propagation == 8);
  if (o.n_propagation == 8) {
    CHECK(o.propagation[0] == (MS_PRIVATE | MS_REC));
    CHECK(o.propagation[1] == MS_SHARED);
    CHECK(o.propagation[2] == (MS_SLAVE | MS_REC));
    CHECK(o.propagation[3] == MS_UNBINDABLE);
    CHECK(o.propagation[4] == MS_PRIVATE);
    CHECK(o.propagation[5] == (MS_SHARED | MS_REC));
    CHECK(o.propagation[6] == MS_SLAVE);
    CHECK(o.propagation[7] == (MS_UNBINDABLE | MS_REC));
  }
  mount_options_free(&o);
  unsigned long f = 0;
  CHECK(mount_propagation_flags("rslave", &f) == 0 && f == (MS_SLAVE | MS_REC));
  CHECK(mount_propagation_flags("bogus", &f) < 0);
}

typedef struct rec_case {
  const char *name;
  uint64_t set, clr;
} rec_case;

static const rec_case rec_cases[] = {
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rnorelatime", 0, 0},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
};

static void test_recursive(void) {
  for (size_t i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
    mount_options o = parse1(rec_cases[i].name);
    if (o.rec_attr_set != rec_cases[i].set || o.rec_attr_clr != rec_cases[i].clr)
      fprintf(stderr, "option %s: set %#llx clr %#llx\n", rec_cases[i].name,
              (unsigned long long)o.rec_attr_set, (unsigned long long)o.rec_attr_clr);
    CHECK(o.rec_attr_set == rec_cases[i].set);
    CHECK(o.rec_attr_clr == rec_cases[i].clr);
    CHECK(o.flags == 0 && o.data == NULL);
    mount_options_free(&o);
  }
  const char *names[] = {"rro", "rrw", "rnoatime", "rstrictatime", NULL};
  mount_options o = parse(names, 4);
  CHECK(o.rec_attr_set == MOUNT_ATTR_STRICTATIME);
  CHECK(o.rec_attr_clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME));
  mount_options_free(&o);
}

static void test_data_and_extensions(void) {
  const char *names[] = {"nosuid", "mode=755", "", "size=65536k", "tmpcopyup", NULL};
  mount_options o = parse(names, 5);
  CHECK(o.flags == MS_NOSUID);
  CHECK(o.data != NULL && strcmp(o.data, "mode=755,size=65536k") == 0);
  CHECK(o.first_data_option != NULL && strcmp(o.first_data_option, "mode=755") == 0);
  CHECK(o.tmpcopyup);
  CHECK(!o.idmap);
  mount_options_free(&o);
  o = parse1("ridmap");
  CHECK(o.idmap && o.data == NULL);
  mount_options_free(&o);
  CHECK(!mount_option_known("mode=755"));
  o = parse(NULL, 0);
  CHECK(o.flags == 0 && o.data == NULL && o.n_propagation == 0);
  mount_options_free(&o);
}

static void test_names(void) {
  const char *const *names = mount_option_names();
  size_t n = 0;
  for (; names[n] != NULL; n++)
    CHECK(mount_option_known(names[n]));
  CHECK(n > 60);
}

int main(void) {
  test_flags();
  test_propagation();
  test_recursive();
  test_data_and_extensions();
  test_names();
  return unit_summary("mount_options");
}
