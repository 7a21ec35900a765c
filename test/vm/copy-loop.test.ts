/**
 * The interpreter's counted copy loops (src/vm/copy-loop.ts): which loops are recognised, and that
 * running all but the last iteration in bulk changes nothing a program or its caller can see. The
 * reference is the tracing engine, which runs every instruction on its own: random copy loops (in
 * bounds, running off either end of the input or of the stack, overlapping either way, with extra
 * instructions that keep or break the idiom, any budget) must give its result, memory and error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Interpreter } from '../../src/vm/interpreter.js';
import { TraceEngine } from '../../src/vm/trace.js';
import { predecode } from '../../src/vm/interpreter-decode.js';
import { COPY_LOOP_OP, copyLoopBackEdge } from '../../src/vm/copy-loop.js';
import { Program } from '../../src/vm/program.js';
import { loadObject } from '../../src/elf/index.js';
import type { Engine, RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { EbpfError } from '../../src/errors.js';
import { AluOp, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { setup } from '../jit/harness.js';
import { copyLoopExtras, foldIntoR0 } from '../jit/copy-loop-extras.js';

const interp = new Interpreter();
const tracer = new TraceEngine(() => {});
const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: 5000, stackSize: 64, maxCallDepth: 2 };
const INPUT = 96;

type Outcome = { ok: true; r0: bigint; mem: string; stack: string } | { ok: false; code: string; pc: number | undefined; message: string };

function outcome(engine: Engine, program: Program, input: Uint8Array, lim: RunLimits = limits): Outcome {
  const s = setup(input, lim);
  const dump = (vaddr: number, size: number): string => {
    const region = s.memory.find(vaddr, size)!;
    return Array.from(s.memory.bytes.subarray(region.offset, region.offset + size)).join(',');
  };
  try {
    const r0 = engine.run({ program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: BigInt(input.length), helpers: new Map(), limits: lim });
    const stackBytes = lim.stackSize * lim.maxCallDepth;
    return { ok: true, r0, mem: dump(s.memVaddr, input.length), stack: dump(s.stackTop - stackBytes, stackBytes) };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { ok: false, code: e.code, pc: e.pc, message: e.message };
  }
}

const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const ldx = (size: number, dst: number, src: number, off = 0): Insn => insn(Class.LDX | Mode.MEM | size, dst, src, off);
const stx = (size: number, dst: number, src: number, off = 0): Insn => insn(Class.STX | Mode.MEM | size, dst, src, off);
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const BYTES: Record<number, number> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };

/** clang's memcpy loop: r0 counts, r1 walks the source, r6 = r1 + r5 is the destination. */
function memcpyLoop(words: number, gap: number, size: number = Size.DW, edit?: (body: Insn[]) => Insn | void): Insn[] {
  const body = [alu64x(AluOp.MOV, 6, 1), alu64x(AluOp.ADD, 6, 5), ldx(size, 7, 1), stx(size, 6, 7), alu64(AluOp.ADD, 1, BYTES[size]!), alu64(AluOp.ADD, 0, 1)];
  const jump = edit?.(body) ?? insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, 0);
  return [
    alu64(AluOp.MOV, 0, 0),
    alu64(AluOp.MOV, 2, words),
    alu64(AluOp.MOV, 5, gap),
    ...body,
    { ...jump, offset: -(body.length + 1) },
    alu64x(AluOp.ADD, 0, 7),
    insn(Opcode.EXIT),
  ];
}

const copyLoopsOf = (insns: Insn[]): number => predecode(new Program(encodeProgram(insns))).copyLoops.length;

