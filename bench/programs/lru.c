/*
 * An LRU cache, as an LRU hash map holds flows: `cap` entries in mem, found through hash buckets with
 * chaining (a singly linked chain per bucket) and kept in recency order on a doubly linked list (u32
 * indexes, NIL at the ends). A lookup that hits moves the entry to the front and adds to its value; a
 * miss takes a free entry, or evicts the least recently used one (unlinking it from its bucket's
 * chain) and reuses it. Keys follow a skewed distribution, so both hits and evictions are common.
 */
#include "bench.h"

#define NIL 0x80000000u /* not a byte pattern: a fill with it is not a memset, which BPF cannot call */

struct entry {
  u64 key;
  u64 value;
  u32 hnext; /* next in the bucket's chain */
  u32 prev;  /* towards the most recently used */
  u32 next;  /* towards the least recently used */
  u32 hits;
};

struct op {
  u64 key;
  u32 add;
  u32 pad;
};

struct lru_input {
  u32 nops;
  u32 cap;      /* entries, 1-65536 */
  u32 log2buckets; /* 1-16 */
  u32 reserved;
  struct op ops[]; /* nops, then the buckets (u32 each, padded to 8 bytes), then the entries */
};

static inline u32 bucket_of(u64 key, u32 log2b) {
  u64 h = key * 0x9e3779b97f4a7c15ULL;
  return (u32)(h >> (64 - log2b));
}

static inline void unlink_lru(struct entry *e, u32 i, u32 *head, u32 *tail) {
  u32 p = e[i].prev, n = e[i].next;
  if (p != NIL) e[p].next = n;
  else *head = n;
  if (n != NIL) e[n].prev = p;
  else *tail = p;
}

static inline void push_front(struct entry *e, u32 i, u32 *head, u32 *tail) {
  e[i].prev = NIL;
  e[i].next = *head;
  if (*head != NIL) e[*head].prev = i;
  else *tail = i;
  *head = i;
}

u64 bpf_main(void *mem) {
  struct lru_input *in = mem;
  u32 cap = in->cap, lb = in->log2buckets;
  if (cap == 0 || cap > 65536 || lb == 0 || lb > 16) return 0;
  u32 nb = 1u << lb;
  u32 *buckets = (u32 *)(in->ops + in->nops);
  struct entry *e = (struct entry *)(buckets + ((nb + 1) & ~1u));
  for (u32 b = 0; b < nb; b++) buckets[b] = NIL;
  u32 head = NIL, tail = NIL, used = 0;
  u32 hits = 0, misses = 0, evictions = 0, chain = 0;
  u64 acc = 0;
  for (u32 o = 0; o < in->nops; o++) {
    u64 key = in->ops[o].key;
    u32 b = bucket_of(key, lb);
    u32 i = buckets[b];
    while (i != NIL && e[i].key != key) {
      i = e[i].hnext;
      chain++;
    }
    if (i != NIL) {
      hits++;
      e[i].value += in->ops[o].add;
      e[i].hits++;
      if (head != i) {
        unlink_lru(e, i, &head, &tail);
        push_front(e, i, &head, &tail);
      }
      acc += e[i].value ^ e[i].hits;
      continue;
    }
    misses++;
    if (used < cap) {
      i = used++;
    } else {
      /* evict the least recently used: off the list and out of its bucket's chain */
      i = tail;
      evictions++;
      acc ^= e[i].key * e[i].hits;
      unlink_lru(e, i, &head, &tail);
      u32 ob = bucket_of(e[i].key, lb);
      u32 *link = &buckets[ob];
      while (*link != i) link = &e[*link].hnext;
      *link = e[i].hnext;
    }
    e[i].key = key;
    e[i].value = in->ops[o].add;
    e[i].hits = 0;
    e[i].hnext = buckets[b];
    buckets[b] = i;
    push_front(e, i, &head, &tail);
  }
  /* the most recent entries, in order */
  u32 i = head;
  for (u32 n = 0; n < 64 && i != NIL; n++) {
    acc = acc * 31 + e[i].key + e[i].value;
    i = e[i].next;
  }
  return acc ^ ((u64)hits << 40) ^ ((u64)misses << 20) ^ evictions ^ ((u64)chain << 8);
}
