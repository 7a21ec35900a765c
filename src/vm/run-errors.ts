/**
 * The run-time errors every engine raises the same way (the interpreter, the JIT and the tracer),
 * built in one place so that their codes, messages and details cannot drift apart.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import { OP_NAMES, type SlotDecoding } from './interpreter-decode.js';

/** The decoder's operation number for valid slots no engine runs (kfunc calls, unresolved pseudo `lddw`). */
const UNSUPPORTED_OP = OP_NAMES.indexOf('unsupported');

/**
 * A slot that cannot run, reached at `pc` (`pc === slots.length`: the program ran off its end). The
 * reason is the decoder's, so both engines word it alike; valid-but-unsupported slots are
 * E_UNSUPPORTED, the rest E_BAD_PROGRAM.
 */
export function badSlotError(slots: SlotDecoding, pc: number): ExecutionError {
  const unsupported = pc < slots.length && slots.op[pc] === UNSUPPORTED_OP;
  return new ExecutionError(
    unsupported ? ErrorCode.UNSUPPORTED : ErrorCode.BAD_PROGRAM,
    slots.problems.get(pc) ?? 'invalid instruction',
    // Running off the end is reported at the last slot, the one that failed to jump or exit.
    { pc: pc === slots.length ? Math.max(pc - 1, 0) : pc },
  );
}

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

/**
 * A callback (HelperContext.callFunction) that would end the whole run, by a tail call or an unwinding
 * helper or packet load: neither engine runs these inside callbacks. `pc` is the call of the helper
 * that called back.
 */
export function callbackEndedError(pc: number): ExecutionError {
  return new ExecutionError(ErrorCode.UNSUPPORTED, 'a callback ended the run (a tail call, or an unwinding helper or packet load): tsbpf runs neither inside callbacks', { pc });
}