describe('copy loop recognition', () => {
  it('finds the loop of the memcpy benchmark (clang -O2) and turns its back edge into the copy-loop operation', () => {
    const obj = loadObject(new Uint8Array(readFileSync(new URL('../../bench/programs/memcpy.o', import.meta.url))));
    const code = predecode(obj.program('bpf_main').program);
    expect(code.copyLoops).toHaveLength(1);
    const plan = code.copyLoops[0]!;
    expect(plan).toMatchObject({ x: 0, y: 2, step: 1, cond: 'jlt', size: 8, length: 7 });
    expect(plan.moves).toEqual([{ reg: 0, by: 1 }, { reg: 1, by: 8 }]);
    expect(code.words[(plan.start + plan.length - 1) * 4]! & 0x1ff).toBe(COPY_LOOP_OP);
  });

  it('finds the clang shape and the two-pointer shape, with `jgt` and with `jne` stepping by one', () => {
    expect(copyLoopsOf(memcpyLoop(4, 32))).toBe(1);
    const twoPointers = (jump: Insn): Insn[] => [ldx(Size.W, 7, 1), stx(Size.W, 9, 7), alu64(AluOp.ADD, 1, 4), alu64(AluOp.ADD, 9, 4), alu64(AluOp.ADD, 0, 1), jump, insn(Opcode.EXIT)];
    expect(copyLoopsOf(twoPointers(insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, -6)))).toBe(1);
    expect(copyLoopsOf(twoPointers(insn(Class.JMP | JmpOp.JGT | Source.X, 2, 0, -6)))).toBe(1);
    expect(copyLoopsOf(twoPointers(insn(Class.JMP | JmpOp.JNE | Source.X, 0, 2, -6)))).toBe(1);
  });

  const jump = (code: number, dst = 0, src = 2): Insn => insn(code | Source.X, dst, src);
  it.each([
    ['the stored value is changed after the load', (b: Insn[]) => void b.splice(3, 0, alu64(AluOp.ADD, 7, 1))],
    ['a second load', (b: Insn[]) => void b.splice(3, 0, ldx(Size.B, 8, 1, 1))],
    ['the bound changes in the loop', (b: Insn[]) => void b.splice(5, 0, alu64(AluOp.ADD, 2, 1))],
    ['a register read before it is written does not move by a constant', (b: Insn[]) => void b.splice(0, 0, alu64(AluOp.MUL, 8, 3))],
    ['the source does not move by the access size', (b: Insn[]) => void (b[4] = alu64(AluOp.ADD, 1, 4))],
    ['a store of a constant', (b: Insn[]) => void (b[3] = insn(Class.ST | Mode.MEM | Size.DW, 6, 0, 0, 1))],
    ['a 32-bit back edge', () => jump(Class.JMP32 | JmpOp.JLT)],
    ['a signed compare', () => jump(Class.JMP | JmpOp.JSLT)],
    ['a compare with an immediate', () => insn(Class.JMP | JmpOp.JLT | Source.K, 0, 0, 0, 4)],
    ['`jne` stepping by two', (b: Insn[]) => {
      b[5] = alu64(AluOp.ADD, 0, 2);
      return jump(Class.JMP | JmpOp.JNE);
    }],
    ['the counter counts down', (b: Insn[]) => void (b[5] = alu64(AluOp.ADD, 0, -1))],
  ])('leaves a loop alone when %s', (_, edit) => {
    expect(copyLoopsOf(memcpyLoop(4, 32, Size.DW, edit))).toBe(0);
  });
  it('still finds it with an instruction that keeps the idiom (a register recomputed every iteration)', () => {
    expect(copyLoopsOf(memcpyLoop(4, 32, Size.DW, (b) => void b.splice(2, 0, alu64x(AluOp.MOV, 8, 3), alu64(AluOp.MUL, 8, 5))))).toBe(1);
  });
});

