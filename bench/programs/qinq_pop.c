/*
 * VLAN tag handling as a tc or XDP program on a provider edge does it: each frame's outer tag (802.1ad
 * 0x88a8 or 802.1Q 0x8100) and an optional inner 802.1Q tag are parsed; the outer VLAN id selects an
 * action from a 4096-entry table: pop the outer tag (the MAC addresses move 4 bytes toward the payload),
 * push a new outer tag on an untagged or single-tagged frame (the MAC addresses move 4 bytes into the
 * headroom), translate the VLAN id keeping the priority bits, or drop. The edited frame is written to a
 * transmit ring of 2048-byte slots (header edits in place there, payload copied by 8-byte words), and
 * the result folds the first 24 bytes of each output frame. Frames are length-prefixed records.
 */
#include "bench.h"

struct vlan_input {
  u32 len;
  u32 table_off; /* 4096 u32: action << 16 | new vid (action 0 forward, 1 pop, 2 push, 3 translate, 4 drop) */
  u32 tx_off;
  u32 log2tx;
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }

u64 bpf_main(void *mem) {
  const struct vlan_input *in = mem;
  const u32 *table = (const u32 *)((const u8 *)mem + in->table_off);
  u8 *tx = (u8 *)mem + in->tx_off;
  u32 txmask = (1u << in->log2tx) - 1;
  const u8 *p = in->data;
  const u8 *end = p + in->len;
  u64 sum = 0;
  u32 out = 0, dropped = 0, pops = 0, pushes = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (u32)p[1] << 8;
    const u8 *f = p + 2;
    const u8 *fend = f + flen;
    p = fend;
    if (fend > end) break;
    if (flen < 14 || flen > 2040) { dropped++; continue; }
    u32 t = be16(f + 12);
    u32 vid = 0, tagged = 0;
    if (t == 0x88a8 || t == 0x8100) {
      if (f + 18 > fend) { dropped++; continue; }
      vid = be16(f + 14) & 0xfff;
      tagged = 1;
      if (t == 0x88a8 && f + 22 <= fend && be16(f + 16) == 0x8100) tagged = 2;
    }
    u32 e = table[vid];
    u32 action = e >> 16, nvid = e & 0xfff;
    u8 *o = tx + (out & txmask) * 2048 + 4; /* 4 bytes of headroom before the frame */
    u32 olen = flen;
    for (u32 i = 0; i + 8 <= flen; i += 8) __builtin_memcpy(o + i, f + i, 8);
    for (u32 i = flen & ~7u; i < flen; i++) o[i] = f[i];
    switch (action) {
    case 0:
      break;
    case 1:
      if (!tagged) { dropped++; continue; }
      for (int i = 11; i >= 0; i--) o[i + 4] = o[i];
      o += 4;
      olen -= 4;
      pops++;
      break;
    case 2:
      if (tagged == 2) { dropped++; continue; }
      o -= 4;
      for (u32 i = 0; i < 12; i++) o[i] = o[i + 4];
      o[12] = tagged ? 0x88 : 0x81;
      o[13] = tagged ? 0xa8 : 0x00;
      o[14] = (u8)(nvid >> 8);
      o[15] = (u8)nvid;
      olen += 4;
      pushes++;
      break;
    case 3:
      if (!tagged) { dropped++; continue; }
      o[14] = (u8)((o[14] & 0xf0) | nvid >> 8);
      o[15] = (u8)nvid;
      break;
    default:
      dropped++;
      continue;
    }
    u64 h = olen;
    for (u32 i = 0; i < 24 && i < olen; i++) h = (h ^ o[i]) * 0x100000001b3ull;
    sum += h;
    out++;
  }
  return sum ^ (u64)dropped << 48 ^ (u64)pops << 32 ^ (u64)pushes << 16 ^ out;
}
