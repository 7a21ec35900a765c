/**
 * Escape analysis of frame slots: which `[r10 + k]` slots of size s may live in a WebAssembly local
 * (stack-slots.ts) because no write reaches their bytes except whole stores of that slot through r10.
 *
 * The JIT keeps a promoted slot's local and the frame both exact (stores write through), so a slot
 * needs only that nothing *else writes* its bytes behind the local's back; reads by anything (a
 * helper, a load through a computed pointer, the stack after the run) see the frame, which holds the
 * same value. Writes the compiler sees at compile time are of three kinds:
 *
 * 1. `[r10 + k]` stores: a slot every one of whose overlapping loads and stores has its offset and
 *    size is promotable; a slot some access of another shape overlaps is not (its local would be
 *    stale after a narrower or misaligned store, or hold the wrong bytes for a wider load).
 * 2. Stores through a *computed frame pointer* (`r1 = r10; r1 += -64; r1 += r7`): frame-ranges.ts
 *    bounds such a base register to r10 + [lo, hi]; every byte of the current frame the store may
 *    write ([lo + off, hi + off + size)) is *tainted*, and a slot with a tainted byte escapes. These
 *    stores need no run-time test then: they cannot write a promoted slot.
 * 3. Everything else the JIT cannot bound: stores through an unknown base (a pointer the run forged
 *    from STACK_START or loaded from memory), atomics, helper calls (a helper may write through any
 *    pointer argument), local calls (a callee may write its caller's frame through a pointer it was
 *    given) and bulk copies. These do not make a slot escape; the compiler reads the promoted slots
 *    again after them (or leaves for the checked copy where the store would write the stack), so the
 *    locals stay exact (emit-address.ts, `reloadSlotsIfStack`).
 *
 * Without frame ranges (r10 used only as the base of loads and stores, the case before this module)
 * there is no kind 2, and the slot plan is exactly kind 1. The analysis is flow-insensitive and
 * program-wide: an offset tainted in one function is not promoted in any (a function's frame pointer
 * ranges are relative to its own r10, and offsets are the same numbers in every frame), which is
 * conservative. Any `[r10 + k]` access outside the frame promotes nothing (it is an error or another
 * frame's bytes, left to the checked path as before).
 * @module
 */
import { FRAME_POINTER } from '../isa/opcodes.js';
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import { branchTarget } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { fieldUse } from '../verifier/fields.js';
import type { FrameRanges } from './frame-ranges.js';

/** The slots of the program that may be promoted, keyed by offset (each with its one access size). */
export type SlotPlan = ReadonlyMap<number, 1 | 2 | 4 | 8>;

/** The frame access (base r10) of a load or store at `op`, or undefined for other operations. */
export function frameAccess(op: Operation, i: Insn): { off: number; size: 1 | 2 | 4 | 8; store: boolean } | undefined {
  if (op.kind === 'ldx' && i.src === FRAME_POINTER) return { off: i.offset, size: op.size, store: false };
  if ((op.kind === 'st' || op.kind === 'stx') && i.dst === FRAME_POINTER) return { off: i.offset, size: op.size, store: true };
  return undefined;
}

/**
 * The frame bytes (offsets from r10, in [-stackSize, 0)) that stores through a computed frame pointer
 * (`frames`, by pc) may write: kind 2 above.
 */
export function taintedBytes(insns: readonly Insn[], ops: readonly Operation[], frames: FrameRanges, stackSize: number): Set<number> {
  const tainted = new Set<number>();
  for (const [pc, r] of frames) {
    const op = ops[pc]!;
    if (op.kind !== 'st' && op.kind !== 'stx') continue;
    const off = insns[pc]!.offset;
    const lo = Math.max(-stackSize, r.lo + off);
    const hi = Math.min(0, r.hi + off + op.size);
    for (let b = lo; b < hi; b++) tainted.add(b);
  }
  return tainted;
}

/**
 * The pcs of the stores and atomics whose base register *may* hold a pointer derived from r10 (a may
 * analysis, forward over the blocks: a register is frame-derived after `r = r10`, or after any ALU
 * operation with a frame-derived operand, and a load is when a frame-derived value was ever stored to
 * memory or passed to a call; calls' results and function entries' arguments are then too). Such a
 * store that frame-ranges.ts did not bound (a stack array indexed by an unbounded value, a spilled
 * frame pointer reloaded) may write any byte of the frame: kind 2 above with the whole frame. A
 * pointer the run computes from a number (STACK_START) is not frame-derived here; the compiler's
 * run-time test (kind 3) is what keeps the slots exact then, this analysis only keeps stores that
 * write the frame on every run from paying that test.
 */
