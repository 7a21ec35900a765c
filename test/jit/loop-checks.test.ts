/**
 * The budget checked once per loop iteration (src/jit/check-plan.ts): in a function with loops, every
 * check point (the entry, the header of any loop, outer loops included, a block after a local call)
 * checks once for the longest path to the next one and continues in the checked copy when the budget
 * may not suffice; a loop bounded at its entry (loop-bound.ts) also pays for the path from its exits to
 * the next check. Whatever the shape (header walks bounded by an end pointer, multi-block bodies,
 * probe loops with no bound, frame loops around inner loops, calls in the body), the JIT's results,
 * instructions charged and errors (class, code, pc) must be the interpreter's at every budget.
 *
 * Each program reads its input once before its loops: that access, outside any loop, fills the region
 * cache, so the loops' accesses hit it and the run stays in the fast copy (a miss in a loop leaves for
 * the checked copy, which checks every block and would test nothing here).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { dumpJitModule } from '../../src/jit/dump.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { everyBudget as everyBudgetOf, jit, jsOnly, sameAtBudget } from './budget-harness.js';

const bounded = (program: Program): readonly number[] => jit.compile(program, { ...DEFAULT_LIMITS, stackSize: 64 }).boundedLoops;

/** Every budget from 0 to a little past what the run needs (or to `max` when it does not end), JS loop included. */
function everyBudget(program: Program, input: Uint8Array, max = 600): void {
  everyBudgetOf(program, input, max, [jsOnly]);
}

/** The budget traps (`Trap.budget` = 0, a pc, the trap import) in the entry function's fast copy. */
function fastBudgetTraps(program: Program): number {
  const wat = dumpJitModule(program, { stackSize: 64 }).wat;
  const start = wat.indexOf(';; eBPF entry, pc 0\n');
  const end = wat.indexOf('(func', start + 1);
  const fast = wat.slice(start, end < 0 ? undefined : end);
  return fast.match(/i32\.const 0\s+i32\.const \d+\s+call 4\b/g)?.length ?? 0;
}

// A walk over type-length records bounded by an end pointer (r1 + r2): the step is a loaded length,
// so no guard bounds the trip count; the body has several blocks and a stack store.
const WALK = `
    r9 = *(u8 *)(r1 + 0)
    r3 = r1
    r3 += r2
    r0 = 0
    r4 = r1
  loop:
    r5 = r4
    r5 += 2
    if r5 > r3 goto out
    r6 = *(u8 *)(r4 + 0)
    r7 = *(u8 *)(r4 + 1)
    r7 += 2
    if r6 == 1 goto one
    if r6 == 2 goto two
    r0 ^= r6
    goto next
  one:
    r0 += r7
    *(u64 *)(r10 - 8) = r0
    goto next
  two:
    r0 *= 3
  next:
    r4 += r7
    goto loop
  out:
    exit`;

// A frame loop (4-byte frames up to the end pointer) around an inner loop the guard bounds (r7 < n),
// with blocks after the inner loop's exit that the inner guard pays for (longer than the two spare
// iterations the guard's bound allows for).
const FRAMES = `
    r9 = *(u8 *)(r1 + 0)
    r3 = r1
    r3 += r2
    r0 = 0
    r4 = r1
  frame:
    r5 = r4
    r5 += 4
    if r5 > r3 goto out
    r6 = *(u8 *)(r4 + 0)
    r6 &= 7
    r7 = 0
  inner:
    r0 += r7
    if r0 & 1 goto odd
    r0 += 5
  odd:
    r7 += 1
    if r7 < r6 goto inner
    r0 *= 7
    r0 += r7
    r0 ^= 0x3c
    r0 += r6
    r0 &= 0xffff
    r0 *= 5
    r0 += 1
    r0 ^= r4
    r0 &= 0xffffff
    if r0 & 4 goto skip
    r0 ^= 0x55
  skip:
    r4 += 4
    goto frame
  out:
    exit`;

// Open-addressing probe: c += skip (mod 16) until a table byte has its top bit set; no bound at all
// (with no such byte it never ends and the budget stops it).
const PROBE = `
    r3 = *(u8 *)(r1 + 16)
    r4 = *(u8 *)(r1 + 17)
    r4 |= 1
    r3 &= 15
    r0 = 0
  probe:
    r5 = r1
    r5 += r3
    r6 = *(u8 *)(r5 + 0)
    r6 &= 0x80
    if r6 != 0 goto found
    r3 += r4
    r0 += 1
    if r3 < 16 goto probe
    r3 -= 16
    goto probe
  found:
    r0 <<= 8
    r0 |= r3
    exit`;

