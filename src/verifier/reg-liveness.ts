/**
 * Register liveness (backward dataflow over the program's slots): which of r0-r14 an instruction at
 * each pc may still read before writing them, on some path from there. Shared by the engines: the JIT
 * (jit/liveness.ts: registers an exit to its checked copy may drop) and load combining
 * (verifier/load-combine.ts: partial values of a byte-assembled word that nothing reads after it).
 *
 * The model is conservative wherever the run's state leaves the function's own code: a call (helper,
 * local, kfunc, callx), an atomic, a packet load (its failure halts the run with the registers saved
 * for the runtime), an invalid slot or a jump out of the program read every register and write none;
 * `exit` reads r0-r5 (a local call's results). r10 is never reported dead. r11-r14 are the JIT's
 * inlined callees' registers (jit/inline.ts).
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { branchTarget, type Operation } from '../isa/operation.js';
import { PseudoLoad } from '../isa/opcodes.js';

/** Every register r0-r14 (r11-r14: inlined callees', inline.ts). */
const ALL = 0x7fff;
/** r0-r5: what `exit` hands back (a local call's results). */
const RESULTS = 0x3f;
/** r10, which the checked copy always gets. */
const FP = 1 << 10;

/** The registers read (`use`) and written (`def`) by one slot, as bitmasks. */
export interface Effect {
  readonly use: number;
  readonly def: number;
}

export function effect(op: Operation, i: Insn, bad: boolean): Effect {
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
 * The slots of functions other than the entry: those reachable, without a call, from a local call's
 * target or a function address an `lddw` loads (a callback). Their `exit` hands registers back to a
 * caller (r0-r5, see {@link liveRegisters}); an `exit` only the entry function reaches ends the run and
 * reads r0 alone.
 */
export function calleeSlots(insns: readonly Insn[], ops: readonly Operation[]): Uint8Array {
  const n = ops.length;
  const mark = new Uint8Array(n);
  const work: number[] = [];
  const push = (t: number): void => {
    if (t >= 0 && t < n && mark[t] === 0) {
      mark[t] = 1;
      work.push(t);
    }
  };
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    if (op.kind === 'call' && op.target === 'local') push(pc + insns[pc]!.imm + 1);
    if (op.kind === 'lddw' && insns[pc]!.src === PseudoLoad.FUNC) push(pc + insns[pc]!.imm + 1);
  }
  while (work.length > 0) {
    const pc = work.pop()!;
    const op = ops[pc]!;
    if (op.kind === 'ja' || op.kind === 'jcond') {
      const t = branchTarget(op, insns[pc]!, pc);
      if (t !== undefined) push(t);
    }
    if (op.kind !== 'ja' && op.kind !== 'exit') push(pc + (op.kind === 'lddw' ? 2 : 1));
  }
  return mark;
}

/**
 * The registers live on entry to each slot (bit r for register r; r10 always set), for a program
 * whose slots `badSlots` marks as not runnable (length: slots + 1, the last for running off the end).
 * `exit` reads r0-r5 (a local call's results), or, when `callees` ({@link calleeSlots}) is given, r0
 * alone outside them.
 */
export function liveRegisters(insns: readonly Insn[], ops: readonly Operation[], badSlots: Uint8Array, callees?: Uint8Array): Uint16Array {
  const n = insns.length;
  const use = new Uint16Array(n);
  const keep = new Uint16Array(n); // registers not written by the slot
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pred: number[][] = Array.from({ length: n }, () => []);
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    const i = insns[pc]!;
    const e = op.kind === 'exit' && badSlots[pc] !== 1 && callees !== undefined && callees[pc] !== 1 ? { use: 1, def: 0 } : effect(op, i, badSlots[pc] === 1);
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
