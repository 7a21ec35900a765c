/**
 * Loops whose registers keep a linear equality across the back edge (test/verifier/relations.test.ts):
 * xxhash's tail loop as clang 14 builds it (bpf-developer-tutorial's xdp_lb), a pointer stepping by 4 or
 * by 1 through a stack buffer while the low half of a 64-bit length falls by as much (`r8 +=
 * 0xfffffffc`), the exit test `len == 0` on the 1-byte path only. `pointer + low32(len)` stays what it
 * was on entry (src/verifier/analysis/relations.ts). Each safe case has unsafe twins the kernel rejects:
 * a pointer stepping by one more than the length, a length one byte longer than the buffer, the fact
 * broken on one path, a test that lets the 4-byte step wrap the length.
 * Kernel verdicts recorded (kernel 6.18, root) and asked again where bpf() works.
 */
import type { KernelProgramType } from '../../src/verifier/index.js';

export interface RelationCase {
  readonly name: string;
  readonly type: KernelProgramType;
  readonly source: string;
  readonly kernelAccepts: boolean;
}

const lines = (...l: string[]): string => l.join('\n');

interface TailLoop {
  /** Bytes of the buffer below r10 (zeroed first); the pointer starts at its first byte. */
  readonly buf?: number;
  /** The length on entry (default: the buffer's). */
  readonly len?: number | readonly number[];
  /** What the 4-byte and 1-byte paths add to the pointer (4 and 1). */
  readonly step4?: number;
  readonly step1?: number;
  /** The least length the 4-byte path runs with (4); `imm`: tested against the constant, not a register. */
  readonly min4?: number;
  readonly imm?: boolean;
}

/**
 * xxhash's tail: `while (len >= 4) { h += p[0] + p[3]; p += 4; len -= 4 } while (len != 0) { h += p[0]; p += 1; len -= 1 }`
 * with one loop head, as clang writes it: `len` a 64-bit register whose low half is the length.
 */
function tailLoop(o: TailLoop = {}): string {
  const buf = o.buf ?? 12;
  const lens = typeof o.len === 'number' ? [o.len] : o.len ?? [buf];
  const zero: string[] = [];
  for (let at = -8; at >= -buf - 7; at -= 8) zero.push(`*(u64 *)(r10 ${at}) = 0`);
  // several lengths on entry: paths chosen by a packet byte
  const entry = lens.length === 1 ? [`r8 = ${lens[0]}`] : [
    'r2 = *(u32 *)(r1 + 4)', 'r1 = *(u32 *)(r1 + 0)', 'r3 = r1', 'r3 += 1', `r8 = ${lens[0]}`, 'if r3 > r2 goto go', 'r3 = *(u8 *)(r1 + 0)',
    ...lens.slice(1).flatMap((l, k) => [`if r3 != ${k} goto +1`, `r8 = ${l}`]), 'go:',
  ];
  return lines(
    ...entry,
    ...zero,
    'r1 = r10',
    `r1 += -${buf}`,
    'r9 = 0',
    `r2 = ${o.min4 ?? 4}`,
    'head:',
    'r4 = r8',
    'r4 <<= 32',
    'r4 >>= 32',
    o.imm === true ? `if r4 < ${o.min4 ?? 4} goto small` : 'if r2 > r4 goto small',
    'r0 = *(u8 *)(r1 + 0)',
    'r9 += r0',
    'r0 = *(u8 *)(r1 + 3)',
    'r9 += r0',
    'r5 = 0xfffffffc ll',
    `r4 = ${o.step4 ?? 4}`,
    'latch:',
    'r5 += r8',
    'r1 += r4',
    'r8 = r5',
    'goto head',
    'small:',
    'if r4 == 0 goto out',
    'r0 = *(u8 *)(r1 + 0)',
    'r9 += r0',
    'r5 = 0xffffffff ll',
    `r4 = ${o.step1 ?? 1}`,
    'goto latch',
    'out:',
    'r0 = 2',
    'exit',
  );
}

export const RELATION_CASES: readonly RelationCase[] = [
  { name: 'xxhash tail: 12 bytes at r10 - 12, length 12 (the 4-byte path three times)', type: 'xdp', kernelAccepts: true, source: tailLoop() },
  { name: 'the same, 14 bytes (the 1-byte path twice, at r10 - 2 and r10 - 1)', type: 'xdp', kernelAccepts: true, source: tailLoop({ buf: 14 }) },
  { name: 'the same tested against the constant 4', type: 'xdp', kernelAccepts: true, source: tailLoop({ buf: 15, imm: true }) },
  { name: 'a length of 8, 12 or 5 on entry (three paths)', type: 'xdp', kernelAccepts: true, source: tailLoop({ len: [12, 8, 5] }) },
  { name: 'the pointer stepping by 5 on the 4-byte path: reads r10 + 1', type: 'xdp', kernelAccepts: false, source: tailLoop({ step4: 5 }) },
  { name: 'a length of 13 for 12 bytes: the last byte read is r10 + 0', type: 'xdp', kernelAccepts: false, source: tailLoop({ len: 13 }) },
  { name: 'a length of 12 or 13 on entry', type: 'xdp', kernelAccepts: false, source: tailLoop({ len: [12, 13] }) },
  { name: 'the 1-byte path stepping the pointer by 2: reads r10 + 0', type: 'xdp', kernelAccepts: false, source: tailLoop({ buf: 14, step1: 2 }) },
  { name: 'the 4-byte path taken from a length of 3: reads 4 bytes at r10 - 3', type: 'xdp', kernelAccepts: false, source: tailLoop({ buf: 15, min4: 3 }) },
  { name: 'the same with the constant 3', type: 'xdp', kernelAccepts: false, source: tailLoop({ buf: 15, min4: 3, imm: true }) },
];
