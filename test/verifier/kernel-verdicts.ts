/**
 * The test every kernel-judged case table of test/verifier has: the live kernel's verdicts on the
 * cases' programs are the ones the table records, skipped with a note where the kernel cannot be asked.
 */
import { expect, it } from 'vitest';
import { kernelOracle, skipNote, type VerdictRequest } from '../kernel/runner.js';

/** Registers the test that `cases`' recorded verdicts (`kernelAccepts`) are the live kernel's. */
export function itHasTheKernelsVerdicts<C extends { readonly name: string; readonly kernelAccepts: boolean }>(cases: readonly C[], request: (c: C) => VerdictRequest): void {
  it('the kernel gives the recorded verdicts', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const live = k.verdicts(cases.map(request));
    expect(cases.map((c, i) => ({ name: c.name, accepted: live[i]!.accepted }))).toEqual(cases.map((c) => ({ name: c.name, accepted: c.kernelAccepts })));
  });
}
