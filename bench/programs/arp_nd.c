/*
 * An ARP and IPv6 neighbour-discovery responder as an XDP program builds one: for an ARP request
 * (Ethernet, IPv4, opcode 1) whose target address is one of ours, a reply is written (opcode 2, sender
 * and target swapped, our MAC filled in, the frame's MACs set); for an ICMPv6 neighbour solicitation
 * (next header 58, type 135, code 0, hop limit 255) for one of our IPv6 addresses, a neighbour
 * advertisement (type 136, solicited and override flags, a target link-layer address option, addresses
 * swapped) with its checksum over the IPv6 pseudo-header and the message. Replies go to a transmit ring
 * of 128-byte slots (the input frames stay as they are, so every run does the same work). Our addresses
 * are a small table searched linearly, as a bounded map walk would. Frames are length-prefixed records.
 */
#include "bench.h"

struct addr {
  u8 ip6[16];
  u32 ip4; /* as the four bytes read big-endian */
  u8 mac[6];
  u16 pad;
};

struct nd_input {
  u32 len;
  u32 naddrs;
  u32 addrs_off;
  u32 data_off;
  u32 tx_off;
  u32 log2tx;
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

static inline int eq16(const u8 *a, const u8 *b) {
  for (u32 i = 0; i < 16; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

u64 bpf_main(void *mem) {
  const struct nd_input *in = mem;
  const struct addr *addrs = (const struct addr *)((const u8 *)mem + in->addrs_off);
  u8 *tx = (u8 *)mem + in->tx_off;
  u32 txmask = (1u << in->log2tx) - 1;
  const u8 *p = (const u8 *)mem + in->data_off;
  const u8 *end = p + in->len;
  u64 sum = 0;
  u32 arp = 0, na = 0, pass = 0, slot = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (u32)p[1] << 8;
    const u8 *f = p + 2;
    const u8 *fend = f + flen;
    p = fend;
    if (fend > end) break;
    if (f + 14 > fend) { pass++; continue; }
    u32 et = be16(f + 12);
    if (et == 0x0806) {
      const u8 *a = f + 14;
      if (a + 28 > fend || be16(a) != 1 || be16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 || be16(a + 6) != 1) { pass++; continue; }
      u32 tip = be32(a + 24);
      const struct addr *me = 0;
      for (u32 i = 0; i < in->naddrs && i < 64; i++)
        if (addrs[i].ip4 == tip) { me = &addrs[i]; break; }
      if (!me) { pass++; continue; }
      u8 *o = tx + (slot++ & txmask) * 128;
      u8 *r = o + 14;
      for (u32 i = 0; i < 8; i++) r[i] = a[i];
      r[7] = 2;
      for (u32 i = 0; i < 6; i++) {
        o[i] = a[8 + i];
        o[6 + i] = me->mac[i];
        r[8 + i] = me->mac[i];
        r[18 + i] = a[8 + i];
      }
      for (u32 i = 0; i < 4; i++) {
        r[14 + i] = a[24 + i];
        r[24 + i] = a[14 + i];
      }
      o[12] = 0x08;
      o[13] = 0x06;
      arp++;
      sum = sum * 31 + tip + r[23];
      continue;
    }
    if (et != 0x86dd) { pass++; continue; }
    const u8 *ip = f + 14;
    if (ip + 40 + 24 > fend || (ip[0] >> 4) != 6 || ip[6] != 58 || ip[7] != 255) { pass++; continue; }
    const u8 *icmp = ip + 40;
    if (icmp[0] != 135 || icmp[1] != 0) { pass++; continue; }
    const struct addr *me = 0;
    for (u32 i = 0; i < in->naddrs && i < 64; i++)
      if (eq16(addrs[i].ip6, icmp + 8)) { me = &addrs[i]; break; }
    if (!me) { pass++; continue; }
    /* The advertisement: IPv6 header, 24 bytes of message and an 8-byte link-layer address option. */
    u8 *o = tx + (slot++ & txmask) * 128;
    u8 *oip = o + 14;
    u8 *oic = oip + 40;
    for (u32 i = 0; i < 6; i++) {
      o[i] = f[6 + i];
      o[6 + i] = me->mac[i];
      oic[26 + i] = me->mac[i];
    }
    o[12] = 0x86;
    o[13] = 0xdd;
    for (u32 i = 0; i < 8; i++) oip[i] = ip[i];
    oip[4] = 0;
    oip[5] = 32;
    for (u32 i = 0; i < 16; i++) {
      oip[24 + i] = ip[8 + i];
      oip[8 + i] = icmp[8 + i];
      oic[8 + i] = icmp[8 + i];
    }
    oic[0] = 136;
    oic[1] = 0;
    oic[2] = oic[3] = 0;
    oic[4] = 0x60;
    oic[5] = oic[6] = oic[7] = 0;
    oic[24] = 2;
    oic[25] = 1;
    u32 s = 32 + 58;
    for (u32 i = 8; i < 40; i += 2) s += be16(oip + i);
    for (u32 i = 0; i < 32; i += 2) s += be16(oic + i);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s = ~s & 0xffff;
    oic[2] = (u8)(s >> 8);
    oic[3] = (u8)s;
    na++;
    sum = sum * 31 + s + be32(oip + 36);
  }
  return sum ^ (u64)arp << 48 ^ (u64)na << 32 ^ pass;
}
