/**
 * Multi-base access groups (access-groups.ts, `multiBase`): a block's run of accesses through several
 * values (a header copied field by field from two source pointers into a transmit slot) checked once
 * per base at the run's start. The bases may alias each other, the stack (the frame slot the loop
 * reads, which the JIT keeps in a local, overwritten by the run) or lie partly outside any region; against the interpreter and the core at every
 * budget, with the input and the frame read back into r0.
 */
import { describe, it, expect } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { agreeAtEveryBudget } from './three-engines.js';
import { assemble } from '../../src/asm/index.js';
import { STACK_START } from '../../src/vm/memory.js';
import { findAccessGroups, type AccessGroup } from '../../src/jit/access-groups.js';
import { decodeProgram } from '../../src/isa/instruction.js';
import { decodeOperation } from '../../src/isa/operation.js';

/** The entry frame's r10: the stack's top. */
const TOP = STACK_START + DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
const BOTTOM = STACK_START;

/** Stores through r7, loads through r8 and r9, interleaved. */
const RUN = `
  ldxb r2, [r8+0]
  stxb [r7+0], r2
  ldxb r3, [r9+1]
  stxb [r7+1], r3
  ldxb r2, [r8+1]
  stxb [r7+2], r2
  ldxb r3, [r9+0]
  stxb [r7+3], r3`;

function program(setup: string, call: boolean): string {
  return `
    lddw r2, 0x1111222233334444
    stxdw [r10-8], r2
    lddw r2, 0x5555666677778888
    stxdw [r10-16], r2
    ${setup}
    mov r6, 0
    mov r5, 0
  loop:
    ldxdw r0, [r10-8]
    ${RUN}
    add r5, r0
    add r5, r2
    ${call ? 'call local fn' : 'mov r4, 0'}
    add r6, 1
    jlt r6, 3, loop
    ldxdw r0, [r10-8]
    add r0, r5
    ldxdw r4, [r10-16]
    xor r0, r4
    ldxdw r4, [r1+0]
    xor r0, r4
    ldxdw r4, [r1+8]
    add r0, r4
    exit
  fn:
    mov r0, 0
    exit`;
}

/** A header read through a pointer and its copies advanced by constants, and written through another. */
const ADVANCED = `
  mov r3, r8
  add r3, 4
  ldxb r2, [r3+0]
  stxb [r7+0], r2
  ldxb r4, [r8+1]
  stxb [r7+1], r4
  sub r3, 2
  ldxb r2, [r3+1]
  mov r5, r3
  add r5, -1
  stxb [r7+2], r2
  ldxb r4, [r5+0]
  stxb [r7+3], r4`;

