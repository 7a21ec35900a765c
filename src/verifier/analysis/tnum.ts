/**
 * Known bits ("tristate numbers", the kernel documentation's `tnum`): a set of 64-bit values described
 * bit by bit as known 0, known 1 or unknown. A pair (`value`, `mask`): a bit set in `mask` is unknown;
 * any other bit equals that bit of `value` (`value & mask` is always 0). The set is every `x` with
 * `(x & ~mask) === value`. Written from first principles (docs.kernel.org/bpf/verifier.html describes
 * the domain; each operation below says why it is sound).
 *
 * Every operation over-approximates: its result contains every value the concrete operation can produce
 * from values of the operands. Values are unsigned bigints below 2^64.
 * @module
 */

/** Known bits of a 64-bit value: `mask` the unknown bits, `value` the known ones (0 where unknown). */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

/** Every 64-bit value. */
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: M64 };

/** The single value `v` (modulo 2^64). */
export function tnumConst(v: bigint): Tnum {
  return { value: BigInt.asUintN(64, v), mask: 0n };
}

/** The pair normalised: both within 64 bits, no known bit where the mask says unknown. */
function make(value: bigint, mask: bigint): Tnum {
  const m = mask & M64;
  return { value: value & M64 & ~m, mask: m };
}

/** True when the set is one value. */
export function tnumIsConst(t: Tnum): boolean {
  return t.mask === 0n;
}

/** True when `x` is in the set. */
export function tnumHas(t: Tnum, x: bigint): boolean {
  return (x & ~t.mask & M64) === t.value;
}

/** Every value of `b` is in `a` (a's unknown bits include b's, and their known bits agree). */
export function tnumContains(a: Tnum, b: Tnum): boolean {
  return (b.mask & ~a.mask) === 0n && ((a.value ^ b.value) & ~a.mask) === 0n;
}

/** Same set. */
export function tnumEqual(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

/**
 * The values in `[lo, hi]` (unsigned): the bits above the highest bit in which `lo` and `hi` differ are
 * the same in every value of the interval (they are a common prefix); the rest are unknown.
 */
export function tnumRange(lo: bigint, hi: bigint): Tnum {
  const diff = (lo ^ hi) & M64;
  if (diff === 0n) return tnumConst(lo);
  const low = LOW_MASKS[bitLength(diff)]!;
  return { value: lo & ~low & M64, mask: low };
}

/** `LOW_MASKS[n]` = 2^n - 1, for n in 0..64. */
const LOW_MASKS: readonly bigint[] = Array.from({ length: 65 }, (_, n) => (1n << BigInt(n)) - 1n);

/** Number of bits of a value below 2^64 (0 for 0), from its two 32-bit halves. */
function bitLength(x: bigint): number {
  const hi = Number(x >> 32n);
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(Number(x & M32));
}

/** Smallest set holding both (a bit stays known where both know it with the same value). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const mask = a.mask | b.mask | (a.value ^ b.value);
  return make(a.value & ~mask, mask);
}

/** Values in both; undefined when none (a bit known 0 in one and 1 in the other). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum | undefined {
  if (((a.value ^ b.value) & ~a.mask & ~b.mask) !== 0n) return undefined;
  const mask = a.mask & b.mask;
  return make((a.value | b.value) & ~mask, mask);
}

/**
 * a + b. The sum with every unknown bit 0 (`sv`) and with every unknown bit 1 (`sv + a.mask + b.mask`)
 * are the least and greatest ways carries can run; a bit where these two sums differ, or that is unknown
 * in an operand, may take either value. Any other bit is fixed: its column adds known bits only and the
 * carry into it is the same in both extremes, hence in every sum between them.
 */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sv = a.value + b.value;
  const sm = a.mask + b.mask;
  const chi = (sv + sm) ^ sv;
  const mask = chi | a.mask | b.mask;
  return make(sv, mask);
}

/**
 * a - b: the difference is largest when a's unknown bits are 1 and b's are 0 (`dv + a.mask`) and least
 * in the opposite case (`dv - b.mask`); as for the sum, bits where the extremes differ are unknown.
 */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = a.value - b.value;
  const alpha = dv + a.mask;
  const beta = dv - b.mask;
  const chi = (alpha ^ beta) & M64;
  const mask = chi | a.mask | b.mask;
  return make(dv, mask);
}

/** a & b: a bit is 1 where both are known 1, 0 where either is known 0. */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return make(v, alpha & beta & ~v);
}

/** a | b: a bit is 1 where either is known 1, 0 where both are known 0. */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  return make(v, (a.mask | b.mask) & ~v);
}

/** a ^ b: a bit is known where it is known in both. */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const mask = a.mask | b.mask;
  return make((a.value ^ b.value) & ~mask, mask);
}

