/**
 * The budget property the JIT's loop passes must keep: at any instruction budget, the JIT's result,
 * instructions charged and error (class, code, pc) are the interpreter's. Shared by the loop-bound,
 * trip-charge, byte-word and counted-loop shape tests.
 */
import { expect } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { JitEngine } from '../../src/jit/engine.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { DEFAULT_LIMITS, type Engine, type RunLimits, type RunOutcome } from '../../src/vm/environment.js';
import { Program, setup } from './harness.js';

export const jit = new JitEngine();
export const interp = new Interpreter();
/** The interpreter's JS loop alone (no WebAssembly core). */
export const jsOnly = new Interpreter({ wasmCore: false });

/** A run's r0 halves and instructions charged, or its error. */
export type BudgetOutcome = { r0: number; high: number; charged: number } | { name: string; code: string; pc: number | undefined };

/** Run `program` on `input` (r1 its address, r2 its length) with a 64-byte stack and `budget` instructions. */
export function runAtBudget(engine: Engine, program: Program, input: Uint8Array, budget: number): BudgetOutcome {
  const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: budget, stackSize: 64 };
  const s = setup(input, limits);
  const out: RunOutcome = { r0Low: 0, r0High: 0, instructions: 0 };
  try {
    engine.runInto!({ program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: BigInt(input.length), helpers: new Map(), limits }, out);
    return { r0: out.r0Low, high: out.r0High, charged: out.instructions };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { name: e.constructor.name, code: e.code, pc: e.pc };
  }
}

/** The interpreter's outcome, checked against the JIT's (and each of `also`). */
export function sameAtBudget(program: Program, input: Uint8Array, budget: number, also: readonly Engine[] = []): BudgetOutcome {
  const want = runAtBudget(interp, program, input, budget);
  expect(runAtBudget(jit, program, input, budget)).toEqual(want);
  for (const e of also) expect(runAtBudget(e, program, input, budget)).toEqual(want);
  return want;
}

/** Every budget from 0 to a little past what the run needs (or to `max` when it does not end). */
export function everyBudget(program: Program, input: Uint8Array, max: number, also: readonly Engine[] = []): void {
  const full = sameAtBudget(program, input, 1e6, also);
  const need = 'charged' in full ? full.charged : max;
  for (let b = 0; b <= Math.min(need + 2, max); b++) sameAtBudget(program, input, b, also);
}

/** The pcs of the loops `program` compiles to check-free counted copies of (64-byte stack). */
export function countedLoops(program: Program): readonly number[] {
  return jit.compile(program, { ...DEFAULT_LIMITS, stackSize: 64 }).countedLoops;
}

/** 64 input bytes for the loop-shape tests: a pattern, with the bound byte at 1 and the start byte at 2. */
export function loopInput(bound: number, start: number): Uint8Array {
  const mem = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  mem[1] = bound;
  mem[2] = start;
  return mem;
}
