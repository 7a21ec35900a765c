/**
 * Value ranges of registers, and which loads and stores address the current frame through a computed
 * pointer (`r1 = r10; r1 += -64; r1 += r7` with r7 in [0, 56]: a stack array indexed by a variable).
 *
 * A forward data-flow analysis over the program's basic blocks (abstract interpretation on intervals,
 * with widening at block entries): each register is a scalar in a signed interval, a pointer into the
 * current frame (r10 plus an offset in an interval), or unknown. Conditional jumps against a bound
 * narrow the compared register on each edge (`if r7 < 8`), masks and shifts bound what they produce,
 * narrow loads are bounded by their width. When the base register of an access is a frame pointer
 * whose whole offset range keeps the access inside the frame, the compiler addresses it from the frame
 * like an `[r10 + k]` access, without a region check (emit-address.ts): no value the run computes can put it
 * elsewhere. Everything else stays checked at run time, so errors stay the interpreter's.
 *
 * A frame pointer spilled to an 8-byte slot `[r10 + k]` and filled back keeps its range (clang spills
 * pointer arguments, such as a callee's `u32 *out` into its caller's frame, across a loop): the state
 * holds a value per such slot. Any store whose bytes may overlap a slot forgets it, and so does every
 * write the analysis cannot place: a store or atomic through a base that is not a frame pointer (it
 * may have been forged to point into the stack), a helper call or a local call.
 *
 * Sound under the same condition as the frame fast path (r10 never written, the stack one writable
 * region): r10 is then the frame's fixed top in every function. A function's entry (the program's
 * entry, a local-call or callback target) knows nothing of r1-r9; calls leave r0-r5 unknown and keep
 * r6-r9 (each function has its own registers). Bounds are kept below 2^40 in magnitude, so that no
 * interval arithmetic here can wrap; anything larger is unknown. Cost: one pass per block and per
 * widening step, the states of block entries only (linear in the program's size).
 * @module
 */
