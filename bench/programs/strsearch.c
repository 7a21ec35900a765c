/*
 * Count the occurrences of a pattern in a text (Boyer-Moore-Horspool, the skip table of 256 bytes on
 * the stack). The text is over a small alphabet so that partial matches are frequent.
 */
#include "bench.h"

struct search_input {
  u32 tlen;
  u32 plen; /* 1..255 */
  u8 data[]; /* the pattern (plen bytes, padded to 8), then the text */
};

u64 bpf_main(void *mem) {
  const struct search_input *in = mem;
  u32 m = in->plen, n = in->tlen;
  const u8 *pat = in->data;
  const u8 *text = in->data + ((m + 7) & ~7u);
  u8 skip[256];
  for (u32 i = 0; i < 256; i++) skip[i] = (u8)m;
  for (u32 i = 0; i + 1 < m; i++) skip[pat[i]] = (u8)(m - 1 - i);
  u64 count = 0, first = 0;
  u32 pos = 0;
  while (pos + m <= n) {
    u32 j = m;
    while (j > 0 && text[pos + j - 1] == pat[j - 1]) j--;
    if (j == 0) {
      if (count == 0) first = pos;
      count++;
    }
    pos += skip[text[pos + m - 1]];
  }
  return count << 32 | first;
}
