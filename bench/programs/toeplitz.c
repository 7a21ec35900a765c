/*
 * The Toeplitz hash of receive-side scaling (RSS), as a NIC or an XDP load balancer computes it: a
 * 40-byte secret key copied to the stack, a 32-bit window of the key sliding one bit per input bit,
 * XORed into the hash for every set bit. Inputs are IPv4 tuples (addresses and ports, 12 bytes) and
 * IPv6 tuples (36 bytes); the hash picks a queue through a 128-entry indirection table on the stack,
 * and the result mixes the hashes with the per-queue counts.
 */
#include "bench.h"

struct rss_tuple {
  u8 family; /* 4 or 6; anything else is skipped */
  u8 pad[3];
  u8 data[36]; /* src, dst, sport, dport in network order */
};

struct rss_input {
  u32 count;
  u32 nqueues; /* 1-16 */
  u8 key[40];
  struct rss_tuple tuples[];
};

static u32 toeplitz(const u8 *key, const u8 *data, u32 len) {
  u32 hash = 0;
  u32 window = (u32)key[0] << 24 | (u32)key[1] << 16 | (u32)key[2] << 8 | key[3];
  for (u32 i = 0; i < len; i++) {
    u8 byte = data[i];
    u8 next = key[i + 4];
    for (int bit = 7; bit >= 0; bit--) {
      if (byte & (1u << bit)) hash ^= window;
      window = (window << 1) | ((next >> bit) & 1);
    }
  }
  return hash;
}

u64 bpf_main(void *mem) {
  const struct rss_input *in = mem;
  u8 key[40];
  u8 reta[128];
  u32 queue_count[16];
  u32 nq = in->nqueues;
  if (nq == 0 || nq > 16) return 0;
  for (int i = 0; i < 40; i++) key[i] = in->key[i];
  for (u32 i = 0; i < 128; i++) reta[i] = (u8)(i % nq);
  for (u32 q = 0; q < 16; q++) queue_count[q] = q; /* seeded with q: a constant fill would become memset */
  u64 acc = 0;
  for (u32 i = 0; i < in->count; i++) {
    const struct rss_tuple *t = &in->tuples[i];
    u32 h;
    if (t->family == 4) h = toeplitz(key, t->data, 12);
    else if (t->family == 6) h = toeplitz(key, t->data, 36);
    else continue;
    queue_count[reta[h & 127]]++;
    acc += h;
  }
  for (u32 q = 0; q < 16; q++) acc = acc * 31 + queue_count[q];
  return acc;
}
