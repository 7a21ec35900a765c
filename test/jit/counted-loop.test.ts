/**
 * Differential test of the JIT's counted-loop versioning: one-block loops `if x < y goto loop` whose
 * accesses move by a constant per iteration run without checks when the entry guard proves the whole
 * range lies in the cached region. Random loops of that shape (in bounds, running off either end of the
 * input midway, bounds that change in the body or are loaded from memory the loop stores to, huge
 * bounds, budgets that run out mid-loop) must give the interpreter's result and memory, or its error.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JitEngine } from '../../src/jit/engine.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import type { Engine, HelperEntry, RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { AluOp, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, splitWideImm, type Insn } from '../../src/isa/instruction.js';
import { Program, conformanceHelpers, outcome as run, type Outcome } from './harness.js';
import { copyLoopExtras, foldIntoR0 } from './copy-loop-extras.js';

const jit = new JitEngine();
const interp = new Interpreter();
/** The interpreter's JS loop alone (no WebAssembly loop): results and errors must be the same. */
const jsOnly = new Interpreter({ wasmCore: false });

/** Run on the interpreter, and check that the JIT and the interpreter's JS loop alone give the same outcome; returns it. */
function engineOutcomes(program: Program, input: Uint8Array, lim: RunLimits = limits, helpers = new Map<number, HelperEntry>()): Outcome {
  const want = outcome(interp, program, input, lim, helpers);
  expect(outcome(jit, program, input, lim, helpers)).toEqual(want);
  expect(outcome(jsOnly, program, input, lim, helpers)).toEqual(want);
  return want;
}
const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: 2000, stackSize: 64 };
const INPUT = 64;

const outcome = (engine: Engine, program: Program, input: Uint8Array, lim: RunLimits = limits, helpers = new Map<number, HelperEntry>()): Outcome => run(engine, program, input, lim, helpers);

const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const sizes = [Size.B, Size.H, Size.W, Size.DW];

// One instruction of the loop body. r3 is the moving base, r5 an invariant offset, r6 = r3 + r5.
const item = fc.oneof(
  { weight: 2, arbitrary: fc.constant([alu64x(AluOp.MOV, 6, 3), alu64x(AluOp.ADD, 6, 5)]) },
  { weight: 1, arbitrary: fc.constant([alu64x(AluOp.MOV, 6, 5), alu64x(AluOp.SUB, 6, 3)]) },
  {
    weight: 4,
    arbitrary: fc
      .record({ base: fc.constantFrom(3, 6, 1), size: fc.constantFrom(...sizes), off: fc.integer({ min: -10, max: 12 }), dst: fc.constantFrom(7, 8), store: fc.constantFrom('ldx', 'st', 'stx'), imm: fc.integer() })
      .map(({ base, size, off, dst, store, imm }) =>
        store === 'ldx' ? [insn(Class.LDX | Mode.MEM | size, dst, base, off)] : store === 'st' ? [insn(Class.ST | Mode.MEM | size, base, 0, off, imm)] : [insn(Class.STX | Mode.MEM | size, base, dst, off)],
      ),
  },
  // Store over the byte the bound was loaded from (the bound register must not change).
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((v) => [insn(Class.ST | Mode.MEM | Size.B, 1, 0, 0, v)]) },
  // The bound changes inside the body, or is reloaded from memory: not a counted loop any more.
  { weight: 1, arbitrary: fc.constantFrom([alu64(AluOp.ADD, 2, 1)], [insn(Class.LDX | Mode.MEM | Size.B, 2, 1, 0)], [alu64(AluOp.SUB, 2, 1)]) },
  { weight: 2, arbitrary: fc.record({ dst: fc.constantFrom(4, 7, 8), imm: fc.integer({ min: -5, max: 5 }) }).map(({ dst, imm }) => [alu64(AluOp.MUL, dst, imm), alu64(AluOp.ADD, dst, 3)]) },
  // The counter or base moved by something other than a constant.
  { weight: 1, arbitrary: fc.constantFrom([alu64x(AluOp.ADD, 0, 7)], [alu64(AluOp.LSH, 3, 0)], [alu64x(AluOp.ADD, 3, 3)]) },
  // clang's rotate idiom on the data registers (the JIT fuses it into one rotl, in the check-free copies too).
  {
    weight: 1,
    arbitrary: fc.record({ wide: fc.boolean(), b: fc.integer({ min: 1, max: 31 }), into7: fc.boolean() }).map(({ wide, b, into7 }) => {
      const cls = wide ? Class.ALU64 : Class.ALU;
      const w = wide ? 64 : 32;
      return [insn(cls | AluOp.MOV | Source.X, 8, 7), insn(cls | AluOp.RSH | Source.K, 8, 0, 0, w - b), insn(cls | AluOp.LSH | Source.K, 7, 0, 0, b), insn(cls | AluOp.OR | Source.X, into7 ? 7 : 8, into7 ? 8 : 7)];
    }),
  },
);

