/*
 * Copy `len` bytes (a multiple of 8) from the source area to the destination area, eight bytes at a
 * time, then fold a few destination words into the result so that a wrong copy changes it.
 */
#include "bench.h"

struct memcpy_input {
  u32 len;
  u32 reserved;
  u64 data[]; /* len bytes of source, then len bytes of destination */
};

u64 bpf_main(void *mem) {
  struct memcpy_input *in = mem;
  u32 words = in->len / 8;
  const u64 *src = in->data;
  u64 *dst = in->data + words;
  for (u32 i = 0; i < words; i++) dst[i] = src[i];
  if (words == 0) return 0;
  return dst[0] ^ (dst[words / 3] << 1) ^ (dst[words / 2] << 2) ^ (dst[words - 1] << 3);
}
