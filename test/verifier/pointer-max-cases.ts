/**
 * A map value or stack pointer plus a number with a large maximum (test/verifier/pointer-max.test.ts):
 * the kernel allows the arithmetic (inspektor-gadget's path helper returns `&buf[off]` for a `u32 off`
 * and hands it to bpf_probe_read_str as the source) and refuses an access through the pointer, a
 * constant 2^29 or more from 0, a number whose least value is that far, and an offset past the signed
 * 64-bit range. A helper argument the pointer may be depends on its prototype: an address the helper
 * does not check (a probe read's source, a printk argument) is allowed, memory it reads or writes (a map
 * key or value, a destination, a buffer with its size, even of 0 bytes) must lie inside its object.
 * Kernel verdicts recorded (kernel 6.18, root) and asked again where bpf() works.
 */
import type { MapInfo } from '../../src/verifier/analysis/index.js';

/** An array of one 64-byte value (1), a ring buffer (2). */
export const POINTER_MAX_MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 64, maxEntries: 1 },
  2: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
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

/** r6 = the value plus a u32 read from it. */
const valuePlusU32 = ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1'];
/** r7 = fp - 64 plus a u32 read from the value. */
const fpPlusU32 = ['r1 = *(u32 *)(r6 + 0)', 'r7 = r10', 'r7 += -64', 'r7 += r1'];
/** bpf_probe_read_kernel(`dst`, 0, NULL): a helper memory argument of no bytes. */
const readNothingInto = (dst: string): string[] => [`r1 = ${dst}`, 'r2 = 0', 'r3 = 0', 'call 113'];
/** r6 += 1 (or `step`) `n` times in a loop counted by r7. */
const loopAdding = (step: number, n: number, reg = 'r6'): string[] => ['r7 = 0', 'l:', `${reg} += ${step}`, 'r7 += 1', `if r7 < ${n} goto l`];

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
  // the pointer as a value, an operand and an argument the helper does not check: allowed
  { name: 'fp + u32, a probe_read_kernel_str source', kernelAccepts: true, body: [...fpPlusU32, 'r1 = r10', 'r1 += -16', 'r2 = 8', 'r3 = r7', 'call 115'] },
  { name: 'value + u32, a probe_read_user_str source', kernelAccepts: true, body: [...valuePlusU32, 'r1 = r10', 'r1 += -16', 'r2 = 8', 'r3 = r6', 'call 114'] },
  { name: 'value + u32 three times, a probe read source', kernelAccepts: true, body: [...valuePlusU32, 'r6 += r1', 'r6 += r1', ...readFrom('r6')] },
  { name: 'value + u32 stored into the value (root may leak it)', kernelAccepts: true, body: ['r8 = r6', ...valuePlusU32, '*(u64 *)(r8 + 8) = r6'] },
  { name: 'value + u32 compared with the value pointer', kernelAccepts: true, body: ['r8 = r6', ...valuePlusU32, 'if r6 > r8 goto +1', 'r0 = 1', ...readFrom('r6')] },
  { name: 'value + u32 minus the value pointer: a number', kernelAccepts: true, body: ['r8 = r6', ...valuePlusU32, 'r6 -= r8', 'r0 = r6'] },
  { name: 'value + u32, a trace_printk argument', kernelAccepts: true, body: [...valuePlusU32, 'r1 = 0x0a', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = r6', 'call 6'] },
  { name: 'value + u32, then a loop adding 1 a hundred times', kernelAccepts: true, body: [...valuePlusU32, ...loopAdding(1, 100), ...readFrom('r6')] },
  { name: 'value + u32, then a loop adding -1 twenty times', kernelAccepts: true, body: [...valuePlusU32, ...loopAdding(-1, 20), ...readFrom('r6')] },
  { name: 'fp - 64 + u32, then a loop adding 8 twenty times', kernelAccepts: true, body: [...fpPlusU32, ...loopAdding(8, 20, 'r7'), ...readFrom('r7')] },
  { name: 'a helper memory argument of 0 bytes at the value\'s end', kernelAccepts: true, body: ['r6 += 64', ...readNothingInto('r6')] },
  { name: 'a helper memory argument of 0 bytes at value + [0, 63]', kernelAccepts: true, body: ['r1 = *(u32 *)(r6 + 0)', 'r1 &= 63', 'r6 += r1', ...readNothingInto('r6')] },
  // twins: a helper argument that must be a bounded region (a map key or value, a destination, a buffer
  // with its size), an access, or a loop carrying the pointer past the value: refused
  { name: 'value + u32 as a map key', kernelAccepts: false, body: [...valuePlusU32, 'r2 = r6', 'r1 = map_fd 1 ll', 'call 1'] },
  { name: 'fp + u32 as a map key', kernelAccepts: false, body: [...fpPlusU32, 'r2 = r7', 'r1 = map_fd 1 ll', 'call 1'] },
  { name: 'value + u32 as the value of a map update', kernelAccepts: false, body: [...valuePlusU32, 'r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r3 = r6', 'r4 = 0', 'r1 = map_fd 1 ll', 'call 2'] },
  { name: 'value + u32 as bpf_get_current_comm\'s buffer', kernelAccepts: false, body: [...valuePlusU32, 'r1 = r6', 'r2 = 16', 'call 16'] },
  { name: 'value + u32 as trace_printk\'s format', kernelAccepts: false, body: [...valuePlusU32, 'r1 = r6', 'r2 = 4', 'call 6'] },
  { name: 'value + u32 as bpf_strtol\'s buffer', kernelAccepts: false, body: [...valuePlusU32, 'r1 = r6', 'r2 = 4', 'r3 = 0', 'r4 = r10', 'r4 += -24', 'call 105'] },
  { name: 'value + u32 as ringbuf_output\'s data', kernelAccepts: false, body: [...valuePlusU32, 'r1 = map_fd 2 ll', 'r2 = r6', 'r3 = 8', 'r4 = 0', 'call 130'] },
  { name: 'fp + u32 as ringbuf_output\'s data', kernelAccepts: false, body: [...fpPlusU32, 'r1 = map_fd 2 ll', 'r2 = r7', 'r3 = 8', 'r4 = 0', 'call 130'] },
  { name: 'value + u32, a destination of 0 bytes', kernelAccepts: false, body: [...valuePlusU32, ...readNothingInto('r6')] },
  { name: 'fp - 8 + [0, 255], a destination of 0 bytes', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r1 &= 255', 'r7 = r10', 'r7 += -8', 'r7 += r1', ...readNothingInto('r7')] },
  { name: 'value + [0, 255], a destination of 0 bytes', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r1 &= 255', 'r6 += r1', ...readNothingInto('r6')] },
  { name: 'value + 100, a destination of 0 bytes', kernelAccepts: false, body: ['r6 += 100', ...readNothingInto('r6')] },
  { name: 'value - 8, a destination of 0 bytes', kernelAccepts: false, body: ['r6 += -8', ...readNothingInto('r6')] },
  { name: 'value + 2^29 - 1, a destination of 0 bytes', kernelAccepts: false, body: ['r1 = 0x1fffffff', 'r6 += r1', ...readNothingInto('r6')] },
  {
    name: 'ring buffer memory of 8 bytes + 16, a destination of 0 bytes',
    kernelAccepts: false,
    body: ['r1 = map_fd 2 ll', 'r2 = 8', 'r3 = 0', 'call 131', 'if r0 == 0 goto out', 'r6 = r0', 'r1 = r6', 'r1 += 16', 'r2 = 0', 'r3 = 0', 'call 113', 'r1 = r6', 'r2 = 0', 'call 133'],
  },
  { name: 'value + u32, the u32 bounded after the move, then loaded through', kernelAccepts: false, body: ['r1 = *(u32 *)(r6 + 0)', 'r7 = r6', 'r7 += r1', 'if r1 > 8 goto +1', 'r0 = *(u8 *)(r7 + 0)'] },
  { name: 'fp + u32, then a store through it', kernelAccepts: false, body: [...fpPlusU32, 'r1 = 0', '*(u8 *)(r7 + 0) = r1'] },
  { name: 'value + u32, then an atomic add through it', kernelAccepts: false, body: [...valuePlusU32, 'r1 = 1', 'lock *(u64 *)(r6 + 0) += r1'] },
  { name: 'value + u32, then a loop adding 48 32 times, then loaded through', kernelAccepts: false, body: [...valuePlusU32, ...loopAdding(48, 32), 'r0 = *(u8 *)(r6 + 0)'] },
  { name: 'a loop adding a halved u64 to the value 4 times', kernelAccepts: false, body: ['r8 = *(u64 *)(r6 + 0)', 'r8 >>= 1', ...loopAdding(0, 4).map((l) => (l === 'r6 += 0' ? 'r6 += r8' : l)), ...readFrom('r6')] },
  {
    name: 'value + u32 twice, brought back down by constants, then loaded through',
    kernelAccepts: false,
    body: ['r1 = *(u32 *)(r6 + 0)', 'r6 += r1', 'r6 += r1', 'r6 += -0x1fffffff', 'r6 += -0x1fffffff', 'r6 += -0x1fffffff', 'r6 += -0x1fffffff', 'r0 = *(u8 *)(r6 + 0)'],
  },
];
