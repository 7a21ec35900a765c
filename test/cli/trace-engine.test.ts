import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
      // Budget errors differ by design (per instruction vs per block); the suite has none.
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
