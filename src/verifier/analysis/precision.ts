/**
 * Branch-relevant values: which registers and 8-byte stack slots hold, at each program point, a value
 * that some later conditional jump may test, or a helper take as a size argument (directly, or after
 * moves, arithmetic, spills and fills),
 * in the spirit of the kernel's precision tracking ("precise" scalars: a state may stand for another
 * only where their precise scalars agree). Where more paths meet than are kept apart, the fixpoint
 * keeps apart, and prefers to join, states that agree on these values' constants: a status code of 0
 * on one path and -22 on another, joined, is [-22, 0], and a later `if (ret != 0)` no longer tells the
 * path that proved a packet range from the one that did not.
 *
 * A backward may-analysis over every edge (like {@link liveRegisters}), linear in the program's size
 * times the lattice height (75 bits per point). It is a hint for choosing joins, never a soundness fact.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import type { Operation } from '../../isa/operation.js';
import { backwardFixpoint } from './backward.js';
import { HELPER_PROTOS } from './helpers.js';

/** Per program point: the branch-relevant registers (bit r) and stack slots (bit k: r10 - 512 + 8k). */
export interface Tested {
  readonly regs: Uint16Array;
  /** Two words per point, as in {@link filledSlots}. */
  readonly slots: Uint32Array;
  /**
   * The registers the next conditional jump tests, found within the straight-line code from the point
   * to that jump (the one that decides where this path goes next): the most costly to join.
   */
  readonly next: Uint16Array;
}

const bit = (r: number): number => 1 << r;
/** r0-r5: set or clobbered by calls. */
const CALL_DEFS = 0b111111;

/** The registers (bit r) holding a size argument of helper `id`. */
function sizeArgs(id: number): number {
  const proto = HELPER_PROTOS.get(id);
  let bits = 0;
  proto?.args.forEach((k, a) => {
    if (k === 'size' || k === 'size_or_zero') bits |= bit(a + 1);
  });
  return bits;
}

/** The 8-byte stack slot an access `r10 + off` falls in, or -1. */
function slotOf(off: number): number {
  return off >= -512 && off < 0 ? (off + 512) >> 3 : -1;
}

const hasSlot = (lo: number, hi: number, k: number): boolean => ((k < 32 ? lo >>> k : hi >>> (k - 32)) & 1) === 1;

/** What is relevant before `i` given what is relevant after it (regs, slot words lo/hi). */
function before(i: Insn, op: Operation, regs: number, lo: number, hi: number): [number, number, number] {
  const d = bit(i.dst);
  switch (op.kind) {
    case 'jcond':
      return [regs | d | (op.source === 'reg' ? bit(i.src) : 0), lo, hi];
    case 'alu':
      if (op.op === 'mov') return [(regs & ~d) | ((regs & d) !== 0 && op.source === 'reg' ? bit(i.src) : 0), lo, hi];
      return [regs | ((regs & d) !== 0 && op.source === 'reg' ? bit(i.src) : 0), lo, hi];
    case 'movsx':
      return [(regs & ~d) | ((regs & d) !== 0 ? bit(i.src) : 0), lo, hi];
    case 'lddw':
      return [regs & ~d, lo, hi];
    case 'ldx': {
      const k = i.src === 10 ? slotOf(i.offset) : -1;
      if ((regs & d) !== 0 && k >= 0) k < 32 ? (lo |= 1 << k) : (hi |= 1 << (k - 32));
      return [regs & ~d, lo >>> 0, hi >>> 0];
    }
    case 'stx':
    case 'st': {
      const k = i.dst === 10 ? slotOf(i.offset) : -1;
      if (k < 0 || !hasSlot(lo, hi, k)) return [regs, lo, hi];
      if (op.kind === 'stx') regs |= bit(i.src);
      if (op.size === 8) k < 32 ? (lo &= ~(1 << k)) : (hi &= ~(1 << (k - 32)));
      return [regs, lo >>> 0, hi >>> 0];
    }
    case 'call':
      // a helper's size argument checks its memory argument with the size each path has (the kernel
      // marks it precise): 28 bytes of a range proved to 28 on one path, 52 of 52 on another
      return [(regs & ~CALL_DEFS) | (op.target === 'helper' ? sizeArgs(i.imm) : 0), lo, hi];
    case 'ldabs':
    case 'ldind':
      return [regs & ~CALL_DEFS, lo, hi];
    default:
      return [regs, lo, hi];
  }
}

/** The branch-relevant registers and slots at every program point of a program. */
export function testedValues(insns: readonly Insn[], ops: readonly Operation[]): Tested {
  const n = insns.length;
  const regs = new Uint16Array(n);
  const slots = new Uint32Array(2 * n);
  const outRegs = new Uint16Array(n);
  const outSlots = new Uint32Array(2 * n);
  backwardFixpoint(
    insns,
    ops,
    (pc) => {
      const [r, lo, hi] = before(insns[pc]!, ops[pc]!, outRegs[pc]!, outSlots[2 * pc]!, outSlots[2 * pc + 1]!);
      if (r === regs[pc] && lo === slots[2 * pc] && hi === slots[2 * pc + 1]) return false;
      regs[pc] = r;
      slots[2 * pc] = lo;
      slots[2 * pc + 1] = hi;
      return true;
    },
    (p, pc) => {
      const or = outRegs[p]! | regs[pc]!;
      const a = (outSlots[2 * p]! | slots[2 * pc]!) >>> 0;
      const b = (outSlots[2 * p + 1]! | slots[2 * pc + 1]!) >>> 0;
      if (or === outRegs[p] && a === outSlots[2 * p] && b === outSlots[2 * p + 1]) return false;
      outRegs[p] = or;
      outSlots[2 * p] = a;
      outSlots[2 * p + 1] = b;
      return true;
    },
  );
  return { regs, slots, next: nextTested(insns, ops) };
}

/** {@link Tested.next}: one backward pass over straight-line code (an unconditional jump or exit ends it). */
function nextTested(insns: readonly Insn[], ops: readonly Operation[]): Uint16Array {
  const n = insns.length;
  const next = new Uint16Array(n);
  let after = 0;
  for (let pc = n - 1; pc >= 0; pc--) {
    if (pc > 0 && ops[pc - 1]!.kind === 'lddw') continue; // the second slot of a wide load
    const op = ops[pc]!;
    const flow = op.kind === 'ja' || op.kind === 'exit' || op.kind === 'jcond' ? 0 : after;
    after = next[pc] = before(insns[pc]!, op, flow, 0, 0)[0];
  }
  return next;
}
