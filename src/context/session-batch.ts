/**
 * A packet session's batches (PacketSession.runBatch): many packets in one call into the engine where
 * it can (the JIT's `run_batch`: XDP and raw sessions), through the batch area of vm/batch, with the
 * JavaScript side brought to the running packet only when a helper needs it. Its own state (the area,
 * the prepared batch run, the packet last synced) lives here; the session's (buffer, context, counters)
 * is read and written through {@link BatchSession}.
 * @module
 */
import { EbpfError } from '../errors.js';
import type { Engine, RunOutcome, RunRequest } from '../vm/environment.js';
import { MEM_START } from '../vm/memory.js';
import type { RunEnvironment } from './runner.js';
import { XdpMd } from './layout.js';
import type { XdpPacket } from './packet-host.js';
import { XDP_HEADROOM, nestedRunError } from './space.js';
import { checkInstance, checkInteger, checkObject, checkOptionalFunction } from '../validate.js';
import { BATCH_INSNS, BATCH_LENGTHS, BATCH_PACKETS, BATCH_R0, BATCH_STARTS, BATCH_TEMPLATE, BatchWord, batchAreaBytes, type BatchHooks, type BatchRun } from '../vm/batch.js';
import { TABLE_ENTRY, regionTable } from '../vm/region-table.js';
import type { PacketSession, SessionKind } from './session.js';

/** Where {@link PacketSession.runBatch} writes each packet's r0 (as halves) and instructions charged. */
export interface BatchOutputs {
  readonly r0Low: Int32Array;
  readonly r0High: Int32Array;
  readonly instructions: Float64Array;
}

/** What a batch reads and writes of its session: the {@link PacketSession}'s own state, given through accessors. */
export interface BatchSession {
  readonly kind: SessionKind;
  readonly env: RunEnvironment;
  readonly engine: Engine;
  readonly request: RunRequest;
  readonly xdp: XdpPacket;
  readonly ingressIfindex: number;
  /** The packet buffer's linear offset, the context's, and the packet bytes the buffer holds. */
  readonly base: number;
  readonly ctx: number;
  readonly room: number;
  /** `space.changes` when the session last set its regions up. */
  ticket: number;
  lastLength: number;
  runs: number;
  outStart: number;
  outEnd: number;
  batchError: EbpfError | undefined;
  /** One packet through the session's path without batches. */
  runAt(offset: number, length: number): RunOutcome;
}

/** The batch runner of one {@link PacketSession}, made on its first batch. */
export class SessionBatch {
  /** The batch area's linear offset (vm/batch), made on the first batch; -1: none yet. */
  private area = -1;
  /** The engine's prepared batch run (Engine.prepareBatch); null: the engine cannot run batches. */
  private batchRun: BatchRun | null | undefined;
  /** The packet of the running batch the JavaScript side was last brought to (area index; -1: none). */
  private synced = -1;
  /** The running batch's caller's test for packets it must see one by one (trace lines, events). */
  private batchExtra: (() => boolean) | undefined;
  /** `memory.shape` when the running batch started. */
  private batchShape = -1;
  /** The session's `ticket` when the running batch started (nothing changes it while a batch runs). */
  private batchTicket = -1;
  private readonly hooks: BatchHooks = {
    enter: () => this.batchEnter(),
    after: () => {
      if (this.batchDirty()) this.env.space.memory.view.setInt32(this.area + BatchWord.stop, 1, true);
    },
    stop: () => this.env.space.memory.view.setInt32(this.area + BatchWord.stop, 1, true),
  };

  /** The session's kind, environment and XDP host, fixed for its life (read per helper call: no accessors). */
  private readonly kind: SessionKind;
  private readonly env: RunEnvironment;
  private readonly xdp: XdpPacket;

  constructor(private readonly s: BatchSession) {
    this.kind = s.kind;
    this.env = s.env;
    this.xdp = s.xdp;
  }

