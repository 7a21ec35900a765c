import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { disassemble, disassembleInsns, type DisassembleOptions } from '../../src/asm/disassembler.js';
import { encodeProgram, type Insn } from '../../src/isa/instruction.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, Size, Source } from '../../src/isa/opcodes.js';
import { decodeOperation } from '../../src/isa/operation.js';

const reg = fc.integer({ min: 0, max: 10 });
const off = fc.integer({ min: -32768, max: 32767 });
const imm = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const i = (opcode: number, dst = 0, src = 0, offset = 0, immv = 0): Insn => ({ opcode, dst, src, offset, imm: immv });

const BINARY = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH];
const CONDS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const ATOMICS = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.OR | AtomicOp.FETCH, AtomicOp.AND | AtomicOp.FETCH, AtomicOp.XOR | AtomicOp.FETCH, AtomicOp.XCHG, AtomicOp.CMPXCHG];

/** One valid, canonically encoded instruction (one or two slots), built from the ISA constants only. */
const validInsn: fc.Arbitrary<readonly Insn[]> = fc.oneof(
  // binary ALU, immediate and register forms, with sdiv/smod and movsx variants
  fc.tuple(fc.constantFrom(Class.ALU, Class.ALU64), fc.constantFrom(...BINARY), reg, imm).map(([c, op, d, k]) => [i(c | op | Source.K, d, 0, 0, k)]),
  fc.tuple(fc.constantFrom(Class.ALU, Class.ALU64), fc.constantFrom(...BINARY), reg, reg).map(([c, op, d, s]) => [i(c | op | Source.X, d, s)]),
  fc.tuple(fc.constantFrom(Class.ALU, Class.ALU64), fc.constantFrom(AluOp.DIV, AluOp.MOD), fc.boolean(), reg, reg, imm).map(([c, op, x, d, s, k]) =>
    [x ? i(c | op | Source.X, d, s, 1) : i(c | op | Source.K, d, 0, 1, k)]),
  fc.tuple(fc.constantFrom(8, 16, 32), reg, reg).map(([b, d, s]) => [i(Class.ALU64 | AluOp.MOV | Source.X, d, s, b)]),
  fc.tuple(fc.constantFrom(8, 16), reg, reg).map(([b, d, s]) => [i(Class.ALU | AluOp.MOV | Source.X, d, s, b)]),
  fc.tuple(fc.constantFrom(Class.ALU, Class.ALU64), reg).map(([c, d]) => [i(c | AluOp.NEG, d)]),
  fc.tuple(fc.constantFrom(Class.ALU | Source.K, Class.ALU | Source.X, Class.ALU64 | Source.K), fc.constantFrom(16, 32, 64), reg).map(([c, b, d]) => [i(c | AluOp.END, d, 0, 0, b)]),
  // jumps and calls
  fc.tuple(fc.constantFrom(Class.JMP, Class.JMP32), fc.constantFrom(...CONDS), reg, imm, off).map(([c, op, d, k, o]) => [i(c | op | Source.K, d, 0, o, k)]),
  fc.tuple(fc.constantFrom(Class.JMP, Class.JMP32), fc.constantFrom(...CONDS), reg, reg, off).map(([c, op, d, s, o]) => [i(c | op | Source.X, d, s, o)]),
  off.map((o) => [i(Class.JMP | JmpOp.JA, 0, 0, o)]),
  imm.map((k) => [i(Class.JMP32 | JmpOp.JA, 0, 0, 0, k)]),
  fc.tuple(fc.constantFrom(0, 1, 2), imm).map(([s, k]) => [i(Class.JMP | JmpOp.CALL, 0, s, 0, k)]),
  reg.map((d) => [i(Class.JMP | JmpOp.CALL | Source.X, d)]),
  fc.constant([i(Class.JMP | JmpOp.EXIT)]),
  // loads and stores
  fc.tuple(reg, fc.integer({ min: 0, max: 6 }), imm, imm).map(([d, s, lo, hi]) => [i(Class.LD | Size.DW | Mode.IMM, d, s, 0, lo), i(0, 0, 0, 0, hi)]),
  fc.tuple(fc.constantFrom(...SIZES), reg, reg, off).map(([sz, d, s, o]) => [i(Class.LDX | Mode.MEM | sz, d, s, o)]),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), reg, reg, off).map(([sz, d, s, o]) => [i(Class.LDX | Mode.MEMSX | sz, d, s, o)]),
  fc.tuple(fc.constantFrom(...SIZES), reg, off, imm).map(([sz, d, o, k]) => [i(Class.ST | Mode.MEM | sz, d, 0, o, k)]),
  fc.tuple(fc.constantFrom(...SIZES), reg, reg, off).map(([sz, d, s, o]) => [i(Class.STX | Mode.MEM | sz, d, s, o)]),
  fc.tuple(fc.constantFrom(Size.W, Size.DW), fc.constantFrom(...ATOMICS), reg, reg, off).map(([sz, a, d, s, o]) => [i(Class.STX | Mode.ATOMIC | sz, d, s, o, a)]),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), imm).map(([sz, k]) => [i(Class.LD | Mode.ABS | sz, 0, 0, 0, k)]),
  fc.tuple(fc.constantFrom(Size.B, Size.H, Size.W), reg, imm).map(([sz, s, k]) => [i(Class.LD | Mode.IND | sz, 0, s, 0, k)]),
);

const program = fc.array(validInsn, { minLength: 1, maxLength: 24 }).map((xs) => encodeProgram(xs.flat()));

const VARIANTS: DisassembleOptions[] = [
  {},
  { syntax: 'llvm' },
  { labels: true },
  { syntax: 'llvm', labels: true, showPc: true, showBytes: true },
  { showPc: true, showBytes: true },
];

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

describe('disassemble then assemble is the identity', () => {
  it('on valid instructions, printed as mnemonics in every syntax and layout', () => {
    fc.assert(
      fc.property(program, (bytes) => {
        for (const insn of disassembleInsns(bytes)) {
          expect(decodeOperation(insn.insn).kind).not.toBe('invalid');
          expect(insn.text.startsWith('.byte')).toBe(false);
        }
        for (const v of VARIANTS) expect(hex(assemble(disassemble(bytes, v)))).toBe(hex(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('on arbitrary bytes, unknown or non-canonical slots included (shown as .byte, never thrown)', () => {
    const anyBytes = fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 16 }).map((slots) => {
      const out = new Uint8Array(slots.length * 8);
      slots.forEach((s, k) => out.set(s, k * 8));
      return out;
    });
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        for (const v of VARIANTS) expect(hex(assemble(disassemble(bytes, v)))).toBe(hex(bytes));
      }),
      { numRuns: 300 },
    );
  });
});
