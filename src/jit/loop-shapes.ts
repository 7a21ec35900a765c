/**
 * The loop shapes the JIT versions (emit-loops.ts runs a check-free copy of each when a guard at its
 * entry or header proves its accesses in bounds): counted loops (one block, a trip count from its
 * entry registers, addresses that are induction variables: see induction.ts), chunked loops (one
 * cycle of blocks with one exit, addresses moving by constants: as many iterations as stay in the
 * cached region run at a time) and copy loops (a counted loop that only copies memory forward, run as
 * one `memory.copy`). Analysis only: it decides the shapes, emit-loops.ts emits the guards and copies.
 * @module
 */
import { JIT_REGISTERS } from './inline.js';
import { fieldUse } from '../verifier/fields.js';
import { affineAlu, registerAffine, stepOf, type Affine } from '../verifier/affine.js';
import type { Insn } from '../isa/instruction.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import type { Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import type { Terminator } from './graph.js';
import { analyzeInduction, combine, constantOf, readsSlot, SLOT_BASE, strideOf, type Induction, type RangeCondition } from './induction.js';

/**
 * Fewest accesses a loop's check-free copy must save per iteration. The copy is a loop nested in the
 * compiled loop, which V8 compiles worse: with one access saved fnv1a went 73 -> 174 us (even with the
 * access still checked in the copy: 163 us), with two memcpy went 220 -> 110 us.
 */
export const MIN_HOISTED = 2;
/**
 * The same for a counted loop versioned as a sibling of its checked loop (the compiler's `fastLoop`):
 * no nested loop, so one access saved pays (fnv1a, hash64).
 */
export const MIN_HOISTED_SIBLING = 1;
/** Most blocks in a chunked loop's cycle. */
export const MAX_CYCLE = 6;
/** Largest |stride| of a versioned access (a larger one stays checked). */
export const MAX_STRIDE = 2 ** 16;

/** What the loop analyses need to know of a function being compiled. */
export interface LoopContext {
  readonly insns: readonly Insn[];
  readonly ops: readonly Operation[];
  readonly blocks: readonly BasicBlock[];
  /** Each block's terminator. */
  readonly terms: readonly Terminator[];
  readonly badSlots: Uint8Array;
  readonly frameFastPath: boolean;
  readonly stackSize: number;
  /** The access at `pc` may address the stack through a computed base (stack-bases.ts). */
  mayBeStack(pc: number): boolean;
  /** Slot of the block's last instruction. */
  lastPc(b: BasicBlock): number;
  /** True when the jump ending block `b` is compiled as selects (see if-convert.ts). */
  converted(b: number): boolean;
  /** True when block `b` is compiled as plain code: in the function's graph, not a switch's root or converted. */
  plainBlock(b: number): boolean;
}

/** The base register, offset and size of a load or store (not atomics), or undefined. */
function accessOf(ctx: LoopContext, pc: number): { reg: number; off: number; size: number } | undefined {
  const op = ctx.ops[pc]!;
  const i = ctx.insns[pc]!;
  if (op.kind === 'ldx') return { reg: i.src, off: i.offset, size: op.size };
  if (op.kind === 'st' || op.kind === 'stx') return { reg: i.dst, off: i.offset, size: op.size };
  return undefined;
}

/**
 * A one-block loop whose trip count follows from its entry registers: it repeats while
 * `x + step * (iteration + 1) < y` (unsigned, 64- or 32-bit; `<= y` as `< y + 1`), or `!= y` with a
 * constant step either way (the entry guard then also proves that the step divides the distance, so
 * that x meets y), x the tested value (an affine form over the registers at entry, moving by `step` per
 * iteration: a constant or, for `<`, a loop-invariant form) and y unchanged. Its accesses
 * through affine addresses can all be checked at entry, with the range conditions its 32-bit
 * arithmetic needs (see induction.ts). The block may go back to itself either way its jump goes, or
 * through a block of one `ja` back to it (clang's rotated loops end `if x == y goto out; goto loop`):
 * the loop in canonical form, one block and one back edge, with one more instruction charged per
 * iteration that goes on.
 */
