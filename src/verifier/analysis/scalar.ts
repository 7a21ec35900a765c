/**
 * The scalar domain: a 64-bit value as signed and unsigned intervals (bigint bounds), kept consistent
 * with each other. 32-bit views are derived on demand; known bits (a {@link Tnum}) are stored beside the
 * intervals and each narrows the other ({@link sync}). Every operation over-approximates: the result
 * contains every value the instruction can produce from values in the operands.
 * @module
 */
import {
  TNUM_UNKNOWN, tnumAdd, tnumAnd, tnumArsh, tnumConst, tnumContains, tnumEqual, tnumIntersect, tnumLow32, tnumLsh, tnumMaxAtMost, tnumMinAtLeast,
  tnumMul, tnumOr, tnumRange, tnumRsh, tnumSignedBounds, tnumSignExtend, tnumSub, tnumTrailingZeros, tnumWithLow32, tnumXor, type Tnum,
} from './tnum.js';

/** A set of 64-bit values, as both an unsigned and a signed interval (the value lies in both). */
export interface Scalar {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  /**
   * Known bits beyond those the unsigned interval implies (its common prefix): the value is a member of
   * this tnum (undefined: only the interval's). Read it through {@link tnumOf}.
   */
  readonly bits?: Tnum;
  /**
   * Bounds of the low 32 bits learnt from 32-bit jumps (unsigned and signed 32-bit intervals), kept
   * beside the 64-bit ones as the kernel keeps its 32-bit bounds; any operation but a narrowing drops them.
   */
  readonly b32?: Bounds32;
  /**
   * The value is one of these (2 to {@link MAX_SET} unsigned 64-bit values, ascending) where paths that
   * each held a constant were joined: the kernel walks such paths one at a time, so what it decides for
   * a constant only (a shift by a register, a packet pointer's proved range) is decided value by value.
   * Only a join makes one; any other operation drops it.
   */
  readonly set?: readonly bigint[];
}

/** The most values a {@link Scalar.set} holds (more join to a plain range). */
export const MAX_SET = 4;

/** The values `s` may take when they are few and known (a constant, or a set from a join); else undefined. */
export function valuesOf(s: Scalar): readonly bigint[] | undefined {
  return s.umin === s.umax ? [s.umin] : s.set;
}

/** A 32-bit view's bounds: unsigned in [0, 2^32), signed in [-2^31, 2^31). */
export interface Bounds32 {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
}

/** Trailing zero bits of a 64-bit value (64 for 0). */
export function ctz(v: bigint): number {
  const lo = Number(v & 0xffff_ffffn);
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = Number((v >> 32n) & 0xffff_ffffn);
  return hi === 0 ? 64 : 63 - Math.clz32(hi & -hi);
}

/** `s` within the signed interval [a, b] (its 32-bit bounds and constant set dropped: fewer facts, never wrong ones); undefined when empty. */
export function narrowSigned(s: Scalar, a: bigint, b: bigint): Scalar | undefined {
  return sync({ umin: s.umin, umax: s.umax, smin: s.smin > a ? s.smin : a, smax: s.smax < b ? s.smax : b, ...(s.bits === undefined ? {} : { bits: s.bits }) });
}

/**
 * The known bits of `s`: the stored ones met with those its unsigned interval implies (the stored ones
 * alone should the two disagree, which a sound state never makes them).
 */
export function tnumOf(s: Scalar): Tnum {
  const r = tnumRange(s.umin, s.umax);
  if (s.bits === undefined) return r;
  return tnumIntersect(s.bits, r) ?? s.bits;
}

/** Known low zero bits of every value of `s` (64 for 0): every value is a multiple of 2^this. */
export function trailingZeros(s: Scalar): number {
  return tnumTrailingZeros(tnumOf(s));
}

/** `s` (its bounds, set and 32-bit bounds) with known bits `t`, stored only where they say more than the interval. */
function withBits(s: Scalar, t: Tnum): Scalar {
  const r = tnumRange(s.umin, s.umax);
  const k = t.mask === TNUM_UNKNOWN.mask ? r : (tnumIntersect(t, r) ?? r);
  const keep = !tnumEqual(k, r);
  if (!keep && s.bits === undefined) return s;
  const base: Scalar = { umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax, ...(s.set === undefined ? {} : { set: s.set }), ...(s.b32 === undefined ? {} : { b32: s.b32 }) };
  return keep ? { ...base, bits: k } : base;
}

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MAX = (1n << 63n) - 1n;
export const S64_MIN = -(1n << 63n);
const U32_MAX = (1n << 32n) - 1n;

