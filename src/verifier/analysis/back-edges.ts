/**
 * Loops by control flow, not by layout: the retreating edges of a depth-first walk of each function
 * from its start (an edge to a slot still on the walk's stack). Every cycle of a graph holds one
 * (without them the graph is acyclic), so widening at their targets makes the fixpoint converge; in a
 * reducible graph (what clang emits) they are exactly the back edges whose target dominates their
 * source, the natural loops' heads, and each is a loop whose termination must be proved.
 *
 * A backward jump in pc order is not one in general: clang places a loop's shared tail before its
 * head (`LBB_27: ...; goto head` above the body's `if ... goto LBB_27`), and rotates loops so that the
 * edge closing them jumps forward. Proving every backward jump a loop ran the whole enclosing loop once
 * per tail, its real head inside the "body" widened at every turn so that no run ended (xdp-synproxy's
 * option parser: six tails of one 7-iteration loop, 4 million instructions and no proof).
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';

/** The retreating edges of every function, found once per program. */
export interface BackEdges {
  /** 1 at the target of a retreating edge. */
  readonly loopHead: Uint8Array;
  /** Every retreating edge as `[from, to]`, `from` being the slot of the instruction taking it; in walk order. */
  readonly edges: readonly (readonly [number, number])[];
  /** True when the edge from the instruction at `from` to `to` is a retreating edge. */
  readonly isBack: (from: number, to: number) => boolean;
}

/**
 * The successors, inside `[start, end)`, of the instruction at `pc` (fall-through first, then the
 * jump target; an `lddw` falls through two slots; calls return to the next slot).
 */
export function successorSlots(insns: readonly Insn[], ops: readonly Operation[], pc: number, start: number, end: number): number[] {
  const op = ops[pc]!;
  if (op.kind === 'exit') return [];
  const out: number[] = [];
  const t = branchTarget(op, insns[pc]!, pc);
  if (op.kind === 'ja') {
    if (t !== undefined && t >= start && t < end) out.push(t);
    return out;
  }
  const next = pc + (op.kind === 'lddw' ? 2 : 1);
  if (next < end) out.push(next);
  if (op.kind === 'jcond' && t !== undefined && t >= start && t < end && t !== next) out.push(t);
  return out;
}

/**
 * Walk each function (`starts`: its first slot; it ends where the next one starts, or at the end) depth
 * first, iteratively (no recursion, whatever the program's size), and collect its retreating edges.
 */
export function backEdges(insns: readonly Insn[], ops: readonly Operation[], funcEnd: ReadonlyMap<number, number>): BackEdges {
  const n = insns.length;
  const loopHead = new Uint8Array(n);
  const edges: [number, number][] = [];
  const keys = new Set<number>();
  // 0 unvisited, 1 on the walk's stack, 2 finished
  const color = new Uint8Array(n);
  const stack: number[] = [];
  const next: number[] = []; // per stack entry, the index of the next successor to try
  const succs: number[][] = [];
  for (const [start, end] of funcEnd) {
    if (start < 0 || start >= n || color[start] !== 0) continue;
    color[start] = 1;
    stack.push(start);
    next.push(0);
    succs.push(successorSlots(insns, ops, start, start, end));
    while (stack.length > 0) {
      const top = stack.length - 1;
      const u = stack[top]!;
      const list = succs[top]!;
      const k = next[top]!;
      if (k >= list.length) {
        color[u] = 2;
        stack.pop();
        next.pop();
        succs.pop();
        continue;
      }
      next[top] = k + 1;
      const v = list[k]!;
      if (color[v] === 1) {
        loopHead[v] = 1;
        edges.push([u, v]);
        keys.add(u * n + v);
      } else if (color[v] === 0) {
        color[v] = 1;
        stack.push(v);
        next.push(0);
        succs.push(successorSlots(insns, ops, v, start, end));
      }
    }
  }
  return { loopHead, edges, isBack: (from, to) => keys.has(from * n + to) };
}