export function mayWriteFrame(insns: readonly Insn[], ops: readonly Operation[], blocks: readonly BasicBlock[], blockAt: Int32Array, entries: readonly number[], badSlots: Uint8Array): Set<number> {
  const n = insns.length;
  const FP = 1 << FRAME_POINTER;
  const bit = (mask: number, r: number): number => (mask >> r) & 1;
  const out = new Set<number>();
  // Whether a frame-derived value was stored or passed to a call anywhere: recomputed until stable.
  let leaked = false;
  for (;;) {
    const entry = new Int32Array(blocks.length).fill(-1);
    const work: number[] = [];
    const push = (pc: number, mask: number): void => {
      if (pc < 0 || pc >= n) return;
      const b = blockAt[pc]!;
      if (b < 0) return;
      const next = entry[b]! < 0 ? mask : entry[b]! | mask;
      if (next === entry[b]) return;
      entry[b] = next;
      work.push(b);
    };
    const argsMask = leaked ? 0b111110 : 0;
    for (const pc of entries) push(pc, FP | argsMask);
    let leaks = false;
    out.clear();
    while (work.length > 0) {
      const blk = blocks[work.pop()!]!;
      let m = entry[blockAt[blk.start]!]! | FP;
      let ended = false;
      for (let pc = blk.start; pc < blk.end && !ended; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
        if (badSlots[pc] === 1) {
          ended = true;
          break;
        }
        const op = ops[pc]!;
        const i = insns[pc]!;
        const set = (r: number, on: boolean | number): void => {
          if (r !== FRAME_POINTER) m = on ? m | (1 << r) : m & ~(1 << r);
        };
        switch (op.kind) {
          case 'alu':
            if (op.op === 'mov') set(i.dst, op.source === 'reg' && bit(m, i.src) === 1);
            else if (op.source === 'reg' && bit(m, i.src) === 1) set(i.dst, true);
            break;
          case 'movsx':
            set(i.dst, bit(m, i.src));
            break;
          case 'ldx':
            set(i.dst, leaked);
            break;
          case 'lddw':
            set(i.dst, false);
            break;
          case 'st':
          case 'stx':
          case 'atomic': {
            if (i.dst !== FRAME_POINTER && bit(m, i.dst) === 1) out.add(pc);
            if (op.kind !== 'st' && bit(m, i.src) === 1) leaks = true;
            if (op.kind === 'atomic') {
              if (op.fetch) set(i.src, leaked);
              set(0, bit(m, 0) === 1 || leaked);
            }
            break;
          }
          case 'call':
          case 'callx':
            if ((m & 0b111110) !== 0) leaks = true;
            for (let r = 0; r <= 5; r++) set(r, r === 0 && leaked);
            break;
          case 'ldabs':
          case 'ldind':
            for (let r = 0; r <= 5; r++) set(r, false);
            break;
          case 'exit':
            if (bit(m, 0) === 1) leaks = true;
            ended = true;
            break;
          case 'ja':
            push(branchTarget(op, i, pc)!, m);
            ended = true;
            break;
          case 'jcond':
            push(branchTarget(op, i, pc)!, m);
            push(pc + 1, m);
            ended = true;
            break;
          default:
            // neg, end: the register keeps its taint.
            break;
        }
      }
      if (!ended) push(blk.end, m);
    }
    if (leaks === leaked) return out;
    leaked = true;
  }
}

/**
 * The promotable slots of the program, or undefined when none may be. Without `frames`, r10 must be
 * used only as the base of loads and stores inside the frame (`stackSize` bytes below r10), never
 * copied, compared or stored (the caller's condition for forwarding slots elsewhere, span-checks.ts);
 * with `frames` (the computed frame pointers of a program where r10 escapes), the slots that stores
 * through them may write are left out instead. Bad slots (which trap) are skipped.
 */
export function promotableSlots(
  insns: readonly Insn[],
  ops: readonly Operation[],
  badSlots: Uint8Array,
  stackSize: number,
  frames?: { readonly ranges: FrameRanges; readonly mayWrite: ReadonlySet<number> },
  /** From this pc on, inlined callees' copies (inline.ts), which also access the frame below: never promoted. */
  calleesFrom = insns.length,
): SlotPlan | undefined {
  const accesses: { off: number; size: 1 | 2 | 4 | 8 }[] = [];
  for (let pc = 0; pc < insns.length; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
    const op = ops[pc]!;
    if (badSlots[pc] === 1 || op.kind === 'invalid') continue;
    const i = insns[pc]!;
    const a = frameAccess(op, i);
    if (a !== undefined) {
      if (pc >= calleesFrom && a.off >= -2 * stackSize && a.off + a.size <= -stackSize) continue;
      if (a.off < -stackSize || a.off + a.size > 0) return undefined;
      // The stored register of `stx [r10 + k], r10` is r10 itself: an escape.
      if (frames === undefined && op.kind === 'stx' && i.src === FRAME_POINTER) return undefined;
      accesses.push(a);
      continue;
    }
    if (frames === undefined) for (const field of fieldUse(op).registers) if (i[field] === FRAME_POINTER) return undefined;
  }
  const tainted = frames === undefined ? new Set<number>() : taintedBytes(insns, ops, frames.ranges, stackSize);
  // A store that may write the frame anywhere: nothing is promoted.
  if (frames !== undefined) for (const pc of frames.mayWrite) if (!(frames.ranges.has(pc) && ops[pc]!.kind !== 'atomic')) return new Map();
  // Bytes of the frame: the one (offset, size) that touches each, or -1 when two different ones do.
  const owner = new Map<number, number>();
  const key = (off: number, size: number): number => off * 16 + size;
  for (const a of accesses) {
    for (let b = a.off; b < a.off + a.size; b++) {
      const k = owner.get(b);
      owner.set(b, k === undefined || k === key(a.off, a.size) ? key(a.off, a.size) : -1);
    }
  }
  const plan = new Map<number, 1 | 2 | 4 | 8>();
  for (const a of accesses) {
    let whole = true;
    for (let b = a.off; b < a.off + a.size; b++) if (owner.get(b) !== key(a.off, a.size) || tainted.has(b)) whole = false;
    if (whole) plan.set(a.off, a.size);
  }
  return plan;
}
