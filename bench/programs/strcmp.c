/*
 * Compare two NUL-terminated strings stored in `mem` (at the offsets in the header) like strcmp:
 * the result is the difference of the first differing bytes, as a signed 64-bit value.
 * The same program runs on two inputs: strings that differ early, and equal long strings.
 */
#include "bench.h"

struct strcmp_input {
  u32 a; /* offset of the first string from the start of mem */
  u32 b; /* offset of the second string */
};

u64 bpf_main(void *mem) {
  const struct strcmp_input *in = mem;
  const u8 *a = (const u8 *)mem + in->a;
  const u8 *b = (const u8 *)mem + in->b;
  while (*a != 0 && *a == *b) {
    a++;
    b++;
  }
  return (u64)((s64)*a - (s64)*b);
}
