/**
 * Derived induction variables (the compiler books' name): in a loop whose every iteration adds the same
 * constants to two registers — a counter `i += 1` and a pointer `p += 48` stepping through an array of
 * 48-byte entries — `p` is tied to `i` at the loop head by `p - p0 = 48 * (i - i0)`, `i0` and `p0`
 * their values when the loop was entered. Intervals alone lose this: widening sends `p`'s offset to its
 * limit while the exit test `i == 32` bounds `i` alone. At each join at the head the range of `p` is
 * narrowed to `p0 + 48 * (i - i0)` over the ranges of `i` there and of `i0`, `p0` on entry, so `p`
 * stays inside the array whenever `i` is bounded. The kernel, walking each iteration with exact
 * values, sees the same bound.
 *
 * Found statically per loop head (from its cycle slots, loop-slots.ts): the loop is entered only at its
 * head, its body without the edges back to the head has no cycle, and on every path from the head
 * back to it `i` changes by exactly ±1 and `p` by a fixed amount, through 64-bit `+=`/`-=` of
 * immediates only. Sound in 64-bit arithmetic: with a step of ±1 the iteration count k is
 * `±(i - i0)` modulo 2^64 whatever wrapping happened, so `p - p0 = dp * k` modulo 2^64, which is exact
 * while the ranges involved stay far from 2^63.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';
import type { LoopSlots } from './loop-slots.js';
import { findRelations, refineRelations, type LoopRelations, type RelationUse } from './relations.js';
import { ctz, narrowSigned, type Scalar } from './scalar.js';
import type { State } from './state.js';
import type { Value } from './value.js';

/** `p` moves by `dp` each iteration while `i` moves by `di` (±1). */
export interface Induction {
  readonly i: number;
  readonly di: bigint;
  readonly p: number;
  readonly dp: bigint;
}

/** A loop head's derived induction variables and linear equalities (relations.ts), and its cycle slots (to tell entering edges from back edges). */
export interface LoopInductions {
  readonly head: number;
  readonly slots: ReadonlySet<number>;
  readonly families: readonly Induction[];
  /** Its linear equalities (relations.ts), undefined when none. */
  readonly relations: LoopRelations | undefined;
}

/** Each loop head's derived induction variables and equalities, and where in loop bodies the equalities are used. */
export interface Inductions {
  readonly at: (head: number) => LoopInductions | undefined;
  /**
   * The loops whose equalities are used at `pc`, a slot of their bodies other than the head, with those
   * uses (a loop's head is reached before its body, which is entered only there: its uses are known by then).
   */
  readonly within: (pc: number) => readonly (readonly [number, readonly RelationUse[]])[];
}

/** Per-iteration change of each register (undefined: not a fixed constant). */
type Deltas = (bigint | undefined)[];

/** The induction variables of each loop head (undefined when it has none), computed on first use. */
export function loopInductions(insns: readonly Insn[], ops: readonly Operation[], slotsOf: (head: number) => LoopSlots): Inductions {
  const memo = new Map<number, LoopInductions | undefined>();
  const inside = new Map<number, [number, readonly RelationUse[]][]>();
  const at = (head: number): LoopInductions | undefined => {
    if (memo.has(head)) return memo.get(head);
    const loop = slotsOf(head);
    const families = find(insns, ops, head, loop) ?? [];
    const relations = findRelations(insns, ops, head, loop.slots, loop.preds, loop.start);
    const r = families.length === 0 && relations === undefined ? undefined : { head, slots: loop.slots, families, relations };
    memo.set(head, r);
    for (const [pc, uses] of relations?.uses ?? []) {
      if (pc === head) continue;
      const list = inside.get(pc);
      if (list === undefined) inside.set(pc, [[head, uses]]);
      else list.push([head, uses]);
    }
    return r;
  };
  return { at, within: (pc) => inside.get(pc) ?? [] };
}

function find(insns: readonly Insn[], ops: readonly Operation[], head: number, loop: LoopSlots): Induction[] | undefined {
  const { slots, preds } = loop;
  // entered only at the head
  if (loop.start !== head && slots.has(loop.start)) return undefined;
  for (const pc of slots) if (pc !== head && preds(pc).some((q) => !slots.has(q))) return undefined;
  const succ = (pc: number): number[] => {
    const op = ops[pc]!;
    if (op.kind === 'exit') return [];
    const t = branchTarget(op, insns[pc]!, pc);
    const next = pc + (op.kind === 'lddw' ? 2 : 1);
    const out = op.kind === 'ja' ? [t!] : op.kind === 'jcond' ? [next, t!] : [next];
    return out.filter((s) => slots.has(s));
  };
  // topological order of the body without the edges back to the head (none if it has another cycle)
  const order: number[] = [];
  const state = new Map<number, 1 | 2>();
  const stack: [number, number[]][] = [[head, succ(head)]];
  state.set(head, 1);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const next = top[1].pop();
    if (next === undefined) {
      state.set(top[0], 2);
      order.push(top[0]);
      stack.pop();
      continue;
    }
    if (next === head) continue;
    const st = state.get(next);
    if (st === 1) return undefined; // a cycle not through the head
    if (st === undefined) {
      state.set(next, 1);
      stack.push([next, succ(next)]);
    }
  }
  order.reverse();
  const into = new Map<number, Deltas>();
  into.set(head, new Array<bigint | undefined>(11).fill(0n));
  let back: Deltas | undefined;
  const meet = (a: Deltas | undefined, b: Deltas): Deltas => (a === undefined ? b.slice() : a.map((x, r) => (x === b[r] ? x : undefined)));
  for (const pc of order) {
    const d = into.get(pc);
    if (d === undefined) continue;
    const out = transfer(d.slice(), insns[pc]!, ops[pc]!);
    for (const s of succ(pc)) {
      if (s === head) back = meet(back, out);
      else into.set(s, meet(into.get(s), out));
    }
  }
  if (back === undefined) return undefined;
  const families: Induction[] = [];
  for (let i = 0; i < 10; i++) {
    const di = back[i];
    if (di !== 1n && di !== -1n) continue;
    for (let p = 0; p < 10; p++) {
      const dp = back[p];
      if (p !== i && dp !== undefined && dp !== 0n) families.push({ i, di, p, dp });
    }
  }
  return families;
}

