/**
 * The run-time errors every engine raises the same way (the interpreter, the JIT and the tracer),
 * built in one place so that their codes, messages and details cannot drift apart.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';

/** The instruction budget ran out at the block starting at `pc`. */
export function budgetError(budget: number, pc: number): ExecutionError {
  return new ExecutionError(
    ErrorCode.BUDGET_EXCEEDED,
    `instruction budget of ${budget} exhausted (a runaway loop?); raise RunLimits.instructionBudget if the program is meant to run longer`,
    { pc, budget },
  );
}

/** A local call at `pc` would nest more than `max` frames. */
export function callDepthError(max: number, pc: number): ExecutionError {
  return new ExecutionError(
    ErrorCode.CALL_DEPTH,
    `local call nests deeper than ${max} frames (RunLimits.maxCallDepth); unbounded recursion?`,
    { pc, maxCallDepth: max },
  );
}
