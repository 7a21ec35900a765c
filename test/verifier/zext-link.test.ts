/**
 * A linked copy through clang's zero-extension `r <<= 32; r >>= 32` (src/verifier/analysis/links.ts
 * shiftedLink): inspektor-gadget's histogram slot (profile_tcprtt: `slot = log2(v) + 1`, zero-extended
 * from 32 bits, then `if (log2(v) > 24) slot = 26`) indexes a 108-byte value. The kernel accepts it by
 * walking each path of log2's branches, on which the log2 has a tight range; tsbpf joins those paths
 * and keeps the copy's link instead. Each case has the live kernel's verdict (asked where bpf() works);
 * the one where the two differ is recorded as such: a link through the shifts that no path of the
 * kernel's proves (tsbpf accepts a safe program the kernel refuses).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram, type MapInfo } from '../../src/verifier/index.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';

/** An array of one 108-byte value: 27 u32 histogram slots. */
const MAPS: Readonly<Record<number, MapInfo>> = { 1: { type: 2, keySize: 4, valueSize: 108, maxEntries: 1 } };

/** r7 = the value (or the program returns), then `body`, then `r0 = 0; exit`. */
const program = (body: readonly string[]): string =>
  ['r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out', 'r7 = r0', ...body, 'out:', 'r0 = 0', 'exit'].join('\n');

/** log2 of a u32 read from the value by clang's branch-free steps (r2), its slot r3 = log2 + 1 zero-extended, capped at 26 past `cap`. */
const slot = (cap: number): string[] => [
  'r1 = *(u32 *)(r7 + 4)', 'r1 >>= 3', 'r3 = 0', 'if r1 == 0 goto zero',
  'r1 <<= 32', 'r1 >>= 32', 'r3 = 1', 'r4 = 1', 'if r1 > 0xffff goto a', 'r4 = 0',
  'a:', 'r4 <<= 4', 'r1 >>= r4', 'r2 = 1', 'if r1 > 0xff goto b', 'r2 = 0',
  'b:', 'r2 <<= 3', 'r1 >>= r2', 'r2 |= r4', 'r4 = 1', 'if r1 > 0xf goto c', 'r4 = 0',
  'c:', 'r4 <<= 2', 'r2 |= r4', 'r1 >>= r4', 'if r1 > 0x3 goto d', 'r3 = 0',
  'd:', 'r3 <<= 1', 'r2 |= r3', 'r1 >>= r3', 'r1 >>= 1', 'r2 |= r1', 'r1 = 26',
  'r3 = r2', 'r3 += 1', 'r3 <<= 32', 'r3 >>= 32', `if r2 > ${cap} goto capped`,
  'zero:', 'r1 = r3',
  'capped:', 'r1 <<= 2', 'r7 += r1', 'r1 = 1', 'lock *(u32 *)(r7 + 0) += r1',
];

/** r2 = a copy of `r6` (set by `load`) plus 1, shifted by `shifts`; r6 tested against 6; r2 indexes the value's u32s. */
const copy = (load: readonly string[], shifts: readonly string[]): string[] => [...load, 'r2 = r6', 'r2 += 1', ...shifts, 'if r6 > 6 goto out', 'r2 <<= 2', 'r7 += r2', 'r0 = *(u32 *)(r7 + 0)'];
const ZEXT = ['r2 <<= 32', 'r2 >>= 32'];
/** r6 = a number below 2^31 read from the value. */
const U31 = ['r6 = *(u32 *)(r7 + 8)', 'r6 >>= 1'];

interface Case {
  readonly name: string;
  readonly body: readonly string[];
  readonly kernelAccepts: boolean;
  /** tsbpf's verdict where it is not the kernel's (and why). */
  readonly tsbpfAccepts?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'the histogram slot, capped past 24 (profile_tcprtt)', body: slot(24), kernelAccepts: true },
  { name: 'the histogram slot, capped past 25 (slot 26 at most: the last u32)', body: slot(25), kernelAccepts: true },
  { name: 'twin: capped past 26 (slot 27, one past the value)', body: slot(26), kernelAccepts: false },
  { name: 'twin: capped past 27', body: slot(27), kernelAccepts: false },
  { name: 'a copy of a u64 zero-extended: not the same value, no link', body: copy(['r6 = *(u64 *)(r7 + 8)'], ZEXT), kernelAccepts: false },
  { name: 'a copy of a u31 shifted left 32 and right 31: no link', body: copy(U31, ['r2 <<= 32', 'r2 >>= 31']), kernelAccepts: false },
  { name: 'a copy of a u31 shifted left 32, moved, and right 32: no link', body: copy(U31, ['r2 <<= 32', 'r2 += 0', 'r2 >>= 32']), kernelAccepts: false },
  { name: 'a copy of a u32 plus 1 zero-extended: 2^32 wraps to 0, no link', body: copy(['r6 = *(u32 *)(r7 + 8)'], ZEXT), kernelAccepts: false },
  { name: 'a copy of a u31 without the shifts', body: copy(U31, []), kernelAccepts: true },
  {
    name: 'a copy of a u31 plus 1 zero-extended, its original tested (no path of the kernel\'s bounds the copy)',
    body: copy(U31, ZEXT),
    kernelAccepts: false,
    tsbpfAccepts: true,
  },
];

describe('a linked copy through a zero-extension, against the kernel', () => {
  for (const c of CASES) {
    const accepts = c.tsbpfAccepts ?? c.kernelAccepts;
    it(`${accepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const errors = checkProgram(assemble(program(c.body)), { level: 'kernel', programType: 'kprobe', maps: MAPS }).filter((i) => i.severity === 'error');
      if (accepts) expect(errors.map((e) => `${e.pc} ${e.rule}: ${e.message}`)).toEqual([]);
      else expect(errors.map((e) => e.rule)).toContain('map-value-access');
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: 'kprobe', insns: assemble(program(c.body)), maps: MAPS, logLevel: 1 }));
});
