/**
 * From operation names to opcode bytes, built only from the constants of `src/isa`. Both dialect
 * parsers and the instruction builder go through these functions, so no opcode is spelled twice.
 * @module
 */
import {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  Mode,
  PseudoLoad,
  Size,
  Source,
} from '../isa/opcodes.js';
import type { AccessSize, AluName, AtomicName, JumpCond } from '../isa/operation.js';

/** A statement's encoded form before labels are resolved. */
export interface Pending {
  opcode: number;
  dst: number;
  src: number;
  offset: number;
  imm: number;
  /** The 64-bit value of an `lddw` (it then occupies two slots). */
  wide?: bigint;
  /** A relative jump or call whose field is filled from a label or a number. */
  jump?: JumpRef;
}

/** A jump or local-call target as written. */
export interface JumpRef {
  /** Which field holds the relative distance. */
  readonly field: 'offset' | 'imm';
  /** A label name, when the target was written as one. */
  readonly label?: string;
  /** The relative distance, when written as a number. */
  readonly relative?: number;
  readonly line: number;
  readonly col: number;
}

/** ALU operation names as the opcode's operation bits and the `offset` value that selects them. */
const ALU_CODES: Readonly<Record<AluName, { code: number; offset: number }>> = {
  add: { code: AluOp.ADD, offset: 0 },
  sub: { code: AluOp.SUB, offset: 0 },
  mul: { code: AluOp.MUL, offset: 0 },
  div: { code: AluOp.DIV, offset: 0 },
  sdiv: { code: AluOp.DIV, offset: 1 },
  or: { code: AluOp.OR, offset: 0 },
  and: { code: AluOp.AND, offset: 0 },
  lsh: { code: AluOp.LSH, offset: 0 },
  rsh: { code: AluOp.RSH, offset: 0 },
  mod: { code: AluOp.MOD, offset: 0 },
  smod: { code: AluOp.MOD, offset: 1 },
  xor: { code: AluOp.XOR, offset: 0 },
  mov: { code: AluOp.MOV, offset: 0 },
  arsh: { code: AluOp.ARSH, offset: 0 },
};

const JUMP_CODES: Readonly<Record<JumpCond, number>> = {
  jeq: JmpOp.JEQ,
  jgt: JmpOp.JGT,
  jge: JmpOp.JGE,
  jset: JmpOp.JSET,
  jne: JmpOp.JNE,
  jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE,
  jlt: JmpOp.JLT,
  jle: JmpOp.JLE,
  jslt: JmpOp.JSLT,
  jsle: JmpOp.JSLE,
};

const ATOMIC_CODES: Readonly<Record<AtomicName, number>> = {
  add: AtomicOp.ADD,
  or: AtomicOp.OR,
  and: AtomicOp.AND,
  xor: AtomicOp.XOR,
  xchg: AtomicOp.XCHG,
  cmpxchg: AtomicOp.CMPXCHG,
};

/** True if `name` is a binary ALU operation name. */
export function isAluName(name: string): name is AluName {
  return Object.prototype.hasOwnProperty.call(ALU_CODES, name);
}

/** True if `name` is a conditional jump name (`jeq`…). */
export function isJumpCond(name: string): name is JumpCond {
  return Object.prototype.hasOwnProperty.call(JUMP_CODES, name);
}

/** True if `name` is an atomic operation name. */
export function isAtomicName(name: string): name is AtomicName {
  return Object.prototype.hasOwnProperty.call(ATOMIC_CODES, name);
}

/** Opcode and `offset` of a binary ALU operation. */
export function aluEncoding(op: AluName, width: 32 | 64, reg: boolean): { opcode: number; offset: number } {
  const a = ALU_CODES[op];
  return { opcode: (width === 64 ? Class.ALU64 : Class.ALU) | a.code | (reg ? Source.X : Source.K), offset: a.offset };
}

/** Opcode of `neg`. */
export function negOpcode(width: 32 | 64): number {
  return (width === 64 ? Class.ALU64 : Class.ALU) | AluOp.NEG;
}

/** Opcode of `movsx` (the source width goes in `offset`). */
export function movsxOpcode(width: 32 | 64): number {
  return (width === 64 ? Class.ALU64 : Class.ALU) | AluOp.MOV | Source.X;
}

