/*
 * A 64-bit arithmetic mix: multiply, unsigned division and remainder, logical and arithmetic shifts by
 * variable amounts. (No signed division: clang 14's BPF back end rejects it; it needs cpu v4.)
 */
#include "bench.h"

struct arith64_input {
  u32 iterations;
  u32 reserved;
  u64 seed;
};

u64 bpf_main(void *mem) {
  const struct arith64_input *in = mem;
  u64 x = in->seed;
  u64 acc = 0;
  for (u32 i = 0; i < in->iterations; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    u64 d = (x >> 40) | 1;
    acc += x / d;
    acc ^= x % (d + 2);
    acc += (u64)((s64)(x ^ acc) >> ((x >> 50) & 63));
    acc = (acc << (x & 31)) ^ (acc >> ((x >> 8) & 31));
  }
  return acc;
}
