/**
 * A packet pointer plus a number with a large maximum (src/verifier/analysis/alu.ts), against the kernel:
 * the kernel allows the arithmetic when the number's least value is near 0 (TripleCross's tc ingress
 * adds a 32-bit payload length that may have wrapped, `tot_len - doff * 4 - ihl * 4`, and only compares
 * the end with data_end) and refuses an access through the pointer, a constant 2^29 or more, a number
 * whose least value is that far from 0 and any number at all. Where bpf() works the kernel is asked again.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';

interface PacketMaxCase {
  readonly name: string;
  /** Sets r5 from the 40 bytes proved at r2 (r5 = a u16 minus a number in [0, 60], in 32 bits, first). */
  readonly number: readonly string[];
  /** Read a byte through the pointer after proving one byte past it. */
  readonly read?: boolean;
  readonly kernelAccepts: boolean;
}

const CASES: readonly PacketMaxCase[] = [
  { name: 'a 32-bit difference that may wrap ([0, 2^32 - 1]), the end compared with data_end', number: [], kernelAccepts: true },
  { name: 'the same shifted left by 8 (a maximum of 2^40)', number: ['r5 <<= 8'], kernelAccepts: true },
  { name: 'a number below 2^30 (r5 &= 0x3fffffff)', number: ['r5 &= 0x3fffffff'], kernelAccepts: true },
  { name: 'the 32-bit difference, then a byte read through the pointer after a data_end check', number: [], read: true, kernelAccepts: false },
  { name: 'any number (a u64 loaded from the packet)', number: ['r5 = *(u64 *)(r2 + 0)'], kernelAccepts: false },
  { name: 'a number of least value 2^29', number: ['r5 &= 63', 'r5 += 536870912'], kernelAccepts: false },
  { name: 'the constant 2^29', number: ['r5 = 536870912'], kernelAccepts: false },
  { name: 'a sign-extended u32 (least value -2^31)', number: ['r5 = *(u32 *)(r2 + 0)', 'r5 <<= 32', 'r5 s>>= 32'], kernelAccepts: false },
];

function program(c: PacketMaxCase): string {
  const head = ['r2 = *(u32 *)(r1 + 76)', 'r3 = *(u32 *)(r1 + 80)', 'r4 = r2', 'r4 += 40', 'if r4 > r3 goto out', 'r5 = *(u16 *)(r2 + 16)', 'r6 = *(u8 *)(r2 + 14)', 'w6 &= 60', 'w5 -= w6'];
  const tail = c.read === true
    ? ['r4 = r2', 'r4 += r5', 'r7 = r4', 'r7 += 1', 'if r7 > r3 goto out', 'r0 = *(u8 *)(r4 + 0)', 'exit']
    : ['r4 = r2', 'r4 += r5', 'if r4 > r3 goto out', 'r0 = 1', 'exit'];
  return [...head, ...c.number, ...tail, 'out:', 'r0 = 0', 'exit'].join('\n');
}

describe('a packet pointer plus a number with a large maximum, against the kernel', () => {
  for (const c of CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const issues = checkProgram(assemble(program(c)), { level: 'kernel', programType: 'sched_cls' });
      expect(issues.every((i) => i.severity !== 'error')).toBe(c.kernelAccepts);
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: 'sched_cls', insns: assemble(program(c)), logLevel: 1 }));
});
