/**
 * How far into its context a program reaches: the end of its furthest load or store through the
 * context pointer, from the kernel-level analysis's register states. Programs whose context is the
 * caller's own buffer (the syscall type) need one at least this long, as the kernel's test run checks.
 * @module
 */
import { decodeOperation } from '../isa/operation.js';
import type { Insn } from '../isa/instruction.js';
import type { ProgramFacts } from './analysis/index.js';

/**
 * The end (offset + size) of the furthest context access of any reachable load or store, 0 when there
 * is none. `facts` must come from an analysis that accepted the program (every context access then has
 * a constant offset).
 */
export function contextExtent(insns: readonly Insn[], facts: ProgramFacts): number {
  let end = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const regs = facts.regs[pc];
    if (regs === undefined) continue; // never reached
    const i = insns[pc]!;
    const op = decodeOperation(i);
    if (op.kind !== 'ldx' && op.kind !== 'st' && op.kind !== 'stx' && op.kind !== 'atomic') continue;
    const base = regs[op.kind === 'ldx' ? i.src : i.dst];
    if (base?.type === 'ctx') end = Math.max(end, base.hi + i.offset + op.size);
  }
  return end;
}
