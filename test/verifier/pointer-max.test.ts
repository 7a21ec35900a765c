/**
 * Map value and stack pointers plus numbers with a large maximum (src/verifier/analysis/alu.ts) against
 * the kernel: the cases of test/verifier/pointer-max-cases.ts get the kernel's verdict from tsbpf, and
 * where bpf() works the kernel is asked again (skipped with a note otherwise).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';
import { POINTER_MAX_CASES, POINTER_MAX_MAPS, pointerMaxProgram } from './pointer-max-cases.js';

describe('a pointer plus a number with a large maximum, against the kernel', () => {
  for (const c of POINTER_MAX_CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const issues = checkProgram(assemble(pointerMaxProgram(c.body)), { level: 'kernel', programType: 'kprobe', maps: POINTER_MAX_MAPS });
      const errors = issues.filter((i) => i.severity === 'error').map((i) => `${i.pc} ${i.rule}: ${i.message}`);
      if (c.kernelAccepts) expect(errors).toEqual([]);
      else expect(errors).not.toEqual([]);
    });
  }

  it('the kernel gives the recorded verdicts', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const live = k.verdicts(POINTER_MAX_CASES.map((c) => ({ type: 'kprobe' as const, insns: assemble(pointerMaxProgram(c.body)), maps: POINTER_MAX_MAPS, logLevel: 1 })));
    expect(POINTER_MAX_CASES.map((c, i) => ({ name: c.name, accepted: live[i]!.accepted }))).toEqual(POINTER_MAX_CASES.map((c) => ({ name: c.name, accepted: c.kernelAccepts })));
  });
});