const bound = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }).map((k) => [alu64(AluOp.MOV, 2, k)]) },
  { weight: 2, arbitrary: fc.constant([insn(Class.LDX | Mode.MEM | Size.B, 2, 1, 0)]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(-1n, 1n << 62n, (1n << 62n) - 1n, 1n << 32n, (1n << 32n) + 3n, 1n << 63n).map((v) => {
      const { lo, hi } = splitWideImm(BigInt.asUintN(64, v));
      return [insn(Opcode.LDDW, 2, 0, 0, lo), insn(0, 0, 0, 0, hi)];
    }),
  },
);

const loopProgram = fc
  .record({
    start: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-3, -1)),
    bound,
    base: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: -16, max: INPUT + 8 }).map((k) => [alu64x(AluOp.MOV, 3, 1), alu64(AluOp.ADD, 3, k)]) },
      { weight: 1, arbitrary: fc.integer({ min: -72, max: 0 }).map((k) => [alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, k)]) },
    ),
    inv: fc.integer({ min: -24, max: INPUT + 8 }),
    prime: fc.boolean(),
    items: fc.array(item, { minLength: 1, maxLength: 5 }),
    stride: fc.oneof(fc.integer({ min: -8, max: 8 }), fc.constantFrom(1, 2, 4, 8)),
    step: fc.oneof(fc.constantFrom(1, 1, 1, 2, 3), fc.constant(0)),
    cond: fc.constantFrom('jlt', 'jlt', 'jne', 'jgt', 'jle', 'jlt32'),
    counterIsBase: fc.boolean(),
  })
  .map(({ start, bound, base, inv, prime, items, stride, step, cond, counterIsBase }) => {
    const out: Insn[] = [alu64(AluOp.MOV, 0, start), ...bound, ...base, alu64(AluOp.MOV, 5, inv), alu64(AluOp.MOV, 7, 0), alu64(AluOp.MOV, 8, 0)];
    // A load in the input first fills the JIT's region cache; without it the first iteration does.
    if (prime) out.push(insn(Class.LDX | Mode.MEM | Size.B, 4, 1, 0));
    // The counter may be the base itself: then the bound is an address (r2 = r1 + bound).
    if (counterIsBase) out.push(alu64x(AluOp.ADD, 2, 1));
    const x = counterIsBase ? 3 : 0;
    const head = out.length;
    for (const it of items) out.push(...it);
    out.push(alu64(AluOp.ADD, 3, stride));
    if (!counterIsBase) out.push(alu64(AluOp.ADD, 0, step));
    const back = (at: number): number => head - (at + 1);
    const at = out.length;
    if (cond === 'jgt') out.push(insn(Class.JMP | JmpOp.JGT | Source.X, 2, x, back(at)));
    else if (cond === 'jlt32') out.push(insn(Class.JMP32 | JmpOp.JLT | Source.X, x, 2, back(at)));
    else out.push(insn(Class.JMP | (cond === 'jne' ? JmpOp.JNE : cond === 'jle' ? JmpOp.JLE : JmpOp.JLT) | Source.X, x, 2, back(at)));
    out.push(alu64x(AluOp.ADD, 0, 7), alu64x(AluOp.XOR, 0, 8), insn(Opcode.EXIT));
    return out;
  });

