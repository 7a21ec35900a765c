/* Sum floor(log2(v)) over an array of 64-bit integers, by a branchy binary search (log2(0) = 0). */
#include "bench.h"

struct log2_input {
  u32 count;
  u32 reserved;
  u64 values[];
};

u64 bpf_main(void *mem) {
  const struct log2_input *in = mem;
  u64 sum = 0;
  for (u32 i = 0; i < in->count; i++) {
    u64 v = in->values[i];
    u64 r = 0;
    if (v >> 32) { v >>= 32; r += 32; }
    if (v >> 16) { v >>= 16; r += 16; }
    if (v >> 8) { v >>= 8; r += 8; }
    if (v >> 4) { v >>= 4; r += 4; }
    if (v >> 2) { v >>= 2; r += 2; }
    if (v >> 1) { r += 1; }
    sum += r;
  }
  return sum;
}
