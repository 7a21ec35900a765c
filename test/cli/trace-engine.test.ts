import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../src/asm/assembler.js';
import { EbpfError } from '../../src/errors.js';
import { CONFORMANCE_HELPER_ID, conformanceVm, parseConformanceManifest } from '../../src/vm/conformance.js';
import { TracingVmRaw, type TraceStep } from '../../src/vm/trace.js';

const root = new URL('../../', import.meta.url).pathname;
const tests = parseConformanceManifest(readFileSync(`${root}test/fixtures/conformance/manifest.jsonl`, 'utf8'));

type Outcome = { r0: bigint } | { code: string; pc: number | undefined };

function outcome(run: () => bigint): Outcome {
  try {
    return { r0: run() };
  } catch (e) {
    if (e instanceof EbpfError) return { code: e.code, pc: e.pc };
    throw e;
  }
}

describe('TraceEngine against the interpreter on the conformance suite', () => {
  it(`gives the same r0 or error as the interpreter on all ${tests.length} tests, and reports every step`, () => {
    expect(tests.length).toBeGreaterThan(300);
    let steps = 0;
    for (const t of tests) {
      const expected = outcome(() => conformanceVm(t).executeProgram(t.mem.slice()));
      const vm = new TracingVmRaw();
      vm.registerHelper(CONFORMANCE_HELPER_ID, (r1) => r1, { name: 'unwind', unwindOnZero: true });
      let got: Outcome;
      const seen: TraceStep[] = [];
      try {
        vm.setProgram(t.program);
        got = outcome(() => vm.executeProgramTraced(t.mem.slice(), (s) => void seen.push(s)));
      } catch (e) {
        if (!(e instanceof EbpfError)) throw e;
        got = { code: e.code, pc: e.pc };
      }
      expect({ name: t.name, ...got }).toEqual({ name: t.name, ...expected });
      if ('r0' in got && seen.length > 0) {
        const last = seen[seen.length - 1]!;
        expect(last.insn.opcode === 0x95 || last.insn.opcode === 0x85 || (last.insn.opcode & 0x07) === 0).toBe(true);
      }
      steps += seen.length;
    }
    expect(steps).toBeGreaterThan(1000);
  });

  it('reports changed registers and stores of each step', () => {
    // mov r1, 5; stxdw [r10-8], r1; ldxdw r0, [r10-8]; add r0, 1; exit
    const prog = Buffer.from('b701000005000000' + '7b1af8ff00000000' + '79a0f8ff00000000' + '0700000001000000' + '9500000000000000', 'hex');
    const vm = new TracingVmRaw(new Uint8Array(prog));
    const seen: TraceStep[] = [];
    expect(vm.executeProgramTraced(new Uint8Array(0), (s) => void seen.push(s))).toBe(6n);
    expect(seen.map((s) => [s.pc, s.changed, s.stores.map((x) => [x.size, x.value])])).toEqual([
      [0, [[1, 0x1000_0000n, 5n]], []], // r1 pointed at the (empty) input memory
      [1, [], [[8, 5n]]],
      [2, [[0, 0n, 5n]], []],
      [3, [[0, 5n, 6n]], []],
      [4, [], []],
    ]);
    // The store went 8 bytes below the frame pointer, inside the stack region.
    expect(seen[1]!.stores[0]!.address % 8n).toBe(0n);
    expect(seen[1]!.stores[0]!.address >> 24n).toBe(0x02n);
  });
});

describe('TraceEngine budget rule', () => {
  // Runaway programs whose loops have blocks of different lengths, a local call inside the loop (the
  // return lands on a block start too) and a tail-less infinite recursion-free spin.
  const programs: Record<string, string> = {
    'tight loop': 'mov r0, 0\nlbl:\nadd r0, 1\nja lbl\n',
    'loop with a long body and a conditional exit': [
      'mov r0, 0', 'mov r1, 0', 'top:', 'add r0, 1', 'add r1, 2', 'xor r2, r2', 'mov r3, r1', 'lsh r3, 1',
      'jeq r0, -1, out', 'add r1, 3', 'ja top', 'out:', 'exit',
    ].join('\n'),
    'loop around a local call': [
      'mov r0, 0', 'top:', 'call local fn', 'add r0, 1', 'ja top', 'exit', 'fn:', 'mov r1, 1', 'add r1, 2', 'exit',
    ].join('\n'),
  };

  it('stops a runaway loop with the same error code and pc as the interpreter, for any budget', () => {
    for (const [name, text] of Object.entries(programs)) {
      const bytes = assemble(text);
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 400 }), (budget) => {
          const interpreter = new TracingVmRaw(bytes, { limits: { instructionBudget: budget } });
          const expected = outcome(() => interpreter.executeProgram(new Uint8Array(0)));
          const traced = new TracingVmRaw(bytes, { limits: { instructionBudget: budget } });
          let steps = 0;
          const got = outcome(() => traced.executeProgramTraced(new Uint8Array(0), () => void steps++));
          expect({ name, budget, ...got }).toEqual({ name, budget, ...expected });
          expect(got).toMatchObject({ code: 'E_BUDGET_EXCEEDED' });
          // Whole blocks were charged and none of the refused block ran: the steps fit in the budget.
          expect(steps).toBeLessThanOrEqual(budget);
        }),
        { numRuns: 60 },
      );
    }
  });

  it('refuses the block that goes over before any of it runs (block start pc, not the exact instruction)', () => {
    // Blocks: [0] then [1..6] (6 instructions). A budget of 4 lets slot 0 run, then refuses the loop
    // block at its first slot; charged one at a time it would have stopped at slot 4.
    const bytes = assemble(programs['loop with a long body and a conditional exit']!);
    const vm = new TracingVmRaw(bytes, { limits: { instructionBudget: 4 } });
    const pcs: number[] = [];
    expect(outcome(() => vm.executeProgramTraced(new Uint8Array(0), (s) => void pcs.push(s.pc)))).toEqual({ code: 'E_BUDGET_EXCEEDED', pc: 2 });
    expect(pcs).toEqual([0, 1]);
  });
});