/** Every 64-bit value. */
export const TOP: Scalar = { umin: 0n, umax: U64_MAX, smin: S64_MIN, smax: S64_MAX };

/** The single value `v` (taken modulo 2^64). */
export function constant(v: bigint): Scalar {
  const u = BigInt.asUintN(64, v);
  const s = BigInt.asIntN(64, v);
  return { umin: u, umax: u, smin: s, smax: s };
}

/** Values in the unsigned interval `[lo, hi]`. */
export function unsignedRange(lo: bigint, hi: bigint): Scalar {
  return sync({ umin: lo, umax: hi, smin: S64_MIN, smax: S64_MAX }) ?? TOP;
}

/** The value if the set has exactly one, else undefined. */
export function constValue(s: Scalar): bigint | undefined {
  return s.umin === s.umax ? s.umin : undefined;
}

/**
 * Make the signed and unsigned intervals agree (each narrows the other where the sign is known).
 * Returns undefined when the set is empty (an infeasible branch).
 */
export function sync(s: Scalar, depth = 0): Scalar | undefined {
  let { umin, umax, smin, smax } = s;
  for (let round = 0; round < 2; round++) {
    if (smin > smax || umin > umax) return undefined;
    if (smin >= 0n) {
      // signed and unsigned views coincide
      umin = umin > smin ? umin : smin;
      umax = umax < smax ? umax : smax;
    } else if (smax < 0n) {
      const lo = smin + (1n << 64n);
      const hi = smax + (1n << 64n);
      umin = umin > lo ? umin : lo;
      umax = umax < hi ? umax : hi;
    }
    if (umin > umax) return undefined;
    if (umax <= S64_MAX) {
      smin = smin > umin ? smin : umin;
      smax = smax < umax ? smax : umax;
    } else if (umin > S64_MAX) {
      const lo = umin - (1n << 64n);
      const hi = umax - (1n << 64n);
      smin = smin > lo ? smin : lo;
      smax = smax < hi ? smax : hi;
    }
  }
  if (smin > smax || umin > umax) return undefined;
  if (s.bits === undefined) return { umin, umax, smin, smax };
  // the known bits and the interval narrow each other: the interval's common prefix joins the known
  // bits, and the bounds move inwards to the nearest members of the known bits (signed ones too)
  const range = tnumRange(umin, umax);
  // known bits that say no more than the interval are dropped
  if (tnumContains(s.bits, range)) return { umin, umax, smin, smax };
  const t = tnumIntersect(s.bits, range);
  if (t === undefined) return undefined;
  if (umin === umax) return { umin, umax, smin, smax };
  const lo = tnumMinAtLeast(t, umin);
  const hi = tnumMaxAtMost(t, umax);
  if (lo === undefined || hi === undefined || lo > hi) return undefined;
  const [tsmin, tsmax] = tnumSignedBounds(t);
  const nsmin = smin > tsmin ? smin : tsmin;
  const nsmax = smax < tsmax ? smax : tsmax;
  if (lo !== umin || hi !== umax || nsmin !== smin || nsmax !== smax) {
    if (depth >= 4) return withBits({ umin: lo, umax: hi, smin: nsmin, smax: nsmax }, t);
    return sync({ umin: lo, umax: hi, smin: nsmin, smax: nsmax, bits: t }, depth + 1);
  }
  return { umin, umax, smin, smax, bits: t };
}

