/**
 * Loop termination. For each back edge (a retreating edge of back-edges.ts), the loop's body (the natural loop) is searched for an exit
 * test that runs on every iteration and compares a register that moves strictly toward the test's
 * bound by at least one each iteration (`i += 1` against `i < n`, a pointer stepping toward
 * `data_end`...). The iteration count follows from the register's value on loop entry and the bound;
 * a loop with no such test, or whose count times its length exceeds the kernel's one-million
 * instruction budget, is reported.
 * @module
 */
import { branchTarget } from '../../isa/operation.js';
import { edgeRelation } from './branch.js';
import { dominates, tripBound } from './trip-count.js';
import { rankedIterations } from './relations.js';
import type { Env } from './env.js';
import type { ProgramShape } from './fixpoint.js';
import { low32, type Scalar } from './scalar.js';
import type { Value } from './value.js';
import type { State } from './state.js';

/** The kernel's verification budget, in instructions (BPF_COMPLEXITY_LIMIT_INSNS). */
export const COMPLEXITY_LIMIT = 1_000_000;

/** A loop proved to terminate. */
export interface LoopFact {
  /** Slot of the loop head (the back edge's target). */
  readonly head: number;
  /** Slot of the instruction whose edge to the head closes the loop (a jump, or a fall-through into the head). */
  readonly backEdge: number;
  /** Slot of the exit test that bounds it (-1 for a backward jump that is not a loop). */
  readonly test: number;
  /** Upper bound of the number of iterations. */
  readonly maxIterations: bigint;
}

/** What the loop check needs from a function's checking pass. */
export interface LoopInput {
  /** Register values before each slot of the function. */
  readonly regsAt: Map<number, readonly Value[]>;
  /** The state entering each loop head from outside the loop (forward edges). */
  readonly entryOf: Map<number, State>;
  readonly start: number;
  readonly end: number;
}

/** Start of the reason given when a loop's iteration count is known and too large (no need to run it). */
const TOO_MANY = 'it may run';

/** Delta of a register from its value at the loop head, as [lo, hi], or undefined (unknown). */
type Delta = readonly [bigint, bigint] | undefined;

/** Check every back edge of one function; report loops not proved to terminate. */
export function checkLoops(shape: ProgramShape, input: LoopInput, env: Env, unroll: (head: number, body: ReadonlySet<number>, entries: readonly (readonly [number, number])[]) => bigint | string): LoopFact[] {
  const { insns, ops } = shape;
  const facts: LoopFact[] = [];
  const succ = (pc: number): number[] => {
    const op = ops[pc]!;
    const t = branchTarget(op, insns[pc]!, pc);
    if (op.kind === 'exit') return [];
    if (op.kind === 'ja') return [t!];
    const next = pc + (op.kind === 'lddw' ? 2 : 1);
    if (op.kind === 'jcond') return [next, t!];
    return [next];
  };
  const reached = [...input.regsAt.keys()].sort((a, b) => a - b);
  const preds = new Map<number, number[]>();
  for (const pc of reached) {
    for (const s of succ(pc)) {
      const list = preds.get(s);
      if (list === undefined) preds.set(s, [pc]);
      else list.push(pc);
    }
  }
  // the retreating edges of this function (back-edges.ts), by the slot taking them
  const closing = shape.backEdges.filter(([src]) => src >= input.start && src < input.end).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [src, head] of closing) {
    if (!input.regsAt.has(src) || !input.regsAt.has(head)) continue;
    let verdict = proveLoop(shape, input, head, src, succ, preds);
    if (typeof verdict === 'string' && !verdict.startsWith(TOO_MANY)) verdict = byInduction(shape, input, head, src) ?? verdict;
    if (typeof verdict === 'string' && !verdict.startsWith(TOO_MANY)) verdict = byRanking(shape, input, head, src) ?? verdict;
    if (typeof verdict === 'string' && !verdict.startsWith(TOO_MANY)) {
      // no induction variable found: run the body iteration by iteration, as the kernel would
      const body = naturalLoop(head, src, preds, succ, input.regsAt)!;
      const entries: [number, number][] = [];
      // edges into the loop from slots the loop cannot reach (the other back edges of a head are not entries)
      const inner = reachableFrom(head, succ, input.regsAt);
      for (const to of body) for (const from of preds.get(to) ?? []) if (!inner.has(from)) entries.push([from, to]);
      if (inner.has(input.start)) entries.push([-1, input.start]); // the function's entry is inside the loop
      const k = unroll(head, body, entries);
      if (typeof k === 'bigint') verdict = { head, backEdge: src, test: -1, maxIterations: k };
      else verdict = `${verdict}; ${k}`;
    }
    if (typeof verdict === 'string') {
      env.report(src, 'unbounded-loop', `infinite loop detected at insn ${head}: back-edge from insn ${src} to ${head}, and ${verdict}`);
    } else {
      facts.push(verdict);
    }
  }
  return facts;
}

