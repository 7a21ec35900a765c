/**
 * The JIT's exit from a loop to the function's checked copy on a region-cache miss (emit-budget.ts and emit-block.ts,
 * `resumeLabel` / `resumeSegments`): the miss leaves the loop nest and the run continues in the checked
 * copy at the very access that missed, its block already charged. Random loops of several blocks with
 * the cache cold or holding another region on entry, accesses through the input, moving pointers,
 * copies of r10 and indexed stack arrays, stores, atomics, accesses that fail after the exit, and
 * budgets that run out before, at and after it must give the interpreter's result, memory and error.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JitEngine } from '../../src/jit/engine.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import type { RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { AluOp, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { Program, outcome, type Outcome } from './harness.js';

const jit = new JitEngine();
const interp = new Interpreter();
const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: 3000, stackSize: 64 };
const INPUT = 48;

/** Both engines on `insns` over `input`: identical outcomes (r0 and memory, or the error), returned. */
function same(insns: readonly Insn[], input: Uint8Array, lim: RunLimits = limits): Outcome {
  const want = outcome(interp, new Program(encodeProgram(insns)), input, lim);
  expect(outcome(jit, new Program(encodeProgram(insns)), input, lim)).toEqual(want);
  return want;
}

const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const SIZES = [Size.B, Size.H, Size.W, Size.DW];

// Registers: r1 the input, r3 a pointer moving through it, r6 a copy of r10 minus 16, r5 a counter,
// r8/r9 data. Each item is one or a few instructions of a loop block.
const item = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ base: fc.constantFrom(1, 3, 3, 6), size: fc.constantFrom(...SIZES), off: fc.integer({ min: -4, max: 12 }), kind: fc.constantFrom('ldx', 'ldx', 'st', 'stx', 'xadd'), v: fc.integer() })
      .map(({ base, size, off, kind, v }) => {
        const o = base === 6 ? -Math.abs(off) : off;
        if (kind === 'ldx') return [insn(Class.LDX | Mode.MEM | size, 8, base, o)];
        if (kind === 'st') return [insn(Class.ST | Mode.MEM | size, base, 0, o, v)];
        if (kind === 'stx') return [insn(Class.STX | Mode.MEM | size, base, 9, o)];
        // Atomic add (32- or 64-bit) through the same address.
        return [insn(Class.STX | Mode.ATOMIC | (size === Size.DW ? Size.DW : Size.W), base, 9, o, 0)];
      }),
  },
  // An indexed access into a stack array (`r2 = r6; r2 += (r5 & 7) << 3`) or into the input.
  {
    weight: 2,
    arbitrary: fc.record({ stack: fc.boolean(), store: fc.boolean() }).map(({ stack, store }) => [
      alu64x(AluOp.MOV, 4, 5),
      alu64(AluOp.AND, 4, 7),
      alu64(AluOp.LSH, 4, stack ? 3 : 2),
      alu64x(AluOp.MOV, 2, stack ? 6 : 1),
      alu64x(AluOp.ADD, 2, 4),
      store ? insn(Class.STX | Mode.MEM | Size.W, 2, 8, stack ? -8 : 0) : insn(Class.LDX | Mode.MEM | Size.W, 9, 2, stack ? -8 : 0),
    ]),
  },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 9 }).map((k) => [alu64(AluOp.ADD, 3, k)]) },
  { weight: 2, arbitrary: fc.constantFrom([alu64x(AluOp.ADD, 9, 8)], [alu64x(AluOp.XOR, 8, 5)], [alu64(AluOp.MUL, 9, 3)]) },
);

const program = fc
  .record({
    start: fc.integer({ min: -8, max: INPUT }),
    before: fc.constantFrom('none', 'input', 'stack-indexed', 'stack'),
    blocks: fc.array(fc.record({ items: fc.array(item, { minLength: 1, maxLength: 3 }), branch: fc.option(fc.record({ reg: fc.constantFrom(5, 8, 9), imm: fc.integer({ min: 0, max: 7 }) })) }), { minLength: 1, maxLength: 3 }),
    trips: fc.integer({ min: 1, max: 12 }),
    outer: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ start, before, blocks, trips, outer }) => {
    const out: Insn[] = [alu64(AluOp.MOV, 7, 0), alu64x(AluOp.MOV, 6, 10), alu64(AluOp.ADD, 6, -16), alu64(AluOp.MOV, 8, 1), alu64(AluOp.MOV, 9, 2)];
    // What the region cache holds on entry: nothing, the input, or the stack (an indexed miss caches it).
    if (before === 'input') out.push(insn(Class.LDX | Mode.MEM | Size.B, 0, 1, 0));
    else if (before === 'stack-indexed') out.push(alu64(AluOp.MOV, 4, 8), alu64x(AluOp.MOV, 2, 6), alu64x(AluOp.ADD, 2, 4), insn(Class.LDX | Mode.MEM | Size.B, 0, 2, -8), alu64x(AluOp.MOV, 2, 6), alu64x(AluOp.ADD, 2, 4), insn(Class.LDX | Mode.MEM | Size.B, 0, 2, -9));
    else if (before === 'stack') out.push(insn(Class.STX | Mode.MEM | Size.DW, 6, 9, -8));
    const outerHead = out.length;
    out.push(alu64x(AluOp.MOV, 3, 1), alu64(AluOp.ADD, 3, start), alu64(AluOp.MOV, 5, 0));
    const head = out.length;
    const fixups: { at: number; to: 'next' }[] = [];
    blocks.forEach((b) => {
      for (const it of b.items) out.push(...it);
      if (b.branch !== null) {
        // Skip the next instruction (a data-dependent branch inside the loop, a second path).
        out.push(insn(Class.JMP | JmpOp.JSET | Source.K, b.branch.reg, 0, 1, b.branch.imm), alu64(AluOp.ADD, 9, 1));
      }
    });
    void fixups;
    out.push(alu64(AluOp.ADD, 5, 1));
    out.push(insn(Class.JMP | JmpOp.JLT | Source.K, 5, 0, head - (out.length + 1), trips));
    out.push(alu64(AluOp.ADD, 7, 1));
    out.push(insn(Class.JMP | JmpOp.JLT | Source.K, 7, 0, outerHead - (out.length + 1), outer));
    out.push(alu64x(AluOp.MOV, 0, 9), alu64x(AluOp.XOR, 0, 8), ...Array.from({ length: 60 }, () => insn(Opcode.JA)), insn(Opcode.EXIT));
    return out;
  });

