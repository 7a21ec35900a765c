/**
 * The address of a memory access, checked exactly as the interpreter checks it: frame accesses proved
 * at compile time, addresses a versioned loop's guard or an access group proved, spans hoisted to a
 * dominating access (span-checks.ts), indexed accesses `B + X` against bounds kept for B
 * (indexed-access.ts), and otherwise the region cache, the stack and the region table (lower-memory.ts),
 * leaving for the checked copy on a miss where the plan says so. Also the frame slots' reloads after
 * stores that may write the stack.
 * @module
 */
import { JitError } from '../errors.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import { Global } from './layout.js';
import { markStack, pushBelowStackEnd, pushInStack, pushWindow, refill, scanAddress } from './lower-memory.js';
import { boundsLiveAfter, emitIndexedExit, emitRebase } from './indexed-access.js';
import { L_BLIM, L_BLIN, L_D, L_FP, L_GB, L_LABEL, L_T, L_T2 } from './locals.js';
import { Op, ValType } from '../wasm/opcodes.js';
import { loadSlots } from './stack-slots.js';
import { emitSpanHead } from './span-checks.js';
import { resumeLabel, deadAt } from './emit-budget.js';
import type { FunctionCompiler } from './function-compiler.js';

/** An access at `reg + off` right after `reg = base; reg += index` in its block: the address is base + index + off. */
export interface IndexedAccess {
  readonly base: number;
  readonly index: number;
  readonly size: 1 | 2 | 4 | 8;
}

/**
 * Pick the register most accesses in the function's blocks address as `reg = B; reg += X; [reg + off]`
 * (at least two), and keep L_BLIM and L_BLIN exact for it: the writer recomputes them after every
 * write of B, the cache refill after every refill, and reloadCaches clears L_BLIM.
 */
export function chooseIndexedBase(fc: FunctionCompiler): void {
  const found = new Map<number, IndexedAccess>();
  const count = new Map<number, number>();
  for (const bi of fc.nodes) {
    if (bi < 0) continue;
    const b = fc.d.blocks[bi]!;
    let p2 = -1;
    let p1 = -1;
    for (let pc = b.start; pc < b.end; pc += fc.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const x = indexedAccess(fc, p2, p1, pc);
      if (x !== undefined) {
        found.set(pc, x);
        count.set(x.base, (count.get(x.base) ?? 0) + 1);
      }
      p2 = p1;
      p1 = pc;
    }
  }
  let best = -1;
  for (const [r, n] of count) if (n >= 2 && (best < 0 || n > count.get(best)!)) best = r;
  if (best < 0) return;
  for (const [pc, x] of found) {
    if (x.base !== best) continue;
    fc.indexed.set(pc, x);
    fc.indexedSizes.add(x.size);
    if (fc.d.ops[pc]!.kind !== 'ldx') fc.indexedStores = true;
  }
  fc.code.watched = best;
  const live = boundsLiveAfter(fc.insns, fc.d.ops, best, new Set(fc.indexed.keys()));
  // A write of B inside an instruction after which no indexed access can read the bounds skips them.
  fc.code.onWrite = () => {
    if (fc.curPc < 0 || live[fc.curPc] === 1) rebase(fc);
  };
}

/** The access at `pc` as base + index, when the two instructions before it (same block, p2 then p1) are `reg = base; reg += index`. */
function indexedAccess(fc: FunctionCompiler, p2: number, p1: number, pc: number): IndexedAccess | undefined {
  if (p2 < 0 || fc.options.badSlots[pc] === 1) return undefined;
  const op = fc.d.ops[pc]!;
  const i = fc.insns[pc]!;
  if (op.kind !== 'ldx' && op.kind !== 'st' && op.kind !== 'stx' && op.kind !== 'atomic') return undefined;
  const reg = op.kind === 'ldx' ? i.src : i.dst;
  if (reg === FRAME_POINTER) return undefined;
  const add = fc.d.ops[p1]!;
  const mov = fc.d.ops[p2]!;
  const ai = fc.insns[p1]!;
  const mi = fc.insns[p2]!;
  if (add.kind !== 'alu' || add.op !== 'add' || add.width !== 64 || add.source !== 'reg' || ai.dst !== reg || ai.src === reg) return undefined;
  if (mov.kind !== 'alu' || mov.op !== 'mov' || mov.width !== 64 || mov.source !== 'reg' || mi.dst !== reg || mi.src === reg) return undefined;
  return { base: mi.src, index: ai.src, size: op.size };
}

/** Recompute L_BLIM and L_BLIN from the indexed base register, the stack and the cache (indexed-access.ts). */
export function rebase(fc: FunctionCompiler): void {
  emitRebase(fc.code, fc.code.watched, fc.indexedSizes, fc.indexedStores, fc.mark);
}

