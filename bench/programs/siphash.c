/*
 * SipHash-2-4 (Aumasson and Bernstein) of short keys, the keyed hash the kernel uses for flow and
 * socket hashing: `count` keys of 0-31 bytes, each given by an (offset, length) record, hashed with a
 * 128-bit key from the header. Little-endian 8-byte words are assembled from byte loads (the keys are
 * not aligned), the tail of 0-7 bytes goes into the last word with the length.
 */
#include "bench.h"

struct sip_key {
  u32 off;
  u32 len;
};

struct sip_input {
  u32 count;
  u32 reserved;
  u64 k0;
  u64 k1;
  struct sip_key keys[];
};

#define ROTL(x, b) (u64)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                      \
  do {                                                                                                \
    v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                                          \
    v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                            \
    v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                            \
    v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                                          \
  } while (0)

static inline u64 le64(const u8 *p) {
  return (u64)p[0] | (u64)p[1] << 8 | (u64)p[2] << 16 | (u64)p[3] << 24 | (u64)p[4] << 32 | (u64)p[5] << 40 |
         (u64)p[6] << 48 | (u64)p[7] << 56;
}

static u64 siphash24(const u8 *in, u32 len, u64 k0, u64 k1) {
  u64 v0 = 0x736f6d6570736575ULL ^ k0;
  u64 v1 = 0x646f72616e646f6dULL ^ k1;
  u64 v2 = 0x6c7967656e657261ULL ^ k0;
  u64 v3 = 0x7465646279746573ULL ^ k1;
  const u8 *end = in + (len & ~7u);
  for (; in != end; in += 8) {
    u64 m = le64(in);
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
  }
  u64 b = (u64)len << 56;
  for (u32 i = 0; i < (len & 7); i++) b |= (u64)in[i] << (8 * i);
  v3 ^= b;
  SIPROUND;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

u64 bpf_main(void *mem) {
  const struct sip_input *in = mem;
  const u8 *base = mem;
  u64 acc = 0;
  for (u32 i = 0; i < in->count; i++) {
    u64 h = siphash24(base + in->keys[i].off, in->keys[i].len, in->k0, in->k1);
    acc = (acc ^ h) * 0x100000001b3ULL + (h >> 61);
  }
  return acc;
}
