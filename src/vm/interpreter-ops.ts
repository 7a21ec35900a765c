/**
 * 64-bit arithmetic on registers kept as signed 32-bit halves (`r[d]` low, `r[d + 1]` high), for the
 * interpreter's run loop: the divisions (`bigint` only on the rare slow paths, values that do not fit in
 * 32 bits), shifts and byte swaps. The multiply and the 64-bit compares used to be here too; they are
 * written out in the run loop's cases, because V8 ran out of its cumulative inlining budget for that large
 * function and called them. (Writing the shifts out too measured no better: see interpreter-loop.ts.)
 * @module
 */

const TWO32 = 4294967296;

function toBig(l: number, h: number): bigint {
  return (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
}

function setBig(r: Int32Array, d: number, v: bigint): void {
  r[d] = Number(v & 0xffffffffn) | 0;
  r[d + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

/**
 * Long division of the unsigned 64-bit `dst` by a non-zero 32-bit `b` in three exact double-precision
 * steps (32, 16 and 16 bits of quotient: every partial dividend stays below 2^53, so `Math.floor` of the
 * quotient is exact). Leaves the quotient in `divQuo`/`divQuoHi` and the remainder in `divRem`.
 */
function divBy32(al: number, ah: number, b: number): void {
  const h = ah >>> 0;
  const l = al >>> 0;
  const qh = Math.floor(h / b);
  const t1 = (h - qh * b) * 65536 + (l >>> 16);
  const q1 = Math.floor(t1 / b);
  const t0 = (t1 - q1 * b) * 65536 + (l & 0xffff);
  const q0 = Math.floor(t0 / b);
  divQuoHi = qh | 0;
  divQuo = (q1 * 65536 + q0) | 0;
  divRem = (t0 - q0 * b) | 0;
}
let divQuo = 0;
let divQuoHi = 0;
let divRem = 0;

/** Unsigned 64-bit `dst /= b` (by zero gives 0). */
export function div64(r: Int32Array, d: number, bl: number, bh: number): void {
  if (bh === 0) {
    const b = bl >>> 0;
    if (b === 0) {
      r[d] = 0;
      r[d + 1] = 0;
    } else if (r[d + 1] === 0) {
      r[d] = Math.floor((r[d]! >>> 0) / b) | 0;
    } else {
      divBy32(r[d]!, r[d + 1]!, b);
      r[d] = divQuo;
      r[d + 1] = divQuoHi;
    }
    return;
  }
  setBig(r, d, toBig(r[d]!, r[d + 1]!) / toBig(bl, bh));
}

/** Unsigned 64-bit `dst %= b` (by zero leaves dst unchanged). */
export function mod64(r: Int32Array, d: number, bl: number, bh: number): void {
  if (bh === 0) {
    const b = bl >>> 0;
    if (b === 0) return;
    if (r[d + 1] === 0) {
      r[d] = ((r[d]! >>> 0) % b) | 0;
    } else {
      divBy32(r[d]!, r[d + 1]!, b);
      r[d] = divRem;
      r[d + 1] = 0;
    }
    return;
  }
  setBig(r, d, toBig(r[d]!, r[d + 1]!) % toBig(bl, bh));
}

/** Signed 64-bit `dst /= b`: by zero gives 0, INT64_MIN / -1 gives INT64_MIN. */
export function sdiv64(r: Int32Array, d: number, bl: number, bh: number): void {
  const al = r[d]!;
  const ah = r[d + 1]!;
  if (ah === al >> 31 && bh === bl >> 31) {
    if (bl === 0) {
      r[d] = 0;
      r[d + 1] = 0;
      return;
    }
    const q = Math.trunc(al / bl);
    r[d] = q | 0;
    r[d + 1] = q < 0 ? -1 : 0;
    return;
  }
  const b = BigInt.asIntN(64, toBig(bl, bh));
  setBig(r, d, b === 0n ? 0n : BigInt.asUintN(64, BigInt.asIntN(64, toBig(al, ah)) / b));
}

/** Signed 64-bit `dst %= b`: the result takes the dividend's sign; by zero leaves dst unchanged. */
export function smod64(r: Int32Array, d: number, bl: number, bh: number): void {
  const al = r[d]!;
  const ah = r[d + 1]!;
  if (ah === al >> 31 && bh === bl >> 31) {
    if (bl === 0) return;
    const m = al % bl;
    r[d] = m | 0;
    r[d + 1] = m < 0 ? -1 : 0;
    return;
  }
  const b = BigInt.asIntN(64, toBig(bl, bh));
  if (b !== 0n) setBig(r, d, BigInt.asUintN(64, BigInt.asIntN(64, toBig(al, ah)) % b));
}

/** 64-bit `dst <<= n & 63`. */
export function lsh64(r: Int32Array, d: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const l = r[d]!;
  if (n < 32) {
    r[d + 1] = (r[d + 1]! << n) | (l >>> (32 - n));
    r[d] = l << n;
  } else {
    r[d + 1] = l << (n - 32);
    r[d] = 0;
  }
}

/** 64-bit logical `dst >>= n & 63`. */
export function rsh64(r: Int32Array, d: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const h = r[d + 1]!;
  if (n < 32) {
    r[d] = (r[d]! >>> n) | (h << (32 - n));
    r[d + 1] = h >>> n;
  } else {
    r[d] = h >>> (n - 32);
    r[d + 1] = 0;
  }
}

/** 64-bit arithmetic `dst >>= n & 63`. */
export function arsh64(r: Int32Array, d: number, n: number): void {
  n &= 63;
  if (n === 0) return;
  const h = r[d + 1]!;
  if (n < 32) {
    r[d] = (r[d]! >>> n) | (h << (32 - n));
    r[d + 1] = h >> n;
  } else {
    r[d] = h >> (n - 32);
    r[d + 1] = h >> 31;
  }
}

/** Reverse the bytes of a 32-bit word. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** Unsigned value of a 64-bit register as a JS number when it is below 2^53, else -1 (used for messages). */
export function u64Number(l: number, h: number): number {
  return h >>> 0 < 0x200000 ? (h >>> 0) * TWO32 + (l >>> 0) : -1;
}