/**
 * a * b as the sum of b shifted by each bit of a: a bit known 1 adds `b << i`, a bit unknown adds
 * `b << i` or 0 (the union of the two: b's bits that may be 1, unknown), a bit known 0 adds nothing.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return tnumConst(a.value * b.value);
  let acc: Tnum = tnumConst(0n);
  let x = a;
  let y = b;
  while ((x.value | x.mask) !== 0n) {
    if ((x.value & 1n) !== 0n) acc = tnumAdd(acc, y);
    else if ((x.mask & 1n) !== 0n) acc = tnumAdd(acc, make(0n, y.value | y.mask));
    x = { value: x.value >> 1n, mask: x.mask >> 1n };
    y = make(y.value << 1n, y.mask << 1n);
    if ((y.value | y.mask) === 0n) break;
  }
  return acc;
}

/** a << k (k below 64): the low k bits are known 0. */
export function tnumLsh(a: Tnum, k: number): Tnum {
  return make(a.value << BigInt(k), a.mask << BigInt(k));
}

/** a >> k, logical (k below 64): the high k bits are known 0. */
export function tnumRsh(a: Tnum, k: number): Tnum {
  return make(a.value >> BigInt(k), a.mask >> BigInt(k));
}

/** a >> k, arithmetic in `bits` bits (k below bits): the high bits copy the sign bit, known or not. */
export function tnumArsh(a: Tnum, k: number, bits: 32 | 64): Tnum {
  const v = BigInt.asIntN(bits, a.value) >> BigInt(k);
  const m = BigInt.asIntN(bits, a.mask) >> BigInt(k);
  const w = bits === 64 ? M64 : M32;
  return make(v & w, m & w);
}

/** The low 32 bits (the high ones known 0): a 32-bit subregister, or its zero extension to 64 bits. */
export function tnumLow32(a: Tnum): Tnum {
  return { value: a.value & M32, mask: a.mask & M32 };
}

/** The high 32 bits of `a` with the low 32 bits of `low`: what a 32-bit view's knowledge says of the whole. */
export function tnumWithLow32(a: Tnum, low: Tnum): Tnum {
  return make((a.value & ~M32) | (low.value & M32), (a.mask & ~M32) | (low.mask & M32));
}

/** The low `bits` bits sign-extended to 64: the high bits copy bit `bits - 1`, known or not. */
export function tnumSignExtend(a: Tnum, bits: 8 | 16 | 32): Tnum {
  const shift = BigInt(64 - bits);
  return make(BigInt.asUintN(64, BigInt.asIntN(64, a.value << shift) >> shift), BigInt.asUintN(64, BigInt.asIntN(64, a.mask << shift) >> shift));
}

/** Number of low bits known 0 (64 for the set {0}). */
export function tnumTrailingZeros(a: Tnum): number {
  const any = a.value | a.mask;
  if (any === 0n) return 64;
  let n = 0;
  let x = any;
  while ((x & 0xffn) === 0n) {
    x >>= 8n;
    n += 8;
  }
  while ((x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

/** Position of the highest set bit of a non-zero value. */
function highBit(x: bigint): number {
  return bitLength(x) - 1;
}

/** Position of the lowest set bit of a non-zero value. */
function lowBit(x: bigint): number {
  return highBit(x & -x);
}

/**
 * The least value of `t` that is at least `lo` (unsigned), or undefined when none. Such a value `x`
 * equals `lo` on every bit above the highest bit `p` where they differ, and there has 1 where `lo` has 0;
 * above `p` no known bit of `t` may disagree with `lo`, so `p` is at least the highest such
 * disagreement `i`. If `t` knows bit `i` as 1, `p = i` works; else `p` is the lowest unknown bit above `i`
 * where `lo` has 0. Below `p` the least choice is every unknown bit 0.
 */
export function tnumMinAtLeast(t: Tnum, lo: bigint): bigint | undefined {
  const conflicts = (lo ^ t.value) & ~t.mask & M64;
  if (conflicts === 0n) return lo;
  const i = highBit(conflicts);
  let p: number;
  if (((t.value >> BigInt(i)) & 1n) === 1n) p = i;
  else {
    const above = t.mask & ~lo & (M64 ^ ((2n << BigInt(i)) - 1n));
    if (above === 0n) return undefined;
    p = lowBit(above);
  }
  const below = (1n << BigInt(p)) - 1n;
  return (lo & ~((2n << BigInt(p)) - 1n) & M64) | (1n << BigInt(p)) | (t.value & below);
}

/** The greatest value of `t` that is at most `hi` (unsigned), or undefined when none (the mirror of {@link tnumMinAtLeast}). */
export function tnumMaxAtMost(t: Tnum, hi: bigint): bigint | undefined {
  const flipped: Tnum = { value: ~t.value & ~t.mask & M64, mask: t.mask };
  const r = tnumMinAtLeast(flipped, ~hi & M64);
  return r === undefined ? undefined : ~r & M64;
}

/** Signed bounds of `t` as a 64-bit value: the sign bit 1 where it may be for the least, 0 for the greatest. */
export function tnumSignedBounds(t: Tnum): [bigint, bigint] {
  const sign = 1n << 63n;
  return [BigInt.asIntN(64, t.value | (t.mask & sign)), BigInt.asIntN(64, t.value | (t.mask & ~sign))];
}

/** `0b1x0…` style text, for messages and tests: known bits as 0/1, unknown as x, leading known zeros dropped. */
export function describeTnum(t: Tnum): string {
  let s = '';
  for (let b = 63; b >= 0; b--) {
    const bit = 1n << BigInt(b);
    s += (t.mask & bit) !== 0n ? 'x' : (t.value & bit) !== 0n ? '1' : '0';
  }
  const trimmed = s.replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}
