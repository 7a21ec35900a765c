/*
 * Multi-pattern matching with an Aho-Corasick automaton, as signature-based filters (an IDS in XDP)
 * run it: the automaton is built in mem at the start of the run: a trie of the patterns (a row of 256
 * 16-bit transitions per state, cleared with the header's zero word as the state is made), then a
 * breadth-first walk that sets each state's failure link and fills its missing transitions from its
 * failure state's row (a full transition table: one load per input byte) and adds the failure state's
 * matches to its own. Then the payloads (length-prefixed records, the automaton restarted for each) are
 * scanned byte by byte, counting and weighing the matches.
 */
#include "bench.h"

struct pattern {
  u8 len; /* 1-15 */
  u8 bytes[15];
};

struct aho_input {
  u32 len;     /* bytes of payload records */
  u32 npat;
  u32 pat_off;
  u32 tab_off; /* scratch: goto[maxstates][256], then fail, out_count, out_sum, queue */
  u32 maxstates;
  u32 zero;    /* 0: the clearing value */
  u8 data[];
};

u64 bpf_main(void *mem) {
  const struct aho_input *in = mem;
  const struct pattern *pats = (const struct pattern *)((const u8 *)mem + in->pat_off);
  u32 maxs = in->maxstates;
  u16 *go = (u16 *)((u8 *)mem + in->tab_off);
  u16 *fail = go + maxs * 256;
  u16 *out_count = fail + maxs;
  u16 *queue = out_count + maxs;
  u32 *out_sum = (u32 *)(queue + maxs + (maxs & 1));
  u16 zero = (u16)in->zero;
  /* the trie */
  u32 nstates = 1;
  for (u32 c = 0; c < 256; c++) go[c] = zero;
  out_count[0] = zero;
  out_sum[0] = zero;
  for (u32 i = 0; i < in->npat; i++) {
    const struct pattern *pt = &pats[i];
    u32 s = 0;
    for (u32 k = 0; k < pt->len && k < 15; k++) {
      u32 c = pt->bytes[k];
      u32 t = go[s * 256 + c];
      if (t == 0) {
        if (nstates >= maxs) return ~0ull; /* the header's bound is too small */
        t = nstates++;
        for (u32 x = 0; x < 256; x++) go[t * 256 + x] = zero;
        out_count[t] = zero;
        out_sum[t] = zero;
        go[s * 256 + c] = (u16)t;
      }
      s = t;
    }
    out_count[s]++;
    out_sum[s] += (i + 1) * 2654435761u;
  }
  /* failure links and the full table, breadth first */
  u32 head = 0, tail = 0;
  for (u32 c = 0; c < 256; c++) {
    u32 t = go[c];
    if (t) {
      fail[t] = 0;
      queue[tail++] = (u16)t;
    }
  }
  while (head < tail) {
    u32 s = queue[head++];
    u32 f = fail[s];
    for (u32 c = 0; c < 256; c++) {
      u32 t = go[s * 256 + c];
      u32 ft = go[f * 256 + c];
      if (t) {
        fail[t] = (u16)ft;
        out_count[t] += out_count[ft];
        out_sum[t] += out_sum[ft];
        queue[tail++] = (u16)t;
      } else {
        go[s * 256 + c] = (u16)ft;
      }
    }
  }
  /* scan */
  const u8 *p = in->data;
  const u8 *stop = in->data + in->len;
  u64 matches = 0, weight = 0, hits = 0;
  while (p + 2 <= stop) {
    u32 n = p[0] | (u32)p[1] << 8;
    const u8 *q = p + 2;
    const u8 *end = q + n;
    if (end > stop) break;
    p = end;
    u32 s = 0, first = 0;
    for (; q < end; q++) {
      s = go[s * 256 + *q];
      u32 oc = out_count[s];
      if (oc) {
        matches += oc;
        weight += out_sum[s] ^ (u32)(end - q);
        if (!first) first = (u32)(end - q);
      }
    }
    hits = hits * 31 + first;
  }
  return matches ^ (weight << 12) ^ (hits << 40) ^ ((u64)nstates << 52);
}
