/**
 * Escape analysis of frame slots (src/jit/slot-escape.ts) where r10 escapes into other registers. The
 * table pins which slots may live in locals: a store through a computed frame pointer whose range
 * frame-ranges.ts bounds taints the bytes it may write (reads do not: the frame stays exact), one the
 * analysis cannot bound (an unbounded index, a spilled frame pointer reloaded, a pointer a callee was
 * given) taints the whole frame, and pointers into the frame given to a helper or forged from a
 * number taint nothing (the compiler reads the slots again after those). The differential tests run
 * the interpreter and the JIT, at every budget, on loops that keep invariants in slots next to a
 * stack array written through an index, through a forged pointer, by a helper, and out of the stack,
 * and random loops mixing whole and overlapping slots with such stores.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mayWriteFrame, promotableSlots, type SlotPlan } from '../../src/jit/slot-escape.js';
import { frameRanges } from '../../src/jit/frame-ranges.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { basicBlocks } from '../../src/verifier/cfg.js';
import { AluOp, CallKind, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { EbpfError } from '../../src/errors.js';
import { DEFAULT_LIMITS, type Engine, type HelperEntry, type RunLimits } from '../../src/vm/environment.js';
import { Program, setup } from './harness.js';
import { everyBudget, interp, jit } from './budget-harness.js';

const SIZE = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW } as const;
type Width = keyof typeof SIZE;
const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const ldxs = (size: 1 | 2 | 4, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEMSX | SIZE[size], dst, src, off);
const ldx = (size: Width, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | SIZE[size], dst, src, off);
const stx = (size: Width, dst: number, off: number, src: number): Insn => insn(Class.STX | Mode.MEM | SIZE[size], dst, src, off);
const st = (size: Width, dst: number, off: number, imm: number): Insn => insn(Class.ST | Mode.MEM | SIZE[size], dst, 0, off, imm);
const jne = (dst: number, imm: number, off: number): Insn => insn(Class.JMP | JmpOp.JNE | Source.K, dst, 0, off, imm);
const callLocal = (imm: number): Insn => insn(Opcode.CALL, 0, CallKind.LOCAL, 0, imm);
const callHelper = (id: number): Insn => insn(Opcode.CALL, 0, CallKind.HELPER, 0, id);
const lddw = (dst: number, value: number): Insn[] => [insn(Opcode.LDDW, dst, 0, 0, value), insn(0, 0, 0, 0, 0)];
const exit = insn(Opcode.EXIT);

/** `r3 = r10 + base + (r4 & mask) * 8`: a pointer into a stack array of mask + 1 elements at `base`. */
const arrayPointer = (mask: number, base = -64): Insn[] => [
  alu64x(AluOp.MOV, 3, 10),
  alu64(AluOp.ADD, 3, base),
  alu64(AluOp.AND, 4, mask),
  alu64(AluOp.LSH, 4, 3),
  alu64x(AluOp.ADD, 3, 4),
];

/** The slot plan of a program whose r10 escapes: frame ranges and the may-write analysis, functions at `entries`. */
function plan(insns: readonly Insn[], entries: readonly number[] = [0], stackSize = 128): SlotPlan | undefined {
  const ops = insns.map(decodeOperation);
  const blocks = basicBlocks(insns);
  const blockAt = new Int32Array(insns.length + 1).fill(-1);
  blocks.forEach((b, k) => (blockAt[b.start] = k));
  const bad = new Uint8Array(insns.length + 1);
  const ranges = frameRanges(insns, ops, blocks, blockAt, entries, bad);
  const mayWrite = mayWriteFrame(insns, ops, blocks, blockAt, entries, bad);
  return promotableSlots(insns, ops, bad, stackSize, { ranges, mayWrite });
}

/** Stores of the slots -8 (8 bytes), -40 (inside the array at -64..-1), -72 (8) and -76 (4). */
const SLOTS = [st(8, 10, -8, 1), st(8, 10, -40, 2), st(8, 10, -72, 3), st(4, 10, -76, 4)];
const SLOT_READS = [ldx(8, 5, 10, -8), ldx(8, 5, 10, -40), ldx(8, 5, 10, -72), ldx(4, 5, 10, -76)];

