/**
 * Induction-variable analysis of a one-block loop body, for the JIT's loop versioning (emit-loops.ts
 * checks a counted loop's accesses once at its entry instead of on every iteration).
 *
 * Every register's value is followed as an affine form over the registers at the start of the
 * iteration (`k + Σ c × rN`), through 64-bit `mov`/`add`/`sub`, `mul` and `lsh` by a constant (exact
 * modulo 2^64), and through the same 32-bit operations under a *range condition*: a 32-bit operation
 * equals its affine form when its operands and its result lie in [0, 2^32) (no wrap, the upper halves
 * zero), so each such operation adds those forms to a list that the loop's entry guard must prove on
 * every iteration. A register's step (its change per iteration) may be a constant or a form over
 * registers the loop does not change (`j += n`, `k += 2 * i`), so an address or a condition moves by a
 * loop-invariant stride; each is affine in the iteration number and so monotonic, and the guard need
 * only test its first and last iteration. This is the classic induction-variable analysis plus the
 * overflow conditions that make 32-bit index arithmetic (clang's `u32 i` counters and `a[i * n + k]`)
 * analysable. clang's zero extension of a 32-bit value to 64 bits (`r <<= 32; r >>= 32`) is the value
 * itself under the same condition. The body may be one block or a cycle of blocks (`segments`, each
 * without the jump that ends it), followed in order as one pass.
 *
 * With `frameSlots`, a load of a frame slot (`[r10 + k]`, unsigned) that no store of the body through
 * r10 overlaps is a loop-invariant value of its own (a *slot term*, numbered from {@link SLOT_BASE}):
 * clang reloads spilled loop bounds and bases from the frame on every iteration, and with the slot
 * invariant the loop is as analysable as one that keeps them in registers (loop-invariant code motion
 * of the load into the guard). Stores through other registers may still write the slot (a pointer
 * into the stack): the caller must prove they do not (see loop-shapes.ts, `countedLoop`).
 * @module
 */
import { JIT_REGISTERS } from './inline.js';
import { fieldUse } from '../verifier/fields.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import type { Affine } from '../verifier/affine.js';

/** Largest |coefficient| and |constant| kept, so that compile-time arithmetic on doubles stays exact. */
const MAX_COEFF = 2 ** 20;
const MAX_CONSTANT = 2 ** 40;

/** An access whose address is affine: its form on the first iteration (offset included), per-iteration stride, pc, size. */
export interface InductionAccess {
  readonly addr: Affine;
  readonly stride: Affine;
  readonly pc: number;
  readonly size: 1 | 2 | 4 | 8;
}

/** A form that must lie in [0, 2^32) on every iteration (the first iteration's form and its stride). */
export interface RangeCondition {
  readonly form: Affine;
  readonly stride: Affine;
}

/** What {@link analyzeInduction} finds. */
export interface Induction {
  /** Each register's value at the end of an iteration, over the registers at its start (undefined: not affine). */
  readonly end: readonly (Affine | undefined)[];
  /** Each register's change per iteration, over loop-invariant registers (undefined: none such). */
  readonly step: readonly (Affine | undefined)[];
  readonly accesses: readonly InductionAccess[];
  /** The range conditions under which the forms are exact. */
  readonly ranges: readonly RangeCondition[];
  /**
   * Registers assumed equal at the start of every iteration, [b, a]: b ends each iteration as a does,
   * so they are equal on every iteration when they are on entry (which the loop's guard must check);
   * b's value at the start is taken to be a's, so that b is an induction variable too.
   */
  readonly aliases: readonly (readonly [number, number])[];
}

/** The instructions of the body, slots [from, to) (or several such `segments`, in order), and how accesses through the frame are checked. */
export interface InductionInput {
  readonly insns: readonly Insn[];
  readonly ops: readonly Operation[];
  readonly from: number;
  readonly to: number;
  /** When given, the body is these slot ranges, one after the other (`from` and `to` are then ignored). */
  readonly segments?: readonly { readonly from: number; readonly to: number }[];
  /** Treat a 32-bit operation as unknown unless its range conditions move by a constant (not a loop-invariant register). */
  readonly constantStrides?: boolean;
  /** Look for registers that end every iteration equal (see {@link Induction.aliases}). */
  readonly aliases?: boolean;
  /** Frame accesses through r10 that are checked at compile time (left out of the accesses). */
  readonly frameFastPath: boolean;
  /** Loads of frame slots that no r10 store of the body overlaps are slot terms (see the module comment). */
  readonly frameSlots?: boolean;
  readonly stackSize: number;
}