/** Empty both region caches (a limit of 0 never hits). */
export function reloadCaches(fc: FunctionCompiler): void {
  fc.code.i64(0).gset(Global.cacheLimit);
  if (fc.code.watched >= 0) rebase(fc);
}

/**
 * At a head (span-checks.ts), before its access through `reg`: check its span, leaving for the
 * checked copy at the head's pc when the span is not in the cached region (that copy then checks
 * every access itself, so errors stay the interpreter's).
 */
export function spanHead(fc: FunctionCompiler, pc: number, reg: number): void {
  const head = fc.spans.heads.get(pc);
  if (head === undefined) return;
  const label = resumeLabel(fc, pc);
  if (label === undefined) throw new JitError('internal: a span head cannot leave for the checked copy', pc);
  emitSpanHead(fc.code, head, reg, () => {
    deadAt(fc, pc, true);
    fc.code.i32(label).set(L_LABEL).br(fc.curDepth + 1 - fc.missOuter);
  });
}

/** Push an i32 linear address for an access of `size` bytes at `reg + off`, checked. */
export function address(fc: FunctionCompiler, reg: number, off: number, size: 1 | 2 | 4 | 8, store: boolean, pc: number): { offset: number } {
  const c = fc.code;
  const ss = fc.options.stackSize;
  if (fc.options.frameFastPath && reg === FRAME_POINTER && off >= fc.frameLow(pc) && off + size <= 0) {
    c.get(L_FP);
    if (off + ss >= 0) return { offset: off + ss };
    // An inlined callee's frame, below the caller's.
    c.i32(off + ss).op(Op.i32_add);
    return { offset: 0 };
  }
  if (fc.inFrame(pc, reg, off, size)) {
    // A pointer into the frame whose whole range keeps the access inside it (frame-ranges.ts).
    if (store && !fc.footprintCovers(pc, off)) markStack(c, fc.mark, () => (off === 0 ? c.get(reg).op(Op.i32_wrap_i64) : c.get(reg).op(Op.i32_wrap_i64).i32(off).op(Op.i32_add)));
    c.get(reg).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
    if (off >= 0) return { offset: off };
    c.i32(off).op(Op.i32_add);
    return { offset: 0 };
  }
  if (fc.fastPcs?.has(pc) === true) {
    // Checked for every iteration by the counted loop's guard: the cache hit path's arithmetic only.
    c.get(reg).op(Op.i32_wrap_i64).get(L_D).op(Op.i32_add);
    if (off !== 0) c.i32(off).op(Op.i32_add);
    return { offset: 0 };
  }
  const cover = fc.spans.covered.get(pc);
  if (cover !== undefined) {
    // Inside the span its head checked: a fixed offset from the span's first byte.
    c.get(cover.head.local);
    return { offset: cover.delta };
  }
  const g = fc.fastGroup;
  if (g !== undefined && g.members.has(pc)) {
    // Inside a group whose whole span was checked: a fixed offset from its first byte.
    c.get(L_GB);
    return { offset: off + (g.shift.get(pc) ?? 0) - g.lo };
  }
  const k = g === undefined ? -1 : g.extra.findIndex((e) => e.members.has(pc));
  if (k >= 0) {
    // Through a further base of a multi-base group: a fixed offset from that base's span.
    c.get(fc.groupLocal(k));
    const e = g!.extra[k]!;
    return { offset: off + (e.shift.get(pc) ?? 0) - e.lo };
  }
  const x = fc.indexed.get(pc);
  if (x !== undefined) {
    // reg = B + index: index + off below L_BLIM lies in B's region at B's linear address plus it (see
    // indexed-access.ts); otherwise the checked copy or the full check, which decides every case exactly.
    const exit = resumeLabel(fc, pc);
    if (exit !== undefined) {
      emitIndexedExit(c, x.index, off, size, exit, fc.curDepth + 1 - fc.missOuter, deadAt(fc, pc));
      return { offset: 0 };
    }
    c.get(x.index);
    if (off !== 0) c.i64(off).op(Op.i64_add);
    c.tee(L_T2).get(L_BLIM[size]).op(Op.i64_ge_u);
    c.if(ValType.i32);
    c.get(reg);
    if (off !== 0) c.i64(off).op(Op.i64_add);
    c.set(L_T);
    scanAddress(fc.code, size, store, pc, fc.mark, fc.filled);
    c.else().get(L_T2).op(Op.i32_wrap_i64).get(L_BLIN).op(Op.i32_add).end();
    return { offset: 0 };
  }
  checkedAddress(fc, reg, off, size, store, pc);
  return { offset: 0 };
}

