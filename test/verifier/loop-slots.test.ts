/**
 * The cycle slots of each loop head (src/verifier/analysis/loop-slots.ts, strongly connected components)
 * against their definition, the slots a head reaches that reach it, on the real programs of test/corpus.
 */
import { describe, expect, it } from 'vitest';
import { decodeInsn, slotCount, type Insn } from '../../src/isa/instruction.js';
import { branchTarget, decodeOperation, type Operation } from '../../src/isa/operation.js';
import { successorSlots } from '../../src/verifier/analysis/back-edges.js';
import { loopSlots } from '../../src/verifier/analysis/loop-slots.js';
import { loadedCorpusObjects } from '../corpus/survey.js';

/** Functions as the analysis finds them: the entry and every local call's target. */
function functions(insns: readonly Insn[], ops: readonly Operation[]): { funcOf: Int32Array; funcEnd: Map<number, number> } {
  const starts = new Set([0]);
  for (let pc = 0; pc < insns.length; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
    const op = ops[pc]!;
    if (op.kind === 'call' && op.target === 'local') starts.add(branchTarget(op, insns[pc]!, pc)!);
  }
  const sorted = [...starts].filter((s) => s >= 0 && s < insns.length).sort((a, b) => a - b);
  const funcOf = new Int32Array(insns.length);
  const funcEnd = new Map<number, number>();
  sorted.forEach((s, f) => {
    const e = sorted[f + 1] ?? insns.length;
    funcEnd.set(s, e);
    funcOf.fill(s, s, e);
  });
  return { funcOf, funcEnd };
}

/** The definition: slots reachable from the head from which the head is reachable. */
function reference(insns: readonly Insn[], ops: readonly Operation[], head: number, start: number, end: number): Set<number> {
  const reach = (from: number): Set<number> => {
    const seen = new Set<number>();
    const todo = [from];
    while (todo.length > 0) {
      const pc = todo.pop()!;
      if (seen.has(pc)) continue;
      seen.add(pc);
      todo.push(...successorSlots(insns, ops, pc, start, end));
    }
    return seen;
  };
  const out = new Set<number>([head]);
  for (const pc of reach(head)) if (pc !== head && reach(pc).has(head)) out.add(pc);
  return out;
}

describe('loop slots', () => {
  it('are the slots on a cycle through each backward jump target, in the corpus programs', () => {
    let heads = 0;
    for (const { obj } of loadedCorpusObjects()) {
      for (const p of obj.programs.slice(0, 4)) {
        let bytes: Uint8Array;
        try {
          bytes = obj.program(p.name).program.bytes;
        } catch {
          continue;
        }
        const n = slotCount(bytes);
        if (n > 3000) continue; // the reference is quadratic
        const insns = Array.from({ length: n }, (_, pc) => decodeInsn(bytes, pc));
        const ops = insns.map((i) => decodeOperation(i));
        const { funcOf, funcEnd } = functions(insns, ops);
        const slotsOf = loopSlots(insns, ops, funcOf, funcEnd);
        for (let pc = 0; pc < n; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
          const op = ops[pc]!;
          const t = op.kind === 'ja' || op.kind === 'jcond' ? branchTarget(op, insns[pc]!, pc)! : -1;
          if (t < 0 || t > pc || funcOf[t] !== funcOf[pc] || heads > 60) continue;
          heads++;
          const start = funcOf[t]!;
          expect([...slotsOf(t).slots].sort((a, b) => a - b)).toEqual([...reference(insns, ops, t, start, funcEnd.get(start)!)].sort((a, b) => a - b));
        }
      }
    }
    expect(heads).toBeGreaterThan(20);
  });
});
