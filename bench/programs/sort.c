/*
 * Shell sort (Knuth's 3h+1 gaps) of `count` 32-bit integers. The input array is copied to a scratch
 * area first so that every run sorts the same data; the result is a position-weighted checksum of the
 * sorted array, or all ones if it is not sorted.
 */
#include "bench.h"

struct sort_input {
  u32 count;
  u32 reserved;
  u32 data[]; /* count input values, then count scratch slots */
};

u64 bpf_main(void *mem) {
  struct sort_input *in = mem;
  u32 n = in->count;
  u32 *a = in->data + n;
  for (u32 i = 0; i < n; i++) a[i] = in->data[i];
  u32 gap = 1;
  while (gap < n / 3) gap = gap * 3 + 1;
  for (; gap > 0; gap /= 3) {
    for (u32 i = gap; i < n; i++) {
      u32 v = a[i];
      u32 j = i;
      while (j >= gap && a[j - gap] > v) {
        a[j] = a[j - gap];
        j -= gap;
      }
      a[j] = v;
    }
  }
  u64 sum = 0;
  for (u32 i = 0; i < n; i++) {
    if (i > 0 && a[i - 1] > a[i]) return ~0ULL;
    sum += (u64)a[i] * (i + 1);
  }
  return sum;
}
