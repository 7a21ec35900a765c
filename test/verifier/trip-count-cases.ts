/**
 * Loops whose registers move together (test/verifier/trip-count.test.ts): a counter stepping by a
 * constant to an exit test and a second variable (a map value pointer, an offset) stepping with it, the
 * shapes of bcc's ksnoop (`r8 += 24` to `!= 144` beside `r6 += 296`). The analysis ties the second to
 * the first by the trip count (src/verifier/analysis/trip-count.ts). Each safe case has unsafe twins the
 * kernel rejects: a bound the counter steps past, a second variable that walks out of the value on the
 * last iteration, a path that moves one variable and not the other, a path around the exit test.
 * Kernel verdicts recorded (kernel 6.18, root) and asked again where bpf() works.
 */
import type { KernelProgramType } from '../../src/verifier/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';

/** An array of one 208-byte value: 6 slots of 40 bytes at the front (the last ends at 240 - 32 = 208, see the cases). */
export const TRIP_COUNT_MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 208, maxEntries: 1 },
};

export interface TripCountCase {
  readonly name: string;
  readonly type: KernelProgramType;
  readonly source: string;
  readonly kernelAccepts: boolean;
}

const lines = (...l: string[]): string => l.join('\n');

/** Look up the value (r9 and r6 point to it), then the loop `body`, then `r0 = 2; exit`. */
const withValue = (...body: string[]): string =>
  lines('r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out', 'r6 = r0', 'r9 = r0', ...body, 'out:', 'r0 = 2', 'exit');

/**
 * The loop: `r8` from `start` by 24 while `r8 != 144` (tested after the step; `test` replaces the
 * test), `r6` by `step6` through the value; a `continue` path (a word of the slot is 7) that skips the
 * store but not the steps (`skip` sends it elsewhere, to code in `tail`).
 */
const strideLoop = (o: { start?: string[]; step6?: number; test?: string; skip?: string; tail?: string[] } = {}): string =>
  withValue(
    ...(o.start ?? ['r8 = 0']),
    'head:',
    'r1 = *(u32 *)(r6 + 0)',
    'r2 = r9',
    'r2 += r8',
    '*(u32 *)(r2 + 0) = r1',
    `if r1 == 7 goto ${o.skip ?? 'latch'}`,
    'r1 += 1',
    '*(u32 *)(r6 + 4) = r1',
    'latch:',
    `r6 += ${o.step6 ?? 40}`,
    'r8 += 24',
    'test:',
    o.test ?? 'if r8 != 144 goto head',
    'goto out',
    ...(o.tail ?? []),
  );

