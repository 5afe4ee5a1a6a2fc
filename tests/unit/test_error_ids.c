/* Stable error codes (docs/errors.md): every source file that makes errors
 * belongs to an area, every code a call site names is one the sync socket
 * carries back, codes survive wrapping and the trip from the init, and the
 * JSON log line carries them while the text line does not. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "sync.h"
#include "unit.h"

/* Run from the project root (meson's workdir). */
static void test_every_file_has_an_area(void) {
  FILE *p = popen("grep -rlE 'berth_fail(_errno)?(_id)?\\(|cli_log_error\\(' src", "r");
  char line[512];
  int files = 0;
  while (p != NULL && fgets(line, sizeof(line), p) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (strcmp(line, "src/lib/error.h") == 0 || strcmp(line, "src/cli/log.h") == 0)
      continue;
    files++;
    const char *id = berth_error_id_for(line, NULL);
    if (strcmp(id, "BERTH-E-INTERNAL") == 0)
      fprintf(stderr, "  %s has no area in src/lib/error_ids.c\n", line);
    CHECK(strcmp(id, "BERTH-E-INTERNAL") != 0);
  }
  if (p != NULL)
    pclose(p);
  CHECK(files > 50);
}

/* A code the init sends back is only kept when berth_error_id_known knows
 * it, and only whole when it fits the sync message. */
static void test_every_code_is_known(void) {
  FILE *p = popen("grep -rhoE '\"BERTH-E-[A-Z0-9-]+\"' src | tr -d '\"' | sort -u", "r");
  char line[128];
  int codes = 0;
  struct sync_msg m;
  while (p != NULL && fgets(line, sizeof(line), p) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    codes++;
    if (berth_error_id_known(line) == NULL)
      fprintf(stderr, "  %s is not listed in src/lib/error_ids.c\n", line);
    CHECK(berth_error_id_known(line) != NULL);
    CHECK(strlen(line) < sizeof(m.id));
  }
  if (p != NULL)
    pclose(p);
  CHECK(codes > 40);
}

static void test_ids(void) {
  /* However the build spells the path. */
  CHECK(strcmp(berth_error_id_for("../src/lib/linux/rootfs_mount.c", NULL), "BERTH-E-MOUNT") == 0);
  CHECK(strcmp(berth_error_id_for("./src/lib/linux/rootfs.c", NULL), "BERTH-E-ROOTFS") == 0);
  CHECK(strcmp(berth_error_id_for("/x/src/y/src/cli/cmd_kill.c", NULL), "BERTH-E-USAGE") == 0);
  CHECK(strcmp(berth_error_id_for("../src/lib/state.c", "container does not exist"),
               "BERTH-E-NOT-FOUND") == 0);
  CHECK(strcmp(berth_error_id_for("elsewhere.c", NULL), "BERTH-E-INTERNAL") == 0);

  berth_error *err = NULL;
  berth_fail_id(&err, "BERTH-E-MOUNT", 2, "mount %s", "/x");
  berth_wrap(&err, "create \"%s\"", "c1");
  CHECK(strcmp(berth_error_id(err), "BERTH-E-MOUNT") == 0);
  CHECK(strcmp(berth_error_text(err), "create \"c1\": mount /x: no such file or directory") == 0);
  berth_error_free(err);
  CHECK(strcmp(berth_error_id(NULL), "BERTH-E-INTERNAL") == 0);

  /* An id read from the sync socket maps back to the table's string. */
  char copy[32];
  snprintf(copy, sizeof(copy), "%s", "BERTH-E-SECCOMP");
  CHECK(berth_error_id_known(copy) != NULL && berth_error_id_known(copy) != copy);
  CHECK(berth_error_id_known("BERTH-E-NO-SUCH") == NULL);
}

static char log_path[] = "/tmp/berth-test-error-ids-XXXXXX";

static void read_log(char *buf, size_t size) {
  FILE *f = fopen(log_path, "r");
  size_t n = f != NULL ? fread(buf, 1, size - 1, f) : 0;
  buf[n] = '\0';
  if (f != NULL)
    fclose(f);
}

static void test_log_lines(void) {
  char buf[1024];
  struct cli_globals json = {.log_path = log_path, .log_format = "json"};
  CHECK(cli_log_setup(&json) == 0);
  cli_log_error_id("BERTH-E-NOT-FOUND", "container does not exist");
  cli_log_close();
  read_log(buf, sizeof(buf));
  CHECK(strncmp(buf, "{\"code\":\"BERTH-E-NOT-FOUND\",\"level\":\"error\",\"msg\":\"container "
                     "does not exist\",\"time\":", 84) == 0);
  CHECK(truncate(log_path, 0) == 0);
  struct cli_globals text = {.log_path = log_path, .log_format = "text"};
  CHECK(cli_log_setup(&text) == 0);
  cli_log_error_id("BERTH-E-NOT-FOUND", "container does not exist");
  cli_log_close();
  read_log(buf, sizeof(buf));
  CHECK(strstr(buf, "BERTH-E") == NULL);
  CHECK_STR_CONTAINS(buf, " level=error msg=\"container does not exist\"\n");
}

int main(void) {
  int fd = mkstemp(log_path);
  if (fd < 0)
    return 1;
  close(fd);
  test_every_file_has_an_area();
  test_every_code_is_known();
  test_ids();
  test_log_lines();
  unlink(log_path);
  return unit_summary("error_ids");
}
