/**
 * Register liveness (backward dataflow over the program's slots): which of r0-r9 an instruction at
 * each pc may still read before writing them, on some path from there.
 *
 * The JIT's fast copy leaves for the checked copy at loop headers and at accesses (emit-budget.ts, emit-address.ts), and
 * passes it every register. A register dead where the checked copy resumes is passed as 0 instead, so
 * that its value is not kept alive out of the loop along the exit: without that, every temporary of an
 * iteration stays live across the back edge (a value the exit might pass on), which costs V8 registers
 * and spills in the hot loop.
 *
 * The model is conservative wherever the run's state leaves the function's own code: a call (helper,
 * local, kfunc, callx), an atomic, a packet load (its failure halts the run with the registers saved
 * for the runtime), an invalid slot or a jump out of the program read every register and write none;
 * `exit` reads r0-r5 (a local call's results). r10 is never reported dead.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { branchTarget, type Operation } from '../isa/operation.js';

/** Every register r0-r14 (r11-r14: inlined callees', inline.ts). */
const ALL = 0x7fff;
/** r0-r5: what `exit` hands back (a local call's results). */
const RESULTS = 0x3f;
/** r10, which the checked copy always gets. */
const FP = 1 << 10;

/** The registers read (`use`) and written (`def`) by one slot, as bitmasks. */
interface Effect {
  readonly use: number;
  readonly def: number;
}

function effect(op: Operation, i: Insn, bad: boolean): Effect {
  if (bad) return { use: ALL, def: 0 };
  const d = 1 << i.dst;
  const s = 1 << i.src;
  switch (op.kind) {
    case 'alu':
      if (op.op === 'mov') return { use: op.source === 'reg' ? s : 0, def: d };
      return { use: op.source === 'reg' ? d | s : d, def: d };
    case 'neg':
    case 'end':
      return { use: d, def: d };
    case 'movsx':
      return { use: s, def: d };
    case 'lddw':
      return { use: 0, def: d };
    case 'ldx':
      return { use: s, def: d };
    case 'st':
      return { use: d, def: 0 };
    case 'stx':
      return { use: d | s, def: 0 };
    case 'jcond':
      return { use: op.source === 'reg' ? d | s : d, def: 0 };
    case 'ja':
      return { use: 0, def: 0 };
    case 'exit':
      return { use: RESULTS, def: 0 };
    default:
      return { use: ALL, def: 0 };
  }
}

/**
 * The registers live on entry to each slot (bit r for register r; r10 always set), for a program
 * whose slots `badSlots` marks as not runnable (length: slots + 1, the last for running off the end).
 */
export function liveRegisters(insns: readonly Insn[], ops: readonly Operation[], badSlots: Uint8Array): Uint16Array {
  const n = insns.length;
  const use = new Uint16Array(n);
  const keep = new Uint16Array(n); // registers not written by the slot
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pred: number[][] = Array.from({ length: n }, () => []);
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    const i = insns[pc]!;
    const e = effect(op, i, badSlots[pc] === 1);
    use[pc] = e.use;
    keep[pc] = ALL & ~e.def;
    const to: number[] = [];
    const fall = pc + (op.kind === 'lddw' ? 2 : 1);
    if (op.kind === 'ja' || op.kind === 'jcond') {
      const t = branchTarget(op, i, pc);
      if (t === undefined || t < 0 || t >= n) use[pc] = ALL;
      else to.push(t);
    }
    if (e.use !== ALL && op.kind !== 'ja' && op.kind !== 'exit') {
      if (fall >= n) use[pc] = ALL;
      else to.push(fall);
    }
    succ[pc] = to;
    for (const t of to) pred[t]!.push(pc);
  }
  const live = new Uint16Array(n);
  const queued = new Uint8Array(n);
  const work: number[] = [];
  for (let pc = 0; pc < n; pc++) {
    work.push(pc);
    queued[pc] = 1;
  }
  while (work.length > 0) {
    const pc = work.pop()!;
    queued[pc] = 0;
    let out = 0;
    for (const t of succ[pc]!) out |= live[t]!;
    const inn = use[pc]! | (out & keep[pc]!) | FP;
    if (inn === live[pc]) continue;
    live[pc] = inn;
    for (const p of pred[pc]!) {
      if (queued[p] === 0) {
        queued[p] = 1;
        work.push(p);
      }
    }
  }
  return live;
}

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