/** Push the i32 linear address of an access of `size` bytes at `reg + off`: the cache, the stack, then the region table. */
function checkedAddress(fc: FunctionCompiler, reg: number, off: number, size: 1 | 2 | 4 | 8, store: boolean, pc: number): void {
  const c = fc.code;
  // One cache for loads and stores, holding writable regions only, so a hit is always allowed.
  c.get(reg);
  if (off !== 0) c.i64(off).op(Op.i64_add);
  c.tee(L_T).gget(Global.cacheBase).op(Op.i64_sub).tee(L_T2).gget(Global.cacheLimit).op(Op.i64_ge_u);
  // `if (miss) {…} else {hit}`: V8 places the else arm inline, so the hit path falls through. The
  // hit arm is written first here and moved behind the miss arm below.
  c.if(ValType.i32);
  const hitAt = c.w.length;
  c.get(L_T2).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add);
  const missAt = c.w.length;
  const resume = resumeLabel(fc, pc);
  // Leaving for the checked copy: first the cached region's own last bytes, which the one compare
  // above (the window of an 8-byte access) leaves out for smaller accesses.
  const tail = resume !== undefined && size < 8;
  if (tail) {
    c.get(L_T2);
    pushWindow(fc.code, size);
    c.op(Op.i64_lt_u).if(ValType.i32);
    c.get(L_T2).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add);
    c.else();
  }
  // The stack (accesses through copies of r10) is checked next, so it never evicts the cached region.
  const stack = (): void => {
    if (store) markStack(fc.code, fc.mark, () => c.get(L_T).op(Op.i32_wrap_i64));
    c.get(L_T).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
  };
  c.get(L_T).gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_lt_u);
  c.if(ValType.i32);
  stack();
  c.else();
  // Before leaving, where the base may point into the stack (stack-bases.ts): the stack's own last
  // bytes, which that compare (an 8-byte window) leaves out for smaller accesses (else an access to
  // the entry frame's top leaves on every run). The region table's scan decides them where the access
  // does not leave.
  const stackTail = resume !== undefined && size < 8 && fc.d.stackBases.has(pc);
  if (stackTail) {
    c.get(L_T);
    pushInStack(fc.code, size);
    c.if(ValType.i32);
    stack();
    c.else();
  }
  // Two to four `if`s in from the instruction's level, where a miss leaves (fc.missOuter: see reentry.ts).
  if (resume !== undefined) deadAt(fc, pc, true);
  if (resume !== undefined) c.i32(resume).set(L_LABEL).br(fc.curDepth + 2 + (tail ? 1 : 0) + (stackTail ? 1 : 0) - fc.missOuter);
  else scanAddress(fc.code, size, store, pc, fc.mark, fc.filled);
  if (stackTail) c.end();
  c.end();
  if (tail) c.end();
  const hit = c.w.view().slice(hitAt, missAt);
  const miss = c.w.view().slice(missAt);
  c.w.length = hitAt;
  c.w.bytes(miss).u8(Op.else).bytes(hit);
  c.end();
}

/**
 * Before a store at `pc` through `reg + off` (a base other than r10) in a function with promoted
 * slots, where a miss may leave for the checked copy: when the store would write the stack, leave
 * for the checked copy at the store (whose frame is memory only). True when emitted; otherwise the
 * caller reads the slots again after the store ({@link reloadSlotsIfStack}). Leaving keeps the loop's
 * slots loop-invariant where a reload merging back into the loop would not (stencil ran 1.23x slower).
 */
export function leaveIfStack(fc: FunctionCompiler, reg: number, off: number, pc: number): boolean {
  // (With span heads too, where they forward frame slots (d.slots): a forged store into the frame
  // could change a slot a covered base is read from.)
  const forwarded = fc.spans.heads.size > 0 && fc.d.slots !== undefined;
  if ((fc.slotList.length === 0 && !forwarded) || reg === FRAME_POINTER) return false;
  const exit = resumeLabel(fc, pc);
  if (exit === undefined) return false;
  const c = fc.code;
  c.get(reg);
  if (off !== 0) c.i64(off).op(Op.i64_add);
  pushBelowStackEnd(c);
  c.if();
  deadAt(fc, pc, true);
  c.i32(exit).set(L_LABEL).br(fc.curDepth + 1 - fc.missOuter).end();
  return true;
}

/**
 * After a store through `reg + off` (a base other than r10): when it wrote the stack, the frame's
 * promoted slots are read again (stack-slots.ts). A program can compute a stack address without r10
 * (from STACK_START, a loaded value), and such a store into a promoted slot would leave its local stale.
 */
export function reloadSlotsIfStack(fc: FunctionCompiler, reg: number, off: number): void {
  if (fc.slotList.length === 0 || reg === FRAME_POINTER) return;
  const c = fc.code;
  c.get(reg);
  if (off !== 0) c.i64(off).op(Op.i64_add);
  pushBelowStackEnd(c);
  c.if();
  loadSlots(c, fc.slotList, L_FP, fc.options.stackSize);
  c.end();
}
