/**
 * The predecessors of every instruction inside its function, for the backward analyses (liveness.ts,
 * precision.ts): an instruction's fall-through (all but `exit` and `ja`; past an `lddw`'s second slot)
 * and a jump's target. A local call's target is the callee's entry, not a successor here.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';

/** `preds[pc]`: the slots from which control reaches slot `pc` (in program order). */
export function predecessors(insns: readonly Insn[], ops: readonly Operation[]): number[][] {
  const n = insns.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    const next = pc + (op.kind === 'lddw' ? 2 : 1);
    if (op.kind !== 'exit' && op.kind !== 'ja' && next < n) preds[next]!.push(pc);
    const t = branchTarget(op, insns[pc]!, pc);
    if ((op.kind === 'ja' || op.kind === 'jcond') && t !== undefined && t >= 0 && t < n) preds[t]!.push(pc);
    if (op.kind === 'lddw') pc++;
  }
  return preds;
}
