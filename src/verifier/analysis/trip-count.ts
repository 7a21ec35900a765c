/**
 * Induction variables and trip counts: a relational fact between the registers of a loop, kept where
 * widening would lose it.
 *
 * Before the fixpoint, each loop (the retreating edges into one head, back-edges.ts, whose natural loop
 * is entered only through the head) is searched for its basic induction variables: registers that every
 * path around the loop changes by the same constant (`r8 += 24` on every path, `r6 += 296` on every
 * path), found by a forward data flow over the body on the flat lattice "unchanged / changed by c /
 * anything" (trip-steps.ts). Its exit tests are the conditional jumps that run on every iteration (they dominate the
 * back edges), leave the loop on one edge and compare an induction variable with a constant.
 *
 * During the fixpoint, from the join of the states entering the loop, each exit test gives a bound K on
 * the iteration number at the head (`i` from 0 by 24 while `i + 24 != 144`: iterations 0 to 5), and so
 * every induction variable `v` is in `v_entry + step(v) * [0, K]` there: the trip count ties the
 * registers together (`r6 = r6_entry + 296 * k` while `r8 = 24 * k`), which an interval of each alone
 * cannot say. A state reaching the head is met with that bound ({@link narrowAtHead}), after joining and
 * widening too, so a loop stepping by 24 to `!= 144` converges on [0, 120] instead of widening past 144,
 * and the second variable stays inside the object it walks. Sound because every concrete state at the
 * head lies in the bound: the entry's values, then `K` steps at most (the fixpoint runs the body again
 * when the entry join grows, so the bound used is always that of every entry seen).
 *
 * The variables are the registers and the 8-byte stack slots of the loop's frame addressed through r10
 * (clang keeps a counter there when registers run out: `r9 = *(u64 *)(r10 - 160); r9 += 1; if r9 > 1
 * goto out; *(u64 *)(r10 - 160) = r9`), and a value's change is relative to any variable's value at the
 * head: a copy (`r6 = r1`, a fill, a spill) keeps it, and `<<= 32` then `>>= 32` (or a 32-bit move)
 * makes it the low 32 bits of one, which a test compares as a 32-bit test of the variable. A test may
 * also compare with a register or slot the loop leaves unchanged, whose value on entry is a constant.
 * That a slot changes only through r10 is checked where the analysis runs ({@link SlotGuard}): a store
 * through another stack pointer, or a call passed one, that may reach the slot voids the assumption,
 * and the analysis runs again without the loop's slots.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';
import { successorSlots } from './back-edges.js';
import { edgeRelation } from './branch.js';
import { binary, constant, low32, S64_MAX, S64_MIN, sync, U64_MAX, valuesOf, type Scalar } from './scalar.js';
import type { Frame, State } from './state.js';
import type { Value } from './value.js';
import { CONST, exact, joinDelta, rel, sameDelta, slotOffset, slotVar, swapRelation, TOP_DELTA, transfer, VARS, type Delta } from './trip-steps.js';

/** A variable's value in a state: a register, or a number spilled whole in the slot of the state's own frame. */
export function varValue(s: State, v: number): Value | undefined {
  if (v < 11) return s.regs[v];
  const sp = s.frames[s.frames.length - 1]!.spills.get(512 + slotOffset(v));
  return sp !== undefined && sp.size === 8 ? sp.value : undefined;
}

/** A conditional jump run on every iteration that compares an induction variable with a constant and leaves the loop on one edge. */
export interface ExitTest {
  readonly pc: number;
  /** The variable compared (an induction variable; see {@link VARS}). */
  readonly reg: number;
  /** Its change since the head when the test runs (the same on every path from the head). */
  readonly delta: bigint;
  /** The relation under which the loop goes on (`reg REL bound` on the edge staying in the loop). */
  readonly rel: string;
  readonly bound: bigint;
  /** A variable the loop leaves unchanged compared instead of a constant: `bound` is its value on entry, when that is a constant. */
  readonly boundVar?: number;
  readonly width: 32 | 64;
}