describe('promotableSlots where r10 escapes (slot-escape.ts)', () => {
  const table: { name: string; insns: Insn[]; entries?: number[]; want: [number, number][] }[] = [
    {
      name: 'a store through a bounded index taints the array, not the slots beside it',
      insns: [...SLOTS, ldx(1, 4, 1, 0), ...arrayPointer(3), stx(8, 3, 0, 5), ...SLOT_READS, exit],
      want: [[-8, 8], [-72, 8], [-76, 4]],
    },
    {
      name: 'a load through a bounded index taints nothing (the frame stays exact)',
      insns: [...SLOTS, ldx(1, 4, 1, 0), ...arrayPointer(7), ldx(8, 5, 3, 0), ...SLOT_READS, exit],
      want: [[-8, 8], [-40, 8], [-72, 8], [-76, 4]],
    },
    {
      name: 'a store through an unbounded index may write any slot',
      insns: [...SLOTS, ldx(8, 4, 1, 0), alu64x(AluOp.MOV, 3, 10), alu64x(AluOp.ADD, 3, 4), stx(8, 3, 0, 5), ...SLOT_READS, exit],
      want: [],
    },
    {
      name: 'a frame pointer spilled and filled back keeps its range (frame-ranges.ts): a store through it taints only its bytes',
      insns: [...SLOTS, alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -64), stx(8, 10, -88, 3), ldx(8, 6, 10, -88), st(8, 6, 0, 9), ...SLOT_READS, exit],
      want: [[-8, 8], [-40, 8], [-72, 8], [-76, 4], [-88, 8]],
    },
    {
      name: 'a frame pointer spilled, then filled back after a helper call (which may write the slot), may write any slot',
      insns: [...SLOTS, alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -64), stx(8, 10, -88, 3), callHelper(7), ldx(8, 6, 10, -88), st(8, 6, 0, 9), ...SLOT_READS, exit],
      want: [],
    },
    {
      name: 'a frame pointer a callee is given and stores through may write any slot',
      insns: [...SLOTS, alu64x(AluOp.MOV, 1, 10), alu64(AluOp.ADD, 1, -8), callLocal(5), ...SLOT_READS, exit, st(8, 1, 0, 7), exit],
      entries: [0, 12],
      want: [],
    },
    {
      name: 'a frame pointer given to a helper, or forged from a number, taints nothing (read again at run time)',
      insns: [...SLOTS, alu64x(AluOp.MOV, 1, 10), alu64(AluOp.ADD, 1, -8), callHelper(7), ...lddw(6, 0x0200_0000), st(8, 6, 0, 9), ...SLOT_READS, exit],
      want: [[-8, 8], [-40, 8], [-72, 8], [-76, 4]],
    },
    {
      name: 'an access of another size still keeps its slot out',
      insns: [...SLOTS, ldx(1, 4, 1, 0), ...arrayPointer(7), ldx(4, 5, 10, -8), ...SLOT_READS, exit],
      want: [[-40, 8], [-72, 8], [-76, 4]],
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      expect([...(plan(t.insns, t.entries) ?? new Map())].sort((a, b) => b[0] - a[0])).toEqual(t.want);
    });
  }
});

const program = (insns: readonly Insn[]): Program => new Program(encodeProgram(insns));
const INPUT = new Uint8Array(Array.from({ length: 24 }, (_, k) => (k * 37 + 11) & 0xff));

/**
 * A loop of `trips` (r6) iterations over the input's bytes (64-byte frames): each reads the
 * invariant slots -40 and -48 (kept in locals), runs `write` (writing the array at -32 through r3, or
 * a slot through another base) and sums what it read into r9, returned in r0.
 */
function loop(write: Insn[], trips = 4): Insn[] {
  return [
    st(8, 10, -40, 0x1111), // 0
    st(8, 10, -48, 0x2020), // 1
    alu64(AluOp.MOV, 9, 0), // 2
    alu64(AluOp.MOV, 6, trips), // 3
    alu64x(AluOp.MOV, 7, 1), // 4
    ldx(1, 4, 7, 0), // 5: loop
    ...arrayPointer(3, -32), // 6-10
    ldx(8, 2, 10, -40),
    alu64x(AluOp.ADD, 9, 2),
    ...write,
    ldx(8, 2, 10, -48),
    alu64x(AluOp.ADD, 9, 2),
    ldx(8, 2, 3, 0),
    alu64x(AluOp.ADD, 9, 2),
    alu64(AluOp.ADD, 7, 1),
    alu64(AluOp.ADD, 6, -1),
    jne(6, 0, -(write.length + 15)),
    alu64x(AluOp.MOV, 0, 9),
    exit,
  ];
}

