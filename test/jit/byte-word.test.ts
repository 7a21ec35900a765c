/**
 * Words assembled from byte loads read with one load (src/jit/byte-word.ts), in the check-free copy of
 * counted loops: results, every register the run writes, errors (class, code, pc) and the instructions
 * charged must be the interpreter's, at every budget, with loops that stay inside the input and loops
 * that run past its end (the guard fails and the checked loop reads byte by byte).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { byteWord } from '../../src/jit/byte-word.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { Program } from './harness.js';
import { jit, sameAtBudget as same } from './budget-harness.js';


const input = Uint8Array.from({ length: 64 }, (_, k) => (k * 37 + 11) & 0xff);

/**
 * A counted loop over `trips` steps of 4 bytes from the input's start: `word` assembles bytes at r4 into
 * r9 (with r1 and r3 as helpers), then every register it wrote is folded into r0.
 */
const loop = (word: string, trips: number): string => `
    r4 = r1
    r4 += 8
    r0 = 0
    r2 = 0
  loop:
${word}
    r0 *= 31
    r0 ^= r9
    r0 += r1
    r0 *= 3
    r0 += r3
    r4 += 4
    r2 += 1
    if r2 < ${trips} goto loop
    exit`;

const WORDS: Record<string, string> = {
  'u32 little-endian in 32-bit ops, bytes out of order (clang murmur3)': `
    r9 = *(u8 *)(r4 + 1)
    w9 <<= 8
    r1 = *(u8 *)(r4 + 0)
    w9 |= w1
    r1 = *(u8 *)(r4 + 2)
    w1 <<= 16
    w9 |= w1
    r1 = *(u8 *)(r4 + 3)
    w1 <<= 24
    w9 |= w1
    w3 = w9`,
  'u16 little-endian in 64-bit ops': `
    r9 = *(u8 *)(r4 + 2)
    r1 = *(u8 *)(r4 + 3)
    r1 <<= 8
    r9 |= r1
    r3 = r1`,
  'u64 little-endian as two halves joined': `
    r9 = *(u8 *)(r4 + 0)
    r1 = *(u8 *)(r4 + 1)
    r1 <<= 8
    r9 |= r1
    r1 = *(u8 *)(r4 + 2)
    r1 <<= 16
    r9 |= r1
    r1 = *(u8 *)(r4 + 3)
    r1 <<= 24
    r9 |= r1
    r3 = *(u8 *)(r4 + 4)
    r1 = *(u8 *)(r4 + 5)
    r1 <<= 8
    r3 |= r1
    r1 = *(u8 *)(r4 + 6)
    r1 <<= 16
    r3 |= r1
    r1 = *(u8 *)(r4 + 7)
    r1 <<= 24
    r3 |= r1
    r3 <<= 32
    r9 |= r3`,
};

describe('words assembled from byte loads', () => {
  for (const [name, word] of Object.entries(WORDS)) {
    it(`${name}: one load in the check-free loop, the interpreter's results, charges and errors`, () => {
      const inside = new Program(assemble(loop(word, 8)));
      for (const budget of [1e6, 0, 5, 40, 120, 200]) same(inside, input, budget);
      // Past the input's end: the guard fails and the checked loop fails at the interpreter's pc.
      const past = new Program(assemble(loop(word, 20)));
      expect(same(past, input, 1e6)).toMatchObject({ code: 'E_OUT_OF_BOUNDS' });
      for (let b = 0; b < 300; b += 7) same(past, input, b);
    });
  }

  it('finds no word in bytes that are not consecutive, repeated, or shifted by a non-multiple of 8', () => {
    const ops = (text: string) => {
      const insns = new Program(assemble(text)).insns;
      return { ops: insns.map(decodeOperation), insns };
    };
    for (const text of [
      'r9 = *(u8 *)(r4 + 0)\nr1 = *(u8 *)(r4 + 2)\nr1 <<= 8\nr9 |= r1\nexit',
      'r9 = *(u8 *)(r4 + 0)\nr1 = *(u8 *)(r4 + 1)\nr1 <<= 4\nr9 |= r1\nexit',
      'r9 = *(u8 *)(r4 + 0)\nr1 = *(u8 *)(r4 + 1)\nr1 <<= 8\nr9 ^= r1\nexit',
      'r9 = *(u8 *)(r4 + 0)\nr1 = *(u8 *)(r4 + 1)\nr1 <<= 8\nr1 |= r9\nr4 = 0\nexit',
    ]) {
      const { ops: o, insns } = ops(text);
      const w = byteWord(o, insns, 0, insns.length - 1, () => true);
      if (text.includes('r4 = 0')) expect(w?.end).toBe(4);
      else expect(w).toBeUndefined();
    }
  });

  it('gives the interpreter outcome on random byte orders, widths and trip counts', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }), fc.boolean(), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 400 }), (order, w32, trips, budget) => {
        const r = (n: number): string => (w32 ? `w${n}` : `r${n}`);
        const lines = [`    r9 = *(u8 *)(r4 + ${order[0]})`];
        if (order[0]! > 0) lines.push(`    ${r(9)} <<= ${8 * order[0]!}`);
        for (const k of order.slice(1)) {
          lines.push(`    r1 = *(u8 *)(r4 + ${k})`);
          if (k > 0) lines.push(`    ${r(1)} <<= ${8 * k}`);
          lines.push(`    ${r(9)} |= ${r(1)}`);
        }
        lines.push('    r3 = r9');
        const program = new Program(assemble(loop(lines.join('\n'), trips)));
        same(program, input, budget);
        same(program, input, 1e6);
      }),
      { numRuns: 200 },
    );
  });
});

describe('words assembled from byte loads: cost of the search', () => {
  it('looks at a bounded number of loads from each pc of a long block that never forms a word', () => {
    const text = Array.from({ length: 20000 }, (_, k) => `r${(k % 3) + 5} = *(u8 *)(r4 + ${k})`).join('\n') + '\nexit';
    const insns = new Program(assemble(text)).insns;
    const ops = insns.map(decodeOperation);
    let looked = 0;
    for (let pc = 0; pc < insns.length - 1; pc++) byteWord(ops, insns, pc, insns.length - 1, () => ++looked > 0);
    expect(looked).toBeLessThanOrEqual(10 * insns.length);
  });
});
