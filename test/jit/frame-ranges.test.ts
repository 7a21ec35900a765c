/**
 * Accesses through computed pointers into the frame (src/jit/frame-ranges.ts): which the analysis
 * proves inside the frame (a masked or compared index, shifted, added to a copy of r10), which it
 * must not (an index one past the array, a negative index, an index loaded and never bounded, a
 * pointer moved in a loop), and, against the interpreter at every budget, programs whose indices are
 * proved, fall outside the frame into a deeper frame or off the stack, or run off its top: the same
 * result, error (class, code, pc) and instructions charged. A store through a proved pointer below
 * what the run's start marks must still be cleared before the next run.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { frameRanges } from '../../src/jit/frame-ranges.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { basicBlocks } from '../../src/verifier/cfg.js';
import { AluOp, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { DEFAULT_LIMITS, type RunLimits } from '../../src/vm/environment.js';
import { Program, setup } from './harness.js';
import { everyBudget, interp, jit, sameAtBudget } from './budget-harness.js';
import { agreeAtEveryBudget } from './three-engines.js';
import { assemble } from '../../src/asm/index.js';
import { STACK_START } from '../../src/vm/memory.js';

const SIZE = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW } as const;
type Width = keyof typeof SIZE;
const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const alu32 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU | op | Source.K, dst, 0, 0, imm);
const ldx = (size: Width, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | SIZE[size], dst, src, off);
const stx = (size: Width, dst: number, off: number, src: number): Insn => insn(Class.STX | Mode.MEM | SIZE[size], dst, src, off);
const st = (size: Width, dst: number, off: number, imm: number): Insn => insn(Class.ST | Mode.MEM | SIZE[size], dst, 0, off, imm);
const jmp = (op: number, dst: number, imm: number, off: number): Insn => insn(Class.JMP | op | Source.K, dst, 0, off, imm);
const exit = insn(Opcode.EXIT);

/** The proved frame ranges of a program's accesses, by pc. */
function ranges(insns: readonly Insn[]): Map<number, { lo: number; hi: number }> {
  const blocks = basicBlocks(insns);
  const blockAt = new Int32Array(insns.length + 1).fill(-1);
  blocks.forEach((b, k) => (blockAt[b.start] = k));
  return new Map(frameRanges(insns, insns.map(decodeOperation), blocks, blockAt, [0], new Uint8Array(insns.length + 1)));
}

/** `r3 = r10 - 64 + ((byte at r1 + 0) & mask) * 8`, then a load through r3 (pc 6). */
const indexed = (mask: number, extra: readonly Insn[] = []): Insn[] => [
  ldx(1, 2, 1, 0),
  alu64(AluOp.AND, 2, mask),
  ...extra,
  alu64(AluOp.LSH, 2, 3),
  alu64x(AluOp.MOV, 3, 10),
  alu64(AluOp.ADD, 3, -64),
  alu64x(AluOp.ADD, 3, 2),
  ldx(8, 0, 3, 0),
  exit,
];

