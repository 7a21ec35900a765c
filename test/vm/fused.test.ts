/**
 * Superinstructions (FUSED): every run of two or three instructions gives the same result, memory and
 * error (code and pc) as the same instructions run separately — the unfused run is the same program
 * with every later slot of the run made a jump target, which forbids any fusion there — on random
 * registers, some of them pointing into `mem` so that loads and stores succeed or fault in any part.
 * Also: faults in each part report their own pc, the budget is unchanged, and the generated run-loop
 * cases are up to date.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { EbpfError, ErrorCode } from '../../src/index.js';
import { encodeProgram, type Insn } from '../../src/isa/instruction.js';
import { EbpfVmRaw } from '../../src/vm/vm.js';
import { Program } from '../../src/vm/program.js';
import { FUSED, FUSED_BASE, OP_MASK, predecode } from '../../src/vm/interpreter-decode.js';
import { currentRegion, fusedRegion, INTERPRETER_PATH } from '../../bench/gen-fused.js';
import { AluOp, Class, JmpOp, Mode, Size, Source, exit, insn } from './util.js';
import { MEM_LEN, RUN_AT, encode, register, runProgram } from './fused-programs.js';

const vm = new EbpfVmRaw(undefined, { verifier: () => {} });

type Outcome = { r0: bigint; mem: number[] } | { code: string; pc: number | undefined };

function outcome(insns: readonly Insn[], mem: Uint8Array, budget?: number): Outcome {
  const copy = new Uint8Array(mem);
  vm.setProgram(encodeProgram(insns));
  if (budget !== undefined) vm.setLimits({ instructionBudget: budget });
  try {
    return { r0: vm.executeProgram(copy), mem: [...copy] };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { code: e.code, pc: e.pc };
  } finally {
    if (budget !== undefined) vm.setLimits({});
  }
}

function fusedOpAt(insns: readonly Insn[], pc: number): number {
  return predecode(new Program(encodeProgram(insns))).words[pc * 4]! & OP_MASK;
}

const operands = fc.record({
  d1: fc.integer({ min: 0, max: 9 }),
  s1: fc.integer({ min: 0, max: 9 }),
  d2: fc.integer({ min: 0, max: 9 }),
  s2: fc.integer({ min: 0, max: 9 }),
  d3: fc.integer({ min: 0, max: 9 }),
  s3: fc.integer({ min: 0, max: 9 }),
  off: fc.array(fc.integer({ min: -4, max: 12 }), { minLength: 3, maxLength: 3 }),
  imm: fc.array(fc.oneof(fc.integer({ min: -4, max: 70 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { minLength: 3, maxLength: 3 }),
  regs: fc.array(register, { minLength: 10, maxLength: 10 }),
  mem: fc.uint8Array({ minLength: MEM_LEN, maxLength: MEM_LEN }),
});

/** Jumps in the pair skip one epilogue slot when taken. */
const jumpOff = (name: string, off: number): number => (name.startsWith('j') ? 1 : off);

