/**
 * Loops whose budget the JIT checks once per entry (src/jit/loop-bound.ts): a guard before the loop
 * bounds its iterations from the registers it is entered with, and the loop then runs without budget
 * checks. Results, errors (class, code, pc) and the instructions charged must be the interpreter's for
 * every budget, including loops the bound does not hold for (a step of 0, a counter that wraps, a `!=`
 * test the counter skips over, a counter or limit changed on some path): the budget must stop those
 * at the interpreter's pc.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { everyBudget as everyBudgetOf, jit, jsOnly, sameAtBudget, type BudgetOutcome } from './budget-harness.js';

/** The interpreter's outcome, checked against the JIT's and the JS loop's. */
function same(program: Program, input: Uint8Array, budget: number): BudgetOutcome {
  return sameAtBudget(program, input, budget, [jsOnly]);
}

const bounded = (program: Program): readonly number[] => jit.compile(program, { ...DEFAULT_LIMITS, stackSize: 64 }).boundedLoops;

/** Every budget from 0 to a little past what the run needs (or to `max` when it does not end). */
function everyBudget(program: Program, input: Uint8Array, max = 400): void {
  everyBudgetOf(program, input, max, [jsOnly]);
}

const input = new Uint8Array([7, 3, 250, 1, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9]);

// Loops the guard bounds: the counter moves by a constant or an invariant register, tested before or
// after its update, in 32 or 64 bits, signed or not, through a copy (clang's sort), in a body of several blocks.
const BOUNDED: Record<string, string> = {
  'u32 up, test after the update, two blocks': `
    r0 = 0
    w1 = 0
  loop:
    r0 += r1
    if w0 > 40 goto skip
    r0 += 3
  skip:
    w1 += 1
    if w1 < 20 goto loop
    exit`,
  'u64 up to a limit loaded from the input (<=)': `
    r3 = *(u8 *)(r1 + 0)
    r0 = 0
    r2 = 0
  loop:
    if r2 > r3 goto out
    r0 += r2
    r2 += 2
    goto loop
  out:
    exit`,
  's64 down by a constant, the limit on the left': `
    r4 = *(u8 *)(r1 + 0)
    r4 += 30
    r5 = 2
    r0 = 0
  loop:
    r0 += 1
    r4 -= 3
    if r5 s< r4 goto loop
    exit`,
  'u32 down through a copy (clang sort shape)': `
    w4 = 3
    w9 = *(u8 *)(r1 + 2)
    r0 = 0
  loop:
    w8 = w9
    r0 += r8
    if w0 > 100000 goto out
    w9 = w8
    w9 -= 3
    if w8 >= w4 goto loop
  out:
    exit`,
  '!= with step -1': `
    r0 = 0
    r2 = *(u8 *)(r1 + 0)
  loop:
    r0 += 5
    r2 += -1
    if r2 != 0 goto loop
    exit`,
  '!= with step 4, 32-bit (a label-stack walk)': `
    r0 = 0
    w4 = 0
  loop:
    r0 += r4
    w4 += 4
    if w4 != 32 goto loop
    exit`,
  '!= with step -3 from a distance it divides': `
    r0 = 0
    r2 = *(u8 *)(r1 + 1)
    r2 *= 7
  loop:
    r0 += 5
    r2 += -3
    if r2 != 0 goto loop
    exit`,
  '!= with step 12 (not a power of two), 64-bit': `
    r0 = 0
    r2 = *(u8 *)(r1 + 0)
    r2 *= 12
    r3 = r2
    r3 += 96
  loop:
    r0 += 1
    r2 += 12
    if r2 != r3 goto loop
    exit`,
};

// Loops that look bounded but are not, for some inputs: the guard must fail and the budget stop them.
const UNBOUNDED: Record<string, string> = {
  '!= with step 4 from a distance it does not divide (wraps round and round)': `
    r0 = 0
    w4 = 1
  loop:
    r0 += 1
    w4 += 4
    if w4 != 32 goto loop
    exit`,
  '!= skipped over (step 2, odd distance)': `
    r0 = 0
    r2 = *(u8 *)(r1 + 0)
  loop:
    r0 += 1
    r2 += 2
    if r2 != 0x100 goto loop
    exit`,
  'a 32-bit counter that wraps below the limit': `
    w2 = 0
    r0 = 0
  loop:
    r0 += 1
    w2 += 0x40000000
    if w2 < 0xf0000000 goto loop
    exit`,
  'a 32-bit counter that wraps just below the limit (few passes to the top, then round again)': `
    w2 = 0xbffffff0
    r0 = 0
  loop:
    r0 += 1
    w2 += 0x40000000
    if w2 < 0xffffffff goto loop
    exit`,
  'a 64-bit counter that wraps just below the limit': `
    r2 = -0x4000000000000010 ll
    r3 = -1 ll
    r0 = 0
  loop:
    r0 += 1
    r2 += 0x40000000
    r2 += 0x40000000
    if r2 < r3 goto loop
    exit`,
  'a signed limit at the top (2^63 passes)': `
    r3 = 0x7fffffffffffffff ll
    r2 = 0
    r0 = 0
  loop:
    r0 += 1
    r2 += 1
    if r2 s< r3 goto loop
    exit`,
  'down by a step larger than the limit (wraps)': `
    r2 = 3
    r0 = 0
  loop:
    r0 += 1
    r2 -= 5
    if r2 >= 2 goto loop
    exit`,
};

