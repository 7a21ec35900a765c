/**
 * Where a function's fast copy checks the budget (a pass of the code generator, over its flow graph).
 * Check points are the entry, the header of every loop (outer loops included) and the blocks after a
 * local call (the callee spent budget). In a function with loops each check point checks once for the
 * most any path from it charges before the next one (its reach), leaving for the checked copy when the
 * budget is short, so a run that runs out does so there at the interpreter's pc and count; every other
 * block only adds its charge. So a loop's iteration costs one compare, whatever its shape. Innermost
 * loops whose trip count a guard bounds (loop-bound.ts) check once per entry, for their iterations
 * and the path from their exits to the next check point, charged by their induction variable where
 * they can be (trip-charge.ts). The loops versioned with guards of their own (counted and chunked
 * loops) check every block, their exits being check points, and so do functions without loops. Also
 * which accesses may leave for the checked copy on a region-cache miss.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { analyzeGraph, innermostLoops, lastPc, outermostLoopOf, type FlowGraph, type GraphAnalysis } from './graph.js';
import { loopBound, type LoopBound } from './loop-bound.js';
import { chunkedLoop, countedLoop, MIN_HOISTED_SIBLING, type LoopContext } from './loop-shapes.js';
import { tripCharge, type TripBlock, type TripCharge } from './trip-charge.js';

/** Fewest blocks on a checkpoint's longest path to the next one for it to check for all of them at once. */
const MIN_CHECKED_CHAIN = 4;
/** Most one iteration of a bounded loop may charge, so that the guard's product stays exact (see loop-bound.ts). */
const MAX_BOUNDED_COST = 2 ** 21;
/**
 * A checked copy's start label packs the dispatch label (below 2^17) and a resume point: k for the
 * block's k-th resume point (0: the block's start).
 */
export const RESUME_SHIFT = 17;
/** Most instructions from a block's start to a resume point. */
export const MAX_RESUME_OFFSET = 2 ** (31 - RESUME_SHIFT) - 2;

/** An innermost loop whose budget is charged once per entry: its bound, nodes and the most one iteration charges. */
export interface BoundedLoop {
  readonly bound: LoopBound;
  readonly body: readonly number[];
  readonly cost: number;
  /** The most any path from its exits charges before the next check (its guard asks for that too). */
  readonly after: number;
  /** Its charges recovered from the induction variable (trip-charge.ts), when they are uniform. */
  readonly trip: TripCharge | undefined;
}

/** What the plan reads of a function being compiled. */
export interface CheckPlanSource {
  readonly graph: FlowGraph;
  /** Graph node to block index (negative: a switch edge, no block). */
  readonly nodes: readonly number[];
  /** The function's instructions, blocks and the slots no run may reach, as the loop analyses see them. */
  readonly loopContext: LoopContext;
  /** The node ends in a switch compiled as a table. */
  isSwitch(node: number): boolean;
  /** The registers block `b`'s if-converted block writes, when it has one. */
  converted(block: number): readonly number[] | undefined;
  /** The most a node charges. */
  cost(node: number): number;
  /** The node's block ends with a local call. */
  endsInLocalCall(node: number): boolean;
  /** The instruction at `pc` is an access whose miss may resume in the checked copy (not one checked at compile time). */
  resumable(pc: number, op: Operation, insn: Insn): boolean;
}

/** Where the fast copy checks, and what it leaves for the checked copy. */
export interface CheckPlan {
  /** Per node: 0 check this block; 1 a checkpoint that checks for its chain, with an exit; 2 no check. */
  readonly mode: Uint8Array;
  /** Per node: the most any path from it charges until the next check. */
  readonly reach: Float64Array;
  /** The loops charged once per entry, by header node. */
  readonly bounded: ReadonlyMap<number, BoundedLoop>;
  /** The nodes of bounded loops charged from their induction variable, with their loop and their charge. */
  readonly tripOf: ReadonlyMap<number, { readonly trip: TripCharge; readonly block: TripBlock }>;
  /** Some nodes charge without checking (so the budget's readers flush the deferred charges). */
  readonly deferred: boolean;
  /** Per node: 1 when no deferred charge reaches it (every predecessor checks its own charge), so it need not flush. */
  readonly settled: Uint8Array;
  /** The accesses whose miss may leave for the checked copy: pc to its ordinal among its block's. */
  readonly deopt: ReadonlyMap<number, number>;
}

/**
 * Where the fast copy checks the budget: the entry, loop headers and the blocks after a local call
 * (the callee spent budget). Elsewhere it only subtracts; a check asks for the most that any path
 * can charge until the next check, so that no block in between could have run out.
 */