/** `t` with the value on entry of its bound variable as its bound (itself without one); undefined when that is no constant. */
export function resolveTest(t: ExitTest, entry: State): ExitTest | undefined {
  if (t.boundVar === undefined) return t;
  const v = varValue(entry, t.boundVar);
  if (v === undefined || v.type !== 'scalar' || v.scalar.umin !== v.scalar.umax) return undefined;
  return { ...t, bound: v.scalar.umin };
}

/**
 * The pcs of a loop with slot variables where a store or call might change a slot otherwise than
 * through r10 (every store not based on r10, every call): `slots` the offsets from r10 of the slots the
 * trip count relies on. The fixpoint checks the pointers there.
 */
export interface SlotGuard {
  readonly head: number;
  readonly slots: readonly number[];
}

/** A loop with basic induction variables. */
export interface TripLoop {
  readonly head: number;
  /** The loop's slots (head included). */
  readonly body: ReadonlySet<number>;
  /** Per variable ({@link VARS}), its exact change per iteration (undefined: not an induction variable; 0n: unchanged). */
  readonly step: readonly (bigint | undefined)[];
  /** Per variable, the least and most it changes by in one iteration (undefined: no bound; a step is both). */
  readonly range: readonly (readonly [bigint, bigint] | undefined)[];
  readonly tests: readonly ExitTest[];
  /** The offsets from r10 of the slots a test or a step relies on (empty when none). */
  readonly slots: readonly number[];
}

/** Joins at one slot of the body before a range still growing there is given up (TOP): a cycle not through the head. */
const MAX_JOINS = 16;

/**
 * The loops of a program with an induction variable bounded by an exit test, by head. `edges` are the
 * retreating edges `[from, to]`; `funcEnd` the functions' extents by start and `funcOf` each slot's
 * function start.
 */
export function tripCountLoops(
  insns: readonly Insn[],
  ops: readonly Operation[],
  edges: readonly (readonly [number, number])[],
  funcEnd: ReadonlyMap<number, number>,
  funcOf: Int32Array,
): Map<number, TripLoop> {
  const out = new Map<number, TripLoop>();
  const byHead = new Map<number, number[]>();
  for (const [from, to] of edges) byHead.set(to, [...(byHead.get(to) ?? []), from]);
  const succCache = new Map<number, number[]>();
  const succ = (pc: number): number[] => {
    let s = succCache.get(pc);
    if (s === undefined) {
      const f = funcOf[pc]!;
      s = successorSlots(insns, ops, pc, f, funcEnd.get(f)!);
      succCache.set(pc, s);
    }
    return s;
  };
  // predecessors of every slot of the functions holding a loop
  const preds = new Map<number, number[]>();
  for (const f of new Set([...byHead.keys()].map((h) => funcOf[h]!))) {
    const end = funcEnd.get(f)!;
    for (let pc = f; pc < end; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
      for (const s of succ(pc)) {
        const list = preds.get(s);
        if (list === undefined) preds.set(s, [pc]);
        else list.push(pc);
      }
    }
  }
  for (const [head, sources] of byHead) {
    const loop = analyseLoop(insns, ops, head, sources, succ, (pc) => preds.get(pc) ?? [], funcOf[head]!);
    if (loop !== undefined) out.set(head, loop);
  }
  return out;
}