  /**
   * Run packets `from` to `to` - 1 given by linear offsets (`starts`) and lengths as {@link PacketSession.runAt}
   * would, many in one call into the engine where it can (the JIT's `run_batch`: XDP and raw sessions),
   * one else; r0 and instructions go to `out` at the packets' indices. Returns the index past the last
   * packet run: the batch stops after a packet the caller must handle by itself, which is then the
   * session's last run as after {@link PacketSession.runAt} ({@link PacketSession.redirect}, {@link PacketSession.outStart}, ..., or
   * {@link PacketSession.batchError} when it failed). `extra`: the caller's own test, after each helper call, for a
   * packet it must see (a trace line written, for instance). Packets before the last one had nothing
   * to handle: no failure, redirect, clone, adjustment or mapping, and `extra` false.
   */
  run(starts: Int32Array, lengths: Int32Array, from: number, to: number, out: BatchOutputs, extra?: () => boolean): number {
    checkBatchArguments(starts, lengths, from, to, out, extra);
    this.s.batchError = undefined;
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    if (this.kind === 'skb' || this.batchRun === null || space.changes !== this.s.ticket || !(from < to)) return this.runOne(starts, lengths, from, out);
    const mem = space.memory;
    const size = mem.bytes.length;
    // The packets that fit in the buffer as it is (a longer one is run alone: it sets the buffer up again).
    const end = Math.min(to, from + BATCH_PACKETS);
    let n = 0;
    const view = mem.view;
    if (this.area < 0) this.makeArea();
    const area = this.area;
    for (let i = from; i < end; i++) {
      const start = starts[i]!;
      const length = lengths[i]!;
      if (!(length >= 0 && length <= this.s.room && start >= 0 && start + length <= size)) break;
      view.setInt32(area + BATCH_STARTS + 4 * n, start, true);
      view.setInt32(area + BATCH_LENGTHS + 4 * n, length, true);
      n++;
    }
    const region = space.packet;
    if (n === 0 || region === undefined) return this.runOne(starts, lengths, from, out);
    if (this.kind === 'xdp' && this.xdp.adjusts !== 0) {
      mem.bytes.fill(0, this.s.base, this.s.base + XDP_HEADROOM);
      this.xdp.adjusts = 0;
    }
    const table = regionTable(mem);
    const at = mem.regions.indexOf(region);
    const xdp = this.kind === 'xdp';
    view.setInt32(area + BatchWord.stop, 0, true);
    view.setInt32(area + BatchWord.current, 0, true);
    view.setInt32(area + BatchWord.dest, this.s.base + (xdp ? XDP_HEADROOM : 0), true);
    view.setInt32(area + BatchWord.ctx, xdp ? this.s.ctx : 0, true);
    view.setInt32(area + BatchWord.ctxSize, xdp ? XdpMd.SIZE : 0, true);
    view.setInt32(area + BatchWord.endAt, xdp ? XdpMd.data_end : -1, true);
    view.setInt32(area + BatchWord.sizeAt, table.offset + at * TABLE_ENTRY + 4, true);
    view.setInt32(area + BatchWord.r2Length, xdp ? 0 : 1, true);
    if (this.batchRun === undefined) this.batchRun = this.s.engine.prepareBatch?.(this.s.request, area, this.hooks) ?? null;
    if (this.batchRun === null) return this.runOne(starts, lengths, from, out);
    this.synced = -1;
    this.batchExtra = extra;
    this.batchShape = mem.shape;
    this.batchTicket = this.s.ticket;
    space.running = true;
    let done: number;
    try {
      done = this.batchRun(0, n);
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      done = mem.view.getInt32(area + BatchWord.current, true);
      this.s.batchError = e;
      done++;
    } finally {
      space.running = false;
      this.batchExtra = undefined;
    }
    if (done < 0) {
      // The layout or the stack changed since the batch run was prepared: one packet through the JavaScript path, then again.
      this.batchRun = undefined;
      return this.runOne(starts, lengths, from, out);
    }
    // The JavaScript side as after the last packet's run.
    const last = done - 1;
    if (this.synced !== last) this.syncTo(last);
    this.synced = -1;
    this.s.runs += done;
    this.s.ticket = space.changes;
    this.s.lastLength = -1;
    if (xdp) {
      this.s.outStart = this.s.base + this.xdp.start;
      this.s.outEnd = this.s.base + this.xdp.end;
    } else {
      this.s.outStart = this.s.base;
      this.s.outEnd = this.s.base + view.getInt32(area + BATCH_LENGTHS + 4 * last, true);
    }
    const v = mem.view;
    for (let j = 0; j < done; j++) {
      out.r0Low[from + j] = v.getInt32(area + BATCH_R0 + 8 * j, true);
      out.r0High[from + j] = v.getInt32(area + BATCH_R0 + 8 * j + 4, true);
      out.instructions[from + j] = v.getFloat64(area + BATCH_INSNS + 8 * j, true);
    }
    if (this.s.batchError !== undefined) {
      out.r0Low[from + last] = 0;
      out.r0High[from + last] = 0;
      out.instructions[from + last] = Number.NaN;
    }
    return from + done;
  }

