/*
 * Longest-prefix match of IPv4 addresses in a binary trie held in mem (one node per prefix bit; a
 * node has two child indexes, 0 meaning none, and a value when a prefix ends there), walked bit by bit
 * from the most significant, remembering the last value seen, like an LPM trie map lookup.
 */
#include "bench.h"

struct node {
  u32 child[2];
  u32 value;
  u32 has_value;
};

struct trie_input {
  u32 nnodes;
  u32 nkeys;
  u32 keys_off; /* byte offset of the keys from the start of mem */
  u32 reserved;
  struct node nodes[]; /* nodes[0] is the root */
};

u64 bpf_main(void *mem) {
  const struct trie_input *in = mem;
  const u32 *keys = (const u32 *)((const u8 *)mem + in->keys_off);
  u64 sum = 0;
  u32 misses = 0;
  for (u32 k = 0; k < in->nkeys; k++) {
    u32 addr = keys[k];
    u32 n = 0;
    u32 best = 0, found = 0;
    for (int bit = 31; bit >= 0; bit--) {
      const struct node *nd = &in->nodes[n];
      if (nd->has_value) { best = nd->value; found = 1; }
      n = nd->child[(addr >> bit) & 1];
      if (n == 0 || n >= in->nnodes) break;
    }
    if (n != 0 && n < in->nnodes && in->nodes[n].has_value) { best = in->nodes[n].value; found = 1; }
    if (found) sum = sum * 17 + best; else misses++;
  }
  return sum ^ ((u64)misses << 40);
}
