/**
 * Access groups over a value that moves between registers and a frame slot (jit/base-values.ts): a
 * pointer spilled to the stack and reloaded before each access is checked once per block, and a store
 * that may change the slot (through r10, or through a forged pointer into the stack) starts a new value.
 * Value numbers unit-tested, and the three engines at every budget.
 */
import { describe, it, expect } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from './harness.js';
import { agreeAtEveryBudget } from './three-engines.js';
import { assemble } from '../../src/asm/index.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { blockValues } from '../../src/jit/base-values.js';
import { findAccessGroups } from '../../src/jit/access-groups.js';
import { STACK_START } from '../../src/vm/memory.js';

/** The entry frame's r10: the stack's top. */
const TOP = STACK_START + DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;

const decode = (source: string) => {
  const p = new Program(assemble(source));
  return { insns: p.insns, ops: p.insns.map((i) => decodeOperation(i)) };
};

describe('value numbers in a block', () => {
  it('follow a register through a 64-bit mov and a frame slot, and no further', () => {
    const { insns, ops } = decode(`
      stxdw [r10-8], r1
      ldxdw r2, [r10-8]
      mov r3, r2
      mov32 r4, r2
      stxw [r10-4], r5
      ldxdw r5, [r10-8]
      exit`);
    const v = blockValues(ops, insns, 0, insns.length);
    const r1 = v.get(0)!.regs[1];
    expect(v.get(2)!.regs[2]).toBe(r1);
    expect(v.get(3)!.regs[3]).toBe(r1);
    expect(v.get(4)!.regs[4]).not.toBe(r1);
    // A 4-byte store into the slot's upper half: the slot is no longer known.
    expect(v.get(6)!.regs[5]).not.toBe(r1);
  });

  it('forget every slot at a store through another register and at a call', () => {
    for (const between of ['stxb [r6+0], r7', 'call 1']) {
      const { insns, ops } = decode(`
        stxdw [r10-8], r1
        ${between}
        ldxdw r2, [r10-8]
        exit`);
      const v = blockValues(ops, insns, 0, insns.length);
      expect(v.get(3)!.regs[2], between).not.toBe(v.get(0)!.regs[1]);
    }
  });

  it('make one group of accesses through a pointer reloaded from its slot', () => {
    const { insns, ops } = decode(`
      ldxdw r5, [r10-48]
      ldxb r6, [r5+6]
      ldxdw r5, [r10-48]
      ldxb r7, [r5+7]
      ldxdw r4, [r10-48]
      ldxb r8, [r4+2]
      exit`);
    const b = { start: 0, end: insns.length, length: insns.length } as never;
    const groups = findAccessGroups(b, ops, insns, () => false, (_pc, a) => a.reg === 10);
    expect([...groups.values()].map((g) => [g.start, g.lo, g.hi, [...g.members]])).toEqual([[1, 2, 8, [1, 3, 5]]]);
  });
});

describe('a pointer reloaded from its frame slot before each access', () => {
  // r1 (the input) spilled to [r10-8]; each access reloads it. `between` may overwrite the slot with
  // another address (the stack's top - 64, or an address in no region) between two of the accesses.
  const cases: [string, string][] = [
    ['nothing', 'mov r0, r0'],
    ['a store through r10', `lddw r2, ${TOP - 64}\n stxdw [r10-8], r2`],
    ['a forged store into the slot', `lddw r2, ${TOP - 8}\n lddw r3, ${TOP - 64}\n stxdw [r2+0], r3`],
    ['a forged store of a bad address', `lddw r2, ${TOP - 8}\n lddw r3, 0x10\n stxdw [r2+0], r3`],
    ['a forged byte store into the slot', `lddw r2, ${TOP - 8}\n mov r3, 0x40\n stxb [r2+0], r3`],
    ['a store through a copy of r10', `mov r2, r10\n add r2, -8\n lddw r3, ${TOP - 64}\n stxdw [r2+0], r3`],
    ['a byte store through a copy of r10', `mov r2, r10\n add r2, -8\n mov r3, 0x40\n stxb [r2+0], r3`],
  ];
  for (const [what, between] of cases) {
    it(`gives the interpreter's results and errors with ${what} in between, at every budget`, () => {
      const source = `
        stxdw [r10-8], r1
        ldxb r9, [r1+0]
        mov r0, 0
      loop:
        ldxdw r4, [r10-8]
        ldxb r5, [r4+1]
        add r0, r5
        ldxdw r4, [r10-8]
        ldxb r5, [r4+2]
        add r0, r5
        ${between}
        ldxdw r6, [r10-8]
        ldxb r5, [r6+3]
        add r0, r5
        ldxdw r4, [r10-8]
        stxb [r4+4], r0
        ldxdw r4, [r10-8]
        ldxb r5, [r4+5]
        add r0, r5
        add r9, 1
        jlt r9, 3, loop
        exit`;
      // (The trip count comes from the input, input[0] = 1: two iterations, and no counted loop.)
      const input = new Uint8Array(16).map((_, i) => i * 7 + 1);
      const out = agreeAtEveryBudget(new Program(assemble(source)), input, DEFAULT_LIMITS, { max: 80 });
      expect(out).toBeDefined();
    });
  }
});
