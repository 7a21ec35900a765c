/**
 * Bounded loops whose budget charges the JIT recovers from the induction variable (src/jit/trip-charge.ts)
 * instead of adding them up block by block: the instructions charged, results and errors (class, code,
 * pc) must be the interpreter's at every budget, whichever way the loop is left (its test, a side exit,
 * an `exit` inside it, a memory error, a region-cache miss that continues in the checked copy).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { everyBudget as everyBudgetOf, jit, sameAtBudget as same } from './budget-harness.js';

const tripCharged = (program: Program): readonly number[] => jit.compile(program, { ...DEFAULT_LIMITS, stackSize: 64 }).tripChargedLoops;

function everyBudget(program: Program, input: Uint8Array, max = 500): void {
  everyBudgetOf(program, input, max);
}

const input = new Uint8Array([9, 3, 250, 1, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);

// Loops of uniform charge (every iteration the same instructions), left in several ways.
const UNIFORM: Record<string, string> = {
  'u32 != down by 1 with a side exit on data before the test (insertion sort shape)': `
    w7 = 20
    r0 = 0
  loop:
    w7 += -1
    r2 = r7
    r2 &= 15
    r2 += r1
    r3 = *(u8 *)(r2 + 0)
    if w3 > 12 goto out
    r0 += r3
    if w7 != 0 goto loop
  out:
    exit`,
  'u32 < up by 3 over three blocks, an exit instruction inside': `
    w2 = *(u8 *)(r1 + 1)
    r0 = 0
  loop:
    r0 += r2
    if r0 == 1000 goto stop
    r0 += 1
    goto next
  stop:
    exit
  next:
    w2 += 3
    if w2 < 40 goto loop
    r0 += 7
    exit`,
  's64 >= down by 4 (a shift for the step)': `
    r2 = *(u8 *)(r1 + 0)
    r2 += 25
    r0 = 0
  loop:
    r0 += r2
    r2 -= 4
    if r2 s>= -6 goto loop
    exit`,
  'u64 <= up by 1 through a copy, the test first': `
    r3 = *(u8 *)(r1 + 1)
    r3 += 9
    r4 = 0
    r0 = 0
  loop:
    r2 = r4
    if r2 > r3 goto out
    r0 += r2
    r4 = r2
    r4 += 1
    goto loop
  out:
    exit`,
  'a memory error partway (a load past the input)': `
    r0 = 0
    r2 = 0
  loop:
    r3 = r1
    r3 += r2
    r4 = *(u8 *)(r3 + 0)
    if r4 == 200 goto out
    r0 += r4
    r2 += 5
    if r2 < 60 goto loop
  out:
    exit`,
  'accesses alternating between the stack and the input (cache misses continue in the checked copy)': `
    r6 = r10
    r6 += -16
    *(u64 *)(r10 - 16) = r1
    r0 = 0
    w2 = 0
  loop:
    r3 = *(u8 *)(r6 + 0)
    r4 = r1
    r4 += r2
    r5 = *(u8 *)(r4 + 0)
    if r5 == 200 goto out
    r0 += r5
    r0 += r3
    w2 += 1
    if w2 < 30 goto loop
  out:
    exit`,
};

describe('bounded loops charged from their induction variable', () => {
  for (const [name, text] of Object.entries(UNIFORM)) {
    it(`${name}: the interpreter's charges, results and errors at every budget`, () => {
      const program = new Program(assemble(text));
      expect(tripCharged(program).length).toBe(1);
      everyBudget(program, input);
    });
  }

  it('a loop whose iterations charge differently is not charged this way', () => {
    const program = new Program(assemble(`
      r0 = 0
      w2 = 0
    loop:
      if w0 > 40 goto skip
      r0 += 3
      r0 += 1
    skip:
      w2 += 1
      if w2 < 20 goto loop
      exit`));
    expect(tripCharged(program)).toEqual([]);
    everyBudget(program, input);
  });

  it('gives the interpreter outcome on random uniform loops at random budgets', () => {
    const conds = ['<', '<=', '>', '>=', 's<', 's<=', 's>', 's>=', '!='];
    const arb = fc.record({
      w32: fc.boolean(),
      start: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constant(-1), fc.constant(0x7fffffff)),
      step: fc.oneof(fc.integer({ min: -7, max: 7 }), fc.constant(0x40000000), fc.constant(-0x40000000)),
      limit: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constant(0x7fffffff), fc.constant(-0x80000000)),
      limitFromInput: fc.boolean(),
      cond: fc.constantFrom(...conds),
      testFirst: fc.boolean(),
      sideExit: fc.integer({ min: 0, max: 300 }),
      budget: fc.integer({ min: 0, max: 700 }),
    });
    let charged = 0;
    fc.assert(
      fc.property(arb, (p) => {
        const r = (n: number): string => (p.w32 ? `w${n}` : `r${n}`);
        const step = `${r(2)} += ${p.step}`;
        const body = p.testFirst
          ? [`  if ${r(2)} ${p.cond} ${r(3)} goto cont`, '  exit', 'cont:', '  r0 += 1', `  if r0 > ${p.sideExit} goto out`, `  ${step}`, '  goto loop']
          : ['  r0 += 1', `  if r0 > ${p.sideExit} goto out`, `  ${step}`, `  if ${r(2)} ${p.cond} ${r(3)} goto loop`];
        const text = [
          p.limitFromInput ? `  ${r(3)} = *(u8 *)(r1 + 2)` : `  ${r(3)} = ${p.limit}`,
          `  ${r(2)} = ${p.start}`,
          '  r0 = 0',
          'loop:',
          ...body,
          'out:',
          '  exit',
        ].join('\n');
        const program = new Program(assemble(text));
        if (tripCharged(program).length > 0) charged++;
        same(program, input, p.budget);
      }),
      { numRuns: 400 },
    );
    expect(charged).toBeGreaterThan(100);
  });
});
