/**
 * Packet sessions: one program run on packet after packet (a capture) with one context, one packet
 * buffer and one run request set up once and reused, so that the path from a packet's bytes to its
 * verdict allocates nothing but the engine's `bigint` result: the context and packet regions stay
 * mapped between packets (the packet region is resized, not remapped), the context is zeroed and
 * filled in place, and the XDP headroom is zeroed again only after a run that moved the packet's
 * start. Each run still starts as a fresh `runXdp` / `runSocketFilter` / `run` would: a zeroed
 * context, zeroed headroom and tailroom as the program can reach them, the packet's own bytes.
 * @module
 */
import { ArgumentError } from '../errors.js';
import type { Engine, RunLimits, RunOutcome, RunRequest } from '../vm/environment.js';
import { MBUFF_START, MEM_START } from '../vm/memory.js';
import type { Program } from '../vm/program.js';
import type { RunEnvironment } from './runner.js';
import { SkBuff, XdpMd } from './layout.js';
import { ETH_HLEN, SKB_MAX_LEN, SkbPacket, XdpPacket } from './packet-host.js';
import { XDP_HEADROOM, XDP_TAILROOM, nestedRunError } from './space.js';
import type { Redirect } from '../helpers/packet.js';
import type { SkbClone } from '../helpers/clone.js';
import { checkBytes, checkInstance, checkInteger, checkObject, checkOptionalFunction } from '../validate.js';
import { EbpfError } from '../errors.js';
import { BATCH_INSNS, BATCH_LENGTHS, BATCH_PACKETS, BATCH_R0, BATCH_STARTS, BATCH_TEMPLATE, BatchWord, batchAreaBytes, type BatchHooks, type BatchRun } from '../vm/batch.js';
import { TABLE_ENTRY, regionTable } from '../vm/region-table.js';

/** The context a session's program gets: `xdp_md`, `__sk_buff` (socket filter and tc) or none (r1 = the packet, r2 = its length). */
export type SessionKind = 'xdp' | 'skb' | 'raw';

const MBUFF_ADDRESS = BigInt(MBUFF_START);
const MEM_ADDRESS = BigInt(MEM_START);
/** What {@link PacketSession.clones} gives outside skb runs: one frozen array, not a new one per packet. */
const NO_CLONES: readonly SkbClone[] = Object.freeze([]);

/** Where {@link PacketSession.runBatch} writes each packet's r0 (as halves) and instructions charged. */
export interface BatchOutputs {
  readonly r0Low: Int32Array;
  readonly r0High: Int32Array;
  readonly instructions: Float64Array;
}

/** A program bound to one context kind, run once per packet; see the module comment. */
export class PacketSession {
  /** After a run: the packet as the program left it is `memory.bytes[outStart, outEnd)`. */
  outStart = 0;
  /** See {@link PacketSession.outStart}. */
  outEnd = 0;
  /** Packets run. */
  runs = 0;
  /**
   * r0 of the last run as 32-bit halves and the instructions it was charged (the budget used, see
   * `RunLimits.instructionBudget`): what {@link runPacket} returns, rewritten by every run.
   */
  readonly outcome: RunOutcome = { r0Low: 0, r0High: 0, instructions: 0 };

  private readonly xdp: XdpPacket;
  private readonly skb: SkbPacket;
  private readonly request: { -readonly [K in keyof RunRequest]: RunRequest[K] };
  /** Packet bytes the buffer holds (without XDP's headroom and tailroom). */
  private room = -1;
  private base = 0;
  private ctx = 0;
  /** `space.changes` when this session last set its regions up. */
  private ticket = -1;
  private lastLength = -1;
  /** The engine's prepared run of {@link request} (Engine.prepareInto), made on the first run. */
  private prepared: (() => boolean) | undefined;
  /** The last source view and memory view {@link inMemory} compared, and its answer. */
  private seenSrc: Uint8Array | undefined;
  private seenBytes: Uint8Array | undefined;
  private seenInMemory = false;
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
  /** The failure of the last packet {@link runBatch} ran, if it failed (its r0 is then 0, its instructions NaN). */
  batchError: EbpfError | undefined;
  private readonly hooks: BatchHooks = {
    enter: () => this.batchEnter(),
    after: () => {
      if (this.batchDirty()) this.env.space.memory.view.setInt32(this.area + BatchWord.stop, 1, true);
    },
    stop: () => this.env.space.memory.view.setInt32(this.area + BatchWord.stop, 1, true),
  };

