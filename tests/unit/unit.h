/* A tiny unit-test harness: CHECK records a failure and goes on, and
 * unit_summary prints the closing "N passed, N failed" line that CI reads
 * and returns the process exit status. */
#ifndef BERTH_UNIT_H
#define BERTH_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (cond) {                                                                      \
      unit_passed++;                                                                 \
    } else {                                                                         \
      unit_failed++;                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
    }                                                                                \
  } while (0)

#define CHECK_STR_CONTAINS(haystack, needle)                                         \
  do {                                                                               \
    const char *h_ = (haystack);                                                     \
    if (h_ != NULL && strstr(h_, (needle)) != NULL) {                                \
      unit_passed++;                                                                 \
    } else {                                                                         \
      unit_failed++;                                                                 \
      fprintf(stderr, "%s:%d: expected \"%s\" in \"%s\"\n", __FILE__, __LINE__,     \
              (needle), h_ ? h_ : "(null)");                                         \
    }                                                                                \
  } while (0)

static inline int unit_summary(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, unit_passed, unit_failed);
  return unit_failed == 0 ? 0 : 1;
}

#endif
