/**
 * Counted copy loops for the interpreter: clang's `for (i = 0; i < n; i++) dst[i] = src[i]` is one
 * basic block that loops to itself, a load and a store of the loaded value moving by their size per
 * iteration, a counter compared with a bound that does not change. Its back edge runs as one
 * operation ({@link COPY_LOOP_OP}) that, when the loop is about to go round again, copies all but the
 * last of the iterations still to come with one `copyWithin`, moves the registers that step per
 * iteration past them and charges their budget; the loop body then runs its last iteration itself,
 * which leaves every other register exactly as the loop would.
 *
 * The bulk step runs only when it cannot differ from running the iterations one by one: the
 * registers it reads are small enough for the addresses and moves to be exact in doubles, each side's whole
 * span lies in one region (the destination's writable), the budget pays for every iteration left,
 * and the destination is not ahead of the source within the bytes copied (then `copyWithin`, a
 * memmove, writes what the forward loop writes). Otherwise it does nothing and the loop runs
 * iteration by iteration, failing where and as the interpreter fails; after such a refusal the next
 * few back edges do not try again, so that a loop the bulk step never applies to (an overlapping
 * forward copy, say) keeps nearly the plain loop's speed.
 *
 * The JIT compiles the same idiom to `memory.copy` (see jit/compiler.ts, `bulkCopy`); gcc -O2 keeps
 * the native build's loop a loop, so on the memcpy benchmark both engines end up faster than native.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { decodeOperation, type Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { fieldUse } from '../verifier/fields.js';
import { affineAdd, affineAlu, constantAffine, registerAffine, stepOf, strideOf, type Affine } from '../verifier/affine.js';
import type { VmMemory } from './memory.js';

/** The interpreter's internal operation number for a copy loop's back edge (a literal in the run loop: 79). */
export const COPY_LOOP_OP = 79;

/** A recognised copy loop: everything the back edge needs at run time. */
export interface CopyLoopPlan {
  /** The loop block's first slot (the back edge's target) and its length (the budget it charges). */
  readonly start: number;
  readonly length: number;
  /** The counter and the bound: the loop goes round while `x < y` (unsigned); x grows by `step`. */
  readonly x: number;
  readonly y: number;
  readonly step: number;
  /** The back edge's condition as written: `jlt x, y`, `jgt y, x` or `jne x, y` (step 1). */
  readonly cond: 'jlt' | 'jgt' | 'jne';
  /** The first iteration's source and destination addresses, and the bytes one iteration copies. */
  readonly src: Affine;
  readonly dst: Affine;
  readonly size: number;
  /** Registers that move by a constant per iteration (the counter among them), and by how much. */
  readonly moves: readonly { readonly reg: number; readonly by: number }[];
  /** Back edges left before the bulk step is tried again after a refusal (a heuristic only). */
  pause: number;
}

/** Largest |change| {@link addTo} adds exactly to a register's low half (below 2^32) in doubles. */
const MAX_EXACT_MOVE = 2 ** 53 - 2 ** 32;

/** Back edges a refused bulk step waits before it is tried again. */
export const PAUSE_AFTER_REFUSAL = 16;

const REGISTERS = 11;

/**
 * The copy loop that block `b` is, if it is one: a block that jumps back to its own start with a
 * 64-bit register `jlt`/`jgt` (or `jne` stepping by one) and otherwise holds only ALU instructions,
 * one load and, after it, one store of the loaded register (unchanged, same size), both addressed
 * linearly in the entry registers and moving by their size per iteration; every register the block
 * writes either moves by a constant per iteration or is written before it is read.
 */
