/**
 * The kernel-level verifier on PREVAIL's test cases (test/fixtures/prevail, MIT): how many of the cases
 * PREVAIL rejects are rejected, and how many of those it accepts are wrongly rejected. The figures are
 * printed; the assertions are floors just under today's, so a regression fails. Where PREVAIL and the
 * kernel differ (misaligned stack accesses, subtraction from the stack pointer, R0 at a subprogram's exit,
 * 32-bit copies of pointers, pointers stored or returned by a privileged loader), tsbpf follows the kernel,
 * checked against it in kernel-differential.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { expectedUnsafe, kernelRejects, loadCases, runCase, type CaseResult } from './prevail.js';

describe('PREVAIL test data', () => {
  const results: CaseResult[] = loadCases().map(runCase);
  const run = results.filter((r) => r.verdict !== 'skip');
  const unsafe = run.filter((r) => expectedUnsafe(r.c));
  const safe = run.filter((r) => r.c.messages.length === 0 && kernelRejects(r.c) === undefined);
  const rejected = unsafe.filter((r) => r.verdict === 'reject');
  const wrong = safe.filter((r) => r.verdict === 'reject');

  it('reads and runs the cases without crashing', () => {
    expect(results.length).toBeGreaterThan(690);
    // PREVAIL-only syntax (atomic fetch forms, swapN, 64-bit literals the assembler refuses) is skipped
    expect(run.length).toBeGreaterThan(620);
  });

  it('rejects most unsafe cases and few safe ones', () => {
    const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
    console.log(
      `PREVAIL: ${results.length} cases, ${run.length} run; unsafe rejected ${rejected.length}/${unsafe.length} (${pct(rejected.length, unsafe.length)}); ` +
        `safe wrongly rejected ${wrong.length}/${safe.length} (${pct(wrong.length, safe.length)})`,
    );
    for (const r of wrong) console.log(`  safe but rejected: ${r.c.file} | ${r.c.name} | ${r.issues[0]?.message}`);
    for (const r of unsafe.filter((x) => x.verdict === 'accept')) console.log(`  unsafe but accepted: ${r.c.file} | ${r.c.name}`);
    expect(rejected.length / unsafe.length).toBeGreaterThanOrEqual(0.83);
    expect(wrong.length / safe.length).toBeLessThanOrEqual(0.08);
  });

  it('accepts a safe case and rejects an unsafe one for the right reason', () => {
    const byName = (name: string): CaseResult => results.find((r) => r.c.name === name)!;
    expect(byName('simple invalid write').issues.map((i) => i.rule)).toContain('packet-access');
    expect(byName('while loop, unsigned gte').verdict).toBe('accept');
  });
});
