/**
 * Where generated code finds the memory's reserved words (`VmMemory.scratch`: the stack mark, a helper's
 * result). In a plain memory they are at linear offset 0, and the code uses constant addresses. In a
 * shared memory each thread has its own (the first bytes of its private area), so the module reads their
 * base from an i32 global that each instance sets ({@link SCRATCH_GLOBAL}): the module's bytes do not
 * depend on the thread, and one compiled module serves them all (a pool's host posts its module to its
 * workers instead of each compiling its own: pool/worker.ts).
 * @module
 */
import type { CodeWriter } from '../wasm/module.js';
import { GLOBAL_COUNT } from './layout.js';

/**
 * The i32 global holding the reserved words' linear offset, in modules compiled for a shared memory
 * only (after the {@link GLOBAL_COUNT} globals of layout.ts; exported as `scratch`).
 */
export const SCRATCH_GLOBAL = GLOBAL_COUNT;

/** The export name of {@link SCRATCH_GLOBAL}. */
export const SCRATCH_EXPORT = 'scratch';

/** A reserved word: `offset` bytes past the reserved words' base (0, or the global's value). */
export interface Reserved {
  /** The global holding the base, or undefined for base 0 (a plain memory). */
  readonly global: number | undefined;
  /** The word's offset from the base (`STACK_MARK`, `HELPER_RESULT`: vm/memory). */
  readonly offset: number;
}

/** The reserved word at `offset`, for code that runs in a shared memory (`shared`) or a plain one. */
export function reservedWord(shared: boolean, offset: number): Reserved {
  return { global: shared ? SCRATCH_GLOBAL : undefined, offset };
}

/** Push the i32 base of `at` (then access it with memarg offset `at.offset`). */
export function pushReservedBase(c: CodeWriter, at: Reserved): CodeWriter {
  return at.global === undefined ? c.i32(0) : c.gget(at.global);
}