export interface CountedLoop {
  /** The tested value one step before its first test, over the registers at entry. */
  readonly x: Affine;
  /** The bound: a register the loop leaves unchanged, or a constant. */
  readonly y: Affine;
  readonly step: Affine;
  /** x moves down to y (`x != y`, a negative step) rather than up. */
  readonly down: boolean;
  /** The loop goes on while x differs from y (the guard proves that the step divides their distance). */
  readonly exact: boolean;
  /** The loop goes on when its jump is not taken (it is taken to the exit). */
  readonly negated: boolean;
  /** Instructions charged on the way back besides the block's own: 1 through a block of one `ja`, else 0. */
  readonly latch: 0 | 1;
  /** Accesses checked by the entry guard: address on the first iteration (offset included), stride, pc. */
  readonly accesses: readonly { readonly addr: Affine; readonly stride: Affine; readonly pc: number }[];
  /** Forms that must stay in [0, 2^32) on every iteration. */
  readonly ranges: readonly RangeCondition[];
  /** Registers the analysis took to be equal at entry, [b, a] (see induction.ts): the guard checks them. */
  readonly aliases: readonly (readonly [number, number])[];
  /**
   * Some covered access stores (not through r10). When some form reads a frame slot (a slot term, see
   * induction.ts), the guard must also prove the cached region is not the stack, so that no covered
   * store writes the slot (see {@link guardsOffStack}); where the function's stores test the stack
   * (frame slots kept in locals), proving it spares the check-free copy's stores their tests.
   */
  readonly offStack: boolean;
}

/**
 * An innermost loop that is one cycle of blocks from its header back to it, each leaving only to one
 * exit target (which the header can also go to). Its accesses with affine addresses that move by a
 * constant per iteration (induction.ts: 32-bit index arithmetic included, under range conditions) are
 * checked at the header for as many iterations as stay in the cached region and keep every range
 * condition (a chunk), then run check-free.
 */
export interface ChunkedLoop {
  /** The cycle's blocks, header first. */
  readonly path: readonly number[];
  readonly exit: number;
  readonly accesses: readonly { readonly addr: Affine; readonly stride: number; readonly pc: number }[];
  /** Forms (over the registers at the header) that must lie in [0, 2^32) on every iteration of a chunk, and their constant strides. */
  readonly ranges: readonly { readonly form: Affine; readonly stride: number }[];
  /** As {@link CountedLoop.offStack}: the guard also proves the cached region is not the stack. */
  readonly offStack: boolean;
}

/**
 * A {@link CountedLoop} that copies memory forward: its only accesses are a load and a store of the
 * loaded value, both moving by their size per iteration; every register it writes either moves by a
 * constant per iteration or is written before it is read (so one iteration recomputes it).
 */
export interface CopyLoop {
  /** The first iteration's source and destination addresses, and the bytes one iteration copies. */
  readonly src: Affine;
  readonly dst: Affine;
  readonly size: number;
  /** The registers that move by a constant per iteration, and by how much. */
  readonly moves: readonly { readonly reg: number; readonly by: number }[];
}


/** Conditions with the operands in the same order, for a jump that continues when not taken. */
const NEGATE: Readonly<Record<string, string>> = { jlt: 'jge', jge: 'jlt', jle: 'jgt', jgt: 'jle', jeq: 'jne', jne: 'jeq' };

/**
 * How block `to` goes back to block `bi`: 0 when it is `bi` itself, 1 when it is a block of one `ja`
 * to `bi`; undefined otherwise.
 */
export function backEdgeVia(ctx: LoopContext, bi: number, to: number): 0 | 1 | undefined {
  if (to === bi) return 0;
  if (to < 0) return undefined;
  const b = ctx.blocks[to]!;
  const t = ctx.terms[to]!;
  return b.end - b.start === 1 && ctx.ops[b.start]!.kind === 'ja' && t.kind === 'goto' && t.to === bi ? 1 : undefined;
}

