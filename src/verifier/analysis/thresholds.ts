/**
 * Widening with thresholds (the textbook refinement of interval widening, as in Blanchet et al.'s
 * Astrée): a bound that grows at a loop head jumps to the nearest constant the loop's own conditional
 * jumps compare with (and its neighbours), before the fixed ladder of scalar.ts. A counter tested by
 * `i != 16` (`i == 16` exits) is then widened to [0, 15], where the test's edge removes 16 from the
 * end of [1, 16] and the loop converges; widened to the ladder's 255 it would step past 16 and never
 * be bounded (the test cannot cut a value out of the middle of an interval). The kernel, walking each
 * iteration with exact values, keeps such a counter exact.
 *
 * Any widening that only stops at finitely many values is sound: the thresholds change how precise the
 * fixpoint is, never whether it covers every run. A loop's slots are those on a cycle through its head
 * (reachable from it and reaching it), so the constants of enclosing loops count too.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import type { Operation } from '../../isa/operation.js';
import type { LoopSlots } from './loop-slots.js';

/** Candidate bounds, ascending, without duplicates. */
export type Thresholds = readonly bigint[];

/** At most this many thresholds per loop head (those of smallest magnitude): each may cost a visit of the loop. */
export const MAX_THRESHOLDS = 48;

/**
 * The thresholds of each loop head, computed on first use: for every conditional jump against an
 * immediate in the loop, the immediate and its neighbours (c - 1, c, c + 1), read as the 64-bit jump
 * reads it (sign-extended; unsigned too) or as a 32-bit jump does (its low 32 bits, signed and unsigned).
 */
export function loopThresholds(insns: readonly Insn[], ops: readonly Operation[], slotsOf: (head: number) => LoopSlots): (head: number) => Thresholds {
  const memo = new Map<number, Thresholds>();
  return (head) => {
    const known = memo.get(head);
    if (known !== undefined) return known;
    const values = new Set<bigint>();
    for (const pc of slotsOf(head).slots) {
      const op = ops[pc]!;
      if (op.kind !== 'jcond' || op.source !== 'imm') continue;
      const c = BigInt(insns[pc]!.imm);
      for (const d of [-1n, 0n, 1n]) {
        if (op.width === 32) {
          values.add(BigInt.asIntN(32, c) + d);
          values.add(BigInt.asUintN(32, c) + d);
        } else {
          values.add(c + d);
          values.add(BigInt.asUintN(64, c + d));
        }
      }
    }
    const abs = (v: bigint): bigint => (v < 0n ? -v : v);
    const list = [...values].sort((a, b) => (abs(a) < abs(b) ? -1 : abs(a) > abs(b) ? 1 : 0)).slice(0, MAX_THRESHOLDS);
    const t = list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    memo.set(head, t);
    return t;
  };
}
