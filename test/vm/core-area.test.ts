/**
 * The interpreter core's area at a fixed offset of every memory (`scratch + CORE_AREA`, reserved, never
 * allocated; vm/memory.ts and vm/interpreter-core.ts): no allocation reaches it, in a memory or in a
 * worker's private area, and a run whose stack is the first region allocated after it (so that an area
 * overlapping the allocations would write registers over the stack) gives the same r0, instructions
 * charged and errors on the core, the JS loop and the JIT at every budget.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/index.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Program } from '../../src/vm/program.js';
import { CORE_AREA, CORE_AREA_BYTES, VmMemory } from '../../src/vm/memory.js';
import { agreeAtEveryBudget, core, runCharged } from '../jit/three-engines.js';

const RESERVED = CORE_AREA + CORE_AREA_BYTES;

describe('the interpreter core\'s area', () => {
  it('lies below every allocation of a memory', () => {
    const memory = new VmMemory();
    expect(memory.allocate(1)).toBeGreaterThanOrEqual(RESERVED);
    expect(memory.map({ name: 'stack', vaddr: 0x1000, size: 512 }).offset).toBeGreaterThanOrEqual(RESERVED);
  });

  it('lies below every allocation of a worker\'s private area, which must hold it', () => {
    const memory = new VmMemory({ initialPages: 4, shared: true });
    memory.allocate(100);
    expect(() => memory.privateArea(65536, RESERVED - 8)).toThrow(/private area/);
    memory.privateArea(65536, 65536);
    expect(memory.scratch).toBe(65536);
    expect(memory.allocate(8)).toBe(65536 + RESERVED);
  });

  // The whole stack (512 bytes, the first region allocated) written from its bottom up while every
  // register changes, then read back into r0 with the input's bytes.
  const FILL = `
    mov r6, r10
    sub r6, 512
    lddw r7, 0x0123456789abcdef
    mov r8, 1
    mov r9, 3
  fill:
    stxdw [r6+0], r7
    add r6, 8
    mul r7, r9
    add r7, r8
    add r8, 1
    jlt r6, r10, fill
    mov r6, r10
    sub r6, 512
    ldxdw r0, [r1+0]
  sum:
    ldxdw r3, [r6+0]
    xor r0, r3
    mov r4, r0
    rsh r4, 7
    lsh r0, 3
    xor r0, r4
    add r6, 8
    jlt r6, r10, sum
    exit`;

  it('gives the same results on the three engines with the stack right after it', () => {
    const program = new Program(assemble(FILL));
    const input = Uint8Array.from({ length: 16 }, (_, i) => 17 * i + 5);
    const limits = { ...DEFAULT_LIMITS, stackSize: 512, maxCallDepth: 1 };
    const full = agreeAtEveryBudget(program, input, limits, { max: 40 });
    expect(full).toHaveProperty('charged', 5 + 64 * 6 + 3 + 64 * 8 + 1);
    expect(runCharged(core, program, input, limits)).toEqual(full);
  });
});
