/**
 * The raw eBPF instruction: one 8-byte slot, `opcode:8 dst:4 src:4 off:16 imm:32`, little-endian.
 * @module
 */
import { INSN_SIZE, Opcode } from './opcodes.js';

/** One decoded instruction slot. `offset` and `imm` are signed. */
export interface Insn {
  /** The 8-bit opcode. */
  readonly opcode: number;
  /** Destination register, 0-15 as encoded (only 0-10 are valid). */
  readonly dst: number;
  /** Source register, 0-15 as encoded (only 0-10 are valid). */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly offset: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
}

/** Number of instruction slots in a program's bytes (the caller checks that the length is a multiple of 8). */
export function slotCount(prog: Uint8Array): number {
  return Math.floor(prog.length / INSN_SIZE);
}

/** Decode the slot at index `pc` (in slots, not bytes). The caller ensures `pc` is in range. */
export function decodeInsn(prog: Uint8Array, pc: number): Insn {
  const at = pc * INSN_SIZE;
  const regs = prog[at + 1]!;
  return {
    opcode: prog[at]!,
    dst: regs & 0x0f,
    src: regs >>> 4,
    offset: ((prog[at + 2]! | (prog[at + 3]! << 8)) << 16) >> 16,
    imm: prog[at + 4]! | (prog[at + 5]! << 8) | (prog[at + 6]! << 16) | (prog[at + 7]! << 24),
  };
}

/** Encode one instruction into `out` at slot `pc`. Fields are masked to their widths. */
export function encodeInsnInto(out: Uint8Array, pc: number, insn: Insn): void {
  const at = pc * INSN_SIZE;
  out[at] = insn.opcode & 0xff;
  out[at + 1] = (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4);
  out[at + 2] = insn.offset & 0xff;
  out[at + 3] = (insn.offset >> 8) & 0xff;
  out[at + 4] = insn.imm & 0xff;
  out[at + 5] = (insn.imm >> 8) & 0xff;
  out[at + 6] = (insn.imm >> 16) & 0xff;
  out[at + 7] = (insn.imm >>> 24) & 0xff;
}

/** Encode a list of instruction slots into bytecode. */
export function encodeProgram(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  insns.forEach((insn, pc) => encodeInsnInto(out, pc, insn));
  return out;
}

/** Decode every slot of a program (an `lddw` yields two slots; the second has opcode 0). */
export function decodeProgram(prog: Uint8Array): Insn[] {
  const n = slotCount(prog);
  const out: Insn[] = new Array(n);
  for (let pc = 0; pc < n; pc++) out[pc] = decodeInsn(prog, pc);
  return out;
}

/** Build an instruction with zero defaults. */
export function insn(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Insn {
  return { opcode, dst, src, offset, imm };
}

/** True when the slot is the first half of a two-slot `lddw`. */
export function isWide(i: Insn): boolean {
  return i.opcode === Opcode.LDDW;
}

/** The 64-bit immediate of an `lddw` from its two slots, as an unsigned `bigint`. */
export function wideImm(first: Insn, second: Insn): bigint {
  return (BigInt(second.imm >>> 0) << 32n) | BigInt(first.imm >>> 0);
}

/** Split a 64-bit value (taken modulo 2^64) into the two `imm` fields of an `lddw`. */
export function splitWideImm(value: bigint): { lo: number; hi: number } {
  const v = BigInt.asUintN(64, value);
  return { lo: Number(v & 0xffffffffn) | 0, hi: Number(v >> 32n) | 0 };
}
