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
import { L_A, L_GB, L_T } from './locals.js';
import { markStack, pushSpanInside } from './lower-memory.js';
import type { Reserved } from './reserved.js';
import { blockValues, held } from './base-values.js';
import { FRAME_POINTER } from '../isa/opcodes.js';

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
  /** Per member whose base register holds the value a constant away from `reg`'s (base-values.ts): that distance (the access is at reg + shift + off). */
  readonly shift: ReadonlyMap<number, number>;
  /**
   * Further bases checked with the first (a multi-base group): the accesses of the run through other
   * values some register held at `start`, each value's span checked there too (see {@link findAccessGroups}).
   */
  readonly extra: readonly GroupBase[];
  /**
   * Set by the caller when the group's span check also proved the span disjoint from the stack (see
   * {@link emitGroupCheck}'s `stackFree`): its stores then need no test of their own for the stack.
   */
  readonly stackFree?: boolean;
}

/** One further base of a multi-base group: the register holding its value at the group's start, its span and its accesses. */
export interface GroupBase {
  readonly reg: number;
  readonly lo: number;
  readonly hi: number;
  readonly members: ReadonlySet<number>;
  readonly shift: ReadonlyMap<number, number>;
}

/** True when the access at `pc` is one of the group's, through any of its bases. */
export function groupHas(g: AccessGroup, pc: number): boolean {
  return g.members.has(pc) || g.extra.some((e) => e.members.has(pc));
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
  // A multi-base group from `pc`: the accesses through any value some register r0-r9 holds at `pc`
  // (the first access's own value first), up to the first access through any other value (which
  // ends the run: its value may be a base of a group of its own after it); the values with two
  // accesses or more are its bases, checked together at `pc`.
  const multiBase = (pc: number): { group: AccessGroup; count: number } | undefined => {
    const at = values.get(pc)!;
    const a = accessOf(ops[pc]!, insns[pc]!)!;
    const first = at.regs[a.reg]!;
    const regOf = new Map<number, number>([[first, a.reg]]);
    for (let r = 0; r < FRAME_POINTER; r++) if (!regOf.has(at.regs[r]!)) regOf.set(at.regs[r]!, r);
    const spans = new Map<number, { lo: number; hi: number; members: Set<number>; shift: Map<number, number>; end: number }>();
    for (let q = pc; q < b.end && simple(q); q = step(q)) {
      const x = accessOf(ops[q]!, insns[q]!);
      if (x === undefined || inFrame(q, x)) continue;
      const v = values.get(q)!.regs[x.reg]!;
      if (x.reg === FRAME_POINTER || !regOf.has(v)) break;
      // The access's distance from the register that holds its value at `pc`.
      const d = values.get(q)!.deltas[x.reg]! - at.deltas[regOf.get(v)!]!;
      const s = spans.get(v);
      if (s === undefined) spans.set(v, { lo: x.off + d, hi: x.off + d + x.size, members: new Set([q]), shift: new Map(d === 0 ? [] : [[q, d]]), end: step(q) });
      else {
        s.lo = Math.min(s.lo, x.off + d);
        s.hi = Math.max(s.hi, x.off + d + x.size);
        s.members.add(q);
        if (d !== 0) s.shift.set(q, d);
        s.end = step(q);
      }
    }
    const head = spans.get(first);
    if (head === undefined || head.members.size < 2) return undefined;
    const extra: GroupBase[] = [];
    let end = head.end;
    let count = head.members.size;
    for (const [v, s] of spans) {
      if (v === first || s.members.size < 2) continue;
      extra.push({ reg: regOf.get(v)!, lo: s.lo, hi: s.hi, members: s.members, shift: s.shift });
      end = Math.max(end, s.end);
      count += s.members.size;
    }
    if (extra.length === 0) return undefined;
    return { group: { start: pc, reg: a.reg, lo: head.lo, hi: head.hi, end, members: head.members, shift: head.shift, extra }, count };
  };
  for (let pc = b.start; pc < b.end; ) {
    const a = accessOf(ops[pc]!, insns[pc]!);
    if (a === undefined || inFrame(pc, a) || !simple(pc)) {
      pc = step(pc);
      continue;
    }
    // Members: the accesses whose base holds the first one's value (base-values.ts), while some
    // register or frame slot still holds it.
    const v = values.get(pc)!.regs[a.reg]!;
    const d0 = values.get(pc)!.deltas[a.reg]!;
    const members = new Set([pc]);
    const shift = new Map<number, number>();
    let lo = a.off;
    let hi = a.off + a.size;
    let end = step(pc);
    for (let q = pc; q < b.end && simple(q); q = step(q)) {
      const x = accessOf(ops[q]!, insns[q]!);
      if (q !== pc && x !== undefined && values.get(q)!.regs[x.reg] === v) {
        const d = values.get(q)!.deltas[x.reg]! - d0;
        if (d !== 0) shift.set(q, d);
        lo = Math.min(lo, x.off + d);
        hi = Math.max(hi, x.off + d + x.size);
        members.add(q);
        end = step(q);
      }
      const after = values.get(step(q));
      if (after === undefined || !held(after, v)) break;
    }
    const multi = a.reg === FRAME_POINTER ? undefined : multiBase(pc);
    if (multi !== undefined && multi.count > members.size) {
      groups.set(pc, multi.group);
      pc = multi.group.end;
    } else if (members.size >= 2) {
      groups.set(pc, { start: pc, reg: a.reg, lo, hi, end, members, shift, extra: [] });
      pc = end;
    } else pc = step(pc);
  }
  return groups;
}