export function planChecks(src: CheckPlanSource, noCheckedCopy: boolean): CheckPlan {
  const graph = src.graph;
  const a = analyzeGraph(graph);
  const n = graph.count;
  const cp = new Uint8Array(n);
  cp[graph.entry] = 1;
  const succ = (x: number): number[] => {
    const t = graph.term[x]!;
    if (t.kind === 'goto') return t.to >= 0 ? [t.to] : [];
    if (t.kind === 'cond') return [t.taken, t.fall].filter((y) => y >= 0);
    if (t.kind === 'table') return [...new Set([...t.targets, t.fallback])];
    return [];
  };
  const header = new Uint8Array(n);
  for (const x of a.order) {
    const callEnds = src.endsInLocalCall(x);
    for (const y of succ(x)) {
      if (a.rpo[y]! <= a.rpo[x]!) header[y] = cp[y] = 1;
      if (callEnds) cp[y] = 1;
    }
  }
  // The loops versioned with their own guards (counted and chunked loops) check every block; the
  // blocks after them check again (for the longest path to the next check, below).
  const versioned = new Uint8Array(n);
  if (!noCheckedCopy) {
    for (const { header: h, body } of innermostLoops(graph, a)) {
      const bi = src.nodes[h]!;
      if (bi < 0 || !versionedLoop(src, bi)) continue;
      versioned[h] = 1;
      const inLoop = new Set(body);
      for (const x of body) for (const y of succ(x)) if (!inLoop.has(y)) cp[y] = 1;
    }
  }
  const reach = new Float64Array(n);
  for (let k = a.order.length - 1; k >= 0; k--) {
    const x = a.order[k]!;
    let more = 0;
    for (const y of succ(x)) if (a.rpo[y]! > a.rpo[x]! && cp[y] === 0) more = Math.max(more, reach[y]!);
    reach[x] = src.cost(x) + more;
  }
  const mode = new Uint8Array(n); // 0: check this block; 1: checkpoint with exit; 2: no check
  // Innermost loops whose body is a chain of at least MIN_CHECKED_CHAIN blocks check at their header
  // even when they could be versioned (a chunked loop of that many blocks stays unversioned). Not in a
  // function too big for the checked copy's dispatch loop (see MAX_DISPATCH_NODES).
  const chain = new Int32Array(n);
  const inBody = new Int32Array(n).fill(-1);
  for (const { header: h, body } of noCheckedCopy ? [] : innermostLoops(graph, a)) {
    for (const x of body) inBody[x] = h;
    for (let k = body.length - 1; k >= 0; k--) {
      const x = body[k]!;
      let more = 0;
      for (const y of succ(x)) if (y !== h && inBody[y] === h && a.rpo[y]! > a.rpo[x]!) more = Math.max(more, chain[y]!);
      chain[x] = 1 + more;
    }
    if (chain[h]! >= MIN_CHECKED_CHAIN) mode[h] = 1;
  }
  // Innermost loops whose trip count a guard at their entry bounds (loop-bound.ts): no budget check
  // inside; their exits check again.
  // Their guards also ask for the longest path from their exits to the next check, so the blocks
  // after them check nothing either.
  const bounded = noCheckedCopy ? new Map<number, BoundedLoop>() : boundedLoops(src, a, succ, versioned, cp, reach);
  for (const [h, { body }] of bounded) {
    for (const x of body) mode[x] = 2;
    cp[h] = 1;
  }
  // Every other check point (the entry, a loop header of any loop, a block after a local call) checks
  // once for the longest path to the next one, in functions with loops: one compare per iteration
  // rather than one per block. Not the headers of the versioned loops.
  if (!noCheckedCopy && header.includes(1)) {
    for (const x of a.order) {
      if (cp[x] !== 1 || mode[x] !== 0 || src.nodes[x]! < 0 || versioned[x] === 1) continue;
      mode[x] = 1;
    }
  }
  const checked = new Uint8Array(n);
  for (const x of a.order) {
    if (cp[x] === 1 && mode[x] === 0) checked[x] = 1;
    if (checked[x] === 1) for (const y of succ(x)) if (a.rpo[y]! > a.rpo[x]! && cp[y] === 0) checked[y] = 1;
  }
  for (const x of a.order) if (cp[x] === 0 && checked[x] === 0) mode[x] = 2;
  for (const { body } of bounded.values()) for (const x of body) mode[x] = 2;
  const tripOf = new Map<number, { readonly trip: TripCharge; readonly block: TripBlock }>();
  for (const { trip } of bounded.values()) if (trip !== undefined) for (const [x, block] of trip.blocks) tripOf.set(x, { trip, block });
  const deopt = noCheckedCopy ? new Map<number, number>() : deoptPcs(src, a);
  // Deferred charges come only from nodes that do not check their own (checkpoints charge after their
  // check, the others only add), so a node all of whose predecessors check theirs has none to flush.
  const settled = new Uint8Array(n).fill(1);
  for (const x of a.order) if (mode[x] !== 0) for (const y of succ(x)) settled[y] = 0;
  return { mode, reach, bounded, tripOf, deferred: mode.some((m) => m !== 0), settled, deopt };
}

/**
 * The innermost loops (by header) whose entry guard bounds their budget (see loop-bound.ts), with
 * their nodes and the most one iteration charges. Loops the counted or chunked versioning handles
 * keep their own guards.
 */
