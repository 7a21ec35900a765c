/**
 * Running one batch of a packet pool's ring: what a worker thread does with each batch it takes, and
 * what the host does with a batch it runs itself (PacketPoolOptions.hostRuns). Each packet runs where
 * the host put it in the shared linear memory (copied into the packet region by `memory.copy`); r0,
 * instructions and run time (sampled: {@link SampleClock}) go into the slot's arrays, everything else
 * into the batch's extras.
 * @module
 */
import type { BpfObject } from '../elf/loader.js';
import type { PacketSession } from '../context/session.js';
import type { VmMemory } from '../vm/memory.js';
import type { BatchExtras, PacketError } from './protocol.js';
import type { BatchRing } from './ring.js';
import { SampleGaps } from './sample-gaps.js';

/** The kind of session a program type runs in. */
export function sessionKind(type: string): 'xdp' | 'skb' | 'raw' {
  return type === 'xdp' ? 'xdp' : type === 'socket' || type === 'tc' ? 'skb' : 'raw';
}

/** Packets each runner times one by one before it samples. */
export const TIMED_FIRST = 1000;
/** Mean interval between the packets a runner times after its first {@link TIMED_FIRST}. */
export const SAMPLE_INTERVAL = 16;

/**
 * Which packets a runner times: each of its first {@link TIMED_FIRST}, then one at random gaps of mean
 * {@link SAMPLE_INTERVAL} (pool/sample-gaps.ts). A clock read costs about as much as a short program's run.
 */
export class SampleClock {
  private first = TIMED_FIRST;
  private left = 1;
  private readonly gaps = new SampleGaps();

  /** Whether to time the next packet. */
  next(): boolean {
    if (this.first > 0) {
      this.first--;
      return true;
    }
    if (--this.left > 0) return false;
    this.left = this.gaps.next(SAMPLE_INTERVAL);
    return true;
  }

  /** Packets from the next on that {@link next} will not time (0: it times the next). */
  get untimed(): number {
    return this.first > 0 ? 0 : this.left - 1;
  }

  /** Take `n` packets at most {@link untimed} as {@link next} would, without a call per packet. */
  skip(n: number): void {
    this.left -= n;
  }
}

/** What runs a pool's batches on one thread: the object loaded into the shared memory, a session over this thread's own bytes. */
export interface BatchRunner {
  readonly obj: BpfObject;
  readonly session: PacketSession;
  readonly memory: VmMemory;
  readonly ring: BatchRing;
  /** This runner's CPU index (the ring's owner of the slots it takes). */
  readonly index: number;
  /** Which of its packets it times. */
  readonly clock: SampleClock;
}

/** Whether a batch gave nothing but numbers (its slot needs no extras). */
export function noExtras(x: BatchExtras): boolean {
  return x.errors.length === 0 && x.trace.length === 0 && x.traceDropped === 0 && x.redirects.length === 0 && x.clones.length === 0;
}

const tracedTests = new WeakMap<BpfObject, () => boolean>();

/**
 * Whether `obj` has trace lines waiting: a packet that writes one ends its batch call, so that they are
 * drained per packet. One function per object, not one per batch: the session calls it from code V8
 * optimises for the function it met, and a new one at every batch threw that code away.
 */
function tracedTest(obj: BpfObject): () => boolean {
  let test = tracedTests.get(obj);
  if (test === undefined) {
    test = (): boolean => obj.traceLog.length > 0;
    tracedTests.set(obj, test);
  }
  return test;
}

/** A batch as it runs, perhaps in parts ({@link runBatchPart}): packets done and the extras gathered so far. */
export interface BatchInProgress {
  /** Packets of the batch run so far (the next one's index). */
  done: number;
  readonly errors: PacketError[];
  readonly trace: { at: number; line: string }[];
  readonly redirects: BatchExtras['redirects'][number][];
  readonly clones: BatchExtras['clones'][number][];
  /** The object's dropped trace lines when the batch began. */
  readonly dropped0: number;
}

/** A batch about to run on `l` (see {@link runBatchPart}). */
export function beginBatch(l: BatchRunner): BatchInProgress {
  return { done: 0, errors: [], trace: [], redirects: [], clones: [], dropped0: l.obj.traceDropped };
}

/**
 * Run up to `most` more packets of the batch in ring slot `slot` (see the module comment); true when
 * the batch is done. Untimed packets run many to a call (PacketSession.runBatch: the JIT's
 * `run_batch`), which stops after a packet with anything to add to the extras; a timed packet runs as
 * a batch of one, timed alone.
 */
export function runBatchPart(l: BatchRunner, slot: number, b: BatchInProgress, most: number): boolean {
  const { obj, session, ring } = l;
  const count = ring.count(slot);
  const end = Math.min(count, b.done + most);
  const starts = ring.starts[slot]!;
  const lengths = ring.lengths[slot]!;
  const out = { r0Low: ring.r0Low[slot]!, r0High: ring.r0High[slot]!, instructions: ring.instructions[slot]! };
  const ns = ring.ns[slot]!;
  const clock = l.clock;
  const traced = tracedTest(obj);
  let i = b.done;
  while (i < end) {
    const untimed = clock.untimed;
    let next: number;
    if (untimed === 0) {
      clock.next();
      const start = performance.now();
      next = session.runBatch(starts, lengths, i, i + 1, out, traced);
      ns[i] = (performance.now() - start) * 1e6;
    } else {
      next = session.runBatch(starts, lengths, i, Math.min(end, i + untimed), out, traced);
      clock.skip(next - i);
      // NaN: not timed (BatchBuffers.ns).
      for (let j = i; j < next; j++) ns[j] = Number.NaN;
    }
    // Only the last packet run can have extras.
    const at = next - 1;
    const e = session.batchError;
    if (e !== undefined) b.errors.push({ at, code: e.code, message: e.message, pc: e.pc });
    else {
      const redirect = session.redirect;
      if (redirect !== undefined) b.redirects.push({ at, redirect });
      const copies = session.clones;
      if (copies.length !== 0 || session.clonesDropped !== 0) b.clones.push({ at, clones: copies.map((c) => ({ ...c, packet: c.packet.slice() })), dropped: session.clonesDropped });
    }
    if (obj.traceLog.length > 0) for (const line of obj.drainTrace()) b.trace.push({ at, line });
    ring.setProgress(slot, next);
    i = next;
  }
  b.done = i;
  return i === count;
}

/** The extras of a batch {@link runBatchPart} has run to its end. */
export function batchExtras(l: BatchRunner, b: BatchInProgress): BatchExtras {
  return { errors: b.errors, trace: b.trace, traceDropped: l.obj.traceDropped - b.dropped0, redirects: b.redirects, clones: b.clones };
}

/** Run the whole batch in ring slot `slot` (see {@link runBatchPart}); returns its extras. */
export function runBatch(l: BatchRunner, slot: number): BatchExtras {
  const b = beginBatch(l);
  runBatchPart(l, slot, b, Number.POSITIVE_INFINITY);
  return batchExtras(l, b);
}
