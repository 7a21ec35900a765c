/**
 * The WebAssembly core's own superinstructions (CORE_FUSED, interpreter-core-fused.ts): every run gives
 * the same result, memory and error (code and pc) in the core, fused, as the same instructions unfused
 * (every later slot of the run a jump target) and as the JS loop; the core's copy of the words is fused
 * where the JS loop's is not, and never across a block boundary; a fault in any part reports its own pc;
 * the budget is charged per block as before.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EbpfError, ErrorCode } from '../../src/index.js';
import { encodeProgram, type Insn } from '../../src/isa/instruction.js';
import { EbpfVmRaw } from '../../src/vm/vm.js';
import { Program } from '../../src/vm/program.js';
import { MEM_START } from '../../src/vm/memory.js';
import { FUSED, FUSED_BASE, OP_MASK, predecode } from '../../src/vm/interpreter-decode.js';
import { CORE_FUSED, CORE_OP_NAMES, coreFuse } from '../../src/vm/interpreter-core-fused.js';
import { frameAccesses } from '../../src/vm/interpreter-core-frame.js';
import { AluOp, Class, JmpOp, Mode, Size, Source, exit, insn, lddw } from './util.js';
import { MEM_LEN, RUN_AT, encode, register, runProgram } from './fused-programs.js';

type Outcome = { r0: bigint; mem: number[] } | { code: string; pc: number | undefined };

/** A run on a fresh VM (its own memory, so the core takes every program), core or JS loop alone. */
function outcome(insns: readonly Insn[], mem: Uint8Array, jsLoop = false, budget?: number): Outcome {
  const copy = new Uint8Array(mem);
  const vm = new EbpfVmRaw(encodeProgram(insns), { verifier: () => {}, ...(jsLoop ? { interpreter: { wasmCore: false } } : {}) });
  if (budget !== undefined) vm.setLimits({ instructionBudget: budget });
  try {
    return { r0: vm.executeProgram(copy), mem: [...copy] };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { code: e.code, pc: e.pc };
  }
}

/** The core's op number at slot `pc` of `insns` (with frame accesses: of the words a run whose stack holds them takes). */
function coreOpAt(insns: readonly Insn[], pc: number, frames = false): number {
  const code = predecode(new Program(encodeProgram(insns)));
  const words = code.words.slice();
  coreFuse(words, code.length);
  if (frames) frameAccesses(words, code.length, code.program);
  return words[pc * 4]! & OP_MASK;
}

/** Runs with a part that is a frame access (a spill or fill: interpreter-core-frame.ts), by number. */
const FRAME_RUNS = CORE_FUSED.map((names, n) => [names.join('__'), names, FUSED_BASE + n] as const).filter(([, names]) => names.some((p) => p.endsWith('_fp')));

