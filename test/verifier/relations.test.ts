/**
 * Linear equalities kept across a loop's back edges (src/verifier/analysis/relations.ts) against the
 * kernel: the cases of test/verifier/relation-cases.ts get the kernel's verdict from tsbpf, and where
 * bpf() works the kernel is asked again (skipped with a note otherwise).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { analyzeFacts, checkProgram } from '../../src/verifier/index.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';
import { RELATION_CASES } from './relation-cases.js';

describe('loops whose registers keep a linear equality, against the kernel', () => {
  for (const c of RELATION_CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      // rejected for an access out of the stack, not for running out of steps
      const issues = checkProgram(assemble(c.source), { level: 'kernel', programType: c.type, maxSteps: 20_000 });
      const errors = issues.filter((i) => i.severity === 'error').map((i) => `${i.pc} ${i.rule}: ${i.message}`);
      if (c.kernelAccepts) expect(errors).toEqual([]);
      else expect(errors.filter((e) => /stack-access|invalid-mem-access/.test(e))).not.toEqual([]);
    });
  }

  itHasTheKernelsVerdicts(RELATION_CASES, (c) => ({ type: c.type, insns: assemble(c.source), logLevel: 1 }));
});

describe('ranking functions', () => {
  it('bounds the tail loop from the length on entry: 12 falling by 1 at least, 13 arrivals at the head', () => {
    const c = RELATION_CASES.find((x) => x.name.startsWith('a length of 8, 12 or 5'))!;
    const r = analyzeFacts(assemble(c.source), { programType: c.type });
    expect(r.issues.filter((i) => i.severity !== 'warning')).toEqual([]);
    expect(r.facts.loops.map((l) => l.maxIterations)).toEqual([13n]);
  });
});