export const ZERO: Affine = { coeffs: new Map(), k: 0 };

/** First number of the slot terms (see the module comment): never a register's. */
export const SLOT_BASE = 1 << 20;

/** The slot term of the `size` bytes at `offset` bytes above the frame's lowest byte (r10 - stack size). */
export function slotTerm(offset: number, size: 1 | 2 | 4 | 8): number {
  return SLOT_BASE + offset * 4 + Math.log2(size);
}

/** The frame offset (above its lowest byte) and size of slot term `t`, or undefined for a register. */
export function slotOf(t: number): { readonly offset: number; readonly size: 1 | 2 | 4 | 8 } | undefined {
  if (t < SLOT_BASE) return undefined;
  const v = t - SLOT_BASE;
  return { offset: v >> 2, size: (1 << (v & 3)) as 1 | 2 | 4 | 8 };
}

/** True when the form reads a slot term. */
export function readsSlot(f: Affine): boolean {
  for (const r of f.coeffs.keys()) if (r >= SLOT_BASE) return true;
  return false;
}

/** A term's change per iteration: a slot term's is 0. */
function stepAt(step: readonly (Affine | undefined)[], r: number): Affine | undefined {
  return r >= SLOT_BASE ? ZERO : step[r];
}

/** The constant `k`. */
export function constant(k: number): Affine {
  return { coeffs: new Map(), k };
}

/** The form's constant value when it uses no register, else undefined. */
export function constantOf(f: Affine): number | undefined {
  return f.coeffs.size === 0 ? f.k : undefined;
}

function reg(r: number): Affine {
  return { coeffs: new Map([[r, 1]]), k: 0 };
}

/** a + m × b + k, or undefined when either is unknown or the result leaves the exact range. */
export function combine(a: Affine | undefined, m: number, b: Affine | undefined, k = 0): Affine | undefined {
  if (a === undefined || b === undefined) return undefined;
  const coeffs = new Map(a.coeffs);
  for (const [r, v] of b.coeffs) {
    const sum = (coeffs.get(r) ?? 0) + m * v;
    if (sum === 0) coeffs.delete(r);
    else coeffs.set(r, sum);
  }
  const kk = a.k + m * b.k + k;
  if (!(Math.abs(kk) < MAX_CONSTANT)) return undefined;
  for (const v of coeffs.values()) if (!(Math.abs(v) <= MAX_COEFF)) return undefined;
  return { coeffs, k: kk };
}

/** m × a, or undefined. */
function scale(a: Affine | undefined, m: number): Affine | undefined {
  return combine(ZERO, m, a);
}

function key(f: Affine): string {
  return `${f.k}|${[...f.coeffs].sort((x, y) => x[0] - y[0]).map(([r, v]) => `${r}:${v}`).join(',')}`;
}

/** The load or store at `pc` (not atomics): base register, offset, size. */
function accessOf(op: Operation, i: Insn): { reg: number; off: number; size: 1 | 2 | 4 | 8 } | undefined {
  if (op.kind === 'ldx') return { reg: i.src, off: i.offset, size: op.size };
  if (op.kind === 'st' || op.kind === 'stx') return { reg: i.dst, off: i.offset, size: op.size };
  return undefined;
}

/** True when slots `pc` and `pc + 1` (below `to`) are `r <<= 32; r >>= 32` on one register, 64-bit: a zero extension. */
function zeroExtension(ops: readonly Operation[], insns: readonly Insn[], pc: number, to: number): boolean {
  if (pc + 1 >= to) return false;
  const [a, b] = [ops[pc]!, ops[pc + 1]!];
  const [x, y] = [insns[pc]!, insns[pc + 1]!];
  const shift = (o: Operation, i: Insn, by: 'lsh' | 'rsh'): boolean => o.kind === 'alu' && o.width === 64 && o.op === by && o.source === 'imm' && i.imm === 32;
  return shift(a, x, 'lsh') && shift(b, y, 'rsh') && x.dst === y.dst;
}

