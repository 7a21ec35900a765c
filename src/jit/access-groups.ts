/**
 * Access groups: runs of two or more loads and stores within a block whose base registers hold one
 * value (a packet parser reading header fields, a struct copied field by field; the value may move
 * between registers and a frame slot, see base-values.ts). Each is checked once
 * for the span of all its accesses; only straight-line instructions that cannot leave the block may lie
 * between them. This module finds the runs and emits their span check; emit-block.ts emits the run's
 * instructions twice after it, unchecked (at fixed offsets from one linear address) and checked one by
 * one, so that errors stay the interpreter's.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';
import { Global } from './layout.js';
import { L_GB, L_T } from './locals.js';
import { markStack, pushSpanInside } from './lower-memory.js';
import type { Reserved } from './reserved.js';
import { blockValues, held } from './base-values.js';

/** Loads and stores through one register in a block, checked once for their span [reg+lo, reg+hi). */
export interface AccessGroup {
  /** Pc of the first access. */
  readonly start: number;
  readonly reg: number;
  readonly lo: number;
  readonly hi: number;
  /** First pc after the group's last access. */
  readonly end: number;
  /** Pcs of the group's accesses: those in [start, end) whose base holds the value `reg` holds at `start`. */
  readonly members: ReadonlySet<number>;
  /**
   * Set by the caller when the group's span check also proved the span disjoint from the stack (see
   * {@link emitGroupCheck}'s `stackFree`): its stores then need no test of their own for the stack.
   */
  readonly stackFree?: boolean;
}

/** A load's or store's base register, offset and size. */
export interface MemoryAccess {
  readonly reg: number;
  readonly off: number;
  readonly size: number;
}

/** The base register, offset and size of a load or store (not atomics), or undefined. */
export function accessOf(op: Operation, i: Insn): MemoryAccess | undefined {
  if (op.kind === 'ldx') return { reg: i.src, off: i.offset, size: op.size };
  if (op.kind === 'st' || op.kind === 'stx') return { reg: i.dst, off: i.offset, size: op.size };
  return undefined;
}

/**
 * The access groups of block `b`, keyed by their first pc. `owned(pc)`: the slot may not be in a group
 * (a bad slot, or an access another pass checks); `inFrame(pc, access)`: the access is proved inside the
 * frame, so it needs no check at all.
 */
export function findAccessGroups(
  b: BasicBlock,
  ops: readonly Operation[],
  insns: readonly Insn[],
  owned: (pc: number) => boolean,
  inFrame: (pc: number, a: MemoryAccess) => boolean,
): Map<number, AccessGroup> {
  const groups = new Map<number, AccessGroup>();
  const values = blockValues(ops, insns, b.start, b.end);
  const simple = (pc: number): boolean => {
    const k = ops[pc]!.kind;
    if (owned(pc)) return false;
    return k === 'alu' || k === 'neg' || k === 'movsx' || k === 'end' || k === 'lddw' || k === 'ldx' || k === 'st' || k === 'stx';
  };
  const step = (p: number): number => p + (ops[p]!.kind === 'lddw' ? 2 : 1);
  for (let pc = b.start; pc < b.end; ) {
    const a = accessOf(ops[pc]!, insns[pc]!);
    if (a === undefined || inFrame(pc, a) || !simple(pc)) {
      pc = step(pc);
      continue;
    }
    // Members: the accesses whose base holds the first one's value (base-values.ts), while some
    // register or frame slot still holds it.
    const v = values.get(pc)!.regs[a.reg]!;
    const members = new Set([pc]);
    let lo = a.off;
    let hi = a.off + a.size;
    let end = step(pc);
    for (let q = pc; q < b.end && simple(q); q = step(q)) {
      const x = accessOf(ops[q]!, insns[q]!);
      if (q !== pc && x !== undefined && values.get(q)!.regs[x.reg] === v) {
        lo = Math.min(lo, x.off);
        hi = Math.max(hi, x.off + x.size);
        members.add(q);
        end = step(q);
      }
      const after = values.get(step(q));
      if (after === undefined || !held(after, v)) break;
    }
    if (members.size >= 2) {
      groups.set(pc, { start: pc, reg: a.reg, lo, hi, end, members });
      pc = end;
    } else pc = step(pc);
  }
  return groups;
}

