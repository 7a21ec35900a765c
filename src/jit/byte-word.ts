/**
 * Words assembled from byte loads, read with one load. clang `-target bpf` reads a `u32` or `u64` it
 * cannot prove aligned byte by byte and joins the bytes with shifts and `or`s (a hash's unaligned key
 * words, a parser's little-endian length fields); a native compiler emits one load. A run of byte
 * loads through one base register, 64-bit or 32-bit `lsh` by multiples of 8, `or` and `mov` between
 * registers holding such bytes, whose result in some register is the little-endian word of 2, 4 or 8
 * consecutive bytes, is read with one load of that width; every register the run writes is then set
 * from the word (`(word >> s) & mask`), so that the state after the run is the same.
 *
 * Only where every byte load of the run is already proved in bounds (the check-free copy of a counted
 * loop, emit-loops.ts): a load that could fail must fail at its own pc, which one wider load cannot tell.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';

/** A register's value in the run: byte offset (from the base register) → its bit position. */
type Bytes = Map<number, number>;

/** A run of byte loads assembled into a word (see the module comment). */
export interface ByteWord {
  /** The first pc after the run. */
  readonly end: number;
  readonly base: number;
  /** Offset of the word's lowest byte from the base register. */
  readonly off: number;
  readonly size: 2 | 4 | 8;
  /** Pc of the run's byte load at that offset. */
  readonly loadPc: number;
  /** Every register the run writes, and its value after the run: the word shifted right by `shift` (left when negative), and-ed with `mask`. */
  readonly outputs: readonly { readonly reg: number; readonly shift: number; readonly mask: bigint }[];
}

/** Most instructions a run may span: the search from every pc of a block stays linear in its length. */
const MAX_RUN = 48;

/** The largest bit position plus 8 of a value's bytes: its width in bits. */
const top = (v: Bytes): number => Math.max(0, ...[...v.values()].map((p) => p + 8));

/**
 * The word run starting at `pc` (a byte load whose bytes `proved` says are in bounds) and ending before
 * `to`, or undefined.
 */
export function byteWord(ops: readonly Operation[], insns: readonly Insn[], pc: number, to: number, proved: (pc: number) => boolean): ByteWord | undefined {
  const first = ops[pc]!;
  if (first.kind !== 'ldx' || first.size !== 1 || !proved(pc)) return undefined;
  const base = insns[pc]!.src;
  const state = new Map<number, Bytes>();
  const loads = new Map<number, number>(); // offset → pc
  let end = pc;
  for (let p = pc; p < to && p - pc < MAX_RUN; p++) {
    const op = ops[p]!;
    const i = insns[p]!;
    if (op.kind === 'ldx') {
      if (op.size !== 1 || i.src !== base || i.dst === base || !proved(p) || loads.has(i.offset) || loads.size === 8) break;
      loads.set(i.offset, p);
      state.set(i.dst, new Map([[i.offset, 0]]));
    } else if (op.kind === 'alu' && i.dst !== base) {
      const dst = state.get(i.dst);
      const width = op.width;
      if (op.op === 'lsh' && op.source === 'imm' && dst !== undefined) {
        if (i.imm <= 0 || i.imm % 8 !== 0 || top(dst) > width || top(dst) + i.imm > width) break;
        state.set(i.dst, new Map([...dst].map(([o, q]) => [o, q + i.imm])));
      } else if ((op.op === 'or' || op.op === 'mov') && op.source === 'reg') {
        const src = state.get(i.src);
        if (src === undefined || top(src) > width) break;
        if (op.op === 'mov') state.set(i.dst, new Map(src));
        else {
          if (dst === undefined || top(dst) > width) break;
          const positions = new Set(dst.values());
          if ([...src].some(([o, q]) => dst.has(o) || positions.has(q))) break;
          state.set(i.dst, new Map([...dst, ...src]));
        }
      } else break;
    } else break;
    end = p + 1;
  }
  if (loads.size < 2) return undefined;
  const off = Math.min(...loads.keys());
  const size = loads.size as 2 | 4 | 8;
  if (size !== 2 && size !== 4 && size !== 8) return undefined;
  if (Math.max(...loads.keys()) !== off + size - 1) return undefined;
  // Some register holds the little-endian word: byte off + k at bit 8k.
  const word = [...state.values()].some((v) => v.size === size && [...v].every(([o, q]) => q === 8 * (o - off)));
  if (!word) return undefined;
  const outputs: { reg: number; shift: number; mask: bigint }[] = [];
  for (const [reg, v] of state) {
    const shifts = new Set([...v].map(([o, q]) => 8 * (o - off) - q));
    if (shifts.size !== 1) return undefined;
    const shift = [...shifts][0]!;
    let mask = 0n;
    for (const q of v.values()) mask |= 0xffn << BigInt(q);
    outputs.push({ reg, shift, mask });
  }
  return { end, base, off, size, loadPc: loads.get(off)!, outputs };
}