/**
 * Follow one pass over the body. `opaque` lists 32-bit operations to treat as unknown (their range
 * condition has no loop-invariant stride). Undefined when the body holds anything but loads, stores
 * and ALU instructions.
 */
function pass(input: InductionInput, opaque: ReadonlySet<number>, start: readonly Affine[], written: Uint8Array | undefined) {
  const { insns, ops } = input;
  const state: (Affine | undefined)[] = [...start];
  const accesses: { addr: Affine; pc: number; size: 1 | 2 | 4 | 8 }[] = [];
  /** Range conditions with the pc of the 32-bit operation that needs each. */
  const needs: { form: Affine; pc: number }[] = [];
  for (const seg of input.segments ?? [{ from: input.from, to: input.to }]) {
    for (let pc = seg.from; pc < seg.to; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = ops[pc]!;
      const i = insns[pc]!;
      const a = accessOf(op, i);
      if (a !== undefined) {
        const ss = input.stackSize;
        const frame = input.frameFastPath && a.reg === FRAME_POINTER && a.off >= -ss && a.off + a.size <= 0;
        const addr = combine(state[a.reg], 1, ZERO, a.off);
        if (!frame && addr !== undefined) accesses.push({ addr, pc, size: a.size });
        if (op.kind === 'ldx') {
          const o = a.off + ss;
          const invariant = frame && written !== undefined && !op.signed && written.subarray(o, o + a.size).every((w) => w === 0);
          state[i.dst] = invariant ? reg(slotTerm(o, a.size)) : undefined;
        }
        continue;
      }
      if (zeroExtension(ops, insns, pc, seg.to) && !opaque.has(pc)) {
        // `r <<= 32; r >>= 32`: the value itself when it lies in [0, 2^32).
        const v = state[i.dst];
        if (v !== undefined) needs.push({ form: v, pc });
        pc++;
        continue;
      }
      if (op.kind === 'alu') {
        const src = op.source === 'reg' ? state[i.src] : constant(i.imm);
        let out: Affine | undefined;
        if (op.width === 64) {
          if (op.op === 'mov') out = src;
          else if (op.op === 'add') out = combine(state[i.dst], 1, src);
          else if (op.op === 'sub') out = combine(state[i.dst], -1, src);
          else if (op.op === 'mul' && op.source === 'imm') out = scale(state[i.dst], i.imm);
          else if (op.op === 'lsh' && op.source === 'imm' && i.imm >= 0 && i.imm <= 20) out = scale(state[i.dst], 2 ** i.imm);
        } else if (!opaque.has(pc)) {
          // 32-bit: exact when every operand read and the result lie in [0, 2^32); a 32-bit immediate
          // is congruent to its sign extension, which is exact under the same condition.
          const dst = state[i.dst];
          if (op.op === 'mov') out = op.source === 'imm' ? constant(i.imm >>> 0) : src;
          else if (op.op === 'add') out = combine(dst, 1, src);
          else if (op.op === 'sub') out = combine(dst, -1, src);
          else if (op.op === 'mul' && op.source === 'imm') out = scale(dst, i.imm);
          else if (op.op === 'lsh' && op.source === 'imm' && i.imm >= 0 && i.imm <= 20) out = scale(dst, 2 ** i.imm);
          if (out !== undefined) {
            if (op.op !== 'mov' && dst !== undefined) needs.push({ form: dst, pc });
            if (op.source === 'reg' && src !== undefined) needs.push({ form: src, pc });
            needs.push({ form: out, pc });
          }
        }
        state[i.dst] = out;
        continue;
      }
      if (op.kind === 'neg' || op.kind === 'movsx' || op.kind === 'end' || op.kind === 'lddw') {
        for (const f of fieldUse(op).writes) state[i[f]] = undefined;
        continue;
      }
      return undefined;
    }
  }
  return { state, accesses, needs };
}

