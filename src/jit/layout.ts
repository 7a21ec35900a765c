/**
 * The contract between the generated WebAssembly and the JS runtime around it: import order,
 * global indexes and trap kinds. Compiler and engine both take their numbers from here.
 * @module
 */

/** Imported function indexes, in declaration order. */
export const Import = {
  /**
   * `(lo i32, hi i32, size i32, store i32, pc i32) -> i32`: throw the MemoryAccessError of a faulting
   * access (generated code looks regions up itself, in the region table; it calls this only to fail),
   * or, for a load in a run with `VmMemory.faultingLoads`, return the linear offset of its value.
   */
  memError: 0,
  /**
   * `(id i32, pc i32, r1 low i32, r1 high i32, … r5 high i32)`: a helper call. Arguments go as 32-bit
   * halves and r0 comes back in linear memory at `HELPER_RESULT` (vm/memory), so that a call creates
   * no `bigint` on either side.
   */
  helper: 1,
  /** `(id i64, pc i32, r1 low i32, … r5 high i32)`: `callx`, the helper id taken from a register. */
  helperx: 2,
  /** `(offset i32, size i32) -> i32`: LD_ABS / LD_IND, the value zero-extended (sets `halt` = 1 when out of range). */
  packet: 3,
  /** `(kind i32, pc i32)`: throw the error for a {@link Trap}. */
  trap: 4,
  /**
   * `() -> (i64 x6)`: called by a function's halt path. For a pending tail call it runs the target
   * program in the same frame and returns its r0-r5 (the replaced function's results); otherwise it
   * returns zeros and leaves `halt` set so that callers unwind.
   */
  tail: 5,
} as const;

/** Number of imported functions (defined functions start here). */
export const IMPORT_COUNT = 6;

/** Why generated code stopped through the `trap` import. */
export const Trap = {
  /** The budget ran out on entry to the block starting at pc. */
  budget: 0,
  /** A local call at pc would exceed the call depth. */
  callDepth: 1,
  /** The slot at pc cannot run (the interpreter's `bad`/`unsupported` slots; pc = length: ran off the end). */
  badSlot: 2,
} as const;

/**
 * Global indexes. `halt` is 0 while running, 1 when the program stopped early with `savedR0`
 * (an unwinding helper, an out-of-range packet load), 2 when a helper asked for a tail call; in the
 * last two cases the function that stopped saved its registers r0-r10 in `savedR0`.. in order.
 */
export const Global = {
  halt: 0,
  budget: 1,
  depth: 2,
  maxDepth: 3,
  stackTop: 4,
  stackDelta: 5,
  /** Linear offset of the region table (see vm/region-table: 32 bytes per region; u32 LE). */
  tableAddr: 6,
  /** Number of regions in the table. */
  tableCount: 7,
  /** The region cache: virtual base, limit (size - 7) and linear offset of a writable region. */
  cacheBase: 8,
  cacheLimit: 9,
  cacheOffset: 10,
  /** The stack region (fixed for a run), tried before the table on a cache miss: vaddr and size - 7. */
  stackBase: 11,
  stackLimit: 12,
  /** Where a function's budget-checked copy starts (its dispatch label), set just before calling it. */
  label: 13,
  /**
   * The memory's layout version (`VmMemory.version`) the last fresh run (`run`) started with: a run on
   * the same version keeps the region cache, which only helpers (which empty it) can make stale.
   */
  cacheVersion: 14,
  savedR0: 15,
  /**
   * Set by a fast copy just before it calls its checked copy from a loop's way back (reentry.ts): the
   * block index + 1 of the loop header where the checked copy returns to it; 0 otherwise. The checked
   * copy takes it into a local and clears it on entry.
   */
  reentry: 30,
} as const;

/** Bytes per region-table entry (see vm/region-table). */
export { TABLE_ENTRY } from '../vm/region-table.js';

/**
 * Total number of globals (the saved registers come last: r0-r10, then r11-r14, the registers of
 * inlined callees (inline.ts), which only pass between a function and its checked copy).
 */
export const GLOBAL_COUNT = Global.reentry + 1;
