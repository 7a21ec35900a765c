/*
 * Round-trip-time statistics in 32-bit fixed point, the shape of a TCP-monitoring program: for each
 * sample (flow index, RTT in microseconds) update the flow's smoothed RTT and mean deviation with
 * Jacobson's estimator (srtt scaled by 8, mdev by 4, signed 32-bit arithmetic), an EWMA of the sample
 * scaled by 16 (weight 1/16), then a log2 histogram of the samples; at the end the 50th and 99th
 * percentile buckets are read from the histogram. Per-flow state and the histogram are on the stack.
 */
#include "bench.h"

#define NFLOWS 16
#define NBUCKETS 32

struct rtt_sample {
  u32 flow;
  u32 usec;
};

struct rtt_input {
  u32 count;
  u32 reserved;
  struct rtt_sample samples[];
};

static inline u32 log2_u32(u32 v) {
  u32 r = 0;
  while (v >>= 1) r++;
  return r;
}

u64 bpf_main(void *mem) {
  const struct rtt_input *in = mem;
  int srtt[NFLOWS], mdev[NFLOWS];
  u32 ewma[NFLOWS];
  u32 hist[NBUCKETS];
  for (int f = 0; f < NFLOWS; f++) {
    srtt[f] = 0;
    mdev[f] = f;
    ewma[f] = f;
  }
  for (u32 b = 0; b < NBUCKETS; b++) hist[b] = 0;
  u32 skipped = 0;
  for (u32 i = 0; i < in->count; i++) {
    u32 f = in->samples[i].flow;
    int m = (int)in->samples[i].usec;
    if (f >= NFLOWS || m <= 0) { skipped++; continue; }
    if (srtt[f] != 0) {
      m -= srtt[f] >> 3;
      srtt[f] += m;
      if (m < 0) {
        m = -m;
        m -= mdev[f] >> 2;
        if (m > 0) m >>= 3;
      } else {
        m -= mdev[f] >> 2;
      }
      mdev[f] += m;
    } else {
      srtt[f] = m << 3;
      mdev[f] = m << 1;
    }
    u32 s = in->samples[i].usec;
    ewma[f] = ewma[f] - (ewma[f] >> 4) + s;
    hist[log2_u32(s) & (NBUCKETS - 1)]++;
  }
  u32 total = in->count - skipped, seen = 0, p50 = 0, p99 = 0;
  int got50 = 0;
  for (u32 b = 0; b < NBUCKETS; b++) {
    seen += hist[b];
    if (!got50 && seen * 2 >= total) { p50 = b; got50 = 1; }
    if ((u64)seen * 100 >= (u64)total * 99) { p99 = b; break; }
  }
  u64 acc = (u64)p50 << 56 | (u64)p99 << 48 | skipped;
  for (int f = 0; f < NFLOWS; f++) acc = acc * 0x100000001b3ULL ^ ((u64)(u32)srtt[f] << 32 | (u32)mdev[f]) ^ ewma[f];
  return acc;
}
