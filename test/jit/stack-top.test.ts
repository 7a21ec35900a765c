/**
 * Accesses through computed pointers at the stack's last bytes (the entry frame's top, r10 - 1 …
 * r10 - 7). The JIT tries the stack after a region-cache miss with one 8-byte window compare, which
 * alone would leave out the region's last 7 bytes for smaller accesses: a byte store there through a
 * forged pointer then did not count as a stack write (the frame slots kept in locals went stale), and
 * a load there in a loop left for the checked copy for the rest of the run. Against the interpreter
 * and the core at every budget, with the store in a loop with and without a call.
 */
import { describe, it, expect } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { agreeAtEveryBudget } from './three-engines.js';
import { assemble } from '../../src/asm/index.js';
import { STACK_START } from '../../src/vm/memory.js';

/** The entry frame's r10: the stack's top. */
const TOP = STACK_START + DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;

describe('stores through a forged pointer into the stack top', () => {
  // [r10 - 8] is read in the loop (so the JIT may keep it in a local) while a store of `size` bytes
  // through an address computed without r10 overwrites its last bytes.
  for (const call of [false, true]) {
    for (const [size, k] of [[1, 1], [1, 7], [2, 2], [2, 6], [4, 4], [1, 8], [1, 9], [8, 8]] as const) {
      it(`${size}-byte store at top - ${k}, loop ${call ? 'with' : 'without'} a call`, () => {
        const mnemonic = { 1: 'stb', 2: 'sth', 4: 'stw', 8: 'stdw' }[size];
        const source = `
          lddw r2, 0x1111
          stxdw [r10-8], r2
          lddw r7, ${TOP - k}
          mov r6, 0
          mov r8, 0
        loop:
          ldxdw r0, [r10-8]
          add r8, r0
          ${mnemonic} [r7+0], 0x22
          ${call ? 'call local fn' : 'mov r1, 0'}
          add r6, 1
          jlt r6, 3, loop
          ldxdw r0, [r10-8]
          add r0, r8
          exit
        fn:
          mov r0, 0
          exit`;
        const out = agreeAtEveryBudget(new Program(assemble(source)), new Uint8Array(4), DEFAULT_LIMITS, { max: 40 });
        expect(out).toEqual({ r0: expect.any(String), charged: call ? 32 : 26 });
      });
    }
  }
});

describe('loads through a computed pointer at the stack top in a loop', () => {
  // A key on the stack read through a pointer the JIT cannot place (its index comes from the input),
  // alternating with input loads, up to the frame's last byte.
  it('reads the frame up to its last byte, at every budget', () => {
    const source = `
      mov r6, r1
      lddw r2, 0x0102030405060708
      stxdw [r10-8], r2
      lddw r2, 0x1112131415161718
      stxdw [r10-16], r2
      ldxb r9, [r6+0]
      mov r0, 0
      mov r2, 0
    loop:
      mov r3, r10
      add r3, -16
      add r3, r2
      add r3, r9
      ldxb r4, [r3+0]
      mov r5, r6
      add r5, r2
      ldxb r5, [r5+0]
      xor r4, r5
      add r0, r4
      add r2, 1
      jlt r2, 16, loop
      exit`;
    const input = new Uint8Array(32).map((_, i) => (i * 37) & 0xff);
    input[0] = 0;
    const out = agreeAtEveryBudget(new Program(assemble(source)), input, DEFAULT_LIMITS, { max: 200 });
    expect(out).toEqual({ r0: expect.any(String), charged: expect.any(Number) });
  });
});
