/**
 * The CLI's error for bad input (a missing file, bad hex, a value that does not fit its type). Kept
 * apart from input.ts, which reads files, so that the platform-neutral formatting modules (BTF values,
 * map dumps) that throw it can also run in a browser (the playground uses them).
 * @module
 */

/** A failure to read input (missing file, bad hex): exit code 1, one line, no stack. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
