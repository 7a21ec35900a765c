/*
 * An xxHash64-style hash of `len` bytes: four 64-bit lanes over 32-byte stripes (multiply, rotate,
 * multiply), then the lanes merged and the 8-byte and 1-byte tail mixed in, then the final avalanche.
 */
#include "bench.h"

struct xxh_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline u64 rotl64(u64 x, int r) { return (x << r) | (x >> (64 - r)); }
static inline u64 round64(u64 acc, u64 v) { return rotl64(acc + v * P2, 31) * P1; }
static inline u64 merge(u64 acc, u64 v) { return (acc ^ round64(0, v)) * P1 + P4; }
static inline u64 read64(const u8 *p) { return *(const u64 *)p; }

u64 bpf_main(void *mem) {
  const struct xxh_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = p + in->len;
  u64 h;
  if (in->len >= 32) {
    u64 v1 = P1 + P2, v2 = P2, v3 = 0, v4 = 0 - P1;
    const u8 *limit = end - 32;
    do {
      v1 = round64(v1, read64(p));
      v2 = round64(v2, read64(p + 8));
      v3 = round64(v3, read64(p + 16));
      v4 = round64(v4, read64(p + 24));
      p += 32;
    } while (p <= limit);
    h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = P5;
  }
  h += in->len;
  while (p + 8 <= end) {
    h ^= round64(0, read64(p));
    h = rotl64(h, 27) * P1 + P4;
    p += 8;
  }
  while (p < end) {
    h ^= (*p) * P5;
    h = rotl64(h, 11) * P1;
    p++;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}
