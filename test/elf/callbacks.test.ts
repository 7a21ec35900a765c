/**
 * Callbacks on both engines (fixtures callbacks.c, callbacks_bad.c; the kernel comparison is
 * test/kernel/callbacks.test.ts): function pointers are linked as lddw source 4 and load the same
 * address in both engines; a callback runs in its own frame, its instructions charged to the run's
 * budget; recursion through callbacks ends at the frame limit, a loop too long for the budget with the
 * budget error (never a hang), and a callback that is not a function of the program, or a map
 * for_each cannot iterate, with an ExecutionError naming it.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ExecutionError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { Opcode, PseudoLoad } from '../../src/isa/opcodes.js';
import { FUNCTION_ADDRESS_BASE } from '../../src/vm/functions.js';
import { ProgramArrayMap } from '../../src/maps/special.js';
import { fixture } from './fixtures.js';

/** The error a run ends with, as code and message. */
function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (e) {
    if (e instanceof ExecutionError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('the run did not fail');
}

describe('function pointers', () => {
  it('are linked as lddw source 4 pointing at the start of a linked function', () => {
    const o = loadObject(fixture('callbacks'));
    const insns = o.program('callbacks').program.insns;
    const targets = insns.flatMap((i, pc) => (i.opcode === Opcode.LDDW && i.src === PseudoLoad.FUNC ? [pc + i.imm + 1] : []));
    expect(targets.length).toBe(11);
    for (const t of targets) expect(t).toBeGreaterThan(0);
    expect(targets.every((t) => t < insns.length)).toBe(true);
  });
});

describe.each([false, true])('callbacks (jit %s)', (jit) => {
  // verify: 'warn' in these: the kernel-level analysis refuses each program (recursion through a
  // callback, a number as the callback, the context as bpf_loop's ctx), as the kernel does; the runs
  // check the engines' own defences.
  it('the kernel-level analysis refuses the misuses', () => {
    const o = loadObject(fixture('callbacks_bad'), { verify: 'warn' });
    for (const p of ['recurse', 'not_a_function', 'tail_in_callback']) {
      o.program(p);
      expect(o.warnings.join('\n')).toMatch(new RegExp(`kernel-level verifier would reject: pc \\d+: program ${p} \\(`));
    }
  });

  it('recursion through bpf_loop ends at the frame limit', () => {
    const o = loadObject(fixture('callbacks_bad'), { verify: 'warn' });
    const f = failure(() => o.program('recurse').runEvent(undefined, { jit }));
    expect(f.code).toBe(ErrorCode.CALL_DEPTH);
    expect(f.message).toMatch(/deeper than 8 frames/);
    const g = failure(() => o.program('recurse').runEvent(undefined, { jit, limits: { maxCallDepth: 3 } }));
    expect(g.message).toMatch(/deeper than 3 frames/);
  });

  it('a loop longer than the budget ends with the budget error', () => {
    const o = loadObject(fixture('callbacks_bad'));
    const f = failure(() => o.program('forever').runEvent(undefined, { jit, limits: { instructionBudget: 200_000 } }));
    expect(f.code).toBe(ErrorCode.BUDGET_EXCEEDED);
    // Within the budget the same loop runs to its end: sum of 0..2^23-1.
    expect(o.program('forever').runEvent(undefined, { jit }).r0).toBe(((1n << 23n) * ((1n << 23n) - 1n)) / 2n);
  });

  it('a callback that is not a function of the program, a map for_each cannot iterate', () => {
    const o = loadObject(fixture('callbacks_bad'), { verify: 'warn' });
    for (const v of [0x1234n, 0n, FUNCTION_ADDRESS_BASE, FUNCTION_ADDRESS_BASE + 3n, -1n]) {
      const f = failure(() => o.program('not_a_function').runEvent({ args: [v] }, { jit }));
      expect(f).toEqual({ code: ErrorCode.HELPER, message: expect.stringMatching(/is not a function of this program/) });
    }
    expect(failure(() => o.program('ring_each').runEvent(undefined, { jit })).message).toMatch(/map ring \(type 27\) cannot be iterated/);
  });

  it('a tail call inside a callback is refused before its target runs', () => {
    const o = loadObject(fixture('callbacks_bad'), { verify: 'warn' });
    (o.map('jumps') as ProgramArrayMap).set(0, 'target');
    expect(o.program('target').runEvent(undefined, { jit }).r0).toBe(7n);
    const f = failure(() => o.program('tail_in_callback').runEvent(undefined, { jit }));
    expect(f.code).toBe(ErrorCode.UNSUPPORTED);
    expect(f.message).toMatch(/a callback ended the run/);
  });
});

/** The smallest instruction budget the run fits in. */
function minBudget(jit: boolean, args: bigint[]): number {
  const o = loadObject(fixture('callbacks'));
  let lo = 1;
  let hi = 1 << 20;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    try {
      o.program('callbacks').runEvent({ args }, { jit, limits: { instructionBudget: mid } });
      hi = mid;
    } catch (e) {
      if ((e as ExecutionError).code !== ErrorCode.BUDGET_EXCEEDED) throw e;
      lo = mid + 1;
    }
  }
  return lo;
}

describe('the budget', () => {
  it('charges the instructions of callbacks, the same on both engines', () => {
    const short = [7n, 10n, 3n, 2n, 1n, 1n << 30n];
    const long = [7n, 1000n, 999n, 2n, 1n, 1n << 30n];
    const costs = [false, true].map((jit) => [minBudget(jit, short), minBudget(jit, long)]);
    expect(costs[0]).toEqual(costs[1]);
    // 996 more calls of `step` (a few instructions each) than the short run.
    expect(costs[0]![1]! - costs[0]![0]!).toBeGreaterThan(996 * 5);
  });
});
