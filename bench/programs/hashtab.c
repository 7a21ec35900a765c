/*
 * An open-addressing hash table with linear probing, in a scratch area of mem: clear it, insert
 * `nkeys` keys (the value is the insertion index; a key inserted twice keeps its first value), then
 * look up `nlook` keys, about half of them absent. Key 0 marks an empty slot (the keys are never 0).
 */
#include "bench.h"

struct slot {
  u32 key;
  u32 value;
};

struct hashtab_input {
  u32 nkeys;
  u32 nlook;
  u32 shift; /* 32 - log2(capacity) */
  u32 reserved;
  u32 keys[]; /* nkeys keys, nlook lookups, then the table (capacity slots) */
};

static inline u32 hash(u32 key, u32 shift) { return (key * 0x9e3779b1u) >> shift; }

u64 bpf_main(void *mem) {
  struct hashtab_input *in = mem;
  u32 cap = 1u << (32 - in->shift);
  u32 mask = cap - 1;
  const u32 *keys = in->keys;
  const u32 *look = in->keys + in->nkeys;
  struct slot *table = (struct slot *)(in->keys + in->nkeys + in->nlook);
  for (u32 i = 0; i < cap; i++) {
    table[i].key = 0;
    table[i].value = i; /* any value: only keys are read before a write (and a constant fill would become memset) */
  }
  for (u32 i = 0; i < in->nkeys; i++) {
    u32 key = keys[i];
    u32 h = hash(key, in->shift);
    while (table[h].key != 0 && table[h].key != key) h = (h + 1) & mask;
    if (table[h].key == 0) {
      table[h].key = key;
      table[h].value = i;
    }
  }
  u64 sum = 0;
  u32 missing = 0;
  for (u32 i = 0; i < in->nlook; i++) {
    u32 key = look[i];
    u32 h = hash(key, in->shift);
    for (;;) {
      u32 k = table[h].key;
      if (k == key) { sum += table[h].value; break; }
      if (k == 0) { missing++; break; }
      h = (h + 1) & mask;
    }
  }
  return sum << 20 | missing;
}
