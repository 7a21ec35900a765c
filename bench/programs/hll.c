/*
 * HyperLogLog distinct counting (Flajolet et al. 2007), as a per-destination "distinct sources"
 * monitor keeps it: NSKETCH sketches of 2^p one-byte registers in mem, each item (sketch id, 64-bit
 * key) hashed with a 64-bit mixer, the top p bits choosing the register and the rank (leading zeros of
 * the rest, plus one) kept as a maximum. Then every sketch and their union (register-wise maximum) is
 * estimated in fixed point: the harmonic sum of 2^-register with 32 fractional bits, alpha*m^2/sum, and
 * linear counting m*ln(m/zeros) for small cardinalities with a fixed-point logarithm (binary log by
 * repeated squaring). The sketches are cleared at the start of a run with the header's zero word.
 */
#include "bench.h"

#define NSKETCH 8

struct item {
  u32 sketch;
  u32 pad;
  u64 key;
};

struct hll_input {
  u32 nitems;
  u32 p; /* 4-14 */
  u64 zero;
  struct item items[]; /* nitems, then NSKETCH + 1 sketches of 2^p bytes (the last: the union) */
};

static inline u64 mix(u64 x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

/* Leading zeros of a nonzero 64-bit value, by halving. */
static inline u32 clz64(u64 x) {
  u32 n = 0;
  if (!(x >> 32)) { n += 32; x <<= 32; }
  if (!(x >> 48)) { n += 16; x <<= 16; }
  if (!(x >> 56)) { n += 8; x <<= 8; }
  if (!(x >> 60)) { n += 4; x <<= 4; }
  if (!(x >> 62)) { n += 2; x <<= 2; }
  if (!(x >> 63)) n += 1;
  return n;
}

/* log2(x) for x >= 1, in fixed point with 16 fractional bits: the integer part by shifting, then one
 * fraction bit per squaring of the mantissa (kept with 31 fractional bits). */
static inline u64 log2_fp16(u64 x) {
  u64 ip = 63 - clz64(x);
  u64 m = ip >= 31 ? x >> (ip - 31) : x << (31 - ip); /* in [2^31, 2^32) */
  u64 frac = 0;
  for (int i = 0; i < 16; i++) {
    m = (m * m) >> 31;
    frac <<= 1;
    if (m >= (1ULL << 32)) {
      m >>= 1;
      frac |= 1;
    }
  }
  return ip << 16 | frac;
}

/* The cardinality estimate of m = 2^p registers at r. */
static u64 estimate(const u8 *r, u32 p) {
  u32 m = 1u << p;
  u64 sum = 0; /* sum of 2^-r[j], 32 fractional bits */
  u32 zeros = 0;
  for (u32 j = 0; j < m; j++) {
    u8 v = r[j];
    sum += (1ULL << 32) >> v;
    zeros += v == 0;
  }
  /* alpha_m = 0.7213 / (1 + 1.079 / m), with 20 fractional bits */
  u64 alpha = (7213ULL << 20) * m / (10000ULL * m + 10790);
  u64 s = sum >> 12; /* 20 fractional bits */
  if (s == 0) s = 1;
  u64 e = (alpha * m * m / s) >> 20; /* alpha m^2 / sum */
  if (e <= 5ULL * m / 2 && zeros != 0) {
    /* linear counting: m ln(m / zeros) = m (log2 m - log2 zeros) ln 2 */
    u64 l = ((u64)p << 16) - log2_fp16(zeros);
    e = (m * l * 45426ULL) >> 32; /* ln 2 = 45426 / 2^16 */
  }
  return e;
}

u64 bpf_main(void *mem) {
  struct hll_input *in = mem;
  if (in->p < 4 || in->p > 14) return 0;
  u32 p = in->p;
  u32 m = 1u << p;
  u8 *regs = (u8 *)(in->items + in->nitems);
  u64 *words = (u64 *)regs; /* cleared a word at a time (a byte fill would become memset) */
  for (u32 j = 0; j < (NSKETCH + 1) * m / 8; j++) words[j] = in->zero;
  u32 ignored = 0;
  for (u32 i = 0; i < in->nitems; i++) {
    u32 s = in->items[i].sketch;
    if (s >= NSKETCH) { ignored++; continue; }
    u64 h = mix(in->items[i].key);
    u32 idx = (u32)(h >> (64 - p));
    u64 rest = h << p;
    u32 rank = rest == 0 ? 64 - p + 1 : clz64(rest) + 1;
    u8 *r = regs + s * m + idx;
    if (rank > *r) *r = rank;
  }
  u8 *uni = regs + NSKETCH * m;
  for (u32 s = 0; s < NSKETCH; s++)
    for (u32 j = 0; j < m; j++) {
      u8 v = regs[s * m + j];
      if (v > uni[j]) uni[j] = v;
    }
  u64 acc = 0;
  for (u32 s = 0; s <= NSKETCH; s++) acc = acc * 1000003 + estimate(regs + s * m, p);
  return acc ^ ignored;
}
