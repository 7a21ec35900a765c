/**
 * Linked scalar copies (the kernel's scalar ids): after a 64-bit `r2 = r1` of an unknown number both
 * registers hold the same value, so a branch that narrows one narrows the other. A link is the scalar
 * `id` shared by the copies, and `k` a constant each copy is off the others by (`r2 += 1` after the
 * move keeps the link with k = 1). Any other new value of a register (ALU result, load, join) has id 0
 * and leaves the link. Spilled copies keep their (wider) range, which stays sound.
 * @module
 */
import { binary, constant, constValue, sync, tnumOf, type Scalar } from './scalar.js';
import { tnumIntersect } from './tnum.js';
import { scalarValue } from './value.js';
import { ownFrame, type Work } from './memory.js';
import { LINK_BASE, derivedParts } from './link-join.js';
import type { Value } from './value.js';

export { derivedParts, derivedRelation } from './link-join.js';

/** A 64-bit register move `dst = src` at `pc`: the copy, linked to `src` when it is an unknown number. */
export function linkedCopy(w: Work, pc: number, src: number): Value {
  const v = w.regs[src]!;
  if (v.type !== 'scalar' || v.id !== 0 || constValue(v.scalar) !== undefined) return v;
  const id = LINK_BASE + pc;
  // a link made at this pc on an earlier pass through a loop is a different value now: drop it
  for (let r = 0; r < w.regs.length; r++) if (isLinked(w.regs[r]!, id)) w.regs[r] = { ...w.regs[r]!, id: 0, k: 0 };
  forgetWhere(w, (x) => derivedParts(x)?.link === id);
  const linked = { ...v, id, k: 0 };
  w.regs[src] = linked;
  return linked;
}

/** Linked to `id`, or holding that link shifted left by 32 ({@link shiftedLink}). */
function isLinked(v: Value, id: number): boolean {
  return v.type === 'scalar' && (v.id === id || v.id === -id);
}

/** Give every register linked to register `reg` its new (narrowed) value. */
export function narrowLinked(w: Work, reg: number): void {
  const v = w.regs[reg]!;
  if (v.type !== 'scalar' || v.id < LINK_BASE) return;
  for (let r = 0; r < w.regs.length; r++) {
    const c = w.regs[r]!;
    if (r === reg || c.type !== 'scalar' || c.id !== v.id) continue;
    if (c.k === v.k) {
      w.regs[r] = v;
      continue;
    }
    // c = v + (c.k - v.k); a shift that may wrap gives the full range, and the intersection keeps c's own bounds
    const s = meet(binary('add', v.scalar, constant(BigInt(c.k - v.k)), 64), c.scalar);
    if (s !== undefined) w.regs[r] = { ...scalarValue(s), id: c.id, k: c.k };
  }
}

/** `r += imm` / `r -= imm` (64-bit) on a linked copy: the same link, `k` moved; undefined when it is no link. */
export function movedLink(v: Value, delta: number, result: Scalar): Value | undefined {
  if (v.type !== 'scalar' || v.id < LINK_BASE) return undefined;
  const k = v.k + delta;
  if (!Number.isSafeInteger(k) || Math.abs(k) >= 2 ** 31) return undefined;
  return { ...scalarValue(result), id: v.id, k };
}

/**
 * `w += imm` / `w -= imm` (32-bit) on a linked copy below 2^32: the 32-bit sum is the 64-bit one moved by
 * the same amount for every value in the range when none of them wraps past 2^32 (or all do), so the
 * result keeps the link, `k` moved by the amount added in 64 bits (the constant as an unsigned 32-bit
 * number, less 2^32 where every value wraps). Undefined when it is no link or the range straddles the wrap.
 */
export function movedLink32(v: Value, imm: number, result: Scalar): Value | undefined {
  if (v.type !== 'scalar' || v.id < LINK_BASE || v.scalar.umax > 0xffff_ffffn) return undefined;
  const c = BigInt.asUintN(32, BigInt(imm));
  const wrap = 1n << 32n;
  let delta: bigint;
  if (v.scalar.umax + c < wrap) delta = c;
  else if (v.scalar.umin + c >= wrap) delta = c - wrap;
  else return undefined;
  const k = v.k + Number(delta);
  if (!Number.isSafeInteger(k) || Math.abs(k) >= 2 ** 33) return undefined;
  return { ...scalarValue(result), id: v.id, k };
}

/**
 * `r <<= 32` then `r >>= 32` (64-bit, by the constant 32): the zero-extension clang writes for a `u64`
 * made from a `u32`, which gives back a value below 2^32 unchanged. A linked copy below 2^32 shifted
 * left holds its link negated (a value the link's narrowing must not reach: it is the copy times 2^32),
 * and shifted right again it is the copy, link and all. Any other operation on the shifted value drops
 * the link (movedLink and narrowLinked take only positive ids). Undefined when it is no such step.
 */
export function shiftedLink(v: Value, op: string, amount: bigint | undefined, result: Scalar): Value | undefined {
  if (v.type !== 'scalar' || amount !== 32n) return undefined;
  if (op === 'lsh' && v.id >= LINK_BASE && v.scalar.umax < 1n << 32n) return { ...scalarValue(result), id: -v.id, k: v.k };
  if (op === 'rsh' && v.id <= -LINK_BASE) return { ...scalarValue(result), id: -v.id, k: v.k };
  return undefined;
}

function meet(a: Scalar, b: Scalar): Scalar | undefined {
  const max = (x: bigint, y: bigint): bigint => (x > y ? x : y);
  const min = (x: bigint, y: bigint): bigint => (x < y ? x : y);
  // known bits of either hold for the value (where neither has any beyond its interval, the meet of the intervals says as much)
  const bits = a.bits === undefined && b.bits === undefined ? undefined : tnumIntersect(tnumOf(a), tnumOf(b));
  if (bits === undefined && (a.bits !== undefined || b.bits !== undefined)) return undefined;
  return sync({ umin: max(a.umin, b.umin), umax: min(a.umax, b.umax), smin: max(a.smin, b.smin), smax: min(a.smax, b.smax), ...(bits === undefined ? {} : { bits }) });
}

/** `v` narrowed to `s`, keeping its link. */
export function keepLink<T extends Value>(v: Value, narrowed: T): T {
  return v.type === 'scalar' && v.id >= LINK_BASE ? { ...narrowed, id: v.id, k: v.k } : narrowed;
}

/** Every packet relation `gone` holds of loses its holders and its range (relations derived from it too). */
export function forgetWhere(w: Work, gone: (id: number) => boolean): void {
  for (const id of [...w.pkt.keys()]) if (gone(id)) w.pkt.delete(id);
  for (let r = 0; r < w.regs.length; r++) {
    const v = w.regs[r]!;
    if ((v.type === 'packet' || v.type === 'packet_or_null') && v.id >= 0 && gone(v.id)) w.regs[r] = { ...v, id: -1, k: 0 };
  }
  for (let f = 0; f < w.frames.length; f++) {
    const hits = [...w.frames[f]!.spills].filter(([, s]) => (s.value.type === 'packet' || s.value.type === 'packet_or_null') && s.value.id >= 0 && gone(s.value.id));
    if (hits.length === 0) continue;
    const frame = ownFrame(w, f);
    for (const [at, s] of hits) frame.spills.set(at, { value: { ...s.value, id: -1, k: 0 }, size: s.size });
  }
}
