/**
 * Frame slots kept in locals (src/jit/stack-slots.ts). The unit tests pin which slots may be promoted
 * (none once r10 escapes or an access leaves the frame; only slots every overlapping access reads or
 * writes whole). The differential tests run the interpreter and the JIT on programs that keep values in
 * frame slots as clang's spills do: narrow slots written with wider values (the local is masked),
 * signed loads of them, slots read before any store, slots left in a callee's frame and read by the
 * next callee at the same depth, loops that leave for the checked copy at a memory error or a budget
 * check, and random programs mixing whole
 * and overlapping slots, each at every budget. Only slots an innermost loop reads and does not store to
 * are kept in locals (stores write through to the frame), so each program stores before its loop.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { functionSlots, promotableSlots, type SlotPlan } from '../../src/jit/stack-slots.js';
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

const plan = (insns: readonly Insn[], stackSize = 64): SlotPlan | undefined =>
  promotableSlots(insns, insns.map(decodeOperation), new Uint8Array(insns.length + 1), stackSize);
const program = (insns: readonly Insn[]): Program => new Program(encodeProgram(insns));
const INPUT = new Uint8Array(Array.from({ length: 24 }, (_, k) => (k * 37 + 11) & 0xff));

describe('promotableSlots', () => {
  it('keeps slots every overlapping access reads or writes whole', () => {
    const p = plan([stx(8, 10, -8, 1), ldx(8, 2, 10, -8), stx(4, 10, -16, 1), ldx(2, 3, 10, -14), st(1, 10, -20, 7), ldxs(1, 4, 10, -20), exit]);
    expect(p).toEqual(new Map([[-8, 8], [-20, 1]]));
  });

  it("keeps in locals the slots an innermost loop reads and does not store to", () => {
    const insns = [st(8, 10, -8, 1), st(8, 10, -16, 2), ldx(8, 2, 10, -8), ldx(8, 3, 10, -16), stx(8, 10, -16, 3), ldx(8, 4, 10, -24), exit];
    const ops = insns.map(decodeOperation);
    const block = (start: number, end: number) => ({ start, end, length: end - start }) as unknown as Parameters<typeof functionSlots>[4][number]['block'];
    const blocks = [{ block: block(0, 2), loop: -1 }, { block: block(2, 5), loop: 0 }, { block: block(5, 7), loop: -1 }];
    const slots = functionSlots(plan(insns)!, insns, ops, new Uint8Array(insns.length + 1), blocks, 40);
    expect(slots).toEqual([{ off: -8, size: 8, local: 40 }]);
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
  it('reads a slot again after a store through an address computed without r10 wrote it', () => {
    // stackTop in the harness: STACK_START + 64 × 8 frames; the slot is [r10 - 8] of the entry frame.
    // The address comes from a constant, or from the input (a loaded value): both write the slot.
    const forged = 0x0200_0000 + 64 * 8 - 8;
    const input = new Uint8Array(24);
    new DataView(input.buffer).setUint32(8, forged, true);
    input.set([1, 1, 1, 1, 0]);
    for (const setAddress of [[alu64(AluOp.MOV, 7, forged)], [ldx(4, 7, 1, 8)]]) {
      const prog = program([
        st(8, 10, -8, 5),
        alu64(AluOp.MOV, 0, 0),
        alu64(AluOp.MOV, 6, 4),
        ...setAddress,
        ldx(8, 2, 10, -8), // loop: the slot, read and not stored through r10
        alu64x(AluOp.ADD, 0, 2),
        st(8, 7, 0, 100),
        alu64(AluOp.ADD, 6, -1),
        jne(6, 0, -5),
        exit,
      ]);
      everyBudget(prog, input, 60);
      // The same in a loop no bound is found for (it runs until a 0 byte of the input): the store
      // leaves for the checked copy when it would write the stack.
      const unbounded = program([
        st(8, 10, -8, 5),
        alu64(AluOp.MOV, 0, 0),
        alu64(AluOp.MOV, 6, 0),
        ...setAddress,
        ldx(8, 2, 10, -8), // loop
        alu64x(AluOp.ADD, 0, 2),
        st(8, 7, 0, 100),
        alu64x(AluOp.MOV, 3, 1),
        alu64x(AluOp.ADD, 3, 6),
        ldx(1, 3, 3, 0),
        alu64(AluOp.ADD, 6, 1),
        jne(3, 0, -8),
        exit,
      ]);
      everyBudget(unbounded, input, 80);
      // The store before the loop (no exit to the checked copy there: the slots are read again).
      const before = program([
        st(8, 10, -8, 5),
        ...setAddress,
        st(8, 7, 0, 100),
        alu64(AluOp.MOV, 0, 0),
        alu64(AluOp.MOV, 6, 4),
        ldx(8, 2, 10, -8), // loop
        alu64x(AluOp.ADD, 0, 2),
        alu64(AluOp.ADD, 6, -1),
        jne(6, 0, -4),
        exit,
      ]);
      everyBudget(before, input, 60);
    }
  });

  // Slots are kept in locals where an innermost loop reads them and does not store to them: each
  // test stores before its loop and reads in it.
  it('masks narrow slots, sign-extends signed loads and reads slots never written', () => {
    const prog = program([
      insn(Opcode.LDDW, 2, 0, 0, -1), insn(0, 0, 0, 0, 0x1234_5678), // r2 = 0x12345678_ffffffff
      stx(4, 10, -8, 2), stx(2, 10, -12, 2), stx(1, 10, -16, 2), st(4, 10, -20, -3), // 2
      alu64(AluOp.MOV, 9, 3), // 6
      alu64(AluOp.MOV, 0, 0), // 7
      ldx(4, 3, 10, -8), ldxs(2, 4, 10, -12), ldxs(1, 5, 10, -16), ldxs(4, 6, 10, -20), ldx(8, 7, 10, -32), // 8: loop
      alu64x(AluOp.ADD, 3, 4), alu64x(AluOp.XOR, 3, 5), alu64x(AluOp.ADD, 3, 6), alu64x(AluOp.ADD, 3, 7),
      alu64x(AluOp.ADD, 0, 3),
      alu64(AluOp.ADD, 9, -1),
      jne(9, 0, -12),
      exit,
    ]);
    everyBudget(prog, INPUT, 120);
  });

  it("writes stores through to the frame: a callee's slot is what the next callee at the same depth reads", () => {
    const prog = program([
      st(8, 10, -8, 0x77), // 0: the caller's slot
      call(5), // 1: f stores its own slot at the same offset
      call(9), // 2: g reads it, never storing it
      alu64x(AluOp.MOV, 6, 0), // 3
      ldx(8, 0, 10, -8), // 4: the caller's slot, unchanged by the calls
      alu64x(AluOp.ADD, 0, 6), // 5
      exit, // 6 (unused slot kept for the offsets below)
      st(8, 10, -8, 0x55), // 7: f
      alu64(AluOp.MOV, 9, 2), // 8
      alu64(AluOp.ADD, 9, -1), // 9: f's loop reads nothing: its slot is stored only
      jne(9, 0, -2), // 10
      exit, // 11
      alu64(AluOp.MOV, 9, 2), // 12: g
      alu64(AluOp.MOV, 0, 1), // 13
      ldx(8, 1, 10, -8), // 14: g's loop reads the slot f left
      alu64x(AluOp.ADD, 0, 1), // 15
      alu64(AluOp.ADD, 9, -1), // 16
      jne(9, 0, -4), // 17
      exit, // 18
    ]);
    everyBudget(prog, INPUT, 100);
  });

  it('keeps the frame exact when a loop leaves for the checked copy', () => {
    // A loop of five blocks (a budget checkpoint at its header, which leaves for the checked copy when
    // the budget may not last the longest path) reading a limit and a multiplier from slots, and the
    // input at a growing offset until it runs past its end (a memory error at the interpreter's pc).
    const add1 = alu64(AluOp.ADD, 5, 1);
    const prog = program([
      st(4, 10, -4, 30), // 0: the limit
      st(2, 10, -6, 3), // 1: the multiplier
      ldx(1, 0, 1, 0), // 2: fills the region cache, so that the loop runs in the fast copy
      alu64(AluOp.MOV, 2, 0), // 3: i
      alu64(AluOp.MOV, 5, 0), // 4: sum
      alu64x(AluOp.MOV, 3, 1), // 5: loop
      alu64x(AluOp.ADD, 3, 2), // 6
      ldx(1, 4, 3, 0), // 7: input[i]
      ldx(2, 7, 10, -6), // 8
      jne(4, 0, 4), // 9
      alu64(AluOp.ADD, 4, 3), alu64x(AluOp.MUL, 4, 7), alu64(AluOp.ADD, 4, 1), alu64(AluOp.ADD, 4, 1), // 10-13
      alu64x(AluOp.ADD, 5, 4), // 14
      alu64x(AluOp.MUL, 5, 7), // 15
      alu64(AluOp.AND, 5, 0xffff), // 16
      jne(2, 5, 4), // 17
      add1, add1, add1, add1, // 18-21
      alu64(AluOp.ADD, 2, 1), // 22
      ldx(4, 8, 10, -4), // 23
      alu64(AluOp.ADD, 8, 0), // 24
      insn(Class.JMP | JmpOp.JNE | Source.X, 2, 8, -21), // 25: i != limit
      alu64x(AluOp.MOV, 0, 5),
      exit,
    ]);
    everyBudget(prog, INPUT, 400);
    everyBudget(prog, new Uint8Array(40).fill(3), 400);
  });

  it('random programs over whole and overlapping slots', () => {
    const slot = fc.constantFrom<[number, Width]>([-8, 8], [-16, 8], [-20, 4], [-24, 4], [-26, 2], [-27, 1], [-28, 1], [-6, 2], [-12, 2], [-32, 8]);
    const reg = fc.integer({ min: 2, max: 5 });
    const store = fc.oneof(
      fc.tuple(slot, reg).map(([[off, size], r]) => [stx(size, 10, off, r)]),
      fc.tuple(slot, fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })).map(([[off, size], imm]) => [st(size, 10, off, imm)]),
    );
    const op = fc.oneof(
      store,
      fc.tuple(slot, reg).map(([[off, size], r]) => [ldx(size, r, 10, off)]),
      fc.tuple(slot, reg).map(([[off, size], r]) => [size === 8 ? ldx(8, r, 10, off) : ldxs(size, r, 10, off)]),
      fc.tuple(reg, reg).map(([a, b]) => [alu64x(AluOp.ADD, a, b)]),
      fc.tuple(reg, fc.integer({ min: -5, max: 5 })).map(([a, k]) => [alu64(AluOp.MUL, a, 2 * k + 1)]),
      fc.tuple(reg, fc.integer({ min: 0, max: 23 })).map(([r, k]) => [ldx(1, r, 1, k)]),
    );
    fc.assert(
      fc.property(fc.array(store, { maxLength: 6 }), fc.array(op, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 4 }), (before, ops, trips) => {
        const body = ops.flat();
        const prog = program([
          alu64(AluOp.MOV, 2, 0x1234),
          ...before.flat(),
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
