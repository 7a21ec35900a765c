/*
 * A count-min sketch (Cormode and Muthukrishnan) of per-flow byte counts, as a heavy-hitter detector
 * at XDP keeps one: DEPTH rows of 2^log2w u32 counters in mem, one multiply-shift hash per row (seeds
 * in the header), conservative update (only the counters below the new estimate are raised), then
 * point queries of a list of flows, counting those whose estimate reaches a threshold. The sketch is
 * cleared at the start of a run with the header's zero word.
 */
#include "bench.h"

#define DEPTH 4

struct update {
  u64 flow; /* a packed 5-tuple digest */
  u32 bytes;
  u32 pad;
};

struct cms_input {
  u32 nupdates;
  u32 nqueries;
  u32 log2w;     /* 6-20 */
  u32 threshold;
  u64 zero;
  u64 seed[2 * DEPTH]; /* multiplier (odd) and addend per row */
  struct update up[];  /* nupdates, then nqueries u64 flows, then the sketch */
};

u64 bpf_main(void *mem) {
  struct cms_input *in = mem;
  if (in->log2w < 6 || in->log2w > 20) return 0;
  u32 width = 1u << in->log2w;
  u32 shift = 64 - in->log2w;
  const u64 *queries = (const u64 *)(in->up + in->nupdates);
  u32 *sketch = (u32 *)(queries + in->nqueries);
  u32 z = (u32)in->zero;
  for (u32 i = 0; i < DEPTH * width; i++) sketch[i] = z;

  u64 total = 0;
  for (u32 n = 0; n < in->nupdates; n++) {
    u64 flow = in->up[n].flow;
    u32 bytes = in->up[n].bytes;
    u32 idx[DEPTH];
    u32 est = 0xffffffffu;
    for (int d = 0; d < DEPTH; d++) {
      u32 col = (u32)((in->seed[2 * d] * flow + in->seed[2 * d + 1]) >> shift);
      idx[d] = d * width + col;
      u32 c = sketch[idx[d]];
      if (c < est) est = c;
    }
    u32 target = est + bytes;
    if (target < est) target = 0xffffffffu; /* saturate */
    for (int d = 0; d < DEPTH; d++)
      if (sketch[idx[d]] < target) sketch[idx[d]] = target;
    total += bytes;
  }

  u32 heavy = 0;
  u64 sum_est = 0;
  for (u32 q = 0; q < in->nqueries; q++) {
    u64 flow = queries[q];
    u32 est = 0xffffffffu;
    for (int d = 0; d < DEPTH; d++) {
      u32 col = (u32)((in->seed[2 * d] * flow + in->seed[2 * d + 1]) >> shift);
      u32 c = sketch[d * width + col];
      if (c < est) est = c;
    }
    sum_est += est;
    if (est >= in->threshold) heavy++;
  }
  return (sum_est << 16) ^ ((u64)heavy << 48) ^ total;
}
