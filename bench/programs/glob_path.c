/*
 * File-path filtering as a tracing program applies it to open() events: each event carries a path (a
 * NUL-terminated string in a fixed 256-byte field, as bpf_probe_read_user_str leaves it) and a flags
 * word; the path is matched against a list of glob patterns (`*` any run of characters, `?` any one,
 * everything else literal) by the iterative wildcard algorithm with one backtracking point, the first
 * matching pattern's action (count, deny, ignore) is taken, and for counted events the basename (after
 * the last '/') is hashed (FNV-1a) into a small counter table. Patterns are NUL-terminated strings in
 * 64-byte fields.
 */
#include "bench.h"

struct event {
  u32 flags;
  u32 pid;
  char path[256];
};

struct pattern {
  char text[64];
};

struct glob_input {
  u32 nevents;
  u32 npatterns;
  u32 events_off;
  u32 patterns_off;
  u32 actions_off; /* one byte per pattern */
  u32 zero;
  u32 counts_off;  /* 256 u32 counters */
  u32 reserved;
};

/* Whether s matches p; both strings end at a NUL or at their field's end. */
static inline int glob(const char *p, u32 plen, const char *s, u32 slen) {
  u32 pi = 0, si = 0, star = ~0u, mark = 0;
  for (u32 steps = 0; steps < 4096; steps++) {
    char sc = si < slen ? s[si] : 0;
    char pc = pi < plen ? p[pi] : 0;
    if (sc == 0 && pc == 0) return 1;
    if (pc == '*') {
      star = pi++;
      mark = si;
      continue;
    }
    if (sc != 0 && (pc == '?' || pc == sc)) {
      pi++;
      si++;
      continue;
    }
    if (star != ~0u && mark < slen && s[mark] != 0) {
      pi = star + 1;
      si = ++mark;
      continue;
    }
    return 0;
  }
  return 0;
}

u64 bpf_main(void *mem) {
  const struct glob_input *in = mem;
  const struct event *ev = (const struct event *)((const u8 *)mem + in->events_off);
  const struct pattern *pat = (const struct pattern *)((const u8 *)mem + in->patterns_off);
  const u8 *act = (const u8 *)mem + in->actions_off;
  u32 *counts = (u32 *)((u8 *)mem + in->counts_off);
  for (u32 i = 0; i < 256; i++) counts[i] = in->zero;
  u32 denied = 0, ignored = 0, unmatched = 0, counted = 0;
  u64 sum = 0;
  for (u32 e = 0; e < in->nevents; e++) {
    const struct event *x = &ev[e];
    u32 rule = ~0u;
    for (u32 k = 0; k < in->npatterns && k < 32; k++) {
      if (glob(pat[k].text, 64, x->path, 256)) {
        rule = k;
        break;
      }
    }
    if (rule == ~0u) { unmatched++; continue; }
    u32 a = act[rule];
    if (a == 1) { denied++; sum += (u64)x->pid << 8 | rule; continue; }
    if (a == 2) { ignored++; continue; }
    u32 base = 0, i = 0;
    for (; i < 256 && x->path[i]; i++)
      if (x->path[i] == '/') base = i + 1;
    u32 h = 2166136261u;
    for (u32 j = base; j < i; j++) h = (h ^ (u8)x->path[j]) * 16777619u;
    counts[h & 255]++;
    counted++;
    sum = sum * 31 + (h ^ x->flags);
  }
  for (u32 i = 0; i < 256; i++) sum = sum * 0x100000001b3ull + counts[i];
  return sum ^ (u64)denied << 48 ^ (u64)ignored << 32 ^ (u64)unmatched << 16 ^ counted;
}