function analyseLoop(
  insns: readonly Insn[],
  ops: readonly Operation[],
  head: number,
  sources: readonly number[],
  succ: (pc: number) => number[],
  preds: (pc: number) => readonly number[],
  funcStart: number,
): TripLoop | undefined {
  // the slots of the function reachable from the head
  const seen = new Set<number>([head]);
  const todo = [head];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    for (const s of succ(pc)) {
      if (!seen.has(s)) {
        seen.add(s);
        todo.push(s);
      }
    }
  }
  // the natural loop: the slots that reach a back edge's source without passing the head; every one
  // reachable from the head, else the loop is entered past its head (a rotated loop entered in its
  // middle has no iteration count at its head)
  const back = sources.filter((s) => seen.has(s));
  if (back.length === 0) return undefined;
  const body = new Set<number>([head]);
  const walk = [...back];
  while (walk.length > 0) {
    const pc = walk.pop()!;
    if (body.has(pc)) continue;
    if (!seen.has(pc)) return undefined;
    body.add(pc);
    for (const p of preds(pc)) walk.push(p);
  }
  if (body.has(funcStart) && funcStart !== head) return undefined; // the function is entered inside the loop
  // the changes since the head, to a fixpoint on the flat lattice
  const ins = new Map<number, Delta[]>();
  ins.set(head, Array.from({ length: VARS }, (_, v) => rel(v, 0n)));
  const work = [head];
  const queued = new Set<number>(work);
  const outs = new Map<number, Delta[]>();
  const joins = new Map<number, number>();
  while (work.length > 0) {
    const pc = work.pop()!;
    queued.delete(pc);
    const o = transfer(insns[pc]!, ops[pc]!, ins.get(pc)!);
    outs.set(pc, o);
    for (const s of succ(pc)) {
      if (!body.has(s) || s === head) continue;
      const old = ins.get(s);
      let j = old === undefined ? o : old.map((d, r) => joinDelta(d, o[r]!));
      if (old !== undefined && j.every((d, r) => sameDelta(d, old[r]!))) continue;
      const n = (joins.get(s) ?? 0) + 1;
      joins.set(s, n);
      if (old !== undefined && n > MAX_JOINS) j = j.map((d, r) => (sameDelta(d, old[r]!) ? d : TOP_DELTA));
      ins.set(s, j);
      if (!queued.has(s)) {
        queued.add(s);
        work.push(s);
      }
    }
  }
  const step: (bigint | undefined)[] = new Array<bigint | undefined>(VARS).fill(undefined);
  const range: (readonly [bigint, bigint] | undefined)[] = new Array<readonly [bigint, bigint] | undefined>(VARS).fill(undefined);
  for (let r = 0; r < VARS; r++) {
    let d: Delta | undefined;
    for (const src of back) {
      const o = outs.get(src);
      if (o === undefined) return undefined;
      d = d === undefined ? o[r]! : joinDelta(d, o[r]!);
    }
    // a constant (b CONST) is no induction variable
    if (d === TOP_DELTA || d!.b !== r || d!.z !== 0) continue;
    range[r] = [d!.c, d!.h];
    if (d!.c === d!.h) step[r] = d!.c;
  }
  const tests: ExitTest[] = [];
  for (const t of [...body].sort((a, b) => a - b)) {
    const op = ops[t]!;
    if (op.kind !== 'jcond') continue;
    const i = insns[t]!;
    const target = branchTarget(op, i, t)!;
    const takenStays = body.has(target);
    const fallStays = body.has(t + 1);
    if (takenStays === fallStays) continue;
    const here = ins.get(t);
    if (here === undefined || !back.every((src) => dominates(t, head, src, body, succ))) continue;
    const stays = edgeRelation(op.cond, takenStays);
    // the moving side and what it is compared with: an immediate, or a variable the loop leaves unchanged
    const sides: [Delta, Delta | bigint, string][] = op.source === 'imm' ? [[here[i.dst]!, BigInt(i.imm), stays]] : [[here[i.dst]!, here[i.src]!, stays], [here[i.src]!, here[i.dst]!, swapRelation(stays)]];
    for (const [d, other, relation] of sides) {
      if (!exact(d) || d.z === 1 || d.b === CONST) continue;
      const s = step[d.b];
      if (s === undefined || s === 0n) continue;
      let bound = 0n;
      let boundVar: number | undefined;
      if (typeof other === 'bigint') bound = other;
      else if (exact(other) && other.b === CONST && other.z === 0) bound = other.c;
      else if (exact(other) && other.c === 0n && other.z === 0 && step[other.b] === 0n) boundVar = other.b;
      else continue;
      let width = op.width;
      if (d.z === 2) {
        // the low 32 bits, zero-extended: a 64-bit unsigned test of them against a 32-bit bound is their 32-bit test
        if (width === 64 && (relation.startsWith('s') || boundVar !== undefined || bound < 0n || bound > 0xffff_ffffn)) continue;
        width = 32;
      }
      tests.push({ pc: t, reg: d.b, delta: d.c, rel: relation, bound, ...(boundVar === undefined ? {} : { boundVar }), width });
      break;
    }
  }
  if (tests.length === 0) return undefined;
  const used = new Set<number>();
  for (const t of tests) {
    if (t.reg >= 11) used.add(t.reg);
    if (t.boundVar !== undefined && t.boundVar >= 11) used.add(t.boundVar);
  }
  for (let v = 11; v < VARS; v++) if (range[v] !== undefined && (range[v]![0] !== 0n || range[v]![1] !== 0n)) used.add(v);
  return { head, body, step, range, tests, slots: [...used].sort((a, b) => a - b).map(slotOffset) };
}