// Counted loops entered many times: inside an outer loop (the JIT then guards each entry from
// outside and runs either its check-free sibling copy or the checked loop for all iterations), with
// the cache refilled by another region between entries, a bound that moves per entry, an exit that is
// also reached from before the loop, or the loop's block also the outer loop's header (not a self-loop
// only, so not versioned as a sibling).
const siblingProgram = fc
  .record({
    start: fc.integer({ min: 0, max: 3 }),
    bound,
    base: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: -16, max: INPUT + 8 }).map((k) => ({ from: 1, k })) },
      { weight: 1, arbitrary: fc.integer({ min: -72, max: 0 }).map((k) => ({ from: 10, k })) },
    ),
    inv: fc.integer({ min: -24, max: INPUT + 8 }),
    prime: fc.boolean(),
    items: fc.array(item, { minLength: 1, maxLength: 4 }),
    stride: fc.oneof(fc.integer({ min: -8, max: 8 }), fc.constantFrom(1, 2, 4, 8)),
    step: fc.constantFrom(1, 1, 2, 3),
    outer: fc.constantFrom('around', 'around', 'header', 'none'),
    trips: fc.integer({ min: 1, max: 4 }),
    grow: fc.integer({ min: -3, max: 8 }),
    between: fc.constantFrom('none', 'stack', 'input', 'far'),
    skip: fc.boolean(),
    budget: fc.oneof(fc.constant(2000), fc.integer({ min: 1, max: 300 })),
  })
  .map(({ start, bound, base, inv, prime, items, stride, step, outer, trips, grow, between, skip, budget }) => {
    const out: Insn[] = [...bound, alu64(AluOp.MOV, 5, inv), alu64(AluOp.MOV, 7, 0), alu64(AluOp.MOV, 8, 0), alu64(AluOp.MOV, 9, 0)];
    if (prime) out.push(insn(Class.LDX | Mode.MEM | Size.B, 4, 1, 0));
    // A jump from before the loops to their exit makes the exit a merge node.
    const skipAt = out.length;
    if (skip) out.push(insn(Class.JMP | JmpOp.JEQ | Source.K, 2, 0, 0, 7));
    const outerHead = out.length;
    if (between === 'stack') out.push(alu64x(AluOp.MOV, 6, 10), insn(Class.STX | Mode.MEM | Size.B, 6, 8, -1));
    else if (between === 'input') out.push(insn(Class.LDX | Mode.MEM | Size.B, 4, 1, 1));
    // A read outside every region would fail; an address far off in the input's region does too, so
    // only read the input's last byte.
    else if (between === 'far') out.push(insn(Class.LDX | Mode.MEM | Size.B, 4, 1, INPUT - 1));
    out.push(alu64(AluOp.MOV, 0, start), alu64x(AluOp.MOV, 3, base.from), alu64(AluOp.ADD, 3, base.k));
    const head = out.length;
    for (const it of items) out.push(...it);
    out.push(alu64(AluOp.ADD, 3, stride), alu64(AluOp.ADD, 0, step));
    out.push(insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, head - (out.length + 1)));
    if (outer !== 'none') {
      out.push(alu64(AluOp.ADD, 2, grow), alu64(AluOp.ADD, 9, 1));
      const to = outer === 'around' ? outerHead : head;
      out.push(insn(Class.JMP | JmpOp.JLT | Source.K, 9, 0, to - (out.length + 1), trips));
    }
    const exit = out.length;
    if (skip) out[skipAt] = { ...out[skipAt]!, offset: exit - (skipAt + 1) };
    out.push(alu64x(AluOp.ADD, 0, 7), alu64x(AluOp.XOR, 0, 8), alu64x(AluOp.ADD, 0, 9), ...Array.from({ length: 200 }, () => insn(Opcode.JA)), insn(Opcode.EXIT));
    return { insns: out, budget };
  });

// Loops of one to three blocks with data-dependent exits (the JIT runs chunks of iterations check-free).
const exitCodes = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JLT, JmpOp.JSET, JmpOp.JSGT];
const exitJump = fc.record({
  wide: fc.boolean(),
  code: fc.constantFrom(...exitCodes),
  reg: fc.constantFrom(0, 3, 7, 8),
  imm: fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constant(0)),
});
const chunkProgram = fc
  .record({
    base: fc.integer({ min: -16, max: INPUT + 8 }),
    inv: fc.integer({ min: -24, max: INPUT + 8 }),
    prime: fc.boolean(),
    blocks: fc.array(fc.record({ items: fc.array(item, { minLength: 1, maxLength: 3 }), exit: exitJump, exitWhenTaken: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    stride: fc.oneof(fc.integer({ min: -8, max: 8 }), fc.constantFrom(1, 1, 8)),
    back: fc.oneof(fc.constant(undefined), exitJump),
  })
  .map(({ base, inv, prime, blocks, stride, back }) => {
    const out: Insn[] = [alu64(AluOp.MOV, 0, 0), alu64(AluOp.MOV, 2, 0), alu64x(AluOp.MOV, 3, 1), alu64(AluOp.ADD, 3, base), alu64(AluOp.MOV, 5, inv), alu64(AluOp.MOV, 7, 0), alu64(AluOp.MOV, 8, 0)];
    if (prime) out.push(insn(Class.LDX | Mode.MEM | Size.B, 4, 1, 0));
    const head = out.length;
    const exits: number[] = [];
    const jump = (j: { wide: boolean; code: number; reg: number; imm: number }, off: number): Insn => insn((j.wide ? Class.JMP : Class.JMP32) | j.code | Source.K, j.reg, 0, off, j.imm);
    blocks.forEach((b, k) => {
      for (const it of b.items) out.push(...it);
      if (k === blocks.length - 1) out.push(alu64(AluOp.ADD, 3, stride), alu64(AluOp.ADD, 0, 1));
      // Leave when taken (a forward jump, fixed up below), or stay when taken (jump over a `ja exit`).
      if (b.exitWhenTaken) {
        exits.push(out.length);
        out.push(jump(b.exit, 0));
      } else {
        out.push(jump(b.exit, 1));
        exits.push(out.length);
        out.push(insn(Opcode.JA));
      }
    });
    const at = out.length;
    out.push(back === undefined ? insn(Opcode.JA, 0, 0, head - (at + 1)) : jump(back, head - (at + 1)));
    const exit = out.length;
    for (const e of exits) out[e] = { ...out[e]!, offset: exit - (e + 1) };
    // Then a run of one-slot blocks (`ja +0`): the pc where a short budget runs out among them shows
    // exactly what the chunked loop left of it.
    out.push(alu64x(AluOp.ADD, 0, 7), alu64x(AluOp.XOR, 0, 8), ...Array.from({ length: 200 }, () => insn(Opcode.JA)), insn(Opcode.EXIT));
    return out;
  });

// Indexed accesses (`r2 = B; r2 += X; [r2 + off]`), which the JIT checks against a limit kept for B:
// B in the input, on the stack or nowhere, moved or reloaded in the loop; X a shifted 32-bit counter
// or a wild 64-bit value; other accesses refilling the cache with the input or the stack (an indexed
// miss scans the table, which holds the stack too), helper calls emptying it.
const indexedItem = (b: number): fc.Arbitrary<Insn[]> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record({
          sh: fc.integer({ min: 0, max: 3 }),
          wild: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(-1, -4, -8, -4096, 2 ** 31 - 1, -(2 ** 31)) }),
          size: fc.constantFrom(...sizes),
          off: fc.oneof(fc.constant(0), fc.integer({ min: -9, max: 9 })),
          kind: fc.constantFrom('ldx', 'st', 'stx'),
          imm: fc.integer(),
        })
        .map(({ sh, wild, size, off, kind, imm }) => [
          ...(wild === undefined ? [insn(Class.ALU | AluOp.MOV | Source.X, 5, 4), alu64(AluOp.LSH, 5, sh)] : [alu64(AluOp.MOV, 5, wild)]),
          alu64x(AluOp.MOV, 2, b),
          alu64x(AluOp.ADD, 2, 5),
          kind === 'ldx' ? insn(Class.LDX | Mode.MEM | size, 8, 2, off) : kind === 'st' ? insn(Class.ST | Mode.MEM | size, 2, 0, off, imm) : insn(Class.STX | Mode.MEM | size, 2, 8, off),
        ]),
    },
    { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }).map((k) => [alu64(AluOp.ADD, b, k)]) },
    { weight: 1, arbitrary: fc.integer({ min: -2, max: INPUT }).map((k) => [insn(Class.LDX | Mode.MEM | Size.B, 7, 9, k)]) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }).map((k) => [alu64x(AluOp.MOV, 7, 10), insn(Class.STX | Mode.MEM | Size.B, 7, 8, -k)]) },
    { weight: 1, arbitrary: fc.constant<Insn[]>([alu64(AluOp.MOV, 1, 1), insn(Opcode.CALL, 0, 0, 0, 5)]) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: INPUT - 4 }).map((k) => [insn(Class.LDX | Mode.MEM | Size.W, b, 9, k)]) },
  );
