/**
 * Linked scalar copies (issue 14, src/verifier/analysis/links.ts): after `r2 = r1` of an unknown
 * number, a branch on one narrows both, as the kernel's scalar ids do. Each case's verdict is checked
 * against the live kernel where it answers.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { kernelOracle } from '../kernel/runner.js';

const LEN = 'r6 = *(u32 *)(r1 + 0)\n*(u64 *)(r10 - 8) = r0\n';
/** Read the stack at fp-8 + R, then exit. */
const read = (r: string): string => `r3 = r10\nr3 += -8\nr3 += ${r}\nr0 = *(u8 *)(r3 + 0)\nexit`;

const CASES: { name: string; src: string; accepted: boolean }[] = [
  { name: 'the copy is checked, the original used', src: `r0 = 0\n${LEN}r2 = r6\nif r2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'the original is checked, the copy used', src: `r0 = 0\n${LEN}r2 = r6\nif r6 > 7 goto out\n${read('r2')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'a copy of a copy', src: `r0 = 0\n${LEN}r2 = r6\nr4 = r2\nif r4 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'a 32-bit test narrows the copies', src: `r0 = 0\n${LEN}r2 = r6\nif w2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'a copy moved by a constant (r2 += 1)', src: `r0 = 0\n${LEN}r2 = r6\nr2 += 1\nif r2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'a copy moved by a constant, too far', src: `r0 = 0\n${LEN}r2 = r6\nr2 += -1\nif r2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: false },
  { name: 'the original moved, the copy checked', src: `r0 = 0\n${LEN}r2 = r6\nr6 -= 2\nif r2 > 9 goto out\nif r2 < 2 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'the copy changed after the move: no link', src: `r0 = 0\n${LEN}r2 = r6\nr2 ^= 1\nif r2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: false },
  { name: 'the original changed after the move: no link', src: `r0 = 0\n${LEN}r2 = r6\nr6 = *(u32 *)(r1 + 0)\nif r2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: false },
  { name: 'a 32-bit move of a number that fits in 32 bits: linked', src: `r0 = 0\n${LEN}w2 = w6\nif w2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'a 32-bit move linked, the original tested (signed 32-bit)', src: `r0 = 0\n${LEN}w2 = w6\nif w6 s> 7 goto out\nif w6 s< 0 goto out\n${read('r2')}\nout:\nr0 = 0\nexit`, accepted: true },
  { name: 'a 32-bit move of a number wider than 32 bits: no link', src: `r0 = 0\n${LEN}r6 <<= 4\nw2 = w6\nif w2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: false },
  { name: 'a 32-bit move: no link', src: `r0 = 0\n${LEN}w2 = w6\nr6 <<= 32\nr6 s>>= 32\nif r2 > 7 goto out\n${read('r6')}\nout:\nr0 = 0\nexit`, accepted: false },
  // a 32-bit copy moved by a constant that wraps every value of its range past 2^32 (w2 += -8 of [0, 7]):
  // the link holds, 2^32 - 8 apart (TripleCross's tc egress: a length tested as `w1 = w9; w1 += -64; if w1 < -63`)
  { name: 'a 32-bit copy moved past 2^32 (w2 += -8), checked unsigned', src: wrapped('w2 += -8', 'if w2 < -7 goto out'), accepted: true },
  { name: 'the same moved by a 32-bit subtraction (w2 -= 8)', src: wrapped('w2 -= 8', 'if w2 < -7 goto out'), accepted: true },
  { name: 'the same checked one short: the original may be 0', src: wrapped('w2 += -8', 'if w2 < -8 goto out'), accepted: false },
  // not here: a range that straddles the wrap (w2 += -4 of [0, 7]), which the kernel links too (modulo
  // 2^32) and tsbpf does not (movedLink32: the link is exact in 64 bits), a refusal the kernel does not make
];

/** r6 in [0, 7], copied to w2, moved by `step`, tested by `test`; then the stack read at fp - r6 (r6 must be at least 1). */
function wrapped(step: string, test: string): string {
  return `r0 = 0\n${LEN}r6 &= 7\nw2 = w6\n${step}\n${test}\nr4 = r6\nr4 = -r4\nr3 = r10\nr3 += r4\nr0 = *(u8 *)(r3 + 0)\nexit\nout:\nr0 = 0\nexit`;
}

const verdict = (src: string): boolean => !checkProgram(assemble(src), { level: 'kernel', programType: 'socket_filter' }).some((i) => i.severity === 'error');

describe('linked scalar copies', () => {
  it.each(CASES)('$name', ({ src, accepted }) => {
    expect(verdict(src)).toBe(accepted);
  });

  it('agrees with the kernel on every case', (ctx) => {
    const k = kernelOracle();
    if (typeof k === 'string') return ctx.skip();
    const kernel = k.verdicts(CASES.map((c) => ({ type: 'socket_filter', insns: assemble(c.src) })));
    expect(CASES.map((c, i) => [c.name, kernel[i]!.accepted])).toEqual(CASES.map((c) => [c.name, c.accepted]));
  });
});