export const TRIP_COUNT_CASES: readonly TripCountCase[] = [
  { name: 'r8 by 24 to != 144, a value pointer by 40: offsets 0..200 of 208 bytes', type: 'xdp', kernelAccepts: true, source: strideLoop() },
  { name: 'the same with the pointer stepping by 41: 205 + 8 > 208 on the last iteration', type: 'xdp', kernelAccepts: false, source: strideLoop({ step6: 41 }) },
  { name: 'the same with != 150, which 24 never meets from 0', type: 'xdp', kernelAccepts: false, source: strideLoop({ test: 'if r8 != 150 goto head' }) },
  {
    name: 'the counter starting at 0 or 8 (8 never meets 144)',
    type: 'xdp',
    kernelAccepts: false,
    source: strideLoop({ start: ['r8 = 0', 'r3 = *(u32 *)(r9 + 0)', 'if r3 != 1 goto head', 'r8 = 8'] }),
  },
  { name: 'a continue path that steps the pointer but not the counter', type: 'xdp', kernelAccepts: false, source: strideLoop({ skip: 'only6', tail: ['only6:', 'r6 += 40', 'goto test'] }) },
  { name: 'a path back to the head around the exit test', type: 'xdp', kernelAccepts: false, source: strideLoop({ skip: 'around', tail: ['around:', 'r6 += 40', 'r8 += 24', 'goto head'] }) },
  { name: 'the counter tested with < instead: r8 < 144', type: 'xdp', kernelAccepts: true, source: strideLoop({ test: 'if r8 < 144 goto head' }) },
  { name: 'the counter tested with < 145: one more iteration, 240 + 8 > 208', type: 'xdp', kernelAccepts: false, source: strideLoop({ test: 'if r8 < 145 goto head' }) },
  { name: 'a 32-bit test: w8 != 144', type: 'xdp', kernelAccepts: true, source: strideLoop({ test: 'if w8 != 144 goto head' }) },
  {
    name: 'a falling counter: r7 from 6 by -1 to != 0, the pointer by 40',
    type: 'xdp',
    kernelAccepts: true,
    source: withValue('r7 = 6', 'r8 = 0', 'head:', 'r1 = *(u32 *)(r6 + 4)', 'r1 += r7', '*(u32 *)(r6 + 0) = r1', 'r6 += 40', 'r7 += -1', 'if r7 != 0 goto head'),
  },
  {
    name: 'the same from 7: one more iteration, 240 + 8 > 208',
    type: 'xdp',
    kernelAccepts: false,
    source: withValue('r7 = 7', 'r8 = 0', 'head:', 'r1 = *(u32 *)(r6 + 4)', 'r1 += r7', '*(u32 *)(r6 + 0) = r1', 'r6 += 40', 'r7 += -1', 'if r7 != 0 goto head'),
  },
  { name: 'the counter in a stack slot (filled, stepped, spilled, tested): 6 iterations', type: 'xdp', kernelAccepts: true, source: slotLoop() },
  { name: 'the same to != 7: one more iteration, 240 + 8 > 208', type: 'xdp', kernelAccepts: false, source: slotLoop({ test: 'if r7 != 7 goto head' }) },
  {
    name: 'the same with the slot set back to 0 through another stack pointer on one path',
    type: 'xdp',
    kernelAccepts: false,
    source: slotLoop({ body: ['if r1 != 7 goto +3', 'r2 = r10', 'r2 += -16', '*(u64 *)(r2 + 0) = 0'] }),
  },
  {
    name: 'the same with a helper passed the 8 bytes above the slot',
    type: 'xdp',
    kernelAccepts: true,
    source: slotLoop({ body: ['*(u64 *)(r10 - 8) = 0', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0', 'call 6'] }),
  },
  {
    name: 'the counter tested against a register holding 144, unchanged in the loop',
    type: 'xdp',
    kernelAccepts: true,
    source: strideLoop({ start: ['r8 = 0', 'r7 = 144'], test: 'if r8 != r7 goto head' }),
  },
  {
    name: 'the same with the register holding 168: one more iteration',
    type: 'xdp',
    kernelAccepts: false,
    source: strideLoop({ start: ['r8 = 0', 'r7 = 168'], test: 'if r8 != r7 goto head' }),
  },
  {
    name: 'the same with the register set to 144 in the loop, before the test',
    type: 'xdp',
    kernelAccepts: true,
    source: strideLoop({ test: 'r7 = 144\nif r8 != r7 goto head' }),
  },
  {
    name: 'the same set to 168 in the loop: one more iteration',
    type: 'xdp',
    kernelAccepts: false,
    source: strideLoop({ test: 'r7 = 168\nif r8 != r7 goto head' }),
  },
  { name: 'an offset stepped by 40 on one path only, while r7 counts 6 down: at most 200', type: 'xdp', kernelAccepts: true, source: sometimesLoop(6) },
  { name: 'the same counting 7 down: 240 + 4 > 208 on the last iteration', type: 'xdp', kernelAccepts: false, source: sometimesLoop(7) },
  {
    name: 'the same with the register on the left: 144 > r8',
    type: 'xdp',
    kernelAccepts: true,
    source: strideLoop({ start: ['r8 = 0', 'r7 = 144'], test: 'if r7 > r8 goto head' }),
  },
];

/**
 * A counter kept in the slot at r10 - 16 (clang's shape when registers run out): filled into r7,
 * stepped, spilled back and tested each iteration, `r6` stepping by 40 through the value; `body` runs
 * first in each iteration (r1 holding the slot's word).
 */
function slotLoop(o: { test?: string; body?: string[] } = {}): string {
  return withValue(
    'r7 = 0',
    '*(u64 *)(r10 - 16) = r7',
    'head:',
    'r1 = *(u32 *)(r6 + 0)',
    ...(o.body ?? []),
    'r1 = *(u32 *)(r6 + 0)',
    'r1 += 1',
    '*(u32 *)(r6 + 4) = r1',
    'r6 += 40',
    'r7 = *(u64 *)(r10 - 16)',
    'r7 += 1',
    '*(u64 *)(r10 - 16) = r7',
    o.test ?? 'if r7 != 6 goto head',
  );
}

/** `r8` stepped by 40 only where the value's first word is not 7, indexing the value before its step; `r7` counts `n` down. */
function sometimesLoop(n: number): string {
  return withValue(`r7 = ${n}`, 'r8 = 0', 'head:', 'r2 = r9', 'r2 += r8', 'r1 = *(u32 *)(r6 + 0)', '*(u32 *)(r2 + 0) = r1', 'if r1 == 7 goto skip', 'r8 += 40', 'skip:', 'r7 += -1', 'if r7 != 0 goto head');
}
