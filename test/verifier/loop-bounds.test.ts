/**
 * Loops whose counters the kernel bounds by walking each iteration, and tsbpf by two general rules of
 * its fixpoint: widening with the loop's own constants as thresholds (analysis/thresholds.ts: a counter
 * tested by `!=` or bounded before its increment stays exact) and derived induction variables
 * (analysis/induction.ts: a pointer stepping with a counter is bounded by it). The shapes are those of
 * loxilb's checksum and NAT-selection loops and the bpf-developer-tutorial's xdp-tcpdump, written here
 * from scratch. Each safe program has an unsafe twin (one iteration too many) that both refuse; the
 * kernel's verdicts are asked live where bpf() works (skipped with a note otherwise).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram, type MapInfo } from '../../src/verifier/index.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';

const MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 64, maxEntries: 1 },
  2: { type: 2, keySize: 4, valueSize: 1578, maxEntries: 1 },
};

const lines = (...l: string[]): string => l.join('\n');
/** r0 = a value of map `m` (key 0), or the program returns. */
const lookup = (m: number): string[] => ['r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', `r1 = map_fd ${m} ll`, 'call 1', 'if r0 == 0 goto out'];

/** Sum the bytes of a 16-byte stack buffer, the counter tested by `!=` after its increment (`w`: in 32 bits). */
const stackSum = (bound: number, w: boolean): string =>
  lines(
    'r1 = 0', '*(u64 *)(r10 - 16) = r1', '*(u64 *)(r10 - 8) = r1', w ? 'w6 = 0' : 'r6 = 0', 'r7 = 0',
    'loop:', 'r1 = r10', 'r1 += -16', 'r1 += r6', 'r2 = *(u8 *)(r1 + 0)', 'r7 += r2',
    w ? 'w6 += 1' : 'r6 += 1', `if ${w ? 'w6' : 'r6'} != ${bound} goto loop`,
    'r0 = r7', 'r0 &= 1', 'exit',
  );

/** Fill a 64-byte map value from offset 4, the counter bounded before its increment, the loop's end a number read at run time. */
const fill = (bound: number): string =>
  lines(
    ...lookup(1), 'r4 = *(u32 *)(r0 + 0)', 'r9 = 0',
    'loop:', 'r3 = r0', 'r3 += r9', '*(u8 *)(r3 + 4) = r9', `if r9 > ${bound} goto out`, 'r9 += 1', 'if r4 > r9 goto loop',
    'out:', 'r0 = 2', 'exit',
  );

/** Find an active entry in an array of 32 48-byte entries at offset 89 of a map value: a pointer stepping with the counter. */
const stride = (count: number): string =>
  lines(
    ...lookup(2), 'r1 = 0', 'r2 = r0', 'r2 += 89',
    'loop:', 'r3 = *(u8 *)(r2 + 0)', 'if r3 == 0 goto out', 'r2 += 48', 'r1 += 1', `if r1 == ${count} goto out`, 'goto loop',
    'out:', 'r0 = 2', 'exit',
  );

/** The same, the pointer stepping down from the last entry while the counter steps up. */
const strideDown = (count: number): string =>
  lines(
    ...lookup(2), 'r1 = 0', 'r2 = r0', 'r2 += 1577',
    'loop:', 'r3 = *(u8 *)(r2 + 0)', 'if r3 == 0 goto out', 'r2 += -48', 'r1 += 1', `if r1 == ${count} goto out`, 'goto loop',
    'out:', 'r0 = 2', 'exit',
  );

/**
 * Not an induction variable: the pointer steps 48 bytes on one path and 96 on the other, so the counter
 * does not bound it (the entries at 89 + 48k, k < 32, and past the value on the 96-byte path).
 */
const uneven = lines(
  ...lookup(2), 'r1 = 0', 'r2 = r0', 'r2 += 89',
  'loop:', 'r3 = *(u8 *)(r2 + 0)', 'if r3 == 0 goto out', 'r2 += 48', 'if r3 != 7 goto step', 'r2 += 48',
  'step:', 'r1 += 1', 'if r1 == 32 goto out', 'goto loop',
  'out:', 'r0 = 2', 'exit',
);

/** Not a loop entered at its head only: a second entry mid-loop with the pointer already at the last entry. */
const midEntry = lines(
  ...lookup(2), 'r1 = 0', 'r2 = r0', 'r2 += 89', 'r3 = *(u8 *)(r0 + 0)', 'if r3 == 0 goto loop', 'r2 += 1488', 'goto mid',
  'loop:', 'r3 = *(u8 *)(r2 + 0)', 'if r3 == 0 goto out',
  'mid:', 'r2 += 48', 'r1 += 1', 'if r1 == 32 goto out', 'goto loop',
  'out:', 'r0 = 2', 'exit',
);

interface Case {
  readonly name: string;
  readonly source: string;
  readonly kernelAccepts: boolean;
  /** The rule of the first error, for the programs the kernel refuses. */
  readonly rule?: string;
}

const CASES: readonly Case[] = [
  { name: 'counter tested by != indexes a stack buffer', source: stackSum(16, false), kernelAccepts: true },
  { name: 'twin: one byte past the stack', source: stackSum(17, false), kernelAccepts: false, rule: 'stack-access' },
  { name: '32-bit counter tested by != indexes a stack buffer', source: stackSum(16, true), kernelAccepts: true },
  { name: 'twin: 32-bit, one byte past the stack', source: stackSum(17, true), kernelAccepts: false, rule: 'stack-access' },
  { name: 'counter bounded before its increment indexes a map value', source: fill(58), kernelAccepts: true },
  { name: 'twin: one byte past the map value', source: fill(59), kernelAccepts: false, rule: 'map-value-access' },
  { name: 'pointer stepping with a counter tested by ==', source: stride(32), kernelAccepts: true },
  { name: 'twin: one entry past the map value', source: stride(33), kernelAccepts: false, rule: 'map-value-access' },
  { name: 'pointer stepping down with a counter stepping up', source: strideDown(32), kernelAccepts: true },
  { name: 'twin: one entry before the map value', source: strideDown(34), kernelAccepts: false, rule: 'map-value-access' },
  { name: 'a pointer stepping unevenly is not bounded by the counter', source: uneven, kernelAccepts: false, rule: 'map-value-access' },
  { name: 'a loop entered past its head: the counter does not bound the pointer', source: midEntry, kernelAccepts: false, rule: 'map-value-access' },
];

describe('loop counters bounded as the kernel bounds them', () => {
  for (const c of CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const errors = checkProgram(assemble(c.source), { level: 'kernel', programType: 'xdp', maps: MAPS }).filter((i) => i.severity === 'error');
      if (c.kernelAccepts) expect(errors.map((e) => `${e.pc} ${e.message}`)).toEqual([]);
      else expect(errors[0]?.rule).toBe(c.rule);
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: 'xdp' as const, insns: assemble(c.source), maps: MAPS, logLevel: 1 }));
});