// Loops the analysis must not bound at all: the counter or the limit changes on some path only.
const NOT_ANALYSED: Record<string, string> = {
  'a step of 0': `
    r2 = 0
    r0 = 0
  loop:
    r0 += 1
    r2 += 0
    if r2 < 10 goto loop
    exit`,
  'a step held in a register (not bounded: the guard would cost more than it saves)': `
    r3 = *(u8 *)(r1 + 4)
    r2 = 0
    r0 = 0
  loop:
    r0 += 1
    r2 += r3
    if r2 < 10 goto loop
    exit`,
  'the counter moved back on one path': `
    r0 = 0
    r2 = 0
  loop:
    r0 += 1
    if r0 & 1 goto skip
    r2 += -1
  skip:
    r2 += 1
    if r2 < 10 goto loop
    exit`,
  'the limit moves with the counter': `
    r0 = 0
    r2 = 0
    r3 = 10
  loop:
    r0 += 1
    r3 += 1
    r2 += 1
    if r2 < r3 goto loop
    exit`,
  'the counter reloaded from memory': `
    r0 = 0
    r2 = 0
  loop:
    r0 += 1
    r2 += 1
    *(u64 *)(r10 - 8) = r2
    r2 = *(u64 *)(r10 - 8)
    r2 &= 3
    if r2 < 10 goto loop
    exit`,
};

describe('loops whose budget is checked once per entry', () => {
  for (const [name, text] of Object.entries(BOUNDED)) {
    it(`bounds ${name}, with the interpreter's results and errors at every budget`, () => {
      const program = new Program(assemble(text));
      expect(bounded(program).length).toBe(1);
      everyBudget(program, input);
    });
  }
  for (const [name, text] of Object.entries(UNBOUNDED)) {
    it(`stops a loop whose bound does not hold: ${name}`, () => {
      const program = new Program(assemble(text));
      expect(bounded(program).length).toBe(1);
      const out = same(program, input, 5000);
      expect(out).toMatchObject({ code: 'E_BUDGET_EXCEEDED' });
      everyBudget(program, input, 120);
    });
  }
  for (const [name, text] of Object.entries(NOT_ANALYSED)) {
    it(`does not bound ${name}`, () => {
      const program = new Program(assemble(text));
      expect(bounded(program)).toEqual([]);
      everyBudget(program, input, 200);
    });
  }

  it('gives the interpreter outcome on random counted loops, bounded or not, at random budgets', () => {
    const conds = ['<', '<=', '>', '>=', 's<', 's<=', 's>', 's>=', '!='];
    const arb = fc.record({
      w32: fc.boolean(),
      start: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constant(-1), fc.constant(0x7fffffff)),
      step: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constant(0x40000000), fc.constant(-0x40000000)),
      stepInReg: fc.boolean(),
      limit: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constant(0x7fffffff), fc.constant(-0x80000000)),
      limitFromInput: fc.boolean(),
      cond: fc.constantFrom(...conds),
      swap: fc.boolean(),
      testFirst: fc.boolean(),
      branchy: fc.boolean(),
      budget: fc.integer({ min: 0, max: 600 }),
    });
    let guarded = 0;
    fc.assert(
      fc.property(arb, (p) => {
        const r = (n: number): string => (p.w32 ? `w${n}` : `r${n}`);
        const step = p.stepInReg ? `${r(2)} += ${r(4)}` : `${r(2)} += ${p.step}`;
        const test = p.swap ? `if ${r(3)} ${swapCond(p.cond)} ${r(2)} goto loop` : `if ${r(2)} ${p.cond} ${r(3)} goto loop`;
        const body = [
          `  r0 += 1`,
          p.branchy ? `  if r0 & 2 goto mid\n  r5 += r0\nmid:` : '',
          p.testFirst ? `  if ${r(2)} ${p.cond} ${r(3)} goto cont\n  exit\ncont:\n  ${step}\n  goto loop` : `  ${step}\n  ${test}`,
        ];
        const text = [
          p.limitFromInput ? `  ${r(3)} = *(u8 *)(r1 + 2)` : `  ${r(3)} = ${p.limit}`,
          `  ${r(4)} = ${p.step}`,
          `  ${r(2)} = ${p.start}`,
          '  r0 = 0',
          '  r5 = 0',
          'loop:',
          ...body,
          '  exit',
        ].join('\n');
        const program = new Program(assemble(text));
        if (bounded(program).length > 0) guarded++;
        same(program, input, p.budget);
      }),
      { numRuns: 400 },
    );
    expect(guarded).toBeGreaterThan(100);
  });
});

function swapCond(c: string): string {
  const m: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', 's<': 's>', 's>': 's<', 's<=': 's>=', 's>=': 's<=', '!=': '!=' };
  return m[c]!;
}
