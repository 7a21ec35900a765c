/* Euclid's gcd (32-bit remainder) of `count` pairs of u32, summed, and the sum of their lcm's low bits. */
#include "bench.h"

struct gcd_input {
  u32 count;
  u32 reserved;
  u32 pairs[]; /* count pairs (a, b), both nonzero */
};

u64 bpf_main(void *mem) {
  const struct gcd_input *in = mem;
  u64 sum = 0, lcm = 0;
  for (u32 i = 0; i < in->count; i++) {
    u32 a = in->pairs[2 * i], b = in->pairs[2 * i + 1];
    u32 x = a, y = b;
    while (y != 0) {
      u32 t = x % y;
      x = y;
      y = t;
    }
    sum += x;
    lcm += (u64)(a / x) * b;
  }
  return sum ^ (lcm << 7);
}
