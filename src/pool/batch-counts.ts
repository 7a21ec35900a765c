/**
 * A batch's results counted by the thread that ran it (issue 17): distinct r0 values, instruction counts
 * and the timed packets, written beside the batch ring into a `SharedArrayBuffer` of their own (one area
 * per ring slot), so a host that wants counts, not packets, reads a few numbers per batch instead of
 * walking every packet's r0, instructions and time. What needs capture order (failures, trace lines,
 * redirects) stays in the batch's extras; the per-packet arrays stay in the ring's slot.
 *
 * The host asks for counts when it publishes a batch ({@link CountsRing.request}); the thread that takes
 * it counts after running it ({@link ThreadCounts.count}); the host copies them out when it collects the
 * batch ({@link CountsRing.read}).
 * @module
 */
import type { PacketError } from './protocol.js';
import type { BatchRing } from './ring.js';

/** Distinct r0 values a batch's counts hold; a batch with more gives none (its per-packet r0 is read instead). */
export const R0_VALUES = 32;
/** Instruction counts below this are counted in a dense array per thread; larger ones in a map. */
const DENSE_INSTRUCTIONS = 4096;

// Header words of each slot's area (a 64-byte line).
const REQUESTED = 0;
/** Distinct r0 values, or -1 when there were more than R0_VALUES. */
const R0_COUNT = 1;
const INSTRUCTION_COUNT = 2;
const TIMED_COUNT = 3;
const HEADER_WORDS = 16;

/** A batch's counts, copied out of its slot (see the module comment). */
export interface BatchCounts {
  /**
   * Distinct r0 values of the packets that did not fail, in the order first met: 32-bit halves and the
   * packets that gave each. Undefined when the batch had more than {@link R0_VALUES} distinct values.
   */
  readonly r0: { readonly low: Int32Array; readonly high: Int32Array; readonly packets: Float64Array } | undefined;
  /** Distinct instruction counts of the packets that did not fail, and the packets that ran each. */
  readonly instructions: { readonly counts: Float64Array; readonly packets: Float64Array };
  /**
   * The timed packets (BatchBuffers.ns): index in the batch, run time in nanoseconds, and the packets each
   * stands for: itself and the untimed ones its thread ran before it (in this batch or its earlier ones).
   */
  readonly timed: { readonly at: Int32Array; readonly ns: Float64Array; readonly weight: Int32Array };
}

/** Views of one slot's area. */
interface SlotViews {
  readonly header: Int32Array;
  readonly r0Low: Int32Array;
  readonly r0High: Int32Array;
  readonly r0Packets: Float64Array;
  readonly instructions: Float64Array;
  readonly instructionPackets: Float64Array;
  readonly timedAt: Int32Array;
  readonly timedWeight: Int32Array;
  readonly timedNs: Float64Array;
}

/** The counts' shared buffer, one area per ring slot; the host and each thread that runs batches make their own view. */
export class CountsRing {
  private readonly views: SlotViews[] = [];

  /** Bytes of the counts of a ring of `slots` slots of `packets` packets. */
  static bytes(slots: number, packets: number): number {
    return slots * CountsRing.slotBytes(packets);
  }

  private static slotBytes(packets: number): number {
    return 4 * HEADER_WORDS + 16 * R0_VALUES + 32 * packets;
  }

  /** A new buffer (host), or a view of the host's `buffer` (a worker), for a ring of `slots` slots of `packets` packets. */
  constructor(slots: number, packets: number, buffer?: SharedArrayBuffer) {
    const sab = buffer ?? new SharedArrayBuffer(CountsRing.bytes(slots, packets));
    if (sab.byteLength !== CountsRing.bytes(slots, packets)) throw new RangeError('counts buffer size does not match its ring');
    const p = packets;
    for (let s = 0, at = 0; s < slots; s++, at += CountsRing.slotBytes(packets)) {
      // 8-byte arrays first after the header, so every array is aligned.
      let o = at + 4 * HEADER_WORDS;
      const f64 = (n: number): Float64Array => {
        const a = new Float64Array(sab, o, n);
        o += 8 * n;
        return a;
      };
      const i32 = (n: number): Int32Array => {
        const a = new Int32Array(sab, o, n);
        o += 4 * n;
        return a;
      };
      const header = new Int32Array(sab, at, HEADER_WORDS);
      const r0Packets = f64(R0_VALUES);
      const instructions = f64(p);
      const instructionPackets = f64(p);
      const timedNs = f64(p);
      this.views.push({ header, r0Packets, instructions, instructionPackets, timedNs, r0Low: i32(R0_VALUES), r0High: i32(R0_VALUES), timedAt: i32(p), timedWeight: i32(p) });
    }
  }

  /** The shared buffer (sent to workers). */
  get buffer(): SharedArrayBuffer {
    return this.views[0]!.header.buffer as SharedArrayBuffer;
  }

  /** Host, before publishing a slot's batch: whether the thread that runs it counts it. */
  request(slot: number, counts: boolean): void {
    this.views[slot]!.header[REQUESTED] = counts ? 1 : 0;
  }

