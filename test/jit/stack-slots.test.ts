/**
 * Frame slots kept in locals (src/jit/stack-slots.ts). The unit tests pin which slots may be promoted
 * (none once r10 escapes or an access leaves the frame; only slots every overlapping access reads or
 * writes whole). The differential tests run the interpreter and the JIT on programs that keep values in
 * frame slots as clang's spills do: narrow slots written with wider values (the local is masked),
 * signed loads of them, slots read before any store, slots left in a callee's frame and read by the
 * next callee at the same depth (the write-back at return), loops that leave for the checked copy at a
 * memory error or a budget check with slots not yet written back, and random programs mixing whole
 * and overlapping slots, each at every budget.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { promotableSlots } from '../../src/jit/stack-slots.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { AluOp, CallKind, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { Program } from './harness.js';
import { everyBudget } from './budget-harness.js';

const SIZE = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW } as const;
type Width = keyof typeof SIZE;
const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const ldx = (size: Width, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | SIZE[size], dst, src, off);
const ldxs = (size: 1 | 2 | 4, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEMSX | SIZE[size], dst, src, off);
const stx = (size: Width, dst: number, off: number, src: number): Insn => insn(Class.STX | Mode.MEM | SIZE[size], dst, src, off);
const st = (size: Width, dst: number, off: number, imm: number): Insn => insn(Class.ST | Mode.MEM | SIZE[size], dst, 0, off, imm);
const jne = (dst: number, imm: number, off: number): Insn => insn(Class.JMP | JmpOp.JNE | Source.K, dst, 0, off, imm);
const call = (imm: number): Insn => insn(Opcode.CALL, 0, CallKind.LOCAL, 0, imm);
const exit = insn(Opcode.EXIT);

const plan = (insns: readonly Insn[], stackSize = 64): ReadonlyMap<number, number> | undefined =>
  promotableSlots(insns, insns.map(decodeOperation), new Uint8Array(insns.length + 1), stackSize);
const program = (insns: readonly Insn[]): Program => new Program(encodeProgram(insns));
const INPUT = new Uint8Array(Array.from({ length: 24 }, (_, k) => (k * 37 + 11) & 0xff));

describe('promotableSlots', () => {
  it('keeps slots every overlapping access reads or writes whole', () => {
    const p = plan([stx(8, 10, -8, 1), ldx(8, 2, 10, -8), stx(4, 10, -16, 1), ldx(2, 3, 10, -14), st(1, 10, -20, 7), ldxs(1, 4, 10, -20), exit]);
    expect(p).toEqual(new Map([[-8, 8], [-20, 1]]));
  });

  it('promotes nothing when r10 escapes or an access leaves the frame', () => {
    expect(plan([alu64x(AluOp.MOV, 1, 10), stx(8, 10, -8, 1), exit])).toBeUndefined();
    expect(plan([stx(8, 10, -8, 10), exit])).toBeUndefined();
    expect(plan([insn(Class.JMP | JmpOp.JEQ | Source.X, 1, 10, 0), stx(8, 10, -8, 1), exit])).toBeUndefined();
    expect(plan([stx(8, 10, -8, 1), ldx(8, 2, 10, 0), exit])).toBeUndefined();
    expect(plan([stx(8, 10, -72, 1), exit])).toBeUndefined();
    expect(plan([insn(Class.STX | Mode.ATOMIC | Size.DW, 10, 1, -8, 0), exit])).toBeUndefined();
  });
});

describe('frame slots in locals, against the interpreter at every budget', () => {
  // Slots are kept in locals where a loop stores to them: each test's stores sit in a loop.
  it('masks narrow slots, sign-extends signed loads and reads slots never written', () => {
    const prog = program([
      insn(Opcode.LDDW, 2, 0, 0, -1), insn(0, 0, 0, 0, 0x1234_5678), // r2 = 0x12345678_ffffffff
      alu64(AluOp.MOV, 9, 2),
      stx(4, 10, -8, 2), stx(2, 10, -12, 2), stx(1, 10, -16, 2), st(4, 10, -20, -3), // 3: loop
      alu64(AluOp.ADD, 9, -1),
      jne(9, 0, -6),
      ldx(4, 3, 10, -8), ldxs(2, 4, 10, -12), ldxs(1, 5, 10, -16), ldxs(4, 6, 10, -20), ldx(8, 7, 10, -32),
      alu64x(AluOp.ADD, 3, 4), alu64x(AluOp.XOR, 3, 5), alu64x(AluOp.ADD, 3, 6), alu64x(AluOp.ADD, 3, 7),
      alu64x(AluOp.MOV, 0, 3), exit,
    ]);
    everyBudget(prog, INPUT, 100);
  });

  it("leaves a callee's slots in its frame for the next callee at the same depth", () => {
    const prog = program([
      alu64(AluOp.MOV, 9, 2), // 0
      st(8, 10, -8, 0x77), // 1: the caller's slot, stored in a loop
      alu64(AluOp.ADD, 9, -1), // 2
      jne(9, 0, -3), // 3
      call(5), // 4: f writes its own slot at the same offset
      call(9), // 5: g reads it before writing it
      alu64x(AluOp.MOV, 6, 0), // 6
      ldx(8, 0, 10, -8), // 7: the caller's slot, unchanged by the calls
      alu64x(AluOp.ADD, 0, 6), // 8
      exit, // 9
      alu64(AluOp.MOV, 9, 2), // 10: f
      st(8, 10, -8, 0x55), // 11
      alu64(AluOp.ADD, 9, -1), // 12
      jne(9, 0, -3), // 13
      exit, // 14
      alu64(AluOp.MOV, 9, 1), // 15: g
      ldx(8, 0, 10, -8), // 16
      alu64(AluOp.ADD, 0, 1), // 17
      stx(8, 10, -8, 0), // 18
      alu64(AluOp.ADD, 9, -1), // 19
      jne(9, 0, -5), // 20
      exit, // 21
    ]);
    everyBudget(prog, INPUT, 100);
  });

  it('writes slots back before leaving a loop for the checked copy', () => {
    // A loop of five blocks (a budget checkpoint at its header, which leaves for the checked copy when
    // the budget may not last the longest path) keeping a counter and a sum in slots, reading the
    // input at a growing offset until it runs past its end (a memory error at the interpreter's pc).
    const add1 = alu64(AluOp.ADD, 5, 1);
    const prog = program([
      st(8, 10, -8, 0), // 0: sum
      ldx(1, 0, 1, 0), // 1: fills the region cache, so that the loop runs in the fast copy
      ldx(4, 2, 10, -12), // 2: loop
      alu64x(AluOp.MOV, 3, 1), // 3
      alu64x(AluOp.ADD, 3, 2), // 4
      ldx(1, 4, 3, 0), // 5: input[i]
      jne(4, 0, 4), // 6
      alu64(AluOp.ADD, 4, 3), alu64(AluOp.ADD, 4, 1), alu64(AluOp.MUL, 4, 3), alu64(AluOp.ADD, 4, 1), // 7-10
      ldx(8, 5, 10, -8), // 11
      alu64x(AluOp.ADD, 5, 4), // 12
      stx(8, 10, -8, 5), // 13
      jne(2, 5, 4), // 14
      add1, add1, add1, add1, // 15-18
      alu64(AluOp.ADD, 2, 1), // 19
      stx(4, 10, -12, 2), // 20
      stx(8, 10, -8, 5), // 21
      jne(2, 30, -21), // 22: past the input's 24 bytes before 30
      ldx(8, 0, 10, -8),
      exit,
    ]);
    everyBudget(prog, INPUT, 400);
    everyBudget(prog, new Uint8Array(40).fill(3), 400);
  });

  it('random programs over whole and overlapping slots', () => {
    const slot = fc.constantFrom<[number, Width]>([-8, 8], [-16, 8], [-20, 4], [-24, 4], [-26, 2], [-27, 1], [-28, 1], [-6, 2], [-12, 2], [-32, 8]);
    const reg = fc.integer({ min: 2, max: 5 });
    const op = fc.oneof(
      fc.tuple(slot, reg).map(([[off, size], r]) => [stx(size, 10, off, r)]),
      fc.tuple(slot, fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })).map(([[off, size], imm]) => [st(size, 10, off, imm)]),
      fc.tuple(slot, reg).map(([[off, size], r]) => [ldx(size, r, 10, off)]),
      fc.tuple(slot, reg).map(([[off, size], r]) => [size === 8 ? ldx(8, r, 10, off) : ldxs(size, r, 10, off)]),
      fc.tuple(reg, reg).map(([a, b]) => [alu64x(AluOp.ADD, a, b)]),
      fc.tuple(reg, fc.integer({ min: -5, max: 5 })).map(([a, k]) => [alu64(AluOp.MUL, a, 2 * k + 1)]),
      fc.tuple(reg, fc.integer({ min: 0, max: 23 })).map(([r, k]) => [ldx(1, r, 1, k)]),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 4 }), (ops, trips) => {
        const body = ops.flat();
        const prog = program([
          ldx(1, 0, 1, 0), // fills the region cache: the loop's input loads then hit in the fast copy
          alu64(AluOp.MOV, 6, trips),
          ...body,
          alu64(AluOp.ADD, 6, -1),
          jne(6, 0, -(body.length + 2)),
          alu64x(AluOp.MOV, 0, 2),
          alu64x(AluOp.XOR, 0, 3),
          alu64x(AluOp.ADD, 0, 4),
          alu64x(AluOp.XOR, 0, 5),
          exit,
        ]);
        everyBudget(prog, INPUT, 200);
      }),
      { numRuns: 150 },
    );
  });
});
