/* linux.seccomp. Names are checked against the spec's lists here so that a
 * typo is reported with its JSON path; turning them into libseccomp values
 * is the seccomp module's job. */
#include <stdlib.h>
#include <string.h>

#include "spec_seccomp.h"

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY", NULL};

static const char *const seccomp_archs[] = {
  "SCMP_ARCH_X86",        "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",    "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",     "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",        "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",       "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
  "SCMP_ARCH_PARISC",     "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64", NULL};

static const char *const seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};

static const char *const seccomp_ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                                          "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                          "SCMP_CMP_MASKED_EQ", NULL};

static int parse_arg(sj_ctx *c, json_t *item, spec_seccomp_arg *a) {
  uint32_t index;
  if (sj_as_object(c, item, NULL) < 0 || sj_u32_required(c, item, "index", &index) < 0)
    return -1;
  a->index = index;
  int rc = sj_uint(c, item, "value", UINT64_MAX, &a->value);
  if (rc == 0)
    return sj_missing(c, "value");
  if (rc < 0 || sj_uint(c, item, "valueTwo", UINT64_MAX, &a->value_two) < 0)
    return -1;
  rc = sj_code(c, "BERTH-E-SECCOMP-ARG", sj_enum(c, item, "op", seccomp_ops, &a->op, NULL));
  return rc == 0 ? sj_missing(c, "op") : rc < 0 ? -1 : 0;
}

static int parse_args(sj_ctx *c, json_t *obj, spec_seccomp_syscall *sc) {
  json_t *arr;
  int rc = sj_array(c, obj, "args", &arr);
  if (rc <= 0)
    return rc;
  sc->args = sj_calloc(c, json_array_size(arr), sizeof(spec_seccomp_arg));
  if (sc->args == NULL)
    return -1;
  sc->n_args = json_array_size(arr);
  size_t mark = sj_push(c, "args");
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    if (parse_arg(c, item, &sc->args[i]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

static int parse_syscall(sj_ctx *c, json_t *item, spec_seccomp_syscall *sc) {
  if (sj_as_object(c, item, NULL) < 0)
    return -1;
  int rc = sj_strv(c, item, "names", &sc->names);
  if (rc == 0)
    return sj_missing(c, "names");
  if (rc < 0)
    return -1;
  if (sc->names.n == 0)
    return sj_fail(c, "names", "must not be empty");
  rc = sj_code(c, "BERTH-E-SECCOMP-ACTION",
               sj_enum(c, item, "action", seccomp_actions, &sc->action, NULL));
  if (rc == 0)
    return sj_missing(c, "action");
  if (rc < 0 || sj_opt_u64(c, item, "errnoRet", UINT32_MAX, &sc->errno_ret) < 0 ||
      parse_args(c, item, sc) < 0)
    return -1;
  return 0;
}

static int parse_syscalls(sj_ctx *c, json_t *obj, spec_seccomp *s) {
  json_t *arr;
  int rc = sj_array(c, obj, "syscalls", &arr);
  if (rc <= 0)
    return rc;
  s->syscalls = sj_calloc(c, json_array_size(arr), sizeof(spec_seccomp_syscall));
  if (s->syscalls == NULL)
    return -1;
  s->n_syscalls = json_array_size(arr);
  size_t mark = sj_push(c, "syscalls");
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    size_t at = sj_push_index(c, i);
    if (parse_syscall(c, item, &s->syscalls[i]) < 0)
      return -1;
    sj_pop(c, at);
  }
  sj_pop(c, mark);
  return 0;
}

int spec_parse_seccomp_obj(sj_ctx *c, json_t *obj, spec_seccomp *s) {
  int rc = sj_code(c, "BERTH-E-SECCOMP-ACTION",
                   sj_enum(c, obj, "defaultAction", seccomp_actions, &s->default_action, NULL));
  if (rc == 0)
    return sj_missing(c, "defaultAction");
  if (rc < 0 || sj_opt_u64(c, obj, "defaultErrnoRet", UINT32_MAX, &s->default_errno_ret) < 0 ||
      sj_code(c, "BERTH-E-SECCOMP-ARCH",
              sj_enum_strv(c, obj, "architectures", seccomp_archs, &s->architectures)) < 0 ||
      sj_code(c, "BERTH-E-SECCOMP-FLAG",
              sj_enum_strv(c, obj, "flags", seccomp_flags, &s->flags)) < 0 ||
      sj_string(c, obj, "listenerPath", &s->listener_path) < 0 ||
      sj_string(c, obj, "listenerMetadata", &s->listener_metadata) < 0 ||
      parse_syscalls(c, obj, s) < 0)
    return -1;
  return 0;
}

void spec_seccomp_free(spec_seccomp *s) {
  if (s == NULL)
    return;
  free(s->default_action);
  sj_strv_free(&s->architectures);
  sj_strv_free(&s->flags);
  free(s->listener_path);
  free(s->listener_metadata);
  for (size_t i = 0; i < s->n_syscalls; i++) {
    spec_seccomp_syscall *sc = &s->syscalls[i];
    sj_strv_free(&sc->names);
    free(sc->action);
    for (size_t j = 0; j < sc->n_args; j++)
      free(sc->args[j].op);
    free(sc->args);
  }
  free(s->syscalls);
  free(s);
}
