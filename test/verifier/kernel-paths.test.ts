/**
 * Path sensitivity against the kernel (test/verifier/path-cases.ts): every case gets the kernel's
 * verdict from tsbpf, and where bpf() works the kernel is asked again (skipped with a note otherwise).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';
import { CASES, PATH_MAPS } from './path-cases.js';

describe('path-sensitive cases against the kernel', () => {
  for (const c of CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const issues = checkProgram(assemble(c.source), { level: 'kernel', programType: c.type, maps: PATH_MAPS });
      expect(issues.every((i) => i.severity !== 'error')).toBe(c.kernelAccepts);
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: c.type, insns: assemble(c.source), maps: PATH_MAPS, logLevel: 1 }));
});