  constructor(
    /** The context the program gets: `xdp_md`, `__sk_buff`, or raw input memory. */
    readonly kind: SessionKind,
    private readonly program: Program,
    private readonly env: RunEnvironment,
    private readonly engine: Engine,
    private readonly limits: RunLimits,
    /** `xdp_md.ingress_ifindex` of every run (XDP only). */
    private readonly ingressIfindex = 1,
  ) {
    if (kind !== 'xdp' && kind !== 'skb' && kind !== 'raw') throw new ArgumentError(`unknown session kind ${String(kind)}: expected xdp, skb or raw`);
    this.xdp = new XdpPacket(env.space);
    this.skb = new SkbPacket(env.space);
    this.request = {
      program,
      memory: env.space.memory,
      stackTop: 0,
      r1: kind === 'raw' ? MEM_ADDRESS : MBUFF_ADDRESS,
      r2: 0n,
      helpers: env.helpers,
      limits,
      host: kind === 'xdp' ? this.xdp : kind === 'skb' ? this.skb : undefined,
    };
  }

  /** Map the stack, context and packet buffer for packets of up to `length` bytes. */
  private setUp(length: number): void {
    const space = this.env.space;
    const room = Math.max(length, this.room, 1514);
    const ctxSize = this.kind === 'xdp' ? XdpMd.SIZE : this.kind === 'skb' ? SkBuff.SIZE : 0;
    // skb packets may grow (bpf_skb_change_head and the other resize helpers) up to SKB_MAX_LEN.
    const capacity = this.kind === 'xdp' ? XDP_HEADROOM + room + XDP_TAILROOM : this.kind === 'skb' ? Math.max(room, SKB_MAX_LEN) : room;
    this.base = space.reserve(this.limits, Math.max(ctxSize, 1), capacity);
    this.request.stackTop = space.stackTop(this.limits);
    if (this.kind === 'raw') space.clearContext();
    else this.ctx = space.zeroContext(ctxSize);
    space.memory.bytes.fill(0, this.base, this.base + capacity);
    space.mapPacket(this.kind === 'xdp' ? XDP_HEADROOM : 0, this.kind === 'xdp' ? XDP_HEADROOM + length : length, this.kind === 'raw' ? 'mem' : 'packet', this.kind === 'skb' ? ETH_HLEN : undefined);
    this.xdp.base = this.base;
    this.xdp.capacity = capacity;
    this.xdp.ctx = this.ctx;
    this.xdp.adjusts = 0;
    this.skb.base = this.base;
    this.skb.capacity = capacity;
    this.skb.ctxOffset = this.ctx;
    this.room = room;
    this.lastLength = -1;
    this.ticket = space.changes;
  }

  /**
   * Run the program on `src[start, start + length)`; returns r0. The packet as the program left it is
   * then at `outStart` / `outEnd`; the context and packet regions stay mapped until {@link close} or
   * another run of the object.
   */
  run(src: Uint8Array, start: number, length: number): bigint {
    const o = this.runPacket(src, start, length);
    const low = BigInt(o.r0Low >>> 0);
    return o.r0High === 0 ? low : (BigInt(o.r0High >>> 0) << 32n) | low;
  }

  /**
   * Run as {@link run} does, without a `bigint`: returns {@link outcome} (r0's halves and the
   * instructions charged), which the next run rewrites.
   */
  runPacket(src: Uint8Array, start: number, length: number): RunOutcome {
    // Checked once per packet, so the common case is one test.
    if (!(src instanceof Uint8Array) || !(Number.isSafeInteger(start) && start >= 0 && Number.isSafeInteger(length) && length >= 0 && start + length <= src.length)) {
      checkBytes(src, 'src');
      checkInteger(start, 'start', 0, src.length);
      checkInteger(length, 'length', 0, src.length - start);
    }
    return this.load(src, start, length);
  }

