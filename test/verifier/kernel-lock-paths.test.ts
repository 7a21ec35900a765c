/**
 * bpf_spin_lock across paths that meet (test/verifier/lock-path-cases.ts): every case gets the kernel's
 * verdict from tsbpf, and where bpf() works the kernel is asked again (skipped with a note otherwise).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import type { KernelMapDef } from '../kernel/runner.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';
import { CASES, LOCK_MAPS } from './lock-path-cases.js';

/** The maps as the kernel creates them: with BTF placing the lock. */
const KERNEL_MAPS: Record<number, KernelMapDef> = Object.fromEntries(
  Object.entries(LOCK_MAPS).map(([k, m]) => [k, { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, btf: { spinLock: m.spinLock } }]),
);

describe('spin locks across paths that meet, against the kernel', () => {
  for (const c of CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const issues = checkProgram(assemble(c.source), { level: 'kernel', programType: c.type, maps: LOCK_MAPS });
      expect(issues.filter((i) => i.severity === 'error').map((i) => `${i.pc}: ${i.message}`), c.source).toEqual(c.kernelAccepts ? [] : expect.arrayContaining([expect.anything()]));
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: c.type, insns: assemble(c.source), maps: KERNEL_MAPS, logLevel: 1 }));
});
