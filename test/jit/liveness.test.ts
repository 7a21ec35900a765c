/**
 * Register liveness (src/jit/liveness.ts) and its use at the JIT's exits to the checked copy: a
 * register dead where the checked copy resumes is passed to it as 0. The unit tests pin the model
 * (what each kind of slot reads and writes, `exit` handing back r0-r5, calls reading everything); the
 * differential property runs loops whose accesses miss the region cache (so the fast copy leaves for
 * the checked copy mid-loop and at headers), with registers that are dead at the exit on some paths
 * and read after the loop on others, in the entry function or in a local function whose r1-r5 the
 * caller reads after the call. A register wrongly taken for dead reaches the result as 0.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JitEngine } from '../../src/jit/engine.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { liveRegisters } from '../../src/jit/liveness.js';
import { decodeOperation } from '../../src/isa/operation.js';
import type { RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { AluOp, CallKind, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { Program, outcome, type Outcome } from './harness.js';

const jit = new JitEngine();
const interp = new Interpreter();
const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: 4000, stackSize: 64 };
const INPUT = 40;

const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const ldxb = (dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | Size.B, dst, src, off);
const exit = insn(Opcode.EXIT);

/** The registers live on entry to each slot of `insns`, as sorted lists. */
function live(insns: readonly Insn[]): number[][] {
  const bits = liveRegisters(insns, insns.map(decodeOperation), new Uint8Array(insns.length + 1));
  return Array.from(bits, (m) => Array.from({ length: 11 }, (_, r) => r).filter((r) => (m & (1 << r)) !== 0));
}

