/* criu-stats FILE: prints the page counts of a CRIU "stats-dump" image as
 *   pages_scanned=N pages_skipped_parent=N pages_written=N
 * The VM has no crit (CRIU's Python image tool); the image is two magic
 * words, a 32-bit length and one protobuf stats_entry whose field 1 is a
 * dump_stats_entry (images/stats.proto: pages_scanned = 5,
 * pages_skipped_parent = 6, pages_written = 7). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IMG_SERVICE_MAGIC 0x55105940u
#define STATS_MAGIC 0x57093306u

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; *p < end && shift < 64; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return 0;
  }
  return -1;
}

/* Finds field `want` (length-delimited) or returns the varint fields
 * 5..7 into counts; skips everything else. */
static int walk(const uint8_t *p, const uint8_t *end, unsigned want, const uint8_t **sub,
                uint64_t *sub_len, uint64_t counts[3]) {
  while (p < end) {
    uint64_t key, v;
    if (varint(&p, end, &key) < 0)
      return -1;
    unsigned field = (unsigned)(key >> 3), type = (unsigned)(key & 7);
    if (type == 0) {
      if (varint(&p, end, &v) < 0)
        return -1;
      if (counts != NULL && field >= 5 && field <= 7)
        counts[field - 5] = v;
    } else if (type == 2) {
      if (varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
        return -1;
      if (sub != NULL && field == want) {
        *sub = p;
        *sub_len = v;
        return 0;
      }
      p += v;
    } else if (type == 5) {
      p += 4;
    } else if (type == 1) {
      p += 8;
    } else {
      return -1;
    }
  }
  return sub != NULL ? -1 : 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: criu-stats FILE\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) {
    perror(argv[1]);
    return 1;
  }
  uint8_t buf[4096];
  size_t n = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  uint32_t head[3];
  if (n < sizeof(head)) {
    fprintf(stderr, "criu-stats: %s is too short\n", argv[1]);
    return 1;
  }
  memcpy(head, buf, sizeof(head));
  if (head[0] != IMG_SERVICE_MAGIC || head[1] != STATS_MAGIC || head[2] > n - sizeof(head)) {
    fprintf(stderr, "criu-stats: %s is not a stats image\n", argv[1]);
    return 1;
  }
  const uint8_t *msg = buf + sizeof(head), *dump;
  uint64_t dump_len, counts[3] = {0, 0, 0};
  if (walk(msg, msg + head[2], 1, &dump, &dump_len, NULL) < 0 ||
      walk(dump, dump + dump_len, 0, NULL, NULL, counts) < 0) {
    fprintf(stderr, "criu-stats: %s holds no dump statistics\n", argv[1]);
    return 1;
  }
  printf("pages_scanned=%llu pages_skipped_parent=%llu pages_written=%llu\n",
         (unsigned long long)counts[0], (unsigned long long)counts[1],
         (unsigned long long)counts[2]);
  return 0;
}