describe('frameRanges', () => {
  it('bounds a masked, shifted index added to a copy of r10', () => {
    expect(ranges(indexed(7)).get(6)).toEqual({ lo: -64, hi: -8 });
    // One past an 8-slot array: r10 + 0 is outside the frame; the compiler keeps that access checked.
    expect(ranges(indexed(15)).get(6)).toEqual({ lo: -64, hi: 56 });
  });

  it('bounds an index by a compare on each edge, and not a negative or unbounded one', () => {
    const compared = [ldx(8, 2, 1, 0), jmp(JmpOp.JGE, 2, 8, 5), alu64(AluOp.LSH, 2, 3), alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -64), alu64x(AluOp.ADD, 3, 2), ldx(8, 0, 3, 0), exit];
    expect(ranges(compared).get(6)).toEqual({ lo: -64, hi: -8 });
    // A signed compare bounds only one side: the index may be negative.
    const signed = [ldx(8, 2, 1, 0), jmp(JmpOp.JSGE, 2, 8, 5), alu64(AluOp.LSH, 2, 3), alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -64), alu64x(AluOp.ADD, 3, 2), ldx(8, 0, 3, 0), exit];
    expect(ranges(signed).has(6)).toBe(false);
    const unbounded = [ldx(8, 2, 1, 0), alu64(AluOp.LSH, 2, 3), alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -64), alu64x(AluOp.ADD, 3, 2), ldx(8, 0, 3, 0), exit];
    expect(ranges(unbounded).has(5)).toBe(false);
    // 32-bit arithmetic wraps: w2 - 1 of a byte may be 2^32 - 1.
    expect(ranges(indexed(7, [alu32(AluOp.ADD, 2, -1)])).get(7)?.hi).toBeGreaterThan(0);
  });

  it('widens a pointer moved in a loop to unknown', () => {
    const loop = [alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -64), st(8, 3, 0, 0), alu64(AluOp.ADD, 3, 8), ldx(1, 2, 1, 0), jmp(JmpOp.JNE, 2, 0, -4), exit];
    expect(ranges(loop).has(2)).toBe(false);
  });

  it('keeps a frame pointer spilled to an 8-byte slot and filled back, until a write may reach the slot', () => {
    // r3 = r10 - 64 + (byte & 7) * 8 spilled to [r10 - 8], `between`, filled into r4, a load through r4.
    const spill = (between: readonly Insn[]): Insn[] => [...indexed(7).slice(0, 6), stx(8, 10, -8, 3), ...between, ldx(8, 4, 10, -8), ldx(8, 0, 4, 0), exit];
    const at = (p: Insn[]): { lo: number; hi: number } | undefined => ranges(p).get(p.length - 2);
    expect(at(spill([]))).toEqual({ lo: -64, hi: -8 });
    expect(at(spill([st(8, 10, -16, 0), ldx(8, 5, 1, 0)]))).toEqual({ lo: -64, hi: -8 });
    // A store over any byte of the slot, through r10 or a frame pointer whose range reaches it.
    expect(at(spill([st(1, 10, -5, 0)]))).toBeUndefined();
    expect(at(spill([alu64x(AluOp.MOV, 5, 10), alu64(AluOp.ADD, 5, -16), st(4, 5, 8, 0)]))).toBeUndefined();
    // A store through a base that is not a frame pointer (it may be forged into the stack), a helper call.
    expect(at(spill([stx(8, 1, 0, 2)]))).toBeUndefined();
    expect(at(spill([insn(Opcode.CALL, 0, 0, 0, 1)]))).toBeUndefined();
    // A narrower fill is a number, not the pointer.
    const narrow = [...indexed(7).slice(0, 6), stx(8, 10, -8, 3), ldx(4, 4, 10, -8), ldx(8, 0, 4, 0), exit];
    expect(ranges(narrow).has(narrow.length - 2)).toBe(false);
  });

  it('forgets r1-r5 across calls and knows nothing at a function entry', () => {
    const call = insn(Opcode.CALL, 0, 0, 0, 1);
    const prog = [alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -8), alu64x(AluOp.MOV, 6, 3), call, ldx(8, 0, 3, 0), ldx(8, 0, 6, 0), exit];
    const r = ranges(prog);
    expect(r.has(4)).toBe(false);
    expect(r.get(5)).toEqual({ lo: -8, hi: -8 });
  });
});

const INPUTS = [0, 1, 5, 7, 8, 9, 15, 16, 200, 255].map((b) => new Uint8Array([b, 3, 9, 27, 81, 243, 7, 1]));