/**
 * The iteration count from the loop's induction variables (trip-count.ts: an exit test on every
 * iteration comparing a variable that moves by a constant, on every path, with a constant; `!=` with
 * any step that meets the bound exactly), from the state entering the loop.
 */
function byInduction(shape: ProgramShape, input: LoopInput, head: number, src: number): LoopFact | string | undefined {
  const loop = shape.tripLoops.get(head);
  const entry = input.entryOf.get(head);
  if (loop === undefined || entry === undefined) return undefined;
  const bound = tripBound(loop, entry);
  const best: LoopFact | undefined = bound === undefined ? undefined : { head, backEdge: src, test: bound.test, maxIterations: bound.last + 1n };
  if (best !== undefined && best.maxIterations * BigInt(loop.body.size) > BigInt(COMPLEXITY_LIMIT)) {
    return `${TOO_MANY} ${best.maxIterations} times over ${loop.body.size} instructions, more than the ${COMPLEXITY_LIMIT}-instruction complexity limit`;
  }
  return best;
}

/**
 * The iteration count from a ranking function of the loop (relations.ts: a register or its low half
 * that every path around the loop lowers without wrapping), from the state entering the loop.
 */
function byRanking(shape: ProgramShape, input: LoopInput, head: number, src: number): LoopFact | string | undefined {
  const rankings = shape.inductions.at(head)?.relations?.rankings ?? [];
  const entry = input.entryOf.get(head);
  if (rankings.length === 0 || entry === undefined) return undefined;
  let best: bigint | undefined;
  for (const r of rankings) {
    const k = rankedIterations(r, entry.regs);
    if (k !== undefined && (best === undefined || k < best)) best = k;
  }
  if (best === undefined) return undefined;
  const size = BigInt(shape.slotsOf(head).slots.size);
  if (best * size > BigInt(COMPLEXITY_LIMIT)) return `${TOO_MANY} ${best} times over ${size} instructions, more than the ${COMPLEXITY_LIMIT}-instruction complexity limit`;
  return { head, backEdge: src, test: -1, maxIterations: best };
}

function proveLoop(
  shape: ProgramShape,
  input: LoopInput,
  head: number,
  src: number,
  succ: (pc: number) => number[],
  preds: Map<number, number[]>,
): LoopFact | string {
  const { insns, ops } = shape;
  // a backward jump is a loop only when walking back from the jump meets its target
  const body = naturalLoop(head, src, preds, succ, input.regsAt);
  if (body === undefined) return { head, backEdge: src, test: -1, maxIterations: 1n };
  const ordered = [...body].sort((a, b) => a - b);
  const deltas = deltaAnalysis(shape, input, head, ordered, body, succ);
  let reason = 'no exit test of the loop runs on every iteration';
  for (const t of ordered) {
    const op = ops[t]!;
    if (op.kind !== 'jcond') continue;
    const i = insns[t]!;
    const target = branchTarget(op, i, t)!;
    const next = t + 1;
    const takenExits = !body.has(target);
    const fallExits = !body.has(next);
    if (takenExits === fallExits) continue;
    if (!dominates(t, head, src, body, succ)) continue;
    reason = 'no register tested on exit moves strictly toward its bound on every iteration';
    const rel = edgeRelation(op.cond, takenExits);
    const back = deltas.out.get(src);
    const atTest = deltas.in.get(t);
    if (back === undefined || atTest === undefined) continue;
    const regs = input.regsAt.get(t)!;
    const entry = input.entryOf.get(head)?.regs;
    if (entry === undefined) continue;
    const candidates: { v: number; rel: string; bound: Value | undefined; boundImm: bigint | undefined; boundReg: number }[] = [
      { v: i.dst, rel, bound: op.source === 'reg' ? regs[i.src] : undefined, boundImm: op.source === 'imm' ? BigInt(i.imm) : undefined, boundReg: op.source === 'reg' ? i.src : -1 },
    ];
    if (op.source === 'reg') candidates.push({ v: i.src, rel: swap(rel), bound: regs[i.dst], boundImm: undefined, boundReg: i.dst });
    for (const c of candidates) {
      const step = back[c.v];
      const dt = atTest[c.v];
      if (step === undefined || dt === undefined) continue;
      if (c.boundReg >= 0) {
        const bs = back[c.boundReg];
        if (bs === undefined || bs[0] !== 0n || bs[1] !== 0n) continue; // the bound must not move
      }
      const start = entry[c.v]!;
      const trips = tripCount(c.rel, step, dt, start, c.bound, c.boundImm, op.width);
      if (trips === undefined) continue;
      if (trips * BigInt(body.size) > BigInt(COMPLEXITY_LIMIT)) {
        return `${TOO_MANY} ${trips} times over ${body.size} instructions, more than the ${COMPLEXITY_LIMIT}-instruction complexity limit`;
      }
      return { head, backEdge: src, test: t, maxIterations: trips };
    }
  }
  return reason;
}

