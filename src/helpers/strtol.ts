/**
 * `bpf_strtol` (105) and `bpf_strtoul` (106), any program type: parse the start of a string buffer as
 * bpf-helpers(7) describes it, with the kernel's rules as measured with BPF_PROG_TEST_RUN on 6.18
 * (test/kernel/strtol.test.ts):
 * - whitespace (isspace, with the kernel's Latin-1 non-breaking space) is skipped, then one optional
 *   `-` (strtoul refuses a negative number with -EINVAL; `+` is not a sign);
 * - the base is `flags & 0x1f`: 0 (a `0x` prefix followed by a hex digit means 16, a leading `0` 8,
 *   else 10), 8, 10 or 16 (where a `0x` prefix is skipped); any other base, or any other flag bit, is
 *   -EINVAL;
 * - at most 63 characters after the whitespace and sign are parsed; no digit is -EINVAL, a value out
 *   of range -ERANGE;
 * - the result is the number of characters consumed, `*res` the value (0 on every error: the kernel
 *   writes it either way).
 * @module
 */
import type { HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { Errno, negErrno } from '../maps/types.js';

/** The string helpers' ids (uapi `linux/bpf.h`). */
export const StrtolHelper = { STRTOL: 105, STRTOUL: 106 } as const;

/** Characters parsed after the whitespace and sign (the kernel copies them into a 64-byte string). */
const MAX_DIGITS = 63;
const BASE_MASK = 0x1fn;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const isHex = (c: number): boolean => digitOf(c) < 16;
const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** A character's digit value (36 for a non-digit). */
function digitOf(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = lower(c);
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return 36;
}

/** Parse `buf` (already bounded by buf_len); the characters consumed and the value, or a positive errno. */
export function parseInteger(buf: Uint8Array, flags: bigint, signed: boolean): { consumed: number; value: bigint } | number {
  let base = Number(flags & BASE_MASK);
  if ((base !== 0 && base !== 8 && base !== 10 && base !== 16) || (flags & ~BASE_MASK) !== 0n) return Errno.EINVAL;
  let at = 0;
  while (at < buf.length && isSpace(buf[at]!)) at++;
  const negative = at < buf.length && buf[at] === 0x2d;
  if (negative) at++;
  if (at >= buf.length) return Errno.EINVAL;
  // The digits are a string of at most 63 characters ending at the buffer's end or its first NUL.
  const s = buf.subarray(at, at + MAX_DIGITS);
  const c = (i: number): number => (i < s.length ? s[i]! : 0);
  let i = 0;
  if (base === 0) {
    if (c(0) === 0x30) base = lower(c(1)) === 0x78 && isHex(c(2)) ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && c(0) === 0x30 && lower(c(1)) === 0x78) i = 2;
  const start = i;
  let value = 0n;
  let overflow = false;
  for (; i < s.length; i++) {
    const d = digitOf(s[i]!);
    if (d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value > 0xffff_ffff_ffff_ffffn) overflow = true;
  }
  if (overflow) return Errno.ERANGE;
  if (i === start) return Errno.EINVAL;
  if (signed) {
    if (value > (negative ? 1n << 63n : (1n << 63n) - 1n)) return Errno.ERANGE;
  } else if (negative) {
    return Errno.EINVAL;
  }
  return { consumed: at + i, value: negative ? -value : value };
}

/** The string helpers, bound to the object's memory. */
export function strtolHelpers(mem: VmMemory): Map<number, HelperEntry> {
  const make = (signed: boolean): HelperFunction => (r1, r2, r3, r4, _5, ctx) => {
    const len = Number(r2 & 0xffff_ffffn);
    const buf = len === 0 ? new Uint8Array(0) : mem.read(r1, len, ctx.pc);
    const out = mem.slice(r4, 8, true, ctx.pc);
    const r = len === 0 ? Errno.EINVAL : parseInteger(buf, r3, signed);
    const view = new DataView(out.buffer, out.byteOffset, 8);
    if (typeof r === 'number') {
      view.setBigUint64(0, 0n, true);
      return negErrno(r);
    }
    view.setBigUint64(0, BigInt.asUintN(64, r.value), true);
    return r.consumed;
  };
  return new Map([
    [StrtolHelper.STRTOL, { fn: make(true), name: 'bpf_strtol', unwindOnZero: false }],
    [StrtolHelper.STRTOUL, { fn: make(false), name: 'bpf_strtoul', unwindOnZero: false }],
  ]);
}