/** True when every path from `head` to `src` inside the loop passes through `t` (the loop's exit tests: here and loops.ts). */
export function dominates(t: number, head: number, src: number, body: ReadonlySet<number>, succ: (pc: number) => number[]): boolean {
  if (t === head || t === src) return true;
  const seen = new Set<number>([t]);
  const todo = [head];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (pc === src) return false;
    if (seen.has(pc)) continue;
    seen.add(pc);
    for (const s of succ(pc)) if (body.has(s) && s !== head) todo.push(s);
  }
  return true;
}

/**
 * The largest iteration number at the loop's head (0 for the first) that the exit test allows when its
 * register holds `start` on entry; undefined when the test does not bound it (a start the step never
 * meets exactly for `!=`, a bound a step may wrap past).
 */
export function lastIteration(test: ExitTest, step: bigint, start: Scalar): bigint | undefined {
  const w = test.width;
  const x = binary('add', start, constant(test.delta), 64);
  const v = w === 32 ? low32(x) : x;
  const signed = test.rel.startsWith('s');
  const umax = w === 32 ? (1n << 32n) - 1n : U64_MAX;
  const smin = w === 32 ? -(1n << 31n) : S64_MIN;
  const smax = w === 32 ? (1n << 31n) - 1n : S64_MAX;
  const [min, max] = signed ? [smin, smax] : [0n, umax];
  const bound = signed ? BigInt.asIntN(w, test.bound) : BigInt.asUintN(w, test.bound);
  const [lo, hi] = signed ? [v.smin, v.smax] : [v.umin, v.umax];
  switch (test.rel) {
    case 'ne': {
      // the loop goes on while x != bound: it leaves when x meets it exactly, without wrapping on the way
      const values = valuesOf(v);
      if (values === undefined) return undefined;
      let k = 0n;
      for (const x0 of values) {
        const dist = bound - x0;
        if (dist % step !== 0n || dist / step < 0n) return undefined;
        const n = dist / step;
        if (n > k) k = n;
      }
      return k;
    }
    case 'ult':
    case 'slt':
    case 'ule':
    case 'sle': {
      if (step <= 0n) return undefined;
      const last = test.rel.endsWith('lt') ? bound - 1n : bound; // the largest value that goes on
      if (last < min || last + step > max) return undefined; // a step from a value that goes on may wrap
      return lo > last ? 0n : (last - lo) / step + 1n;
    }
    case 'ugt':
    case 'sgt':
    case 'uge':
    case 'sge': {
      if (step >= 0n) return undefined;
      const least = test.rel.endsWith('gt') ? bound + 1n : bound;
      if (least > max || least + step < min) return undefined;
      return hi < least ? 0n : (hi - least) / -step + 1n;
    }
    default:
      return undefined;
  }
}

/** The most a pointer offset bound may reach before it is not narrowed (pointer offsets are small). */
const MAX_SPAN = 1n << 29n;

/**
 * `s` (a state at the loop's head) met with what the trip count proves from `entry` (the join of the
 * states entering the loop): every induction variable within `entry + step * [0, K]`. Unchanged when no
 * exit test bounds the loop from this entry.
 */
