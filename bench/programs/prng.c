/*
 * Two pseudo-random generators (xorshift64* and a PCG32 step) run `count` times; the outputs fill a
 * 32-bucket histogram on the stack (a bounded index), which is then hashed.
 */
#include "bench.h"

struct prng_input {
  u32 count;
  u32 reserved;
  u64 seed;
};

u64 bpf_main(void *mem) {
  const struct prng_input *in = mem;
  u32 hist[32];
  for (int i = 0; i < 32; i++) hist[i] = 0;
  u64 x = in->seed | 1;
  u64 pcg = in->seed ^ 0x853c49e6748fea9bULL;
  for (u32 i = 0; i < in->count; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    u64 r = x * 0x2545F4914F6CDD1DULL;
    pcg = pcg * 6364136223846793005ULL + 1442695040888963407ULL;
    u32 xorshifted = (u32)(((pcg >> 18) ^ pcg) >> 27);
    u32 rot = (u32)(pcg >> 59);
    u32 p = (xorshifted >> rot) | (xorshifted << ((0u - rot) & 31));
    hist[(r >> 59)]++;
    hist[p & 31] += 2;
  }
  u64 h = 0;
  for (int i = 0; i < 32; i++) h = h * 1000003 + hist[i];
  return h;
}
