/* The process an exec runs: a process JSON file, or the container's own
 * process with the command line's overrides, as runc builds it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "exec.h"
#include "exec_internal.h"

static int replace_strv(spec_strv *v, const char *const *items, size_t n, bool append) {
  size_t keep = append ? v->n : 0;
  if (!append) {
    for (size_t i = 0; i < v->n; i++)
      free(v->v[i]);
  }
  char **grown = realloc(append ? v->v : NULL, (keep + n + 1) * sizeof(char *));
  if (grown == NULL)
    return -1;
  if (!append)
    free(v->v);
  for (size_t i = 0; i < n; i++)
    grown[keep + i] = strdup(items[i]);
  grown[keep + n] = NULL;
  v->v = grown;
  v->n = keep + n;
  return 0;
}

static int replace_string(char **field, const char *value) {
  char *copy = strdup(value);
  if (copy == NULL)
    return -1;
  free(*field);
  *field = copy;
  return 0;
}

static int parse_id(const char *s, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno || v > UINT32_MAX || *s == '-')
    return -1;
  *out = (uint32_t)v;
  return 0;
}

/* Numbers only: a number is never looked up as a user name. */
static int apply_user(spec_process *p, const char *user, berth_error **err) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%s", user);
  char *colon = strchr(buf, ':');
  if (colon)
    *colon = '\0';
  if (parse_id(buf, &p->uid) < 0 || (colon && parse_id(colon + 1, &p->gid) < 0))
    return berth_fail_id(err, "BERTH-E-EXEC-OPTION", 0,
                         "--user: expected UID[:GID] as numbers, got \"%s\"", user);
  return 0;
}

static int apply_gids(spec_process *p, const char *const *gids, size_t n, berth_error **err) {
  uint32_t *v = calloc(n ? n : 1, sizeof(uint32_t));
  if (v == NULL)
    return berth_fail(err, ENOMEM, "--additional-gids");
  for (size_t i = 0; i < n; i++) {
    if (parse_id(gids[i], &v[i]) < 0) {
      free(v);
      return berth_fail_id(err, "BERTH-E-EXEC-OPTION", 0,
                           "--additional-gids: invalid group id \"%s\"", gids[i]);
    }
  }
  free(p->additional_gids);
  p->additional_gids = v;
  p->n_additional_gids = n;
  return 0;
}

static int apply_caps(spec_process *p, const char *const *caps, size_t n, berth_error **err) {
  for (size_t i = 0; i < n; i++) {
    cap_value_t c;
    if (cap_from_name(caps[i], &c) < 0 || c > 63) {
      berth_warn("--cap: ignoring unknown capability \"%s\"", caps[i]);
      continue;
    }
    uint64_t bit = 1ULL << c;
    /* Never inheritable (CVE-2022-29162); ambient only where the process
     * already has it inheritable. */
    p->caps.bounding |= bit;
    p->caps.effective |= bit;
    p->caps.permitted |= bit;
    if (p->caps.inheritable & bit)
      p->caps.ambient |= bit;
  }
  if (n > 0)
    p->caps.present = true;
  return 0;
}

static int apply_overrides(spec_process *p, const struct exec_opts *o, berth_error **err) {
  if (o->n_args == 0)
    return berth_fail_id(err, "BERTH-E-EXEC-OPTION", 0,
                         "exec: no command given (use --process or give COMMAND)");
  if (replace_strv(&p->args, o->args, o->n_args, false) < 0 ||
      replace_strv(&p->env, o->env, o->n_env, true) < 0)
    return berth_fail(err, ENOMEM, "exec: build the process");
  if (o->cwd) {
    if (o->cwd[0] != '/')
      return berth_fail_id(err, "BERTH-E-EXEC-OPTION", 0,
                           "--cwd: must be an absolute path, got \"%s\"", o->cwd);
    free(p->cwd);
    p->cwd = strdup(o->cwd);
  }
  p->terminal = o->tty;
  if (o->apparmor && replace_string(&p->apparmor_profile, o->apparmor) < 0)
    return berth_fail(err, ENOMEM, "exec: build the process");
  if (o->process_label && replace_string(&p->selinux_label, o->process_label) < 0)
    return berth_fail(err, ENOMEM, "exec: build the process");
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->user && apply_user(p, o->user, err) < 0)
    return -1;
  if (o->n_additional_gids && apply_gids(p, o->additional_gids, o->n_additional_gids, err) < 0)
    return -1;
  return apply_caps(p, o->caps, o->n_caps, err);
}

int exec_build_process(const struct exec_opts *o, spec *container, spec_process **out,
                       berth_error **err) {
  if (o->process_file != NULL)
    return spec_load_process(o->process_file, out, err) < 0
               ? berth_recode(err, "BERTH-E-EXEC-PROCESS") : 0;
  spec_process *p = container->process;
  if (p == NULL)
    return berth_fail(err, 0, "exec: the container has no process to start from; use --process");
  if (apply_overrides(p, o, err) < 0)
    return -1;
  container->process = NULL; /* ownership moves to the caller */
  *out = p;
  return 0;
}
