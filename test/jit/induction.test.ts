/**
 * The JIT's induction-variable analysis (src/jit/induction.ts) and the counted loops it lets the JIT
 * check once per entry: 32-bit index arithmetic under range conditions, strides held in registers, and
 * 32-bit loop compares. Random loops of clang's `a[i * n + k]` shape, with counters near 2^32 (so that
 * 32-bit arithmetic wraps mid-loop), counters going up or down to a register or an immediate bound,
 * accesses up to and past a region's last byte, a stride or bound
 * that changes inside the loop, a store over the memory the bound was loaded from and budgets that run
 * out mid-loop, must give the interpreter's result, memory and error (class, code, pc).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JitEngine } from '../../src/jit/engine.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import type { RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { AluOp, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, splitWideImm, type Insn } from '../../src/isa/instruction.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { analyzeInduction, constantOf } from '../../src/jit/induction.js';
import { Program, outcome, type Outcome } from './harness.js';

const jit = new JitEngine();
const interp = new Interpreter();
const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: 4000, stackSize: 64 };
const INPUT = 64;

/** Both engines on `insns` over `input`: identical outcomes (r0 and memory, or the error), returned. */
function same(insns: readonly Insn[], input: Uint8Array, lim: RunLimits = limits): Outcome {
  const want = outcome(interp, new Program(encodeProgram(insns)), input, lim);
  expect(outcome(jit, new Program(encodeProgram(insns)), input, lim)).toEqual(want);
  return want;
}

const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const alu32 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU | op | Source.K, dst, 0, 0, imm);
const alu32x = (op: number, dst: number, src: number): Insn => insn(Class.ALU | op | Source.X, dst, src);
const lddw = (dst: number, v: bigint): Insn[] => {
  const { lo, hi } = splitWideImm(BigInt.asUintN(64, v));
  return [insn(Opcode.LDDW, dst, 0, 0, lo), insn(0, 0, 0, 0, hi)];
};
const SIZES = [Size.B, Size.H, Size.W, Size.DW];

/** 32-bit start values: small, and near 2^32 so that the index wraps within a few iterations. */
const start32 = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, -2, -5, -20, 2 ** 31 - 2) });

// r1 = input, r6 a 32-bit index, r4 a stride register (loop-invariant unless an item changes it),
// r0 the counter, r2 the bound; the body indexes the input through `w7 = w6 (+ w4 | + imm); r7 <<= s`.
const item = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ base: fc.integer({ min: 0, max: 40 }), plus: fc.constantFrom('none', 'reg', 'imm'), imm: fc.integer({ min: -6, max: 8 }), sh: fc.integer({ min: 0, max: 3 }), wide: fc.boolean(), size: fc.constantFrom(...SIZES), off: fc.integer({ min: -4, max: 8 }), kind: fc.constantFrom('ldx', 'st', 'stx'), v: fc.integer() })
      .map(({ base, plus, imm, sh, wide, size, off, kind, v }) => [
        alu32x(AluOp.MOV, 7, 6),
        ...(plus === 'reg' ? [alu32x(AluOp.ADD, 7, 4)] : plus === 'imm' ? [alu32(AluOp.ADD, 7, imm)] : []),
        wide ? alu64(AluOp.LSH, 7, sh) : alu32(AluOp.LSH, 7, sh),
        alu64x(AluOp.MOV, 8, 1),
        alu64(AluOp.ADD, 8, base),
        alu64x(AluOp.ADD, 8, 7),
        kind === 'ldx' ? insn(Class.LDX | Mode.MEM | size, 9, 8, off) : kind === 'st' ? insn(Class.ST | Mode.MEM | size, 8, 0, off, v) : insn(Class.STX | Mode.MEM | size, 8, 9, off),
      ]),
  },
  // The index moves by the stride register, a constant, or a multiple.
  { weight: 3, arbitrary: fc.constantFrom([alu32x(AluOp.ADD, 6, 4)], [alu32(AluOp.ADD, 6, 1)], [alu32(AluOp.ADD, 6, -1)], [alu32(AluOp.SUB, 6, 2)], [alu64x(AluOp.ADD, 6, 4)]) },
  // Not induction: a multiply of the index, the stride changing inside, the bound changing or reloaded.
  { weight: 1, arbitrary: fc.constantFrom([alu32(AluOp.MUL, 6, 3)], [alu64(AluOp.ADD, 4, 1)], [alu32(AluOp.XOR, 6, 1)], [alu64(AluOp.ADD, 2, 1)], [insn(Class.LDX | Mode.MEM | Size.B, 2, 1, 0)]) },
  // A store over the byte the bound was loaded from: the bound register keeps its value.
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((v) => [insn(Class.ST | Mode.MEM | Size.B, 1, 0, 0, v)]) },
  { weight: 1, arbitrary: fc.constant([alu64x(AluOp.ADD, 0, 9), alu64(AluOp.SUB, 0, 0)]) },
);