const indexedProgram = fc
  .record({
    b: fc.constantFrom(3, 6),
    base: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: -16, max: INPUT + 8 }).map((k) => ({ from: 1, k })) },
      { weight: 1, arbitrary: fc.integer({ min: -72, max: 0 }).map((k) => ({ from: 10, k })) },
    ),
    prime: fc.boolean(),
    items: fc.array(fc.constant(0), { minLength: 1, maxLength: 6 }),
    trips: fc.integer({ min: 0, max: 20 }),
  })
  .chain(({ b, base, prime, items, trips }) =>
    fc.tuple(...items.map(() => indexedItem(b))).map((body) => {
      const out: Insn[] = [alu64x(AluOp.MOV, 9, 1), alu64x(AluOp.MOV, b, base.from), alu64(AluOp.ADD, b, base.k), alu64(AluOp.MOV, 4, 0), alu64(AluOp.MOV, 8, 0)];
      if (prime) out.push(insn(Class.LDX | Mode.MEM | Size.B, 7, 9, 0));
      const head = out.length;
      for (const it of body) out.push(...it);
      out.push(alu64(AluOp.ADD, 4, 1));
      out.push(insn(Class.JMP32 | JmpOp.JLT | Source.K, 4, 0, head - (out.length + 1), trips));
      out.push(alu64x(AluOp.MOV, 0, 8), alu64x(AluOp.XOR, 0, 4), ...Array.from({ length: 200 }, () => insn(Opcode.JA)), insn(Opcode.EXIT));
      return out;
    }),
  );

describe('JIT indexed accesses vs interpreter', () => {
  it('gives identical results, memory and errors, with any budget', () => {
    fc.assert(
      fc.property(indexedProgram, fc.uint8Array({ minLength: INPUT, maxLength: INPUT }), fc.oneof(fc.constant(5000), fc.integer({ min: 1, max: 400 })), (insns, input, budget) => {
        const program = new Program(encodeProgram(insns));
        const lim = { ...limits, instructionBudget: budget };
        engineOutcomes(program, input, lim, conformanceHelpers);
      }),
      { numRuns: 2000 },
    );
    // Each program compiles two copies of its function (the checked one too): slow on a loaded machine.
  }, 180_000);
});

