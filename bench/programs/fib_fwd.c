/*
 * IPv4 forwarding as an XDP router does it: for each Ethernet frame (an optional 802.1Q tag), the
 * IPv4 header is validated (version, header length, total length, header checksum over the options
 * too), a TTL of 1 or less is counted as "time exceeded", the TTL is decremented with an incremental
 * checksum update (RFC 1624), the next hop is found in a two-level DIR-16-8 table (a 65536-entry
 * first level indexed by the top 16 bits of the destination; an entry with the top bit set names a
 * 256-entry second-level group indexed by the next 8 bits), and the frame's MAC addresses are rewritten
 * from the next hop; the rewritten headers go to a transmit ring of 128-byte slots (the frame is
 * read-only input, so every run does the same work). Frames are length-prefixed records (u16
 * little-endian length, then the frame).
 */
#include "bench.h"

struct nexthop {
  u8 dmac[6];
  u8 smac[6];
  u32 ifindex;
};

struct fib_input {
  u32 len;      /* bytes of frame records */
  u32 nhops;
  u32 tbl16_off;
  u32 tbl8_off;
  u32 nh_off;
  u32 data_off;
  u32 tx_off;   /* ring of 128-byte slots */
  u32 log2tx;
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }

u64 bpf_main(void *mem) {
  const struct fib_input *in = mem;
  const u16 *tbl16 = (const u16 *)((const u8 *)mem + in->tbl16_off);
  const u16 *tbl8 = (const u16 *)((const u8 *)mem + in->tbl8_off);
  const struct nexthop *nh = (const struct nexthop *)((const u8 *)mem + in->nh_off);
  u8 *tx = (u8 *)mem + in->tx_off;
  u32 txmask = (1u << in->log2tx) - 1;
  const u8 *p = (const u8 *)mem + in->data_off;
  const u8 *end = p + in->len;
  u64 fwd = 0, sum = 0;
  u32 drops = 0, ttl_exceeded = 0, bad = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (u32)p[1] << 8;
    const u8 *f = p + 2;
    const u8 *fend = f + flen;
    p = fend;
    if (fend > end) break;
    const u8 *l3 = f + 14;
    if (l3 > fend) { bad++; continue; }
    u32 proto = be16(f + 12);
    if (proto == 0x8100) {
      if (l3 + 4 > fend) { bad++; continue; }
      proto = be16(f + 16);
      l3 += 4;
    }
    if (proto != 0x0800) { drops++; continue; }
    if (l3 + 20 > fend) { bad++; continue; }
    u32 ihl = (l3[0] & 15) * 4;
    if ((l3[0] >> 4) != 4 || ihl < 20 || l3 + ihl > fend || be16(l3 + 2) < ihl || l3 + be16(l3 + 2) > fend) { bad++; continue; }
    u32 s = 0;
    for (u32 i = 0; i < ihl; i += 2) s += be16(l3 + i);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    if (s != 0xffff) { bad++; continue; }
    if (l3[8] <= 1) { ttl_exceeded++; continue; }
    u32 daddr = (u32)l3[16] << 24 | (u32)l3[17] << 16 | (u32)l3[18] << 8 | l3[19];
    u32 e = tbl16[daddr >> 16];
    if (e & 0x8000) e = tbl8[(e & 0x7fff) * 256 + ((daddr >> 8) & 0xff)];
    if (e == 0 || e > in->nhops) { drops++; continue; }
    const struct nexthop *h = &nh[e - 1];
    /* Copy the headers to the slot, then rewrite them there. */
    u8 *o = tx + (u32)(fwd & txmask) * 128;
    u32 hl = (u32)(l3 - f) + ihl;
    for (u32 i = 0; i < hl; i++) o[i] = f[i];
    u8 *o3 = o + (l3 - f);
    /* TTL is the high byte of the 16-bit word at offset 8: HC' = ~(~HC + ~m + m'). */
    u32 old = be16(o3 + 8);
    o3[8]--;
    u32 nw = be16(o3 + 8);
    u32 c = (~be16(o3 + 10) & 0xffff) + (~old & 0xffff) + nw;
    c = (c & 0xffff) + (c >> 16);
    c = (c & 0xffff) + (c >> 16);
    c = ~c & 0xffff;
    o3[10] = (u8)(c >> 8);
    o3[11] = (u8)c;
    for (u32 i = 0; i < 6; i++) {
      o[i] = h->dmac[i];
      o[6 + i] = h->smac[i];
    }
    fwd++;
    sum = sum * 31 + h->ifindex + c + ((u64)o[5] << 32);
  }
  return sum ^ fwd << 44 ^ (u64)drops << 32 ^ (u64)ttl_exceeded << 16 ^ bad;
}