/** How many of the group's own accesses (through any of its bases) are stores. */
export function groupStoresThroughBase(g: AccessGroup, ops: readonly Operation[]): number {
  let n = 0;
  for (const set of [g.members, ...g.extra.map((e) => e.members)]) {
    for (const pc of set) {
      const kind = ops[pc]!.kind;
      if (kind === 'st' || kind === 'stx') n++;
    }
  }
  return n;
}

/** True when some of `members` is a store. */
function storesThrough(members: ReadonlySet<number>, ops: readonly Operation[]): boolean {
  for (const pc of members) if (ops[pc]!.kind === 'st' || ops[pc]!.kind === 'stx') return true;
  return false;
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

/**
 * A multi-base group's check (see {@link emitGroupCheck}, whose blocks and ways out it keeps): each
 * base's span [reg+lo, reg+hi) in the cached region, else in the stack, its linear address in L_GB
 * for the first base and in `locals[k]` for extra base k; any base in neither leaves for the checked
 * copy. With `stackFree`, a base with stores in the stack (or a cache hit that overlaps it) takes the
 * `stack` copy instead, through the flag L_A, once every base is checked.
 */
export function emitMultiGroupCheck(c: CodeWriter, g: AccessGroup, ops: readonly Operation[], locals: readonly number[], mark: Reserved, stackFree: boolean): void {
  const bases = [{ reg: g.reg, lo: g.lo, hi: g.hi, stores: groupStores(g, ops), local: L_GB }, ...g.extra.map((e, k) => ({ reg: e.reg, lo: e.lo, hi: e.hi, stores: storesThrough(e.members, ops), local: locals[k]! }))];
  c.block(); // done
  c.block(); // checked
  if (stackFree) c.block().i32(0).set(L_A); // stack
  // Depth of `checked` from inside one base's block (`ok`), plus the `if`s opened there.
  const checked = stackFree ? 2 : 1;
  for (const b of bases) {
    const span = b.hi - b.lo;
    const inside = (base: number, limit: number): void => {
      c.get(L_T);
      pushSpanInside(c, span, base, limit);
    };
    c.block(); // ok: this base hit
    c.get(b.reg);
    if (b.lo !== 0) c.i64(b.lo).op(Op.i64_add);
    c.set(L_T);
    inside(Global.cacheBase, Global.cacheLimit);
    c.if();
    const offStack = stackFree && b.stores;
    if (offStack) {
      c.get(L_T).i64(span - 1).op(Op.i64_add).gget(Global.stackBase).op(Op.i64_sub);
      c.gget(Global.stackLimit).i64(6 + span).op(Op.i64_add).op(Op.i64_ge_u).if();
    }
    c.get(L_T).gget(Global.cacheBase).op(Op.i64_sub).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add).set(b.local).br(offStack ? 2 : 1);
    if (offStack) c.end();
    c.end();
    inside(Global.stackBase, Global.stackLimit);
    c.if();
    if (b.stores) markStack(c, mark, () => c.get(L_T).op(Op.i32_wrap_i64));
    if (offStack) c.i32(1).set(L_A);
    c.get(L_T).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add).set(b.local).br(1);
    c.end();
    c.br(checked);
    c.end(); // ok
  }
  // Every base hit: the stack copy when a base with stores is in the stack, else the unchecked copy.
  if (stackFree) c.get(L_A).brIf(0);
}