describe('JIT counted-loop versioning vs interpreter', () => {
  it('gives identical results, memory and errors on loops with data-dependent exits, with any budget', () => {
    fc.assert(
      fc.property(chunkProgram, fc.uint8Array({ minLength: INPUT, maxLength: INPUT }), fc.oneof(fc.constant(2000), fc.integer({ min: 1, max: 400 })), (insns, input, budget) => {
        const program = new Program(encodeProgram(insns));
        const lim = { ...limits, instructionBudget: budget };
        engineOutcomes(program, input, lim);
      }),
      { numRuns: 1500 },
    );
    // 1,500 programs compiled by both engines: 20-40 s alone, over a minute on a loaded host.
  }, 180_000);

  it('matches on a strcmp loop over strings that run to or past the end of the input', () => {
    // clang's strcmp loop (bench/programs/strcmp.c): two blocks, byte loads through r2 and r3.
    const prog: Insn[] = [
      alu64x(AluOp.MOV, 2, 1),
      alu64(AluOp.ADD, 2, 0),
      alu64x(AluOp.MOV, 3, 1),
      alu64(AluOp.ADD, 3, INPUT / 2),
      insn(Class.LDX | Mode.MEM | Size.B, 4, 3, 0),
      alu64(AluOp.ADD, 3, 1),
      // loop:
      insn(Class.LDX | Mode.MEM | Size.B, 1, 2, 0),
      alu64x(AluOp.MOV, 5, 4),
      insn(Class.ALU | AluOp.MOV | Source.X, 0, 4),
      insn(Class.JMP32 | JmpOp.JNE | Source.X, 5, 1, 5),
      alu64(AluOp.ADD, 2, 1),
      insn(Class.LDX | Mode.MEM | Size.B, 4, 3, 0),
      alu64(AluOp.ADD, 3, 1),
      insn(Class.ALU | AluOp.MOV | Source.K, 0, 0, 0, 0),
      insn(Class.JMP32 | JmpOp.JNE | Source.K, 4, 0, -9),
      // out:
      alu64(AluOp.AND, 0, 255),
      insn(Class.LDX | Mode.MEM | Size.B, 1, 2, 0),
      alu64x(AluOp.SUB, 0, 1),
      insn(Opcode.EXIT),
    ];
    const program = new Program(encodeProgram(prog));
    for (const [len, diff] of [[5, 3], [31, -1], [32, -1], [31, 31], [0, -1]] as const) {
      const input = new Uint8Array(INPUT);
      for (let k = 0; k < INPUT / 2; k++) input[k] = input[INPUT / 2 + k] = k < len ? 65 + (k % 26) : 0;
      if (len === 32) input.fill(66);
      if (diff >= 0) input[diff] = 1;
      engineOutcomes(program, input);
    }
  });

  it('gives identical results, memory and errors on random counted loops', () => {
    fc.assert(
      fc.property(loopProgram, fc.uint8Array({ minLength: INPUT, maxLength: INPUT }), (insns, input) => {
        const program = new Program(encodeProgram(insns));
        engineOutcomes(program, input);
      }),
      { numRuns: 1500 },
    );
  });

  it('gives identical results, memory and errors on counted loops entered again and again, with any budget', () => {
    fc.assert(
      fc.property(siblingProgram, fc.uint8Array({ minLength: INPUT, maxLength: INPUT }), ({ insns, budget }, input) => {
        const program = new Program(encodeProgram(insns));
        const lim = { ...limits, instructionBudget: budget };
        engineOutcomes(program, input, lim);
      }),
      { numRuns: 2000 },
    );
    // Each program compiles two copies of its function (the checked one too): slow on a loaded machine.
  }, 180_000);

  it('runs out of budget at the same pc in a counted loop after blocks that charge without checking', () => {
    // A loop of four blocks checks the budget once at its header, and the block after it only adds its
    // charge to a sum subtracted at the next check: the counted loop's entry guard must see it.
    const prog: Insn[] = [
      alu64(AluOp.MOV, 0, 0),
      alu64(AluOp.MOV, 4, 0),
      // chain: four blocks, 10 iterations
      alu64(AluOp.ADD, 4, 1),
      insn(Opcode.JA),
      alu64(AluOp.XOR, 0, 3),
      insn(Opcode.JA),
      alu64(AluOp.MUL, 0, 5),
      insn(Opcode.JA),
      insn(Class.JMP | JmpOp.JLT | Source.K, 4, 0, -7, 10),
      // after it: one block (its load fills the region cache), then the counted loop (one load per iteration)
      insn(Class.LDX | Mode.MEM | Size.B, 2, 1, 0),
      alu64(AluOp.MOV, 2, INPUT / 8),
      alu64(AluOp.MOV, 3, 0),
      alu64(AluOp.MOV, 6, 0),
      insn(Opcode.JA),
      insn(Class.LDX | Mode.MEM | Size.DW, 7, 1, 0),
      alu64x(AluOp.ADD, 6, 7),
      alu64(AluOp.ADD, 1, 8),
      alu64(AluOp.ADD, 3, 1),
      insn(Class.JMP | JmpOp.JLT | Source.X, 3, 2, -5),
      alu64x(AluOp.ADD, 0, 6),
      ...Array.from({ length: 50 }, () => insn(Opcode.JA)),
      insn(Opcode.EXIT),
    ];
    const program = new Program(encodeProgram(prog));
    const input = Uint8Array.from({ length: INPUT }, (_, k) => (k * 37) & 255);
    expect(outcome(interp, program, input).ok).toBe(true);
    for (let budget = 1; budget <= 2 + 10 * 7 + 5 + 5 * (INPUT / 8) + 52; budget++) {
      const lim = { ...limits, instructionBudget: budget };
      engineOutcomes(program, input, lim);
    }
  });

  it('matches on copy loops that end just inside or just past the input', () => {
    // Copy loops whose last iteration lands near an end of the input: an over- or under-estimated
    // trip count in the guard shows up here.
    const copy = fc
      .record({ words: fc.integer({ min: 0, max: 12 }), src: fc.integer({ min: -4, max: INPUT }), dst: fc.integer({ min: -8, max: INPUT }), size: fc.constantFrom(...sizes), down: fc.boolean(), step: fc.constantFrom(1, 2) })
      .map(({ words, src, dst, size, down, step }) => {
        const bytes = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 }[size]!;
        return [
          alu64(AluOp.MOV, 0, 0),
          alu64(AluOp.MOV, 2, words),
          alu64(AluOp.MOV, 5, dst - src),
          alu64(AluOp.ADD, 1, src),
          alu64x(AluOp.MOV, 6, 1),
          alu64x(AluOp.ADD, 6, 5),
          insn(Class.LDX | Mode.MEM | size, 7, 1, 0),
          insn(Class.STX | Mode.MEM | size, 6, 7, 0),
          alu64(AluOp.ADD, 1, down ? -bytes : bytes),
          alu64(AluOp.ADD, 0, step),
          insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, -7),
          insn(Opcode.EXIT),
        ];
      });
    const input = Uint8Array.from({ length: INPUT }, (_, k) => k + 1);
    fc.assert(
      fc.property(copy, (insns) => {
        const program = new Program(encodeProgram(insns));
        engineOutcomes(program, input);
      }),
      { numRuns: 800 },
    );
  });

  it('runs out of budget at the same pc whether or not the budget covers the whole counted loop', () => {
    // Accesses with stride 0 stay in bounds for any trip count; only the budget can stop the loop.
    const prog = (bound: number): Insn[] => [
      alu64(AluOp.MOV, 0, 0),
      alu64(AluOp.MOV, 2, bound),
      insn(Class.LDX | Mode.MEM | Size.DW, 7, 1, 0),
      alu64(AluOp.ADD, 7, 1),
      insn(Class.STX | Mode.MEM | Size.DW, 1, 7, 0),
      alu64(AluOp.ADD, 0, 1),
      insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, -5),
      insn(Opcode.EXIT),
    ];
    const input = new Uint8Array(INPUT);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 1, max: 3000 }), (bound, budget) => {
        const program = new Program(encodeProgram(prog(bound)));
        const lim = { ...limits, instructionBudget: budget };
        engineOutcomes(program, input, lim);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a chunked loop where a 32-bit jset (a non-boolean condition) stays in it', () => {
    // Found by the property above: the cycle seen from its `jset` block, whose fall-through is the exit.
    const prog: Insn[] = [
      alu64(AluOp.MOV, 0, 0),
      alu64x(AluOp.MOV, 3, 1),
      insn(Class.LDX | Mode.MEM | Size.B, 7, 3, 9),
      insn(Class.JMP32 | JmpOp.JLT | Source.K, 0, 0, 5, 0),
      insn(Class.ST | Mode.MEM | Size.B, 1, 0, 0, 0),
      alu64(AluOp.ADD, 3, 8),
      alu64(AluOp.ADD, 0, 1),
      insn(Class.JMP32 | JmpOp.JEQ | Source.K, 0, 0, 1, 0),
      insn(Class.JMP32 | JmpOp.JSET | Source.K, 0, 0, -7, 39),
      alu64x(AluOp.MOV, 0, 3),
      insn(Opcode.EXIT),
    ];
    const program = new Program(encodeProgram(prog));
    expect(engineOutcomes(program, new Uint8Array(INPUT)).ok).toBe(false);
  });

  it('runs out of budget at the same pc in a loop run in chunks', () => {
    // Two blocks with a data-dependent exit that is never taken; accesses with stride 0 stay in bounds.
    const prog = (bound: number): Insn[] => [
      alu64(AluOp.MOV, 0, 0),
      insn(Class.LDX | Mode.MEM | Size.B, 7, 1, 0),
      insn(Class.JMP | JmpOp.JEQ | Source.K, 7, 0, 4, 255),
      insn(Class.LDX | Mode.MEM | Size.W, 8, 1, 8),
      insn(Class.STX | Mode.MEM | Size.W, 1, 0, 16),
      alu64(AluOp.ADD, 0, 1),
      insn(Class.JMP | JmpOp.JNE | Source.K, 0, 0, -6, bound),
      insn(Opcode.EXIT),
    ];
    const input = new Uint8Array(INPUT);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 3000 }), (bound, budget) => {
        const program = new Program(encodeProgram(prog(bound)));
        const lim = { ...limits, instructionBudget: budget };
        engineOutcomes(program, input, lim);
      }),
      { numRuns: 300 },
    );
  });

  it('runs out of budget at the same pc in a hash loop with a fused rotate', () => {
    // hash64's loop shape (bench/programs/hash64.c): a load, a multiply and `h = rotl(h, 27)` per word.
    const prog: Insn[] = [
      alu64(AluOp.MOV, 0, 0),
      alu64(AluOp.MOV, 3, 7),
      alu64(AluOp.MOV, 2, INPUT / 8),
      insn(Class.LDX | Mode.MEM | Size.DW, 4, 1, 0),
      alu64(AluOp.MUL, 4, 0x1234567),
      alu64x(AluOp.XOR, 3, 4),
      alu64x(AluOp.MOV, 7, 3),
      alu64(AluOp.RSH, 7, 37),
      alu64(AluOp.LSH, 3, 27),
      alu64x(AluOp.OR, 3, 7),
      alu64(AluOp.ADD, 1, 8),
      alu64(AluOp.ADD, 0, 1),
      insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, -10),
      alu64x(AluOp.MOV, 0, 3),
      insn(Opcode.EXIT),
    ];
    const program = new Program(encodeProgram(prog));
    const input = Uint8Array.from({ length: INPUT }, (_, k) => (k * 37) & 255);
    expect(engineOutcomes(program, input).ok).toBe(true);
    // Every budget from none to enough, so that each block of every iteration is where one runs out.
    for (let budget = 1; budget <= 3 + 10 * (INPUT / 8) + 3; budget++) {
      const lim = { ...limits, instructionBudget: budget };
      engineOutcomes(program, input, lim);
    }
    // Running off the end of the input midway: the same fault.
    const short = new Program(encodeProgram(prog.map((i, pc) => (pc === 2 ? alu64(AluOp.MOV, 2, INPUT / 8 + 2) : i))));
    expect(engineOutcomes(short, input).ok).toBe(false);
  });

  it('matches on copy loops run as one memory.copy, with extra registers, overlaps and every budget', () => {
    // A counted loop whose only accesses are a load and a store of the loaded value moving by their
    // size: the JIT copies all but the last iteration with memory.copy when that is what the forward
    // loop does. Extra instructions make it not one (a register read before it is written that does
    // not move by a constant, the loaded value changed before the store, a second load) or keep it one
    // (a register recomputed every iteration, another induction register).
    const extra = copyLoopExtras(9);
    const copy = fc
      .record({
        words: fc.integer({ min: 0, max: 12 }),
        src: fc.integer({ min: -4, max: INPUT }),
        dst: fc.integer({ min: -8, max: INPUT }),
        size: fc.constantFrom(...sizes),
        step: fc.constantFrom(1, 1, 2),
        pre: fc.array(extra, { maxLength: 2 }),
        mid: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constant([alu64(AluOp.ADD, 7, 1)]) }, { weight: 1, arbitrary: extra }),
        post: fc.array(extra, { maxLength: 2 }),
        budget: fc.oneof(fc.constant(2000), fc.integer({ min: 1, max: 200 })),
      })
      .map(({ words, src, dst, size, step, pre, mid, post, budget }) => {
        const bytes = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 }[size]!;
        const body = [
          ...pre.flat(),
          alu64x(AluOp.MOV, 6, 1),
          alu64x(AluOp.ADD, 6, 5),
          insn(Class.LDX | Mode.MEM | size, 7, 1, 0),
          ...mid,
          insn(Class.STX | Mode.MEM | size, 6, 7, 0),
          ...post.flat(),
          alu64(AluOp.ADD, 1, bytes),
          alu64(AluOp.ADD, 0, step),
        ];
        const insns = [
          alu64(AluOp.MOV, 0, 0),
          alu64(AluOp.MOV, 2, words),
          alu64(AluOp.MOV, 5, dst - src),
          alu64(AluOp.MOV, 8, 7),
          alu64(AluOp.ADD, 1, src),
          ...body,
          insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, -(body.length + 1)),
          // Every register the loop may have left: r1, r6, r7, r8, r9 and the counter.
          ...foldIntoR0([1, 6, 7, 8, 9]),
          insn(Opcode.EXIT),
        ];
        return { insns, budget };
      });
    const input = Uint8Array.from({ length: INPUT }, (_, k) => (k * 29 + 3) & 255);
    fc.assert(
      fc.property(copy, ({ insns, budget }) => {
        const program = new Program(encodeProgram(insns));
        const lim = { ...limits, instructionBudget: budget };
        engineOutcomes(program, input, lim);
      }),
      { numRuns: 1500 },
    );
  });

  it('copies a buffer with the memcpy loop shape and stops at the same fault as the interpreter', () => {
    // r0 counts words, r1 walks the source, r6 = r1 + r5 the destination (clang's memcpy loop).
    const prog = (words: number): Insn[] => [
      alu64(AluOp.MOV, 0, 0),
      alu64(AluOp.MOV, 2, words),
      alu64(AluOp.MOV, 5, 32),
      alu64x(AluOp.MOV, 6, 1),
      alu64x(AluOp.ADD, 6, 5),
      insn(Class.LDX | Mode.MEM | Size.DW, 7, 1, 0),
      insn(Class.STX | Mode.MEM | Size.DW, 6, 7, 0),
      alu64(AluOp.ADD, 1, 8),
      alu64(AluOp.ADD, 0, 1),
      insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, -7),
      insn(Opcode.EXIT),
    ];
    const input = Uint8Array.from({ length: INPUT }, (_, k) => k + 1);
    for (const words of [1, 3, 4, 5, 9]) {
      const program = new Program(encodeProgram(prog(words)));
      const want = engineOutcomes(program, input);
      // 4 words fit (32 bytes copied to offset 32); the 5th store runs off the input.
      expect(want.ok).toBe(words <= 4);
    }
  });
});