/** How many of the group's own accesses are stores. */
export function groupStoresThroughBase(g: AccessGroup, ops: readonly Operation[]): number {
  let n = 0;
  for (const pc of g.members) {
    const kind = ops[pc]!.kind;
    if (kind === 'st' || kind === 'stx') n++;
  }
  return n;
}

/** True when a group's accesses include a store (or an atomic). */
export function groupStores(g: AccessGroup, ops: readonly Operation[]): boolean {
  for (let pc = g.start; pc < g.end; pc++) {
    const kind = ops[pc]!.kind;
    if (kind === 'st' || kind === 'stx' || kind === 'atomic') return true;
  }
  return false;
}

/**
 * A group's span check: L_T = reg + lo, then three blocks opened, `done`, `checked` and `checks`, of
 * which this closes `checks`: where the span [reg+lo, reg+hi) lies in the cached region, else in the
 * stack (marking the stack's written bytes when the group stores, see `mark`), L_GB is the span's linear
 * address and the run lands after `checks`; otherwise it leaves `checks` by `br 1` for `checked`. The
 * caller emits the unchecked copy (ending with `br 1` to `done`), closes `checked`, emits the checked
 * copy and closes `done`. With `stackFree`, a hit in the cached region also needs the span disjoint
 * from the stack (the stack test of every store through the base, which a function with frame slots in
 * locals makes before each one, done once for the span: store-check hoisting), and a fourth block,
 * `stack`, lies between `checks` and `checked`: a span in the stack leaves `checks` by `br 2` to after
 * it, where the caller emits a second unchecked copy whose stores test the stack (ending with `br 1`).
 */
export function emitGroupCheck(c: CodeWriter, g: AccessGroup, stores: boolean, mark: Reserved, stackFree = false): void {
  // The cached region, else the stack (pushSpanInside).
  const span = g.hi - g.lo;
  const inside = (base: number, limit: number): void => {
    c.get(L_T);
    pushSpanInside(c, span, base, limit);
  };
  c.get(g.reg);
  if (g.lo !== 0) c.i64(g.lo).op(Op.i64_add);
  c.set(L_T);
  // Each hit branches straight to the unchecked copy (`br` out of `checks`), and falling out of
  // `checks` goes to the checked one: no flag that V8 would test again after the hit.
  c.block(); // done
  c.block(); // checked
  if (stackFree) c.block(); // stack
  c.block(); // checks
  inside(Global.cacheBase, Global.cacheLimit);
  c.if();
  if (stackFree) {
    // And no byte of the span in the stack [stackBase, stackBase + limit + 7): the span's last byte
    // minus the stack's base, unsigned, at or past the stack's size plus span - 1.
    c.get(L_T).i64(span - 1).op(Op.i64_add).gget(Global.stackBase).op(Op.i64_sub);
    c.gget(Global.stackLimit).i64(6 + span).op(Op.i64_add).op(Op.i64_ge_u).if();
  }
  c.get(L_T).gget(Global.cacheBase).op(Op.i64_sub).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add).set(L_GB).br(stackFree ? 2 : 1);
  if (stackFree) c.end();
  c.end();
  inside(Global.stackBase, Global.stackLimit);
  c.if();
  if (stores) markStack(c, mark, () => c.get(L_T).op(Op.i32_wrap_i64));
  c.get(L_T).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add).set(L_GB).br(stackFree ? 2 : 1);
  c.end();
  c.br(stackFree ? 2 : 1);
  c.end(); // checks: a hit lands here
}
