/**
 * Induction variables and trip counts: a relational fact between the registers of a loop, kept where
 * widening would lose it.
 *
 * Before the fixpoint, each loop (the retreating edges into one head, back-edges.ts, whose natural loop
 * is entered only through the head) is searched for its basic induction variables: registers that every
 * path around the loop changes by the same constant (`r8 += 24` on every path, `r6 += 296` on every
 * path), found by a forward data flow over the body on the flat lattice "unchanged / changed by c /
 * anything". Its exit tests are the conditional jumps that run on every iteration (they dominate the
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
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';
import { successorSlots } from './back-edges.js';
import { edgeRelation } from './branch.js';
import { binary, constant, low32, S64_MAX, S64_MIN, sync, U64_MAX, valuesOf, type Scalar } from './scalar.js';
import type { State } from './state.js';
import type { Value } from './value.js';

/** A conditional jump run on every iteration that compares an induction variable with a constant and leaves the loop on one edge. */
export interface ExitTest {
  readonly pc: number;
  /** The register compared (an induction variable). */
  readonly reg: number;
  /** Its change since the head when the test runs (the same on every path from the head). */
  readonly delta: bigint;
  /** The relation under which the loop goes on (`reg REL bound` on the edge staying in the loop). */
  readonly rel: string;
  readonly bound: bigint;
  readonly width: 32 | 64;
}

/** A loop with basic induction variables. */
export interface TripLoop {
  readonly head: number;
  /** The loop's slots (head included). */
  readonly body: ReadonlySet<number>;
  /** Per register, its exact change per iteration (undefined: not an induction variable; 0n: unchanged). */
  readonly step: readonly (bigint | undefined)[];
  readonly tests: readonly ExitTest[];
}

/** A register's change since the loop head: a constant, or TOP (anything). */
type Delta = bigint | typeof TOP_DELTA;
const TOP_DELTA = 'top';

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
  ins.set(head, new Array<Delta>(11).fill(0n));
  const work = [head];
  const queued = new Set<number>(work);
  const outs = new Map<number, Delta[]>();
  while (work.length > 0) {
    const pc = work.pop()!;
    queued.delete(pc);
    const o = transfer(insns[pc]!, ops[pc]!, ins.get(pc)!);
    outs.set(pc, o);
    for (const s of succ(pc)) {
      if (!body.has(s) || s === head) continue;
      const old = ins.get(s);
      const j = old === undefined ? o : old.map((d, r) => joinDelta(d, o[r]!));
      if (old !== undefined && j.every((d, r) => d === old[r])) continue;
      ins.set(s, j);
      if (!queued.has(s)) {
        queued.add(s);
        work.push(s);
      }
    }
  }
  const step: (bigint | undefined)[] = new Array<bigint | undefined>(11).fill(undefined);
  for (let r = 0; r < 11; r++) {
    let d: Delta | undefined;
    for (const src of back) {
      const o = outs.get(src);
      if (o === undefined) return undefined;
      d = d === undefined ? o[r]! : joinDelta(d, o[r]!);
    }
    step[r] = d === TOP_DELTA ? undefined : d;
  }
  const tests: ExitTest[] = [];
  for (const t of [...body].sort((a, b) => a - b)) {
    const op = ops[t]!;
    if (op.kind !== 'jcond' || op.source !== 'imm') continue;
    const i = insns[t]!;
    const target = branchTarget(op, i, t)!;
    const takenStays = body.has(target);
    const fallStays = body.has(t + 1);
    if (takenStays === fallStays) continue;
    const s = step[i.dst];
    const d = ins.get(t)?.[i.dst];
    if (s === undefined || s === 0n || d === undefined || d === TOP_DELTA) continue;
    if (!back.every((src) => dominates(t, head, src, body, succ))) continue;
    tests.push({ pc: t, reg: i.dst, delta: d, rel: edgeRelation(op.cond, takenStays), bound: BigInt(i.imm), width: op.width });
  }
  if (tests.length === 0) return undefined;
  return { head, body, step, tests };
}

function joinDelta(a: Delta, b: Delta): Delta {
  return a === b ? a : TOP_DELTA;
}

/** Each register's change after one instruction: 64-bit `+=` / `-=` of a constant moves it, any other write makes it anything. */
function transfer(i: Insn, op: Operation, d: readonly Delta[]): Delta[] {
  const o = d.slice();
  switch (op.kind) {
    case 'alu': {
      if (op.op === 'mov' && op.source === 'reg' && i.src === i.dst && op.width === 64) break;
      const cur = o[i.dst]!;
      if ((op.op === 'add' || op.op === 'sub') && op.source === 'imm' && op.width === 64 && cur !== TOP_DELTA) {
        o[i.dst] = op.op === 'add' ? cur + BigInt(i.imm) : cur - BigInt(i.imm);
      } else o[i.dst] = TOP_DELTA;
      break;
    }
    case 'neg':
    case 'movsx':
    case 'end':
    case 'lddw':
    case 'ldx':
      o[i.dst] = TOP_DELTA;
      break;
    case 'atomic':
      if (op.fetch || op.op === 'xchg') o[i.src] = TOP_DELTA;
      if (op.op === 'cmpxchg') o[0] = TOP_DELTA;
      break;
    case 'call':
    case 'callx':
    case 'ldabs':
    case 'ldind':
      for (let r = 0; r <= 5; r++) o[r] = TOP_DELTA;
      break;
    default:
      break;
  }
  return o;
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
  let k: bigint | undefined;
  for (const t of loop.tests) {
    const start = entry.regs[t.reg]!;
    if (start.type !== 'scalar') continue;
    const n = lastIteration(t, loop.step[t.reg]!, start.scalar);
    if (n !== undefined && (k === undefined || n < k)) k = n;
  }
  if (k === undefined) return s;
  let regs: Value[] | undefined;
  for (let r = 0; r < 10; r++) {
    const step = loop.step[r];
    if (step === undefined || step === 0n) continue;
    const cur = s.regs[r]!;
    const v = narrowValue(cur, entry.regs[r]!, step * k);
    if (v === cur) continue;
    regs ??= s.regs.slice();
    regs[r] = v;
  }
  return regs === undefined ? s : { ...s, regs };
}

/** `cur` met with `start + [0, span]` (span negative for a falling variable), when both are the same kind of value. */
function narrowValue(cur: Value, start: Value, span: bigint): Value {
  const lo = span < 0n ? span : 0n;
  const hi = span < 0n ? 0n : span;
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