/** Smallest set containing both. */
export function join(a: Scalar, b: Scalar): Scalar {
  const range: Scalar = {
    umin: a.umin < b.umin ? a.umin : b.umin,
    umax: a.umax > b.umax ? a.umax : b.umax,
    smin: a.smin < b.smin ? a.smin : b.smin,
    smax: a.smax > b.smax ? a.smax : b.smax,
  };
  // neither says more than its interval and neither is one value: the joined interval's bits are as good
  const j = a.bits === undefined && b.bits === undefined && a.umin !== a.umax && b.umin !== b.umax ? range : withBits(range, tnumUnionOf(a, b));
  const va = valuesOf(a);
  const vb = valuesOf(b);
  const union = va !== undefined && vb !== undefined ? [...new Set([...va, ...vb])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)) : undefined;
  const set = union !== undefined && union.length > 1 && union.length <= MAX_SET ? { set: union } : {};
  if (a.b32 === undefined || b.b32 === undefined) return { ...j, ...set };
  const [x, y] = [a.b32, b.b32];
  return { ...j, ...set, b32: { umin: x.umin < y.umin ? x.umin : y.umin, umax: x.umax > y.umax ? x.umax : y.umax, smin: x.smin < y.smin ? x.smin : y.smin, smax: x.smax > y.smax ? x.smax : y.smax } };
}

/** The union of both known bits (from the stored ones and the intervals). */
function tnumUnionOf(a: Scalar, b: Scalar): Tnum {
  const x = tnumOf(a);
  const y = tnumOf(b);
  const mask = x.mask | y.mask | (x.value ^ y.value);
  return { value: x.value & ~mask, mask };
}

/** Every value of `b` is in `a` (both intervals contain `b`'s, and `a`'s known bits are known in `b` alike). */
export function contains(a: Scalar, b: Scalar): boolean {
  if (!(a.umin <= b.umin && a.umax >= b.umax && a.smin <= b.smin && a.smax >= b.smax)) return false;
  if (a.bits !== undefined && !tnumContains(tnumOf(a), tnumOf(b))) return false;
  if (a.set !== undefined) {
    const vb = valuesOf(b);
    if (vb === undefined || !vb.every((v) => a.set!.includes(v))) return false;
  }
  if (a.b32 === undefined) return true;
  const l = low32(b);
  return a.b32.umin <= l.umin && a.b32.umax >= l.umax && a.b32.smin <= l.smin && a.b32.smax >= l.smax;
}

/** Same set. */
export function equal(a: Scalar, b: Scalar): boolean {
  if (!(a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax)) return false;
  if ((a.bits !== undefined || b.bits !== undefined) && !tnumEqual(tnumOf(a), tnumOf(b))) return false;
  if ((a.set ?? []).join() !== (b.set ?? []).join()) return false;
  const x = a.b32;
  const y = b.b32;
  return x === y || (x !== undefined && y !== undefined && x.umin === y.umin && x.umax === y.umax && x.smin === y.smin && x.smax === y.smax);
}

/** Thresholds a growing bound jumps to when widened, so that loops converge in a few steps. */
const UPPER = [0n, 255n, 65535n, (1n << 31n) - 1n, U32_MAX, S64_MAX, U64_MAX];
const SIGNED_UPPER = [0n, 255n, 65535n, (1n << 31n) - 1n, U32_MAX, S64_MAX];
const SIGNED_LOWER = [0n, -(1n << 31n), S64_MIN];

/**
 * Widening: bounds that grew since `old` jump to the next threshold, so chains are finite. `extra`
 * (ascending; a loop's own constants, thresholds.ts) offers nearer stops than the fixed ladder.
 */
export function widen(old: Scalar, next: Scalar, extra: readonly bigint[] = []): Scalar {
  const j = join(old, next);
  const up = (v: bigint, o: bigint, list: bigint[]): bigint => {
    if (v <= o) return v;
    const t = list.find((x) => x >= v) ?? list[list.length - 1]!;
    const e = extra.find((x) => x >= v);
    return e !== undefined && e < t ? e : t;
  };
  const down = (v: bigint, o: bigint, list: bigint[]): bigint => {
    if (v >= o) return v;
    const t = list.find((x) => x <= v) ?? list[list.length - 1]!;
    let e: bigint | undefined;
    for (const x of extra) if (x <= v) e = x;
    return e !== undefined && e > t ? e : t;
  };
  return (
    sync({
      umin: down(j.umin, old.umin, [0n]),
      umax: up(j.umax, old.umax, UPPER),
      smin: down(j.smin, old.smin, SIGNED_LOWER),
      smax: up(j.smax, old.smax, SIGNED_UPPER),
      ...(j.bits === undefined ? {} : { bits: j.bits }),
    }) ?? TOP
  );
}

/** Bits every value of `s` has in common, as known zeros and known ones ({@link tnumOf}). */
export function knownBits(s: Scalar): { zero: bigint; one: bigint } {
  const t = tnumOf(s);
  return { zero: ~t.value & ~t.mask & U64_MAX, one: t.value };
}