/**
 * A block that is a {@link CountedLoop}: only loads, stores and ALU instructions, ending in a jump that
 * goes on while `x < y` (or `y > x`, or `x != y` with a constant step; y a loop-invariant form, such as
 * a register the loop leaves unchanged or a frame slot it reloads, or an immediate),
 * 64- or 32-bit, back to itself directly or through a block of one `ja`. Undefined otherwise, or when
 * fewer than `minHoisted` of its accesses have an address affine in its induction variables.
 */
export function countedLoop(ctx: LoopContext, bi: number, minHoisted: number): CountedLoop | undefined {
  const t = ctx.terms[bi]!;
  if (t.kind !== 'cond' || t.taken === t.fall || ctx.converted(bi)) return undefined;
  const viaTaken = backEdgeVia(ctx, bi, t.taken);
  const viaFall = backEdgeVia(ctx, bi, t.fall);
  if ((viaTaken === undefined) === (viaFall === undefined)) return undefined;
  const negated = viaTaken === undefined;
  const latch = (negated ? viaFall : viaTaken)!;
  const b = ctx.blocks[bi]!;
  const last = ctx.lastPc(b);
  const jop = ctx.ops[last]!;
  const ji = ctx.insns[last]!;
  if (jop.kind !== 'jcond') return undefined;
  const cond = negated ? NEGATE[jop.cond] : jop.cond;
  const analyze = (frameSlots: boolean): Induction | undefined =>
    analyzeInduction({ insns: ctx.insns, ops: ctx.ops, from: b.start, to: last, frameFastPath: ctx.frameFastPath, stackSize: ctx.stackSize, aliases: true, frameSlots });
  const shape = (ind: Induction | undefined): CountedLoop | undefined => (ind === undefined ? undefined : countedShape(ctx, ind, jop, ji, cond, negated, latch, minHoisted));
  // Slot terms hold only when no store writes their slots: stores through r10 were seen by the
  // analysis; every other store must be a covered access, which the guard proves off the stack.
  const segments = [{ from: b.start, to: last }];
  const withSlots = offStack(ctx, shape(analyze(true)), segments);
  if (withSlots !== undefined && !(withSlots.uncovered && usesSlots(withSlots))) return withSlots;
  return offStack(ctx, shape(analyze(false)), segments);
}

/**
 * The loop (counted or chunked), off the stack ({@link CountedLoop.offStack}) when one of its covered
 * accesses in `segments` stores (so that its check-free copy's stores need not test the stack), and
 * whether a store not through r10 is not covered (it may then write a frame slot).
 */
function offStack<L extends { readonly accesses: readonly { readonly pc: number }[]; readonly offStack: boolean }>(
  ctx: LoopContext,
  loop: L | undefined,
  segments: readonly { readonly from: number; readonly to: number }[],
): (L & { readonly uncovered: boolean }) | undefined {
  if (loop === undefined) return undefined;
  const covered = new Set(loop.accesses.map((a) => a.pc));
  let stores = false;
  let uncovered = false;
  for (const seg of segments) {
    for (let pc = seg.from; pc < seg.to; pc += ctx.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const k = ctx.ops[pc]!.kind;
      if ((k !== 'st' && k !== 'stx') || ctx.insns[pc]!.dst === FRAME_POINTER) continue;
      if (covered.has(pc)) stores = true;
      else uncovered = true;
    }
  }
  return { ...loop, offStack: stores, uncovered };
}

/**
 * Whether a versioned loop's guard proves the cached region off the stack: when its covered stores
 * could otherwise write a slot its forms read, or (`storesTestStack`: the function's stores through
 * computed addresses test the stack before writing) to spare its check-free copy's stores that test.
 */
export function guardsOffStack(loop: CountedLoop | ChunkedLoop, storesTestStack: boolean): boolean {
  if (!loop.offStack) return false;
  if (storesTestStack) return true;
  if ('path' in loop) return [...loop.accesses.map((a) => a.addr), ...loop.ranges.map((r) => r.form)].some(readsSlot);
  return usesSlots(loop);
}

/** Whether some form of the loop reads a slot term. */
function usesSlots(loop: CountedLoop): boolean {
  return [loop.x, loop.y, loop.step, ...loop.accesses.flatMap((a) => [a.addr, a.stride]), ...loop.ranges.flatMap((r) => [r.form, r.stride])].some(readsSlot);
}

