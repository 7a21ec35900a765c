/**
 * Basic blocks of a program. Both engines charge the instruction budget one block at a time, using
 * these blocks, so that a runaway program stops with the same error, at the same pc, whichever engine
 * runs it.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { branchTarget, decodeOperation } from '../isa/operation.js';
import { PseudoLoad } from '../isa/opcodes.js';

/** A maximal straight-line run of instructions. */
export interface BasicBlock {
  /** Slot index of the first instruction. */
  readonly start: number;
  /** Slot index one past the last slot of the block. */
  readonly end: number;
  /** Instructions in the block (an `lddw` counts once although it takes two slots). */
  readonly length: number;
}

/**
 * Slot indexes that start a basic block: slot 0, every jump or local-call target, and the slot after
 * every jump, `exit` and call of any kind (a call may not return to the block: tail calls, unwinding).
 * Targets outside the program are ignored (the verifier reports them).
 */
export function blockLeaders(insns: readonly Insn[]): Uint8Array {
  const n = insns.length;
  const leader = new Uint8Array(n + 1);
  if (n > 0) leader[0] = 1;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc]!;
    const op = decodeOperation(i);
    if (op.kind === 'lddw') {
      // A function pointer's target starts a function (a callback): it starts a block too.
      const t = pc + i.imm + 1;
      if (op.pseudo === PseudoLoad.FUNC && t >= 0 && t < n) leader[t] = 1;
      pc++;
      continue;
    }
    const target = branchTarget(op, i, pc);
    if (target !== undefined && target >= 0 && target < n) leader[target] = 1;
    if (op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit' || op.kind === 'call' || op.kind === 'callx') {
      leader[pc + 1] = 1;
    }
  }
  return leader.subarray(0, n);
}

/** The basic blocks of a program, in slot order. */
export function basicBlocks(insns: readonly Insn[]): BasicBlock[] {
  const leader = blockLeaders(insns);
  const blocks: BasicBlock[] = [];
  const n = insns.length;
  let start = 0;
  let length = 0;
  for (let pc = 0; pc < n; pc++) {
    if (pc > start && leader[pc] === 1) {
      blocks.push({ start, end: pc, length });
      start = pc;
      length = 0;
    }
    length++;
    if (insns[pc]!.opcode === 0x18) pc++;
  }
  if (n > 0) blocks.push({ start, end: n, length });
  return blocks;
}