describe('slots in locals where r10 escapes, against the interpreter at every budget', () => {
  it('a stack array written through a bounded index beside the slots', () => {
    everyBudget(program(loop([stx(8, 3, 0, 9)])), INPUT, 150);
  });

  it('a slot inside the array, read in the loop and written through the index', () => {
    // [r10 - 16] is element 2 of the array: a local for it would miss the stores through r3.
    const prog = loop([stx(8, 3, 0, 9), ldx(8, 2, 10, -16), alu64x(AluOp.ADD, 9, 2)]);
    everyBudget(program([st(8, 10, -16, 0x3333), ...prog]), INPUT, 150);
  });

  it('a slot written through a pointer forged from STACK_START (the entry frame is the top one)', () => {
    // stackTop in the harness: STACK_START + 64 x 8 frames; [r10 - 40] of the entry frame, written with r9.
    const forged = 0x0200_0000 + 64 * 8 - 40;
    everyBudget(program(loop([...lddw(8, forged), stx(8, 8, 0, 9)])), INPUT, 150);
  });

  it('a store past the stack through an unbounded index: the same error at the same pc', () => {
    const prog = program([
      st(8, 10, -8, 5),
      ldx(8, 4, 1, 0), // an unbounded index
      alu64(AluOp.MOV, 6, 3),
      alu64(AluOp.MOV, 0, 0),
      alu64x(AluOp.MOV, 3, 10), // loop
      alu64x(AluOp.ADD, 3, 4),
      ldx(8, 2, 10, -8),
      alu64x(AluOp.ADD, 0, 2),
      stx(8, 3, 0, 0),
      alu64(AluOp.ADD, 4, 8),
      alu64(AluOp.ADD, 6, -1),
      jne(6, 0, -8),
      exit,
    ]);
    everyBudget(prog, INPUT, 80);
    everyBudget(prog, new Uint8Array(24), 80);
    // r10 - 24, - 16, - 8 (the slot, read in the next iteration), then r10 + 0: off the stack.
    everyBudget(prog, new Uint8Array([0xe8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...new Uint8Array(16)]), 80);
  });

  it('random loops over whole and overlapping slots beside a stack array written through an index', () => {
    // The array is [r10 - 32, r10) (mask 3) or [r10 - 16, r10) (mask 1): some slots lie inside it.
    const slot = fc.constantFrom<[number, Width]>([-8, 8], [-16, 8], [-40, 8], [-44, 4], [-46, 2], [-47, 1], [-48, 1], [-36, 2], [-56, 8], [-64, 8]);
    const reg = fc.integer({ min: 2, max: 5 });
    const store = fc.oneof(
      fc.tuple(slot, reg).map(([[off, size], r]) => [stx(size, 10, off, r)]),
      fc.tuple(slot, fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })).map(([[off, size], imm]) => [st(size, 10, off, imm)]),
    );
    const forged = (off: number): Insn[] => [...lddw(8, 0x0200_0000 + 64 * 8 + off), stx(8, 8, 0, 2)];
    const op = fc.oneof(
      store,
      fc.tuple(slot, reg).map(([[off, size], r]) => [ldx(size, r, 10, off)]),
      fc.tuple(slot, reg).map(([[off, size], r]) => [size === 8 ? ldx(8, r, 10, off) : ldxs(size, r, 10, off)]),
      fc.tuple(reg, reg).map(([a, b]) => [alu64x(AluOp.ADD, a, b)]),
      fc.tuple(reg, fc.integer({ min: -5, max: 5 })).map(([a, k]) => [alu64(AluOp.MUL, a, 2 * k + 1)]),
      fc.tuple(reg, fc.integer({ min: 0, max: 23 })).map(([r, k]) => [ldx(1, r, 1, k)]),
      fc.tuple(fc.constantFrom(1, 3), reg).map(([mask, r]) => [ldx(1, 4, 7, 0), ...arrayPointer(mask, -8 * (mask + 1)), stx(8, 3, 0, r)]),
      fc.constantFrom(-8, -40, -56).map(forged),
    );
    fc.assert(
      fc.property(fc.array(store, { maxLength: 6 }), fc.array(op, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 4 }), (before, ops, trips) => {
        const body = ops.flat();
        const prog = program([
          alu64(AluOp.MOV, 2, 0x1234),
          ...before.flat(),
          alu64x(AluOp.MOV, 7, 1),
          ldx(1, 0, 1, 0), // fills the region cache: the loop's input loads then hit in the fast copy
          alu64(AluOp.MOV, 6, trips),
          ...body,
          alu64(AluOp.ADD, 7, 1),
          alu64(AluOp.ADD, 6, -1),
          jne(6, 0, -(body.length + 3)),
          alu64x(AluOp.MOV, 0, 2),
          alu64x(AluOp.XOR, 0, 3),
          alu64x(AluOp.ADD, 0, 4),
          alu64x(AluOp.XOR, 0, 5),
          exit,
        ]);
        everyBudget(prog, INPUT, 200);
      }),
      { numRuns: 100 },
    );
  });

  it('a helper writing a slot through the frame pointer it was given', () => {
    const helpers = new Map<number, HelperEntry>([
      [7, { name: 'poke', unwindOnZero: false, fn: (r1, r2, _r3, _r4, _r5, ctx) => (ctx.memory.store(r1, 8, r2), 0n) }],
    ]);
    // The helper writes the input pointer (r7) into [r10 - 48], read after it in the same iteration.
    const prog = program(
      loop([
        alu64x(AluOp.MOV, 8, 3), // the array pointer survives the call in r8
        alu64x(AluOp.MOV, 1, 10),
        alu64(AluOp.ADD, 1, -48),
        alu64x(AluOp.MOV, 2, 7),
        callHelper(7),
        alu64x(AluOp.MOV, 3, 8),
      ]),
    );
    const run = (engine: Engine, budget: number): unknown => {
      const l: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: budget, stackSize: 64 };
      const s = setup(INPUT, l);
      const out = { r0Low: 0, r0High: 0, instructions: 0 };
      try {
        engine.runInto!({ program: prog, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: BigInt(INPUT.length), helpers, limits: l }, out);
        return out;
      } catch (e) {
        if (!(e instanceof EbpfError)) throw e;
        return { name: e.constructor.name, code: e.code, pc: e.pc };
      }
    };
    for (let b = 0; b <= 140; b++) expect(run(jit, b)).toEqual(run(interp, b));
  });
});
