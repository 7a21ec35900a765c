/*
 * Latency histograms as a tracing tool builds them from paired events (a request issued, then
 * completed, as block-I/O or syscall tracers do): a start event stores its timestamp in an
 * open-addressing hash table keyed by the 64-bit request id (linear probing, tombstones on delete); the
 * matching end event finds it, deletes it, and adds the latency to a log2 histogram (64 slots, by the
 * position of the highest set bit) of the event's class and to per-class sums; an end without a start
 * is counted. At the end the median and 99th-percentile slot of each class are read from the
 * histograms. Events are 24-byte records.
 */
#include "bench.h"

struct event {
  u64 id;
  u64 ts;
  u32 kind; /* 0 start, 1 end */
  u32 cls;  /* 0-7 */
};

struct slot {
  u64 id; /* 0 empty, ~0 tombstone */
  u64 ts;
};

struct hist_input {
  u32 nevents;
  u32 log2slots;
  u32 events_off;
  u32 table_off;
  u32 hist_off; /* 8 x 64 u32 */
  u32 zero;
};

/* The position of the highest set bit (0 for 0), by halving as BPF code writes it. */
static inline u32 log2_u64(u64 v) {
  u32 r = 0;
  if (v >> 32) { v >>= 32; r += 32; }
  if (v >> 16) { v >>= 16; r += 16; }
  if (v >> 8) { v >>= 8; r += 8; }
  if (v >> 4) { v >>= 4; r += 4; }
  if (v >> 2) { v >>= 2; r += 2; }
  if (v >> 1) r += 1;
  return r;
}

u64 bpf_main(void *mem) {
  const struct hist_input *in = mem;
  const struct event *ev = (const struct event *)((const u8 *)mem + in->events_off);
  struct slot *tab = (struct slot *)((u8 *)mem + in->table_off);
  u32 *hist = (u32 *)((u8 *)mem + in->hist_off);
  u32 mask = (1u << in->log2slots) - 1;
  for (u32 i = 0; i <= mask; i++) tab[i].id = in->zero;
  for (u32 i = 0; i < 8 * 64; i++) hist[i] = in->zero;
  u64 sums[8] = {0};
  u32 orphans = 0, full = 0, probes = 0;
  for (u32 e = 0; e < in->nevents; e++) {
    const struct event *x = &ev[e];
    u64 id = x->id;
    u64 h = id * 0x9e3779b97f4a7c15ull;
    u32 i = (u32)(h >> 40) & mask;
    if (x->kind == 0) {
      u32 n = 0;
      for (; n <= mask; n++, i = (i + 1) & mask) {
        u64 k = tab[i].id;
        if (k == 0 || k == ~0ull || k == id) break;
      }
      probes += n;
      if (n > mask) { full++; continue; }
      tab[i].id = id;
      tab[i].ts = x->ts;
      continue;
    }
    u32 n = 0;
    int found = 0;
    for (; n <= mask; n++, i = (i + 1) & mask) {
      u64 k = tab[i].id;
      if (k == 0) break;
      if (k == id) { found = 1; break; }
    }
    probes += n;
    if (!found) { orphans++; continue; }
    u64 lat = x->ts - tab[i].ts;
    tab[i].id = ~0ull;
    u32 c = x->cls & 7;
    hist[c * 64 + log2_u64(lat)]++;
    sums[c] += lat;
  }
  u64 r = 0;
  for (u32 c = 0; c < 8; c++) {
    u32 total = 0;
    for (u32 b = 0; b < 64; b++) total += hist[c * 64 + b];
    u32 acc = 0, p50 = 0, p99 = 0;
    for (u32 b = 0; b < 64; b++) {
      u32 before = acc;
      acc += hist[c * 64 + b];
      if (before * 2 < total && acc * 2 >= total) p50 = b;
      if (before * 100 < total * 99 && acc * 100 >= total * 99) p99 = b;
    }
    r = r * 0x100000001b3ull + sums[c] + ((u64)p50 << 56) + ((u64)p99 << 48) + total;
  }
  return r ^ (u64)orphans << 40 ^ (u64)full << 32 ^ probes;
}
