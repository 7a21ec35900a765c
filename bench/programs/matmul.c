/* C = A x B for n x n matrices of u32 (wrapping), C in a scratch area; returns a checksum of C. */
#include "bench.h"

struct matmul_input {
  u32 n;
  u32 reserved;
  u32 m[]; /* A, B, then C, each n * n */
};

u64 bpf_main(void *mem) {
  struct matmul_input *in = mem;
  u32 n = in->n;
  const u32 *a = in->m;
  const u32 *b = in->m + n * n;
  u32 *c = in->m + 2 * n * n;
  for (u32 i = 0; i < n; i++) {
    for (u32 j = 0; j < n; j++) {
      u32 s = 0;
      for (u32 k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
  }
  u64 sum = 0;
  for (u32 i = 0; i < n * n; i++) sum = sum * 3 + c[i];
  return sum;
}
