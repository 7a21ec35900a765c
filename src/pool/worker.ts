/**
 * The worker side of a packet pool, platform-neutral: attach to the shared memory, load the object at
 * the host's layout (checked by fingerprint), take this worker's own bytes for its stack, context and
 * packet, then run the program on each batch of packets the host sends and answer with r0, time,
 * errors, trace lines, redirects and clones per packet. A Node host runs it in a `worker_threads`
 * Worker (cli/pool-thread.ts), a browser in a Web Worker.
 * @module
 */
import { EbpfError, ErrorCode } from '../errors.js';
import { loadObject, type BpfObject } from '../elf/loader.js';
import { JitEngine } from '../jit/engine.js';
import { VmMemory } from '../vm/memory.js';
import type { PacketSession } from '../context/session.js';
import { checkPort, layoutFingerprint, type BatchMessage, type InitMessage, type PacketError, type PoolPort, type ResultMessage } from './protocol.js';

/** The kind of session a program type runs in. */
function sessionKind(type: string): 'xdp' | 'skb' | 'raw' {
  return type === 'xdp' ? 'xdp' : type === 'socket' || type === 'tc' ? 'skb' : 'raw';
}

interface Loaded {
  readonly obj: BpfObject;
  readonly session: PacketSession;
  readonly memory: VmMemory;
  /** Where in this worker's own bytes a batch's packets are copied to (one bulk copy per batch), and its size. */
  inbox: number;
  inboxSize: number;
}

function init(m: InitMessage): Loaded {
  const memory = new VmMemory({ attach: m.memory });
  const obj = loadObject(m.object, { ...m.load, memory, cpus: m.workers, cpu: m.index, ...(m.jit ? { jitEngine: new JitEngine() } : {}) });
  const fingerprint = layoutFingerprint(obj);
  if (fingerprint !== m.fingerprint) {
    throw new EbpfError(ErrorCode.INTERNAL, `worker ${m.index} laid the object out differently from the host (its maps would not be shared): ${fingerprint} against ${m.fingerprint}`);
  }
  memory.privateArea(m.base, m.size);
  const info = obj.programs.find((p) => p.name === m.program);
  if (info === undefined) throw new EbpfError(ErrorCode.NO_PROGRAM, `no program named ${m.program}`);
  const session = obj.program(info.name).session(sessionKind(info.type), { jit: m.jit, limits: m.limits });
  return { obj, session, memory, inbox: 0, inboxSize: 0 };
}

/**
 * Copy the batch's bytes into linear memory in one piece, so that each packet's copy into the packet
 * region is a `memory.copy` (VmMemory.copy) rather than a `set` between buffers, which V8 does a byte
 * at a time into a shared memory. Only the bytes from the first packet to the last are copied. Returns
 * where the batch's byte 0 would be in linear memory, or undefined (no room, or no bytes: packets are
 * then copied from the batch's buffer).
 */
function intoMemory(l: Loaded, m: BatchMessage): number | undefined {
  let end = 0;
  let lo = m.data.length;
  for (let i = 0; i < m.count; i++) {
    const start = m.starts[i]!;
    const length = m.lengths[i]!;
    // A packet outside the batch's bytes is refused by runPacket on the batch's own buffer, not read from memory.
    if (start < 0 || length < 0 || start + length > m.data.length) return undefined;
    end = Math.max(end, start + length);
    lo = Math.min(lo, start);
  }
  if (end <= lo) return undefined;
  if (end - lo > l.inboxSize) {
    // Allocations in the private area are for good: grow by doubling, and give up when it is full.
    const size = Math.max(end - lo, 2 * l.inboxSize, 64 * 1024);
    try {
      l.inbox = l.memory.allocate(size, 8);
      l.inboxSize = size;
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      return undefined;
    }
  }
  l.memory.bytes.set(m.data.subarray(lo, end), l.inbox);
  return l.inbox - lo;
}

function runBatch(l: Loaded, m: BatchMessage): ResultMessage {
  const { obj, session } = l;
  const r = m.results;
  const r0Low = r?.r0Low ?? new Int32Array(m.count);
  const r0High = r?.r0High ?? new Int32Array(m.count);
  const instructions = r?.instructions ?? new Float64Array(m.count);
  const ns = r?.ns ?? new Float64Array(m.count);
  const errors: PacketError[] = [];
  const trace: { at: number; line: string }[] = [];
  const redirects: ResultMessage['redirects'][number][] = [];
  const clones: ResultMessage['clones'][number][] = [];
  const dropped0 = obj.traceDropped;
  const at = intoMemory(l, m);
  const src = at === undefined ? m.data : l.memory.bytes;
  const offset = at ?? 0;
  let prev = performance.now();
  for (let i = 0; i < m.count; i++) {
    try {
      const outcome = session.runPacket(src, offset + m.starts[i]!, m.lengths[i]!);
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
  }
  return { type: 'result', id: m.id, data: m.data, r0Low, r0High, instructions, ns, errors, trace, traceDropped: obj.traceDropped - dropped0, redirects, clones };
}

/**
 * Serve a pool's host over `port` (the worker's end): the first message loads the object, every later
 * one is a batch of packets. Errors go back as messages; the worker stays up until terminated.
 */
export function servePoolWorker(port: PoolPort): void {
  checkPort(port, 'port');
  let loaded: Loaded | undefined;
  port.onMessage((message) => {
    const m = message as InitMessage | BatchMessage;
    try {
      if (m.type === 'init') {
        loaded = init(m);
        port.postMessage({ type: 'ready', fingerprint: m.fingerprint });
      } else if (m.type === 'batch' && loaded !== undefined) {
        const result = runBatch(loaded, m);
        // Plain buffers move back; shared ones are shared (see BatchBuffers).
        const buffers = [result.r0Low.buffer, result.r0High.buffer, result.instructions.buffer, result.ns.buffer, result.data.buffer];
        port.postMessage(result, buffers.filter((b, i, all): b is ArrayBuffer => b instanceof ArrayBuffer && all.indexOf(b) === i));
      } else throw new EbpfError(ErrorCode.INTERNAL, `unexpected message ${String((m as { type?: unknown }).type)}`);
    } catch (e) {
      const err = e instanceof EbpfError ? e : undefined;
      port.postMessage({ type: 'error', code: err?.code ?? ErrorCode.INTERNAL, message: err?.message ?? String(e), ...(m.type === 'batch' ? { id: m.id } : {}) });
    }
  });
}
