/*
 * Decode a stream of LEB128 varints (protobuf style, at most 10 bytes each, zigzag for signed fields
 * on every other value), bounds-checked against the end of the buffer; returns their sum and count.
 */
#include "bench.h"

struct varint_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

u64 bpf_main(void *mem) {
  const struct varint_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u64 sum = 0, count = 0, bad = 0;
  while (p < end) {
    u64 v = 0;
    u32 shift = 0;
    int done = 0;
    while (p < end && shift < 70) {
      u8 b = *p++;
      v |= (u64)(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) { done = 1; break; }
    }
    if (!done) { bad++; break; }
    if (count & 1) v = (v >> 1) ^ (0 - (v & 1));
    sum += v;
    count++;
  }
  return sum ^ (count << 32) ^ (bad << 63);
}
