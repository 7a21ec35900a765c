/**
 * Linear equalities kept across a loop's back edges (a small relational domain beside the intervals, in
 * the spirit of PREVAIL's): `x - m * y = C` at the loop head, where `x` is a register (a number, or a
 * pointer's offset), `y` a register or its low 32 bits, `m` a non-zero integer and `C` fixed by the values
 * on entry. It holds when every path around the loop moves `x` by `m` times what it moves `y` — by
 * different amounts on different paths: xxhash's tail loop steps its pointer by 4 or by 1 while the low
 * half of its 64-bit length falls by as much (`r8 += 0xfffffffc`), so `pointer + low32(len)` stays what
 * it was on entry, which bounds the pointer where widening loses it and no exit test counts iterations.
 *
 * Found statically per loop head (the body entered only at the head, acyclic without its back edges;
 * at most 64 paths): each path from the head back to it is run symbolically (relation-paths.ts), every
 * register as a form over the registers' values at the head (`v + c`, the low 32 bits of that, or a
 * constant), with what its conditional jumps prove of those values (an interval of a register or of its
 * low half). A 64-bit step holds modulo 2^64 on every path, so the equality holds modulo 2^64 and is
 * exact where the intervals at the head are far from 2^63; a step of a low half must not wrap, which
 * the path's tests must prove (`len >= 4` before `len -= 4`).
 *
 * At the head, each state is narrowed by the equalities ({@link refineRelations}): `x` to `C + m * y`
 * over the intervals of `y` there and `C` over the entry's, and `y` back from `x`.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import type { Operation } from '../../isa/operation.js';
import { runPaths, U32, U64, type PathState } from './relation-paths.js';
import { ctz, low32, narrowSigned, type Scalar } from './scalar.js';
import type { State } from './state.js';
import type { Value } from './value.js';

/** `x - m * y` is the same at every arrival at the head (`y32`: y's low 32 bits, zero-extended). */
export interface Relation {
  readonly x: number;
  readonly y: number;
  readonly y32: boolean;
  readonly m: bigint;
  /** What the loop's own tests rely on of registers it leaves unchanged (a step `len -= 4` behind `len >= r2`): their values on entry within these bounds. */
  readonly requires: readonly Require[];
}

/** Register `reg`'s value on entry (`w32`: its low 32 bits), unsigned, within [lo, hi]. */
export interface Require {
  readonly reg: number;
  readonly w32: boolean;
  readonly lo: bigint;
  readonly hi: bigint;
}

/** Values far enough from 2^63 for an equality modulo 2^64 to be one of integers. */
const LIMIT = 1n << 60n;

/**
 * Where a relation narrows a state: at pc, register `a` holds `x`'s value at the head plus `da`, and
 * register `w` holds `y`'s (its low half, for a relation of `y`'s low half) as it was at the head.
 * At the head itself `a` is `x`, `w` is `y` and `da` 0; further into the body the copies and steps
 * reach the points a test has narrowed `w` (`r4 = low32(len); if r4 < 4 goto ...`).
 */
export interface RelationUse {
  readonly rel: Relation;
  readonly a: number;
  readonly da: bigint;
  readonly w: number;
}

/** A loop's relations and their uses at each slot of its body (the head's among them), and its ranking functions. */
export interface LoopRelations {
  readonly relations: readonly Relation[];
  readonly rankings: readonly Ranking[];
  readonly uses: ReadonlyMap<number, readonly RelationUse[]>;
}

/** Uses kept per slot (pairs of copies multiply them). */
const MAX_USES = 16;

/**
 * The relations of the loop at `head` whose cycle slots are `slots` (`preds`: predecessors of a slot in
 * its function; `start`: the function's first slot).
 */
export function findRelations(insns: readonly Insn[], ops: readonly Operation[], head: number, slots: ReadonlySet<number>, preds: (pc: number) => readonly number[], start: number): LoopRelations | undefined {
  if (start !== head && slots.has(start)) return undefined;
  for (const pc of slots) if (pc !== head && preds(pc).some((q) => !slots.has(q))) return undefined;
  const run = runPaths(insns, ops, head, slots);
  if (run === undefined || run.ends.length === 0) return undefined;
  const relations: Relation[] = [];
  for (let x = 0; x < 10; x++) {
    for (let y = 0; y < 10; y++) {
      if (x === y) continue;
      for (const y32 of [false, true]) {
        const r = ratio(run.ends, x, y, y32);
        if (r !== undefined) relations.push({ x, y, y32, ...r });
      }
    }
  }
  const rankings: Ranking[] = [];
  for (let y = 0; y < 10; y++) {
    for (const y32 of [false, true]) {
      const r = ranking(run.ends, y, y32);
      if (r !== undefined) rankings.push(r);
    }
  }
  if (relations.length === 0 && rankings.length === 0) return undefined;
  const uses = new Map<number, RelationUse[]>();
  for (const [pc, forms] of run.seen) {
    const list: RelationUse[] = [];
    for (const rel of relations) {
      for (let a = 0; a < 10 && list.length < MAX_USES; a++) {
        const fa = forms[a];
        if (fa === undefined || fa.b !== rel.x || fa.z !== 0) continue;
        for (let w = 0; w < 10 && list.length < MAX_USES; w++) {
          const fw = forms[w];
          if (fw === undefined || fw.b !== rel.y || fw.z === 1) continue;
          if (rel.y32 ? (fw.c & U32) !== 0n : fw.z !== 0 || fw.c !== 0n) continue;
          list.push({ rel, a, da: BigInt.asIntN(64, fa.c), w });
        }
      }
    }
    if (list.length > 0) uses.set(pc, list);
  }
  return { relations, rankings, uses };
}

