/**
 * Load combining in the interpreter (the analysis: verifier/load-combine.ts). At pre-decode, the first
 * slot of each run of byte or half-word loads that assembles a word, whose partial values nothing reads
 * after it, gets an operation of its own ({@link LOAD_WORD_B} or {@link LOAD_WORD_H}, by the first
 * slot's load size) with the run described in its immediate (a load's immediate is unused). Both run
 * loops execute it as one wide load when the word's bytes lie in a cached region (the last region
 * loaded from, or the stack), write the result register and continue after the run; otherwise they run
 * the first slot as the load it is, and the later slots one by one (they are left as they were), so
 * errors, their pcs and the registers are those of the original slots. The budget is charged per block.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { decodeOperation, type Operation } from '../isa/operation.js';
import { combinedLoadAt, type CombinedLoad } from '../verifier/load-combine.js';
import { calleeSlots, liveRegisters } from '../verifier/reg-liveness.js';

/** Internal operation numbers (interpreter-decode's table): a run whose first slot is a byte load, a half-word load. */
export const LOAD_WORD_B = 8;
export const LOAD_WORD_H = 9;

/**
 * The immediate of a run's first slot: bits 0-3 the result register, 4-7 the word's bytes (2-8), 8 big-
 * endian, 9-11 the left shift in bytes, 12-14 how far the word's first byte is below the first slot's
 * offset, 16-21 the run's slots, 22-23 log2 of the wide load's bytes (1-3).
 */
export function packRun(run: CombinedLoad, firstOffset: number): number {
  const out = run.outputs[0]!;
  return (
    out.reg |
    (run.bytes << 4) |
    ((run.order === 'be' ? 1 : 0) << 8) |
    ((-out.shift / 8) << 9) |
    ((firstOffset - run.off) << 12) |
    (run.count << 16) |
    (Math.log2(run.load) << 22)
  );
}

/**
 * Mark the runs of a program being pre-decoded: `op` and `imm` (by slot, changed in place), `leader`
 * (1 where a block starts), `bad(pc)`: the slot cannot run.
 */
export function markLoadWords(insns: readonly Insn[], op: Uint16Array, imm: Int32Array, leader: Uint8Array, bad: (pc: number) => boolean): void {
  const n = insns.length;
  // A cheap test first (most programs have no run): a byte or half-word load followed by a load or
  // an ALU or byte-order operation, on the op numbers already decoded (interpreter-decode's table: 10-78, loads 124-130).
  let any = false;
  for (let pc = 0; pc + 1 < n && !any; pc++) {
    const a = op[pc]!;
    const b = op[pc + 1]!;
    any = (a === 124 || a === 125) && ((b >= 10 && b <= 78) || (b >= 124 && b <= 130));
  }
  if (!any) return;
  const ops: Operation[] = insns.map(decodeOperation);
  const badSlots = new Uint8Array(n + 1);
  for (let pc = 0; pc <= n; pc++) badSlots[pc] = pc === n || bad(pc) ? 1 : 0;
  const live = liveRegisters(insns, ops, badSlots, calleeSlots(insns, ops));
  // Slots after the run's first may not start a block (nothing may jump into the run).
  let blockEnd = 0;
  for (let pc = 0; pc < n; pc++) {
    if (pc >= blockEnd) {
      blockEnd = pc + 1;
      while (blockEnd < n && leader[blockEnd] !== 1) blockEnd++;
    }
    const first = ops[pc]!;
    if (first.kind !== 'ldx' || first.size > 2) continue;
    const run = combinedLoadAt(ops, insns, pc, blockEnd, (p) => badSlots[p] === 0, (p) => live[p] ?? 0xffff, 1);
    if (run === undefined) continue;
    op[pc] = first.size === 1 ? LOAD_WORD_B : LOAD_WORD_H;
    imm[pc] = packRun(run, insns[pc]!.offset);
    pc = run.end - 1;
  }
}

/**
 * The JS loop's wide load: the run described by `k` (see {@link packRun}) at linear address `a` of
 * `dv`, its result written to the register pair of `r`.
 */
export function loadWord(dv: DataView, a: number, k: number, r: Int32Array): void {
  const n = (k >>> 4) & 15;
  const size = 1 << ((k >>> 22) & 3);
  const be = (k & 0x100) !== 0;
  let lo: number;
  let hi = 0;
  if (size === 2) lo = dv.getUint16(a, !be);
  else if (size === 4) lo = be ? dv.getUint32(a, false) >>> (32 - 8 * n) : n === 4 ? dv.getInt32(a, true) : dv.getUint32(a, true) & 0xffffff;
  else if (be) {
    // The eight bytes as a big-endian value, shifted right by 64 - 8n: the n first bytes.
    hi = dv.getInt32(a, false);
    lo = dv.getInt32(a + 4, false);
    const s = 64 - 8 * n;
    if (s !== 0) {
      lo = (lo >>> s) | (hi << (32 - s));
      hi = hi >>> s;
    }
  } else {
    lo = dv.getInt32(a, true);
    hi = dv.getInt32(a + 4, true);
    if (n < 8) hi &= (1 << (8 * (n - 4))) - 1;
  }
  const left = 8 * ((k >>> 9) & 7);
  if (left >= 32) {
    hi = lo << (left - 32);
    lo = 0;
  } else if (left !== 0) {
    hi = (hi << left) | (lo >>> (32 - left));
    lo <<= left;
  }
  const d = 2 * (k & 15);
  r[d] = lo | 0;
  r[d + 1] = hi | 0;
}
