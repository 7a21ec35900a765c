/**
 * Load combining: a word that a program assembles from narrow loads, found once so that both engines
 * can read it with one wide load. C code reads big-endian header fields byte by byte,
 * `(p[0] << 8) | p[1]`, and clang `-target bpf` reads a `u32` it cannot prove aligned the same way; it
 * emits a byte load per byte, joined by shifts and `or`s. A native compiler's load combiner (LLVM's
 * DAG combine of "load combine" trees, GCC's store-merging / bswap pass) turns such a tree into one load
 * plus, for the big-endian order, one byte swap. This module is that recogniser, over eBPF.
 *
 * A *run* is a straight line of slots inside one basic block, starting at a load, in which every slot is
 * an unsigned load through one base register (unchanged until the run's last load) at constant offsets,
 * or an ALU operation on the values those loads produced: `lsh` / `rsh` by a multiple of 8, `and` with a
 * mask of whole bytes, `or` and `mov` between registers, and the byte-order operations (`le`, `be`,
 * `bswap`), at 64 or 32 bits. Each register's value is tracked exactly as a map from loaded byte to bit
 * position (all other bits zero). The run ends where the register written last holds the `n` bytes at
 * `[base + off, base + off + n)` (2 <= n <= 8), each once, in little- or big-endian order, shifted left by
 * a multiple of 8: that register's value is then the *word* `W` (see {@link CombinedLoad}) shifted.
 *
 * Exactness, which each engine keeps:
 * - every other register the run writes must still hold its value after it, unless nothing reads it
 *   before writing it (register liveness, verifier/reg-liveness.ts): the run lists each live one as an
 *   output computed from the word (a run whose live partial values the word cannot give is not taken);
 * - the wide load reads `load` bytes (n rounded up to 2, 4 or 8) in one region; where those bytes are
 *   not all in the engine's cached region, the engine runs the original slots instead, one by one, so a
 *   load that fails fails at its own pc with its own error (and a span ending past the region's last
 *   byte still runs);
 * - the budget is charged per basic block on entry, so skipping a run's later slots charges the same.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';

/** Byte order of a combined word. */
export type WordOrder = 'le' | 'be';

/**
 * A register's value after a run: the word `W` of order `from` shifted right by `shift` (left when
 * negative), and-ed with `mask`.
 */
export interface WordOutput {
  readonly reg: number;
  readonly from: WordOrder;
  readonly shift: number;
  readonly mask: bigint;
}

/**
 * A run of slots `[start, end)` whose effect on the live registers is that of one wide load. With X the
 * `load` bytes at `base + off` (zero-extended, little-endian), the word of order `le` is
 * `X & (2^(8n) - 1)` and of order `be` is `bswap64(X) >> (64 - 8n)` (the n bytes, first byte most
 * significant). `outputs[0]` is the run's result register (a left shift of the word of `order`, every
 * byte kept); the other outputs are the partial values still live after the run.
 */
export interface CombinedLoad {
  readonly start: number;
  readonly end: number;
  /** Slots in the run (lddw never is one: every slot is one instruction). */
  readonly count: number;
  readonly base: number;
  /** Offset of the word's first byte from the base register. */
  readonly off: number;
  /** Bytes of the word, 2-8. */
  readonly bytes: number;
  /** Bytes the wide load reads: `bytes` rounded up to 2, 4 or 8. */
  readonly load: 2 | 4 | 8;
  readonly order: WordOrder;
  readonly outputs: readonly WordOutput[];
}

/** Most slots a run may span: the search from every slot of a block stays linear in its length. */
export const MAX_RUN = 48;

/** A register's value: loaded byte offset (from the base register) → its bit position. */
type Bytes = ReadonlyMap<number, number>;

const remap = (v: Bytes, f: (q: number) => number | undefined): Map<number, number> => {
  const out = new Map<number, number>();
  for (const [o, q] of v) {
    const p = f(q);
    if (p !== undefined) out.set(o, p);
  }
  return out;
};

