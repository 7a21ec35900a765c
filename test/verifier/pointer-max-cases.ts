/**
 * A map value or stack pointer plus a number with a large maximum (test/verifier/pointer-max.test.ts):
 * the kernel allows the arithmetic (inspektor-gadget's path helper returns `&buf[off]` for a `u32 off`
 * and hands it to bpf_probe_read_str as the source) and refuses an access through the pointer, a
 * constant 2^29 or more from 0, a number whose least value is that far, and an offset past the signed
 * 64-bit range. Kernel verdicts recorded (kernel 6.18, root) and asked again where bpf() works.
 */
import type { MapInfo } from '../../src/verifier/analysis/index.js';

/** An array of one 64-byte value. */
export const POINTER_MAX_MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 64, maxEntries: 1 },
};

export interface PointerMaxCase {
  readonly name: string;
  readonly body: readonly string[];
  readonly kernelAccepts: boolean;
}

/** A kprobe: look up the value (r6), then `body`, then `r0 = 0; exit`. */
export function pointerMaxProgram(body: readonly string[]): string {
  return ['r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out', 'r6 = r0', ...body, 'out:', 'r0 = 0', 'exit'].join('\n');
}

/** bpf_probe_read_kernel(fp - 16, 8, `src`): the source is any address (not checked). */
const readFrom = (src: string): string[] => ['r1 = r10', 'r1 += -16', 'r2 = 8', `r3 = ${src}`, 'call 113'];

export const POINTER_MAX_CASES: readonly PointerMaxCase[] = [
  { name: 'value + u32, the pointer a probe read source', kernelAccepts: true, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + a u64 halved (at most 2^63 - 1)', kernelAccepts: true, body: ['r1 = *(u64 *)(r6 + 0)', 'r1 >>= 1', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + u32, then -1 and -100', kernelAccepts: true, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', 'r6 += -1', 'r6 += -100', ...readFrom('r6')] },
  { name: 'fp + u32, the pointer a probe read source', kernelAccepts: true, body: ['r1 = *(u32 *)(r6 + 0)', 'r7 = r10', 'r7 += r1', ...readFrom('r7')] },
  { name: 'value + a number in [2^29 - 256, 2^29 - 1]', kernelAccepts: true, body: ['r1 = *(u32 *)(r6 + 0)', 'r1 &= 0xff', 'r1 += 0x1fffff00', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + u32, spilled and filled', kernelAccepts: true, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', '*(u64 *)(r10 - 24) = r6', 'r6 = *(u64 *)(r10 - 24)', ...readFrom('r6')] },
  { name: 'value + the constant 2^29 - 1', kernelAccepts: true, body: ['r1 = 0x1fffffff', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + u32, then a loop adding 1 five times', kernelAccepts: true, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', 'r7 = 0', 'l:', 'r6 += 1', 'r7 += 1', 'if r7 < 5 goto l', ...readFrom('r6')] },
  { name: 'value + an unknown u64 (no least value)', kernelAccepts: false, body: ['r1 = *(u64 *)(r6 + 0)', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + u32, then a load through it', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', 'r0 = *(u8 *)(r6 + 0)'] },
  { name: 'value + u32, a copy loaded through', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', 'r2 = r6', 'r0 = *(u8 *)(r2 + 0)'] },
  { name: 'value + u32 as a probe read destination', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', 'r1 = r6', 'r2 = 8', 'r3 = 0', 'call 113'] },
  { name: 'fp + u32, then a load through it', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r7 = r10', 'r7 += -64', 'r7 += r1', 'r0 = *(u8 *)(r7 + 0)'] },
  { name: 'value + a number whose least value is 2^29', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r1 |= 0x20000000', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + a halved u64 twice (past 2^63)', kernelAccepts: false, body: ['r1 = *(u64 *)(r6 + 0)', 'r1 >>= 1', 'r6 += r1', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + the constant 2^29', kernelAccepts: false, body: ['r1 = 0x20000000', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + the constant -2^29', kernelAccepts: false, body: ['r1 = -0x20000000', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value - u32', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r6 -= r1', ...readFrom('r6')] },
  {
    name: 'value + u32 twice, brought back down by constants, then loaded through',
    kernelAccepts: false,
    body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', 'r6 += r1', 'r6 += -0x1fffffff', 'r6 += -0x1fffffff', 'r6 += -0x1fffffff', 'r6 += -0x1fffffff', 'r0 = *(u8 *)(r6 + 0)'],
  },
];