  /** Whether the batch in `slot` asked for counts (read by the thread that took it: the ring's publish ordered the write before). */
  requested(slot: number): boolean {
    return this.views[slot]!.header[REQUESTED] === 1;
  }

  /** Host, collecting a counted batch: a copy of its counts (the ring's finish ordered the thread's writes before). */
  read(slot: number): BatchCounts {
    const v = this.views[slot]!;
    const r0n = v.header[R0_COUNT]!;
    const n = v.header[INSTRUCTION_COUNT]!;
    const t = v.header[TIMED_COUNT]!;
    return {
      r0: r0n < 0 ? undefined : { low: v.r0Low.slice(0, r0n), high: v.r0High.slice(0, r0n), packets: v.r0Packets.slice(0, r0n) },
      instructions: { counts: v.instructions.slice(0, n), packets: v.instructionPackets.slice(0, n) },
      timed: { at: v.timedAt.slice(0, t), ns: v.timedNs.slice(0, t), weight: v.timedWeight.slice(0, t) },
    };
  }

  /** The views of a slot (for {@link ThreadCounts}). */
  slot(slot: number): SlotViews {
    return this.views[slot]!;
  }
}

/**
 * What a thread that runs batches keeps between them to count them: a dense array of instruction counts
 * (reset through the list of those it touched), and its untimed packets since its last timed one.
 */
export class ThreadCounts {
  private readonly dense = new Float64Array(DENSE_INSTRUCTIONS);
  private readonly touched = new Int32Array(DENSE_INSTRUCTIONS);
  private readonly large = new Map<number, number>();
  private untimed = 0;

  constructor(private readonly counts: CountsRing) {}

  /**
   * Count the batch this thread ran in ring slot `slot`, if the host asked for counts: its packets'
   * r0, instructions and times (the ring's arrays), the failed ones (`errors`, by index in the batch) left
   * out of the r0 values and instruction counts.
   */
  count(ring: BatchRing, slot: number, errors: readonly PacketError[]): void {
    const c = this.counts;
    if (!c.requested(slot)) return;
    const v = c.slot(slot);
    const n = ring.count(slot);
    const low = ring.r0Low[slot]!;
    const high = ring.r0High[slot]!;
    const ins = ring.instructions[slot]!;
    const ns = ring.ns[slot]!;
    const { r0Low, r0High, r0Packets, timedAt, timedNs, timedWeight } = v;
    const dense = this.dense;
    const touched = this.touched;
    let touchedN = 0;
    let r0n = 0;
    // The r0 value met last, and its index: most packets give the value the one before gave.
    let lastLow = 0;
    let lastHigh = 0;
    let last = -1;
    let timedN = 0;
    let untimed = this.untimed;
    let e = 0;
    let failedAt = errors.length > 0 ? errors[0]!.at : -1;
    for (let i = 0; i < n; i++) {
      const t = ns[i]!;
      if (t !== t) untimed++;
      else {
        timedAt[timedN] = i;
        timedNs[timedN] = t;
        timedWeight[timedN] = untimed + 1;
        timedN++;
        untimed = 0;
      }
      if (i === failedAt) {
        // Several errors name one packet only when a batch failed as a whole (at -1): none is skipped twice.
        while (e < errors.length && errors[e]!.at <= i) e++;
        failedAt = e < errors.length ? errors[e]!.at : -1;
        continue;
      }
      const l = low[i]!;
      const h = high[i]!;
      if (last >= 0 && l === lastLow && h === lastHigh) r0Packets[last]!++;
      else if (r0n >= 0) {
        let j = 0;
        // Both halves compared at every step (not `low !== l || high !== h`): a compare first reached
        // after V8 optimised this loop (two values with the same low half) would throw that code away.
        while (j < r0n && ((r0Low[j]! ^ l) | (r0High[j]! ^ h)) !== 0) j++;
        if (j === r0n) {
          if (r0n === R0_VALUES) {
            // Too many values: the host reads this batch's r0 per packet.
            r0n = -1;
            last = -1;
          } else {
            r0Low[j] = l;
            r0High[j] = h;
            r0Packets[j] = 1;
            r0n++;
          }
        } else r0Packets[j]!++;
        if (r0n >= 0) {
          last = j;
          lastLow = l;
          lastHigh = h;
        }
      }
      const k = ins[i]!;
      if (k >= 0 && k < DENSE_INSTRUCTIONS) {
        const d = k | 0;
        if (dense[d]!++ === 0) touched[touchedN++] = d;
      } else if (k === k) this.large.set(k, (this.large.get(k) ?? 0) + 1);
    }
    this.untimed = untimed;
    let out = 0;
    for (let j = 0; j < touchedN; j++) {
      const d = touched[j]!;
      v.instructions[out] = d;
      v.instructionPackets[out++] = dense[d]!;
      dense[d] = 0;
    }
    for (const [k, p] of this.large) {
      v.instructions[out] = k;
      v.instructionPackets[out++] = p;
    }
    this.large.clear();
    v.header[R0_COUNT] = r0n;
    v.header[INSTRUCTION_COUNT] = out;
    v.header[TIMED_COUNT] = timedN;
  }
}
