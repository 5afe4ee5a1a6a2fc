/* berth check's report and bundle checks, on a bundle made in a temporary
 * directory (real files; the probes run against this kernel). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostcheck.h"
#include "unit.h"

static const hc_item *find(const hc_report *r, const char *name, enum hc_status st) {
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->v[i].name, name) == 0 && r->v[i].status == st)
      return &r->v[i];
  return NULL;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f != NULL) {
    fputs(text, f);
    fclose(f);
  }
}

static void test_report_json(void) {
  hc_report r = {0};
  hc_add(&r, "host", HC_OK, "clone3", "present");
  hc_add(&r, "host", HC_WARN, "criu", "missing %d", 1);
  json_t *j = hc_report_json(&r);
  CHECK(json_is_true(json_object_get(j, "ok")));
  CHECK(json_array_size(json_object_get(j, "checks")) == 2);
  json_t *second = json_array_get(json_object_get(j, "checks"), 1);
  CHECK(strcmp(json_string_value(json_object_get(second, "status")), "warn") == 0);
  CHECK(strcmp(json_string_value(json_object_get(second, "detail")), "missing 1") == 0);
  json_decref(j);
  hc_add(&r, "bundle", HC_FAIL, "root.path", "gone");
  j = hc_report_json(&r);
  CHECK(json_is_false(json_object_get(j, "ok")));
  CHECK(hc_count(&r, HC_FAIL) == 1 && hc_count(&r, HC_OK) == 1);
  json_decref(j);
  hc_report_free(&r);
  CHECK(r.n == 0 && r.v == NULL);
}

static void test_probe(hc_host *h) {
  hc_report r = {0};
  hostcheck_probe(h, &r);
  CHECK(find(&r, "namespace mount", HC_OK) != NULL);
  CHECK(find(&r, "clone3", h->clone3 ? HC_OK : HC_WARN) != NULL);
  CHECK(find(&r, "cgroup mode", HC_OK) != NULL || find(&r, "cgroup mode", HC_WARN) != NULL);
  /* Every feature gets exactly one line. */
  CHECK(r.n >= 17);
  hc_report_free(&r);
}

#define CONFIG_HEAD                                                                       \
  "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"},"                        \
  " \"process\": {\"args\": [\"/prog\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}},"

static void test_bundle(const hc_host *h) {
  char dir[] = "/tmp/berth-unit-hostcheck.XXXXXX", path[256];
  if (mkdtemp(dir) == NULL) {
    CHECK(!"mkdtemp");
    return;
  }
  snprintf(path, sizeof(path), "%s/rootfs", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof(path), "%s/rootfs/prog", dir);
  write_file(path, "#!/bin/sh\n");
  chmod(path, 0755);
  snprintf(path, sizeof(path), "%s/config.json", dir);
  write_file(path, CONFIG_HEAD " \"mounts\": [{\"destination\": \"/data\", \"type\": \"bind\","
                   " \"source\": \"data\", \"options\": [\"rbind\"]}],"
                   " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}],"
                   " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 4294967200, \"size\": 200}],"
                   " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": 1}]}}");
  hc_report r = {0};
  hostcheck_bundle(h, dir, &r);
  CHECK(find(&r, "config.json", HC_OK) != NULL);
  CHECK(find(&r, "mounts[0].source", HC_FAIL) != NULL);
  CHECK(find(&r, "linux.uidMappings[0]", HC_FAIL) != NULL);
  CHECK(find(&r, "linux.gidMappings[0]", HC_FAIL) == NULL);
  CHECK(find(&r, "process.args[0]", HC_FAIL) == NULL);
  hc_report_free(&r);

  /* The relative source is the bundle's; once there, only the ids fail. */
  snprintf(path, sizeof(path), "%s/data", dir);
  mkdir(path, 0755);
  hostcheck_bundle(h, dir, &r);
  CHECK(find(&r, "mounts[0].source", HC_FAIL) == NULL);
  CHECK(hc_count(&r, HC_FAIL) == 1);
  hc_report_free(&r);

  snprintf(path, sizeof(path), "%s/config.json", dir);
  write_file(path, "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": 5}}");
  hostcheck_bundle(h, dir, &r);
  const hc_item *it = find(&r, "config.json", HC_FAIL);
  CHECK(it != NULL);
  CHECK_STR_CONTAINS(it ? it->detail : NULL, "root.path");
  hc_report_free(&r);

  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}

int main(void) {
  hc_host h;
  test_report_json();
  test_probe(&h);
  test_bundle(&h);
  return unit_summary("hostcheck");
}
