/**
 * The slots of a loop head's cycles: those reachable from the head that reach it again (within its
 * function), computed on first use per head. Enclosing loops' slots count when a path through them
 * returns to the head. Read by the widening thresholds (thresholds.ts) and the induction variables
 * (induction.ts).
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import type { Operation } from '../../isa/operation.js';
import { successorSlots } from './back-edges.js';

/** The cycle slots of a head, and the predecessors (within the function) of every slot. */
export interface LoopSlots {
  /** Slots on a cycle through the head, the head included. */
  readonly slots: ReadonlySet<number>;
  /** Predecessors of a slot within its function. */
  readonly preds: (pc: number) => readonly number[];
  /** The first slot of the function (where its runs enter, whatever its predecessors). */
  readonly start: number;
}

/** A memoised map from loop head to its {@link LoopSlots}. */
export function loopSlots(insns: readonly Insn[], ops: readonly Operation[], funcOf: Int32Array, funcEnd: ReadonlyMap<number, number>): (head: number) => LoopSlots {
  const memo = new Map<number, LoopSlots>();
  const preds = new Map<number, number[]>();
  const done = new Set<number>();
  const predsOf = (start: number): void => {
    if (done.has(start)) return;
    done.add(start);
    const end = funcEnd.get(start)!;
    for (let pc = start; pc < end; pc++) {
      for (const s of successorSlots(insns, ops, pc, start, end)) {
        const list = preds.get(s);
        if (list === undefined) preds.set(s, [pc]);
        else list.push(pc);
      }
      if (ops[pc]!.kind === 'lddw') pc++;
    }
  };
  const predsAt = (pc: number): readonly number[] => preds.get(pc) ?? [];
  // the slots on a cycle through a head are those it reaches that reach it: its strongly connected
  // component, found for every slot of its function at once (Tarjan's algorithm, without recursion)
  const component = new Map<number, Set<number>>();
  const components = (start: number): void => {
    const end = funcEnd.get(start)!;
    const index = new Map<number, number>();
    const low = new Map<number, number>();
    const onStack = new Set<number>();
    const stack: number[] = [];
    let next = 0;
    for (let root = start; root < end; root += ops[root]!.kind === 'lddw' ? 2 : 1) {
      if (index.has(root)) continue;
      const walk: [number, number[], number][] = [[root, successorSlots(insns, ops, root, start, end), 0]];
      index.set(root, next);
      low.set(root, next++);
      stack.push(root);
      onStack.add(root);
      while (walk.length > 0) {
        const top = walk[walk.length - 1]!;
        const [v, succ] = top;
        if (top[2] < succ.length) {
          const w = succ[top[2]++]!;
          if (!index.has(w)) {
            index.set(w, next);
            low.set(w, next++);
            stack.push(w);
            onStack.add(w);
            walk.push([w, successorSlots(insns, ops, w, start, end), 0]);
          } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
          continue;
        }
        walk.pop();
        if (walk.length > 0) {
          const u = walk[walk.length - 1]![0];
          low.set(u, Math.min(low.get(u)!, low.get(v)!));
        }
        if (low.get(v) !== index.get(v)) continue;
        const scc = new Set<number>();
        let w: number;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.add(w);
          component.set(w, scc);
        } while (w !== v);
      }
    }
  };
  return (head) => {
    const known = memo.get(head);
    if (known !== undefined) return known;
    const start = funcOf[head]!;
    predsOf(start);
    if (!component.has(head)) components(start);
    const r = { slots: component.get(head) ?? new Set([head]), preds: predsAt, start };
    memo.set(head, r);
    return r;
  };
}