describe('liveRegisters', () => {
  it('follows reads and writes through straight code and a loop', () => {
    const prog = [
      alu64(AluOp.MOV, 2, 0), // 0: r2 = 0 (r2 dead before)
      ldxb(3, 1, 0), // 1: r3 = [r1]
      alu64x(AluOp.ADD, 2, 3), // 2: loop: r2 += r3
      alu64(AluOp.ADD, 3, -1), // 3
      insn(Class.JMP | JmpOp.JNE | Source.K, 3, 0, -3, 0), // 4: if r3 != 0 goto 2
      alu64x(AluOp.MOV, 0, 2), // 5: r0 = r2 (r0 dead before)
      exit, // 6
    ];
    const l = live(prog);
    expect(l[0]).toEqual([1, 4, 5, 10]);
    expect(l[2]).toEqual([1, 2, 3, 4, 5, 10]);
    expect(l[5]).toEqual([1, 2, 3, 4, 5, 10]);
    expect(l[6]).toEqual([0, 1, 2, 3, 4, 5, 10]);
  });

  it('keeps every register live at calls, atomics and packet loads, and r0-r5 at exit', () => {
    for (const at of [
      insn(Opcode.CALL, 0, CallKind.HELPER, 0, 1),
      insn(Class.STX | Mode.ATOMIC | Size.DW, 1, 2, 0, 0),
      insn(Class.LD | Mode.ABS | Size.B, 0, 0, 0, 0),
    ]) {
      const l = live([alu64(AluOp.MOV, 7, 1), at, alu64(AluOp.MOV, 0, 0), exit]);
      expect(l[1]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(l[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9, 10]);
    }
    expect(live([alu64(AluOp.MOV, 0, 0), exit])[0]).toEqual([1, 2, 3, 4, 5, 10]);
  });

  it('keeps every register live where a slot cannot run or a jump leaves the program', () => {
    expect(live([insn(Opcode.JA, 0, 0, 5), exit])[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const bits = liveRegisters([alu64(AluOp.MOV, 6, 0), exit], [alu64(AluOp.MOV, 6, 0), exit].map(decodeOperation), Uint8Array.from([0, 1, 0]));
    // Every register, r11-r14 (inlined callees' r6-r9, jit/inline.ts) too.
    expect(bits[1]).toBe(0x7fff);
  });
});

// The loop (registers: r1 the input, r3 a pointer moving through it, r5 the counter, r6 a copy of
// r10): its items read and write r0, r2, r4, r7, r8, r9 (so that many are dead at some exits) and
// access the input or the stack through r3 / r6, so that the region cache misses mid-loop.
const scratch = fc.constantFrom(0, 2, 4, 7, 8, 9);
const item = fc.oneof(
  { weight: 3, arbitrary: fc.record({ dst: scratch, off: fc.integer({ min: -2, max: 6 }) }).map(({ dst, off }) => [ldxb(dst, 3, off)]) },
  { weight: 1, arbitrary: fc.record({ dst: scratch, off: fc.integer({ min: 1, max: 16 }) }).map(({ dst, off }) => [ldxb(dst, 6, -off)]) },
  { weight: 1, arbitrary: fc.record({ src: scratch, off: fc.integer({ min: 1, max: 16 }) }).map(({ src, off }) => [insn(Class.STX | Mode.MEM | Size.B, 6, src, -off)]) },
  { weight: 3, arbitrary: fc.record({ dst: scratch, src: scratch, op: fc.constantFrom(AluOp.ADD, AluOp.XOR, AluOp.MOV, AluOp.SUB) }).map(({ dst, src, op }) => [alu64x(op, dst, src)]) },
  { weight: 2, arbitrary: fc.record({ dst: scratch, imm: fc.integer({ min: -5, max: 300 }) }).map(({ dst, imm }) => [alu64(AluOp.MOV, dst, imm)]) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: 5 }).map((k) => [alu64(AluOp.ADD, 3, k)]) },
  // An indexed access `r2 = r1; r2 += r4; [r2 + off]` (the JIT's lowering reads r1 and r4 there).
  {
    weight: 4,
    arbitrary: fc.record({ dst: scratch, off: fc.integer({ min: -1, max: 40 }), mask: fc.constantFrom(7, 63) }).map(({ dst, off, mask }) => [
      alu64x(AluOp.MOV, 4, 5),
      alu64(AluOp.AND, 4, mask),
      alu64x(AluOp.MOV, 2, 1),
      alu64x(AluOp.ADD, 2, 4),
      ldxb(dst, 2, off),
    ]),
  },
  // A data-dependent branch over one instruction: a register written on one path only.
  { weight: 2, arbitrary: fc.record({ reg: scratch, dst: scratch, bit: fc.integer({ min: 0, max: 7 }) }).map(({ reg, dst, bit }) => [insn(Class.JMP | JmpOp.JSET | Source.K, reg, 0, 1, 1 << bit), alu64(AluOp.MOV, dst, 7)]) },
);

/** One generated program's shape (see {@link program}). */
interface Body {
  start: number;
  stackFirst: boolean;
  blocks: Insn[][][];
  trips: number;
  after: { dst: number; imm: number }[];
  read: number[];
  local: boolean;
}

const body: fc.Arbitrary<Body> = fc.record({
  start: fc.integer({ min: -4, max: INPUT }),
  /** Touch the stack first, so that the loop's first input access misses the cache. */
  stackFirst: fc.boolean(),
  blocks: fc.array(fc.array(item, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  trips: fc.integer({ min: 1, max: 10 }),
  /** After the loop: writes to some scratch registers, then the ones read (folded into r0). */
  after: fc.array(fc.record({ dst: scratch, imm: fc.integer({ min: 0, max: 9 }) }), { maxLength: 3 }),
  read: fc.subarray([0, 2, 4, 7, 8, 9]),
  local: fc.boolean(),
});

/** A loop over the input (in the entry function, or in a local function the entry calls). */
function program(b: Body): Insn[] {
  const fn: Insn[] = [alu64x(AluOp.MOV, 6, 10), alu64(AluOp.MOV, 0, 1), alu64(AluOp.MOV, 2, 2), alu64(AluOp.MOV, 4, 3), alu64(AluOp.MOV, 7, 4), alu64(AluOp.MOV, 8, 5), alu64(AluOp.MOV, 9, 6)];
  if (b.stackFirst) fn.push(insn(Class.STX | Mode.MEM | Size.B, 6, 9, -1), ldxb(9, 6, -1));
  fn.push(alu64x(AluOp.MOV, 3, 1), alu64(AluOp.ADD, 3, b.start), alu64(AluOp.MOV, 5, 0));
  const head = fn.length;
  for (const block of b.blocks) {
    for (const it of block) fn.push(...it);
    // Split blocks: a branch that never goes anywhere else.
    fn.push(insn(Class.JMP | JmpOp.JEQ | Source.K, 5, 0, 0, 0));
  }
  fn.push(alu64(AluOp.ADD, 5, 1), insn(Class.JMP | JmpOp.JLT | Source.K, 5, 0, head - (fn.length + 2), b.trips));
  for (const a of b.after) fn.push(alu64(AluOp.MOV, a.dst, a.imm));
  const fold = (out: Insn[], regs: readonly number[]): void => {
    out.push(alu64(AluOp.MOV, 6, 0));
    for (const r of regs) out.push(alu64(AluOp.MUL, 6, 31), alu64x(AluOp.ADD, 6, r));
    out.push(alu64x(AluOp.MOV, 0, 6));
  };
  if (!b.local) {
    fold(fn, b.read);
    return [...fn, exit];
  }
  // The callee hands back r0-r5: copy the scratch registers read into r0-r5 (r0, r2, r4 stay), then
  // the caller folds r0-r5.
  const moves: Insn[] = [];
  for (const [k, r] of b.read.filter((r) => r > 5).entries()) moves.push(alu64x(AluOp.MOV, [1, 3, 5][k]!, r));
  const callee = [...fn, ...moves, exit];
  const caller: Insn[] = [insn(Opcode.CALL, 0, CallKind.LOCAL, 0, 1)];
  fold(caller, [0, 1, 2, 3, 4, 5]);
  caller.push(exit);
  // The callee starts right after the caller's code.
  caller[0] = insn(Opcode.CALL, 0, CallKind.LOCAL, 0, caller.length - 1);
  return [...caller, ...callee];
}

function same(insns: readonly Insn[], input: Uint8Array, lim: RunLimits): Outcome {
  const want = outcome(interp, new Program(encodeProgram(insns)), input, lim);
  expect(outcome(jit, new Program(encodeProgram(insns)), input, lim)).toEqual(want);
  return want;
}

describe('JIT exits to the checked copy pass dead registers as 0', () => {
  it('gives the interpreter result, memory and error on loops that leave mid-iteration, with any budget', () => {
    fc.assert(
      fc.property(body, fc.uint8Array({ minLength: INPUT, maxLength: INPUT }), fc.oneof(fc.constant(4000), fc.integer({ min: 1, max: 300 })), (b, input, budget) => {
        same(program(b), input, { ...limits, instructionBudget: budget });
      }),
      { numRuns: 1500 },
    );
  });
});