  /**
   * Run as {@link runPacket} does on the `length` bytes at linear-memory offset `offset` of the
   * session's memory (a capture read straight into that memory): the packet is copied into the packet
   * region by `memory.copy`, with no view of it needed. Offsets stay valid when the memory grows (a
   * longer packet may make the session allocate), where a view of the memory would be detached.
   */
  runAt(offset: number, length: number): RunOutcome {
    const size = this.env.space.memory.bytes.length;
    if (!(Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(length) && length >= 0 && offset + length <= size)) {
      checkInteger(offset, 'offset', 0, size);
      checkInteger(length, 'length', 0, size - offset);
    }
    return this.load(undefined, offset, length);
  }

  /**
   * Whether `src` is a view of the session's linear memory (the pool's batches, a capture read into
   * it): remembered per view, since reading `.buffer` of a view of a WebAssembly memory costs about
   * as much as copying a short packet.
   */
  private inMemory(src: Uint8Array, bytes: Uint8Array): boolean {
    if (src !== this.seenSrc || bytes !== this.seenBytes) {
      this.seenSrc = src;
      this.seenBytes = bytes;
      this.seenInMemory = src.buffer === bytes.buffer;
    }
    return this.seenInMemory;
  }

  /** Put the packet (`src[start, start + length)`, or linear memory from `start` when `src` is undefined) at `to`. */
  private copyIn(src: Uint8Array | undefined, start: number, length: number, to: number): void {
    const mem = this.env.space.memory;
    if (src === undefined) mem.copy(to, start, length);
    else if (this.inMemory(src, mem.bytes)) mem.copy(to, src.byteOffset + start, length);
    else mem.bytes.set(src.subarray(start, start + length), to);
  }

  /** Map and fill the context and packet for a run on the checked packet, then run it. */
  private load(src: Uint8Array | undefined, start: number, length: number): RunOutcome {
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    if (space.changes !== this.ticket || length > this.room) this.setUp(length);
    const mem = space.memory;
    const base = this.base;
    this.runs++;
    if (this.kind === 'xdp') {
      const host = this.xdp;
      // First the packet, then the headroom: a source overlapping the buffer is read before it is zeroed.
      this.copyIn(src, start, length, base + XDP_HEADROOM);
      if (host.adjusts !== 0) {
        // A run moved the packet's start or end: the headroom it could write to is zeroed again.
        mem.bytes.fill(0, base, base + XDP_HEADROOM);
        host.adjusts = 0;
      }
      const ctx = this.ctx;
      const v = mem.view;
      // Six words: stores V8 inlines cost less than a call to fill.
      for (let o = 0; o < XdpMd.SIZE; o += 4) v.setUint32(ctx + o, 0, true);
      v.setUint32(ctx + XdpMd.ingress_ifindex, this.ingressIfindex >>> 0, true);
      host.meta = XDP_HEADROOM;
      host.start = XDP_HEADROOM;
      host.end = XDP_HEADROOM + length;
      host.redirect = undefined;
      host.publish(v);
      space.running = true;
      try {
        this.execute();
        this.outStart = base + host.start;
        this.outEnd = base + host.end;
        return this.outcome;
      } finally {
        space.running = false;
        // The adjust helpers remap the packet region through this session's own host: not another run's change.
        this.ticket = space.changes;
      }
    }
    this.copyIn(src, start, length, base);
    if (this.kind === 'skb') {
      const ctx = this.ctx;
      const bytes = mem.bytes;
      const v = mem.view;
      bytes.fill(0, ctx, ctx + SkBuff.SIZE);
      v.setUint32(ctx + SkBuff.len, length, true);
      // The EtherType, read from the packet's copy.
      v.setUint32(ctx + SkBuff.protocol, length >= 14 ? bytes[base + 12]! | (bytes[base + 13]! << 8) : 0, true);
      v.setUint32(ctx + SkBuff.data, MEM_START, true);
      v.setUint32(ctx + SkBuff.data_end, MEM_START + length, true);
      v.setUint32(ctx + SkBuff.data_meta, MEM_START, true);
      v.setUint32(ctx + SkBuff.wire_len, length, true);
      this.skb.length = length;
      this.skb.networkHeader = ETH_HLEN;
      this.skb.encapsulated = false;
      this.skb.redirect = undefined;
      this.skb.tunnel = undefined;
      this.skb.tunnelSet = undefined;
      if (this.skb.clones.length !== 0) this.skb.clones.length = 0;
      this.skb.clonesDropped = 0;
      this.skb.resetState();
    } else if (length !== this.lastLength) {
      this.request.r2 = BigInt(length);
    }
    this.lastLength = length;
    const skb = this.kind === 'skb';
    // The frame's network header follows its Ethernet header (LD_ABS SKF_NET_OFF), as in runSocketFilter / runTc.
    space.mapPacket(0, length, skb ? 'packet' : 'mem', skb ? ETH_HLEN : undefined);
    space.running = true;
    try {
      this.execute();
    } finally {
      space.running = false;
      // The resize helpers remap the packet region through this session's own host: not another run's change.
      if (skb) this.ticket = space.changes;
    }
    this.outStart = base;
    this.outEnd = base + (skb ? this.skb.length : length);
    return this.outcome;
  }

