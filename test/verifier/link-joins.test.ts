/**
 * Links kept through joins and packet ranges keyed on them (issue 14, src/verifier/analysis/link-join.ts):
 * tailscale's DERP checksum loop as clang builds it, `for (i = 0; i < max; i += 2) { if (buf + 1 >
 * data_end) break; seed += *buf; buf++; }` with the offset in r7 and its copy one step ahead in r8,
 * `r7 = r8` at the latch. The kernel walks every pass with constants; tsbpf joins at the head, where
 * r7 and r8 stay linked (0 and 0 on entry, a copy on the back edge) and the bytes the latch's test
 * proves past `buf + 4` on one pass are bytes past the next pass's `buf`. Each safe case has unsafe
 * twins the kernel refuses. Kernel verdicts recorded (kernel 6.18, root) and asked again where bpf() works.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';

interface LinkJoinCase {
  readonly name: string;
  readonly source: string;
  readonly kernelAccepts: boolean;
}

interface Loop {
  /** Bytes the latch proves past the pointer read (`r4 += ahead; if r3 >= r4`): 4 reads 2 bytes at the step 2. */
  readonly ahead?: number;
  /** The offset's step (2). */
  readonly step?: number;
  /** A second entry path's offset and copy (after a test of the first packet byte); the entry proves `offset + 2 + extra` bytes. */
  readonly second?: readonly [number, number];
  /** Bytes the entry test proves beyond 2. */
  readonly extra?: number;
  /** The loop body steps the copy once more when the byte read is 7 (the link broken on one path). */
  readonly skip?: boolean;
}

function loop(o: Loop = {}): string {
  const second = o.second === undefined ? [] : ['r5 = *(u8 *)(r6 + 0)', 'if r5 == 0 goto head', `r7 = ${o.second[0]}`, `r8 = ${o.second[1]}`];
  return [
    'r2 = *(u32 *)(r1 + 0)',
    'r3 = *(u32 *)(r1 + 4)',
    'r6 = r2',
    'r0 = 0',
    'r1 = r6',
    `r1 += ${2 + (o.extra ?? 0)}`,
    'if r1 > r3 goto out',
    'r7 = 0',
    'r8 = 0',
    ...second,
    'head:',
    'r4 = r6',
    'r4 += r7',
    'r5 = *(u16 *)(r4 + 0)',
    'r0 += r5',
    `r8 += ${o.step ?? 2}`,
    ...(o.skip === true ? ['if r5 != 7 goto on', 'r8 += 2', 'on:'] : []),
    'r7 <<= 32',
    'r7 >>= 32',
    'if r7 > 1457 goto out',
    `r4 += ${o.ahead ?? 4}`,
    'r7 = r8',
    'if r3 >= r4 goto head',
    'out:',
    'r0 = 2',
    'exit',
  ].join('\n');
}

const CASES: readonly LinkJoinCase[] = [
  { name: 'the DERP checksum loop: 2 bytes read at buf, buf + 4 tested before buf += 2', kernelAccepts: true, source: loop() },
  { name: 'the latch tests buf + 3: one byte short on the next pass', kernelAccepts: false, source: loop({ ahead: 3 }) },
  { name: 'the offset steps 3 past what the latch tests', kernelAccepts: false, source: loop({ step: 3 }) },
  { name: 'one path in the body steps the copy twice', kernelAccepts: false, source: loop({ skip: true }) },
  { name: 'entered at offset 0 or 2 (both with their copy, 4 bytes proved)', kernelAccepts: true, source: loop({ second: [2, 2], extra: 2 }) },
  { name: 'entered at offset 0, or 2 with a copy at 3', kernelAccepts: false, source: loop({ second: [2, 3], extra: 2 }) },
  { name: 'entered at offset 0 or 2 with 2 bytes proved', kernelAccepts: false, source: loop({ second: [2, 2] }) },
];

const accepted = (src: string): boolean => !checkProgram(assemble(src), { level: 'kernel', programType: 'xdp' }).some((i) => i.severity === 'error');

describe('links kept through joins, packet ranges keyed on them', () => {
  it.each(CASES)('$name', ({ source, kernelAccepts }) => {
    expect(accepted(source)).toBe(kernelAccepts);
  });

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: 'xdp', insns: assemble(c.source) }));
});
