/* A 64-bit multiply-rotate hash over 64-bit words, with a final avalanche (tsbpf's own mix). */
#include "bench.h"

struct hash64_input {
  u32 words;
  u32 reserved;
  u64 data[];
};

static inline u64 rotl(u64 x, int r) { return (x << r) | (x >> (64 - r)); }

u64 bpf_main(void *mem) {
  const struct hash64_input *in = mem;
  u64 h = 0x2545f4914f6cdd1dULL ^ in->words;
  for (u32 i = 0; i < in->words; i++) {
    u64 k = in->data[i] * 0x87c37b91114253d5ULL;
    k = rotl(k, 31) * 0x4cf5ad432745937fULL;
    h ^= k;
    h = rotl(h, 27) * 5 + 0x52dce729;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}
