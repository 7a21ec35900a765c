/*
 * A token-bucket rate limiter over per-flow states in mem, the shape of a tc or XDP policer: every
 * event (flow index, packet length, timestamp in ns) refills its flow's bucket by elapsed time times
 * the flow's rate (bytes per second, a 64-bit multiply and divide), capped at the burst, then passes
 * the packet if enough tokens remain or drops it. Out-of-range flow indexes and clocks that go
 * backwards are counted. The states are reset from the flows' configuration at the start of a run.
 */
#include "bench.h"

#define NSEC_PER_SEC 1000000000ULL

struct tb_flow {
  u64 rate;   /* bytes per second (configuration) */
  u64 burst;  /* bucket size in bytes (configuration) */
  u64 tokens; /* state */
  u64 last_ns; /* state */
  u64 passed; /* state: bytes passed */
  u64 drops;  /* state: packets dropped */
};

struct tb_event {
  u32 flow;
  u32 len;
  u64 ts;
};

struct tb_input {
  u32 nflows;
  u32 nevents;
  struct tb_flow flows[]; /* nflows flows, then nevents events */
};

u64 bpf_main(void *mem) {
  struct tb_input *in = mem;
  struct tb_flow *flows = in->flows;
  const struct tb_event *ev = (const struct tb_event *)(flows + in->nflows);
  for (u32 f = 0; f < in->nflows; f++) {
    flows[f].tokens = flows[f].burst;
    flows[f].last_ns = f; /* any time before the first event */
    flows[f].passed = f;
    flows[f].drops = f;
  }
  u64 unknown = 0, backwards = 0, pass = 0;
  for (u32 i = 0; i < in->nevents; i++) {
    u32 idx = ev[i].flow;
    if (idx >= in->nflows) { unknown++; continue; }
    struct tb_flow *f = &flows[idx];
    u64 now = ev[i].ts;
    if (now < f->last_ns) {
      backwards++;
    } else {
      u64 delta = now - f->last_ns;
      u64 tokens;
      if (delta >= NSEC_PER_SEC) tokens = f->burst;
      else tokens = f->tokens + delta * f->rate / NSEC_PER_SEC;
      if (tokens > f->burst) tokens = f->burst;
      f->tokens = tokens;
      f->last_ns = now;
    }
    u32 len = ev[i].len;
    if (f->tokens >= len) {
      f->tokens -= len;
      f->passed += len;
      pass++;
    } else {
      f->drops++;
    }
  }
  u64 acc = pass ^ (unknown << 40) ^ (backwards << 50);
  for (u32 f = 0; f < in->nflows; f++) acc = acc * 0x100000001b3ULL ^ flows[f].passed ^ (flows[f].drops << 32) ^ flows[f].tokens;
  return acc;
}
