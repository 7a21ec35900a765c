/**
 * Chunked loops (a cycle of blocks run in chunks of check-free iterations, src/jit/loop-shapes.ts) whose
 * addresses come from 32-bit index arithmetic: clang's `u32` counters, zero-extended with
 * `r <<= 32; r >>= 32` or `w = w` and added to a pointer. The chunk's guard must keep every range
 * condition the analysis assumed (no 32-bit wrap) as well as every access in the cached region, and
 * give up on a loop whose chunks keep coming out empty; the results, instructions charged and errors
 * (class, code, pc) must be the interpreter's at every budget.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { everyBudget, jit, sameAtBudget } from './budget-harness.js';

const chunked = (program: Program): readonly number[] => jit.compile(program, { ...DEFAULT_LIMITS, stackSize: 64 }).chunkedLoops;

const input = (first: number[]): Uint8Array => {
  const out = new Uint8Array(48);
  for (let k = 0; k < out.length; k++) out[k] = (k * 37 + 11) & 0x7f;
  out.set(first);
  return out;
};

/**
 * Two blocks in the insertion-sort shape: j (the input's first byte) counts down as a u32, a[j - 1]
 * (a at r1 + `base`) is loaded through a zero extension and stored through a second pointer moving down,
 * a side exit on data; the loop goes on while `test` holds.
 */
const countDown = (base: number, test: string): string => `
    r6 = r1
    r6 += ${base}
    w7 = *(u8 *)(r1 + 0)
    r5 = r6
    r5 += r7
    w9 = 0
    r0 = 0
    if w7 == 0 goto out
  loop:
    w7 += -1
    r2 = r7
    r2 <<= 32
    r2 >>= 32
    r8 = r6
    r8 += r2
    r3 = *(u8 *)(r8 + 0)
    if w3 > 120 goto out
    *(u8 *)(r5 + 0) = r3
    r5 += -1
    r0 += r3
    w9 += 1
    ${test}
  out:
    exit`;

/** Insertion sort's inner loop: down to j = 0. */
const INSERTION = countDown(0, 'if w7 != 0 goto loop');
/** Past 0: at j - 1 = 2^32 - 1 the address leaves the input (its affine form, a - 1, would not). */
const BELOW_ZERO = countDown(16, 'if w9 < 24 goto loop');

/** A u32 index counting up from the input's first word: past 2^32 - 1 it wraps, which the affine form does not. */
const WRAPPING = `
    w2 = *(u32 *)(r1 + 0)
    w9 = *(u8 *)(r1 + 4)
    r0 = 0
  loop:
    w4 = w2
    w4 += w9
    r5 = r1
    r5 += r4
    r3 = *(u8 *)(r5 + 8)
    if w3 == 255 goto out
    r6 = r1
    r6 += r4
    *(u8 *)(r6 + 9) = r3
    r0 += r3
    w2 += 1
    if w4 < 36 goto loop
  out:
    exit`;

/** Two moving accesses in different regions (the input and the stack): every chunk is empty. */
const TWO_REGIONS = `
    r6 = r10
    r6 += -40
    w2 = 0
    r0 = 0
  loop:
    r2 <<= 32
    r2 >>= 32
    r4 = r1
    r4 += r2
    r5 = *(u8 *)(r4 + 0)
    if r5 == 200 goto out
    r7 = r6
    r7 += r2
    *(u8 *)(r7 + 0) = r5
    r0 += r5
    w2 += 1
    if w2 < 36 goto loop
  out:
    r1 = *(u8 *)(r10 - 20)
    r0 += r1
    exit`;

describe('chunked loops over 32-bit index arithmetic', () => {
  it('runs the insertion-sort shape in chunks, with the interpreter outcome at every budget', () => {
    const program = new Program(assemble(INSERTION));
    expect(chunked(program).length).toBeGreaterThan(0);
    for (const first of [0, 1, 2, 17, 47]) everyBudget(program, input([first]), 600);
    // Past the input: a[j - 1] beyond its last byte fails at the load's pc.
    everyBudget(program, input([47 + 3]), 600);
    // A value above 120 leaves by the side exit partway.
    const early = input([40]);
    early[20] = 121;
    everyBudget(program, early, 600);
  });

  it('keeps the range conditions: a u32 counter that wraps partway runs as the interpreter runs it', () => {
    const program = new Program(assemble(WRAPPING));
    expect(chunked(program).length).toBeGreaterThan(0);
    const at = (start: number, add: number): Uint8Array => {
      const b = input([]);
      new DataView(b.buffer).setUint32(0, start >>> 0, true);
      b[4] = add;
      return b;
    };
    for (const [start, add] of [
      [0, 0],
      [0xfffffffd, 3],
      [0xfffffff0, 16],
      [0xffffffff, 1],
      [0xfffffffe, 5],
      [0, 30],
      [0, 34],
    ] as const)
      everyBudget(program, at(start, add), 600);
    const below = new Program(assemble(BELOW_ZERO));
    expect(chunked(below).length).toBeGreaterThan(0);
    for (const start of [0, 1, 5, 23, 24, 30]) everyBudget(below, input([start]), 600);
  });

  it('gives up on chunks that keep coming out empty (accesses in two regions) and stays exact', () => {
    const program = new Program(assemble(TWO_REGIONS));
    expect(chunked(program).length).toBeGreaterThan(0);
    everyBudget(program, input([]), 800);
    const stop = input([]);
    stop[25] = 200;
    everyBudget(program, stop, 800);
  });

  it('matches the interpreter on random counters, strides and budgets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(0, 1, 0xfffffffe, 0xffffffff, 0x7fffffff),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 400 }),
        (count, bias, shift, budget) => {
          // j from count down to 1; the address is r1 + ((j - 1 + bias) mod 2^32 << shift), loaded and stored.
          const program = new Program(
            assemble(`
              w7 = ${count}
              r0 = 0
              if w7 == 0 goto out
            loop:
              w7 += -1
              w2 = w7
              w2 += ${bias | 0}
              r2 <<= ${shift}
              r8 = r1
              r8 += r2
              r3 = *(u8 *)(r8 + 0)
              if w3 > 126 goto out
              *(u8 *)(r8 + 1) = r3
              r0 += r3
              if w7 != 0 goto loop
            out:
              exit`),
          );
          sameAtBudget(program, input([]), budget);
          sameAtBudget(program, input([]), 1e6);
        },
      ),
      { numRuns: 150 },
    );
  });
});