/**
 * The loop of a back edge: slots reachable from the head that reach the back edge without passing the
 * head; undefined when no path from the head reaches the back edge (a backward jump that is not a loop).
 * For a loop entered only through its head this is the natural loop; clang also rotates loops so that
 * they are entered in the middle (`goto test; body: ...; test: if ... goto body`), and the slots before
 * that entry are then not part of the loop.
 */
function naturalLoop(head: number, src: number, preds: Map<number, number[]>, succ: (pc: number) => number[], reached: ReadonlyMap<number, unknown>): Set<number> | undefined {
  const fromHead = reachableFrom(head, succ, reached);
  if (!fromHead.has(src)) return undefined;
  const body = new Set<number>([head]);
  const todo = [src];
  let closes = head === src;
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (body.has(pc)) {
      if (pc === head) closes = true;
      continue;
    }
    if (!fromHead.has(pc)) continue;
    body.add(pc);
    for (const p of preds.get(pc) ?? []) todo.push(p);
  }
  return closes ? body : undefined;
}

/** The reached slots reachable from `head`. */
function reachableFrom(head: number, succ: (pc: number) => number[], reached: ReadonlyMap<number, unknown>): Set<number> {
  const seen = new Set<number>();
  const todo = [head];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (seen.has(pc) || !reached.has(pc)) continue;
    seen.add(pc);
    for (const s of succ(pc)) todo.push(s);
  }
  return seen;
}

function swap(rel: string): string {
  const m: Record<string, string> = { ugt: 'ult', uge: 'ule', ult: 'ugt', ule: 'uge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', eq: 'eq', ne: 'ne', set: 'set', unset: 'unset' };
  return m[rel]!;
}

/** Iterations before `v REL bound` holds, when v moves by `step` per iteration; undefined if not provable. */
function tripCount(rel: string, step: readonly [bigint, bigint], dt: readonly [bigint, bigint], start: Value, bound: Value | undefined, imm: bigint | undefined, width: 32 | 64): bigint | undefined {
  const increasing = step[0] >= 1n;
  const decreasing = step[1] <= -1n;
  if (!increasing && !decreasing) return undefined;
  const signed = rel.startsWith('s');
  // range of the tested value on the first iteration, and of the bound
  let first: { min: bigint; max: bigint };
  let k: { min: bigint; max: bigint };
  if (start.type === 'packet' && bound?.type === 'packet_end') {
    if (!increasing) return undefined;
    first = { min: BigInt(start.lo) + dt[0], max: BigInt(start.hi) + dt[1] };
    k = { min: 0n, max: 0xffffn };
  } else {
    if (start.type !== 'scalar') return undefined;
    const view = (s: Scalar): Scalar => (width === 32 ? low32(s) : s);
    const s = view(start.scalar);
    first = signed ? { min: s.smin + dt[0], max: s.smax + dt[1] } : { min: s.umin + dt[0], max: s.umax + dt[1] };
    if (imm !== undefined) {
      const v = width === 32 ? (signed ? BigInt.asIntN(32, imm) : BigInt.asUintN(32, imm)) : signed ? imm : BigInt.asUintN(64, imm);
      k = { min: v, max: v };
    } else if (bound?.type === 'scalar') {
      const b = view(bound.scalar);
      k = signed ? { min: b.smin, max: b.smax } : { min: b.umin, max: b.umax };
    } else return undefined;
  }
  const limit = width === 32 ? (signed ? (1n << 31n) - 1n : (1n << 32n) - 1n) : signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  if (increasing && (rel === 'ugt' || rel === 'uge' || rel === 'sgt' || rel === 'sge')) {
    if (k.max >= limit) return undefined;
    if (!signed && first.min < 0n) return undefined;
    const dist = k.max - first.min;
    return dist < 0n ? 1n : dist / step[0] + 2n;
  }
  if (decreasing && (rel === 'ult' || rel === 'ule' || rel === 'slt' || rel === 'sle')) {
    const floor = signed ? -limit - 1n : 0n;
    if (k.min <= floor) return undefined;
    // an unsigned value that may step below 0 on the way in wraps to the top: the count is that of the largest
    const top = !signed && first.min < 0n ? limit : first.max;
    const dist = top - k.min;
    return dist < 0n ? 1n : dist / -step[1] + 2n;
  }
  if (rel === 'eq' && k.min === k.max) {
    if (step[0] === 1n && step[1] === 1n && first.max <= k.min && (signed || first.min >= 0n)) return k.min - first.min + 1n;
    if (step[0] === -1n && step[1] === -1n && first.min >= k.min) return first.max - k.min + 1n;
  }
  return undefined;
}

