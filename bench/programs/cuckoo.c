/*
 * A bucketised cuckoo hash table in mem (as DPDK's rte_hash or a cuckoo-hash map keeps it): buckets
 * of four slots, each slot a 16-bit signature, a 64-bit key and a 32-bit value; a key may live in its
 * primary bucket (its hash) or its alternate (the primary xor a hash of its signature, so either bucket
 * finds the other from the signature alone). An insert takes a free slot in either bucket, otherwise
 * displaces a victim to the victim's own alternate bucket, up to a bound of displacements (a failed
 * insert puts the last victim back where it was not, and is counted). Lookups compare signatures
 * before keys. The table is cleared at the start of the run with the header's zero word.
 */
#include "bench.h"

struct bucket {
  u16 sig[4];
  u32 val[4];
  u64 key[4];
};

struct cuckoo_input {
  u32 ninsert;
  u32 nlookup;
  u32 log2buckets;
  u32 max_kicks;
  u64 zero;       /* 0: the clearing value */
  u64 seed;
  u32 keys_off;   /* inserts then lookups, u64 each */
  u32 table_off;
};

static inline u64 mix(u64 k, u64 seed) {
  k ^= seed;
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

static inline u32 alt_bucket(u32 b, u32 sig, u32 mask) { return (b ^ (sig * 0x5bd1e995u >> 7)) & mask; }

u64 bpf_main(void *mem) {
  struct cuckoo_input *in = mem;
  const u64 *keys = (const u64 *)((u8 *)mem + in->keys_off);
  struct bucket *tab = (struct bucket *)((u8 *)mem + in->table_off);
  u32 mask = (1u << in->log2buckets) - 1;
  for (u32 i = 0; i <= mask; i++)
    for (u32 s = 0; s < 4; s++) tab[i].sig[s] = (u16)in->zero;
  u32 failed = 0, kicks = 0, updates = 0;
  for (u32 i = 0; i < in->ninsert; i++) {
    u64 key = keys[i];
    u64 h = mix(key, in->seed);
    u32 sig = (u32)(h >> 48) | 1; /* 0 marks an empty slot */
    u32 b1 = (u32)h & mask, b2 = alt_bucket(b1, sig, mask);
    int done = 0;
    /* an update of a present key */
    for (u32 s = 0; s < 4 && !done; s++) {
      if (tab[b1].sig[s] == sig && tab[b1].key[s] == key) { tab[b1].val[s] = i; done = 1; }
      else if (tab[b2].sig[s] == sig && tab[b2].key[s] == key) { tab[b2].val[s] = i; done = 1; }
    }
    if (done) { updates++; continue; }
    for (u32 s = 0; s < 4 && !done; s++) {
      if (tab[b1].sig[s] == 0) { tab[b1].sig[s] = (u16)sig; tab[b1].key[s] = key; tab[b1].val[s] = i; done = 1; }
    }
    for (u32 s = 0; s < 4 && !done; s++) {
      if (tab[b2].sig[s] == 0) { tab[b2].sig[s] = (u16)sig; tab[b2].key[s] = key; tab[b2].val[s] = i; done = 1; }
    }
    if (done) continue;
    /* displace: carry (key, sig, val) into bucket b, evicting a slot chosen by the kick count */
    u64 ck = key;
    u32 cs = sig, cv = i, b = b1;
    u32 n = 0;
    for (; n < in->max_kicks; n++) {
      u32 s = (n + (u32)ck) & 3;
      u64 ek = tab[b].key[s];
      u32 es = tab[b].sig[s], ev = tab[b].val[s];
      tab[b].key[s] = ck;
      tab[b].sig[s] = (u16)cs;
      tab[b].val[s] = cv;
      ck = ek;
      cs = es;
      cv = ev;
      b = alt_bucket(b, cs, mask);
      u32 t = 0;
      for (; t < 4; t++) if (tab[b].sig[t] == 0) break;
      if (t < 4) {
        tab[b].key[t] = ck;
        tab[b].sig[t] = (u16)cs;
        tab[b].val[t] = cv;
        break;
      }
    }
    kicks += n;
    if (n == in->max_kicks) failed++; /* the last victim (ck) is dropped */
  }
  u64 found = 0, sum = 0;
  const u64 *look = keys + in->ninsert;
  for (u32 i = 0; i < in->nlookup; i++) {
    u64 key = look[i];
    u64 h = mix(key, in->seed);
    u32 sig = (u32)(h >> 48) | 1;
    u32 b1 = (u32)h & mask, b2 = alt_bucket(b1, sig, mask);
    for (u32 s = 0; s < 4; s++) {
      if (tab[b1].sig[s] == sig && tab[b1].key[s] == key) { found++; sum += tab[b1].val[s] ^ s; break; }
      if (tab[b2].sig[s] == sig && tab[b2].key[s] == key) { found++; sum += tab[b2].val[s] ^ (s << 4); break; }
    }
  }
  return sum ^ (found << 32) ^ ((u64)failed << 48) ^ ((u64)kicks << 24) ^ ((u64)updates << 56);
}
