/**
 * What the backward analyses (liveness.ts, precision.ts) share: the predecessors of every instruction
 * inside its function (an instruction's fall-through, all but `exit` and `ja`, past an `lddw`'s second
 * slot; a jump's target; a local call's target is the callee's entry, not a successor here), and a
 * worklist that runs a backward dataflow problem to its fixpoint.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';

/** `preds[pc]`: the slots from which control reaches slot `pc` (in program order). */
function predecessors(insns: readonly Insn[], ops: readonly Operation[]): number[][] {
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

/**
 * Run a backward problem to its fixpoint. `update(pc)` recomputes the state on entry to `pc` from its
 * state on exit and says whether it changed; `flow(p, pc)` joins `pc`'s entry state into the exit state
 * of its predecessor `p` and says whether that changed (then `p` is visited again). Every slot is
 * visited at least once, and its entry state flows to its predecessors the first time whether or not
 * `update` saw a change. Slots are taken from the end first: a backward problem converges faster so.
 */
export function backwardFixpoint(insns: readonly Insn[], ops: readonly Operation[], update: (pc: number) => boolean, flow: (p: number, pc: number) => boolean): void {
  const n = insns.length;
  const preds = predecessors(insns, ops);
  const todo: number[] = [];
  for (let pc = 0; pc < n; pc++) todo.push(pc);
  const queued = new Uint8Array(n).fill(1);
  const first = new Uint8Array(n).fill(1);
  while (todo.length > 0) {
    const pc = todo.pop()!;
    queued[pc] = 0;
    if (!update(pc) && first[pc] === 0) continue;
    first[pc] = 0;
    for (const p of preds[pc]!) {
      if (flow(p, pc) && queued[p] === 0) {
        queued[p] = 1;
        todo.push(p);
      }
    }
  }
}
