/**
 * The eBPF instruction set: opcode numbers, instruction slots and their meaning. Entry point `tsbpf/isa`.
 * The functions here check their arguments ({@link ArgumentError}); the modules' own, unchecked versions
 * are for the stages inside tsbpf.
 * @module
 */
import { argumentError, checkArray, checkBytes, checkInteger, checkObject } from '../validate.js';
import { INSN_SIZE } from './opcodes.js';
import { decodeProgram as decodeProgramUnchecked, encodeProgram as encodeProgramUnchecked, insn as insnUnchecked, type Insn } from './instruction.js';
import { decodeOperation as decodeOperationUnchecked, type Operation } from './operation.js';

export {
  AluOp,
  AtomicOp,
  CallKind,
  Class,
  FRAME_POINTER,
  INSN_SIZE,
  JmpOp,
  Mode,
  Opcode,
  PseudoLoad,
  REGISTER_COUNT,
  Size,
  Source,
} from './opcodes.js';
export type { Insn } from './instruction.js';
export type { AccessSize, AluName, AtomicName, JumpCond, Operation, OperandSource } from './operation.js';

/**
 * Checks one instruction's fields: integers that fit their field (opcode 0-255, registers 0-15, `offset`
 * 16 bits and `imm` 32 bits, signed or unsigned), and returns them normalised (`offset`, `imm` signed).
 */
function checkInsn(value: unknown, name: string): Insn {
  const i = checkObject(value, name) as Partial<Insn>;
  return {
    opcode: checkInteger(i.opcode, `${name}.opcode`, 0, 0xff),
    dst: checkInteger(i.dst, `${name}.dst`, 0, 0xf),
    src: checkInteger(i.src, `${name}.src`, 0, 0xf),
    offset: (checkInteger(i.offset, `${name}.offset`, -0x8000, 0xffff) << 16) >> 16,
    imm: checkInteger(i.imm, `${name}.imm`, -0x8000_0000, 0xffff_ffff) | 0,
  };
}

/** Decode a program's bytes (a multiple of 8) into instruction slots (a wide `lddw` is two). */
export function decodeProgram(prog: Uint8Array): Insn[] {
  checkBytes(prog, 'prog');
  if (prog.length % INSN_SIZE !== 0) throw argumentError('prog.length', 'a multiple of 8', prog.length);
  return decodeProgramUnchecked(prog);
}

/** Encode instruction slots into program bytes. */
export function encodeProgram(insns: readonly Insn[]): Uint8Array {
  return encodeProgramUnchecked(checkArray(insns, 'insns', 1 << 24).map((i, k) => checkInsn(i, `insns[${k}]`)));
}

/** One instruction slot from its fields (each checked against its field's range). */
export function insn(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Insn {
  return checkInsn(insnUnchecked(opcode, dst, src, offset, imm), 'insn');
}

/** What an instruction slot means (the engines' and verifier's view of it). */
export function decodeOperation(i: Insn): Operation {
  return decodeOperationUnchecked(checkInsn(i, 'insn'));
}
