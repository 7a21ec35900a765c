/**
 * Counted loops in any back-edge shape (loop-shapes.ts `countedLoop`): a block that goes back to
 * itself through a block of one `ja` (clang's `if (i == n) goto out; goto loop`), either way its jump
 * goes, and `!=`/`==` exits with a step other than 1 either way (the entry guard must prove that the
 * step divides the distance, or run the checked loop). Each shape must get the check-free copy
 * (`countedLoops`), and the JIT's result, instructions charged and error (class, code, pc) must be the
 * interpreter's at every budget: the way back charges one instruction per iteration that goes on, and a
 * start the step does not lead to the bound runs off the input as the interpreter does. Also clang's
 * two-register counters (`i` and `i + step` in two registers, one copied into the other each
 * iteration, the test on a third): the analysis takes the copy to equal the counter at entry and the
 * guard must check it.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { countedLoops, everyBudget, jit, jsOnly, loopInput, sameAtBudget } from './budget-harness.js';

const counted = countedLoops;

/**
 * A loop over the input (r1, 64 bytes) moving r7 by `step` from the byte at 2 (masked) toward the
 * bound from the byte at 1 (times 4), with a load and a store through r1 + r7. `exit`: how the block
 * leaves: `eq` (`if r7 == r6 goto out; goto loop`), `ne` (`if r7 != r6 goto back` to a block of one
 * `ja`), `ge` (`if r7 >= r6 goto out; goto loop`) or `self` (`if r7 != r6 goto loop`).
 */
function loop(step: number, exit: 'eq' | 'ne' | 'ge' | 'self', startMask = 7): string {
  const tail = {
    eq: ['if r7 == r6 goto out', 'goto loop'],
    ne: ['if r7 != r6 goto back', 'goto out', 'back:', 'goto loop'],
    ge: ['if r7 >= r6 goto out', 'goto loop'],
    self: ['if r7 != r6 goto loop'],
  }[exit];
  return `
    r9 = *(u8 *)(r1 + 0)
    r6 = *(u8 *)(r1 + 1)
    r6 &= 15
    r6 <<= 2
    r7 = *(u8 *)(r1 + 2)
    r7 &= ${startMask}
    r0 = 0
  loop:
    r3 = r1
    r3 += r7
    r4 = *(u16 *)(r3 + 0)
    r0 += r4
    *(u16 *)(r3 + 4) = r0
    r7 += ${step}
    ${tail.join('\n    ')}
  out:
    r0 += r7
    exit`;
}

const input = loopInput;

/**
 * r5 counts by 2 from byte 2 (masked to 7), r8 is its copy (from byte 3 on entry, masked to 63: equal to
 * r5 only when the bytes agree), the accesses go through r8 and the test is on r4 = r8 + 4 <= r6.
 */
const COPIED = `
    r9 = *(u8 *)(r1 + 0)
    r6 = *(u8 *)(r1 + 1)
    r6 &= 63
    r5 = *(u8 *)(r1 + 2)
    r5 &= 7
    r8 = *(u8 *)(r1 + 3)
    r8 &= 63
    r0 = 0
  loop:
    r3 = r1
    r3 += r8
    r4 = *(u16 *)(r3 + 0)
    r0 += r4
    *(u8 *)(r3 + 8) = r0
    r5 += 2
    r4 = r8
    r4 += 4
    r8 = r5
    if r4 > r6 goto out
    goto loop
  out:
    r0 += r8
    exit`;

describe('JIT counted loops in rotated form and with != exits of any step', () => {
  it('versions a loop whose way back is a block of one ja, and one with a step of 4 to an == exit', () => {
    for (const exit of ['eq', 'ne', 'ge'] as const) expect(counted(new Program(assemble(loop(4, exit))))).toEqual([7]);
    expect(counted(new Program(assemble(loop(2, 'self'))))).toEqual([7]);
    // Down by 4 to 0: `!=` counting down.
    const down = loop(-4, 'eq').replace('r7 = *(u8 *)(r1 + 2)\n    r7 &= 7', 'r7 = r6\n    r7 += 0').replace('if r7 == r6', 'if r7 == 0');
    expect(counted(new Program(assemble(down)))).toEqual([7]);
  });

  it('charges the way back and stops where the interpreter does, at every budget', () => {
    for (const exit of ['eq', 'ne', 'ge', 'self'] as const) {
      const program = new Program(assemble(loop(4, exit)));
      // In bounds (from 0 to 48), empty-ish (0 to 4), and a start that 4 does not lead to the bound (it
      // runs off the input: a memory error at the interpreter's pc and count).
      for (const [bound, start] of [
        [12, 0],
        [1, 0],
        [12, 2],
        [15, 4],
      ] as const)
        everyBudget(program, input(bound, start), 700, [jsOnly]);
    }
  });

  it('versions a counter kept in two registers, guarded by their equality at entry, at every budget', () => {
    const program = new Program(assemble(COPIED));
    expect(counted(program)).toEqual([8]);
    const mem = (bound: number, i: number, copy: number): Uint8Array => {
      const m = input(0, 0);
      [m[1], m[2], m[3]] = [bound, i, copy];
      return m;
    };
    // Equal on entry (in bounds, and up to a bound past the input's end); unequal, the copy far ahead
    // (the forms, read as if equal, would pass the guard while the accesses run off the input).
    for (const [bound, i, copy] of [
      [40, 2, 2],
      [63, 3, 3],
      [40, 2, 60],
      [20, 0, 7],
    ] as const)
      everyBudget(program, mem(bound, i, copy), 700, [jsOnly]);
  });

  it('leaves accesses that may address the stack checked (the guard would move the region cache there)', () => {
    // Sum 16 words of a stack array through a copy of r10, then the same over the input.
    const sum = (base: string): string => `
    r9 = *(u8 *)(r1 + 0)
    r0 = 0
    r2 = 0
  loop:
    ${base}
    r3 += r2
    r4 = *(u32 *)(r3 + 0)
    r0 += r4
    *(u32 *)(r3 + 0) = r0
    r2 += 4
    if r2 == 64 goto out
    goto loop
  out:
    exit`;
    const onStack = new Program(assemble(sum('r3 = r10\n    r3 += -64')));
    expect(counted(onStack)).toEqual([]);
    expect(counted(new Program(assemble(sum('r3 = r1'))))).toEqual([3]);
    everyBudget(onStack, input(0, 0), 200, [jsOnly]);
  });

  it('matches the interpreter on random steps, exits, bounds, starts and budgets', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 6, 8, -2, -4),
        fc.constantFrom('eq' as const, 'ne' as const, 'ge' as const, 'self' as const),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 900 }),
        (step, exit, bound, start, budget) => {
          const program = new Program(assemble(loop(step, exit, 63)));
          const mem = input(bound, start);
          sameAtBudget(program, mem, budget, [jsOnly]);
          sameAtBudget(program, mem, 1e6);
        },
      ),
      { numRuns: 300 },
    );
  });
});
