/*
 * Geneve tunnel termination (RFC 8926) as an XDP decapsulator does it: an outer IPv4/UDP frame to port
 * 6081 carries a Geneve header (version, option length in 4-byte words, OAM and critical flags, the
 * protocol type, a 24-bit VNI); its options are walked as class/type/length TLVs, an option of a class
 * the endpoint knows is decoded (a 32-bit policy tag, a 64-bit trace id), an unknown option with the
 * critical bit set drops the packet; the inner Ethernet/IPv4 frame's 5-tuple is hashed with the VNI, and
 * per-VNI counters (a table indexed by the VNI's low bits, checked against the VNI it holds) count
 * packets and bytes. Frames are length-prefixed records.
 */
#include "bench.h"

struct vni_stat {
  u32 vni;
  u32 packets;
  u64 bytes;
  u64 hash;
};

struct geneve_input {
  u32 len;
  u32 log2vnis;
  u32 stats_off;
  u32 known_class;
  u32 zero;
  u32 reserved;
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

u64 bpf_main(void *mem) {
  const struct geneve_input *in = mem;
  struct vni_stat *stats = (struct vni_stat *)((u8 *)mem + in->stats_off);
  const u8 *p = in->data;
  const u8 *end = p + in->len;
  u32 mask = (1u << in->log2vnis) - 1;
  for (u32 i = 0; i <= mask; i++) {
    stats[i].vni = in->zero;
    stats[i].packets = in->zero;
    stats[i].bytes = in->zero;
    stats[i].hash = in->zero;
  }
  u64 tags = 0;
  u32 dropped = 0, other = 0, collisions = 0, oam = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (u32)p[1] << 8;
    const u8 *f = p + 2;
    const u8 *fend = f + flen;
    p = fend;
    if (fend > end) break;
    const u8 *ip = f + 14;
    if (ip + 20 > fend || be16(f + 12) != 0x0800 || ip[9] != 17) { other++; continue; }
    const u8 *udp = ip + (ip[0] & 15) * 4;
    if (udp + 8 > fend || be16(udp + 2) != 6081) { other++; continue; }
    const u8 *g = udp + 8;
    if (g + 8 > fend || (g[0] >> 6) != 0) { dropped++; continue; }
    u32 optlen = (g[0] & 63) * 4;
    const u8 *o = g + 8;
    const u8 *oend = o + optlen;
    if (oend > fend) { dropped++; continue; }
    if (g[1] & 0x80) oam++;
    u32 vni = be32(g + 4) >> 8;
    u32 ptype = be16(g + 2);
    int drop = 0;
    u64 tag = 0;
    for (u32 n = 0; n < 16 && o + 4 <= oend; n++) {
      u32 cls = be16(o);
      u32 type = o[2];
      u32 len = (o[3] & 31) * 4;
      const u8 *body = o + 4;
      if (body + len > oend) { drop = 1; break; }
      if (cls == in->known_class) {
        if ((type & 0x7f) == 1 && len >= 4) tag ^= be32(body);
        else if ((type & 0x7f) == 2 && len >= 8) tag += (u64)be32(body) << 32 | be32(body + 4);
      } else if (type & 0x80) {
        drop = 1;
        break;
      }
      o = body + len;
    }
    if (drop) { dropped++; continue; }
    if (ptype != 0x6558) { other++; continue; }
    const u8 *ie = oend;
    const u8 *iip = ie + 14;
    if (iip + 20 > fend || be16(ie + 12) != 0x0800) { other++; continue; }
    u32 ihl = (iip[0] & 15) * 4;
    const u8 *l4 = iip + ihl;
    u32 ports = 0;
    if ((iip[9] == 6 || iip[9] == 17) && l4 + 4 <= fend) ports = be32(l4);
    u64 h = ((u64)be32(iip + 12) << 32 | be32(iip + 16)) * 0x9e3779b97f4a7c15ull;
    h ^= ((u64)ports << 8 | iip[9]) + vni;
    h = (h ^ h >> 31) * 0xbf58476d1ce4e5b9ull;
    struct vni_stat *st = &stats[vni & mask];
    if (st->vni != vni) {
      if (st->packets) collisions++;
      st->vni = vni;
      st->packets = 0;
      st->bytes = 0;
      st->hash = 0;
    }
    st->packets++;
    st->bytes += flen;
    st->hash ^= h >> 7;
    tags += tag;
  }
  u64 r = tags;
  for (u32 i = 0; i <= mask; i++) r = r * 0x100000001b3ull + stats[i].packets + stats[i].bytes + stats[i].hash;
  return r ^ (u64)dropped << 48 ^ (u64)other << 32 ^ (u64)collisions << 16 ^ oam;
}