/** {@link countedLoop} given the analysis of its body and its jump (the condition as it goes on). */
function countedShape(ctx: LoopContext, ind: Induction, jop: Extract<Operation, { kind: 'jcond' }>, ji: Insn, cond: string | undefined, negated: boolean, latch: 0 | 1, minHoisted: number): CountedLoop | undefined {
  let tested: number;
  let y: Affine | undefined;
  const invariant = (r: number): boolean => r >= SLOT_BASE || (ind.step[r] !== undefined && constantOf(ind.step[r]!) === 0);
  // y: the value a register holds at the jump when the loop leaves it unchanged (a register it does
  // not write, a slot it reloads), or the immediate (as the compare reads it).
  const bound = (r: number): Affine | undefined => ind.end[r];
  const imm = (): Affine => ({ coeffs: new Map(), k: jop.width === 32 ? ji.imm >>> 0 : ji.imm });
  if (cond === 'jlt' || cond === 'jne' || cond === 'jle') [tested, y] = [ji.dst, jop.source === 'reg' ? bound(ji.src) : imm()];
  else if ((cond === 'jgt' || cond === 'jge') && jop.source === 'reg') [tested, y] = [ji.src, bound(ji.dst)];
  else return undefined;
  if (y === undefined) return undefined;
  // `x <= y` as `x < y + 1` (the guard's y below 2^62 keeps y + 1 exact).
  if (cond === 'jle' || cond === 'jge') y = { coeffs: y.coeffs, k: y.k + 1 };
  // The tested value at the first test, its stride, and its value one stride before.
  const end = ind.end[tested];
  const step = end === undefined ? undefined : strideOf(end, ind.step);
  const x = step === undefined ? undefined : combine(end, -1, step);
  if (step === undefined || x === undefined || ![...y.coeffs.keys()].every(invariant)) return undefined;
  const k = constantOf(step);
  const exact = cond === 'jne';
  // Up by a positive step to y, or, with `!=`, by a constant step either way (`while (n--)` counts down to y).
  if (exact ? k === undefined || k === 0 || Math.abs(k) > MAX_STRIDE : k !== undefined && (k <= 0 || k > MAX_STRIDE)) return undefined;
  const down = exact && k! < 0;
  // A constant stride beyond MAX_STRIDE: the access stays checked, a range condition refuses the loop.
  const small = (f: Affine): boolean => {
    const v = constantOf(f);
    return v === undefined || Math.abs(v) <= MAX_STRIDE;
  };
  const ranges = [...ind.ranges];
  if (!ranges.every((r) => small(r.stride))) return undefined;
  // A 32-bit compare reads the low halves: exact when x (after the step) and y are below 2^32.
  if (jop.width === 32) ranges.push({ form: end!, stride: step }, { form: y, stride: { coeffs: new Map(), k: 0 } });
  // Not those that may address the stack: the guard would fill the region cache with the stack for
  // them, and the next loop over another region would miss and leave for the checked copy (prng's
  // sum over a stack array after its main loop: 1.18x the time). They stay checked, against the stack.
  const accesses = ind.accesses.filter((a) => small(a.stride) && !ctx.mayBeStack(a.pc));
  return accesses.length >= minHoisted ? { x, y, step, down, exact, negated, latch, accesses, ranges, aliases: ind.aliases, offStack: false } : undefined;
}

/**
 * The {@link ChunkedLoop} headed by `bi`: follow the header's edges along blocks of loads, stores
 * and ALU instructions until one goes back to it, every other edge going to the one exit target.
 */
