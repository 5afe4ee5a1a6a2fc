/* criu-memcount MIB FILE: fills MIB MiB of anonymous memory with a pattern
 * once, then ten times a second writes "COUNT PID ok" (or "bad" once the
 * pattern no longer holds) to FILE, through a rename so that readers never
 * see half a line.
 *
 * The pattern is checked by reading one byte at each end of every page:
 * reads leave a page's soft-dirty bit alone, so after a pre-dump only the
 * counter's own few pages count as changed and a dump against that parent
 * has to take the filled memory from it. A restore that lost or mixed up
 * those pages shows as "bad". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static unsigned char pattern_of(unsigned long page) {
  return (unsigned char)(page * 131 + 7);
}

static int pattern_holds(const unsigned char *p, unsigned long pages) {
  for (unsigned long i = 0; i < pages; i++) {
    unsigned char want = pattern_of(i);
    if (p[i * PAGE] != want || p[i * PAGE + PAGE - 1] != want)
      return 0;
  }
  return 1;
}

static int publish(const char *file, const char *tmp, unsigned long count, int ok) {
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    return -1;
  fprintf(f, "%lu %d %s\n", count, (int)getpid(), ok ? "ok" : "bad");
  if (fclose(f) != 0)
    return -1;
  return rename(tmp, file);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: criu-memcount MIB FILE\n");
    return 2;
  }
  unsigned long pages = strtoul(argv[1], NULL, 10) * 1024 * 1024 / PAGE;
  unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("criu-memcount: mmap");
    return 1;
  }
  for (unsigned long i = 0; i < pages; i++)
    memset(p + i * PAGE, pattern_of(i), PAGE);
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.new", argv[2]);
  struct timespec tick = {0, 100 * 1000 * 1000};
  for (unsigned long count = 1;; count++) {
    if (publish(argv[2], tmp, count, pattern_holds(p, pages)) < 0) {
      perror("criu-memcount: write");
      return 1;
    }
    nanosleep(&tick, NULL);
  }
}
