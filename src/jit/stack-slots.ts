/**
 * Stack slots promoted to locals (scalar replacement of a non-escaping frame). clang's BPF backend has
 * ten registers and spills loop invariants and accumulators to `[r10 - k]`; in the generated code each
 * such access is a load or store of linear memory that V8 can neither keep in a register nor move out
 * of a loop. A slot that every `[r10 + k]` access overlapping it reads or writes whole, and that no
 * store through a computed frame pointer may write (the escape analysis of slot-escape.ts), can live
 * in a WebAssembly local of the function instead: the
 * local holds the slot's value zero-extended from its size, a load reads it (sign-extending for the
 * signed loads), a store writes it masked.
 *
 * Stores write through: the local and the frame both, so the frame in memory is exact at every point
 * (a helper's tail call, the checked copy, an error, the next callee at the same depth read it) and no
 * exit needs the locals, which would otherwise stay live along every exit to the checked copy. What a
 * local saves is the reload of a spilled loop invariant on every iteration (which slots: see
 * {@link functionSlots}). The function loads its slots from the frame on entry (a slot
 * read before any store reads what the frame held, as the interpreter does) and again after a local
 * call (a program the callee tail-calls is not bound by this program's r10 rule), a helper call, an
 * atomic, a bulk copy, and a store through another base that wrote the stack: a program can compute its
 * frame's address without r10 (STACK_START, a loaded value). In a loop such a store leaves for the
 * checked copy instead (emit-address.ts), so that the slots stay loop-invariant.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { frameAccess, type SlotPlan } from './slot-escape.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';

export { promotableSlots, type SlotPlan } from './slot-escape.js';

/** Most slots one function promotes (the most accessed first): each costs a load on entry and after every local call. */
export const MAX_PROMOTED = 48;

/** One promoted slot of a function: its frame offset and size, and its local. */
export interface PromotedSlot {
  readonly off: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly local: number;
}

/**
 * The promoted slots of one function (its blocks, each with the innermost loop it lies in, -1 for
 * none), the most accessed first and at most {@link MAX_PROMOTED}, numbered from local `firstLocal`:
 * the slots some innermost loop reads and does not store to, i.e. clang's spilled loop invariants,
 * reloaded on every iteration (a register in the loop either way). Slots a loop stores to stay in
 * the frame: as locals, accumulators and counters updated on some of a loop's paths made the loop
 * slower (tlv, switch_sparse), and the forwarded reload they save was worth nothing (measured:
 * docs/benchmarks.md, 2026-12-07).
 */
export function functionSlots(
  plan: SlotPlan,
  insns: readonly Insn[],
  ops: readonly Operation[],
  badSlots: Uint8Array,
  blocks: readonly { readonly block: BasicBlock; readonly loop: number }[],
  firstLocal: number,
): PromotedSlot[] {
  const uses = new Map<number, { count: number; readIn: Set<number>; storedIn: Set<number> }>();
  for (const { block: b, loop } of blocks) {
    for (let pc = b.start; pc < b.end; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
      if (badSlots[pc] === 1) continue;
      const a = frameAccess(ops[pc]!, insns[pc]!);
      if (a === undefined || plan.get(a.off) !== a.size) continue;
      const u = uses.get(a.off) ?? { count: 0, readIn: new Set<number>(), storedIn: new Set<number>() };
      u.count++;
      if (loop >= 0) (a.store ? u.storedIn : u.readIn).add(loop);
      uses.set(a.off, u);
    }
  }
  const invariant = (u: { readIn: Set<number>; storedIn: Set<number> }): boolean => [...u.readIn].some((l) => !u.storedIn.has(l));
  const chosen = [...uses].filter(([, u]) => invariant(u)).sort((x, y) => y[1].count - x[1].count || x[0] - y[0]).slice(0, MAX_PROMOTED);
  return chosen.map(([off], k) => ({ off, size: plan.get(off)!, local: firstLocal + k }));
}

/** Mask of a slot's bytes, as a signed i64 immediate (undefined for 8 bytes). */
function mask(size: 1 | 2 | 4 | 8): bigint | undefined {
  return size === 8 ? undefined : BigInt.asIntN(64, (1n << BigInt(size * 8)) - 1n);
}

const LOAD: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };
const STORE: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };
const EXTEND_S: Record<1 | 2 | 4, number> = { 1: Op.i64_extend8_s, 2: Op.i64_extend16_s, 4: Op.i64_extend32_s };

/** Load every slot from the frame (linear address in local `fp`, `frameSize` bytes below r10). */
export function loadSlots(c: CodeWriter, slots: readonly PromotedSlot[], fp: number, frameSize: number): void {
  for (const s of slots) c.get(fp).mem(LOAD[s.size], s.off + frameSize).set(s.local);
}

/** `dst = [r10 + off]` from the slot's local (`signed`: the sign-extending load). */
export function emitSlotLoad(c: CodeWriter, s: PromotedSlot, signed: boolean, dst: number): void {
  c.get(s.local);
  if (signed && s.size !== 8) c.op(EXTEND_S[s.size]);
  c.set(dst);
}

/** `[r10 + off] = value` (`push` pushes it, an i64): into the frame and into the local, masked to the slot's size. */
export function emitSlotStore(c: CodeWriter, s: PromotedSlot, fp: number, frameSize: number, push: () => void): void {
  c.get(fp);
  push();
  const m = mask(s.size);
  if (m !== undefined) c.i64(m).op(Op.i64_and);
  c.tee(s.local).mem(STORE[s.size], s.off + frameSize);
}
