/*
 * A Bloom filter of 2^bits bits in mem: insert `ninsert` 64-bit keys, then test `ntest` keys (half
 * inserted), with k bit positions per key from double hashing (h1 + i*h2, Kirsch and Mitzenmacher) of
 * one 64-bit mix. The filter is cleared at the start of a run with the header's zero word (a constant
 * fill would become a memset call, which the BPF target cannot make).
 */
#include "bench.h"

struct bloom_input {
  u32 bits; /* log2 of the filter size in bits, 6-24 */
  u32 k;    /* hashes per key, 1-16 */
  u32 ninsert;
  u32 ntest;
  u64 zero; /* 0: the clearing value */
  u64 seed;
  u64 keys[]; /* ninsert keys, ntest keys, then the filter (2^bits / 64 words) */
};

static inline u64 mix64(u64 x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

u64 bpf_main(void *mem) {
  struct bloom_input *in = mem;
  if (in->bits < 6 || in->bits > 24 || in->k == 0 || in->k > 16) return 0;
  u32 nbits = 1u << in->bits;
  u32 mask = nbits - 1;
  u64 *filter = in->keys + in->ninsert + in->ntest;
  for (u32 w = 0; w < nbits / 64; w++) filter[w] = in->zero;
  for (u32 i = 0; i < in->ninsert; i++) {
    u64 h = mix64(in->keys[i] ^ in->seed);
    u32 h1 = (u32)h, h2 = (u32)(h >> 32) | 1;
    for (u32 j = 0; j < in->k; j++) {
      u32 bit = (h1 + j * h2) & mask;
      filter[bit >> 6] |= 1ULL << (bit & 63);
    }
  }
  u64 hits = 0, acc = 0;
  const u64 *tests = in->keys + in->ninsert;
  for (u32 i = 0; i < in->ntest; i++) {
    u64 h = mix64(tests[i] ^ in->seed);
    u32 h1 = (u32)h, h2 = (u32)(h >> 32) | 1;
    u32 j;
    for (j = 0; j < in->k; j++) {
      u32 bit = (h1 + j * h2) & mask;
      if (!(filter[bit >> 6] & (1ULL << (bit & 63)))) break;
    }
    if (j == in->k) {
      hits++;
      acc += i;
    }
  }
  u64 pop = 0;
  for (u32 w = 0; w < nbits / 64; w++) pop += __builtin_popcountll(filter[w]);
  return (hits << 40) ^ acc ^ (pop << 20);
}
