/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016), as an L4 load balancer builds and uses it:
 * every backend (a 64-bit id) gets an offset and a skip from two hashes of its id, the backends take
 * turns claiming their next preferred free slot of a prime-sized lookup table in mem until it is full,
 * then 5-tuple hashes of flows pick a backend by table[hash % M]. Per-backend state (position and
 * skip) is on the stack.
 */
#include "bench.h"

#define MAX_BACKENDS 16
#define EMPTY 0x80000000u /* the empty mark; the low bits vary so that the clear is not a memset */

struct flow {
  u32 saddr;
  u32 daddr;
  u16 sport;
  u16 dport;
  u32 proto;
};

struct maglev_input {
  u32 m;         /* table size, a prime */
  u32 nbackends; /* 1-16 */
  u32 nflows;
  u32 table_off; /* offset of the table (m u32) in mem */
  u64 backends[MAX_BACKENDS];
  struct flow flows[];
};

static inline u64 mix64(u64 x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static inline u32 flow_hash(const struct flow *f) {
  u32 h = f->saddr * 0x9e3779b1u;
  h ^= f->daddr + 0x7f4a7c15u + (h << 6) + (h >> 2);
  h ^= ((u32)f->sport << 16 | f->dport) + 0x7f4a7c15u + (h << 6) + (h >> 2);
  h ^= f->proto + 0x7f4a7c15u + (h << 6) + (h >> 2);
  return h;
}

u64 bpf_main(void *mem) {
  const struct maglev_input *in = mem;
  u32 *table = (u32 *)((u8 *)mem + in->table_off);
  u32 m = in->m, n = in->nbackends;
  u32 pos[MAX_BACKENDS], skip[MAX_BACKENDS]; /* pos: offset + next * skip (mod m), stepped by skip */
  if (n == 0 || n > MAX_BACKENDS || m < 2) return 0;
  for (u32 i = 0; i < n; i++) {
    pos[i] = (u32)(mix64(in->backends[i] ^ 0x5bd1e995ULL) % m);
    skip[i] = (u32)(mix64(in->backends[i] ^ 0xcbf29ce484222325ULL) % (m - 1)) + 1;
  }
  for (u32 j = 0; j < m; j++) table[j] = EMPTY | j;
  u32 filled = 0;
  while (filled < m) {
    for (u32 i = 0; i < n && filled < m; i++) {
      u32 c = pos[i];
      while (!(table[c] & EMPTY)) { /* taken: try the backend's next preference */
        c += skip[i];
        if (c >= m) c -= m;
      }
      table[c] = i;
      c += skip[i];
      pos[i] = c >= m ? c - m : c;
      filled++;
    }
  }
  u32 counts[MAX_BACKENDS];
  for (u32 i = 0; i < MAX_BACKENDS; i++) counts[i] = i;
  u64 acc = 0;
  for (u32 k = 0; k < in->nflows; k++) {
    u32 b = table[flow_hash(&in->flows[k]) % m];
    counts[b]++;
    acc = acc * 31 + b;
  }
  for (u32 i = 0; i < n; i++) acc = (acc << 7 | acc >> 57) ^ counts[i];
  return acc;
}