describe('stack arrays, against the interpreter at every budget', () => {
  /** Fill an 8-slot array through r10, then add up slots picked by input bytes through `index`. */
  const program = (index: readonly Insn[]): Program =>
    new Program(
      encodeProgram([
        ...Array.from({ length: 8 }, (_, k) => st(8, 10, -64 + 8 * k, k * 7 + 1)),
        alu64(AluOp.MOV, 0, 0),
        alu64(AluOp.MOV, 6, 0), // 9: the loop
        alu64x(AluOp.MOV, 7, 1),
        alu64x(AluOp.ADD, 7, 6),
        ldx(1, 2, 7, 0),
        ...index,
        alu64(AluOp.LSH, 2, 3),
        alu64x(AluOp.MOV, 3, 10),
        alu64(AluOp.ADD, 3, -64),
        alu64x(AluOp.ADD, 3, 2),
        ldx(8, 4, 3, 0),
        alu64x(AluOp.ADD, 0, 4),
        stx(8, 3, 0, 0),
        alu64(AluOp.ADD, 6, 1),
        jmp(JmpOp.JLT, 6, 8, -(12 + index.length)),
        exit,
      ]),
    );

  it('an index the mask keeps in the array', () => {
    for (const input of INPUTS) everyBudget(program([alu64(AluOp.AND, 2, 7)]), input, 200);
  });

  it('an index one past the array (off the stack top), negative (into a deeper frame, or off the stack) or unbounded', () => {
    for (const index of [[alu64(AluOp.AND, 2, 15)], [alu64(AluOp.AND, 2, 7), alu64(AluOp.ADD, 2, -8)], [alu64(AluOp.ADD, 2, -200)], []]) {
      for (const input of INPUTS) everyBudget(program(index), input, 200);
    }
  });

  it('random masks and offsets of the index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31 }), fc.integer({ min: -80, max: 8 }), fc.constantFrom(...INPUTS), (mask, add, input) => {
        const prog = program([alu64(AluOp.AND, 2, mask), alu64(AluOp.ADD, 2, add)]);
        for (const budget of [5, 40, 101, 1e6]) sameAtBudget(prog, input, budget);
      }),
      { numRuns: 40 },
    );
  });
});

describe('a spilled frame pointer overwritten through a forged pointer, against the interpreter at every budget', () => {
  // The slot [r10 - 8] holds r10 - 64, then a store through an address computed from STACK_START (the
  // same slot) replaces it with r10 - 64 + (input byte << 20): the filled pointer must stay checked.
  const depth = DEFAULT_LIMITS.maxCallDepth;
  const slot = STACK_START + DEFAULT_LIMITS.stackSize * depth - 8;
  const source = `
    mov r3, r10
    add r3, -64
    stxdw [r10-8], r3
    lddw r5, ${slot}
    ldxb r6, [r1+0]
    lsh r6, 20
    mov r7, r3
    add r7, r6
    stxdw [r5+0], r7
    ldxdw r4, [r10-8]
    stdw [r4+0], 1
    ldxdw r0, [r4+0]
    exit`;
  it('stores through the filled pointer fail where the interpreter fails', () => {
    const program = new Program(assemble(source));
    for (const byte of [0, 1, 200]) {
      const out = agreeAtEveryBudget(program, new Uint8Array([byte, 0, 0, 0]), DEFAULT_LIMITS, { max: 30 });
      expect(out, `byte ${byte}`).toEqual(byte === 0 ? { r0: '0:1', charged: 13 } : expect.objectContaining({ pc: 11 }));
    }
  });
});

describe('the stack a run leaves', () => {
  it('clears what a store through a proved pointer wrote below the marked footprint', () => {
    // Writes slot (input & 7) of an array at r10 - 64 only through a pointer, after reading it: the
    // next run must read 0 there again.
    const prog = new Program(
      encodeProgram([
        ldx(1, 2, 1, 0),
        alu64(AluOp.AND, 2, 7),
        alu64(AluOp.LSH, 2, 3),
        alu64x(AluOp.MOV, 3, 10),
        alu64(AluOp.ADD, 3, -64),
        alu64x(AluOp.ADD, 3, 2),
        ldx(8, 0, 3, 0),
        st(8, 3, 0, 77),
        exit,
      ]),
    );
    const limits: RunLimits = { ...DEFAULT_LIMITS, stackSize: 64 };
    for (const engine of [jit, interp]) {
      const input = new Uint8Array([5]);
      const s = setup(input, limits);
      const run = (): bigint => engine.run({ program: prog, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: 1n, helpers: new Map(), limits });
      expect([run(), run(), run()]).toEqual([0n, 0n, 0n]);
    }
  });
});
