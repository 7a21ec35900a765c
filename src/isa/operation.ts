/**
 * Semantic decoding: what an instruction slot *does*, independent of how it is printed or run.
 * The interpreter, verifier, disassembler, assembler and JIT all classify instructions through
 * {@link decodeOperation}, so a new instruction is added in exactly one place.
 * @module
 */
import type { Insn } from './instruction.js';
import { AluOp, AtomicOp, CallKind, Class, JmpOp, Mode, Source, sizeBytes } from './opcodes.js';

/** Binary ALU operations (dst = dst OP src). */
export type AluName =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'sdiv'
  | 'or'
  | 'and'
  | 'lsh'
  | 'rsh'
  | 'mod'
  | 'smod'
  | 'xor'
  | 'mov'
  | 'arsh';

/** Conditional jump conditions. */
export type JumpCond = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';

/** Atomic read-modify-write operations. */
export type AtomicName = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';

/** Where an operand comes from. */
export type OperandSource = 'imm' | 'reg';

/** Access width in bytes. */
export type AccessSize = 1 | 2 | 4 | 8;

/** The meaning of one instruction slot. */
export type Operation =
  | { readonly kind: 'alu'; readonly op: AluName; readonly width: 32 | 64; readonly source: OperandSource }
  | { readonly kind: 'neg'; readonly width: 32 | 64 }
  | { readonly kind: 'movsx'; readonly width: 32 | 64; readonly bits: 8 | 16 | 32 }
  | { readonly kind: 'end'; readonly order: 'le' | 'be' | 'swap'; readonly bits: 16 | 32 | 64 }
  | { readonly kind: 'ja'; readonly long: boolean }
  | { readonly kind: 'jcond'; readonly cond: JumpCond; readonly width: 32 | 64; readonly source: OperandSource }
  | { readonly kind: 'call'; readonly target: 'helper' | 'local' | 'kfunc' }
  | { readonly kind: 'callx' }
  | { readonly kind: 'exit' }
  | { readonly kind: 'lddw'; readonly pseudo: number }
  | { readonly kind: 'ldx'; readonly size: AccessSize; readonly signed: boolean }
  | { readonly kind: 'st'; readonly size: AccessSize }
  | { readonly kind: 'stx'; readonly size: AccessSize }
  | { readonly kind: 'atomic'; readonly size: 4 | 8; readonly op: AtomicName; readonly fetch: boolean }
  | { readonly kind: 'ldabs'; readonly size: AccessSize }
  | { readonly kind: 'ldind'; readonly size: AccessSize }
  | { readonly kind: 'invalid'; readonly reason: string };

const ALU_BY_CODE: ReadonlyMap<number, AluName> = new Map([
  [AluOp.ADD, 'add'],
  [AluOp.SUB, 'sub'],
  [AluOp.MUL, 'mul'],
  [AluOp.DIV, 'div'],
  [AluOp.OR, 'or'],
  [AluOp.AND, 'and'],
  [AluOp.LSH, 'lsh'],
  [AluOp.RSH, 'rsh'],
  [AluOp.MOD, 'mod'],
  [AluOp.XOR, 'xor'],
  [AluOp.MOV, 'mov'],
  [AluOp.ARSH, 'arsh'],
]);

const JUMP_BY_CODE: ReadonlyMap<number, JumpCond> = new Map([
  [JmpOp.JEQ, 'jeq'],
  [JmpOp.JGT, 'jgt'],
  [JmpOp.JGE, 'jge'],
  [JmpOp.JSET, 'jset'],
  [JmpOp.JNE, 'jne'],
  [JmpOp.JSGT, 'jsgt'],
  [JmpOp.JSGE, 'jsge'],
  [JmpOp.JLT, 'jlt'],
  [JmpOp.JLE, 'jle'],
  [JmpOp.JSLT, 'jslt'],
  [JmpOp.JSLE, 'jsle'],
]);

