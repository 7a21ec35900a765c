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
  return (head) => {
    const known = memo.get(head);
    if (known !== undefined) return known;
    const start = funcOf[head]!;
    const end = funcEnd.get(start)!;
    predsOf(start);
    const forward = new Set<number>();
    const todo = [head];
    while (todo.length > 0) {
      const pc = todo.pop()!;
      if (forward.has(pc)) continue;
      forward.add(pc);
      todo.push(...successorSlots(insns, ops, pc, start, end));
    }
    const slots = new Set<number>();
    todo.push(head);
    while (todo.length > 0) {
      const pc = todo.pop()!;
      if (slots.has(pc) || !forward.has(pc)) continue;
      slots.add(pc);
      todo.push(...predsAt(pc));
    }
    const r = { slots, preds: predsAt, start };
    memo.set(head, r);
    return r;
  };
}
