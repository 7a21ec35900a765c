/*
 * Walk type-length-value options (TCP-option or DHCP style): a 1-byte type, a 1-byte length covering
 * type and length, then the value; type 0 ends a list, type 1 is a one-byte pad. Records are groups
 * of options each prefixed by a u16 group length; every option is bounds-checked against its group.
 */
#include "bench.h"

struct tlv_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

u64 bpf_main(void *mem) {
  const struct tlv_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u64 mss = 0, ws = 0, ts = 0, sack = 0, unknown = 0, bad = 0;
  while (p + 2 <= end) {
    u32 glen = p[0] | (p[1] << 8);
    const u8 *o = p + 2;
    const u8 *gend = o + glen;
    if (gend > end) break;
    p = gend;
    while (o < gend) {
      u8 type = o[0];
      if (type == 0) break;
      if (type == 1) { o++; continue; }
      if (o + 2 > gend) { bad++; break; }
      u32 len = o[1];
      if (len < 2 || o + len > gend) { bad++; break; }
      if (type == 2 && len == 4) mss += (o[2] << 8) | o[3];
      else if (type == 3 && len == 3) ws += o[2];
      else if (type == 8 && len == 10) ts ^= ((u32)o[2] << 24) | (o[3] << 16) | (o[4] << 8) | o[5];
      else if (type == 5) sack += (len - 2) / 8;
      else unknown += type;
      o += len;
    }
  }
  return mss ^ (ws << 20) ^ ((u64)ts << 24) ^ (sack << 40) ^ (unknown << 48) ^ (bad << 56);
}
