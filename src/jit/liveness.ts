/**
 * Register liveness for the JIT's exits to its checked copy (the dataflow itself:
 * verifier/reg-liveness.ts).
 *
 * The JIT's fast copy leaves for the checked copy at loop headers and at accesses (emit-budget.ts, emit-address.ts), and
 * passes it every register. A register dead where the checked copy resumes is passed as 0 instead, so
 * that its value is not kept alive out of the loop along the exit: without that, every temporary of an
 * iteration stays live across the back edge (a value the exit might pass on), which costs V8 registers
 * and spills in the hot loop.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import { effect, liveRegisters } from '../verifier/reg-liveness.js';

export { liveRegisters };

/**
 * The registers (r0-r9) an exit to the checked copy resuming at `pc` may pass as 0: dead there
 * (`live`: {@link liveRegisters}), not read by the slots from `from` (the start of pc's block) to pc,
 * and not `keep`. The checked copy's lowering of the access at pc may read such registers rather than
 * its address register (an indexed access `reg = B; reg += X; [reg + off]` reads B and X); `keep` is
 * the JIT's indexed base register, whose every write recomputes its bounds.
 */
export function deadRegisters(live: Uint16Array, insns: readonly Insn[], ops: readonly Operation[], from: number, pc: number, keep: number): number[] {
  let m = live[pc]!;
  for (let p = from; p < pc; p += ops[p]!.kind === 'lddw' ? 2 : 1) m |= effect(ops[p]!, insns[p]!, false).use;
  const out: number[] = [];
  for (let r = 0; r < 10; r++) if ((m & (1 << r)) === 0 && r !== keep) out.push(r);
  return out;
}
