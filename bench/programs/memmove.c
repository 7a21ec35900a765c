/*
 * Byte-wise memmove at unaligned offsets: a buffer is copied to a scratch area, then `nops` moves
 * (destination, source, length; overlapping either way) are applied there, forwards or backwards as
 * the overlap requires; returns an FNV hash of the scratch buffer.
 */
#include "bench.h"

struct move {
  u32 dst;
  u32 src;
  u32 len;
};

struct memmove_input {
  u32 size; /* of the buffer */
  u32 nops;
  struct move ops[]; /* nops moves, then the buffer, then the scratch copy */
};

u64 bpf_main(void *mem) {
  struct memmove_input *in = mem;
  u32 size = in->size;
  const u8 *buf = (const u8 *)&in->ops[in->nops];
  u8 *s = (u8 *)buf + size;
  for (u32 i = 0; i < size; i++) s[i] = buf[i];
  for (u32 k = 0; k < in->nops; k++) {
    u32 d = in->ops[k].dst, r = in->ops[k].src, n = in->ops[k].len;
    if (d < r) {
      for (u32 i = 0; i < n; i++) s[d + i] = s[r + i];
    } else if (d > r) {
      for (u32 i = n; i > 0; i--) s[d + i - 1] = s[r + i - 1];
    }
  }
  u64 h = 0xcbf29ce484222325ULL;
  for (u32 i = 0; i < size; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
  return h;
}
