/**
 * The ring of batch descriptors a packet pool's host and workers share (one `SharedArrayBuffer`), so a
 * batch costs no message: the host writes a slot (where each packet is in the shared linear memory)
 * and bumps `published`; a worker takes the next batch itself by bumping `claimed` with a
 * compare-exchange, runs it, writes r0, instructions and time in place, sets the slot's status and
 * bumps `completed`, which the host waits on. What does not fit in numbers (failed packets, trace
 * lines, redirects) goes into the slot's extras bytes as JSON, or by message when it does not fit there.
 *
 * Batch `seq` (from 0) uses slot `seq % slots`; the host publishes it only once batch `seq - slots` was
 * collected. Waits are `Atomics.waitAsync` where the platform has it (a worker's event loop stays free
 * for messages, and an in-process worker in a test works too), else short timer polls: never a busy spin.
 * @module
 */

/** Status of a slot (its STATUS word). */
export const SlotStatus = {
  /** Free, or collected. */
  IDLE: 0,
  /** Published, not yet taken. */
  PUBLISHED: 1,
  /** Taken by a worker (OWNER), running (PROGRESS packets done). */
  RUNNING: 2,
  /** Done: results in place, extras (EXTRAS bytes of JSON, maybe 0) in the slot. */
  DONE: 3,
  /** Done: results in place, extras sent as an `extras` message (too large, or clones). */
  DONE_BY_MESSAGE: 4,
  /** The worker failed on the batch: an `error` message says why. */
  FAILED: 5,
} as const;

// Header words.
const PUBLISHED = 0;
const CLAIMED = 1;
const COMPLETED = 2;
const CLOSING = 3;
/** Host waits and worker waits in progress: a notify (which takes a lock shared by every thread) is made only when someone waits. */
const HOST_WAITING = 4;
const WORKERS_WAITING = 5;
/**
 * The header and each slot's words take a 64-byte cache line of their own: a thread writes its slot's
 * PROGRESS after every packet, and with slots side by side two threads running neighbouring batches
 * would write one line packet after packet (false sharing).
 */
const HEADER_WORDS = 16;
// Words of each slot.
const STATUS = 0;
const OWNER = 1;
const PROGRESS = 2;
const COUNT = 3;
const EXTRAS = 4;
const SEQ = 5;
const SLOT_WORDS = 16;

/** Sizes of a ring: slots, packets per slot, extras bytes per slot. */
export interface RingShape {
  readonly slots: number;
  readonly packets: number;
  readonly extrasBytes: number;
}

/** Wait until `a[index]` is no longer `value`, at most `ms` milliseconds (it may return early). */
export function waitChange(a: Int32Array, index: number, value: number, ms: number): Promise<void> | undefined {
  if (Atomics.load(a, index) !== value) return undefined;
  const waitAsync = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown } }).waitAsync;
  if (waitAsync !== undefined) {
    const w = waitAsync(a, index, value, ms);
    return w.async ? (w.value as Promise<unknown>).then(() => undefined) : undefined;
  }
  return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 1)));
}

/** One view of a ring's shared buffer; the host and each worker make their own. */
export class BatchRing {
  readonly slots: number;
  readonly packets: number;
  readonly extrasBytes: number;
  private readonly words: Int32Array;
  /** Per slot: linear-memory offset of each packet (-1: a packet the host refused, which fails alone). */
  readonly starts: Int32Array[] = [];
  readonly lengths: Int32Array[] = [];
  readonly r0Low: Int32Array[] = [];
  readonly r0High: Int32Array[] = [];
  readonly instructions: Float64Array[] = [];
  readonly ns: Float64Array[] = [];
  readonly extras: Uint8Array[] = [];

  /** Bytes of a ring of this shape. */
  static bytes(s: RingShape): number {
    return 4 * (HEADER_WORDS + SLOT_WORDS * s.slots) + s.slots * (32 * s.packets + s.extrasBytes);
  }

  /** A new ring (host), or a view of the host's `buffer` (worker). */
  constructor(shape: RingShape, buffer?: SharedArrayBuffer) {
    this.slots = shape.slots;
    this.packets = shape.packets;
    this.extrasBytes = shape.extrasBytes;
    const sab = buffer ?? new SharedArrayBuffer(BatchRing.bytes(shape));
    if (sab.byteLength !== BatchRing.bytes(shape)) throw new RangeError('ring buffer size does not match its shape');
    this.words = new Int32Array(sab, 0, HEADER_WORDS + SLOT_WORDS * shape.slots);
    let at = this.words.byteLength;
    const p = shape.packets;
    for (let i = 0; i < shape.slots; i++) {
      // 8-byte arrays first, so every array is aligned.
      this.instructions.push(new Float64Array(sab, at, p));
      this.ns.push(new Float64Array(sab, at + 8 * p, p));
      this.starts.push(new Int32Array(sab, at + 16 * p, p));
      this.lengths.push(new Int32Array(sab, at + 20 * p, p));
      this.r0Low.push(new Int32Array(sab, at + 24 * p, p));
      this.r0High.push(new Int32Array(sab, at + 28 * p, p));
      this.extras.push(new Uint8Array(sab, at + 32 * p, shape.extrasBytes));
      at += 32 * p + shape.extrasBytes;
    }
  }

