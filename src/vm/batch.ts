/**
 * A batch of packets run in one call into a compiled program's module (the JIT's `run_batch` export,
 * jit/batch-export.ts), as a packet session asks for it (context/session.ts `runBatch`): the layout of
 * the batch area in linear memory that both sides read and write, and the hooks through which the
 * module's imports keep the JavaScript side in step with the packet being run.
 *
 * The area: a header of i32 words ({@link BatchWord}), then {@link BATCH_PACKETS} packet starts (linear
 * offsets, i32), lengths (i32), r0 (i64) and instructions charged (f64), then the context's template.
 * @module
 */

/** Packets one batch area holds. */
export const BATCH_PACKETS = 256;

/** Byte offsets of the header words of a batch area. */
export const BatchWord = {
  /** The index of the packet being run (written by the module before each packet). */
  current: 0,
  /** Non-zero: stop after the packet being run (written by the hooks). */
  stop: 4,
  /** Linear offset the packet is copied to. */
  dest: 8,
  /** Linear offset of the context (0 with {@link BatchWord.ctxSize} 0). */
  ctx: 12,
  /** Bytes of the context: copied from the template before each packet. */
  ctxSize: 16,
  /** Offset in the context of the u32 word that is the template's value plus the packet's length (-1: none). */
  endAt: 20,
  /** Linear address of the packet region's size in the region table (vm/region-table). */
  sizeAt: 24,
  /** 1: r2 is the packet's length (a raw run); 0: r2 as given. */
  r2Length: 28,
} as const;

/** Bytes of the header. */
const HEADER = 64;
/** Offset of the starts array. */
export const BATCH_STARTS = HEADER;
/** Offset of the lengths array. */
export const BATCH_LENGTHS = BATCH_STARTS + 4 * BATCH_PACKETS;
/** Offset of the r0 array (i64, 8-aligned). */
export const BATCH_R0 = BATCH_LENGTHS + 4 * BATCH_PACKETS;
/** Offset of the instruction counts (f64). */
export const BATCH_INSNS = BATCH_R0 + 8 * BATCH_PACKETS;
/** Offset of the context's template. */
export const BATCH_TEMPLATE = BATCH_INSNS + 8 * BATCH_PACKETS;
/** Bytes of an area whose context is `ctxSize` bytes. */
export const batchAreaBytes = (ctxSize: number): number => BATCH_TEMPLATE + Math.max(ctxSize, 8);

/**
 * What the module's imports call while a batch runs, so that JavaScript code a packet reaches (a
 * helper, a memory fault, a tail call) sees that packet's state, and so that a packet whose effects the
 * caller must handle one by one ends the batch.
 */
export interface BatchHooks {
  /**
   * Called on entry to every import: bring the JavaScript side to the packet the area names, if not
   * yet; true when it did (a new packet: the engine starts its run state afresh).
   */
  enter(): boolean;
  /** Called after every helper call: set the area's stop word when the packet needs JavaScript after it. */
  after(): void;
  /** Set the area's stop word (a tail call ran another program, whose helpers these hooks do not see). */
  stop(): void;
}

/**
 * A prepared batch run (Engine.prepareBatch): runs packets `[from, to)` of the area and returns the
 * index past the last one run (less than `to` when one set the stop word); -1 when it ran nothing
 * because the request's layout or stack changed since it was prepared (prepare again). A packet whose
 * run threw ends the call with that error; the area's current word names it.
 */
export type BatchRun = (from: number, to: number) => number;