/**
 * For each slot of the loop body, each register's change since the loop head, following only
 * additions and subtractions of known amounts (anything else makes it unknown).
 */
function deltaAnalysis(
  shape: ProgramShape,
  input: LoopInput,
  head: number,
  ordered: readonly number[],
  body: Set<number>,
  succ: (pc: number) => number[],
): { in: Map<number, Delta[]>; out: Map<number, Delta[]> } {
  const { insns, ops } = shape;
  const ins = new Map<number, Delta[]>();
  const outs = new Map<number, Delta[]>();
  ins.set(head, new Array<Delta>(11).fill([0n, 0n]));
  const join = (a: Delta[] | undefined, b: Delta[]): Delta[] =>
    a === undefined ? b : a.map((x, r) => {
      const y = b[r];
      if (x === undefined || y === undefined) return undefined;
      return [x[0] < y[0] ? x[0] : y[0], x[1] > y[1] ? x[1] : y[1]] as const;
    });
  // slots in order: forward edges only inside the body (inner loops make their registers unknown)
  for (let round = 0; round < 2; round++) {
    for (const pc of ordered) {
      const d = ins.get(pc);
      if (d === undefined) continue;
      const o = d.slice();
      const op = ops[pc]!;
      const i = insns[pc]!;
      const regs = input.regsAt.get(pc);
      const set = (r: number, v: Delta): void => {
        o[r] = v;
      };
      switch (op.kind) {
        case 'alu': {
          const cur = o[i.dst];
          if (op.op === 'mov' && op.source === 'reg' && i.src === i.dst && op.width === 64) break;
          if ((op.op === 'add' || op.op === 'sub') && cur !== undefined) {
            let amount: readonly [bigint, bigint] | undefined;
            if (op.source === 'imm') amount = [BigInt(i.imm), BigInt(i.imm)];
            else {
              const v = regs?.[i.src];
              if (v?.type === 'scalar' && v.scalar.smin > -(1n << 40n) && v.scalar.smax < 1n << 40n) amount = [v.scalar.smin, v.scalar.smax];
            }
            if (amount !== undefined) {
              set(i.dst, op.op === 'add' ? [cur[0] + amount[0], cur[1] + amount[1]] : [cur[0] - amount[1], cur[1] - amount[0]]);
              break;
            }
          }
          set(i.dst, undefined);
          break;
        }
        case 'neg':
        case 'movsx':
        case 'end':
        case 'lddw':
        case 'ldx':
          set(i.dst, undefined);
          break;
        case 'atomic':
          if (op.fetch || op.op === 'xchg') set(i.src, undefined);
          if (op.op === 'cmpxchg') set(0, undefined);
          break;
        case 'call':
        case 'callx':
        case 'ldabs':
        case 'ldind':
          for (let r = 0; r <= 5; r++) set(r, undefined);
          break;
        default:
          break;
      }
      outs.set(pc, o);
      for (const s of succ(pc)) {
        if (!body.has(s) || s === head) continue;
        if (s <= pc) {
          // an inner loop: everything it changes is unknown; keep it simple
          ins.set(s, new Array<Delta>(11).fill(undefined));
          continue;
        }
        ins.set(s, join(ins.get(s), o));
      }
    }
  }
  return { in: ins, out: outs };
}