const operands = fc.record({
  d: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 3, maxLength: 3 }),
  s: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 3, maxLength: 3 }),
  off: fc.array(fc.integer({ min: -4, max: 12 }), { minLength: 3, maxLength: 3 }),
  imm: fc.array(fc.oneof(fc.integer({ min: -4, max: 70 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { minLength: 3, maxLength: 3 }),
  regs: fc.array(register, { minLength: 10, maxLength: 10 }),
  mem: fc.uint8Array({ minLength: MEM_LEN, maxLength: MEM_LEN }),
});

describe("the core's superinstructions", () => {
  it('are numbered after the base operations, within the op field, and include no jump but the last part', () => {
    expect(FUSED_BASE + CORE_FUSED.length).toBeLessThanOrEqual(OP_MASK + 1);
    CORE_FUSED.forEach((parts, i) => {
      expect(CORE_OP_NAMES[FUSED_BASE + i]).toBe(parts.join('__'));
      expect(parts.slice(0, -1).every((p) => !p.startsWith('j'))).toBe(true);
    });
  });

  it.each(CORE_FUSED.map((names, n) => [names.join('__'), names, FUSED_BASE + n] as const).filter(([, names]) => !names.some((p) => p.endsWith('_fp'))))(
    '%s behaves as its instructions, in the core and in the JS loop',
    (_name, names, number) => {
      fc.assert(
        fc.property(operands, (o) => {
          const jumpOff = (name: string, off: number): number => (name.startsWith('j') ? 1 : off);
          const run = names.map((name, k) => encode(name, o.d[k]!, o.s[k]!, jumpOff(name, o.off[k]!), o.imm[k]!));
          const fused = runProgram(run, o.regs, true);
          const plain = runProgram(run, o.regs, false);
          expect(coreOpAt(fused, RUN_AT)).toBe(number);
          for (let k = 0; k < names.length; k++) expect(coreOpAt(plain, RUN_AT + k)).toBeLessThan(FUSED_BASE);
          const expected = outcome(plain, o.mem);
          expect(outcome(fused, o.mem)).toEqual(expected);
          expect(outcome(fused, o.mem, true)).toEqual(expected);
        }),
        { numRuns: 12 },
      );
    },
  );

  it('include every load-store pair of sizes, and each run\'s spill and fill variants', () => {
    for (const l of ['b', 'h', 'w', 'dw']) {
      for (const st of ['b', 'h', 'w', 'dw']) {
        const loads = l === 'w' || l === 'dw' ? [`ldx${l}`, `ldx${l}_fp`] : [`ldx${l}`];
        const stores = st === 'w' || st === 'dw' ? [`stx${st}`, `stx${st}_fp`] : [`stx${st}`];
        for (const a of loads) for (const b of stores) expect(CORE_OP_NAMES).toContain(`${a}__${b}`);
      }
    }
    // Every run with word or double-word accesses has one variant per non-empty set of them.
    for (const [, names] of FRAME_RUNS) {
      const base = names.map((p) => p.replace(/_fp$/, ''));
      expect(CORE_OP_NAMES).toContain(base.join('__'));
    }
    const words = CORE_FUSED.filter((r) => !r.some((p) => p.endsWith('_fp'))).reduce((n, r) => n + 2 ** r.filter((p) => /^(ldx|stx)d?w$/.test(p)).length - 1, 0);
    expect(FRAME_RUNS.length).toBe(words);
  });

  // Spills and fills inside a run: the stack written first (r1-r4 at r10-8 ... r10-32), the run, then
  // every register and the four slots mixed into r0; the run fused (the core's words with frame accesses
  // give its slot the variant) or not (jumps into its later slots), at budgets that run out before, inside
  // and after it.
  it.each(FRAME_RUNS)('%s behaves as its instructions, in the core and in the JS loop, at every budget', (_name, names, number) => {
    const program = (run: readonly Insn[], regs: readonly bigint[], fused: boolean): Insn[] => {
      const out: Insn[] = [];
      regs.forEach((v, k) => out.push(...lddw(k, v)));
      for (let k = 1; k <= 4; k++) out.push(insn(Class.STX | Mode.MEM | Size.DW, 10, k, -8 * k));
      const at = out.length + 3;
      const targets = fused ? [at, at, at + run.length] : [at + 1, at + 1, at + run.length];
      targets.forEach((target, k) => out.push(insn(Class.JMP | JmpOp.JEQ | Source.K, 10, 0, target - (out.length + 1), 0)));
      out.push(...run);
      for (let k = 1; k <= 4; k++) {
        out.push(insn(Class.LDX | Mode.MEM | Size.DW, 1, 10, -8 * k));
        out.push(insn(Class.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 1000003), insn(Class.ALU64 | AluOp.XOR | Source.X, 0, 1));
      }
      for (let k = 2; k <= 9; k++) out.push(insn(Class.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 1000003), insn(Class.ALU64 | AluOp.XOR | Source.X, 0, k));
      out.push(exit());
      return out;
    };
    const frameOffset = fc.constantFrom(-4, -8, -12, -16, -24, -32);
    fc.assert(
      fc.property(operands, frameOffset, frameOffset, fc.integer({ min: 24, max: 40 }), (o, fill, spill, budget) => {
        const run = names.map((part, k) => {
          const base = part.replace(/_fp$/, '');
          if (!part.endsWith('_fp')) return encode(base, o.d[k]!, o.s[k]!, base.startsWith('j') ? 1 : o.off[k]!, o.imm[k]!);
          // A double word at r10-4 would cross r10: no frame access.
          const off = (v: number): number => (base.endsWith('dw') && v > -8 ? v - 4 : v);
          return base.startsWith('ldx') ? encode(base, o.d[k]!, 10, off(fill), 0) : encode(base, 10, o.s[k]!, off(spill), 0);
        });
        const fused = program(run, o.regs, true);
        const plain = program(run, o.regs, false);
        const at = 24 + 3;
        expect(coreOpAt(fused, at, true)).toBe(number);
        expect(coreOpAt(plain, at, true)).toBeLessThan(FUSED_BASE);
        for (const b of [undefined, budget]) {
          const expected = outcome(plain, o.mem, false, b);
          expect(outcome(fused, o.mem, false, b)).toEqual(expected);
          expect(outcome(fused, o.mem, true, b)).toEqual(expected);
        }
      }),
      { numRuns: 12 },
    );
  });

  const movk = (d: number, k: number) => insn(Class.ALU64 | AluOp.MOV | Source.K, d, 0, 0, k);
  const movx = (d: number, s: number) => insn(Class.ALU64 | AluOp.MOV | Source.X, d, s);
  const addx = (d: number, s: number) => insn(Class.ALU64 | AluOp.ADD | Source.X, d, s);

  it('fuse where the JS loop does not: the core continues the JS loop’s runs at any slot', () => {
    // A core triple that is no FUSED entry, after a FUSED pair's first slot has been rewritten.
    const triple = CORE_FUSED.find((parts) => parts.length === 3 && !FUSED.some((f) => f.join() === parts.join()))!;
    expect(triple).toBeDefined();
    const run = triple.map((name, k) => encode(name, k + 1, k + 2, name.startsWith('j') ? 1 : 0, 3));
    const prog = [movk(1, 7), movk(2, 9), movk(3, 11), movk(4, 13), ...run, movk(0, 5), exit()];
    expect(coreOpAt(prog, 4)).toBeGreaterThanOrEqual(FUSED_BASE);
    expect(outcome(prog, new Uint8Array(16))).toEqual(outcome(prog, new Uint8Array(16), true));
  });

  it('hand a fault in a later part back at that part: the parts before it do not run again', () => {
    // r1 = mem + 20; r1 += -8; r0 = *(u8 *)(r1 + 4) (mem + 16: outside 16 bytes); r0 += 1. Run again from
    // the first part, r1 would be mem + 4 and the load would succeed.
    const addk = (d: number, k: number) => insn(Class.ALU64 | AluOp.ADD | Source.K, d, 0, 0, k);
    const prog = [...lddw(1, BigInt(MEM_START + 20)), addk(1, -8), insn(Class.LDX | Mode.MEM | Size.B, 0, 1, 4), addk(0, 1), exit()];
    expect(CORE_OP_NAMES[coreOpAt(prog, 2)]).toMatch(/^add64_k__ldxb/);
    const core = outcome(prog, new Uint8Array(16));
    expect(core).toMatchObject({ code: ErrorCode.OUT_OF_BOUNDS, pc: 3 });
    expect(outcome(prog, new Uint8Array(16), true)).toEqual(core);
  });

  it('charge the budget per block as before, with the same error pc in both engines', () => {
    // r0 = 1; then three mov64_x, add64_x pairs in one block.
    const prog = [movk(0, 1), movx(2, 0), addx(0, 2), movx(3, 0), addx(0, 3), movx(4, 0), addx(0, 4), exit()];
    expect(outcome(prog, new Uint8Array(0), false, 8)).toEqual({ r0: 8n, mem: [] });
    for (const budget of [7, 3, 1]) {
      const core = outcome(prog, new Uint8Array(0), false, budget);
      expect(core).toMatchObject({ code: ErrorCode.BUDGET_EXCEEDED, pc: 0 });
      expect(outcome(prog, new Uint8Array(0), true, budget)).toEqual(core);
    }
  });
});
