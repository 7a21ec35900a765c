/**
 * Numeric constants of the eBPF instruction set (RFC 9669). Every other module takes its opcode
 * numbers from here; nothing else spells an opcode as a literal.
 * @module
 */

/** Instruction classes: the low three bits of the opcode. */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Operand source for ALU and JMP classes (bit 3). */
export const Source = { K: 0x00, X: 0x08 } as const;

/** Access sizes for load/store classes (bits 3-4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Addressing modes for load/store classes (bits 5-7). */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** ALU operation codes (bits 4-7). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operation codes (bits 4-7). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/** Atomic operation codes, carried in the `imm` field of `STX | ATOMIC` instructions. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe1,
  CMPXCHG: 0xf1,
} as const;

/** `src` values of a `call` instruction. */
export const CallKind = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

/** `src` values of `lddw` pseudo loads, resolved by an object loader. */
export const PseudoLoad = {
  NONE: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** Frequently used full opcodes. */
export const Opcode = {
  LDDW: Class.LD | Size.DW | Mode.IMM, // 0x18
  CALL: Class.JMP | JmpOp.CALL, // 0x85
  CALLX: Class.JMP | JmpOp.CALL | Source.X, // 0x8d
  EXIT: Class.JMP | JmpOp.EXIT, // 0x95
  JA: Class.JMP | JmpOp.JA, // 0x05
  GOTOL: Class.JMP32 | JmpOp.JA, // 0x06
} as const;

/** Size in bytes of one instruction slot. */
export const INSN_SIZE = 8;
/** Number of registers r0-r10. */
export const REGISTER_COUNT = 11;
/** The read-only frame pointer register. */
export const FRAME_POINTER = 10;

/** Extract the class of an opcode. */
export function classOf(opcode: number): number {
  return opcode & 0x07;
}

/** Bytes accessed by a load/store size field. */
export function sizeBytes(opcode: number): 1 | 2 | 4 | 8 {
  switch (opcode & 0x18) {
    case Size.B:
      return 1;
    case Size.H:
      return 2;
    case Size.W:
      return 4;
    default:
      return 8;
  }
}