describe('JIT exit to the checked copy on a cache miss', () => {
  it('gives identical results, memory and errors on random loops, with any budget', () => {
    fc.assert(
      fc.property(program, fc.uint8Array({ minLength: INPUT, maxLength: INPUT }), fc.oneof(fc.constant(3000), fc.integer({ min: 1, max: 400 })), (insns, input, budget) => {
        same(insns, input, { ...limits, instructionBudget: budget });
      }),
      { numRuns: 800 },
    );
  });

  it('matches on a loop block longer than the resume points reach (16,383 slots), accesses at both ends', () => {
    // Accesses past the block's first 16,383 slots keep the in-place table scan: both kinds in one block.
    const filler = Array.from({ length: 17_000 }, (_, k) => alu64(AluOp.ADD, 9, k & 7));
    const prog: Insn[] = [
      alu64x(AluOp.MOV, 6, 10),
      alu64(AluOp.MOV, 4, 8),
      alu64x(AluOp.MOV, 2, 6),
      alu64x(AluOp.ADD, 2, 4),
      insn(Class.LDX | Mode.MEM | Size.B, 0, 2, -16),
      alu64x(AluOp.MOV, 3, 1),
      alu64(AluOp.MOV, 5, 0),
      alu64(AluOp.MOV, 9, 0),
      insn(Class.LDX | Mode.MEM | Size.W, 8, 3, 0),
      ...filler,
      insn(Class.STX | Mode.MEM | Size.DW, 3, 9, 8),
      alu64(AluOp.ADD, 3, 8),
      alu64(AluOp.ADD, 5, 1),
      insn(Class.JMP | JmpOp.JLT | Source.K, 5, 0, -(filler.length + 5), 6),
      alu64x(AluOp.MOV, 0, 9),
      insn(Opcode.EXIT),
    ];
    const input = Uint8Array.from({ length: INPUT }, (_, k) => k * 3 + 1);
    expect(same(prog, input, { ...limits, instructionBudget: 1_000_000 }).ok).toBe(false);
    for (const budget of [17_010, 17_020, 34_050, 80_000]) same(prog, input, { ...limits, instructionBudget: budget });
  });

  it('resumes at the access that missed, with the block charged once, at every budget', () => {
    // The loop's first access misses (the cache holds the stack), in the middle of a block of six
    // instructions; then an access in the same block fails on the 5th iteration.
    const prog: Insn[] = [
      alu64x(AluOp.MOV, 6, 10),
      alu64(AluOp.MOV, 4, 8),
      alu64x(AluOp.MOV, 2, 6),
      alu64x(AluOp.ADD, 2, 4),
      insn(Class.LDX | Mode.MEM | Size.B, 0, 2, -16),
      alu64x(AluOp.MOV, 3, 1),
      alu64(AluOp.ADD, 3, INPUT - 36),
      alu64(AluOp.MOV, 5, 0),
      alu64(AluOp.MOV, 9, 0),
      // loop: six instructions, the access in the middle, then one past the input from trip 5 on
      alu64(AluOp.ADD, 9, 1),
      alu64x(AluOp.ADD, 9, 5),
      insn(Class.LDX | Mode.MEM | Size.W, 8, 3, 0),
      alu64x(AluOp.ADD, 9, 8),
      insn(Class.STX | Mode.MEM | Size.DW, 3, 9, 4),
      alu64(AluOp.ADD, 3, 8),
      alu64(AluOp.ADD, 5, 1),
      insn(Class.JMP | JmpOp.JLT | Source.K, 5, 0, -9, 6),
      alu64x(AluOp.MOV, 0, 9),
      insn(Opcode.EXIT),
    ];
    const input = Uint8Array.from({ length: INPUT }, (_, k) => k * 7 + 1);
    const full = same(prog, input);
    expect(full.ok).toBe(false);
    for (let budget = 1; budget <= 80; budget++) same(prog, input, { ...limits, instructionBudget: budget });
  });
});