  /**
   * Run packets `from` to `to` - 1 given by linear offsets (`starts`) and lengths as {@link runAt}
   * would, many in one call into the engine where it can (the JIT's `run_batch`: XDP and raw sessions),
   * one else; r0 and instructions go to `out` at the packets' indices. Returns the index past the last
   * packet run: the batch stops after a packet the caller must handle by itself, which is then the
   * session's last run as after {@link runAt} ({@link redirect}, {@link outStart}, ..., or
   * {@link batchError} when it failed). `extra`: the caller's own test, after each helper call, for a
   * packet it must see (a trace line written, for instance). Packets before the last one had nothing
   * to handle: no failure, redirect, clone, adjustment or mapping, and `extra` false.
   */
  runBatch(starts: Int32Array, lengths: Int32Array, from: number, to: number, out: BatchOutputs, extra?: () => boolean): number {
    checkBatchArguments(starts, lengths, from, to, out, extra);
    this.batchError = undefined;
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    if (this.kind === 'skb' || this.batchRun === null || space.changes !== this.ticket || !(from < to)) return this.runOne(starts, lengths, from, out);
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
      if (!(length >= 0 && length <= this.room && start >= 0 && start + length <= size)) break;
      view.setInt32(area + BATCH_STARTS + 4 * n, start, true);
      view.setInt32(area + BATCH_LENGTHS + 4 * n, length, true);
      n++;
    }
    const region = space.packet;
    if (n === 0 || region === undefined) return this.runOne(starts, lengths, from, out);
    if (this.kind === 'xdp' && this.xdp.adjusts !== 0) {
      mem.bytes.fill(0, this.base, this.base + XDP_HEADROOM);
      this.xdp.adjusts = 0;
    }
    const table = regionTable(mem);
    const at = mem.regions.indexOf(region);
    const xdp = this.kind === 'xdp';
    view.setInt32(area + BatchWord.stop, 0, true);
    view.setInt32(area + BatchWord.current, 0, true);
    view.setInt32(area + BatchWord.dest, this.base + (xdp ? XDP_HEADROOM : 0), true);
    view.setInt32(area + BatchWord.ctx, xdp ? this.ctx : 0, true);
    view.setInt32(area + BatchWord.ctxSize, xdp ? XdpMd.SIZE : 0, true);
    view.setInt32(area + BatchWord.endAt, xdp ? XdpMd.data_end : -1, true);
    view.setInt32(area + BatchWord.sizeAt, table.offset + at * TABLE_ENTRY + 4, true);
    view.setInt32(area + BatchWord.r2Length, xdp ? 0 : 1, true);
    if (this.batchRun === undefined) this.batchRun = this.engine.prepareBatch?.(this.request, area, this.hooks) ?? null;
    if (this.batchRun === null) return this.runOne(starts, lengths, from, out);
    this.synced = -1;
    this.batchExtra = extra;
    this.batchShape = mem.shape;
    space.running = true;
    let done: number;
    try {
      done = this.batchRun(0, n);
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      done = mem.view.getInt32(area + BatchWord.current, true);
      this.batchError = e;
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
    this.runs += done;
    this.ticket = space.changes;
    this.lastLength = -1;
    if (xdp) {
      this.outStart = this.base + this.xdp.start;
      this.outEnd = this.base + this.xdp.end;
    } else {
      this.outStart = this.base;
      this.outEnd = this.base + view.getInt32(area + BATCH_LENGTHS + 4 * last, true);
    }
    const v = mem.view;
    for (let j = 0; j < done; j++) {
      out.r0Low[from + j] = v.getInt32(area + BATCH_R0 + 8 * j, true);
      out.r0High[from + j] = v.getInt32(area + BATCH_R0 + 8 * j + 4, true);
      out.instructions[from + j] = v.getFloat64(area + BATCH_INSNS + 8 * j, true);
    }
    if (this.batchError !== undefined) {
      out.r0Low[from + last] = 0;
      out.r0High[from + last] = 0;
      out.instructions[from + last] = Number.NaN;
    }
    return from + done;
  }