const ATOMIC_BY_CODE: ReadonlyMap<number, { op: AtomicName; fetch: boolean }> = new Map([
  [AtomicOp.ADD, { op: 'add', fetch: false }],
  [AtomicOp.ADD | AtomicOp.FETCH, { op: 'add', fetch: true }],
  [AtomicOp.OR, { op: 'or', fetch: false }],
  [AtomicOp.OR | AtomicOp.FETCH, { op: 'or', fetch: true }],
  [AtomicOp.AND, { op: 'and', fetch: false }],
  [AtomicOp.AND | AtomicOp.FETCH, { op: 'and', fetch: true }],
  [AtomicOp.XOR, { op: 'xor', fetch: false }],
  [AtomicOp.XOR | AtomicOp.FETCH, { op: 'xor', fetch: true }],
  [AtomicOp.XCHG, { op: 'xchg', fetch: true }],
  [AtomicOp.CMPXCHG, { op: 'cmpxchg', fetch: true }],
]);

function invalid(reason: string): Operation {
  return { kind: 'invalid', reason };
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(2, '0');
}

function decodeAlu(i: Insn, width: 32 | 64): Operation {
  const code = i.opcode & 0xf0;
  const source: OperandSource = (i.opcode & Source.X) !== 0 ? 'reg' : 'imm';
  if (code === AluOp.NEG) {
    return source === 'imm' ? { kind: 'neg', width } : invalid(`unknown opcode ${hex(i.opcode)} (neg takes no source register)`);
  }
  if (code === AluOp.END) {
    const bits = i.imm === 16 || i.imm === 32 || i.imm === 64 ? i.imm : 0;
    if (bits === 0) return invalid(`byte swap size must be 16, 32 or 64, not ${i.imm}`);
    if (width === 32) return { kind: 'end', order: source === 'imm' ? 'le' : 'be', bits };
    return source === 'imm' ? { kind: 'end', order: 'swap', bits } : invalid(`unknown opcode ${hex(i.opcode)}`);
  }
  const name = ALU_BY_CODE.get(code);
  if (name === undefined) return invalid(`unknown opcode ${hex(i.opcode)}`);
  if (name === 'div' || name === 'mod') {
    if (i.offset === 1) return { kind: 'alu', op: name === 'div' ? 'sdiv' : 'smod', width, source };
    if (i.offset !== 0) return invalid(`${name} offset must be 0 (unsigned) or 1 (signed), not ${i.offset}`);
  }
  if (name === 'mov' && i.offset !== 0) {
    if (source !== 'reg') return invalid('movsx takes a source register');
    if (i.offset === 8 || i.offset === 16 || (i.offset === 32 && width === 64)) {
      return { kind: 'movsx', width, bits: i.offset };
    }
    return invalid(`movsx offset must be 8, 16${width === 64 ? ' or 32' : ''}, not ${i.offset}`);
  }
  return { kind: 'alu', op: name, width, source };
}

function decodeJump(i: Insn, width: 32 | 64): Operation {
  const code = i.opcode & 0xf0;
  const source: OperandSource = (i.opcode & Source.X) !== 0 ? 'reg' : 'imm';
  if (code === JmpOp.JA) {
    if (source === 'reg') return invalid(`unknown opcode ${hex(i.opcode)}`);
    return { kind: 'ja', long: width === 32 };
  }
  if (width === 64 && code === JmpOp.CALL) {
    if (source === 'reg') return { kind: 'callx' };
    if (i.src === CallKind.HELPER) return { kind: 'call', target: 'helper' };
    if (i.src === CallKind.LOCAL) return { kind: 'call', target: 'local' };
    if (i.src === CallKind.KFUNC) return { kind: 'call', target: 'kfunc' };
    return invalid(`call with unknown source ${i.src} (0 helper, 1 local function, 2 kfunc)`);
  }
  if (width === 64 && code === JmpOp.EXIT) {
    return source === 'imm' ? { kind: 'exit' } : invalid(`unknown opcode ${hex(i.opcode)}`);
  }
  const cond = JUMP_BY_CODE.get(code);
  if (cond === undefined) return invalid(`unknown opcode ${hex(i.opcode)}`);
  return { kind: 'jcond', cond, width, source };
}

