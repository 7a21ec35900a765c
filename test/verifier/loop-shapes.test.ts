/**
 * Loops as clang lays them out, where a backward jump in pc order is not a loop: a TCP-option parser
 * run by bpf_loop (the shape of xdp-synproxy's, written here from scratch), whose cases jump back to a
 * shared tail placed before the loop's head, while the edge closing the loop jumps forward. The loop
 * is found by control flow (back-edges.ts) and proved to run 7 times; taking each backward jump as a
 * loop of its own reported them unbounded, or ran out of steps proving them. Kernel verdicts where
 * bpf() answers (skipped with a note otherwise); step counts that grow linearly with the program.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { analyzeFacts } from '../../src/verifier/index.js';
import { functionStarts } from '../kernel/btf-writer.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

/**
 * An XDP program calling bpf_loop(6, cb, &ctx, 0); `cb` parses up to 7 options a call (`kinds` option
 * kinds, each a case that jumps back to the shared tail), the context holding data, data_end, the
 * offset and a result.
 */
function optionParser(kinds: number): string {
  const cases: string[] = [];
  const tests: string[] = [];
  for (let k = 0; k < kinds; k++) {
    tests.push(`if r3 == ${k + 3} goto case${k}`);
    cases.push(`case${k}:`, 'r0 = *(u8 *)(r6 + 1)', `r0 &= ${(k % 15) + 1}`, `r0 += ${k}`, 'goto tail');
  }
  return [
    'r6 = *(u32 *)(r1 + 0)',
    'r7 = *(u32 *)(r1 + 4)',
    '*(u64 *)(r10 - 32) = r6',
    '*(u64 *)(r10 - 24) = r7',
    'r1 = 0',
    '*(u64 *)(r10 - 16) = r1',
    '*(u64 *)(r10 - 8) = r1',
    'r1 = 6',
    'r2 = func 8 ll', // the callback, 8 slots after this lddw's first
    'r3 = r10',
    'r3 += -32',
    'r4 = 0',
    'call 181',
    'r0 = *(u64 *)(r10 - 8)',
    'r0 &= 3',
    'exit',
    // the callback (slot 17): r2 is the context
    'r1 = 7',
    'r5 = *(u64 *)(r2 + 16)',
    'goto head',
    'tail:', // shared by every case: above the head, reached by backward jumps
    '*(u64 *)(r2 + 24) = r0',
    'skip:',
    'r0 = *(u8 *)(r6 + 1)',
    'r5 += r0',
    '*(u64 *)(r2 + 16) = r5',
    'next:',
    'r0 = 0',
    'r1 += -1',
    'r6 = r1',
    'r6 <<= 32',
    'r6 >>= 32',
    'if r6 != 0 goto head', // closes the loop: a forward jump
    'exit',
    'head:',
    'r0 = 1',
    'if r5 > 1000 goto done',
    'r6 = *(u64 *)(r2 + 0)',
    'r6 += r5',
    'r8 = r6',
    'r8 += 2',
    'r9 = *(u64 *)(r2 + 8)',
    'if r8 > r9 goto done',
    'r3 = *(u8 *)(r6 + 0)',
    'if r3 == 1 goto next',
    'if r3 == 0 goto done',
    ...tests,
    'goto skip',
    ...cases,
    'done:',
    'exit',
  ].join('\n');
}

const analyse = (src: string): { steps: number; errors: string[]; loops: { head: number; maxIterations: bigint }[] } => {
  const r = analyzeFacts(assemble(src), { programType: 'xdp' });
  return { steps: r.steps, errors: r.issues.filter((i) => i.severity !== 'warning').map((i) => `${i.pc} ${i.rule}: ${i.message}`), loops: r.facts.loops.map((l) => ({ head: l.head, maxIterations: l.maxIterations })) };
};

describe('loops found by control flow, not by layout', () => {
  it('a loop closed by a forward jump, with shared tails above its head, is one loop of 7 iterations', () => {
    const r = analyse(optionParser(3));
    expect(r.errors).toEqual([]);
    expect(r.loops).toEqual([{ head: expect.any(Number), maxIterations: 7n }]);
    expect(r.steps).toBeLessThan(5_000);
  });

  it('the kernel accepts the same programs', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const srcs = [optionParser(3), optionParser(12)];
    const live = k.verdicts(srcs.map((s) => {
      const insns = assemble(s);
      return { type: 'xdp' as const, insns, logLevel: 1, funcInfo: functionStarts(insns) };
    }));
    expect(live.map((v) => (v.accepted ? 'accepted' : v.log.slice(-300)))).toEqual(['accepted', 'accepted']);
  });

  it('analysis steps grow linearly with the number of cases (each a backward jump)', () => {
    const sizes = [4, 8, 16, 32, 64];
    const runs = sizes.map((kinds) => ({ kinds, insns: assemble(optionParser(kinds)).length / 8, ...analyse(optionParser(kinds)) }));
    for (const r of runs) expect(r.errors).toEqual([]);
    // steps per instruction stay within a constant band: doubling the program at most doubles them, and a bit
    const perInsn = runs.map((r) => r.steps / r.insns);
    expect(Math.max(...perInsn) / Math.min(...perInsn)).toBeLessThan(2);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.steps / runs[i - 1]!.steps).toBeLessThan(2.6);
  });
});