  /** Packet `i` through {@link runAt} (the path without batches), as one {@link runBatch} packet. */
  private runOne(starts: Int32Array, lengths: Int32Array, i: number, out: BatchOutputs): number {
    try {
      const o = this.runAt(starts[i]!, lengths[i]!);
      out.r0Low[i] = o.r0Low;
      out.r0High[i] = o.r0High;
      out.instructions[i] = o.instructions;
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      this.batchError = e;
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
    v.setUint32(t + XdpMd.ingress_ifindex, this.ingressIfindex >>> 0, true);
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

  /** What {@link load} sets in JavaScript for a packet, for batch packet `i` (the module did the rest). */
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
    if (space.changes !== this.ticket || space.memory.shape !== this.batchShape) return true;
    if (this.kind === 'xdp' && (this.xdp.redirect !== undefined || this.xdp.adjusts !== 0)) return true;
    const extra = this.batchExtra;
    return extra !== undefined && extra();
  }

  /** One run of the request into {@link outcome} (an engine without `runInto` reports no instructions: NaN). */
  private execute(): void {
    const engine = this.engine;
    const out = this.outcome;
    if (engine.prepareInto !== undefined) {
      // The prepared run, made again when the memory's shape changed (another run's regions, an adjust helper's remap).
      if (this.prepared?.() === true) return;
      this.prepared = engine.prepareInto(this.request, out);
      if (this.prepared()) return;
      this.prepared = undefined;
    }
    if (engine.runInto !== undefined) {
      engine.runInto(this.request, out);
      return;
    }
    const r0 = engine.run(this.request);
    out.r0Low = Number(BigInt.asIntN(32, r0));
    out.r0High = Number(BigInt.asIntN(32, r0 >> 32n));
    out.instructions = Number.NaN;
  }

  /**
   * Where the last run's `bpf_redirect` / `bpf_redirect_map` sent the packet (meaningful with a
   * redirect verdict; a session cannot tell socket filters from tc programs, so its skb runs are tc's).
   */
  get redirect(): Redirect | undefined {
    return this.kind === 'xdp' ? this.xdp.redirect : this.kind === 'skb' ? this.skb.redirect : undefined;
  }

  /**
   * The copies the last run's `bpf_clone_redirect` sent (skb runs; at most MAX_CLONES, the rest
   * counted in {@link clonesDropped}). The array is reused by the next run: copy what you keep.
   */
  get clones(): readonly SkbClone[] {
    return this.kind === 'skb' ? this.skb.clones : NO_CLONES;
  }

  /** Clones of the last run past the ones kept. */
  get clonesDropped(): number {
    return this.kind === 'skb' ? this.skb.clonesDropped : 0;
  }

  /** Unmap the context and packet regions (the object's other runs do so themselves). */
  close(): void {
    this.env.space.clearPacket();
    this.env.space.clearContext();
    this.ticket = -1;
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
