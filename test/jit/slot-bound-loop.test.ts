/**
 * Counted loops whose bound or base is reloaded from a frame slot on every iteration (clang spills a
 * loop invariant under register pressure and reloads it before the test: induction.ts's slot terms).
 * The loop must get the check-free copy when no store of its body may write the slot, and keep the
 * interpreter's result, instructions charged and error (class, code, pc) at every budget: a bound past
 * the input's end (a memory error mid-loop), a store through r10 into the slot (not versioned), and a
 * store through a pointer into the stack that the stack-base analysis does not see (laundered through
 * the input) which rewrites the bound mid-loop: the guard must then refuse the cached stack.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { STACK_START } from '../../src/vm/memory.js';
import { Program } from './harness.js';
import { countedLoops, everyBudget, jit, jsOnly, loopInput, sameAtBudget } from './budget-harness.js';

const counted = countedLoops;

/**
 * Sum 16-bit words of the input (r1) from the byte at 2 (masked) by `step` up to the bound (byte 1, times
 * 2), kept in [r10 - 8] and reloaded before each test; each partial sum is stored 4 bytes ahead. `write`:
 * a store through r10 inside the body (`none`, into another slot, or into the bound's own slot).
 */
function spilled(step: number, write: 'none' | 'other' | 'same', rotated: boolean): string {
  const store = { none: '', other: '*(u64 *)(r10 - 16) = r0', same: '*(u64 *)(r10 - 8) = r6' }[write];
  const tail = rotated ? ['if r7 >= r6 goto out', 'goto loop'] : ['if r7 < r6 goto loop', 'goto out'];
  return `
    r6 = *(u8 *)(r1 + 1)
    r6 <<= 1
    *(u64 *)(r10 - 8) = r6
    r7 = *(u8 *)(r1 + 2)
    r7 &= 15
    r0 = 0
    r6 = 0
  loop:
    r3 = r1
    r3 += r7
    r4 = *(u16 *)(r3 + 0)
    r0 += r4
    *(u16 *)(r3 + 4) = r0
    ${store}
    r7 += ${step}
    r6 = *(u64 *)(r10 - 8)
    ${tail.join('\n    ')}
  out:
    r0 += r7
    exit`;
}

const input = loopInput;

/**
 * A pointer to the frame laundered through the input (stored at 16 and read back, so stack-bases.ts
 * takes it for a pointer into the input), its first byte read before the loop (the versioned loop's
 * entry then fills the region cache with the stack); the loop reads the frame through it and stores
 * the constant 200 `ahead` bytes further on, which at the first iteration is the low byte of the
 * bound's slot [r10 - 8]: the bound becomes 200 and the stores run off the stack's top (a memory error).
 */
const LAUNDERED = `
    r6 = *(u8 *)(r1 + 1)
    *(u64 *)(r10 - 8) = r6
    r8 = r10
    *(u64 *)(r1 + 16) = r8
    r8 = *(u64 *)(r1 + 16)
    r8 += -64
    r2 = *(u8 *)(r8 + 0)
    r7 = 0
    r0 = 0
  loop:
    r3 = r8
    r3 += r7
    r4 = *(u8 *)(r3 + 0)
    r0 += r4
    *(u8 *)(r3 + 56) = 200
    r7 += 1
    r6 = *(u64 *)(r10 - 8)
    if r7 < r6 goto loop
    r0 += r7
    exit`;

/**
 * The same with the frame's address forged from a constant (the harness's stack: 64-byte frames, r10 at
 * its top), so that r10 does not escape and the bound's slot is kept in a local: the check-free copy's
 * stores skip their stack tests only because the guard proved the cached region off the stack.
 */
const FORGED = LAUNDERED.replace(
  'r8 = r10\n    *(u64 *)(r1 + 16) = r8\n    r8 = *(u64 *)(r1 + 16)\n    r8 += -64',
  `r8 = ${STACK_START + 64 * DEFAULT_LIMITS.maxCallDepth - 64} ll`,
);

/**
 * One base at several offsets and sizes (a byte at +1, a word at +4, a half-word at +2, a byte at +6):
 * the guard checks only the lowest-starting and highest-ending of them (the word, not the byte at +6). Stepping by 4 from the byte at 2 up to
 * the bound at 1, the word at +4 is the one that runs past the input's end first.
 */
const OFFSETS = `
    r6 = *(u8 *)(r1 + 1)
    *(u64 *)(r10 - 8) = r6
    r7 = *(u8 *)(r1 + 2)
    r7 &= 15
    r0 = 0
  loop:
    r3 = r1
    r3 += r7
    r4 = *(u8 *)(r3 + 1)
    r0 += r4
    r4 = *(u32 *)(r3 + 4)
    r0 += r4
    r4 = *(u16 *)(r3 + 2)
    r0 ^= r4
    r4 = *(u8 *)(r3 + 6)
    r0 += r4
    r7 += 4
    r6 = *(u64 *)(r10 - 8)
    if r7 < r6 goto loop
    exit`;

describe('JIT counted loops with a bound reloaded from a frame slot', () => {
  it('versions the loop when no store of its body writes the slot', () => {
    for (const rotated of [false, true]) {
      expect(counted(new Program(assemble(spilled(2, 'none', rotated))))).toEqual([7]);
      expect(counted(new Program(assemble(spilled(2, 'other', rotated))))).toEqual([7]);
      expect(counted(new Program(assemble(spilled(2, 'same', rotated))))).toEqual([]);
    }
  });

  it('matches the interpreter at every budget: in bounds, past the input end, the slot rewritten', () => {
    for (const write of ['none', 'other', 'same'] as const) {
      for (const rotated of [false, true]) {
        const program = new Program(assemble(spilled(2, write, rotated)));
        for (const [bound, start] of [
          [24, 0],
          [1, 0],
          [30, 6],
          [40, 4],
        ] as const)
          everyBudget(program, input(bound, start), 700, [jsOnly]);
      }
    }
  });

  it('refuses the guard when the cached region is the stack a covered store may write the slot in', () => {
    const program = new Program(assemble(LAUNDERED));
    expect(counted(program)).toEqual([9]);
    for (const bound of [4, 7, 8]) everyBudget(program, input(bound, 0), 700, [jsOnly]);
    const forged = new Program(assemble(FORGED));
    expect(counted(forged)).toEqual([7]);
    for (const bound of [4, 7, 8]) everyBudget(forged, input(bound, 0), 700, [jsOnly]);
  });

  it('covers accesses at several offsets of one base by the lowest and the highest', () => {
    const program = new Program(assemble(OFFSETS));
    expect(counted(program)).toEqual([5]);
    // In bounds; the word at +4 of the last iteration 1, 2 and 3 bytes past the end.
    for (const [bound, start] of [
      [56, 0],
      [60, 0],
      [61, 1],
      [62, 2],
      [63, 3],
    ] as const)
      everyBudget(program, input(bound, start), 400, [jsOnly]);
  });

  it('matches the interpreter on random steps, bounds, starts and budgets', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4),
        fc.constantFrom('none' as const, 'other' as const, 'same' as const),
        fc.boolean(),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 900 }),
        (step, write, rotated, bound, start, budget) => {
          const program = new Program(assemble(spilled(step, write, rotated)));
          const mem = input(bound, start);
          sameAtBudget(program, mem, budget, [jsOnly]);
          sameAtBudget(program, mem, 1e6);
        },
      ),
      { numRuns: 200 },
    );
  });
});