/** The low 32 bits as a set of 32-bit values, in the same representation (bounds within 32 bits). */
export function low32(s: Scalar): Scalar {
  const t = s.bits === undefined ? undefined : tnumLow32(tnumOf(s));
  if (t !== undefined && t.mask === 0n) return { umin: t.value, umax: t.value, smin: BigInt.asIntN(32, t.value), smax: BigInt.asIntN(32, t.value) };
  let umin = 0n;
  let umax = U32_MAX;
  if (s.umin >> 32n === s.umax >> 32n) {
    umin = s.umin & U32_MAX;
    umax = s.umax & U32_MAX;
  }
  let smin = -(1n << 31n);
  let smax = (1n << 31n) - 1n;
  if (s.smin >= smin && s.smax <= smax) {
    smin = s.smin;
    smax = s.smax;
  } else if (umax < 1n << 31n) {
    smin = umin;
    smax = umax;
  } else if (umin >= 1n << 31n) {
    smin = umin - (1n << 32n);
    smax = umax - (1n << 32n);
  }
  const b = s.b32;
  if (b !== undefined) {
    // what 32-bit jumps proved narrows the view; where the sign is known each interval narrows the other
    umin = umin > b.umin ? umin : b.umin;
    umax = umax < b.umax ? umax : b.umax;
    smin = smin > b.smin ? smin : b.smin;
    smax = smax < b.smax ? smax : b.smax;
    if (smin >= 0n) [umin, umax] = [umin > smin ? umin : smin, umax < smax ? umax : smax];
    if (umax < 1n << 31n) [smin, smax] = [smin > umin ? smin : umin, smax < umax ? smax : umax];
    // an empty view cannot arise from a sound state; keep the derived one if it does
    if (umin > umax || smin > smax) return low32({ umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax });
  }
  if (t === undefined) return { umin, umax, smin, smax };
  return bits32({ umin, umax, smin, smax }, t) ?? withBits({ umin, umax, smin, smax }, t);
}

/**
 * `v` narrowed by `n`, bounds its low 32 bits are known to lie in (a 32-bit jump's edge), where the low
 * half decides the whole: when the high half is one known value H (equal in `umin` and `umax`) the value
 * is H·2^32 plus the low half; when the signed range lies within 32-bit signed values the value is its low
 * half sign-extended. Otherwise `v` unchanged (the kernel keeps 32-bit bounds beside the 64-bit ones).
 */
export function liftLow32(v: Scalar, n: Scalar): Scalar {
  // whatever the high half, the low half's known bits are the 32-bit view's (when it has any)
  let r: Scalar = v;
  const low = tnumOf(n);
  if (low.mask !== U32_MAX) {
    const had = tnumOf(v);
    const known = tnumIntersect(had, tnumWithLow32(TNUM_UNKNOWN, low));
    if (known !== undefined && !tnumEqual(known, had)) r = sync({ umin: v.umin, umax: v.umax, smin: v.smin, smax: v.smax, bits: known }) ?? v;
  }
  if (v.umin >> 32n === v.umax >> 32n) {
    const hi = v.umin & ~U32_MAX;
    const lo = hi | n.umin;
    const up = hi | n.umax;
    r = sync({ umin: lo > r.umin ? lo : r.umin, umax: up < r.umax ? up : r.umax, smin: r.smin, smax: r.smax, ...(r.bits === undefined ? {} : { bits: r.bits }) }) ?? r;
  }
  if (r.smin >= -(1n << 31n) && r.smax < 1n << 31n) r = sync({ umin: r.umin, umax: r.umax, smin: n.smin > r.smin ? n.smin : r.smin, smax: n.smax < r.smax ? n.smax : r.smax, ...(r.bits === undefined ? {} : { bits: r.bits }) }) ?? r;
  return r;
}

/** A 32-bit result (bounds within 32 bits) zero-extended into a 64-bit register. */
export function zeroExtend32(s32: Scalar): Scalar {
  return sync({ umin: s32.umin, umax: s32.umax, smin: 0n, smax: U32_MAX, bits: tnumLow32(tnumOf(s32)) }) ?? unsignedRange(0n, U32_MAX);
}

