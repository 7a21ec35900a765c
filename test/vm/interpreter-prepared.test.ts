/**
 * Repeated zero-copy runs take the interpreter's prepared path (Interpreter.prepare: the code, core
 * statistics, core and words looked up once). Run after run, it gives what the JS loop alone gives:
 * results, errors (class, code, pc), also once a program's hand-overs turn it JS-only midway.
 */
import { describe, expect, it } from 'vitest';
import { assemble, EbpfError, EbpfVmRaw, type VmOptions } from '../../src/index.js';

type Outcome = { r0: string } | { error: string; code: string; pc: number | undefined };

/** `runs` runs of `source` on one VM over one zero-copy view of `input`. */
function outcomes(source: string, input: Uint8Array, options: VmOptions, runs: number): Outcome[] {
  const vm = new EbpfVmRaw(assemble(source), options);
  const view = vm.memBuffer(input.length);
  const out: Outcome[] = [];
  for (let i = 0; i < runs; i++) {
    view.set(input);
    try {
      out.push({ r0: `0x${vm.executeProgram(view).toString(16)}` });
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      out.push({ error: e.constructor.name, code: e.code, pc: e.pc });
    }
  }
  return out;
}

const helpers = { 7: (a: bigint, b: bigint) => a * 3n + b };
const input = Uint8Array.from({ length: 16 }, (_, i) => i * 29 + 1);

/** A loop over the input with a helper call in every iteration: each call hands the run to the JS loop. */
const calling = `
  mov r6, r1
  mov r7, 0
  mov r8, 0
loop:
  ldxb r2, [r6]
  mov r1, r8
  call 7
  mov r8, r0
  add r6, 1
  add r7, 1
  jlt r7, 16, loop
  mov r0, r8
  exit`;

/** Stack written, then read back, and arithmetic: runs to its exit in the WebAssembly core. */
const local = `
  ldxdw r2, [r1]
  stxdw [r10-8], r2
  ldxdw r3, [r1+8]
  stxdw [r10-16], r3
  ldxdw r0, [r10-8]
  ldxdw r4, [r10-16]
  mul r0, r4
  exit`;

describe('the interpreter prepared path', () => {
  for (const [name, source] of [['calling', calling], ['local', local]] as const) {
    it(`${name}: the same outcome on every run as the JS loop, with and without a budget, each budget from 1 to 60`, () => {
      const want = outcomes(source, input, { helpers, interpreter: { wasmCore: false } }, 40);
      expect(outcomes(source, input, { helpers }, 40)).toEqual(want);
      for (let budget = 1; budget <= 60; budget++) {
        const limits = { instructionBudget: budget };
        const got = outcomes(source, input, { helpers, limits }, 20);
        expect(got).toEqual(outcomes(source, input, { helpers, limits, interpreter: { wasmCore: false } }, 20));
        expect(new Set(got.map((o) => JSON.stringify(o))).size).toBe(1);
      }
    });
  }

  it('a VM switching programs on one view runs the program loaded, not the one prepared before', () => {
    const vm = new EbpfVmRaw(assemble(local), { helpers });
    const view = vm.memBuffer(input.length);
    view.set(input);
    const programs = [local, calling, 'mov r0, 77\nexit'];
    const want = programs.map((source) => new EbpfVmRaw(assemble(source), { helpers }).executeProgram(input.slice()));
    for (let round = 0; round < 3; round++) {
      programs.forEach((source, i) => {
        vm.setProgram(assemble(source));
        for (let run = 0; run < 20; run++) expect(vm.executeProgram(view)).toBe(want[i]);
      });
    }
  });
});
