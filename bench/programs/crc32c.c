/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78), the checksum of SCTP, iSCSI and ext4, with the
 * classic 256-entry table: built at the start of a run in a scratch area of mem (the stack holds 512
 * bytes, the table 1 KiB), then one table lookup per byte over a stream of length-prefixed packets
 * (u16 little-endian length, then the bytes), one CRC per packet.
 */
#include "bench.h"

struct crc_input {
  u32 len; /* bytes of packet records in data */
  u32 reserved;
  u32 table[256]; /* scratch */
  u8 data[];
};

u64 bpf_main(void *mem) {
  struct crc_input *in = mem;
  u32 *table = in->table;
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    table[i] = c;
  }
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u64 acc = 0;
  u32 packets = 0;
  while (p + 2 <= end) {
    u32 plen = p[0] | (p[1] << 8);
    const u8 *pkt = p + 2;
    if (pkt + plen > end) break;
    u32 crc = 0xffffffffu;
    for (u32 i = 0; i < plen; i++) crc = table[(crc ^ pkt[i]) & 0xff] ^ (crc >> 8);
    crc ^= 0xffffffffu;
    acc = (acc << 5 | acc >> 59) ^ crc;
    packets++;
    p = pkt + plen;
  }
  return acc ^ ((u64)packets << 48);
}
