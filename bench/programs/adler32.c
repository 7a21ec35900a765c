/* Adler-32 of `len` bytes, the modulo deferred over blocks of at most 5552 bytes (as zlib does). */
#include "bench.h"

struct adler_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

u64 bpf_main(void *mem) {
  const struct adler_input *in = mem;
  u32 a = 1, b = 0;
  u32 left = in->len;
  const u8 *p = in->data;
  while (left > 0) {
    u32 block = left < 5552 ? left : 5552;
    left -= block;
    for (u32 i = 0; i < block; i++) {
      a += p[i];
      b += a;
    }
    p += block;
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}
