/**
 * Which loads and stores may address the stack through a computed base: a may-analysis of the values
 * derived from r10 (a forward data-flow analysis over the program's basic blocks, a bit per register
 * and per 8-byte frame slot, joined by union).
 *
 * The compiler checks an access that misses the region cache against the stack with the window of an
 * 8-byte access (one compare), and in a loop whose misses leave for the checked copy a miss there
 * leaves. An access of fewer bytes to the stack's last 7 bytes (the top of the entry frame, where clang
 * puts a function's first local) would then leave on every run. Only the accesses this analysis marks
 * get the exact test of their own size before leaving: the extra compare on the miss path of every
 * access, code that never runs, made V8 compile some byte loops over the input markedly slower
 * (docs/benchmarks.md, 2026-12-07). The analysis is a heuristic for speed only: an access it misses (a
 * stack address forged from a constant, a pointer stored in the input) still runs correctly, leaving
 * for the checked copy, which checks every access in full.
 *
 * A value may point into the stack when it is r10, a copy of such a value, such a value plus or minus
 * anything, an 8-byte frame slot such a value was stored to, an argument of a function that is not the
 * program's entry (a caller may pass `&local`), or a local call's result. Everything else (constants,
 * other loads, helper results, other arithmetic) is taken not to. Linear in the program's size: each
 * block is visited once per change of its entry state, and a state only grows.
 * @module
 */
import { JIT_REGISTERS } from './inline.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { solveForward } from './block-dataflow.js';
import { fieldUse } from '../verifier/fields.js';

/** Per register (r0-r14), then per 8-byte frame slot a value was stored to: 1 when it may point into the stack. */
type State = Uint8Array;

/** The base register of a load, store or atomic, else -1. */
function baseOf(op: Operation, i: Insn): number {
  if (op.kind === 'ldx') return i.src;
  return op.kind === 'st' || op.kind === 'stx' || op.kind === 'atomic' ? i.dst : -1;
}

/** The effect on `s` of an instruction that is not a jump or exit; `slot`: frame slot offset -> its bit. */
function step(s: State, op: Operation, i: Insn, slot: ReadonlyMap<number, number>): void {
  switch (op.kind) {
    case 'alu':
      if (op.width !== 64) s[i.dst] = 0;
      else if (op.op === 'mov') s[i.dst] = op.source === 'reg' ? s[i.src]! : 0;
      else if (op.op === 'add' || op.op === 'sub') s[i.dst] = s[i.dst]! | (op.source === 'reg' ? s[i.src]! : 0);
      else s[i.dst] = 0;
      return;
    case 'ldx': {
      const k = i.src === FRAME_POINTER && op.size === 8 ? slot.get(i.offset) : undefined;
      s[i.dst] = k !== undefined ? s[k]! : 0;
      return;
    }
    case 'st':
    case 'stx': {
      if (i.dst !== FRAME_POINTER) return;
      for (const [off, k] of slot) if (off < i.offset + op.size && i.offset < off + 8) s[k] = 0;
      const k = op.kind === 'stx' && op.size === 8 ? slot.get(i.offset) : undefined;
      if (k !== undefined) s[k] = s[i.src]!;
      return;
    }
    case 'call':
    case 'callx':
      for (let r = 0; r <= 5; r++) s[r] = 0;
      // A local call's result may be a pointer its caller passed in.
      if (op.kind === 'call' && op.target === 'local') s[0] = 1;
      return;
    default:
      for (const f of fieldUse(op).writes) s[i[f]] = 0;
      if (op.kind === 'atomic') s[0] = 0;
  }
}

/**
 * The pcs of the loads, stores and atomics whose base register (not r10 itself) may hold a pointer into
 * the stack (see the module comment). `entries`: the pcs functions start at, the program's entry first.
 * Blocks holding a bad slot (`badSlots`) end there.
 */
export function stackBasedAccesses(
  insns: readonly Insn[],
  ops: readonly Operation[],
  blocks: readonly BasicBlock[],
  blockAt: Int32Array,
  entries: readonly number[],
  badSlots: Uint8Array,
): Set<number> {
  const n = insns.length;
  const slot = new Map<number, number>();
  for (let pc = 0; pc < n; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
    const op = ops[pc]!;
    const i = insns[pc]!;
    if (op.kind === 'stx' && op.size === 8 && i.dst === FRAME_POINTER && !slot.has(i.offset)) slot.set(i.offset, JIT_REGISTERS + slot.size);
  }
  const width = JIT_REGISTERS + slot.size;
  const starts = entries.map((pc, k): [number, State] => {
    const s = new Uint8Array(width);
    s[FRAME_POINTER] = 1;
    // A function's arguments may be pointers into its caller's frame; the program's are its context.
    if (k > 0) for (let r = 1; r <= 5; r++) s[r] = 1;
    return [pc, s];
  });
  const result = new Set<number>();
  solveForward(insns, ops, blocks, blockAt, badSlots, starts, {
    arrive(_b, old, s) {
      if (old === undefined) return s.slice();
      let grew = false;
      for (let k = 0; k < width; k++) {
        if (s[k] === 1 && old[k] === 0) {
          old[k] = 1;
          grew = true;
        }
      }
      return grew ? old : undefined;
    },
    copy: (s) => s.slice(),
    transfer: (s, pc) => step(s, ops[pc]!, insns[pc]!, slot),
    record(s, pc) {
      const base = baseOf(ops[pc]!, insns[pc]!);
      if (base >= 0 && base !== FRAME_POINTER && s[base] === 1) result.add(pc);
    },
  });
  return result;
}
