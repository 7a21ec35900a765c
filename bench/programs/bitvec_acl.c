/*
 * Packet classification by bit vectors (Lakshman and Stiliadis, 1998), as multi-field firewalls lay
 * out an ACL: each of the five fields (source and destination address prefixes, source and destination
 * port ranges, protocol) has its value line cut into elementary intervals, each with the bit vector of
 * the rules whose range covers it (256 rules: four 64-bit words, the rule's bit by priority). A packet's
 * five values are each looked up by binary search over their field's interval starts, the five vectors
 * ANDed word by word, and the first set bit (found by isolating the lowest bit and testing it against
 * six masks) is the matching rule, whose action is counted. The tables are built by the input generator.
 */
#include "bench.h"

struct field {
  u32 n;         /* elementary intervals */
  u32 starts_off; /* u32 starts, ascending, starts[0] = 0 */
  u32 maps_off;   /* u64 maps[n][4] */
  u32 reserved;
};

struct pkt {
  u32 saddr, daddr;
  u16 sport, dport;
  u8 proto;
  u8 pad[3];
};

struct bv_input {
  u32 npkts;
  u32 pkts_off;
  u32 actions_off; /* u8 per rule */
  u32 reserved;
  struct field f[5];
};

/* The index of the interval holding v: the last start not above v. */
static inline u32 find(const u32 *starts, u32 n, u32 v) {
  u32 lo = 0, hi = n; /* starts[lo] <= v < starts[hi] (hi == n: past the end) */
  while (hi - lo > 1) {
    u32 mid = (lo + hi) >> 1;
    if (starts[mid] <= v) lo = mid;
    else hi = mid;
  }
  return lo;
}

static inline u32 lowest_bit_index(u64 x) {
  u64 b = x & -x;
  return ((b & 0xaaaaaaaaaaaaaaaaull) != 0) | ((b & 0xccccccccccccccccull) != 0) << 1 |
         ((b & 0xf0f0f0f0f0f0f0f0ull) != 0) << 2 | ((b & 0xff00ff00ff00ff00ull) != 0) << 3 |
         ((b & 0xffff0000ffff0000ull) != 0) << 4 | ((b & 0xffffffff00000000ull) != 0) << 5;
}

u64 bpf_main(void *mem) {
  const struct bv_input *in = mem;
  const u8 *base = mem;
  const struct pkt *pkts = (const struct pkt *)(base + in->pkts_off);
  const u8 *actions = base + in->actions_off;
  u32 counts[4] = {0, 0, 0, 0};
  u32 nomatch = 0;
  u64 rules = 0;
  for (u32 i = 0; i < in->npkts; i++) {
    const struct pkt *pk = &pkts[i];
    u32 v[5] = {pk->saddr, pk->daddr, pk->sport, pk->dport, pk->proto};
    u64 w0 = ~0ull, w1 = ~0ull, w2 = ~0ull, w3 = ~0ull;
    for (u32 f = 0; f < 5; f++) {
      const struct field *fd = &in->f[f];
      u32 k = find((const u32 *)(base + fd->starts_off), fd->n, v[f]);
      const u64 *m = (const u64 *)(base + fd->maps_off) + k * 4;
      w0 &= m[0];
      w1 &= m[1];
      w2 &= m[2];
      w3 &= m[3];
    }
    u32 rule;
    if (w0) rule = lowest_bit_index(w0);
    else if (w1) rule = 64 + lowest_bit_index(w1);
    else if (w2) rule = 128 + lowest_bit_index(w2);
    else if (w3) rule = 192 + lowest_bit_index(w3);
    else { nomatch++; continue; }
    counts[actions[rule] & 3]++;
    rules = rules * 263 + rule;
  }
  return rules ^ ((u64)counts[0] << 20) ^ ((u64)counts[1] << 34) ^ ((u64)counts[2] << 48) ^ ((u64)counts[3] << 8) ^
         ((u64)nomatch << 56);
}
