/**
 * Running one batch of a packet pool's ring: what a worker thread does with each batch it takes, and
 * what the host does with a batch it runs itself (PacketPoolOptions.hostRuns). Each packet runs where
 * the host put it in the shared linear memory (copied into the packet region by `memory.copy`); r0,
 * instructions and run time go into the slot's arrays, everything else into the batch's extras.
 * @module
 */
import { EbpfError } from '../errors.js';
import type { BpfObject } from '../elf/loader.js';
import type { PacketSession } from '../context/session.js';
import type { VmMemory } from '../vm/memory.js';
import type { BatchExtras, PacketError } from './protocol.js';
import type { BatchRing } from './ring.js';

/** The kind of session a program type runs in. */
export function sessionKind(type: string): 'xdp' | 'skb' | 'raw' {
  return type === 'xdp' ? 'xdp' : type === 'socket' || type === 'tc' ? 'skb' : 'raw';
}

/** What runs a pool's batches on one thread: the object loaded into the shared memory, a session over this thread's own bytes. */
export interface BatchRunner {
  readonly obj: BpfObject;
  readonly session: PacketSession;
  readonly memory: VmMemory;
  readonly ring: BatchRing;
  /** This runner's CPU index (the ring's owner of the slots it takes). */
  readonly index: number;
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
  let prev = performance.now();
  for (let i = 0; i < count; i++) {
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
    const now = performance.now();
    ns[i] = (now - prev) * 1e6;
    prev = now;
    ring.setProgress(slot, i + 1);
  }
  return { errors, trace, traceDropped: obj.traceDropped - dropped0, redirects, clones };
}