/**
 * `y`'s change on the path ending in `e` (of its low half, `y32`), exact: a low half's (and, with
 * `noWrap`, a whole value's) must not wrap, by the path's tests, against a constant or a register every
 * path leaves unchanged (what those must hold on entry pushed to `requires`); undefined when not so.
 */
function stepOf(e: PathState, y: number, y32: boolean, noWrap: boolean, invariant: (r: number) => boolean, requires: Require[]): bigint | undefined {
  const fy = e.forms[y];
  if (fy === undefined || fy.b !== y || fy.z === 1 || (!y32 && fy.z !== 0)) return undefined;
  const dy = y32 ? BigInt.asIntN(32, fy.c) : BigInt.asIntN(64, fy.c);
  if (!y32 && !noWrap) return dy;
  const key = y32 ? `${y}:32` : `${y}`;
  const max = y32 ? U32 : U64;
  const [lo, hi] = e.guards.get(key) ?? [0n, max];
  if (lo + dy >= 0n && hi + dy <= max) return dy;
  // value >= reg (> reg) with reg >= -dy on entry; value <= reg (< reg) with reg <= max - dy
  const need = dy < 0n ? ['uge', 'ugt'] : ['ule', 'ult'];
  const b = (e.bounds.get(key) ?? []).find((q) => need.includes(q.rel) && invariant(q.reg));
  if (b === undefined) return undefined;
  const strict = b.rel === 'ugt' || b.rel === 'ult';
  requires.push(dy < 0n ? { reg: b.reg, w32: b.w32, lo: -dy - (strict ? 1n : 0n), hi: U64 } : { reg: b.reg, w32: b.w32, lo: 0n, hi: max - dy + (strict ? 1n : 0n) });
  return dy;
}

const invariantIn = (ends: readonly PathState[]) => (r: number): boolean => ends.every((e) => e.forms[r]?.b === r && e.forms[r]!.c === 0n && e.forms[r]!.z === 0);

/** The `m` with `dx = m * dy` on every path (`y`'s step exact, {@link stepOf}), or undefined. */
function ratio(ends: readonly PathState[], x: number, y: number, y32: boolean): { m: bigint; requires: Require[] } | undefined {
  let m: bigint | undefined;
  const requires: Require[] = [];
  const invariant = invariantIn(ends);
  for (const e of ends) {
    const fx = e.forms[x];
    if (fx === undefined || fx.b !== x || fx.z !== 0) return undefined;
    const dx = BigInt.asIntN(64, fx.c);
    const dy = stepOf(e, y, y32, false, invariant, requires);
    if (dy === undefined) return undefined;
    if (dy === 0n) {
      if (dx !== 0n) return undefined;
      continue;
    }
    if (dx % dy !== 0n) return undefined;
    const r = dx / dy;
    if (r === 0n || (m !== undefined && r !== m)) return undefined;
    m = r;
  }
  return m === undefined ? undefined : { m, requires };
}

/**
 * A ranking function (a variant, in the compiler books' terms): a register (or its low half) every path
 * around the loop lowers by at least `by`, without wrapping, so the loop runs at most its value on
 * entry divided by `by` times, plus one arrival at the head.
 */
export interface Ranking {
  readonly y: number;
  readonly y32: boolean;
  readonly by: bigint;
  readonly requires: readonly Require[];
}

function ranking(ends: readonly PathState[], y: number, y32: boolean): Ranking | undefined {
  const requires: Require[] = [];
  const invariant = invariantIn(ends);
  let by: bigint | undefined;
  for (const e of ends) {
    const dy = stepOf(e, y, y32, true, invariant, requires);
    if (dy === undefined || dy >= 0n) return undefined;
    if (by === undefined || -dy < by) by = -dy;
  }
  return by === undefined ? undefined : { y, y32, by, requires };
}

/** The most arrivals at the head a ranking allows from the registers on entry, or undefined when its requirements do not hold. */
export function rankedIterations(r: Ranking, entry: readonly Value[]): bigint | undefined {
  const v = entry[r.y]!;
  if (v.type !== 'scalar' || !r.requires.every((q) => holds(q, entry[q.reg]!))) return undefined;
  const max = r.y32 ? low32(v.scalar).umax : v.scalar.umax;
  return max / r.by + 1n;
}

