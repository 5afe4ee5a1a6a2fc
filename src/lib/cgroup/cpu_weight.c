/* Weight conversions from the spec's v1-shaped numbers to cgroup2's.
 *
 * cpu.shares [2..262144] (default 1024) to cpu.weight [1..10000] (default
 * 100) follows current runc and crun: with L = log2(shares),
 *   weight = ceil(10^((L*L + 125*L)/612 - 7/34)),
 * a curve through (2, 1), (1024, 100) and (262144, 10000). (runc before
 * 1.3.2 used a straight line that mapped the default 1024 to 39.)
 *
 * The logarithm and power are computed here with short series so the
 * library needs no libm; for the powers of two that configs mostly use
 * the exponent is exact and the result matches runc's exactly. */
#include "cgroup_internal.h"

#define LN2 0.69314718055994530942
#define LN10 2.30258509299404568402

/* log2(x) for x >= 1: the binary exponent plus log2 of the mantissa, the
 * latter from ln(m) = 2 atanh((m-1)/(m+1)). */
static double log2_of(double x) {
  int k = 0;
  while (x >= 2.0) {
    x /= 2.0;
    k++;
  }
  double z = (x - 1.0) / (x + 1.0), z2 = z * z, term = z, sum = 0.0;
  for (int i = 1; i < 80 && term != 0.0; i += 2) {
    sum += term / i;
    term *= z2;
  }
  return k + 2.0 * sum / LN2;
}

/* 10^e for 0 <= e <= 4: exact for whole e, a Taylor series otherwise. */
static double pow10_of(double e) {
  int whole = (int)e;
  double frac = e - whole, scale = 1.0;
  for (int i = 0; i < whole; i++)
    scale *= 10.0;
  if (frac == 0.0)
    return scale;
  double y = frac * LN10, term = 1.0, sum = 1.0;
  for (int i = 1; i < 60; i++) {
    term *= y / i;
    sum += term;
  }
  return scale * sum;
}

uint64_t cg_shares_to_weight(uint64_t shares) {
  if (shares == 0)
    return 0; /* unset */
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = log2_of((double)shares);
  double v = pow10_of((l * l + 125.0 * l) / 612.0 - 7.0 / 34.0);
  uint64_t w = (uint64_t)v;
  return (double)w < v ? w + 1 : w;
}

uint64_t cg_blkio_to_io_weight(uint64_t weight) {
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  return 1 + (weight - 10) * 9999 / 990;
}
