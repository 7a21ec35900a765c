/**
 * The JIT's compile work stays linear in the program's size: the work its iterative passes do
 * (src/jit/work.ts: instructions run by the fixed points, graph nodes analysed, predecessor edges
 * walked, candidate groups examined) is counted around one compile of generated programs at two sizes,
 * 2,500 and 10,000 instructions. A linear compile does about four times the work on the larger one and
 * a bounded amount per instruction; a pass gone quadratic (a fixed point iterated in a bad order, an
 * analysis rerun per loop or per access, a scan of every earlier candidate) does sixteen times. Counts,
 * not times: the test fails the same way on any machine.
 */
import { describe, it, expect } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { decodeProgram } from '../../src/isa/index.js';
import { compileToWasm } from '../../src/jit/compiler.js';
import { compileWork } from '../../src/jit/work.js';
import { generate, type Shape } from './shapes.js';

/**
 * A program of about `target` instructions shaped like compiled C: loads through r1 at constant
 * offsets, 64- and 32-bit arithmetic, forward branches, stack stores, and every eighth unit a short
 * loop with a load (bench/compile-time.ts's units, with the loop's load).
 */
function accesses(target: number): Uint8Array {
  const unit = (k: number): string[] => {
    const lines = [
      `ldxw r2, [r1+${(k * 4) % 60}]`,
      `add64 r2, ${k * 7 + 1}`,
      `jgt r2, ${1000 + k * 13}, +3`,
      'mul64 r3, r2',
      'xor64 r4, r3',
      'ja +2',
      `lsh64 r3, ${(k % 31) + 1}`,
      'or64 r4, r3',
      'mov32 r5, r4',
      `rsh32 r5, ${(k % 7) + 1}`,
      'add32 r6, r5',
      `stxdw [r10-${8 + (k % 8) * 8}], r4`,
      'add64 r0, r6',
    ];
    if (k % 8 === 7) lines.push('mov64 r7, 0', `ldxw r8, [r1+${(k * 8) % 56}]`, 'add64 r7, 1', 'add64 r0, r8', `jlt r7, ${(k % 5) + 2}, -4`);
    return lines;
  };
  const lines = ['mov64 r0, 0', 'mov64 r3, 1', 'mov64 r4, 0', 'mov64 r6, 0'];
  for (let k = 0; lines.length < target - 1; k++) lines.push(...unit(k));
  lines.push('exit');
  return assemble(lines.join('\n'));
}

/** Work units of one compile of `prog` (frames of 512 bytes, frame fast path on), per instruction. */
function workPerInsn(prog: Uint8Array): number {
  const insns = decodeProgram(prog);
  const before = compileWork.units;
  compileToWasm(insns, { stackSize: 512, frameFastPath: true, badSlots: new Uint8Array(insns.length + 1) });
  return (compileWork.units - before) / insns.length;
}

// Per instruction, about 7.4 for `accesses` and 3-4 for the shapes (2026-12-07): the bound leaves
// room for passes to do more work, not for work that grows with the program.
const PER_INSN = 20;

describe('JIT compile work', () => {
  const cases: [string, (size: number) => Uint8Array][] = [
    ['loads, branches, stack stores and short loops', accesses],
    ...(['nested', 'calls', 'switchy'] as Shape[]).map((shape): [string, (size: number) => Uint8Array] => [`shape ${shape}`, (size) => generate(shape, size)]),
  ];
  for (const [name, make] of cases) {
    it(`is linear in the program's size: ${name}`, () => {
      const small = workPerInsn(make(2_500));
      const large = workPerInsn(make(10_000));
      expect(large).toBeLessThanOrEqual(PER_INSN);
      // Per instruction, the larger program costs at most 1.5 times the smaller one (quadratic: 4 times).
      expect(large / small).toBeLessThanOrEqual(1.5);
    });
  }
});
