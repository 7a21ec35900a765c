/**
 * The three engines a program must agree on — the interpreter's JS loop, its WebAssembly core and the
 * JIT — at every instruction budget: r0 and the instructions charged, or the error's class, code and pc.
 * Shared by the tests of local calls, frame accesses and inlining.
 */
import { expect } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { JitEngine } from '../../src/jit/engine.js';
import type { Engine, HelperTable, RunLimits, RunOutcome } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import type { Program } from '../../src/vm/program.js';
import { setup } from './harness.js';

export const jsLoop = new Interpreter({ wasmCore: false });
export const core = new Interpreter();
export const jit = new JitEngine();

/** What a run gave: r0 (high:low) and the instructions charged, or the error's class, code and pc. */
export type Charged = { r0: string; charged: number } | { name: string; code: string; pc: number | undefined };

/** Run `program` on `engine` over `input` (r1 = the input, r2 = its length). */
export function runCharged(engine: Engine, program: Program, input: Uint8Array, limits: RunLimits, helpers: HelperTable = new Map()): Charged {
  const s = setup(input, limits);
  const out: RunOutcome = { r0Low: 0, r0High: 0, instructions: 0 };
  try {
    engine.runInto!({ program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: BigInt(input.length), helpers, limits }, out);
    return { r0: `${out.r0High >>> 0}:${out.r0Low >>> 0}`, charged: out.instructions };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { name: e.constructor.name, code: e.code, pc: e.pc };
  }
}

/**
 * The three engines agree at every budget from 0 to a little past the run's need (at most `max`), with
 * `limits` otherwise; returns the outcome with a budget of a million. `label` names the case in failures.
 */
export function agreeAtEveryBudget(program: Program, input: Uint8Array, limits: RunLimits, options: { max: number; helpers?: HelperTable; label?: string }): Charged {
  const { max, helpers, label = '' } = options;
  const at = (budget: number): Charged => {
    const l: RunLimits = { ...limits, instructionBudget: budget };
    const want = runCharged(jsLoop, program, input, l, helpers);
    expect(runCharged(core, program, input, l, helpers), `core, budget ${budget}${label}`).toEqual(want);
    expect(runCharged(jit, program, input, l, helpers), `JIT, budget ${budget}${label}`).toEqual(want);
    return want;
  };
  const full = at(1e6);
  const need = 'charged' in full ? full.charged : max;
  for (let b = 0; b <= Math.min(need + 2, max); b++) at(b);
  return full;
}
