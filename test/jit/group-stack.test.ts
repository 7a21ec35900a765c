/**
 * Access groups that store through their base in a function whose frame slots are kept in locals: the
 * group's check tests its span against the stack once (access-groups.ts, `stackFree`), and its stores
 * then skip their own stack tests. A span on the stack, across its end or below its base must still
 * re-read (or leave for the checked copy before) the slots it overwrites. Against the interpreter and
 * the core at every budget.
 */
import { describe, it, expect } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { agreeAtEveryBudget } from './three-engines.js';
import { assemble } from '../../src/asm/index.js';
import { STACK_START } from '../../src/vm/memory.js';

/** The entry frame's r10: the stack's top. */
const TOP = STACK_START + DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
/** The stack's lowest address. */
const BOTTOM = STACK_START;

describe('a group of stores through a computed pointer, frame slots in locals', () => {
  // [r10-8] is read in the loop (a slot the JIT keeps in a local) while a group of byte stores through
  // r7 (a forged address, or the input) writes `span` bytes from `at`.
  // (Below the stack is no region: the first store fails, at pc 9.)
  const fails = { name: 'MemoryAccessError', code: 'E_OUT_OF_BOUNDS', pc: 9 };
  const runs = { r0: expect.any(String), charged: expect.any(Number) };
  const cases: [string, string, number, object][] = [
    ['the input (the fast copy)', 'mov r7, r1', 4, runs],
    ['the stack slot read in the loop', `lddw r7, ${TOP - 8}`, 4, runs],
    ['the stack slot, its last bytes', `lddw r7, ${TOP - 3}`, 2, runs],
    ['the stack, far below the slot', `lddw r7, ${TOP - 64}`, 4, runs],
    ['just below the stack', `lddw r7, ${BOTTOM - 4}`, 4, fails],
    ['across the stack base', `lddw r7, ${BOTTOM - 2}`, 4, fails],
  ];
  for (const call of [false, true]) {
    for (const [what, setup, span, expected] of cases) {
      it(`${span} bytes at ${what}, loop ${call ? 'with' : 'without'} a call`, () => {
        const stores = Array.from({ length: span }, (_, k) => `stxb [r7+${k}], r8`).join('\n');
        const source = `
          lddw r2, 0x1111222233334444
          stxdw [r10-8], r2
          ${setup}
          mov r6, 0
          mov r8, 0
        loop:
          ldxdw r0, [r10-8]
          add r8, r0
          ${stores}
          ${call ? 'call local fn' : 'mov r1, 0'}
          add r6, 1
          jlt r6, 3, loop
          ldxdw r0, [r10-8]
          add r0, r8
          exit
        fn:
          mov r0, 0
          exit`;
        const out = agreeAtEveryBudget(new Program(assemble(source)), new Uint8Array(16), DEFAULT_LIMITS, { max: 60 });
        expect(out).toEqual(expected);
      });
    }
  }
});