function boundedLoops(
  src: CheckPlanSource,
  a: GraphAnalysis,
  succ: (x: number) => number[],
  versioned: Uint8Array,
  cp: Uint8Array,
  reach: Float64Array,
): Map<number, BoundedLoop> {
  const graph = src.graph;
  const out = new Map<number, BoundedLoop>();
  for (const { header: h, body } of innermostLoops(graph, a)) {
    const bi = src.nodes[h]!;
    if (bi < 0 || src.isSwitch(h) || versioned[h] === 1) continue;
    const bound = loopBound({
      insns: src.loopContext.insns,
      ops: src.loopContext.ops,
      header: h,
      body,
      rpo: a.rpo,
      idom: a.idom,
      succ,
      cond: (x) => {
        const t = graph.term[x]!;
        const b = src.nodes[x]!;
        return t.kind === 'cond' && b >= 0 && !src.isSwitch(x) ? { pc: lastPc(src.loopContext.insns, src.loopContext.blocks[b]!), taken: t.taken, fall: t.fall } : undefined;
      },
      slots: (x) => {
        const b = src.nodes[x]!;
        return b >= 0 ? { from: src.loopContext.blocks[b]!.start, to: src.loopContext.blocks[b]!.end } : undefined;
      },
      extraWrites: (x) => {
        const b = src.nodes[x]!;
        return b >= 0 ? (src.converted(b) ?? []) : [];
      },
    });
    // Only constant steps: a register step costs the guard two more tests and masks on every entry,
    // and the loops that have one are short searches (shell sort's `j -= gap`: 1.38x the time with it).
    if (bound === undefined || bound.delta.coeffs.size > 0) continue;
    // The most one iteration charges: the longest path from the header through the body.
    const inLoop = new Set(body);
    const len = new Map<number, number>();
    for (let k = body.length - 1; k >= 0; k--) {
      const x = body[k]!;
      let more = 0;
      for (const y of succ(x)) if (y !== h && inLoop.has(y) && a.rpo[y]! > a.rpo[x]!) more = Math.max(more, len.get(y)!);
      len.set(x, src.cost(x) + more);
    }
    const cost = len.get(h)!;
    let after = 0;
    for (const x of body) for (const y of succ(x)) if (!inLoop.has(y) && cp[y] === 0) after = Math.max(after, reach[y]!);
    if (cost >= MAX_BOUNDED_COST || after >= MAX_BOUNDED_COST) continue;
    // Charges from the induction variable: not with if-converted blocks (their charge depends on
    // the condition) nor packet loads (the packet import may end the run and read the budget).
    const plain = body.every((x) => {
      const b = src.nodes[x]!;
      if (b < 0) return true;
      if (src.converted(b) !== undefined) return false;
      for (let pc = src.loopContext.blocks[b]!.start; pc < src.loopContext.blocks[b]!.end; pc++) {
        const k = src.loopContext.ops[pc]!.kind;
        if (k === 'ldabs' || k === 'ldind') return false;
      }
      return true;
    });
    const trip = plain ? tripCharge({ bound, header: h, body, rpo: a.rpo, succ, cost: (x) => src.cost(x) }) : undefined;
    out.set(h, { bound, body, cost, after, trip });
  }
  return out;
}

/** Block `bi` heads a loop the compiler versions with its own guard (a counted or chunked loop). */
function versionedLoop(src: CheckPlanSource, bi: number): boolean {
  return countedLoop(src.loopContext, bi, MIN_HOISTED_SIBLING) !== undefined || chunkedLoop(src.loopContext, bi) !== undefined;
}

/**
 * The accesses whose miss leaves for the checked copy (the compiler's `resumeLabel`):
 * every load, store and atomic, but those checked at compile time, in the blocks of loops that hold
 * no call (a helper or a callee empties the region cache, so the next access would always miss).
 */
function deoptPcs(src: CheckPlanSource, a: GraphAnalysis): Map<number, number> {
  const loop = outermostLoopOf(src.graph, a);
  const withCall = new Set<number>();
  const blockOf = (x: number): BasicBlock | undefined => (src.nodes[x]! >= 0 ? src.loopContext.blocks[src.nodes[x]!] : undefined);
  for (const x of a.order) {
    const b = blockOf(x);
    if (b === undefined || loop[x]! < 0) continue;
    for (let pc = b.start; pc < b.end; pc++) {
      const k = src.loopContext.ops[pc]!.kind;
      if (k === 'call' || k === 'callx') withCall.add(loop[x]!);
    }
  }
  const out = new Map<number, number>();
  for (const x of a.order) {
    const b = blockOf(x);
    if (b === undefined || loop[x]! < 0 || withCall.has(loop[x]!)) continue;
    let bad = false;
    for (let pc = b.start; pc < b.end; pc++) if (src.loopContext.badSlots[pc] === 1) bad = true;
    if (bad) continue;
    let k = 0;
    for (let pc = b.start; pc < b.end && pc - b.start <= MAX_RESUME_OFFSET; pc += src.loopContext.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = src.loopContext.ops[pc]!;
      const i = src.loopContext.insns[pc]!;
      if (!src.resumable(pc, op, i)) continue;
      out.set(pc, ++k);
    }
  }
  return out;
}