  /** The shared buffer (sent to workers). */
  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  private word(slot: number, w: number): number {
    return HEADER_WORDS + SLOT_WORDS * slot + w;
  }

  // ---- host ----

  /** Batches published so far (the next batch's sequence number). */
  get published(): number {
    return Atomics.load(this.words, PUBLISHED);
  }

  /** Publish batch `seq` (the next one) of `count` packets, whose starts and lengths are in its slot. */
  publish(seq: number, count: number): void {
    const slot = seq % this.slots;
    const w = this.words;
    w[this.word(slot, COUNT)] = count;
    w[this.word(slot, PROGRESS)] = 0;
    w[this.word(slot, OWNER)] = -1;
    w[this.word(slot, EXTRAS)] = 0;
    w[this.word(slot, SEQ)] = seq;
    Atomics.store(w, this.word(slot, STATUS), SlotStatus.PUBLISHED);
    Atomics.store(w, PUBLISHED, seq + 1);
    if (Atomics.load(w, WORKERS_WAITING) > 0) Atomics.notify(w, PUBLISHED);
  }

  /** A slot's status, owner (the worker running it, -1 before), packets done and extras length. */
  status(slot: number): number {
    return Atomics.load(this.words, this.word(slot, STATUS));
  }
  owner(slot: number): number {
    return Atomics.load(this.words, this.word(slot, OWNER));
  }
  progress(slot: number): number {
    return Atomics.load(this.words, this.word(slot, PROGRESS));
  }
  extrasLength(slot: number): number {
    return Atomics.load(this.words, this.word(slot, EXTRAS));
  }

  /** The host collected a slot's results: it may be published again. */
  collect(slot: number): void {
    Atomics.store(this.words, this.word(slot, STATUS), SlotStatus.IDLE);
  }

  /** Batches completed so far (any order). */
  get completed(): number {
    return Atomics.load(this.words, COMPLETED);
  }

  /** Wait (at most `ms`) for the completed count to move past `seen`; undefined when it has. */
  waitCompleted(seen: number, ms: number): Promise<void> | undefined {
    return this.counted(HOST_WAITING, COMPLETED, seen, ms);
  }

  /**
   * Wait on `a[index]` with `a[waiting]` counting the wait, so the other side notifies only when it
   * must. A notify it skips because it read the count before this wait began is not lost: the value
   * check of the wait and the notify are ordered by the same lock, and the wait is bounded anyway.
   */
  private counted(waiting: number, index: number, value: number, ms: number): Promise<void> | undefined {
    const w = this.words;
    Atomics.add(w, waiting, 1);
    const p = waitChange(w, index, value, ms);
    if (p === undefined) {
      Atomics.sub(w, waiting, 1);
      return undefined;
    }
    return p.then(() => void Atomics.sub(w, waiting, 1));
  }

  /** Wake the host's waits (a failure it must see now). */
  wakeHost(): void {
    Atomics.add(this.words, COMPLETED, 0);
    Atomics.notify(this.words, COMPLETED);
  }

  /** Tell workers to stop taking batches, and wake those waiting. */
  close(): void {
    Atomics.store(this.words, CLOSING, 1);
    Atomics.notify(this.words, PUBLISHED);
  }

  // ---- worker ----

  /** Whether the host closed the ring. */
  get closing(): boolean {
    return Atomics.load(this.words, CLOSING) !== 0;
  }

  /**
   * Take the next published batch for worker `index`: its sequence number, or -1 when none is
   * published (wait with {@link waitPublished}).
   */
  claim(index: number): number {
    const w = this.words;
    for (;;) {
      const c = Atomics.load(w, CLAIMED);
      if (c >= Atomics.load(w, PUBLISHED)) return -1;
      if (Atomics.compareExchange(w, CLAIMED, c, c + 1) !== c) continue;
      const slot = c % this.slots;
      Atomics.store(w, this.word(slot, OWNER), index);
      Atomics.store(w, this.word(slot, STATUS), SlotStatus.RUNNING);
      return c;
    }
  }

  /** Batches published and not yet taken. */
  get unclaimed(): number {
    const w = this.words;
    return Atomics.load(w, PUBLISHED) - Atomics.load(w, CLAIMED);
  }

  /** Wait (at most `ms`) for a batch past those published when {@link claim} found none. */
  waitPublished(ms: number): Promise<void> | undefined {
    const p = Atomics.load(this.words, PUBLISHED);
    if (Atomics.load(this.words, CLAIMED) < p || this.closing) return undefined;
    return this.counted(WORKERS_WAITING, PUBLISHED, p, ms);
  }

  /** Packets in a slot's batch. */
  count(slot: number): number {
    return this.words[this.word(slot, COUNT)]!;
  }

  /** Packets of a running slot done so far (a plain store: the host reads it only to tell a stall). */
  setProgress(slot: number, done: number): void {
    this.words[this.word(slot, PROGRESS)] = done;
  }

  /** Finish a slot: `status` DONE (with `extras` bytes of JSON), DONE_BY_MESSAGE or FAILED; wakes the host. */
  finish(slot: number, status: number, extras = 0): void {
    const w = this.words;
    w[this.word(slot, EXTRAS)] = extras;
    Atomics.store(w, this.word(slot, STATUS), status);
    Atomics.add(w, COMPLETED, 1);
    if (Atomics.load(w, HOST_WAITING) > 0) Atomics.notify(w, COMPLETED);
  }
}
