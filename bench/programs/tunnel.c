/*
 * Decapsulate tunnelled traffic the way an XDP or tc tunnel endpoint parses it: an outer Ethernet and
 * IPv4 header (options allowed), then either VXLAN (UDP port 4789, 8-byte header with the I flag and a
 * 24-bit VNI, then an inner Ethernet frame) or GRE (version 0; optional checksum, key and sequence
 * words by the C, K and S flags; routing refused; payload IPv4, IPv6 or transparent Ethernet 0x6558).
 * The inner IPv4 or IPv6 header and its TCP/UDP ports are read. Every read is checked against the
 * frame end (data_end). Frames are length-prefixed records (u16 little-endian length, then the frame).
 */
#include "bench.h"

struct tun_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

static inline u16 be16(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

/* Parses an inner IP packet of type `proto` at h; returns a flow value, or 0 when it is malformed. */
static inline u64 inner_ip(const u8 *h, const u8 *data_end, u16 proto) {
  u8 l4;
  u64 v;
  if (proto == 0x0800) {
    if (h + 20 > data_end) return 0;
    u32 ihl = (h[0] & 15) * 4;
    if (ihl < 20 || h + ihl > data_end) return 0;
    l4 = h[9];
    v = be32(h + 12) ^ ((u64)be32(h + 16) << 13);
    h += ihl;
  } else if (proto == 0x86dd) {
    if (h + 40 > data_end) return 0;
    l4 = h[6];
    v = be32(h + 20) ^ ((u64)be32(h + 36) << 13);
    h += 40;
  } else {
    return 0;
  }
  if (l4 == 6 || l4 == 17) {
    if (h + 4 > data_end) return 0;
    v += (u64)be16(h) << 32 | (u64)be16(h + 2) << 48;
  }
  return v | 1;
}

u64 bpf_main(void *mem) {
  const struct tun_input *in = mem;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u64 vxlan = 0, gre = 0, plain = 0, bad = 0, ids = 0, flows = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (p[1] << 8);
    const u8 *h = p + 2;
    const u8 *data_end = h + flen;
    if (data_end > end) break;
    p = data_end;
    if (h + 14 > data_end) { bad++; continue; }
    if (be16(h + 12) != 0x0800) { plain++; continue; }
    h += 14;
    if (h + 20 > data_end) { bad++; continue; }
    u32 ihl = (h[0] & 15) * 4;
    if (ihl < 20 || h + ihl > data_end) { bad++; continue; }
    u8 proto = h[9];
    h += ihl;
    u16 inner;
    if (proto == 17) {
      if (h + 8 > data_end) { bad++; continue; }
      if (be16(h + 2) != 4789) { plain++; continue; }
      h += 8;
      if (h + 8 > data_end) { bad++; continue; }
      if (!(h[0] & 0x08)) { bad++; continue; } /* the I flag: a valid VNI */
      ids += be32(h + 4) >> 8;
      h += 8;
      vxlan++;
      inner = 0x6558;
    } else if (proto == 47) {
      if (h + 4 > data_end) { bad++; continue; }
      u16 fl = be16(h);
      if ((fl & 7) != 0 || (fl & 0x4000)) { bad++; continue; } /* version 0, no routing */
      inner = be16(h + 2);
      h += 4;
      if (fl & 0x8000) h += 4; /* checksum and reserved */
      if (fl & 0x2000) {
        if (h + 4 > data_end) { bad++; continue; }
        ids += be32(h);
        h += 4;
      }
      if (fl & 0x1000) h += 4; /* sequence number */
      gre++;
    } else {
      plain++;
      continue;
    }
    if (inner == 0x6558) {
      if (h + 14 > data_end) { bad++; continue; }
      inner = be16(h + 12);
      h += 14;
    }
    u64 v = inner_ip(h, data_end, inner);
    if (v == 0) { bad++; continue; }
    flows = (flows ^ v) * 0x100000001b3ULL;
  }
  return flows ^ (vxlan << 48) ^ (gre << 32) ^ (plain << 16) ^ bad ^ (ids << 8);
}
