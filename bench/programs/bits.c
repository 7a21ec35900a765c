/*
 * Bit tricks over `count` u64 values: population count (SWAR), bit reversal (mask-and-shift swaps),
 * trailing zeros by isolating the lowest set bit, and parity, combined into one result.
 */
#include "bench.h"

struct bits_input {
  u32 count;
  u32 reserved;
  u64 v[];
};

static inline u64 popcount64(u64 x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return (x * 0x0101010101010101ULL) >> 56;
}

static inline u64 reverse64(u64 x) {
  x = ((x >> 1) & 0x5555555555555555ULL) | ((x & 0x5555555555555555ULL) << 1);
  x = ((x >> 2) & 0x3333333333333333ULL) | ((x & 0x3333333333333333ULL) << 2);
  x = ((x >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((x & 0x0f0f0f0f0f0f0f0fULL) << 4);
  x = ((x >> 8) & 0x00ff00ff00ff00ffULL) | ((x & 0x00ff00ff00ff00ffULL) << 8);
  x = ((x >> 16) & 0x0000ffff0000ffffULL) | ((x & 0x0000ffff0000ffffULL) << 16);
  return (x >> 32) | (x << 32);
}

static inline u64 ctz64(u64 x) {
  if (x == 0) return 64;
  u64 n = 0;
  u64 low = x & (0 - x);
  if ((low & 0xffffffffULL) == 0) n += 32;
  if ((low & 0x0000ffff0000ffffULL) == 0) n += 16;
  if ((low & 0x00ff00ff00ff00ffULL) == 0) n += 8;
  if ((low & 0x0f0f0f0f0f0f0f0fULL) == 0) n += 4;
  if ((low & 0x3333333333333333ULL) == 0) n += 2;
  if ((low & 0x5555555555555555ULL) == 0) n += 1;
  return n;
}

u64 bpf_main(void *mem) {
  const struct bits_input *in = mem;
  u64 pop = 0, rev = 0, tz = 0, parity = 0;
  for (u32 i = 0; i < in->count; i++) {
    u64 x = in->v[i];
    u64 p = popcount64(x);
    pop += p;
    parity ^= p & 1;
    rev ^= reverse64(x) + i;
    tz += ctz64(x);
  }
  return rev ^ (pop << 40) ^ (tz << 20) ^ parity;
}