describe('multi-base access groups', () => {
  const runs = { r0: expect.any(String), charged: expect.any(Number) };
  // A failing case: the run's access (0-7) that fails.
  const cases: [string, string, typeof runs | number][] = [
    ['disjoint bases in the input', 'mov r7, r1\nadd r7, 8\nmov r8, r1\nmov r9, r1\nadd r9, 4', runs],
    ['stores overwriting what a later load reads', 'mov r7, r1\nadd r7, 1\nmov r8, r1\nmov r9, r1\nadd r9, 2', runs],
    ['loads of the bytes just stored, one base the other', 'mov r7, r1\nmov r8, r1\nmov r9, r7\nadd r9, 1', runs],
    ['stores into the promoted frame slot', `lddw r7, ${TOP - 8}\nmov r8, r1\nmov r9, r1\nadd r9, 4`, runs],
    ['stores into the other frame slot', `lddw r7, ${TOP - 14}\nmov r8, r1\nmov r9, r1\nadd r9, 4`, runs],
    ['loads from the stack', `mov r7, r1\nlddw r8, ${TOP - 16}\nlddw r9, ${TOP - 3}`, runs],
    ['a load base below the stack', `mov r7, r1\nmov r8, r1\nlddw r9, ${BOTTOM - 4}`, 2],
    ['a store base across the input end', 'mov r7, r1\nadd r7, 14\nmov r8, r1\nmov r9, r1', 5],
    ['a load base at the input end', 'mov r7, r1\nmov r8, r1\nadd r8, 15\nmov r9, r1', 4],
    ['a store base across the stack top', `lddw r7, ${TOP - 2}\nmov r8, r1\nmov r9, r1`, 5],
  ];
  for (const [what, setup, at] of [
    ['a pointer advanced by constants', 'mov r7, r1\nadd r7, 8\nmov r8, r1', undefined],
    ['a pointer advanced past the input end', 'mov r7, r1\nmov r8, r1\nadd r8, 12', 2],
    ['a pointer advanced within the stack', `mov r7, r1\nlddw r8, ${TOP - 6}`, undefined],
    ['a pointer advanced past the stack top', `mov r7, r1\nlddw r8, ${TOP - 3}`, 2],
    ['stores across the input end', 'mov r7, r1\nadd r7, 13\nmov r8, r1', 12],
  ] as const) {
    it(what, () => {
      const input = Uint8Array.from({ length: 16 }, (_, k) => 0x31 + 7 * k);
      const source = `
        ${setup}
        mov r0, 0
        ldxb r6, [r1+0]
        ja body
      body:
        ${ADVANCED}
        add r0, r2
        add r0, r4
        ldxdw r4, [r1+0]
        xor r0, r4
        ldxdw r4, [r1+8]
        add r0, r4
        exit`;
      const bytes = assemble(source);
      // (The load before the block fills the region cache, so that the block's group check can hit.)
      const start = decodeProgram(bytes).findIndex((i) => i.opcode === 0x05) + 1;
      const out = agreeAtEveryBudget(new Program(bytes), input, DEFAULT_LIMITS, { max: 80 });
      expect(out).toEqual(at === undefined ? runs : { name: 'MemoryAccessError', code: 'E_OUT_OF_BOUNDS', pc: start + at });
    });
  }

  for (const call of [false, true]) {
    for (const [what, setup, expected] of cases) {
      it(`${what}, loop ${call ? 'with' : 'without'} a call`, () => {
        const input = Uint8Array.from({ length: 16 }, (_, k) => 0x31 + 7 * k);
        const bytes = assemble(program(setup, call));
        // The run starts at the program's first byte load.
        const start = decodeProgram(bytes).findIndex((i) => i.opcode === 0x71);
        const out = agreeAtEveryBudget(new Program(bytes), input, DEFAULT_LIMITS, { max: 80 });
        expect(out).toEqual(typeof expected === 'number' ? { name: 'MemoryAccessError', code: 'E_OUT_OF_BOUNDS', pc: start + expected } : expected);
      });
    }
  }

  const groupsOf = (source: string): Map<number, AccessGroup> => {
    const insns = decodeProgram(assemble(source));
    const ops = insns.map((i) => decodeOperation(i));
    return findAccessGroups({ start: 0, end: insns.length } as never, ops, insns, () => false, () => false);
  };

  it('the run is one group with three bases', () => {
    const g = groupsOf(`mov r7, r2\nmov r8, r1\nmov r9, r3\n${RUN}\nexit`).get(3)!;
    expect([g.reg, g.lo, g.hi, g.end, [...g.members]]).toEqual([8, 0, 2, 11, [3, 7]]);
    // (A further base is checked through the lowest register holding its value at the run's start.)
    expect(g.extra.map((e) => [e.reg, e.lo, e.hi, [...e.members]])).toEqual([
      [2, 0, 4, [4, 6, 8, 10]],
      [3, 0, 2, [5, 9]],
    ]);
  });

  it('registers a constant apart are one base', () => {
    const g = groupsOf(`mov r7, r1\nadd r7, 8\nmov r8, r1\nmov r9, r8\nadd r9, -4\n${RUN}\nexit`).get(5)!;
    expect([g.reg, g.lo, g.hi, g.end, g.extra.length, g.members.size]).toEqual([8, -4, 12, 13, 0, 8]);
    expect([...g.shift]).toEqual([
      [6, 8],
      [7, -4],
      [8, 8],
      [10, 8],
      [11, -4],
      [12, 8],
    ]);
  });
});