import { JIT_REGISTERS } from './inline.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import type { Insn } from '../isa/instruction.js';
import type { JumpCond, Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { solveForward } from './block-dataflow.js';
import { fieldUse } from '../verifier/fields.js';

/** A register's abstract value: unknown, a scalar in [lo, hi] (signed), or r10 + [lo, hi] of the current frame. */
interface Value {
  readonly kind: 'top' | 'scalar' | 'frame';
  readonly lo: number;
  readonly hi: number;
}

/** Registers r0-r14 (JIT_REGISTERS), then the tracked spill slots (SpillSlots' order). */
type State = Value[];

/** The 8-byte slots `[r10 + k]` the program spills a register to: their offsets, in the state's order. */
interface SpillSlots {
  readonly offsets: readonly number[];
  readonly index: ReadonlyMap<number, number>;
}

function spillSlots(insns: readonly Insn[], ops: readonly Operation[]): SpillSlots {
  const offsets: number[] = [];
  const index = new Map<number, number>();
  for (let pc = 0; pc < insns.length; pc++) {
    const op = ops[pc]!;
    const i = insns[pc]!;
    if (op.kind === 'stx' && op.size === 8 && i.dst === FRAME_POINTER && !index.has(i.offset)) {
      index.set(i.offset, JIT_REGISTERS + offsets.length);
      offsets.push(i.offset);
    }
    if (op.kind === 'lddw') pc++;
  }
  return { offsets, index };
}

/** Forget the spill slots that bytes [lo, hi) of the frame may overlap (all of them when `lo` is undefined). */
function clobber(s: State, slots: SpillSlots, lo?: number, hi?: number): void {
  slots.offsets.forEach((k, j) => {
    if (lo === undefined || hi === undefined || (k < hi && k + 8 > lo)) s[JIT_REGISTERS + j] = TOP;
  });
}

/** Offsets of the frame pointers the accesses use: r10 + [lo, hi] for the base register at an access's pc. */
export type FrameRanges = ReadonlyMap<number, { readonly lo: number; readonly hi: number }>;

const LIMIT = 2 ** 40;
const U32 = 2 ** 32;
const TOP: Value = { kind: 'top', lo: -Infinity, hi: Infinity };
const FP: Value = { kind: 'frame', lo: 0, hi: 0 };
/** Block entries a state may grow at before its growing bounds are widened to unknown. */
const WIDEN_AFTER = 4;

function scalar(lo: number, hi: number): Value {
  if (lo < -LIMIT) lo = -Infinity;
  if (hi > LIMIT) hi = Infinity;
  if (lo === -Infinity && hi === Infinity) return TOP;
  return { kind: 'scalar', lo, hi };
}

function frame(lo: number, hi: number): Value {
  return Number.isFinite(lo) && Number.isFinite(hi) && lo >= -LIMIT && hi <= LIMIT ? { kind: 'frame', lo, hi } : TOP;
}

const finite = (v: Value): boolean => v.kind === 'scalar' && Number.isFinite(v.lo) && Number.isFinite(v.hi);
const nonNeg = (v: Value): boolean => finite(v) && v.lo >= 0;
const U32_ALL = scalar(0, U32 - 1);

/** The low 32 bits of `v`, zero-extended. */
function low32(v: Value): Value {
  if (finite(v) && v.lo >= 0 && v.hi < U32) return v;
  if (finite(v) && v.lo >= -U32 && v.hi < 0) return scalar(v.lo + U32, v.hi + U32);
  return U32_ALL;
}

/** A 32-bit result computed as an exact interval: itself when it stays in [0, 2^32), else any u32. */
function wrap32(v: Value): Value {
  return v.kind === 'scalar' && v.lo >= 0 && v.hi < U32 ? v : U32_ALL;
}

function join(a: Value, b: Value): Value {
  if (a.kind === 'top' || b.kind === 'top' || a.kind !== b.kind) return TOP;
  const lo = Math.min(a.lo, b.lo);
  const hi = Math.max(a.hi, b.hi);
  return a.kind === 'frame' ? frame(lo, hi) : scalar(lo, hi);
}

const same = (a: Value, b: Value): boolean => a.kind === b.kind && a.lo === b.lo && a.hi === b.hi;

/** `old` joined with `next`, bounds still moving after WIDEN_AFTER growths widened to unknown. */
function widen(old: Value, next: Value): Value {
  const j = join(old, next);
  if (same(j, old)) return old;
  if (j.kind === 'scalar' && j.lo === old.lo && j.hi < U32 && old.hi < U32 && j.lo >= 0) return U32_ALL;
  return TOP;
}

/** Highest value with the bit length of `n` (n >= 0): 2^bits - 1. */
function ones(n: number): number {
  let m = 1;
  while (m <= n) m *= 2;
  return m - 1;
}

/** A shift amount's range (masked to the width), or undefined when it is not known. */
function shiftAmount(v: Value, width: 32 | 64): { lo: number; hi: number } | undefined {
  if (!finite(v) || v.lo < 0 || v.hi >= width) return undefined;
  return { lo: v.lo, hi: v.hi };
}

/** `dst op= src` on 64 bits. */
function alu64(op: string, a: Value, b: Value): Value {
  if (op === 'mov') return b;
  if (op === 'add') {
    if (a.kind === 'frame' && finite(b)) return frame(a.lo + b.lo, a.hi + b.hi);
    if (b.kind === 'frame' && finite(a)) return frame(a.lo + b.lo, a.hi + b.hi);
    return finite(a) && finite(b) ? scalar(a.lo + b.lo, a.hi + b.hi) : TOP;
  }
  if (op === 'sub') {
    if (a.kind === 'frame' && finite(b)) return frame(a.lo - b.hi, a.hi - b.lo);
    if (a.kind === 'frame' && b.kind === 'frame') return scalar(a.lo - b.hi, a.hi - b.lo);
    return finite(a) && finite(b) ? scalar(a.lo - b.hi, a.hi - b.lo) : TOP;
  }
  if (a.kind === 'frame' || b.kind === 'frame') return TOP;
  switch (op) {
    case 'mul':
      return nonNeg(a) && nonNeg(b) && a.hi * b.hi <= LIMIT ? scalar(a.lo * b.lo, a.hi * b.hi) : TOP;
    case 'div':
      return nonNeg(a) ? scalar(0, a.hi) : TOP;
    case 'mod':
      if (nonNeg(b) && b.lo >= 1) return scalar(0, nonNeg(a) ? Math.min(a.hi, b.hi - 1) : b.hi - 1);
      return nonNeg(a) ? scalar(0, a.hi) : TOP;
    case 'and':
      if (nonNeg(a) && nonNeg(b)) return scalar(0, Math.min(a.hi, b.hi));
      if (nonNeg(a)) return scalar(0, a.hi);
      return nonNeg(b) ? scalar(0, b.hi) : TOP;
    case 'or':
    case 'xor':
      return nonNeg(a) && nonNeg(b) ? scalar(0, ones(Math.max(a.hi, b.hi))) : TOP;
    case 'lsh': {
      const k = shiftAmount(b, 64);
      if (k === undefined || !nonNeg(a) || a.hi * 2 ** k.hi > LIMIT) return TOP;
      return scalar(a.lo * 2 ** k.lo, a.hi * 2 ** k.hi);
    }
    case 'rsh': {
      const k = shiftAmount(b, 64);
      if (k === undefined) return TOP;
      if (nonNeg(a)) return scalar(Math.floor(a.lo / 2 ** k.hi), Math.floor(a.hi / 2 ** k.lo));
      return k.lo >= 1 ? scalar(0, 2 ** (64 - k.lo) - 1) : TOP;
    }
    case 'arsh': {
      const k = shiftAmount(b, 64);
      if (k === undefined || !finite(a)) return TOP;
      return scalar(Math.min(Math.floor(a.lo / 2 ** k.lo), Math.floor(a.lo / 2 ** k.hi)), Math.max(Math.floor(a.hi / 2 ** k.lo), Math.floor(a.hi / 2 ** k.hi)));
    }
    default:
      return TOP;
  }
}

/** `wdst op= wsrc` on 32 bits (zero-extended result). */
function alu32(op: string, a: Value, b: Value): Value {
  const x = low32(a);
  const y = low32(b);
  switch (op) {
    case 'mov':
      return y;
    case 'add':
      return wrap32(scalar(x.lo + y.lo, x.hi + y.hi));
    case 'sub':
      return wrap32(scalar(x.lo - y.hi, x.hi - y.lo));
    case 'mul':
      return x.hi * y.hi < U32 ? scalar(x.lo * y.lo, x.hi * y.hi) : U32_ALL;
    case 'div':
      return scalar(0, x.hi);
    case 'mod':
      return scalar(0, y.lo >= 1 ? Math.min(x.hi, y.hi - 1) : x.hi);
    case 'and':
      return scalar(0, Math.min(x.hi, y.hi));
    case 'or':
    case 'xor':
      return scalar(0, ones(Math.max(x.hi, y.hi)));
    case 'lsh': {
      const k = shiftAmount(b, 32);
      return k !== undefined && x.hi * 2 ** k.hi < U32 ? scalar(x.lo * 2 ** k.lo, x.hi * 2 ** k.hi) : U32_ALL;
    }
    case 'rsh': {
      const k = shiftAmount(b, 32);
      return k !== undefined ? scalar(Math.floor(x.lo / 2 ** k.hi), Math.floor(x.hi / 2 ** k.lo)) : U32_ALL;
    }
    case 'arsh': {
      const k = shiftAmount(b, 32);
      return k !== undefined && x.hi < 2 ** 31 ? scalar(Math.floor(x.lo / 2 ** k.hi), Math.floor(x.hi / 2 ** k.lo)) : U32_ALL;
    }
    default:
      return U32_ALL;
  }
}

/** The immediate of an ALU or jump instruction as a 64-bit operand (sign-extended) or a 32-bit one (zero-extended). */
const immediate = (imm: number, width: 32 | 64): Value => (width === 64 ? scalar(imm, imm) : scalar(imm >>> 0, imm >>> 0));

/** Register `r`'s value in `s` (r10: the frame's top). */
const regValue = (s: State, r: number): Value => (r === FRAME_POINTER ? FP : s[r]!);

/** Forget the spill slots a store of `size` bytes through `i`'s base register at its offset may write. */
function storeWrites(s: State, slots: SpillSlots, i: Insn, size: number): void {
  const base = regValue(s, i.dst);
  if (base.kind === 'frame') clobber(s, slots, base.lo + i.offset, base.hi + i.offset + size);
  else clobber(s, slots);
}

/** Apply one instruction (not a jump) to `s` in place. */
function transfer(s: State, op: Operation, i: Insn, next: Insn | undefined, slots: SpillSlots): void {
  switch (op.kind) {
    case 'st':
      storeWrites(s, slots, i, op.size);
      return;
    case 'stx': {
      const v = regValue(s, i.src);
      storeWrites(s, slots, i, op.size);
      const slot = i.dst === FRAME_POINTER && op.size === 8 ? slots.index.get(i.offset) : undefined;
      if (slot !== undefined) s[slot] = v;
      return;
    }
    case 'alu': {
      const b = op.source === 'imm' ? immediate(i.imm, op.width) : regValue(s, i.src);
      s[i.dst] = op.width === 64 ? alu64(op.op, regValue(s, i.dst), b) : alu32(op.op, regValue(s, i.dst), b);
      return;
    }
    case 'neg': {
      const a = regValue(s, i.dst);
      s[i.dst] = op.width === 64 && finite(a) ? scalar(-a.hi, -a.lo) : op.width === 64 ? TOP : U32_ALL;
      return;
    }
    case 'movsx': {
      const a = regValue(s, i.src);
      const half = 2 ** (op.bits - 1);
      const v = finite(a) && a.lo >= -half && a.hi < half ? a : scalar(-half, half - 1);
      s[i.dst] = op.width === 64 ? v : low32(v);
      return;
    }
    case 'end':
      s[i.dst] = op.bits < 64 ? scalar(0, 2 ** op.bits - 1) : TOP;
      return;
    case 'ldx': {
      const slot = i.src === FRAME_POINTER && op.size === 8 ? slots.index.get(i.offset) : undefined;
      if (slot !== undefined) {
        s[i.dst] = s[slot]!;
        return;
      }
      const bits = op.size * 8;
      s[i.dst] = op.size === 8 ? TOP : op.signed ? scalar(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) : scalar(0, 2 ** bits - 1);
      return;
    }
    case 'lddw': {
      if (op.pseudo !== 0 || next === undefined) {
        s[i.dst] = TOP;
        return;
      }
      const v = BigInt.asIntN(64, (BigInt(next.imm >>> 0) << 32n) | BigInt(i.imm >>> 0));
      s[i.dst] = v >= -BigInt(LIMIT) && v <= BigInt(LIMIT) ? scalar(Number(v), Number(v)) : TOP;
      return;
    }
    case 'call':
    case 'callx':
      // A helper may write through any pointer it is given; a callee through one into this frame.
      clobber(s, slots);
      for (let r = 0; r <= 5; r++) s[r] = TOP;
      return;
    case 'ldabs':
    case 'ldind':
      for (let r = 0; r <= 5; r++) s[r] = TOP;
      return;
    case 'atomic':
      storeWrites(s, slots, i, op.size);
      s[0] = TOP;
      s[i.src] = TOP;
      return;
    default:
      for (const f of fieldUse(op).writes) if (i[f] !== FRAME_POINTER) s[i[f]] = TOP;
  }
}

/** Each condition as the set where it holds; the negation is the complementary condition. */
const FLIP: Readonly<Record<JumpCond, JumpCond | undefined>> = {
  jeq: 'jne', jne: 'jeq', jlt: 'jge', jge: 'jlt', jle: 'jgt', jgt: 'jle',
  jslt: 'jsge', jsge: 'jslt', jsle: 'jsgt', jsgt: 'jsle', jset: undefined,
};

/** Narrow `v` to the values for which `v cond k` (`taken`) or its negation holds, k = [kl, kh] (64-bit compare). */
function narrow(v: Value, cond: JumpCond, kl: number, kh: number, taken: boolean): Value {
  if (v.kind === 'frame') return v;
  const lo = v.lo;
  const hi = v.hi;
  const c = taken ? cond : FLIP[cond];
  if (c === undefined) return v;
  const cut = (l: number, h: number): Value => (Math.max(lo, l) > Math.min(hi, h) ? v : scalar(Math.max(lo, l), Math.min(hi, h)));
  switch (c) {
    case 'jeq':
      return kl === kh ? cut(kl, kh) : v;
    case 'jne':
      return v;
    // Unsigned compares against a non-negative bound: v <u k means 0 <= v < k, whatever v's sign.
    case 'jlt':
      return kl >= 0 && Number.isFinite(kh) ? cut(0, kh - 1) : v;
    case 'jle':
      return kl >= 0 && Number.isFinite(kh) ? cut(0, kh) : v;
    case 'jgt':
      return lo >= 0 && kl >= 0 ? cut(kl + 1, Infinity) : v;
    case 'jge':
      return lo >= 0 && kl >= 0 ? cut(kl, Infinity) : v;
    case 'jslt':
      return cut(-Infinity, kh - 1);
    case 'jsle':
      return cut(-Infinity, kh);
    case 'jsgt':
      return cut(kl + 1, Infinity);
    case 'jsge':
      return cut(kl, Infinity);
    default:
      return v;
  }
}

/** The state on the taken (`taken`) or fall-through edge of conditional jump `i`. */
function branch(s: State, op: Extract<Operation, { kind: 'jcond' }>, i: Insn, taken: boolean): State {
  if (i.dst === FRAME_POINTER) return s;
  const v = s[i.dst]!;
  const k = op.source === 'imm' ? immediate(i.imm, op.width) : i.src === FRAME_POINTER ? FP : s[i.src]!;
  if (k.kind !== 'scalar' || v.kind === 'frame') return s;
  if (op.width === 32) {
    // A 32-bit compare decides the 64-bit value only when both operands are their own low 32 bits
    // (and, for signed compares, non-negative as i32).
    const top = op.cond.startsWith('js') ? 2 ** 31 : U32;
    const fits = (x: Value): boolean => finite(x) && x.lo >= 0 && x.hi < top;
    if (!fits(v) || !fits(k)) return s;
  }
  const out = s.slice();
  out[i.dst] = narrow(v.kind === 'top' ? TOP : v, op.cond, k.lo, k.hi, taken);
  return out;
}

/**
 * The frame ranges of the accesses (loads and stores, not atomics) of the program whose base register
 * is not r10 and holds a pointer into the current frame, by pc. `entries`: the pcs functions start at.
 * Blocks holding a bad slot (`badSlots`) end there.
 */
export function frameRanges(insns: readonly Insn[], ops: readonly Operation[], blocks: readonly BasicBlock[], blockAt: Int32Array, entries: readonly number[], badSlots: Uint8Array): FrameRanges {
  const grown = new Uint8Array(blocks.length);
  const slots = spillSlots(insns, ops);
  const unknown = (): State => Array.from({ length: JIT_REGISTERS + slots.offsets.length }, () => TOP);
  const out = new Map<number, { lo: number; hi: number }>();
  solveForward(insns, ops, blocks, blockAt, badSlots, entries.map((pc): [number, State] => [pc, unknown()]), {
    arrive(b, old, s) {
      if (old === undefined) return s.slice();
      const wide = grown[b]! >= WIDEN_AFTER;
      const next = old.map((v, r) => (wide ? widen(v, s[r]!) : join(v, s[r]!)));
      if (next.every((v, r) => same(v, old[r]!))) return undefined;
      grown[b]!++;
      return next;
    },
    copy: (s) => s.slice(),
    transfer: (s, pc) => transfer(s, ops[pc]!, insns[pc]!, insns[pc + 1], slots),
    branch: (s, pc, taken) => branch(s, ops[pc]! as Extract<Operation, { kind: 'jcond' }>, insns[pc]!, taken),
    record(s, pc) {
      const op = ops[pc]!;
      if (op.kind !== 'ldx' && op.kind !== 'st' && op.kind !== 'stx') return;
      const base = op.kind === 'ldx' ? insns[pc]!.src : insns[pc]!.dst;
      const v = s[base]!;
      if (base !== FRAME_POINTER && v.kind === 'frame') out.set(pc, { lo: v.lo, hi: v.hi });
    },
  });
  return out;
}