function decodeLoadStore(i: Insn): Operation {
  const cls = i.opcode & 0x07;
  const mode = i.opcode & 0xe0;
  const size = sizeBytes(i.opcode);
  switch (cls) {
    case Class.LD:
      if (mode === Mode.IMM && size === 8) return { kind: 'lddw', pseudo: i.src };
      if (mode === Mode.ABS && size !== 8) return { kind: 'ldabs', size };
      if (mode === Mode.IND && size !== 8) return { kind: 'ldind', size };
      return invalid(`unknown opcode ${hex(i.opcode)}`);
    case Class.LDX:
      if (mode === Mode.MEM) return { kind: 'ldx', size, signed: false };
      if (mode === Mode.MEMSX && size !== 8) return { kind: 'ldx', size, signed: true };
      return invalid(`unknown opcode ${hex(i.opcode)}`);
    case Class.ST:
      return mode === Mode.MEM ? { kind: 'st', size } : invalid(`unknown opcode ${hex(i.opcode)}`);
    default: {
      if (mode === Mode.MEM) return { kind: 'stx', size };
      if (mode === Mode.ATOMIC && (size === 4 || size === 8)) {
        const a = ATOMIC_BY_CODE.get(i.imm);
        if (a === undefined) return invalid(`unknown atomic operation ${hex(i.imm)}`);
        return { kind: 'atomic', size, op: a.op, fetch: a.fetch };
      }
      return invalid(`unknown opcode ${hex(i.opcode)}`);
    }
  }
}

/**
 * Classify one instruction slot. Never throws: an unknown encoding yields `{ kind: 'invalid', reason }`.
 * Reserved-field checks (fields an operation does not use must be zero) are the verifier's job.
 */
export function decodeOperation(i: Insn): Operation {
  switch (i.opcode & 0x07) {
    case Class.ALU:
      return decodeAlu(i, 32);
    case Class.ALU64:
      return decodeAlu(i, 64);
    case Class.JMP:
      return decodeJump(i, 64);
    case Class.JMP32:
      return decodeJump(i, 32);
    default:
      return decodeLoadStore(i);
  }
}

/** The lowest `-mcpu` version (1-4) that defines this operation. */
export function cpuVersionOf(op: Operation): 1 | 2 | 3 | 4 {
  switch (op.kind) {
    case 'movsx':
      return 4;
    case 'alu':
      return op.op === 'sdiv' || op.op === 'smod' ? 4 : 1;
    case 'end':
      return op.order === 'swap' ? 4 : 1;
    case 'ldx':
      return op.signed ? 4 : 1;
    case 'ja':
      return op.long ? 4 : 1;
    case 'jcond':
      if (op.width === 32) return 3;
      return op.cond === 'jlt' || op.cond === 'jle' || op.cond === 'jslt' || op.cond === 'jsle' ? 2 : 1;
    case 'atomic':
      return op.op === 'add' && !op.fetch ? 1 : 3;
    default:
      return 1;
  }
}

/** True for operations that end a basic block (jumps, exit). Calls return, so they do not. */
export function isBranch(op: Operation): boolean {
  return op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit';
}

/**
 * The jump target (slot index) of a `ja`, `gotol` or conditional jump at `pc`, or of a local call;
 * `undefined` for other instructions.
 */
export function branchTarget(op: Operation, i: Insn, pc: number): number | undefined {
  if (op.kind === 'ja') return pc + 1 + (op.long ? i.imm : i.offset);
  if (op.kind === 'jcond') return pc + 1 + i.offset;
  if (op.kind === 'call' && op.target === 'local') return pc + 1 + i.imm;
  return undefined;
}