/** Analyse a loop body (see the module comment); undefined when it holds anything but loads, stores and ALU instructions. */
export function analyzeInduction(input: InductionInput): Induction | undefined {
  const plain = analyze(input, new Map());
  if (plain === undefined || input.aliases !== true) return plain;
  // A register that is no induction variable but ends the iteration as one does (clang keeps `i` and
  // `i + step` in two registers and copies one into the other): assume them equal at the start.
  const alias = new Map<number, number>();
  for (let b = 0; b < FRAME_POINTER; b++) {
    const end = plain.end[b];
    if (plain.step[b] !== undefined || end === undefined) continue;
    for (let a = 0; a < FRAME_POINTER; a++) {
      if (a !== b && !alias.has(a) && plain.step[a] !== undefined && same(plain.end[a], end)) {
        alias.set(b, a);
        break;
      }
    }
  }
  if (alias.size === 0) return plain;
  const aliased = analyze(input, alias);
  // The assumption holds on every iteration only when the pairs still end equal under it.
  if (aliased === undefined || ![...alias].every(([b, a]) => same(aliased.end[a], aliased.end[b]))) return plain;
  return aliased;
}

function same(x: Affine | undefined, y: Affine | undefined): boolean {
  return x !== undefined && y !== undefined && key(x) === key(y);
}

/** {@link analyzeInduction} with register b taken to hold a's value at the start, for each [b, a] of `alias`. */
function analyze(input: InductionInput, alias: ReadonlyMap<number, number>): Induction | undefined {
  const opaque = new Set<number>();
  const start = Array.from({ length: JIT_REGISTERS }, (_, r) => reg(alias.get(r) ?? r));
  const written = input.frameSlots === true && input.frameFastPath ? frameWrites(input) : undefined;
  for (;;) {
    const p = pass(input, opaque, start, written);
    if (p === undefined) return undefined;
    // Steps: end - start, when that uses only registers the loop leaves unchanged (or slot terms).
    const diff = p.state.map((v, r) => combine(v, -1, start[r]));
    const invariant = (f: Affine): boolean => [...f.coeffs.keys()].every((r) => r >= SLOT_BASE || (diff[r] !== undefined && diff[r]!.coeffs.size === 0 && diff[r]!.k === 0));
    const step = diff.map((d) => (d !== undefined && invariant(d) ? d : undefined));
    let again = false;
    const ranges = new Map<string, RangeCondition>();
    for (const n of p.needs) {
      const stride = strideOf(n.form, step);
      if (stride === undefined || (input.constantStrides === true && constantOf(stride) === undefined)) {
        opaque.add(n.pc);
        again = true;
      } else ranges.set(key(n.form), { form: n.form, stride });
    }
    if (again) continue;
    const accesses: InductionAccess[] = [];
    for (const a of p.accesses) {
      const stride = strideOf(a.addr, step);
      if (stride !== undefined) accesses.push({ ...a, stride });
    }
    return { end: p.state, step, accesses, ranges: [...ranges.values()], aliases: [...alias] };
  }
}

/** The stride of `f` given the loop's steps (undefined when a register it uses has none). */
export function strideOf(f: Affine, step: readonly (Affine | undefined)[]): Affine | undefined {
  let s: Affine | undefined = ZERO;
  for (const [r, v] of f.coeffs) s = combine(s, v, stepAt(step, r));
  return s;
}

/**
 * The frame bytes (offsets above its lowest byte) a store through r10 in the body may write: 1 each.
 * A store through r10 outside the frame, or an atomic through it, marks the whole frame.
 */
function frameWrites(input: InductionInput): Uint8Array {
  const ss = input.stackSize;
  const out = new Uint8Array(ss);
  for (const seg of input.segments ?? [{ from: input.from, to: input.to }]) {
    for (let pc = seg.from; pc < seg.to; pc += input.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = input.ops[pc]!;
      const i = input.insns[pc]!;
      if ((op.kind === 'st' || op.kind === 'stx' || op.kind === 'atomic') && i.dst === FRAME_POINTER) {
        const o = i.offset + ss;
        if (op.kind === 'atomic' || o < 0 || o + op.size > ss) out.fill(1);
        else out.fill(1, o, o + op.size);
      }
    }
  }
  return out;
}