describe('JIT loops at the last bytes of a region vs interpreter', () => {
  // Loops whose accesses run up to the input's last byte, stop just short of it, or run 1-7 bytes past
  // it: the guards check each access against the window of its own size (a 1-byte load may start at
  // the last byte), so an off-by-one there makes the check-free copy read past the region (a wrong
  // result or no fault) or fault where the interpreter does not. Every budget up to the whole run, so
  // that a fault comes at the same pc after the same number of instructions.
  const input = Uint8Array.from({ length: INPUT }, (_, k) => (k * 37 + 11) & 0xff);
  const shapes = (size: number, sz: number, past: number): Record<string, Insn[]> => ({
    // for (p = mem; p < mem + len + past - size + 1; p++) r0 += *p   (one block: a counted loop; the
    // last access ends `past` bytes after the region)
    counted: [
      alu64(AluOp.MOV, 0, 0),
      alu64x(AluOp.MOV, 3, 1),
      alu64x(AluOp.MOV, 4, 1),
      alu64x(AluOp.ADD, 4, 2),
      alu64(AluOp.ADD, 4, past - size + 1),
      insn(Class.LDX | Mode.MEM | sz, 5, 3, 0),
      alu64x(AluOp.ADD, 0, 5),
      alu64(AluOp.ADD, 3, 1),
      insn(Class.JMP | JmpOp.JLT | Source.X, 3, 4, -4),
      insn(Opcode.EXIT),
    ],
    // the same with a data-dependent exit (a value of 0xff stops it): a chunked loop
    chunked: [
      alu64(AluOp.MOV, 0, 0),
      alu64x(AluOp.MOV, 3, 1),
      alu64x(AluOp.MOV, 4, 1),
      alu64x(AluOp.ADD, 4, 2),
      alu64(AluOp.ADD, 4, past - size + 1),
      insn(Class.LDX | Mode.MEM | sz, 5, 3, 0),
      insn(Class.JMP | JmpOp.JEQ | Source.K, 5, 0, 4, 0xff),
      alu64x(AluOp.ADD, 0, 5),
      insn(Class.LDX | Mode.MEM | sz, 6, 3, 0),
      alu64(AluOp.ADD, 3, 1),
      insn(Class.JMP | JmpOp.JLT | Source.X, 3, 4, -6),
      insn(Opcode.EXIT),
    ],
    // two loads through one register, `size` and 1 byte apart (an access group), at the region's end
    // (the first load fills the JIT's region cache, which the group's check uses)
    group: [
      insn(Class.LDX | Mode.MEM | Size.B, 6, 1, 0),
      alu64x(AluOp.MOV, 3, 1),
      alu64x(AluOp.ADD, 3, 2),
      alu64(AluOp.ADD, 3, past - size - 1),
      insn(Class.LDX | Mode.MEM | sz, 0, 3, 0),
      insn(Class.LDX | Mode.MEM | sz, 5, 3, 1),
      alu64x(AluOp.ADD, 0, 5),
      insn(Opcode.EXIT),
    ],
  });
  it('gives identical results and errors, at every budget, for every access size and overrun', () => {
    const bytesOf = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 } as Record<number, number>;
    let faults = 0;
    let passes = 0;
    for (const sz of sizes) {
      for (const past of [-1, 0, 1, 2, 7]) {
        for (const [name, insns] of Object.entries(shapes(bytesOf[sz]!, sz, past))) {
          const program = new Program(encodeProgram(insns));
          const full = engineOutcomes(program, input, { ...limits, instructionBudget: 10_000 });
          if (full.ok) passes++;
          else {
            faults++;
            expect(full.code, `${name} size ${bytesOf[sz]} past ${past}`).toBe('E_OUT_OF_BOUNDS');
          }
          expect(full.ok, `${name} size ${bytesOf[sz]} past ${past}`).toBe(past <= 0);
          for (let budget = 1; budget <= 340; budget += budget < 40 ? 1 : 7) engineOutcomes(program, input, { ...limits, instructionBudget: budget });
        }
      }
    }
    expect(faults).toBeGreaterThan(0);
    expect(passes).toBeGreaterThan(0);
  });
});
