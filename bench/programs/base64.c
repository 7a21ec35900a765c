/*
 * Base64-encode `len` bytes into a scratch area (the alphabet computed, not looked up: no global data),
 * then return a hash of the encoded text.
 */
#include "bench.h"

struct base64_input {
  u32 len; /* a multiple of 3 */
  u32 reserved;
  u8 data[]; /* len bytes, then len / 3 * 4 bytes of output */
};

static inline u8 b64char(u32 v) {
  if (v < 26) return 'A' + v;
  if (v < 52) return 'a' + (v - 26);
  if (v < 62) return '0' + (v - 52);
  return v == 62 ? '+' : '/';
}

u64 bpf_main(void *mem) {
  struct base64_input *in = mem;
  const u8 *src = in->data;
  u8 *out = in->data + in->len;
  u32 o = 0;
  for (u32 i = 0; i + 3 <= in->len; i += 3) {
    u32 v = ((u32)src[i] << 16) | ((u32)src[i + 1] << 8) | src[i + 2];
    out[o] = b64char(v >> 18);
    out[o + 1] = b64char((v >> 12) & 63);
    out[o + 2] = b64char((v >> 6) & 63);
    out[o + 3] = b64char(v & 63);
    o += 4;
  }
  u64 h = 0xcbf29ce484222325ULL;
  for (u32 i = 0; i < o; i += 8) {
    h ^= *(const u64 *)(out + i);
    h *= 0x100000001b3ULL;
  }
  return h;
}
