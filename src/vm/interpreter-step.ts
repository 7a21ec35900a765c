/**
 * Stepped runs of the interpreter's JS loop: an observer sees every instruction before it runs. The
 * debugging engines (the tracer, `tsbpf debug`) build on it, so that the instruction set's semantics stay
 * in the run loop alone.
 * @module
 */
import type { RunRequest } from './environment.js';
import { setHalves } from './helper-call.js';
import { FRAME_WORDS, runLoop } from './interpreter-loop.js';
import { clearStack } from './stack.js';
import type { Program } from './program.js';

export { lastRunInstructions } from './interpreter-loop.js';

/** Watches a stepped run ({@link runStepped}). */
export interface StepObserver {
  /**
   * Called before slot `pc` of `program` runs, at call depth `depth`, after its block (when it starts
   * one) was charged to the budget. `registers` are the live r0-r15 as int32 halves (`[2k]` low,
   * `[2k + 1]` high); read them, do not keep or change them. `over`: that charge went past the budget,
   * and the run ends with the budget error right after this call. The observer may throw to end the run.
   */
  step(program: Program, pc: number, depth: number, registers: Int32Array, over: boolean): void;
}

/**
 * Run `req` in the interpreter's JS loop one instruction at a time, calling `observer` before each
 * instruction (stepped code: no superinstructions, no copy loops, no WebAssembly core). Results, errors
 * and the instructions charged are the interpreter's. Returns r0; {@link lastRunInstructions} gives the count.
 */
export function runStepped(req: RunRequest, observer: StepObserver): bigint {
  const stack = clearStack(req);
  const r = new Int32Array(32);
  setHalves(r, 2, req.r1);
  setHalves(r, 4, req.r2);
  r[20] = req.stackTop | 0;
  const frames = new Int32Array(Math.max(req.limits.maxCallDepth, 1) * FRAME_WORDS);
  return runLoop(req, r, frames, stack, 0, 0, false, observer);
}
