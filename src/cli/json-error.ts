/**
 * An error as `--json` output shows it: the same code, message and pc a text report gives, as data.
 * @module
 */
import { EbpfError } from '../errors.js';
import { UsageError } from './args.js';
import { InputError } from './input.js';
import { cliHint } from './capture-pass.js';

/** An error in a `--json` document. */
export interface JsonError {
  /** `E_USAGE`, `E_INPUT`, `E_INTERNAL` or an {@link EbpfError} code. */
  code: string;
  /** What went wrong, with the CLI flag to change where one applies. */
  message: string;
  /** The instruction it happened at, where there is one. */
  pc?: number;
  /** The stack trace (`--debug` only). */
  stack?: string;
}

/** `e` as a {@link JsonError}, and the exit status its text report would have (2 for usage errors). */
export function jsonErrorOf(e: unknown, debug: boolean): { error: JsonError; status: number } {
  let error: JsonError;
  let status = 1;
  if (e instanceof UsageError) {
    error = { code: 'E_USAGE', message: e.message };
    status = 2;
  } else if (e instanceof InputError) {
    error = { code: 'E_INPUT', message: e.message };
  } else if (e instanceof EbpfError) {
    error = { code: e.code, message: cliHint(e.message), ...(e.pc !== undefined ? { pc: e.pc } : {}) };
  } else {
    error = { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) };
  }
  if (debug && e instanceof Error && e.stack !== undefined) error.stack = e.stack;
  return { error, status };
}