const bound = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }).map((k) => [alu64(AluOp.MOV, 2, k)]) },
  { weight: 2, arbitrary: fc.constant([insn(Class.LDX | Mode.MEM | Size.B, 2, 1, 0)]) },
  { weight: 1, arbitrary: fc.constantFrom(-1n, 1n << 32n, (1n << 32n) + 3n, (1n << 32n) - 1n, 5n + (1n << 40n)).map((v) => lddw(2, v)) },
);

const loopProgram = fc
  .record({
    counter: start32,
    index: start32,
    stride: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(2 ** 31, -(2 ** 31), 1 << 20)),
    bound,
    items: fc.array(item, { minLength: 1, maxLength: 4 }),
    step: fc.constantFrom('1', '1', '2', 'w1', 'reg', 'w4', '-1', 'w-1'),
    cond: fc.constantFrom('jlt', 'jlt32', 'jlt32', 'jgt32', 'jne', 'jne32', 'jne32-imm', 'jne-imm', 'jlt-imm'),
    imm: fc.oneof(fc.integer({ min: -2, max: 24 }), fc.constant(0)),
    prime: fc.boolean(),
  })
  .map(({ counter, index, stride, bound, items, step, cond, imm, prime }) => {
    const out: Insn[] = [alu32(AluOp.MOV, 0, counter), alu32(AluOp.MOV, 6, index), alu64(AluOp.MOV, 4, stride), ...bound, alu64(AluOp.MOV, 9, 0)];
    if (prime) out.push(insn(Class.LDX | Mode.MEM | Size.B, 3, 1, 0));
    const head = out.length;
    for (const it of items) out.push(...it);
    if (step === 'reg') out.push(alu64x(AluOp.ADD, 0, 4));
    else if (step === 'w4') out.push(alu32x(AluOp.ADD, 0, 4));
    else if (step === 'w1') out.push(alu32(AluOp.ADD, 0, 1));
    else if (step === 'w-1') out.push(alu32(AluOp.ADD, 0, -1));
    else out.push(alu64(AluOp.ADD, 0, Number(step)));
    const at = out.length;
    const back = head - (at + 1);
    if (cond === 'jlt') out.push(insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, back));
    else if (cond === 'jlt32') out.push(insn(Class.JMP32 | JmpOp.JLT | Source.X, 0, 2, back));
    else if (cond === 'jgt32') out.push(insn(Class.JMP32 | JmpOp.JGT | Source.X, 2, 0, back));
    else if (cond === 'jne') out.push(insn(Class.JMP | JmpOp.JNE | Source.X, 0, 2, back));
    // Immediate bounds: `while (n--)` counting down to 0 (or another constant), or up to a constant.
    else if (cond === 'jne32-imm') out.push(insn(Class.JMP32 | JmpOp.JNE | Source.K, 0, 0, back, imm));
    else if (cond === 'jne-imm') out.push(insn(Class.JMP | JmpOp.JNE | Source.K, 0, 0, back, imm));
    else if (cond === 'jlt-imm') out.push(insn(Class.JMP | JmpOp.JLT | Source.K, 0, 0, back, imm));
    else out.push(insn(Class.JMP32 | JmpOp.JNE | Source.X, 0, 2, back));
    // Then one-slot blocks, so that a budget running out after the loop shows what the loop charged.
    out.push(alu64x(AluOp.ADD, 0, 9), alu64x(AluOp.XOR, 0, 6), ...Array.from({ length: 100 }, () => insn(Opcode.JA)), insn(Opcode.EXIT));
    return out;
  });