  /** Packet `i` through {@link PacketSession.runAt} (the path without batches), as one {@link runBatch} packet. */
  private runOne(starts: Int32Array, lengths: Int32Array, i: number, out: BatchOutputs): number {
    try {
      const o = this.s.runAt(starts[i]!, lengths[i]!);
      out.r0Low[i] = o.r0Low;
      out.r0High[i] = o.r0High;
      out.instructions[i] = o.instructions;
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      this.s.batchError = e;
      out.r0Low[i] = 0;
      out.r0High[i] = 0;
      out.instructions[i] = Number.NaN;
    }
    return i + 1;
  }

  /** The batch area, and the context's template in it (the fields every packet starts with). */
  private makeArea(): void {
    const mem = this.env.space.memory;
    const xdp = this.kind === 'xdp';
    this.area = mem.allocate(batchAreaBytes(xdp ? XdpMd.SIZE : 0), 16);
    const v = mem.view;
    const t = this.area + BATCH_TEMPLATE;
    for (let o = 0; o < 8; o += 4) v.setUint32(t + o, 0, true);
    if (!xdp) return;
    for (let o = 0; o < XdpMd.SIZE; o += 4) v.setUint32(t + o, 0, true);
    v.setUint32(t + XdpMd.ingress_ifindex, this.s.ingressIfindex >>> 0, true);
    v.setUint32(t + XdpMd.data, MEM_START + XDP_HEADROOM, true);
    v.setUint32(t + XdpMd.data_end, MEM_START + XDP_HEADROOM, true);
    v.setUint32(t + XdpMd.data_meta, MEM_START + XDP_HEADROOM, true);
  }

  /** BatchHooks.enter: bring the JavaScript side to the packet the batch is running, when it moved on. */
  private batchEnter(): boolean {
    const i = this.env.space.memory.view.getInt32(this.area + BatchWord.current, true);
    if (i === this.synced) return false;
    this.syncTo(i);
    return true;
  }

  /** What PacketSession.load sets in JavaScript for a packet, for batch packet `i` (the module did the rest). */
  private syncTo(i: number): void {
    this.synced = i;
    const space = this.env.space;
    const length = space.memory.view.getInt32(this.area + BATCH_LENGTHS + 4 * i, true);
    if (this.kind === 'xdp') {
      const host = this.xdp;
      host.meta = XDP_HEADROOM;
      host.start = XDP_HEADROOM;
      host.end = XDP_HEADROOM + length;
      host.redirect = undefined;
      space.mapPacket(XDP_HEADROOM, XDP_HEADROOM + length);
    } else {
      space.mapPacket(0, length, 'mem');
    }
  }

  /** Whether the batch's packet did something its caller must handle after it (BatchHooks.after). */
  private batchDirty(): boolean {
    const space = this.env.space;
    if (space.changes !== this.batchTicket || space.memory.shape !== this.batchShape) return true;
    if (this.kind === 'xdp' && (this.xdp.redirect !== undefined || this.xdp.adjusts !== 0)) return true;
    const extra = this.batchExtra;
    return extra !== undefined && extra();
  }
}

/** {@link PacketSession.runBatch}'s arguments: typed arrays holding packets `from` to `to` - 1, `from` < `to`. */
function checkBatchArguments(starts: unknown, lengths: unknown, from: unknown, to: unknown, out: unknown, extra: unknown): void {
  const s = checkInstance(starts, Int32Array, 'starts');
  const l = checkInstance(lengths, Int32Array, 'lengths');
  const o = checkObject(out, 'out') as Partial<BatchOutputs>;
  const r0Low = checkInstance(o.r0Low, Int32Array, 'out.r0Low');
  const r0High = checkInstance(o.r0High, Int32Array, 'out.r0High');
  const insns = checkInstance(o.instructions, Float64Array, 'out.instructions');
  const last = checkInteger(to, 'to', 1, Math.min(s.length, l.length, r0Low.length, r0High.length, insns.length));
  checkInteger(from, 'from', 0, last - 1);
  checkOptionalFunction(extra, 'extra');
}