/** A 64-bit set sign-extended from its low `bits` bits. */
export function signExtend(s: Scalar, bits: 8 | 16 | 32): Scalar {
  const c = constValue(s);
  if (c !== undefined) return constant(BigInt.asIntN(bits, c));
  const half = 1n << BigInt(bits - 1);
  if (s.umax < half) return s; // sign bit clear: unchanged
  return sync({ umin: 0n, umax: U64_MAX, smin: -half, smax: half - 1n, bits: tnumSignExtend(tnumOf(s), bits) }) ?? TOP;
}

/** Full range of a width. */
function full(bits: 32 | 64): Scalar {
  return bits === 64 ? TOP : { umin: 0n, umax: U32_MAX, smin: -(1n << 31n), smax: (1n << 31n) - 1n };
}

/** Make a width-bit set from an unsigned interval and a signed interval, either possibly unknown. */
function make(bits: 32 | 64, u: [bigint, bigint] | undefined, s: [bigint, bigint] | undefined): Scalar {
  const f = full(bits);
  const r = { umin: u?.[0] ?? f.umin, umax: u?.[1] ?? f.umax, smin: s?.[0] ?? f.smin, smax: s?.[1] ?? f.smax };
  return bits === 64 ? (sync(r) ?? TOP) : (sync32(r) ?? f);
}

function sync32(s: Scalar): Scalar | undefined {
  // Same reasoning as sync, in 32 bits.
  if (s.bits !== undefined) return bits32(s, s.bits);
  let { umin, umax, smin, smax } = s;
  if (smin >= 0n) {
    umin = umin > smin ? umin : smin;
    umax = umax < smax ? umax : smax;
  }
  if (umax < 1n << 31n) {
    smin = smin > umin ? smin : umin;
    smax = smax < umax ? smax : umax;
  }
  if (smin > smax || umin > umax) return undefined;
  return { umin, umax, smin, smax };
}

/** Binary ALU operation names the domain evaluates. */
export type ScalarOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'or' | 'and' | 'lsh' | 'rsh' | 'xor' | 'arsh';

const mask = (bits: 32 | 64): bigint => (bits === 64 ? U64_MAX : U32_MAX);
const smaxOf = (bits: 32 | 64): bigint => (bits === 64 ? S64_MAX : (1n << 31n) - 1n);
const sminOf = (bits: 32 | 64): bigint => (bits === 64 ? S64_MIN : -(1n << 31n));

/** Exact result of one operation on constants, as the engines compute it (division by zero gives 0, modulo by zero keeps the dividend). */
export function evalConst(op: ScalarOp, a: bigint, b: bigint, bits: 32 | 64): bigint {
  const m = mask(bits);
  const ua = a & m;
  const ub = b & m;
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  const sh = ub & BigInt(bits - 1);
  switch (op) {
    case 'add': return (ua + ub) & m;
    case 'sub': return (ua - ub) & m;
    case 'mul': return (ua * ub) & m;
    case 'div': return ub === 0n ? 0n : ua / ub;
    case 'mod': return ub === 0n ? ua : ua % ub;
    case 'sdiv': return sb === 0n ? 0n : BigInt.asUintN(bits, sa / sb);
    case 'smod': return sb === 0n ? ua : BigInt.asUintN(bits, sa % sb);
    case 'or': return ua | ub;
    case 'and': return ua & ub;
    case 'xor': return ua ^ ub;
    case 'lsh': return (ua << sh) & m;
    case 'rsh': return ua >> sh;
    case 'arsh': return BigInt.asUintN(bits, sa >> sh);
  }
}

function bitCeil(v: bigint): bigint {
  // smallest 2^k - 1 >= v
  let r = 0n;
  while (r < v) r = (r << 1n) | 1n;
  return r;
}

/**
 * `a op b` on sets of `bits`-bit values (both given in that width: use {@link low32} first for 32-bit
 * operations). The result is in the same width.
 */
export function binary(op: ScalarOp, a: Scalar, b: Scalar, bits: 32 | 64): Scalar {
  const r = binaryRange(op, a, b, bits);
  if (r.umin === r.umax) return r;
  if (!bitsMatter(op, a, b)) return r;
  // the interval's result met with the known bits' (the kernel's tnum arithmetic)
  const t = bitsOf(op, tnumOf(a), tnumOf(b), bits);
  if (t === undefined) return r;
  return (bits === 64 ? sync({ ...r, bits: t }) : bits32(r, t)) ?? r;
}

