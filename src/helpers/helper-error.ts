/**
 * The error a helper stops a run with when the program misused it in a way the kernel's verifier
 * would have refused (an argument that is no map, socket or task of the run...): an ExecutionError
 * with code HELPER, at the call's pc, its message led by the helper's name.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext } from '../vm/environment.js';

/** `name: message` as an ExecutionError (HELPER) of the call at `ctx.pc`. */
export function helperError(name: string, message: string, ctx: HelperContext): ExecutionError {
  return new ExecutionError(ErrorCode.HELPER, `${name}: ${message}`, { pc: ctx.pc, helper: name });
}
