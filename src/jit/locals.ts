/**
 * The frame of a compiled eBPF function: its WebAssembly locals (parameters r0-r10, then the scratch,
 * budget and region-cache locals the lowering passes share) and the labels every body is wrapped in.
 * One table, so that the passes (function-compiler.ts and the emit-*.ts passes, lower-memory.ts, lower-alu.ts) cannot disagree on them.
 * @module
 */
import { ValType, type ValTypeCode } from '../wasm/opcodes.js';

/**
 * The registers r11-r14 (i64 locals 11-14, right after the parameters): an inlined callee's r6-r9
 * (inline.ts), so that the caller's r6-r9 stay untouched.
 */
export const INLINED_REGS = 4;
/** The instruction budget left (i64), kept in a local in the fast copy and written back at calls and exits. */
export const L_BUDGET = 15;
/** Scratch i64: an access's virtual address; a counted loop's trip count - 1. */
export const L_T = 16;
/** Scratch i64: an address minus the cached region's base; a region table offset. */
export const L_T2 = 17;
/** Scratch i64 of the loop guards and the cache refill. */
export const L_LIM = 18;
/** The frame's linear address (i32) for r10-relative accesses checked at compile time. */
export const L_FP = 19;
/** The dispatch label (i32): the checked copy's next block, or where the fast copy continues in it. */
export const L_LABEL = 20;
/** Scratch i32. */
export const L_A = 21;
/** The region table entry (i32) a scan is at. */
export const L_I = 22;
/** If-conversion: the condition, and the old values of the (at most two) registers the skipped block writes. */
export const L_COND = 23;
/** The first of two i64 locals holding registers' old values around a converted block (L_S0 + 1 is the second). */
export const L_S0 = 24;
/** Linear address of a checked access group's lowest byte (emit-block.ts, `group`). */
export const L_GB = 26;
/** In a counted loop's check-free copy: linear address minus (the low half of) the virtual address. */
export const L_D = 27;
/** Set when a chunked loop's check-free copy leaves the loop: the header's terminator then takes its exit. */
export const L_EXIT = 28;
/** Iterations left in a chunked loop's check-free copy. */
export const L_K = 29;
/**
 * Charges of blocks that do not check the budget, not yet subtracted from L_BUDGET (emit-budget.ts,
 * `flush`): kept apart so that they do not lengthen the budget's dependency chain.
 */
export const L_ACC = 30;
/**
 * For the function's indexed base register B (emit-address.ts, `chooseIndexedBase`), per
 * access size s: how far past B an access of s bytes may start and lie in the cached region
 * (cacheLimit + 7 - s + 1 - (B - cacheBase), or 0 when B is not in it); and B's linear address. Kept
 * exact whenever B or the cache changes.
 */
export const L_BLIM: Readonly<Record<1 | 2 | 4 | 8, number>> = { 1: 31, 2: 32, 4: 33, 8: 34 };
/** The indexed base register's linear address (i32), see L_BLIM. */
export const L_BLIN = 35;
/** On a region table hit: where the element holding the access starts, as an offset into its region (0 for a plain region). */
export const L_E = 36;
/** In the checked copy: where in its first block a run resumes (emit-block.ts, `resumeSegments`); 0 at the block's start. */
export const L_RESUME = 37;
/** A bounded loop charged from its induction variable: the tested value on its first iteration (trip-charge.ts). */
export const L_T0 = 38;
/**
 * Times a chunked loop's guard found no iteration to run check-free since the loop was entered (i32):
 * from the second, its header runs checked without evaluating the guard (emit-loops.ts, `emitChunked`).
 */
export const L_NOCHUNK = 39;
/** In a checked copy: Global.reentry as it was on entry (reentry.ts), the block index + 1 where it returns to its fast copy, or 0. */
export const L_RET = 40;
/** The types of the locals after the eleven register parameters, r11-r14 then L_BUDGET to L_RET in order. */
export const EXTRA_LOCALS: readonly ValTypeCode[] = [
  ...Array<ValTypeCode>(INLINED_REGS).fill(ValType.i64),
  ...Array<ValTypeCode>(4).fill(ValType.i64),
  ...Array<ValTypeCode>(5).fill(ValType.i32),
  ValType.i64,
  ValType.i64,
  ValType.i32,
  ValType.i32,
  ValType.i32,
  ValType.i32,
  ValType.i64,
  ...Array<ValTypeCode>(4).fill(ValType.i64),
  ValType.i32,
  ValType.i32,
  ValType.i32,
  ValType.i64,
  ValType.i32,
  ValType.i32,
];
/** The eleven eBPF registers as i64 parameters. */
export const REGS: readonly ValTypeCode[] = Array<ValTypeCode>(11).fill(ValType.i64);
/** A compiled function's results: r0-r5 (a local call clobbers r1-r5 with the callee's). */
export const RESULTS: readonly ValTypeCode[] = Array<ValTypeCode>(6).fill(ValType.i64);
/**
 * Labels every function body is wrapped in: the propagate block, the halt block and (innermost) the
 * block whose end continues the run in the function's budget-checked copy.
 */
export const OUTER = 3;