export function copyLoopOf(insns: readonly Insn[], b: BasicBlock, isBad: (pc: number) => boolean): CopyLoopPlan | undefined {
  const last = b.end - 1;
  if (b.end - b.start < 3 || b.length !== b.end - b.start || isBad(last)) return undefined; // no lddw inside
  const jump = decodeOperation(insns[last]!);
  const ji = insns[last]!;
  if (jump.kind !== 'jcond' || jump.width !== 64 || jump.source !== 'reg') return undefined;
  if (last + 1 + ji.offset !== b.start) return undefined;
  if (jump.cond !== 'jlt' && jump.cond !== 'jgt' && jump.cond !== 'jne') return undefined;

  const state: (Affine | undefined)[] = [];
  for (let r = 0; r < REGISTERS; r++) state.push(registerAffine(r));
  const zero = constantAffine(0);
  const written = new Set<number>();
  const liveIn = new Set<number>();
  let load: { pc: number; reg: number; size: number; addr: Affine } | undefined;
  let store: { addr: Affine } | undefined;
  let loadedClobbered = false;
  for (let pc = b.start; pc < last; pc++) {
    if (isBad(pc)) return undefined;
    const op: Operation = decodeOperation(insns[pc]!);
    const i = insns[pc]!;
    const use = fieldUse(op);
    const overwrites = (op.kind === 'alu' && op.op === 'mov') || op.kind === 'movsx' || op.kind === 'ldx';
    for (const f of use.registers) if (!(f === 'dst' && overwrites) && !written.has(i[f])) liveIn.add(i[f]);
    if (op.kind === 'ldx') {
      if (load !== undefined) return undefined;
      const addr = affineAdd(state[i.src], 1, zero, i.offset);
      if (addr === undefined) return undefined;
      load = { pc, reg: i.dst, size: op.size, addr };
      state[i.dst] = undefined;
    } else if (op.kind === 'stx') {
      if (load === undefined || store !== undefined || i.src !== load.reg || op.size !== load.size || loadedClobbered) return undefined;
      const addr = affineAdd(state[i.dst], 1, zero, i.offset);
      if (addr === undefined) return undefined;
      store = { addr };
    } else if (op.kind === 'alu' && op.width === 64 && (op.op === 'mov' || op.op === 'add' || op.op === 'sub')) {
      state[i.dst] = affineAlu(state, op.op, op.source, i);
    } else if (op.kind === 'alu' || op.kind === 'neg' || op.kind === 'movsx' || op.kind === 'end') {
      state[i.dst] = undefined;
    } else return undefined;
    for (const f of use.writes) {
      written.add(i[f]);
      if (load !== undefined && load.pc !== pc && i[f] === load.reg) loadedClobbered = true;
    }
  }
  if (load === undefined || store === undefined) return undefined;

  // Each register's change per iteration: a constant when it ends as itself plus one.
  const steps = state.map((v, r) => stepOf(v, r));
  const moves: { reg: number; by: number }[] = [];
  for (let r = 0; r < REGISTERS; r++) {
    const by = steps[r];
    if (by === undefined) {
      if (liveIn.has(r)) return undefined;
    } else if (by !== 0) moves.push({ reg: r, by });
  }
  if (strideOf(load.addr, steps) !== load.size || strideOf(store.addr, steps) !== load.size) return undefined;
  const [x, y] = jump.cond === 'jgt' ? [ji.src, ji.dst] : [ji.dst, ji.src];
  const step = steps[x];
  if (step === undefined || step <= 0 || steps[y] !== 0 || (jump.cond === 'jne' && step !== 1)) return undefined;
  return { start: b.start, length: b.length, x, y, step, cond: jump.cond, src: load.addr, dst: store.addr, size: load.size, moves, pause: 0 };
}

/**
 * Register `reg` from its int32 halves in `r`, signed, or NaN when it is not within ±2^44: then every
 * term of an address (coefficients up to 16, eleven registers, a constant below 2^40) and every partial
 * sum stays below 2^53, so {@link evaluate} is exact.
 */
function signed(r: Int32Array, reg: number): number {
  const hi = r[2 * reg + 1]!;
  return hi >= -0x1000 && hi < 0x1000 ? hi * 0x100000000 + (r[2 * reg]! >>> 0) : NaN;
}

/** Register `reg` from its int32 halves in `r`, unsigned, or NaN when it is 2^52 or more. */
function unsigned(r: Int32Array, reg: number): number {
  const hi = r[2 * reg + 1]! >>> 0;
  return hi < 0x100000 ? hi * 0x100000000 + (r[2 * reg]! >>> 0) : NaN;
}

/**
 * `addr` on the registers in `r`: exact in doubles (see {@link signed}), and equal to the 64-bit sum
 * whenever it lies in [0, 2^32), the only results a caller accepts.
 */
function evaluate(addr: Affine, r: Int32Array): number {
  let v = addr.k;
  for (const [q, c] of addr.coeffs) v += c * signed(r, q);
  return v;
}

