/* 32-bit unsigned division and remainder in a loop. */
#include "bench.h"

struct div32_input {
  u32 iterations;
  u32 seed;
};

u64 bpf_main(void *mem) {
  const struct div32_input *in = mem;
  u32 x = in->seed;
  u32 q = 0, r = 0;
  for (u32 i = 0; i < in->iterations; i++) {
    x = x * 1664525u + 1013904223u;
    u32 d = (x >> 20) + 1;
    q += x / d;
    r ^= x % (d | 7);
  }
  return ((u64)q << 32) | r;
}
