/* 64-bit FNV-1a over a byte buffer. */
#include "bench.h"

struct fnv1a_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

u64 bpf_main(void *mem) {
  const struct fnv1a_input *in = mem;
  u64 h = 0xcbf29ce484222325ULL;
  for (u32 i = 0; i < in->len; i++) {
    h ^= in->data[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
