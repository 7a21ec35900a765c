/* Count the primes below `limit` by trial division with odd divisors (64-bit division heavy). */
#include "bench.h"

struct prime_input {
  u32 limit;
};

u64 bpf_main(void *mem) {
  const struct prime_input *in = mem;
  u64 limit = in->limit;
  u64 count = limit > 2 ? 1 : 0; /* 2 */
  for (u64 n = 3; n < limit; n += 2) {
    u64 prime = 1;
    for (u64 d = 3; d * d <= n; d += 2) {
      if (n % d == 0) {
        prime = 0;
        break;
      }
    }
    count += prime;
  }
  return count;
}