/** Add `delta` (a safe integer) to the 64-bit register `reg` held as int32 halves in `r`. */
function addTo(r: Int32Array, reg: number, delta: number): void {
  const sum = (r[2 * reg]! >>> 0) + delta;
  const carry = Math.floor(sum / 0x100000000);
  r[2 * reg] = (sum - carry * 0x100000000) | 0;
  r[2 * reg + 1] = (r[2 * reg + 1]! + carry) | 0;
}

/** Whether the back edge's jump is taken with the registers in `r`. */
function taken(plan: CopyLoopPlan, r: Int32Array): boolean {
  const [a, b] = plan.cond === 'jgt' ? [plan.y, plan.x] : [plan.x, plan.y];
  const ah = r[2 * a + 1]! >>> 0;
  const bh = r[2 * b + 1]! >>> 0;
  const al = r[2 * a]! >>> 0;
  const bl = r[2 * b]! >>> 0;
  if (plan.cond === 'jne') return ah !== bh || al !== bl;
  const lt = ah === bh ? al < bl : ah < bh; // dst < src, unsigned
  return plan.cond === 'jlt' ? lt : !lt && (ah !== bh || al !== bl);
}

/**
 * Run a copy loop's back edge with the registers in `r`, after `used` of `budget` instructions:
 * -1 when the loop ends (the jump is not taken), otherwise the instructions charged by the iterations
 * run in bulk (0 when none were: the loop simply goes round).
 */
export function copyLoopBackEdge(plan: CopyLoopPlan, r: Int32Array, memory: VmMemory, used: number, budget: number): number {
  if (!taken(plan, r)) return -1;
  if (plan.pause > 0) {
    plan.pause--;
    return 0;
  }
  const bulk = copyLoopBulk(plan, r, memory, used, budget);
  if (bulk !== COPY_REFUSED) return bulk;
  plan.pause = PAUSE_AFTER_REFUSAL;
  return 0;
}

/** What {@link copyLoopBulk} returns when the bulk step does not apply and should not be tried for a while. */
export const COPY_REFUSED = -1;

/**
 * The bulk step of a copy loop's back edge whose jump is taken (no pause kept: the caller keeps its
 * own, as {@link copyLoopBackEdge} does): the instructions charged by the iterations run in bulk, 0 when
 * none were (the loop simply goes round), or {@link COPY_REFUSED} (the same, and the caller should skip
 * the next {@link PAUSE_AFTER_REFUSAL} back edges).
 */
export function copyLoopBulk(plan: CopyLoopPlan, r: Int32Array, memory: VmMemory, used: number, budget: number): number {
  const x = unsigned(r, plan.x);
  const y = unsigned(r, plan.y);
  // Iterations still to run (the loop is at the start of the next one); NaN fails every test below.
  const left = Math.floor((y - x + plan.step - 1) / plan.step);
  if (!(x < y) || !(left >= 2)) return refuse(left);
  const bulk = left - 1;
  if (used + left * plan.length > budget) return 0; // the budget runs out in this loop: go one by one
  const bytes = bulk * plan.size;
  const src = evaluate(plan.src, r);
  const dst = evaluate(plan.dst, r);
  if (!(src >= 0 && dst >= 0 && src + bytes <= 0x100000000 && dst + bytes <= 0x100000000)) return refuse(left);
  // Each move must stay exact in doubles (a register may step by up to 2^40 per iteration).
  for (const m of plan.moves) if (!(Math.abs(bulk * m.by) <= MAX_EXACT_MOVE)) return refuse(left);
  const from = memory.find(src, bytes);
  const to = memory.find(dst, bytes);
  if (from === undefined || to === undefined || !to.writable) return refuse(left);
  // Overlap is a matter of linear memory: two regions may be backed by the same bytes.
  const start = from.offset + (src - from.vaddr);
  const target = to.offset + (dst - to.vaddr);
  if (target > start && target < start + bytes) return refuse(left);
  memory.bytes.copyWithin(target, start, start + bytes);
  if (to === memory.runStack) memory.markStackStore(dst);
  for (const m of plan.moves) addTo(r, m.reg, bulk * m.by);
  return bulk * plan.length;
}

/** The bulk step does not apply now: go round once, and skip the next few tries unless the loop was merely short. */
function refuse(left: number): number {
  return left < 2 ? 0 : COPY_REFUSED;
}