/**
 * Whether the known bits of `a op b` may say more than its interval: the operands' own known bits (or,
 * for a product or left shift, a constant's low zeros; for bitwise operations, the intervals' common
 * prefixes) carry into the result. Otherwise the interval alone is as good and cheaper.
 */
function bitsMatter(op: ScalarOp, a: Scalar, b: Scalar): boolean {
  switch (op) {
    case 'and':
    case 'or':
    case 'xor':
      return a.bits !== undefined || b.bits !== undefined || a.umin === a.umax || b.umin === b.umax;
    case 'add':
    case 'sub':
      return a.bits !== undefined || b.bits !== undefined;
    case 'mul':
    case 'lsh':
      return a.bits !== undefined || b.bits !== undefined || a.umin === a.umax || b.umin === b.umax;
    case 'rsh':
    case 'arsh':
      return a.bits !== undefined;
    default:
      return false;
  }
}

/** The low 32 bits of `t` for a 32-bit operation. */
function cut(t: Tnum, bits: 32 | 64): Tnum {
  return bits === 64 ? t : tnumLow32(t);
}

/** Known bits of `a op b` in `bits` bits (operands given in that width), or undefined when none are kept. */
function bitsOf(op: ScalarOp, a: Tnum, b: Tnum, bits: 32 | 64): Tnum | undefined {
  const k = b.mask === 0n ? Number(b.value & BigInt(bits - 1)) : -1;
  switch (op) {
    case 'add': return cut(tnumAdd(a, b), bits);
    case 'sub': return cut(tnumSub(a, b), bits);
    case 'mul': return cut(tnumMul(a, b), bits);
    case 'and': return tnumAnd(a, b);
    case 'or': return tnumOr(a, b);
    case 'xor': return tnumXor(a, b);
    case 'lsh': return k < 0 ? undefined : cut(tnumLsh(a, k), bits);
    case 'rsh': return k < 0 ? undefined : tnumRsh(a, k);
    case 'arsh': return k < 0 ? undefined : tnumArsh(a, k, bits);
    default: return undefined;
  }
}

/**
 * A 32-bit set (bounds within 32 bits) narrowed by known bits `t` of its low 32 bits: the unsigned
 * bounds move inwards to members of `t`, the signed ones follow where bit 31 is known or the unsigned
 * interval keeps a sign; undefined when empty.
 */
export function bits32(s: Scalar, t: Tnum): Scalar | undefined {
  const k = tnumIntersect(tnumLow32(t), tnumRange(s.umin, s.umax));
  if (k === undefined) return undefined;
  const umin = tnumMinAtLeast(k, s.umin);
  const umax = tnumMaxAtMost(k, s.umax);
  if (umin === undefined || umax === undefined || umin > umax) return undefined;
  const H = 1n << 31n;
  let { smin, smax } = s;
  if (umax < H) [smin, smax] = [smin > umin ? smin : umin, smax < umax ? smax : umax];
  else if (umin >= H) [smin, smax] = [smin > umin - 2n * H ? smin : umin - 2n * H, smax < umax - 2n * H ? smax : umax - 2n * H];
  let [lo, hi] = [umin, umax];
  if (smin >= 0n) [lo, hi] = [lo > smin ? lo : smin, hi < smax ? hi : smax];
  if (lo > hi || smin > smax) return undefined;
  const r: Scalar = { umin: lo, umax: hi, smin, smax, ...(s.b32 === undefined ? {} : { b32: s.b32 }) };
  return lo === hi ? r : withBits(r, k);
}

