/*
 * A 3x3 weighted blur of a w x h byte image into a scratch image (borders copied), nested loops with
 * 32-bit counters and row arithmetic; returns a hash of the result.
 */
#include "bench.h"

struct stencil_input {
  u32 w;
  u32 h;
  u8 img[]; /* w * h pixels, then w * h output pixels */
};

u64 bpf_main(void *mem) {
  struct stencil_input *in = mem;
  u32 w = in->w, h = in->h;
  const u8 *src = in->img;
  u8 *dst = in->img + w * h;
  for (u32 y = 0; y < h; y++) {
    for (u32 x = 0; x < w; x++) {
      u32 i = y * w + x;
      if (y == 0 || x == 0 || y == h - 1 || x == w - 1) {
        dst[i] = src[i];
        continue;
      }
      u32 s = src[i - w - 1] + 2 * src[i - w] + src[i - w + 1]
            + 2 * src[i - 1] + 4 * src[i] + 2 * src[i + 1]
            + src[i + w - 1] + 2 * src[i + w] + src[i + w + 1];
      dst[i] = (u8)(s >> 4);
    }
  }
  u64 hash = 0;
  for (u32 i = 0; i < w * h; i++) hash = hash * 31 + dst[i];
  return hash;
}