export function chunkedLoop(ctx: LoopContext, bi: number): ChunkedLoop | undefined {
  const plain = (b: number): boolean => {
    if (b < 0 || !ctx.plainBlock(b)) return false;
    const blk = ctx.blocks[b]!;
    const last = ctx.lastPc(blk);
    for (let pc = blk.start; pc < blk.end; pc += ctx.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      if (ctx.badSlots[pc] === 1) return false;
      const k = ctx.ops[pc]!.kind;
      if (pc === last && (k === 'ja' || k === 'jcond')) continue;
      if (!(k === 'alu' || k === 'neg' || k === 'movsx' || k === 'end' || k === 'lddw' || k === 'ldx' || k === 'st' || k === 'stx')) return false;
    }
    return true;
  };
  if (!plain(bi)) return undefined;
  const t0 = ctx.terms[bi]!;
  if (t0.kind !== 'cond' || t0.taken === t0.fall) return undefined;
  for (const exit of [t0.taken, t0.fall]) {
    if (exit < 0 || exit === bi) continue;
    const path = [bi];
    let next = exit === t0.taken ? t0.fall : t0.taken;
    let ok = true;
    while (next !== bi) {
      if (path.length >= MAX_CYCLE || next === exit || path.includes(next) || !plain(next)) {
        ok = false;
        break;
      }
      path.push(next);
      const t = ctx.terms[next]!;
      if (t.kind === 'goto') next = t.to;
      else if (t.kind === 'cond' && (t.taken === exit) !== (t.fall === exit)) next = t.taken === exit ? t.fall : t.taken;
      else {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const moves = cycleInduction(ctx, path);
    if (moves !== undefined && moves.accesses.length >= MIN_HOISTED) return { path, exit, ...moves };
  }
  return undefined;
}

/**
 * The accesses of a cycle of blocks (its instructions but the jumps ending each block) whose addresses
 * move by a constant per cycle, with the range conditions that make them exact (see induction.ts);
 * undefined when a block holds anything but loads, stores and ALU instructions, or a range condition
 * moves by a loop-invariant register (a chunk's length is computed with constant strides).
 */
function cycleInduction(ctx: LoopContext, path: readonly number[]): Pick<ChunkedLoop, 'accesses' | 'ranges' | 'offStack'> | undefined {
  const segments = path.map((bi) => ({ from: ctx.blocks[bi]!.start, to: ctx.blocks[bi]!.end }));
  const withSlots = offStack(ctx, cycleForms(ctx, path, true), segments);
  const slots = (l: Pick<ChunkedLoop, 'accesses' | 'ranges'>): boolean => [...l.accesses.map((a) => a.addr), ...l.ranges.map((r) => r.form)].some(readsSlot);
  if (withSlots !== undefined && !(withSlots.uncovered && slots(withSlots))) return withSlots;
  return offStack(ctx, cycleForms(ctx, path, false), segments);
}

/** {@link cycleInduction}, with or without slot terms. */
function cycleForms(ctx: LoopContext, path: readonly number[], frameSlots: boolean): Pick<ChunkedLoop, 'accesses' | 'ranges' | 'offStack'> | undefined {
  const segments = path.map((bi) => {
    const b = ctx.blocks[bi]!;
    const last = ctx.lastPc(b);
    const jump = ctx.ops[last]!.kind;
    return { from: b.start, to: jump === 'ja' || jump === 'jcond' ? last : b.end };
  });
  const ind = analyzeInduction({ insns: ctx.insns, ops: ctx.ops, from: 0, to: 0, segments, constantStrides: true, frameFastPath: ctx.frameFastPath, stackSize: ctx.stackSize, frameSlots });
  if (ind === undefined) return undefined;
  const small = (v: number | undefined): v is number => v !== undefined && Math.abs(v) <= MAX_STRIDE;
  const ranges: { form: Affine; stride: number }[] = [];
  for (const r of ind.ranges) {
    const stride = constantOf(r.stride);
    const value = constantOf(r.form);
    if (value !== undefined && value >= 0 && value < 2 ** 32) continue; // holds on every iteration
    if (!small(stride)) return undefined;
    ranges.push({ form: r.form, stride });
  }
  // Not the accesses that stay put (a variable on the stack through a copy of r10): one in another
  // region than the moving ones would leave every chunk empty; checked in place, each hits its cache.
  const accesses: { addr: Affine; stride: number; pc: number }[] = [];
  for (const a of ind.accesses) {
    const stride = constantOf(a.stride);
    if (small(stride) && stride !== 0) accesses.push({ addr: a.addr, stride, pc: a.pc });
  }
  return { accesses, ranges, offStack: false };
}

/**
 * Each register's change per pass around a cycle of blocks (its instructions but the jumps ending each
 * block; undefined where not a constant within MAX_STRIDE). Undefined when a block holds anything but
 * loads, stores and ALU instructions.
 */
function strided(ctx: LoopContext, path: readonly number[]): (number | undefined)[] | undefined {
  const state: (Affine | undefined)[] = [];
  for (let r = 0; r < JIT_REGISTERS; r++) state.push(registerAffine(r));
  for (const bi of path) {
    const b = ctx.blocks[bi]!;
    const last = ctx.lastPc(b);
    for (let pc = b.start; pc < b.end; pc += ctx.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = ctx.ops[pc]!;
      if (pc === last && (op.kind === 'ja' || op.kind === 'jcond')) continue;
      const i = ctx.insns[pc]!;
      if (accessOf(ctx, pc) !== undefined) {
        if (op.kind === 'ldx') state[i.dst] = undefined;
      } else if (op.kind === 'alu' && op.width === 64 && (op.op === 'mov' || op.op === 'add' || op.op === 'sub')) {
        state[i.dst] = affineAlu(state, op.op, op.source, i);
      } else if (op.kind === 'alu' || op.kind === 'neg' || op.kind === 'movsx' || op.kind === 'end' || op.kind === 'lddw') {
        state[i.dst] = undefined;
      } else return undefined;
    }
  }
  return state.map((v, r) => {
    const step = stepOf(v, r);
    return step !== undefined && Math.abs(step) <= MAX_STRIDE ? step : undefined;
  });
}

/** The {@link CopyLoop} a counted loop (block `bi`) is, if it is one. */
export function copyLoop(ctx: LoopContext, loop: CountedLoop, bi: number): CopyLoop | undefined {
  const b = ctx.blocks[bi]!;
  const last = ctx.lastPc(b);
  const stride = strided(ctx, [bi]);
  if (stride === undefined) return undefined;
  let load: { pc: number; reg: number; size: number } | undefined;
  let store: number | undefined;
  /** The loaded register was written again after the load. */
  let clobbered = false;
  const written = new Set<number>();
  const liveIn = new Set<number>();
  for (let pc = b.start; pc < last; pc += ctx.ops[pc]!.kind === 'lddw' ? 2 : 1) {
    const op = ctx.ops[pc]!;
    const i = ctx.insns[pc]!;
    const use = fieldUse(op);
    // Registers read: every register field, but dst where the instruction only writes it.
    const overwrites = (op.kind === 'alu' && op.op === 'mov') || op.kind === 'movsx' || op.kind === 'lddw' || op.kind === 'ldx';
    for (const f of use.registers) if (!(f === 'dst' && overwrites) && !written.has(i[f])) liveIn.add(i[f]);
    if (op.kind === 'ldx') {
      if (load !== undefined) return undefined;
      load = { pc, reg: i.dst, size: op.size };
    } else if (op.kind === 'stx') {
      // The loaded value, unchanged since the load.
      if (load === undefined || store !== undefined || i.src !== load.reg || op.size !== load.size || clobbered) return undefined;
      store = pc;
    } else if (accessOf(ctx, pc) !== undefined) return undefined;
    for (const f of use.writes) {
      written.add(i[f]);
      if (load !== undefined && load.pc !== pc && i[f] === load.reg) clobbered = true;
    }
  }
  if (load === undefined || store === undefined) return undefined;
  const src = loop.accesses.find((a) => a.pc === load.pc);
  const dst = loop.accesses.find((a) => a.pc === store);
  if (src === undefined || dst === undefined || constantOf(src.stride) !== load.size || constantOf(dst.stride) !== load.size) return undefined;
  const moves: { reg: number; by: number }[] = [];
  for (let r = 0; r < JIT_REGISTERS; r++) {
    const by = stride[r];
    if (by === undefined) {
      if (liveIn.has(r)) return undefined;
    } else if (by !== 0) moves.push({ reg: r, by });
  }
  return { src: src.addr, dst: dst.addr, size: load.size, moves };
}