function binaryRange(op: ScalarOp, a: Scalar, b: Scalar, bits: 32 | 64): Scalar {
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) {
    const v = evalConst(op, ca, cb, bits);
    return bits === 64 ? constant(v) : { umin: v, umax: v, smin: BigInt.asIntN(32, v), smax: BigInt.asIntN(32, v) };
  }
  const m = mask(bits);
  const smax = smaxOf(bits);
  const smin = sminOf(bits);
  const inS = (lo: bigint, hi: bigint): [bigint, bigint] | undefined => (lo >= smin && hi <= smax ? [lo, hi] : undefined);
  const inU = (lo: bigint, hi: bigint): [bigint, bigint] | undefined => (lo >= 0n && hi <= m ? [lo, hi] : undefined);
  // add / sub: when both ends wrap the same way the interval stays an interval, moved by 2^bits
  const span = m + 1n;
  const wrapU = (lo: bigint, hi: bigint): [bigint, bigint] | undefined => inU(lo, hi) ?? (lo > m ? [lo - span, hi - span] : hi < 0n ? [lo + span, hi + span] : undefined);
  const wrapS = (lo: bigint, hi: bigint): [bigint, bigint] | undefined => inS(lo, hi) ?? (lo > smax ? [lo - span, hi - span] : hi < smin ? [lo + span, hi + span] : undefined);
  switch (op) {
    case 'add':
      return make(bits, wrapU(a.umin + b.umin, a.umax + b.umax), wrapS(a.smin + b.smin, a.smax + b.smax));
    case 'sub':
      return make(bits, wrapU(a.umin - b.umax, a.umax - b.umin), wrapS(a.smin - b.smax, a.smax - b.smin));
    case 'mul': {
      const c = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
      const lo = c.reduce((x, y) => (x < y ? x : y));
      const hi = c.reduce((x, y) => (x > y ? x : y));
      return make(bits, inU(a.umin * b.umin, a.umax * b.umax), inS(lo, hi));
    }
    case 'div': {
      const hi = b.umin === 0n ? a.umax : a.umax / b.umin;
      const lo = b.umin === 0n ? 0n : a.umin / b.umax;
      return make(bits, [lo, hi], undefined);
    }
    case 'mod':
      // x % 0 = x; otherwise below the divisor.
      return make(bits, [0n, b.umin === 0n ? a.umax : a.umax < b.umax - 1n ? a.umax : b.umax - 1n], undefined);
    case 'and':
      return make(bits, [0n, a.umax < b.umax ? a.umax : b.umax], a.smin >= 0n || b.smin >= 0n ? [0n, a.smin >= 0n && b.smin >= 0n ? (a.smax < b.smax ? a.smax : b.smax) : a.smin >= 0n ? a.smax : b.smax] : undefined);
    case 'or': {
      const hi = bitCeil(a.umax > b.umax ? a.umax : b.umax);
      return make(bits, [a.umin > b.umin ? a.umin : b.umin, hi], undefined);
    }
    case 'xor':
      return make(bits, [0n, bitCeil(a.umax > b.umax ? a.umax : b.umax)], undefined);
    case 'lsh':
      if (cb !== undefined) {
        const k = cb & BigInt(bits - 1);
        return make(bits, inU(a.umin << k, a.umax << k), undefined);
      }
      // a shift amount in a range below the width: the smallest value shifted least, the largest shifted most
      if (b.umax < BigInt(bits)) return make(bits, inU(a.umin << b.umin, a.umax << b.umax), undefined);
      return full(bits);
    case 'rsh':
      if (b.umax < BigInt(bits)) return make(bits, [a.umin >> b.umax, a.umax >> b.umin], undefined);
      return make(bits, [0n, a.umax], undefined);
    case 'arsh':
      if (b.umax < BigInt(bits)) {
        const c = [a.smin >> b.umin, a.smin >> b.umax, a.smax >> b.umin, a.smax >> b.umax];
        return make(bits, undefined, [c.reduce((x, y) => (x < y ? x : y)), c.reduce((x, y) => (x > y ? x : y))]);
      }
      return full(bits);
    case 'sdiv':
    case 'smod':
      return full(bits);
  }
}

/** `-a` in `bits` bits. */
export function negate(a: Scalar, bits: 32 | 64): Scalar {
  return binary('sub', bits === 64 ? constant(0n) : { umin: 0n, umax: 0n, smin: 0n, smax: 0n }, a, bits);
}

/** A short text for messages: `0`, `[0, 255]`, `scalar`. */
export function describeScalar(s: Scalar): string {
  if (s.umin === s.umax) return `${s.smin}`;
  if (s.smin >= 0n) return `[${s.umin}, ${s.umax}]`;
  if (s.smin === S64_MIN && s.smax === S64_MAX) return s.umin === 0n && s.umax === U64_MAX ? 'any' : `u[${s.umin}, ${s.umax}]`;
  return `[${s.smin}, ${s.smax}]`;
}
