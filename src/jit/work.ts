/**
 * A count of the work the JIT's iterative passes do (instructions run by their fixed points, nodes met,
 * predecessor edges walked), summed over every compile in the process. A test reads it around one compile to check that the
 * work stays within a bound linear in the program's size: unlike a time, it fails the same way on
 * every machine when a pass goes quadratic (test/jit/compile-work.test.ts). Counting costs one add
 * per unit; nothing in the generated code depends on it.
 * @module
 */

/** The running count (only ever increased). */
export const compileWork = { units: 0 };
