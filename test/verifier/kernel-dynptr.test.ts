/**
 * The kernel-level verifier on dynptrs and bpf_strtol (helpers 105, 197-203): programs that use them
 * correctly and programs that break the kernel's rules (a ring buffer dynptr never released or released
 * twice, a slice used after the record went or without its null check, a dynptr slot overwritten, a
 * misaligned or variable slot, from_mem on the stack, a packet string), each with the kernel's verdict
 * (6.18, root), asked again live where bpf() works.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';

/** An array of 64-byte values and a ring buffer. */
const MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 64, maxEntries: 1 },
  2: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
};

const lines = (...l: string[]): string => l.join('\n');
/** r6 = the array's value 0 (or exit). */
const VALUE = ['r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out', 'r6 = r0'];
/** A ring buffer dynptr at fp-16 (size in r2). */
const RESERVE = (at = -16, size = 16): string[] => ['r1 = map_fd 2 ll', `r2 = ${size}`, 'r3 = 0', 'r4 = r10', `r4 += ${at}`, 'call 198'];
const SUBMIT = (at = -16, id = 199): string[] => ['r1 = r10', `r1 += ${at}`, 'r2 = 0', `call ${id}`];
/** A local dynptr at fp-16 over the 64-byte value in r6. */
const FROM_MEM = ['r1 = r6', 'r2 = 64', 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 197'];
const END = ['out:', 'r0 = 2', 'exit'];

const CASES: readonly { name: string; kernelAccepts: boolean; source: string }[] = [
  { name: 'ring buffer dynptr reserved and submitted', kernelAccepts: true, source: lines(...RESERVE(), ...SUBMIT(), ...END) },
  { name: 'ring buffer dynptr reserved and discarded', kernelAccepts: true, source: lines(...RESERVE(), ...SUBMIT(-16, 200), ...END) },
  { name: 'ring buffer dynptr never released', kernelAccepts: false, source: lines(...RESERVE(), ...END) },
  { name: 'ring buffer dynptr released on one path only', kernelAccepts: false, source: lines(...RESERVE(), 'call 7', 'if r0 == 1 goto out', ...SUBMIT(), ...END) },
  { name: 'ring buffer dynptr submitted twice', kernelAccepts: false, source: lines(...RESERVE(), ...SUBMIT(), ...SUBMIT(), ...END) },
  { name: 'ring buffer dynptr overwritten by a store, then submitted', kernelAccepts: false, source: lines(...RESERVE(), 'r1 = 0', '*(u64 *)(r10 - 16) = r1', ...SUBMIT(), ...END) },
  { name: 'a second reservation over a referenced dynptr', kernelAccepts: false, source: lines(...RESERVE(), ...RESERVE(), ...SUBMIT(), ...END) },
  { name: 'ring buffer dynptr at a misaligned slot', kernelAccepts: false, source: lines(...RESERVE(-20), ...SUBMIT(-20), ...END) },
  { name: 'ring buffer dynptr sticking out of the stack', kernelAccepts: false, source: lines(...RESERVE(-8), ...SUBMIT(-8), ...END) },
  { name: 'submit of a slot that is no dynptr', kernelAccepts: false, source: lines('r1 = 0', '*(u64 *)(r10 - 16) = r1', '*(u64 *)(r10 - 8) = r1', ...SUBMIT(), ...END) },
  { name: 'submit of a local dynptr', kernelAccepts: false, source: lines(...VALUE, ...FROM_MEM, ...SUBMIT(), ...END) },
  { name: 'local dynptr: read, write, data', kernelAccepts: true, source: lines(...VALUE, ...FROM_MEM, 'r1 = r10', 'r1 += -32', 'r2 = 8', 'r3 = r10', 'r3 += -16', 'r4 = 0', 'r5 = 0', 'call 201', 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = r10', 'r3 += -32', 'r4 = 8', 'r5 = 0', 'call 202', 'r1 = r10', 'r1 += -16', 'r2 = 4', 'r3 = 8', 'call 203', 'if r0 == 0 goto out', 'r1 = *(u64 *)(r0 + 0)', ...END) },
  { name: 'local dynptr: the slice read past its length', kernelAccepts: false, source: lines(...VALUE, ...FROM_MEM, 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 8', 'call 203', 'if r0 == 0 goto out', 'r1 = *(u64 *)(r0 + 4)', ...END) },
  { name: 'local dynptr: the slice used before its null check', kernelAccepts: false, source: lines(...VALUE, ...FROM_MEM, 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 8', 'call 203', 'r1 = *(u64 *)(r0 + 0)', ...END) },
  { name: 'local dynptr: data with a length that is not a constant', kernelAccepts: false, source: lines(...VALUE, ...FROM_MEM, 'call 7', 'r3 = r0', 'r3 &= 7', 'r1 = r10', 'r1 += -16', 'r2 = 0', 'call 203', ...END) },
  { name: 'local dynptr: used after a store over it', kernelAccepts: false, source: lines(...VALUE, ...FROM_MEM, 'r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 8', 'call 203', ...END) },
  { name: 'read from a slot never made a dynptr', kernelAccepts: false, source: lines('r1 = r10', 'r1 += -32', 'r2 = 8', 'r3 = r10', 'r3 += -16', 'r4 = 0', 'r5 = 0', 'call 201', ...END) },
  { name: 'from_mem over the stack', kernelAccepts: false, source: lines('r1 = 0', '*(u64 *)(r10 - 40) = r1', 'r1 = r10', 'r1 += -40', 'r2 = 8', 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 197', ...END) },
  { name: 'from_mem with a size past the map value', kernelAccepts: false, source: lines(...VALUE, 'r1 = r6', 'r2 = 65', 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 197', ...END) },
  { name: 'ring buffer slice written, then the record submitted', kernelAccepts: true, source: lines(...RESERVE(), 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 8', 'call 203', 'if r0 == 0 goto sub', 'r1 = 7', '*(u64 *)(r0 + 0) = r1', 'sub:', ...SUBMIT(), ...END) },
  { name: 'ring buffer slice used after the record was submitted', kernelAccepts: false, source: lines(...RESERVE(), 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 8', 'call 203', 'r6 = r0', ...SUBMIT(), 'if r6 == 0 goto out', 'r1 = 7', '*(u64 *)(r6 + 0) = r1', ...END) },
  { name: 'ring buffer slice given to bpf_ringbuf_submit', kernelAccepts: false, source: lines(...RESERVE(), 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 8', 'call 203', 'if r0 == 0 goto sub', 'r1 = r0', 'r2 = 0', 'call 132', 'sub:', ...SUBMIT(), ...END) },
  { name: 'a local dynptr\'s bytes read by a load', kernelAccepts: false, source: lines(...VALUE, ...FROM_MEM, 'r0 = *(u64 *)(r10 - 16)', ...END) },
  { name: 'a ring buffer dynptr\'s bytes read by a load, then submitted', kernelAccepts: false, source: lines(...RESERVE(), 'r0 = *(u64 *)(r10 - 8)', ...SUBMIT(), ...END) },
  { name: 'a local dynptr copied by loads and stores, the copy used', kernelAccepts: false, source: lines(...VALUE, ...FROM_MEM, 'r1 = *(u64 *)(r10 - 16)', '*(u64 *)(r10 - 32) = r1', 'r1 = *(u64 *)(r10 - 8)', '*(u64 *)(r10 - 24) = r1', 'r1 = r10', 'r1 += -32', 'r2 = 0', 'r3 = 8', 'call 203', ...END) },
  { name: 'a dynptr used by a subprogram through a pointer', kernelAccepts: true, source: lines(...VALUE, ...FROM_MEM, 'r1 = r10', 'r1 += -16', 'call local sub', ...END, 'sub:', 'r2 = 0', 'r3 = 8', 'call 203', 'r0 = 0', 'exit') },
  { name: 'strtol with its result at a misaligned stack slot', kernelAccepts: false, source: lines('r1 = 0x31', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0', 'r4 = r10', 'r4 += -20', 'call 105', ...END) },
  { name: 'strtol with its result in a map value', kernelAccepts: true, source: lines(...VALUE, 'r1 = 0x31', '*(u64 *)(r10 - 16) = r1', 'r1 = r10', 'r1 += -16', 'r2 = 8', 'r3 = 0', 'r4 = r6', 'call 105', ...END) },
  { name: 'dynptr_read into the packet', kernelAccepts: false, source: lines('r7 = *(u32 *)(r1 + 0)', 'r8 = *(u32 *)(r1 + 4)', 'r2 = r7', 'r2 += 8', 'if r2 > r8 goto out', ...VALUE, ...FROM_MEM, 'r1 = r7', 'r2 = 8', 'r3 = r10', 'r3 += -16', 'r4 = 0', 'r5 = 0', 'call 201', ...END) },
  { name: 'strtol on a stack string', kernelAccepts: true, source: lines('r1 = 0x31', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 105', 'r0 = *(u64 *)(r10 - 16)', ...END) },
  { name: 'strtoul on the packet', kernelAccepts: false, source: lines('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r1 = r2', 'r1 += 8', 'if r1 > r3 goto out', 'r1 = r2', 'r2 = 8', 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 106', ...END) },
  { name: 'strtol with a zero length', kernelAccepts: false, source: lines('r1 = 0x31', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 0', 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 105', ...END) },
  { name: 'strtol with the result in a read-only place (the context)', kernelAccepts: false, source: lines('r6 = r1', 'r1 = 0x31', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0', 'r4 = r6', 'call 105', ...END) },
];

describe('dynptr and strtol rules against the kernel', () => {
  for (const c of CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const issues = checkProgram(assemble(c.source), { level: 'kernel', programType: 'xdp', maps: MAPS });
      const errors = issues.filter((i) => i.severity === 'error');
      expect(errors.length === 0, JSON.stringify(errors)).toBe(c.kernelAccepts);
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: 'xdp', insns: assemble(c.source), maps: MAPS, logLevel: 1 }));
});