/** The value truncated to `width` bits (a 32-bit operation's operand, or its zero-extended result). */
const truncate = (v: Bytes, width: number): Map<number, number> => remap(v, (q) => (q < width ? q : undefined));

/** The value as a shift of the word of order `o` (first byte `lo`, `n` bytes), or undefined. */
function asWord(v: Bytes, o: WordOrder, lo: number, n: number): { shift: number; mask: bigint } | undefined {
  let shift: number | undefined;
  let mask = 0n;
  for (const [off, q] of v) {
    const at = o === 'le' ? 8 * (off - lo) : 8 * (lo + n - 1 - off);
    const s = at - q;
    if (shift === undefined) shift = s;
    else if (s !== shift) return undefined;
    mask |= 0xffn << BigInt(q);
  }
  return shift === undefined ? undefined : { shift, mask };
}

/** What a slot does to the tracked values, or undefined when it cannot be part of a run. */
function step(state: Map<number, Bytes>, op: Operation, i: Insn): Map<number, number> | undefined {
  if (op.kind === 'end') {
    const v = state.get(i.dst);
    if (v === undefined) return undefined;
    if (op.order === 'le') return truncate(v, op.bits);
    return remap(truncate(v, op.bits), (q) => op.bits - 8 - q);
  }
  if (op.kind !== 'alu') return undefined;
  const w = op.width;
  const dst = state.get(i.dst);
  if (op.source === 'reg') {
    const src = state.get(i.src);
    if (src === undefined) return undefined;
    if (op.op === 'mov') return truncate(src, w);
    if (op.op !== 'or' || dst === undefined) return undefined;
    const a = truncate(dst, w);
    const b = truncate(src, w);
    const positions = new Set(a.values());
    for (const [o, q] of b) if (a.has(o) || positions.has(q)) return undefined;
    return new Map([...a, ...b]);
  }
  if (dst === undefined) return undefined;
  const k = i.imm;
  if (op.op === 'lsh' || op.op === 'rsh') {
    if (k <= 0 || k >= w || k % 8 !== 0) return undefined;
    const v = truncate(dst, w);
    return op.op === 'lsh' ? remap(v, (q) => (q + k < w ? q + k : undefined)) : remap(v, (q) => (q - k >= 0 ? q - k : undefined));
  }
  if (op.op === 'and') {
    // The immediate is sign-extended to 64 bits; every byte of it must be 0x00 or 0xff.
    const m = BigInt.asUintN(w, BigInt(k));
    const keep: boolean[] = [];
    for (let b = 0; b < w / 8; b++) {
      const byte = Number((m >> BigInt(8 * b)) & 0xffn);
      if (byte !== 0 && byte !== 0xff) return undefined;
      keep.push(byte === 0xff);
    }
    return remap(truncate(dst, w), (q) => (keep[q / 8] === true ? q : undefined));
  }
  return undefined;
}

/**
 * The longest run starting at `pc` (a load) and ending at or before `to` (the end of its block), or
 * undefined. `runnable(p)`: slot p may be part of a run (not a bad slot, not a jump target: the caller
 * passes its block's end as `to`). `live(p)`: the registers live on entry to slot p (bit r for r).
 * `maxOutputs`: the most registers the engine sets after the wide load (1: the result only).
 */
