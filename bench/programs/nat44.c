/*
 * Source and destination NAT of Ethernet/IPv4 frames, as an XDP or tc NAT gateway does it: the
 * headers of each frame are copied to a work buffer (the packet as the program would rewrite it), the
 * translation is looked up in one of two open-addressing tables in mem (outbound: inside address and
 * port to outside; inbound: outside to inside), the address and port are rewritten, the TTL
 * decremented, and the IPv4 and TCP/UDP checksums updated incrementally (RFC 1624: HC' = ~(~HC + ~m +
 * m'), the UDP checksum 0 kept as "none"). Fragments, IP options beyond the header length and
 * truncated frames are passed untouched. Frames are length-prefixed records (u16 little-endian length,
 * then the frame).
 */
#include "bench.h"

struct nat_entry {
  u32 from_addr; /* host order; 0: an empty slot */
  u16 from_port;
  u16 to_port;
  u32 to_addr;
};

struct nat_input {
  u32 len;         /* bytes of frame records */
  u32 log2slots;   /* each table holds 2^log2slots entries, 4-16 */
  u32 inside_net;  /* inside prefix (host order), /8 */
  u32 outside_net; /* the NAT's outside addresses, /24 */
  u32 tables_off;  /* offset in mem of the two tables (outbound, then inbound) */
  u32 work_off;    /* offset in mem of a 128-byte work buffer */
  u8 data[];
};

static inline u32 rd16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 rd32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static inline void wr16(u8 *p, u32 v) { p[0] = v >> 8; p[1] = v; }
static inline void wr32(u8 *p, u32 v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static inline u32 fold(u32 s) {
  s = (s & 0xffff) + (s >> 16);
  return (s & 0xffff) + (s >> 16);
}

/* RFC 1624 eqn. 3 for one 16-bit word changing from `from` to `to`. */
static inline u32 csum_replace2(u32 check, u32 from, u32 to) {
  return ~fold((~check & 0xffff) + (~from & 0xffff) + to) & 0xffff;
}

static inline u32 csum_replace4(u32 check, u32 from, u32 to) {
  check = csum_replace2(check, from >> 16, to >> 16);
  return csum_replace2(check, from & 0xffff, to & 0xffff);
}

static inline u32 nat_hash(u32 addr, u32 port) {
  u32 h = (addr ^ (port << 16 | port)) * 0x9e3779b1u;
  return h ^ (h >> 15);
}

static inline const struct nat_entry *nat_lookup(const struct nat_entry *t, u32 mask, u32 addr, u32 port) {
  u32 h = nat_hash(addr, port) & mask;
  for (u32 n = 0; n <= mask; n++) {
    const struct nat_entry *e = &t[h];
    if (e->from_addr == 0) return 0;
    if (e->from_addr == addr && e->from_port == port) return e;
    h = (h + 1) & mask;
  }
  return 0;
}

u64 bpf_main(void *mem) {
  struct nat_input *in = mem;
  if (in->log2slots < 4 || in->log2slots > 16) return 0;
  u32 mask = (1u << in->log2slots) - 1;
  const struct nat_entry *outbound = (const struct nat_entry *)((u8 *)mem + in->tables_off);
  const struct nat_entry *inbound = outbound + mask + 1;
  u8 *w = (u8 *)mem + in->work_off;
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u32 snat = 0, dnat = 0, miss = 0, passed = 0, dropped = 0;
  u64 acc = 0;
  while (p + 2 <= end) {
    u32 flen = p[0] | (p[1] << 8);
    const u8 *f = p + 2;
    const u8 *f_end = f + flen;
    if (f_end > end) break;
    p = f_end;
    if (flen < 14 + 20 || rd16(f + 12) != 0x0800) { passed++; continue; }
    u32 ihl = (f[14] & 15) * 4;
    u32 proto = f[14 + 9];
    if ((f[14] >> 4) != 4 || ihl < 20) { passed++; continue; }
    u32 l4len = proto == 6 ? 20 : proto == 17 ? 8 : 0;
    if (l4len == 0 || 14 + ihl + l4len > flen) { passed++; continue; }
    if (rd16(f + 14 + 6) & 0x3fff) { passed++; continue; } /* a fragment: no ports to translate */
    /* the headers into the work buffer, where they are rewritten */
    u32 hlen = 14 + ihl + l4len;
    for (u32 i = 0; i < hlen && i < 128; i++) w[i] = f[i];
    u8 *ip = w + 14;
    u8 *l4 = ip + ihl;
    u32 csum_at = proto == 6 ? 16 : 6;
    if (ip[8] <= 1) { dropped++; continue; } /* TTL expires here */
    u32 saddr = rd32(ip + 12), daddr = rd32(ip + 16);
    u32 sport = rd16(l4), dport = rd16(l4 + 2);
    const struct nat_entry *e;
    int source;
    if ((saddr & 0xff000000u) == in->inside_net) {
      e = nat_lookup(outbound, mask, saddr, sport);
      source = 1;
    } else if ((daddr & 0xffffff00u) == in->outside_net) {
      e = nat_lookup(inbound, mask, daddr, dport);
      source = 0;
    } else {
      passed++;
      continue;
    }
    if (e == 0) { miss++; continue; }
    u32 ipsum = rd16(ip + 10);
    u32 l4sum = rd16(l4 + csum_at);
    int have_l4sum = proto == 6 || l4sum != 0;
    u32 old_addr = source ? saddr : daddr, old_port = source ? sport : dport;
    u32 addr_at = source ? 12 : 16, port_at = source ? 0 : 2;
    wr32(ip + addr_at, e->to_addr);
    wr16(l4 + port_at, e->to_port);
    ipsum = csum_replace4(ipsum, old_addr, e->to_addr);
    if (have_l4sum) {
      l4sum = csum_replace4(l4sum, old_addr, e->to_addr); /* the pseudo-header */
      l4sum = csum_replace2(l4sum, old_port, e->to_port);
      if (proto == 17 && l4sum == 0) l4sum = 0xffff;
    }
    /* TTL and protocol share a word */
    u32 old_word = rd16(ip + 8);
    ip[8]--;
    ipsum = csum_replace2(ipsum, old_word, rd16(ip + 8));
    wr16(ip + 10, ipsum);
    wr16(l4 + csum_at, l4sum);
    if (source) snat++;
    else dnat++;
    acc = acc * 31 + (ipsum << 16 | l4sum) + rd32(ip + 12) + rd32(l4);
  }
  return acc ^ ((u64)snat << 48) ^ ((u64)dnat << 32) ^ ((u64)miss << 16) ^ ((u64)passed << 8) ^ dropped;
}
