/* CRC-32 (IEEE, reflected, polynomial 0xedb88320) of a byte buffer, bit by bit (no table: no globals). */
#include "bench.h"

struct crc32_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

u64 bpf_main(void *mem) {
  const struct crc32_input *in = mem;
  u32 crc = 0xffffffffu;
  for (u32 i = 0; i < in->len; i++) {
    crc ^= in->data[i];
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}
