/*
 * Longest-prefix match of IPv6 addresses in a path-compressed binary trie held in mem, the layout of
 * an LPM trie map: a node holds a prefix (128 bits as two big-endian-ordered 64-bit halves) and its
 * length, a value when it is a real prefix (intermediate nodes have none) and two child indexes; a
 * lookup compares the address with the node's prefix on the node's length (a 128-bit masked compare:
 * the high half alone, or the high half whole and the low half masked), keeps the last value matched,
 * and follows the child chosen by the address bit just after the node's prefix. Addresses are read from
 * packet-like records as 16 big-endian bytes. The flow label of each record is hashed with the
 * matched value, as an ECMP choice would be.
 */
#include "bench.h"

struct node {
  u64 hi, lo;   /* the prefix, bits beyond plen zero */
  u32 plen;     /* 0-128 */
  u32 value;    /* 0: intermediate node */
  u32 child[2]; /* 0: none (node 0 is the root, never a child) */
};

struct rec {
  u32 vtcflow; /* version, traffic class, flow label: big-endian */
  u32 pad;
  u8 addr[16];
};

struct radix_input {
  u32 nnodes;
  u32 nkeys;
  u32 keys_off;
  u32 reserved;
  struct node nodes[];
};

static inline u64 load_be64(const u8 *p) {
  u64 v;
  __builtin_memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

static inline u64 mask_of(u32 bits) { return bits == 0 ? 0 : ~0ull << (64 - bits); }

u64 bpf_main(void *mem) {
  const struct radix_input *in = mem;
  const struct rec *keys = (const struct rec *)((const u8 *)mem + in->keys_off);
  u64 sum = 0;
  u32 misses = 0, depth = 0;
  for (u32 k = 0; k < in->nkeys; k++) {
    const struct rec *r = &keys[k];
    u64 hi = load_be64(r->addr), lo = load_be64(r->addr + 8);
    u32 n = 0, best = 0;
    while (n < in->nnodes) {
      const struct node *nd = &in->nodes[n];
      u32 plen = nd->plen;
      int match;
      if (plen <= 64) match = ((hi ^ nd->hi) & mask_of(plen)) == 0;
      else match = hi == nd->hi && ((lo ^ nd->lo) & mask_of(plen - 64)) == 0;
      if (!match) break;
      depth++;
      if (nd->value) best = nd->value;
      if (plen == 128) break;
      u32 bit = plen < 64 ? (u32)(hi >> (63 - plen)) & 1 : (u32)(lo >> (127 - plen)) & 1;
      n = nd->child[bit];
      if (n == 0) break;
    }
    if (best) {
      u32 fl = __builtin_bswap32(r->vtcflow) & 0xfffff;
      u32 h = (fl ^ best) * 0x9e3779b1u;
      sum = sum * 0x100000001b3ull + best + (h >> 28);
    } else {
      misses++;
    }
  }
  return sum ^ ((u64)misses << 40) ^ ((u64)depth << 20);
}