/** The deltas after one instruction: `+=`/`-=` of an immediate moves a register, any other write loses it. */
function transfer(d: Deltas, i: Insn, op: Operation): Deltas {
  switch (op.kind) {
    case 'alu': {
      const cur = d[i.dst];
      if (op.width === 64 && op.source === 'imm' && (op.op === 'add' || op.op === 'sub') && cur !== undefined) {
        d[i.dst] = op.op === 'add' ? cur + BigInt(i.imm) : cur - BigInt(i.imm);
      } else if (!(op.width === 64 && op.op === 'mov' && op.source === 'reg' && i.src === i.dst)) d[i.dst] = undefined;
      return d;
    }
    case 'neg':
    case 'movsx':
    case 'end':
    case 'lddw':
    case 'ldx':
      d[i.dst] = undefined;
      return d;
    case 'atomic':
      if (op.fetch || op.op === 'xchg') d[i.src] = undefined;
      if (op.op === 'cmpxchg') d[0] = undefined;
      return d;
    case 'call':
    case 'callx':
    case 'ldabs':
    case 'ldind':
      for (let r = 0; r <= 5; r++) d[r] = undefined;
      return d;
    default:
      return d;
  }
}

/** Values far enough from 2^63 for the congruence to be an equality. */
const LIMIT = 1n << 60n;

/**
 * `s` (a state at the head) with each derived variable's range narrowed to what its counter's range
 * allows, given the registers' values on entry to the loop (`entry`, joined over every entering path).
 */
export function refineInductions(s: State, entry: readonly Value[], loop: LoopInductions): State {
  const t = refineFamilies(s, entry, loop.families);
  const uses = loop.relations?.uses.get(loop.head);
  return uses === undefined ? t : refineRelations(t, entry, uses);
}

function refineFamilies(s: State, entry: readonly Value[], families: readonly Induction[]): State {
  let regs: Value[] | undefined;
  for (const f of families) {
    const i = (regs ?? s.regs)[f.i]!;
    const i0 = entry[f.i]!;
    const p = (regs ?? s.regs)[f.p]!;
    const p0 = entry[f.p]!;
    if (i.type !== 'scalar' || i0.type !== 'scalar' || p.type !== p0.type) continue;
    // k = di * (i - i0): its range
    const lo = i.scalar.smin - i0.scalar.smax;
    const hi = i.scalar.smax - i0.scalar.smin;
    if (lo < -LIMIT || hi > LIMIT) continue;
    const [klo, khi] = f.di === 1n ? [lo, hi] : [-hi, -lo];
    const step = (a: bigint, b: bigint): [bigint, bigint] => {
      const x = a + f.dp * klo;
      const y = b + f.dp * khi;
      const u = a + f.dp * khi;
      const v = b + f.dp * klo;
      const all = [x, y, u, v];
      return [all.reduce((m, z) => (z < m ? z : m)), all.reduce((m, z) => (z > m ? z : m))];
    };
    let next: Value | undefined;
    if (p.type === 'scalar') {
      const [a, b] = step(p0.scalar.smin, p0.scalar.smax);
      if (a < -LIMIT || b > LIMIT || (a <= p.scalar.smin && b >= p.scalar.smax)) continue;
      const t = narrowSigned(p.scalar, a, b);
      if (t === undefined) continue;
      next = { ...p, scalar: t };
    } else if (isOffsetPointer(p) && p.frame === p0.frame && p.map === p0.map && p.size === p0.size) {
      const [a, b] = step(BigInt(p0.lo), BigInt(p0.hi));
      if (a < -LIMIT || b > LIMIT) continue;
      const lo2 = Math.max(p.lo, Number(a));
      const hi2 = Math.min(p.hi, Number(b));
      if (lo2 > hi2 || (lo2 === p.lo && hi2 === p.hi)) continue;
      next = { ...p, lo: lo2, hi: hi2, va: lo2 === p.lo ? p.va : Math.min(p.va, ctz(BigInt(lo2 - p.lo))) };
    }
    if (next === undefined) continue;
    regs ??= s.regs.slice();
    regs[f.p] = next;
  }
  return regs === undefined ? s : { ...s, regs };
}

/** Pointers whose offset range alone says where they point (no packet relation, no reference to keep apart). */
function isOffsetPointer(v: Value): boolean {
  return v.type === 'stack' || v.type === 'map_value' || v.type === 'mem';
}
