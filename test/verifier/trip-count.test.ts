/**
 * Induction variables tied by the trip count (src/verifier/analysis/trip-count.ts) against the kernel:
 * the cases of test/verifier/trip-count-cases.ts get the kernel's verdict from tsbpf, and where bpf()
 * works the kernel is asked again (skipped with a note otherwise).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { analyzeFacts, checkProgram } from '../../src/verifier/index.js';
import { lastIteration, type ExitTest } from '../../src/verifier/analysis/trip-count.js';
import { constant, unsignedRange } from '../../src/verifier/analysis/scalar.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';
import { TRIP_COUNT_CASES, TRIP_COUNT_MAPS } from './trip-count-cases.js';

describe('loops whose registers move together, against the kernel', () => {
  for (const c of TRIP_COUNT_CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      // a loop no exit test bounds is then run iteration by iteration to the complexity limit (a million
      // steps, half a minute on a loaded machine): 20,000 steps are enough for these, and the rejected ones
      // must be rejected for an access out of the value, not only for running out of steps
      const issues = checkProgram(assemble(c.source), { level: 'kernel', programType: c.type, maps: TRIP_COUNT_MAPS, maxSteps: 20_000 });
      const errors = issues.filter((i) => i.severity === 'error').map((i) => `${i.pc} ${i.rule}: ${i.message}`);
      if (c.kernelAccepts) expect(errors).toEqual([]);
      else expect(errors.filter((e) => /map-value-access|pointer-arithmetic|invalid-mem-access/.test(e))).not.toEqual([]);
    });
  }

  itHasTheKernelsVerdicts(TRIP_COUNT_CASES, (c) => ({ type: c.type, insns: assemble(c.source), maps: TRIP_COUNT_MAPS, logLevel: 1 }));

  it('proves the stride loop runs 6 times, by its exit test', () => {
    const src = TRIP_COUNT_CASES[0]!.source;
    const r = analyzeFacts(assemble(src), { programType: 'xdp', maps: TRIP_COUNT_MAPS });
    expect(r.facts.loops.map((l) => l.maxIterations)).toEqual([6n]);
    expect(r.facts.loops[0]!.test).toBeGreaterThan(0);
  });
});

describe('lastIteration', () => {
  const test = (rel: string, bound: bigint, delta = 0n, width: 32 | 64 = 64): ExitTest => ({ pc: 0, reg: 8, delta, rel, bound, width });
  it('!= : the step must meet the bound exactly, from every start', () => {
    expect(lastIteration(test('ne', 144n, 24n), 24n, constant(0n))).toBe(5n);
    expect(lastIteration(test('ne', 150n, 24n), 24n, constant(0n))).toBeUndefined();
    expect(lastIteration(test('ne', 0n, -1n), -1n, constant(6n))).toBe(5n);
    expect(lastIteration(test('ne', 144n, 24n), 24n, unsignedRange(0n, 24n))).toBeUndefined(); // a range, not a few constants
    expect(lastIteration(test('ne', 144n, 24n), -24n, constant(0n))).toBeUndefined(); // stepping away
  });
  it('orderings: from the smallest (largest) start, and no step may wrap past the bound', () => {
    expect(lastIteration(test('ult', 144n, 24n), 24n, unsignedRange(0n, 100n))).toBe(5n);
    expect(lastIteration(test('ult', 145n, 24n), 24n, constant(0n))).toBe(6n);
    expect(lastIteration(test('ult', 0xffff_ffffn, 0n, 32), 16n, constant(0n))).toBeUndefined(); // 0xfffffff0 + 16 wraps to 0
    expect(lastIteration(test('ugt', 0n, -1n), -1n, unsignedRange(1n, 8n))).toBe(7n); // from 8: 7, 6, ..., 1 go on, 0 leaves
    expect(lastIteration(test('sgt', 0n, 0n), 1n, constant(0n))).toBeUndefined(); // moving away from the bound
  });
});
