/**
 * Running one batch of a packet pool's ring: what a worker thread does with each batch it takes, and
 * what the host does with a batch it runs itself (PacketPoolOptions.hostRuns). Each packet runs where
 * the host put it in the shared linear memory (copied into the packet region by `memory.copy`); r0,
 * instructions and run time (sampled: {@link SampleClock}) go into the slot's arrays, everything else
 * into the batch's extras.
 * @module
 */
import { EbpfError } from '../errors.js';
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

/** Run the batch in ring slot `slot` (see the module comment); returns its extras. */
export function runBatch(l: BatchRunner, slot: number): BatchExtras {
  const { obj, session, ring } = l;
  const count = ring.count(slot);
  const starts = ring.starts[slot]!;
  const lengths = ring.lengths[slot]!;
  const r0Low = ring.r0Low[slot]!;
  const r0High = ring.r0High[slot]!;
  const instructions = ring.instructions[slot]!;
  const ns = ring.ns[slot]!;
  const errors: PacketError[] = [];
  const trace: { at: number; line: string }[] = [];
  const redirects: BatchExtras['redirects'][number][] = [];
  const clones: BatchExtras['clones'][number][] = [];
  const dropped0 = obj.traceDropped;
  const src = l.memory.bytes;
  const clock = l.clock;
  for (let i = 0; i < count; i++) {
    // NaN: not timed (BatchBuffers.ns).
    const start = clock.next() ? performance.now() : Number.NaN;
    try {
      const outcome = session.runPacket(src, starts[i]!, lengths[i]!);
      r0Low[i] = outcome.r0Low;
      r0High[i] = outcome.r0High;
      instructions[i] = outcome.instructions;
      const redirect = session.redirect;
      if (redirect !== undefined) redirects.push({ at: i, redirect });
      const copies = session.clones;
      if (copies.length !== 0 || session.clonesDropped !== 0) clones.push({ at: i, clones: copies.map((c) => ({ ...c, packet: c.packet.slice() })), dropped: session.clonesDropped });
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      r0Low[i] = 0;
      r0High[i] = 0;
      instructions[i] = Number.NaN;
      errors.push({ at: i, code: e.code, message: e.message, pc: e.pc });
    }
    if (obj.traceLog.length > 0) for (const line of obj.drainTrace()) trace.push({ at: i, line });
    ns[i] = start === start ? (performance.now() - start) * 1e6 : Number.NaN;
    ring.setProgress(slot, i + 1);
  }
  return { errors, trace, traceDropped: obj.traceDropped - dropped0, redirects, clones };
}
