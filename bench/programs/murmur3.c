/*
 * MurmurHash3 (x86, 32-bit) of `count` keys of varied lengths (a table of offset/length pairs into a
 * byte area), with the usual 4-byte body and a 1-3 byte tail; returns a combination of the hashes.
 */
#include "bench.h"

struct key {
  u32 off; /* from the start of mem */
  u32 len;
};

struct murmur_input {
  u32 count;
  u32 seed;
  struct key keys[];
};

static inline u32 rotl32(u32 x, int r) { return (x << r) | (x >> (32 - r)); }

u64 bpf_main(void *mem) {
  const struct murmur_input *in = mem;
  const u8 *base = mem;
  u64 acc = 0;
  for (u32 k = 0; k < in->count; k++) {
    const u8 *data = base + in->keys[k].off;
    u32 len = in->keys[k].len;
    u32 h = in->seed;
    const u32 c1 = 0xcc9e2d51, c2 = 0x1b873593;
    u32 nblocks = len / 4;
    for (u32 i = 0; i < nblocks; i++) {
      const u8 *b = data + 4 * i;
      u32 w = b[0] | (b[1] << 8) | (b[2] << 16) | ((u32)b[3] << 24);
      w *= c1;
      w = rotl32(w, 15);
      w *= c2;
      h ^= w;
      h = rotl32(h, 13);
      h = h * 5 + 0xe6546b64;
    }
    const u8 *tail = data + nblocks * 4;
    u32 t = 0;
    switch (len & 3) {
    case 3: t ^= tail[2] << 16; /* fall through */
    case 2: t ^= tail[1] << 8; /* fall through */
    case 1:
      t ^= tail[0];
      t *= c1;
      t = rotl32(t, 15);
      t *= c2;
      h ^= t;
    }
    h ^= len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    acc = acc * 0x100000001b3ULL + h;
  }
  return acc;
}
