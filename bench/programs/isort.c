/* Insertion sort of `count` u32 (copied to a scratch area first); the result is a position-weighted sum. */
#include "bench.h"

struct isort_input {
  u32 count;
  u32 reserved;
  u32 data[]; /* count values, then count scratch slots */
};

u64 bpf_main(void *mem) {
  struct isort_input *in = mem;
  u32 n = in->count;
  u32 *a = in->data + n;
  for (u32 i = 0; i < n; i++) a[i] = in->data[i];
  for (u32 i = 1; i < n; i++) {
    u32 v = a[i];
    u32 j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
  u64 sum = 0;
  for (u32 i = 0; i < n; i++) sum += (u64)a[i] * (i + 1);
  return sum;
}