export function narrowAtHead(loop: TripLoop, entry: State, s: State): State {
  const k = tripBound(loop, entry)?.last;
  if (k === undefined) return s;
  let regs: Value[] | undefined;
  for (let r = 0; r < 10; r++) {
    const d = loop.range[r];
    if (d === undefined || (d[0] === 0n && d[1] === 0n)) continue;
    const cur = s.regs[r]!;
    const v = narrowValue(cur, entry.regs[r]!, spanLo(d, k), spanHi(d, k));
    if (v === cur) continue;
    regs ??= s.regs.slice();
    regs[r] = v;
  }
  let frame: Frame | undefined;
  const top = s.frames.length - 1;
  for (const off of loop.slots) {
    const v = slotVar(off)!;
    const d = loop.range[v];
    const cur = varValue(s, v);
    const start = varValue(entry, v);
    if (d === undefined || (d[0] === 0n && d[1] === 0n) || cur === undefined || start === undefined) continue;
    const n = narrowValue(cur, start, spanLo(d, k), spanHi(d, k));
    if (n === cur) continue;
    frame ??= { bytes: s.frames[top]!.bytes, spills: new Map(s.frames[top]!.spills) };
    (frame.spills as Map<number, { value: Value; size: number }>).set(512 + off, { value: n, size: 8 });
  }
  if (regs === undefined && frame === undefined) return s;
  const frames = frame === undefined ? s.frames : [...s.frames.slice(0, top), frame];
  return { ...s, regs: regs ?? s.regs, frames };
}

/**
 * The largest iteration number at the head the loop's exit tests allow from `entry`, and the test that
 * allows the fewest (the first such), if any.
 */
export function tripBound(loop: TripLoop, entry: State): { readonly last: bigint; readonly test: number } | undefined {
  let best: { last: bigint; test: number } | undefined;
  for (const t0 of loop.tests) {
    const t = resolveTest(t0, entry);
    const start = varValue(entry, t0.reg);
    if (t === undefined || start === undefined || start.type !== 'scalar') continue;
    const n = lastIteration(t, loop.step[t.reg]!, start.scalar);
    if (n !== undefined && (best === undefined || n < best.last)) best = { last: n, test: t.pc };
  }
  return best;
}

/** After at most `k` iterations changing a variable by `d` each: the least and most it has moved. */
const spanLo = (d: readonly [bigint, bigint], k: bigint): bigint => (d[0] < 0n ? d[0] * k : 0n);
const spanHi = (d: readonly [bigint, bigint], k: bigint): bigint => (d[1] > 0n ? d[1] * k : 0n);

/** `cur` met with `start + [lo, hi]` (lo <= 0 <= hi), when both are the same kind of value. */
function narrowValue(cur: Value, start: Value, lo: bigint, hi: bigint): Value {
  if (cur.type === 'scalar' && start.type === 'scalar') {
    const add = sync({ umin: 0n, umax: U64_MAX, smin: lo, smax: hi });
    if (add === undefined) return cur;
    const b = binary('add', start.scalar, add, 64);
    const m = meet(cur.scalar, b);
    return m === undefined ? cur : { ...cur, scalar: m };
  }
  if (cur.type !== start.type || cur.type === 'uninit' || cur.type === 'packet' || cur.type === 'packet_meta' || cur.type === 'packet_end') return cur;
  if (cur.frame !== start.frame || cur.map !== start.map || cur.size !== start.size || cur.ref !== start.ref || (cur.maps ?? []).join() !== (start.maps ?? []).join()) return cur;
  if (hi - lo > MAX_SPAN) return cur;
  const nlo = Math.max(cur.lo, start.lo + Number(lo));
  const nhi = Math.min(cur.hi, start.hi + Number(hi));
  if (nlo > nhi || (nlo === cur.lo && nhi === cur.hi)) return cur;
  return { ...cur, lo: nlo, hi: nhi };
}

/** The values in both `a` and `b`, as `a`'s intervals narrowed by `b`'s; `a` when they do not narrow it. */
function meet(a: Scalar, b: Scalar): Scalar | undefined {
  const umin = a.umin > b.umin ? a.umin : b.umin;
  const umax = a.umax < b.umax ? a.umax : b.umax;
  const smin = a.smin > b.smin ? a.smin : b.smin;
  const smax = a.smax < b.smax ? a.smax : b.smax;
  if (umin === a.umin && umax === a.umax && smin === a.smin && smax === a.smax) return undefined;
  const m = sync({ umin, umax, smin, smax, ...(a.bits === undefined ? {} : { bits: a.bits }) });
  if (m === undefined) return undefined;
  const set = a.set?.filter((x) => x >= m.umin && x <= m.umax && BigInt.asIntN(64, x) >= m.smin && BigInt.asIntN(64, x) <= m.smax);
  return set !== undefined && set.length > 1 ? { ...m, set } : m;
}
