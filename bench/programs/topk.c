/*
 * The top k flows by bytes, as a traffic monitor reports them: per-flow byte and packet counters in an
 * array indexed by flow id (as a BPF array map holds them) are cleared and filled from a stream of
 * (flow, bytes) records, then a binary min-heap of k entries in mem selects the k largest (an entry
 * replaces the root when it beats it, then sifts down), and the heap is sorted in place (heapsort) into
 * decreasing order. Ties are broken by the lower flow id. Returns a hash of the ranked list.
 */
#include "bench.h"

struct rec {
  u32 flow;
  u32 bytes;
};

struct hent {
  u64 bytes;
  u32 flow;
  u32 packets;
};

struct topk_input {
  u32 nrecs;
  u32 nflows;
  u32 k; /* 1-256 */
  u32 reserved;
  u64 zero;
  struct rec recs[]; /* nrecs, then nflows counters (u64 bytes, u64 packets), then the heap */
};

/* a ranks below b: fewer bytes, or as many and a higher flow id */
static inline int less(const struct hent *a, const struct hent *b) {
  return a->bytes < b->bytes || (a->bytes == b->bytes && a->flow > b->flow);
}

static inline void sift_down(struct hent *h, u32 i, u32 n) {
  for (;;) {
    u32 l = 2 * i + 1, m = i;
    if (l < n && less(&h[l], &h[m])) m = l;
    if (l + 1 < n && less(&h[l + 1], &h[m])) m = l + 1;
    if (m == i) return;
    struct hent t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

u64 bpf_main(void *mem) {
  struct topk_input *in = mem;
  u32 k = in->k;
  if (k == 0 || k > 256) return 0;
  u64 *counters = (u64 *)(in->recs + in->nrecs);
  struct hent *heap = (struct hent *)(counters + 2 * in->nflows);
  for (u32 f = 0; f < 2 * in->nflows; f++) counters[f] = in->zero;
  u32 dropped = 0;
  for (u32 i = 0; i < in->nrecs; i++) {
    u32 f = in->recs[i].flow;
    if (f >= in->nflows) { dropped++; continue; }
    counters[2 * f] += in->recs[i].bytes;
    counters[2 * f + 1]++;
  }
  u32 n = 0;
  for (u32 f = 0; f < in->nflows; f++) {
    u64 b = counters[2 * f];
    if (b == 0) continue;
    struct hent e = { b, f, (u32)counters[2 * f + 1] };
    if (n < k) {
      /* sift up */
      u32 i = n++;
      while (i > 0) {
        u32 parent = (i - 1) / 2;
        if (!less(&e, &heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
      }
      heap[i] = e;
    } else if (less(&heap[0], &e)) {
      heap[0] = e;
      sift_down(heap, 0, n);
    }
  }
  /* heapsort: the minimum moves to the end each time, leaving decreasing order */
  for (u32 end = n; end > 1; end--) {
    struct hent t = heap[0];
    heap[0] = heap[end - 1];
    heap[end - 1] = t;
    sift_down(heap, 0, end - 1);
  }
  u64 acc = n;
  for (u32 i = 0; i < n; i++) acc = (acc ^ heap[i].flow) * 0x100000001b3ULL + heap[i].bytes + ((u64)heap[i].packets << 40);
  return acc ^ dropped;
}
