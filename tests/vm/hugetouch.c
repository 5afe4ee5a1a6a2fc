/* hugetouch N: map N 2 MiB huge pages and write to each, printing how many
 * were touched. The hugetlb cgroup limit is charged at fault time, so a
 * limit below N pages shows up as SIGBUS on the first page past it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_2M (2UL * 1024 * 1024)

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: hugetouch PAGES\n");
    return 2;
  }
  unsigned long pages = strtoul(argv[1], NULL, 10);
  char *p = mmap(NULL, pages * HUGE_2M, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
  if (p == MAP_FAILED) {
    perror("hugetouch: mmap");
    return 1;
  }
  for (unsigned long i = 0; i < pages; i++) {
    p[i * HUGE_2M] = 1;
    printf("touched %lu\n", i + 1);
    fflush(stdout);
  }
  return 0;
}