describe('superinstructions', () => {
  it('the generated run-loop cases are up to date (npx tsx bench/gen-fused.ts)', () => {
    const source = readFileSync(INTERPRETER_PATH, 'utf8');
    expect(currentRegion(source)).toBe(fusedRegion(source));
  });

  it.each(FUSED.map((names, n) => [names.join('__'), names, FUSED_BASE + n] as const))(
    '%s behaves as its instructions',
    (_name, names, number) => {
      fc.assert(
        fc.property(operands, (o) => {
          const regs: [number, number][] = [[o.d1, o.s1], [o.d2, o.s2], [o.d3, o.s3]];
          const run = names.map((name, k) => encode(name, regs[k]![0], regs[k]![1], jumpOff(name, o.off[k]!), o.imm[k]!));
          const fused = runProgram(run, o.regs, true);
          const plain = runProgram(run, o.regs, false);
          expect(fusedOpAt(fused, RUN_AT)).toBe(number);
          for (let k = 0; k < names.length; k++) expect(fusedOpAt(plain, RUN_AT + k)).toBeLessThan(FUSED_BASE);
          expect(outcome(fused, o.mem)).toEqual(outcome(plain, o.mem));
        }),
        { numRuns: 30 },
      );
    },
  );

  const ldxdw = (d: number, s: number, off: number) => insn(Class.LDX | Mode.MEM | Size.DW, d, s, off);
  const stxdw = (d: number, s: number, off: number) => insn(Class.STX | Mode.MEM | Size.DW, d, s, off);
  const ldxb = (d: number, s: number, off: number) => insn(Class.LDX | Mode.MEM | Size.B, d, s, off);
  const addx = (d: number, s: number) => insn(Class.ALU64 | AluOp.ADD | Source.X, d, s);
  const addk = (d: number, k: number) => insn(Class.ALU64 | AluOp.ADD | Source.K, d, 0, 0, k);
  const movx = (d: number, s: number) => insn(Class.ALU64 | AluOp.MOV | Source.X, d, s);
  const movk = (d: number, k: number) => insn(Class.ALU64 | AluOp.MOV | Source.K, d, 0, 0, k);
  const add32x = (d: number, s: number) => insn(Class.ALU | AluOp.ADD | Source.X, d, s);
  const mov32x = (d: number, s: number) => insn(Class.ALU | AluOp.MOV | Source.X, d, s);
  const ldxh = (d: number, s: number, off: number) => insn(Class.LDX | Mode.MEM | Size.H, d, s, off);
  const ldxw = (d: number, s: number, off: number) => insn(Class.LDX | Mode.MEM | Size.W, d, s, off);

  it.each([
    ['ldxdw__stxdw, first half', [ldxdw(3, 2, 0), stxdw(1, 3, 0)], 0],
    ['ldxdw__stxdw, second half', [ldxdw(3, 1, 0), stxdw(2, 3, 0)], 1],
    ['ldxdw__add64_x, first half', [ldxdw(3, 2, 0), addx(3, 1)], 0],
    ['ldxb__mov64_x, first half', [ldxb(0, 2, 0), movx(3, 0)], 0],
    ['ldxb__add32_x__mov32_x, first part', [ldxb(0, 2, 0), add32x(3, 0), mov32x(4, 3)], 0],
    ['ldxw__ldxw, second half', [ldxw(3, 1, 0), ldxw(4, 2, 0)], 1],
    ['add32_x__ldxh__add32_x, second part', [add32x(3, 3), ldxh(0, 2, 0), add32x(0, 0)], 1],
    ['add64_k__ldxb, second half', [addk(1, 4096), ldxb(0, 1, 0)], 1],
  ] as const)('a fault in the %s reports that half’s pc', (_name, pair, half) => {
    // r1 points at mem, r2 = 8 is not an address.
    const prog = [insn(Class.ALU64 | AluOp.MOV | Source.K, 2, 0, 0, 8), ...pair, exit()];
    expect(fusedOpAt(prog, 1)).toBeGreaterThanOrEqual(FUSED_BASE);
    const result = outcome(prog, new Uint8Array(16));
    expect(result).toMatchObject({ code: ErrorCode.OUT_OF_BOUNDS, pc: 1 + half });
  });

  it('a jump into the middle of a would-be pair runs the second half alone', () => {
    // r0 = 1; r2 = 5; if r1 != 0 goto L (always); r0 = r2; L: r0 += r2  — the mov and add may not fuse.
    const prog = [movk(0, 1), movk(2, 5), insn(Class.JMP | JmpOp.JNE | Source.K, 1, 0, 1, 0), movx(0, 2), addx(0, 2), exit()];
    expect(fusedOpAt(prog, 3)).toBeLessThan(FUSED_BASE);
    expect(outcome(prog, new Uint8Array(4))).toEqual({ r0: 6n, mem: [0, 0, 0, 0] });
    // Without the jump the same mov and add fuse and both run.
    const straight = [movk(0, 1), movk(2, 5), movx(0, 2), addx(0, 2), exit()];
    expect(fusedOpAt(straight, 2)).toBeGreaterThanOrEqual(FUSED_BASE);
    expect(outcome(straight, new Uint8Array(4))).toEqual({ r0: 10n, mem: [0, 0, 0, 0] });
  });

  it('the budget is charged per block as before: a fused block costs all its slots', () => {
    // r0 = 1; r2 = r0; r0 += r2; r3 = r0; r0 += r3 (two mov64_x__add64_x runs).
    const prog = [movk(0, 1), movx(2, 0), addx(0, 2), movx(3, 0), addx(0, 3), exit()];
    expect(Math.max(fusedOpAt(prog, 1), fusedOpAt(prog, 2))).toBeGreaterThanOrEqual(FUSED_BASE);
    expect(outcome(prog, new Uint8Array(0), 6)).toEqual({ r0: 4n, mem: [] });
    expect(outcome(prog, new Uint8Array(0), 5)).toMatchObject({ code: ErrorCode.BUDGET_EXCEEDED, pc: 0 });
  });
});
