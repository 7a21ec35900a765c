/* Binary search of `nlook` keys in a sorted array of `n` u32; counts hits and sums the positions found. */
#include "bench.h"

struct bsearch_input {
  u32 n;
  u32 nlook;
  u32 data[]; /* n sorted values, then nlook keys */
};

u64 bpf_main(void *mem) {
  const struct bsearch_input *in = mem;
  const u32 *a = in->data;
  const u32 *keys = in->data + in->n;
  u64 pos = 0;
  u32 hits = 0;
  for (u32 k = 0; k < in->nlook; k++) {
    u32 key = keys[k];
    u32 lo = 0, hi = in->n;
    while (lo < hi) {
      u32 mid = lo + (hi - lo) / 2;
      if (a[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    if (lo < in->n && a[lo] == key) {
      hits++;
      pos += lo;
    } else {
      pos += lo >> 3;
    }
  }
  return pos << 16 | hits;
}