describe('copy loop back edge', () => {
  const program = new Program(encodeProgram(memcpyLoop(8, 64)));
  const plan = predecode(program).copyLoops[0]!;
  const input = Uint8Array.from({ length: 128 }, (_, k) => k + 1);

  function atSecondIteration(): { r: Int32Array; s: ReturnType<typeof setup> } {
    const s = setup(input, limits);
    const r = new Int32Array(32);
    r[0] = 1; // r0: one iteration done
    r[2] = s.memVaddr + 8; // r1: the next source word
    r[4] = 8; // r2: words
    r[10] = 64; // r5: gap
    plan.pause = 0;
    return { r, s };
  }

  it('copies all but the last iteration left, moves the counter and source past them and charges their budget', () => {
    const { r, s } = atSecondIteration();
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 1000)).toBe(6 * 7);
    expect([r[0], r[2]]).toEqual([7, s.memVaddr + 56]);
    const mem = s.memory.find(s.memVaddr, 128)!;
    const bytes = s.memory.bytes.subarray(mem.offset, mem.offset + 128);
    expect(Array.from(bytes.subarray(72, 120))).toEqual(Array.from(input.subarray(8, 56)));
    expect(Array.from(bytes.subarray(120, 128))).toEqual(Array.from(input.subarray(120, 128)));
  });

  it('does nothing when the budget does not pay for every iteration left, and says when the loop ends', () => {
    const { r, s } = atSecondIteration();
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 7 + 7 * 7 - 1)).toBe(0);
    expect(r[0]).toBe(1);
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 7 + 7 * 7)).toBe(6 * 7);
    r[0] = 8;
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 1000)).toBe(-1);
  });

  it('refuses a forward overlap and a span that leaves the region, then waits before trying again', () => {
    const { r, s } = atSecondIteration();
    r[10] = 8; // destination one word ahead of the source: the loop smears the first word
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 1000)).toBe(0);
    expect(plan.pause).toBeGreaterThan(0);
    r[10] = -8; // behind the source: memmove's result
    r[11] = -1;
    for (let k = plan.pause; k > 0; k--) expect(copyLoopBackEdge(plan, r, s.memory, 7, 1000)).toBe(0);
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 1000)).toBe(6 * 7);
    const far = atSecondIteration();
    far.r[4] = 20; // 20 words from offset 8 run past the 128-byte input
    expect(copyLoopBackEdge(plan, far.r, far.s.memory, 7, 1000)).toBe(0);
  });
  it('refuses a forward overlap in linear memory between two regions backed by the same bytes', () => {
    const { r, s } = atSecondIteration();
    const mem = s.memory.find(s.memVaddr, 128)!;
    // An alias of `mem` one word further on: distinct virtual addresses, overlapping bytes.
    const alias = s.memory.map({ name: 'alias', size: 120, vaddr: 0x2000_0000, offset: mem.offset + 8 });
    r[10] = alias.vaddr - (s.memVaddr + 8) + 8; // r5: the destination is the alias's second word, source word 2 + 1
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 1000)).toBe(0);
    plan.pause = 0;
    r[10] = alias.vaddr - (s.memVaddr + 8); // the same bytes as the source: allowed
    expect(copyLoopBackEdge(plan, r, s.memory, 7, 1000)).toBe(6 * 7);
  });
});

describe('copy loops: interpreter vs the tracing engine', () => {
  const input = Uint8Array.from({ length: INPUT }, (_, k) => (k * 29 + 3) & 255);

  it('matches on the memcpy shape for every length up to past the end of the input', () => {
    for (const size of SIZES) {
      for (let words = 0; words <= 14; words++) {
        for (const gap of [-16, -8, 0, 8, 24, 48]) {
          const program = new Program(encodeProgram(memcpyLoop(words, gap, size)));
          expect(outcome(interp, program, input)).toEqual(outcome(tracer, program, input));
        }
      }
    }
  });

  it('gives identical results, memory and errors on random copy loops, with any budget', () => {
    const extra = copyLoopExtras(8);
    const loops = fc
      .record({
        words: fc.integer({ min: 0, max: 16 }),
        src: fc.integer({ min: -4, max: INPUT }),
        dst: fc.integer({ min: -12, max: INPUT }),
        toStack: fc.boolean(),
        stackOff: fc.integer({ min: -140, max: 4 }),
        size: fc.constantFrom(...SIZES),
        step: fc.constantFrom(1, 1, 2, 3),
        cond: fc.constantFrom('jlt', 'jgt', 'jne'),
        pre: fc.array(extra, { maxLength: 2 }),
        mid: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constant([alu64(AluOp.ADD, 7, 1)]) }, { weight: 1, arbitrary: extra }),
        post: fc.array(extra, { maxLength: 2 }),
        budget: fc.oneof(fc.constant(5000), fc.integer({ min: 1, max: 200 })),
      })
      .map(({ words, src, dst, toStack, stackOff, size, step, cond, pre, mid, post, budget }) => {
        const bytes = BYTES[size]!;
        // Destination: r9 walks the input (or the stack below r10) beside the source r1.
        const body = [...pre.flat(), ldx(size, 7, 1), ...mid, stx(size, 9, 7), ...post.flat(), alu64(AluOp.ADD, 1, bytes), alu64(AluOp.ADD, 9, bytes), alu64(AluOp.ADD, 0, step)];
        const back = -(body.length + 1);
        const jump =
          cond === 'jlt' ? insn(Class.JMP | JmpOp.JLT | Source.X, 0, 2, back) : cond === 'jgt' ? insn(Class.JMP | JmpOp.JGT | Source.X, 2, 0, back) : insn(Class.JMP | JmpOp.JNE | Source.X, 0, 2, back);
        const insns = [
          alu64(AluOp.MOV, 0, 0),
          alu64(AluOp.MOV, 2, words),
          alu64(AluOp.MOV, 4, 5),
          alu64(AluOp.MOV, 8, 7),
          toStack ? alu64x(AluOp.MOV, 9, 10) : alu64x(AluOp.MOV, 9, 1),
          alu64(AluOp.ADD, 9, toStack ? stackOff : dst),
          alu64(AluOp.ADD, 1, src),
          ...body,
          jump,
          // Every register the loop may have left, and the counter.
          ...foldIntoR0([1, 4, 7, 8, 9]),
          insn(Opcode.EXIT),
        ];
        return { insns, budget };
      });
    let recognised = 0;
    fc.assert(
      fc.property(loops, ({ insns, budget }) => {
        const program = new Program(encodeProgram(insns));
        if (predecode(program).copyLoops.length > 0) recognised++;
        const lim = { ...limits, instructionBudget: budget };
        expect(outcome(interp, program, input, lim)).toEqual(outcome(tracer, program, input, lim));
      }),
      { numRuns: 2000 },
    );
    // Most generated loops must be copy loops, or the property says little about the bulk step.
    expect(recognised).toBeGreaterThan(600);
  });
});

