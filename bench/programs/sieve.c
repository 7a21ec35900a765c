/* Sieve of Eratosthenes (odd numbers) up to `limit` in a byte array in mem (cleared first); counts the primes. */
#include "bench.h"

struct sieve_input {
  u32 limit;
  u32 reserved;
  u8 composite[]; /* limit bytes of scratch */
};

u64 bpf_main(void *mem) {
  struct sieve_input *in = mem;
  u32 n = in->limit;
  u8 *c = in->composite;
  /* even numbers are marked composite as the array is filled (a constant fill would become memset) */
  for (u32 i = 0; i < n; i++) c[i] = (u8)(~i & 1);
  if (n > 2) c[2] = 0;
  for (u32 i = 3; i * i < n; i += 2) {
    if (c[i]) continue;
    for (u32 j = i * i; j < n; j += 2 * i) c[j] = 1;
  }
  u64 count = 0, last = 0;
  for (u32 i = 2; i < n; i++) {
    if (!c[i]) {
      count++;
      last = i;
    }
  }
  return count << 32 | last;
}
