/*
 * ICMP errors as a stateful firewall or a NAT handles them: for each IPv4 packet (header checksum
 * verified, options allowed) carrying ICMP, the ICMP checksum is verified over the whole message
 * (RFC 1071, 16-bit words, an odd byte last); an error (destination unreachable, time exceeded,
 * parameter problem) quotes the offending packet's IPv4 header and at least 8 bytes of its payload,
 * whose addresses, protocol and ports (TCP, UDP) or echo identifier (ICMP) name the flow it belongs to,
 * reversed; the flow is looked up in an open-addressing hash table built at the start of the run from
 * the flow list, and a "fragmentation needed" error lowers the flow's path MTU. Echo requests and
 * replies are counted. Every read is checked against the packet's end. Packets are length-prefixed
 * records (u16 little-endian length, then the packet).
 */
#include "bench.h"

struct flow {
  u32 saddr, daddr;
  u16 sport, dport;
  u32 proto;
};

struct slot {
  u32 saddr, daddr;
  u32 ports; /* sport << 16 | dport */
  u16 proto;
  u16 used;
  u32 mtu;
  u32 hits;
};

struct icmp_input {
  u32 len;       /* bytes of packet records */
  u32 nflows;
  u32 log2cap;   /* the table's slots */
  u32 flows_off; /* offset of the flow list */
  u32 table_off; /* offset of the table (scratch) */
  u32 zero;      /* 0: the clearing value */
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

static inline u32 flow_hash(u32 s, u32 d, u32 ports, u32 proto) {
  u64 h = ((u64)s << 32 | d) * 0x9e3779b97f4a7c15ull;
  h ^= ((u64)ports << 8 | proto) * 0xc2b2ae3d27d4eb4full;
  h ^= h >> 29;
  return (u32)h;
}

/* Ones' complement sum of n bytes at p, folded to 16 bits. */
static inline u32 csum(const u8 *p, u32 n) {
  u32 s = 0;
  u32 i = 0;
  for (; i + 1 < n; i += 2) s += be16(p + i);
  if (i < n) s += (u32)p[i] << 8;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return s;
}

u64 bpf_main(void *mem) {
  const struct icmp_input *in = mem;
  const struct flow *flows = (const struct flow *)((const u8 *)mem + in->flows_off);
  struct slot *table = (struct slot *)((u8 *)mem + in->table_off);
  u32 mask = (1u << in->log2cap) - 1;
  for (u32 i = 0; i <= mask; i++) {
    table[i].used = (u16)in->zero;
    table[i].hits = in->zero;
  }
  for (u32 i = 0; i < in->nflows; i++) {
    const struct flow *f = &flows[i];
    u32 ports = (u32)f->sport << 16 | f->dport;
    u32 j = flow_hash(f->saddr, f->daddr, ports, f->proto) & mask;
    while (table[j].used) j = (j + 1) & mask;
    table[j].saddr = f->saddr;
    table[j].daddr = f->daddr;
    table[j].ports = ports;
    table[j].proto = (u16)f->proto;
    table[j].used = 1;
    table[j].mtu = 1500;
  }
  const u8 *p = in->data;
  const u8 *stop = in->data + in->len;
  u32 bad_ip = 0, bad_icmp = 0, short_quote = 0, echo = 0, other = 0, unknown = 0, matched = 0;
  u64 mtu_sum = 0, codes = 0;
  while (p + 2 <= stop) {
    u32 plen = p[0] | (u32)p[1] << 8;
    const u8 *h = p + 2;
    const u8 *end = h + plen;
    if (end > stop) break;
    p = end;
    if (h + 20 > end || (h[0] >> 4) != 4) { bad_ip++; continue; }
    u32 ihl = (h[0] & 15) * 4;
    if (ihl < 20 || h + ihl > end || csum(h, ihl) != 0xffff) { bad_ip++; continue; }
    u32 tot = be16(h + 2);
    if (tot < ihl || h + tot > end) { bad_ip++; continue; }
    if (h[9] != 1) { other++; continue; }
    const u8 *icmp = h + ihl;
    u32 ilen = tot - ihl;
    if (ilen < 8 || csum(icmp, ilen) != 0xffff) { bad_icmp++; continue; }
    u32 type = icmp[0], code = icmp[1];
    if (type == 0 || type == 8) { echo++; continue; }
    if (type != 3 && type != 11 && type != 12) { other++; continue; }
    codes += type * 16 + code;
    const u8 *q = icmp + 8;
    const u8 *qend = h + tot;
    if (q + 20 > qend || (q[0] >> 4) != 4) { short_quote++; continue; }
    u32 qihl = (q[0] & 15) * 4;
    if (qihl < 20 || q + qihl + 8 > qend) { short_quote++; continue; }
    u32 proto = q[9];
    u32 qs = be32(q + 12), qd = be32(q + 16);
    const u8 *l4 = q + qihl;
    u32 ports;
    if (proto == 6 || proto == 17) ports = be16(l4) << 16 | be16(l4 + 2);
    else if (proto == 1) ports = be16(l4 + 4) << 16; /* echo identifier */
    else { unknown++; continue; }
    /* the quoted packet went out from our flow: look the flow up as it was sent */
    u32 j = flow_hash(qs, qd, ports, proto) & mask;
    for (u32 probes = 0; probes <= mask; probes++) {
      struct slot *s = &table[j];
      if (!s->used) { unknown++; break; }
      if (s->saddr == qs && s->daddr == qd && s->ports == ports && s->proto == proto) {
        matched++;
        s->hits++;
        if (type == 3 && code == 4) {
          u32 mtu = be16(icmp + 6);
          if (mtu >= 68 && mtu < s->mtu) s->mtu = mtu;
        }
        break;
      }
      j = (j + 1) & mask;
    }
  }
  for (u32 i = 0; i <= mask; i++)
    if (table[i].used) mtu_sum = mtu_sum * 31 + table[i].mtu * 7 + table[i].hits;
  return mtu_sum ^ (codes << 20) ^ ((u64)matched << 32) ^ ((u64)(bad_ip + 2 * bad_icmp + 3 * short_quote) << 44) ^
         ((u64)(echo + 5 * other + 7 * unknown) << 52);
}