describe('JIT induction variables', () => {
  it('finds 32-bit indexes, register strides and the range conditions of a matmul-shaped loop', () => {
    // k loop of `s += a[i * n + k] * b[k * n + j]` as clang -mcpu=v3 emits it (bench/programs/matmul.c).
    const body: Insn[] = [
      alu32x(AluOp.MOV, 7, 8),
      alu32x(AluOp.ADD, 7, 1),
      alu64(AluOp.LSH, 7, 2),
      alu64x(AluOp.MOV, 5, 2),
      alu64x(AluOp.ADD, 5, 7),
      alu32x(AluOp.MOV, 7, 3),
      alu64(AluOp.LSH, 7, 2),
      alu64x(AluOp.MOV, 0, 9),
      alu64x(AluOp.ADD, 0, 7),
      insn(Class.LDX | Mode.MEM | Size.W, 7, 0, 0),
      insn(Class.LDX | Mode.MEM | Size.W, 5, 5, 0),
      alu32x(AluOp.MUL, 7, 5),
      alu32x(AluOp.ADD, 7, 6),
      alu32x(AluOp.ADD, 3, 4),
      alu64(AluOp.ADD, 1, 1),
      alu32x(AluOp.MOV, 6, 7),
    ];
    const ind = analyzeInduction({ insns: body, ops: body.map(decodeOperation), from: 0, to: body.length, frameFastPath: true, stackSize: 512 });
    expect(ind).toBeDefined();
    const a = ind!;
    expect(constantOf(a.step[1]!)).toBe(1);
    // w3 += w4: the step is r4 (loop-invariant), not a constant.
    expect([...a.step[3]!.coeffs]).toEqual([[4, 1]]);
    expect(a.accesses.map((x) => x.pc)).toEqual([9, 10]);
    const [bAccess, aAccess] = a.accesses;
    expect([...bAccess!.stride.coeffs]).toEqual([[4, 4]]);
    expect(constantOf(aAccess!.stride)).toBe(4);
    // w7 = w8 + w1 and w3 + w4 must not wrap.
    const forms = a.ranges.map((r) => [...r.form.coeffs].sort().join(';'));
    expect(forms).toContain('1,1;8,1');
    expect(forms).toContain('3,1;4,1');
    // s (r6, r7) is a product of loaded values: no form.
    expect(a.end[6]).toBeUndefined();
  });

  it('drops a 32-bit form whose range condition has no loop-invariant stride', () => {
    // w6 *= 3 each iteration: w6 is not an induction variable, so `w7 = w6; w7 += 1` has no stride.
    const body: Insn[] = [alu32(AluOp.MUL, 6, 3), alu32x(AluOp.MOV, 7, 6), alu32(AluOp.ADD, 7, 1), alu64x(AluOp.MOV, 8, 1), alu64x(AluOp.ADD, 8, 7), insn(Class.LDX | Mode.MEM | Size.B, 9, 8, 0)];
    const ind = analyzeInduction({ insns: body, ops: body.map(decodeOperation), from: 0, to: body.length, frameFastPath: true, stackSize: 512 })!;
    expect(ind.accesses).toEqual([]);
    expect(ind.ranges.every((r) => r.stride !== undefined)).toBe(true);
  });

  it('gives identical results, memory and errors on random loops with 32-bit indexes', () => {
    fc.assert(
      fc.property(loopProgram, fc.uint8Array({ minLength: INPUT, maxLength: INPUT }), fc.oneof(fc.constant(4000), fc.integer({ min: 1, max: 300 })), (insns, input, budget) => {
        same(insns, input, { ...limits, instructionBudget: budget });
      }),
      { numRuns: 600 },
    );
  });

  it('matches on a 32-bit-indexed loop whose accesses end at, before or past the last byte of the input', () => {
    // for (u32 k = 0; k < n; k++) s += a[k * m + j] (u32), stride m in a register; the last access is
    // at byte 4 * ((n - 1) * m + j) .. + 3: at the input's last byte for some (n, m, j), one past for others.
    for (const m of [1, 2, 3]) {
      for (let n = 1; n <= 17; n++) {
        for (const j of [0, 1, 2, 3]) {
          const prog: Insn[] = [
            alu64(AluOp.MOV, 0, 0),
            alu64(AluOp.MOV, 4, m),
            alu64(AluOp.MOV, 2, n),
            alu32(AluOp.MOV, 3, j),
            alu64(AluOp.MOV, 6, 0),
            // loop:
            alu32x(AluOp.MOV, 7, 3),
            alu64(AluOp.LSH, 7, 2),
            alu64x(AluOp.MOV, 8, 1),
            alu64x(AluOp.ADD, 8, 7),
            insn(Class.LDX | Mode.MEM | Size.W, 7, 8, 0),
            alu32x(AluOp.ADD, 6, 7),
            alu32x(AluOp.ADD, 3, 4),
            alu32(AluOp.ADD, 0, 1),
            insn(Class.JMP32 | JmpOp.JLT | Source.X, 0, 2, -9),
            alu64x(AluOp.MOV, 0, 6),
            insn(Opcode.EXIT),
          ];
          const input = Uint8Array.from({ length: INPUT }, (_, k) => (k * 29 + 7) & 255);
          const want = same(prog, input);
          const last = 4 * ((n - 1) * m + j) + 3;
          expect(want.ok).toBe(last < INPUT);
        }
      }
    }
  });

  it('matches when a 32-bit index wraps past 2^32 or below 0 inside the loop', () => {
    // `w7 = w6 + add` indexes from the input's middle: where the 32-bit sum wraps (w6 near 2^32, or
    // below 0) the access is 4 GiB away and fails, while the same sum in 64 bits would lie inside.
    for (const [start, add] of [[-3, 1], [-1, 1], [0, 1], [5, 1], [2, -3], [0, -1], [4, -2]] as const) {
      for (const n of [1, 2, 3, 4, 6, 10]) {
        const prog: Insn[] = [
          alu64(AluOp.MOV, 0, 0),
          alu32(AluOp.MOV, 6, start),
          alu64(AluOp.MOV, 2, n),
          alu64(AluOp.MOV, 9, 0),
          alu32x(AluOp.MOV, 7, 6),
          alu32(AluOp.ADD, 7, add),
          alu64x(AluOp.MOV, 8, 1),
          alu64(AluOp.ADD, 8, 32),
          alu64x(AluOp.ADD, 8, 7),
          insn(Class.LDX | Mode.MEM | Size.B, 7, 8, 0),
          alu64x(AluOp.ADD, 9, 7),
          alu32(AluOp.ADD, 6, add < 0 ? -1 : 1),
          alu64(AluOp.ADD, 0, 1),
          insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, -10),
          alu64x(AluOp.MOV, 0, 9),
          insn(Opcode.EXIT),
        ];
        const input = Uint8Array.from({ length: INPUT }, (_, k) => k + 1);
        same(prog, input);
      }
    }
  });
});