describe('copy loop moves', () => {
  it('keeps a register that steps by a large constant exact (or leaves the loop to run one by one)', () => {
    // r8 steps by 8 × (2^31 - 1) per iteration; 2^20 byte iterations move it by about 2^54.
    const step = 8 * (2 ** 31 - 1);
    const prog = memcpyLoop(1 << 20, 1 << 20, Size.B, (b) => void b.splice(2, 0, ...Array.from({ length: 8 }, () => alu64(AluOp.ADD, 8, 0x7fffffff))));
    const plan = predecode(new Program(encodeProgram(prog))).copyLoops[0]!;
    expect(plan.moves).toContainEqual({ reg: 8, by: step });
    const s = setup(new Uint8Array(2 << 20), { ...limits, instructionBudget: 1e9 });
    const r = new Int32Array(32);
    r[0] = 1;
    r[2] = s.memVaddr + 1;
    r[4] = 1 << 20;
    r[10] = 1 << 20;
    r[16] = 0x12345679; // r8, odd: the sum needs all 55 bits
    const charged = copyLoopBackEdge(plan, r, s.memory, 0, 1e9);
    const moved = charged === 0 ? 0n : BigInt(charged / plan.length);
    const want = BigInt.asUintN(64, 0x12345679n + moved * BigInt(step));
    const got = (BigInt(r[17]! >>> 0) << 32n) | BigInt(r[16]! >>> 0);
    expect(got).toBe(want);
  });
});

describe('copy loop addresses', () => {
  it('refuses registers too large for an exact address (3 × r8 - 3 × r9 would round in doubles)', () => {
    // dst = r1 + 3·r8 - 3·r9, recomputed every iteration; r8 and r9 are loop-invariant.
    const prog = memcpyLoop(8, 0, Size.B, (b) => void b.splice(1, 1, ...[0, 1, 2].flatMap(() => [alu64x(AluOp.ADD, 6, 8), alu64x(AluOp.SUB, 6, 9)])));
    const plan = predecode(new Program(encodeProgram(prog))).copyLoops[0];
    expect(plan).toBeDefined();
    const s = setup(new Uint8Array(64), limits);
    const r = new Int32Array(32);
    r[0] = 1; // r0: one iteration done
    r[2] = s.memVaddr + 8; // r1
    r[4] = 8; // r2: bound
    [r[16], r[17]] = [0, 0xfffff]; // r8 = 2^52 - 2^32
    [r[18], r[19]] = [1, 0xfffff]; // r9 = 2^52 - 2^32 + 1
    // Exactly, dst = r1 - 3, in bounds; in doubles 3·r9 needs 54 bits and rounds. Only a refusal is safe.
    expect(copyLoopBackEdge(plan!, r, s.memory, 0, 1000)).toBe(0);
    // Small registers with the same difference are fine.
    [r[17], r[19]] = [0, 0];
    plan!.pause = 0;
    expect(copyLoopBackEdge(plan!, r, s.memory, 0, 1000)).toBeGreaterThan(0);
  });
});