/** Opcode of a byte-order operation (`le`/`be` are ALU, `swap` is the v4 ALU64 form). */
export function endOpcode(order: 'le' | 'be' | 'swap'): number {
  if (order === 'swap') return Class.ALU64 | AluOp.END | Source.K;
  return Class.ALU | AluOp.END | (order === 'be' ? Source.X : Source.K);
}

/** Opcode of a conditional jump. */
export function jumpOpcode(cond: JumpCond, width: 32 | 64, reg: boolean): number {
  return (width === 64 ? Class.JMP : Class.JMP32) | JUMP_CODES[cond] | (reg ? Source.X : Source.K);
}

/** Size bits of a load/store opcode. */
export function sizeCode(size: AccessSize): number {
  switch (size) {
    case 1:
      return Size.B;
    case 2:
      return Size.H;
    case 4:
      return Size.W;
    default:
      return Size.DW;
  }
}

/** Access size from an assembler suffix (`b`, `h`, `w`, `dw`) or LLVM type width (8, 16, 32, 64). */
export function sizeFromSuffix(suffix: string): AccessSize | undefined {
  switch (suffix) {
    case 'b':
    case '8':
      return 1;
    case 'h':
    case '16':
      return 2;
    case 'w':
    case '32':
      return 4;
    case 'dw':
    case '64':
      return 8;
    default:
      return undefined;
  }
}

/** The assembler suffix of an access size. */
export function sizeSuffix(size: AccessSize): 'b' | 'h' | 'w' | 'dw' {
  return size === 1 ? 'b' : size === 2 ? 'h' : size === 4 ? 'w' : 'dw';
}

/** Opcode of `ldx` (or the sign-extending `ldxs`). */
export function ldxOpcode(size: AccessSize, signed: boolean): number {
  return Class.LDX | (signed ? Mode.MEMSX : Mode.MEM) | sizeCode(size);
}

/** Opcode of `st` (store immediate). */
export function stOpcode(size: AccessSize): number {
  return Class.ST | Mode.MEM | sizeCode(size);
}

/** Opcode of `stx` (store register). */
export function stxOpcode(size: AccessSize): number {
  return Class.STX | Mode.MEM | sizeCode(size);
}

/** Opcode and `imm` of an atomic operation. */
export function atomicEncoding(op: AtomicName, size: 4 | 8, fetch: boolean): { opcode: number; imm: number } {
  const base = ATOMIC_CODES[op];
  const imm = op === 'xchg' || op === 'cmpxchg' ? base : base | (fetch ? AtomicOp.FETCH : 0);
  return { opcode: Class.STX | Mode.ATOMIC | sizeCode(size), imm };
}

/** Opcode of a legacy packet load. */
export function packetLoadOpcode(mode: 'abs' | 'ind', size: AccessSize): number {
  return Class.LD | (mode === 'abs' ? Mode.ABS : Mode.IND) | sizeCode(size);
}

/** Opcode of an unconditional jump: `ja` (16-bit offset) or `gotol`/`ja32` (32-bit imm). */
export function jaOpcode(long: boolean): number {
  return (long ? Class.JMP32 : Class.JMP) | JmpOp.JA;
}

/** Names of `lddw` pseudo sources as written in assembly (`lddw r1, map_fd 3`). */
export const PSEUDO_NAMES: ReadonlyMap<number, string> = new Map([
  [PseudoLoad.MAP_FD, 'map_fd'],
  [PseudoLoad.MAP_VALUE, 'map_value'],
  [PseudoLoad.BTF_ID, 'btf_id'],
  [PseudoLoad.FUNC, 'func'],
  [PseudoLoad.MAP_IDX, 'map_idx'],
  [PseudoLoad.MAP_IDX_VALUE, 'map_idx_value'],
]);

/** The `src` value of a pseudo-load name (`map_fd`, … or `pseudoN` for any other 0-15). */
export function pseudoFromName(name: string): number | undefined {
  for (const [k, v] of PSEUDO_NAMES) if (v === name) return k;
  const m = /^pseudo(\d+)$/.exec(name);
  if (m !== null && Number(m[1]) < 16) return Number(m[1]);
  return undefined;
}

/** The name printed for an `lddw` pseudo source. */
export function pseudoName(src: number): string {
  return PSEUDO_NAMES.get(src) ?? `pseudo${src}`;
}