export function combinedLoadAt(
  ops: readonly Operation[],
  insns: readonly Insn[],
  pc: number,
  to: number,
  runnable: (pc: number) => boolean,
  live: (pc: number) => number,
  maxOutputs: number,
): CombinedLoad | undefined {
  const first = ops[pc]!;
  if (first.kind !== 'ldx' || first.signed || !runnable(pc)) return undefined;
  const base = insns[pc]!.src;
  const state = new Map<number, Bytes>();
  const loaded = new Set<number>();
  let baseWritten = false;
  let loads = 0;
  let best: CombinedLoad | undefined;
  for (let p = pc; p < to && p - pc < MAX_RUN && runnable(p); p++) {
    const op = ops[p]!;
    const i = insns[p]!;
    let value: Map<number, number> | undefined;
    if (op.kind === 'ldx') {
      if (op.signed || i.src !== base || baseWritten || loaded.size + op.size > 8) break;
      value = new Map();
      for (let b = 0; b < op.size; b++) {
        if (loaded.has(i.offset + b)) break;
        value.set(i.offset + b, 8 * b);
      }
      if (value.size !== op.size) break;
      for (const o of value.keys()) loaded.add(o);
    } else value = step(state, op, i);
    if (value === undefined || i.dst === 10) break;
    state.set(i.dst, value);
    if (i.dst === base) baseWritten = true;
    const found = candidate(state, loaded, i.dst, live(p + 1), maxOutputs);
    if (op.kind === 'ldx') loads++;
    if (found !== undefined && loads >= 2) {
      best = { start: pc, end: p + 1, count: p + 1 - pc, base, off: found.off, bytes: found.bytes, load: found.load, order: found.order, outputs: found.outputs };
    }
  }
  return best;
}

/** Whether the state after a slot is a complete run (its last write `root` holds the whole word). */
function candidate(
  state: ReadonlyMap<number, Bytes>,
  loaded: ReadonlySet<number>,
  root: number,
  liveAfter: number,
  maxOutputs: number,
): Pick<CombinedLoad, 'off' | 'bytes' | 'load' | 'order' | 'outputs'> | undefined {
  const n = loaded.size;
  if (n < 2) return undefined;
  const lo = Math.min(...loaded);
  if (Math.max(...loaded) !== lo + n - 1) return undefined;
  const v = state.get(root)!;
  if (v.size !== n) return undefined;
  let order: WordOrder | undefined;
  let rootShape: { shift: number; mask: bigint } | undefined;
  for (const o of ['le', 'be'] as const) {
    const s = asWord(v, o, lo, n);
    if (s !== undefined && s.shift <= 0) {
      order = o;
      rootShape = s;
      break;
    }
  }
  if (order === undefined || rootShape === undefined) return undefined;
  const outputs: WordOutput[] = [{ reg: root, from: order, ...rootShape }];
  for (const [reg, bytes] of state) {
    if (reg === root || (liveAfter & (1 << reg)) === 0) continue;
    // A live register the run left 0 (all its bytes shifted or masked out) is not worth a case.
    const other: WordOrder = order === 'le' ? 'be' : 'le';
    const same = asWord(bytes, order, lo, n);
    const shape = same ?? asWord(bytes, other, lo, n);
    if (shape === undefined) return undefined;
    outputs.push({ reg, from: same !== undefined ? order : other, ...shape });
  }
  if (outputs.length > maxOutputs) return undefined;
  const load = n <= 2 ? 2 : n <= 4 ? 4 : 8;
  return { off: lo, bytes: n, load, order, outputs };
}

/** The value of output `o` given the words of both orders (a reference for engines and tests). */
export function outputValue(o: WordOutput, le: bigint, be: bigint): bigint {
  const w = o.from === 'le' ? le : be;
  const shifted = o.shift >= 0 ? w >> BigInt(o.shift) : BigInt.asUintN(64, w << BigInt(-o.shift));
  return shifted & o.mask;
}

/** The words of both orders from the `load` bytes read at the run's address (little-endian X). */
export function wordsOf(x: bigint, bytes: number): { le: bigint; be: bigint } {
  const le = x & ((1n << BigInt(8 * bytes)) - 1n);
  let swapped = 0n;
  for (let b = 0; b < 8; b++) swapped |= ((x >> BigInt(8 * b)) & 0xffn) << BigInt(8 * (7 - b));
  return { le, be: swapped >> BigInt(64 - 8 * bytes) };
}