/** A value's range as signed integers: a number's, or an offset pointer's offsets; undefined for others. */
function rangeOf(v: Value, y32: boolean): [bigint, bigint] | undefined {
  if (v.type === 'scalar') {
    if (y32) {
      const l = low32(v.scalar);
      return [l.umin, l.umax];
    }
    return [v.scalar.smin, v.scalar.smax];
  }
  if (!y32 && (v.type === 'stack' || v.type === 'map_value' || v.type === 'mem')) return [BigInt(v.lo), BigInt(v.hi)];
  return undefined;
}

const small = (...xs: bigint[]): boolean => xs.every((x) => x > -LIMIT && x < LIMIT);
const mulRange = (m: bigint, [a, b]: readonly [bigint, bigint]): [bigint, bigint] => (m > 0n ? [m * a, m * b] : [m * b, m * a]);
const divFloor = (a: bigint, b: bigint): bigint => (a / b) * b > a ? a / b - 1n : a / b;
const divCeil = (a: bigint, b: bigint): bigint => -divFloor(-a, b);

/**
 * `s` (a state at a slot of the loop's body) narrowed by the relations used there, given the registers'
 * values on entry to the loop (`entry`, joined over every entering path).
 */
export function refineRelations(s: State, entry: readonly Value[], uses: readonly RelationUse[]): State {
  let regs: Value[] | undefined;
  for (const u of uses) {
    const r = u.rel;
    const cur = regs ?? s.regs;
    const xv = cur[u.a]!;
    const yv = cur[u.w]!;
    const x0v = entry[r.x]!;
    const y0v = entry[r.y]!;
    if (yv.type !== 'scalar' || y0v.type !== 'scalar' || xv.type !== x0v.type) continue;
    if (xv.type !== 'scalar' && (xv.frame !== x0v.frame || xv.map !== x0v.map || xv.size !== x0v.size)) continue;
    const X = rangeOf(xv, false);
    const X0 = rangeOf(x0v, false);
    const Y = rangeOf(yv, r.y32);
    const Y0 = rangeOf(y0v, r.y32);
    if (X === undefined || X0 === undefined || Y === undefined || Y0 === undefined || !r.requires.every((q) => holds(q, entry[q.reg]!))) continue;
    const mY0 = mulRange(r.m, Y0);
    // C, moved by what the body added to x on the way here
    const C: [bigint, bigint] = [X0[0] - mY0[1] + u.da, X0[1] - mY0[0] + u.da];
    const mY = mulRange(r.m, Y);
    const want: [bigint, bigint] = [C[0] + mY[0], C[1] + mY[1]];
    if (!small(...X, ...C, ...mY, ...want)) continue;
    // x = C + m * y, and y = (x - C) / m
    const xlo = X[0] > want[0] ? X[0] : want[0];
    const xhi = X[1] < want[1] ? X[1] : want[1];
    const [qa, qb] = [X[0] - C[1], X[1] - C[0]];
    const [ylo, yhi] = r.m > 0n ? [divCeil(qa, r.m), divFloor(qb, r.m)] : [divCeil(qb, r.m), divFloor(qa, r.m)];
    let nx: Value | undefined;
    if (xlo > X[0] || xhi < X[1]) {
      if (xlo > xhi) continue;
      if (xv.type === 'scalar') {
        const t = narrowSigned(xv.scalar, xlo, xhi);
        if (t !== undefined) nx = { ...xv, scalar: t };
      } else if (xv.type === 'stack' || xv.type === 'map_value' || xv.type === 'mem') {
        const lo = Number(xlo);
        nx = { ...xv, lo, hi: Number(xhi), va: lo === xv.lo ? xv.va : Math.min(xv.va, ctz(BigInt(lo - xv.lo))) };
      }
    }
    // y narrows where its low half is all of it (a number below 2^32), or as a whole 64-bit value
    let ny: Value | undefined;
    if ((ylo > Y[0] || yhi < Y[1]) && ylo <= yhi && (!r.y32 || yv.scalar.umax <= U32)) {
      const t = narrowSigned(yv.scalar, ylo > Y[0] ? ylo : Y[0], yhi < Y[1] ? yhi : Y[1]);
      if (t !== undefined) ny = { ...yv, scalar: t };
    }
    if (nx === undefined && ny === undefined) continue;
    regs ??= s.regs.slice();
    if (nx !== undefined) regs[u.a] = nx;
    if (ny !== undefined) regs[u.w] = ny;
  }
  return regs === undefined ? s : { ...s, regs };
}

/** Whether a requirement holds of every value the register may hold on entry. */
function holds(q: Require, v: Value): boolean {
  if (v.type !== 'scalar') return false;
  const s = q.w32 ? low32(v.scalar) : v.scalar;
  return s.umin >= q.lo && s.umax <= q.hi;
}
