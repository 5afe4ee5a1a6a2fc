/* check: will this host, and this bundle, work? Asked before any container
 * exists; creates nothing. Exit 0 when nothing fails, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "hostcheck.h"
#include "log.h"

static void print_text(const hc_report *r, const char *bundle) {
  static const char *const tags[] = {[HC_OK] = "ok", [HC_WARN] = "warn", [HC_FAIL] = "FAIL"};
  const char *section = "";
  size_t width = 0;
  for (size_t i = 0; i < r->n; i++)
    if (strlen(r->v[i].name) > width)
      width = strlen(r->v[i].name);
  for (size_t i = 0; i < r->n; i++) {
    const hc_item *it = &r->v[i];
    if (strcmp(it->section, section) != 0) {
      section = it->section;
      if (strcmp(section, "bundle") == 0)
        printf("bundle %s:\n", bundle);
      else
        printf("%s:\n", section);
    }
    printf("  %-4s  %-*s  %s\n", tags[it->status], (int)width, it->name, it->detail);
  }
  size_t failed = hc_count(r, HC_FAIL), warned = hc_count(r, HC_WARN);
  if (failed == 0)
    printf("berth check: this host%s will work (%zu warning(s))\n",
           bundle ? " and this bundle" : "", warned);
  else
    printf("berth check: %zu problem(s): this host%s will not work\n", failed,
           bundle ? " and this bundle" : "");
}

int cmd_check(struct cli_globals *g, int argc, char **argv) {
  const char *bundle = NULL, *format = "text";
  const struct opt_def defs[] = {
      {"bundle", 'b', OPT_STRING, &bundle, "also check the bundle in this directory", "value"},
      {"format", 'f', OPT_STRING, &format, "text or json", "value"},
      {0},
  };
  const struct opt_command_help help = {
      "check", "check whether this host (and a bundle) can run containers", "",
      "Probes the kernel features berth uses and, with --bundle, validates the bundle's "
      "config.json and what it needs from this host. Creates nothing; exits 0 when "
      "nothing fails, 1 otherwise."};
  int rc = cli_parse_no_args(&help, defs, argc, argv);
  if (rc >= 0)
    return rc;
  bool json = strcmp(format, "json") == 0;
  if (!json && strcmp(format, "text") != 0) {
    cli_log_error("invalid format \"%s\": text or json", format);
    return 1;
  }
  hc_host host;
  hc_report report = {0};
  hostcheck_probe(&host, &report);
  if (g->systemd_cgroup)
    hostcheck_systemd(&report);
  if (bundle != NULL)
    hostcheck_bundle(&host, bundle, &report);
  if (json) {
    json_t *j = hc_report_json(&report);
    json_dumpf(j, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(j);
  } else {
    print_text(&report, bundle);
  }
  rc = hc_count(&report, HC_FAIL) == 0 ? 0 : 1;
  hc_report_free(&report);
  return rc;
}