// A loop calling a local function with a branch in it: the block after the call checks again.
const CALLS = `
    r6 = 0
    r8 = 0
    r7 = *(u8 *)(r1 + 0)
    r7 &= 15
  loop:
    r1 = r6
    call local f
    r8 += r0
    if r8 & 8 goto odd
    r8 += 1
  odd:
    r6 += 1
    if r6 < r7 goto loop
    r0 = r8
    exit
  f:
    r0 = r1
    r0 *= 3
    if r0 > 10 goto big
    r0 += 1
  big:
    exit`;

const records = new Uint8Array([1, 2, 9, 9, 3, 0, 2, 1, 7, 1, 0, 4, 1, 2, 3, 4, 5, 6, 2, 0, 9, 3, 1, 2]);
const frames = new Uint8Array([3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 1, 2, 3, 2, 9, 9, 9, 6]);
const table = (hit: number): Uint8Array => {
  const t = new Uint8Array(18).fill(3);
  if (hit >= 0) t[hit] = 0x81;
  t[16] = 5;
  t[17] = 6;
  return t;
};

describe('the budget checked once per loop iteration', () => {
  it('a header walk bounded by an end pointer: no check in its blocks, the interpreter at every budget', () => {
    const program = new Program(assemble(WALK));
    expect(bounded(program)).toEqual([]);
    expect(fastBudgetTraps(program)).toBe(0);
    everyBudget(program, records);
    everyBudget(program, records.subarray(0, 7));
    everyBudget(program, records.subarray(0, 1));
  });

  it('a frame loop around a bounded inner loop: the blocks after the inner loop check nothing', () => {
    const program = new Program(assemble(FRAMES));
    expect(bounded(program).length).toBe(1);
    expect(fastBudgetTraps(program)).toBe(0);
    everyBudget(program, frames);
    everyBudget(program, frames.subarray(0, 13));
  });

  it('a probe loop with no bound: the interpreter at every budget, ending or not', () => {
    const program = new Program(assemble(PROBE));
    expect(fastBudgetTraps(program)).toBe(0);
    for (const hit of [0, 11]) everyBudget(program, table(hit));
    expect(sameAtBudget(program, table(-1), 5000, [jsOnly])).toMatchObject({ code: 'E_BUDGET_EXCEEDED' });
    everyBudget(program, table(-1), 200);
  });

  it('a loop calling a local function: the interpreter at every budget', () => {
    const program = new Program(assemble(CALLS));
    for (const n of [0, 1, 6, 13]) everyBudget(program, new Uint8Array([n]));
  });

  it('gives the interpreter outcome on random nests of walks and counted loops at random budgets', () => {
    // An outer walk (by a loaded step, or by a constant) around an inner loop (counted, or a walk to
    // a loaded limit, or none), each with an optional branch in its body and after it.
    const arb = fc.record({
      outerStep: fc.constantFrom('load', 'const'),
      inner: fc.constantFrom('counted', 'walk', 'none'),
      innerBranch: fc.boolean(),
      afterBranch: fc.boolean(),
      store: fc.boolean(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
      budget: fc.integer({ min: 0, max: 700 }),
    });
    fc.assert(
      fc.property(arb, (p) => {
        const inner =
          p.inner === 'counted'
            ? ['    r6 &= 7', '    r7 = 0', '  inner:', '    r0 += r7', ...(p.innerBranch ? ['    if r0 & 1 goto odd', '    r0 += 5', '  odd:'] : []), '    r7 += 1', '    if r7 < r6 goto inner']
            : p.inner === 'walk'
              ? ['    r6 &= 15', '    r7 = 0', '  inner:', '    if r7 >= r6 goto done', '    r0 += r7', ...(p.innerBranch ? ['    if r0 & 2 goto odd', '    r0 *= 3', '  odd:'] : []), '    r7 += r6', '    r7 -= 3', '    r7 |= 1', '    goto inner', '  done:']
              : [];
        const text = [
          '    r9 = *(u8 *)(r1 + 0)',
          '    r3 = r1',
          '    r3 += r2',
          '    r0 = 0',
          '    r4 = r1',
          '  frame:',
          '    r5 = r4',
          '    r5 += 2',
          '    if r5 > r3 goto out',
          '    r6 = *(u8 *)(r4 + 0)',
          ...inner,
          ...(p.afterBranch ? ['    if r0 & 4 goto skip', '    r0 ^= 0x55', '  skip:'] : []),
          ...(p.store ? ['    *(u64 *)(r10 - 8) = r0'] : []),
          ...(p.outerStep === 'load' ? ['    r8 = *(u8 *)(r4 + 1)', '    r8 &= 3', '    r8 += 2', '    r4 += r8'] : ['    r4 += 2']),
          '    goto frame',
          '  out:',
          '    exit',
        ].join('\n');
        sameAtBudget(new Program(assemble(text)), p.bytes, p.budget, [jsOnly]);
      }),
      { numRuns: 300 },
    );
  });
});
