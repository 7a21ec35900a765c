/**
 * Running a loaded program with a kernel-like context: XDP (`xdp_md` and an adjustable packet),
 * socket filter and tc (`__sk_buff`), or a raw context / input memory. The engine is the interpreter
 * unless `jit: true` asks for the JIT (WebAssembly) engine.
 * @module
 */
import { DEFAULT_LIMITS, type Engine, type HelperTable, type RunLimits } from '../vm/environment.js';
import { MBUFF_START, MEM_START } from '../vm/memory.js';
import type { Program } from '../vm/program.js';
import { Interpreter } from '../vm/interpreter.js';
import { JitEngine } from '../jit/engine.js';
import type { KernelRunHost } from '../helpers/kernel.js';
import type { SourceLine } from '../elf/btf-ext.js';
import { SkBuff, XdpMd } from './layout.js';
import { RunSpace, XDP_HEADROOM, XDP_TAILROOM } from './space.js';

/** How to run. */
export interface RunOptions {
  /** Use the JIT engine: the one given to `loadObject` (`jitEngine`), else a shared default `JitEngine`. */
  readonly jit?: boolean;
  /** Use this engine (overrides `jit`). */
  readonly engine?: Engine;
  /** Limits for this run (defaults: {@link DEFAULT_LIMITS}). */
  readonly limits?: Partial<RunLimits>;
}

/** Extra `xdp_md` fields. */
export interface XdpOptions extends RunOptions {
  /** `ingress_ifindex` (default 1). */
  readonly ingressIfindex?: number;
  /** `rx_queue_index` (default 0). */
  readonly rxQueueIndex?: number;
  /** `egress_ifindex` (default 0). */
  readonly egressIfindex?: number;
}

/** What an XDP program did. */
export interface XdpResult {
  /** The verdict: r0's low 32 bits (`XdpAction`: ABORTED 0, DROP 1, PASS 2, TX 3, REDIRECT 4). */
  readonly action: number;
  /** r0 as returned. */
  readonly r0: bigint;
  /** The packet as the program left it (after writes and head/tail adjustments), a copy. */
  readonly packet: Uint8Array;
  /** Metadata bytes in front of the packet (`bpf_xdp_adjust_meta`), a copy. */
  readonly meta: Uint8Array;
}

/** `__sk_buff` fields a host may set (all default to 0 except `len`, `protocol`, `data`, `data_end`). */
export interface SkbOptions extends RunOptions {
  readonly mark?: number;
  readonly priority?: number;
  readonly pktType?: number;
  readonly queueMapping?: number;
  /** Network-order ethertype as the kernel stores it; default: bytes 12-13 of the packet. */
  readonly protocol?: number;
  readonly vlanPresent?: number;
  readonly vlanTci?: number;
  readonly vlanProto?: number;
  readonly ingressIfindex?: number;
  readonly ifindex?: number;
  readonly tcIndex?: number;
  readonly hash?: number;
  readonly tcClassid?: number;
  /** Control block `cb[0..4]`. */
  readonly cb?: readonly number[];
  /** Receives the `__sk_buff` and packet after the run (copies), to read fields the program wrote. */
  readonly inspect?: (skb: Uint8Array, packet: Uint8Array) => void;
}

/** Options for a raw run. */
export interface RawRunOptions extends RunOptions {
  /** Input memory mapped at `MEM_START`; written back after the run. */
  readonly mem?: Uint8Array;
}

/** What a runner needs from its loaded object. */
export interface RunEnvironment {
  readonly space: RunSpace;
  readonly helpers: HelperTable;
  readonly jitEngine: Engine | undefined;
}

const interpreter = new Interpreter();
let sharedJit: JitEngine | undefined;

function limitsOf(options: RunOptions): RunLimits {
  return { ...DEFAULT_LIMITS, ...options.limits };
}

function engineOf(env: RunEnvironment, options: RunOptions): Engine {
  if (options.engine !== undefined) return options.engine;
  if (options.jit === true) return env.jitEngine ?? (sharedJit ??= new JitEngine());
  return interpreter;
}

function u32(view: DataView, at: number, v: number): void {
  view.setUint32(at, v >>> 0, true);
}

/** A runnable program of a loaded object. */
export class ProgramRunner {
  /**
   * @param program the linked program
   * @param env the object's run space, helpers and JIT engine
   * @param lines source line of each pc that starts a source line (from `.BTF.ext`; empty without `-g`)
   */
  constructor(
    readonly program: Program,
    private readonly env: RunEnvironment,
    readonly lines: ReadonlyMap<number, SourceLine> = new Map(),
  ) {}

  private execute(options: RunOptions, r1: bigint, r2: bigint, host: KernelRunHost | undefined): bigint {
    const limits = limitsOf(options);
    const stackTop = this.env.space.stackTop(limits);
    return engineOf(this.env, options).run({
      program: this.program,
      memory: this.env.space.memory,
      stackTop,
      r1,
      r2,
      helpers: this.env.helpers,
      limits,
      host,
    });
  }

  /**
   * Run as an XDP program on a copy of `packet`, with 256 bytes of headroom and tailroom for
   * `bpf_xdp_adjust_head` / `adjust_tail` / `adjust_meta`. Returns the verdict and the packet as left.
   */
  runXdp(packet: Uint8Array, options: XdpOptions = {}): XdpResult {
    const space = this.env.space;
    const mem = space.memory;
    const capacity = XDP_HEADROOM + packet.length + XDP_TAILROOM;
    const base = space.packetBuffer(capacity);
    mem.bytes.fill(0, base, base + capacity);
    mem.bytes.set(packet, base + XDP_HEADROOM);
    let meta = XDP_HEADROOM;
    let start = XDP_HEADROOM;
    let end = XDP_HEADROOM + packet.length;
    const ctxBytes = new Uint8Array(XdpMd.SIZE);
    const cv = new DataView(ctxBytes.buffer);
    u32(cv, XdpMd.ingress_ifindex, options.ingressIfindex ?? 1);
    u32(cv, XdpMd.rx_queue_index, options.rxQueueIndex ?? 0);
    u32(cv, XdpMd.egress_ifindex, options.egressIfindex ?? 0);
    const ctxOffset = space.setContext(ctxBytes);
    const publish = (): void => {
      const v = mem.view;
      u32(v, ctxOffset + XdpMd.data, MEM_START + start);
      u32(v, ctxOffset + XdpMd.data_end, MEM_START + end);
      u32(v, ctxOffset + XdpMd.data_meta, MEM_START + meta);
      space.mapPacket(meta, end);
    };
    publish();
    const ETH_HLEN = 14;
    const host: KernelRunHost = {
      adjustHead(delta) {
        const next = start + delta;
        const metaLen = start - meta;
        if (next - metaLen < 0 || next > end - ETH_HLEN) return -22;
        if (metaLen > 0) mem.bytes.copyWithin(base + next - metaLen, base + meta, base + start);
        meta = next - metaLen;
        start = next;
        publish();
        return 0;
      },
      adjustTail(delta) {
        const next = end + delta;
        if (next < start + ETH_HLEN || next > capacity) return -22;
        if (next > end) mem.bytes.fill(0, base + end, base + next);
        end = next;
        publish();
        return 0;
      },
      adjustMeta(delta) {
        const next = meta + delta;
        const metaLen = start - next;
        if (metaLen < 0 || metaLen > 32 || (metaLen & 3) !== 0 || next < 0) return -13;
        meta = next;
        publish();
        return 0;
      },
    };
    try {
      const r0 = this.execute(options, BigInt(MBUFF_START), 0n, host);
      return {
        action: Number(r0 & 0xffffffffn),
        r0,
        packet: mem.bytes.slice(base + start, base + end),
        meta: mem.bytes.slice(base + meta, base + start),
      };
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }

  private runSkb(packet: Uint8Array, options: SkbOptions): bigint {
    const space = this.env.space;
    const mem = space.memory;
    const base = space.packetBuffer(packet.length);
    mem.bytes.set(packet, base);
    space.mapPacket(0, packet.length);
    const skb = new Uint8Array(SkBuff.SIZE);
    const v = new DataView(skb.buffer);
    const protocol = options.protocol ?? (packet.length >= 14 ? packet[12]! | (packet[13]! << 8) : 0);
    u32(v, SkBuff.len, packet.length);
    u32(v, SkBuff.pkt_type, options.pktType ?? 0);
    u32(v, SkBuff.mark, options.mark ?? 0);
    u32(v, SkBuff.queue_mapping, options.queueMapping ?? 0);
    u32(v, SkBuff.protocol, protocol);
    u32(v, SkBuff.vlan_present, options.vlanPresent ?? 0);
    u32(v, SkBuff.vlan_tci, options.vlanTci ?? 0);
    u32(v, SkBuff.vlan_proto, options.vlanProto ?? 0);
    u32(v, SkBuff.priority, options.priority ?? 0);
    u32(v, SkBuff.ingress_ifindex, options.ingressIfindex ?? 0);
    u32(v, SkBuff.ifindex, options.ifindex ?? 0);
    u32(v, SkBuff.tc_index, options.tcIndex ?? 0);
    (options.cb ?? []).slice(0, 5).forEach((c, i) => u32(v, SkBuff.cb + 4 * i, c));
    u32(v, SkBuff.hash, options.hash ?? 0);
    u32(v, SkBuff.tc_classid, options.tcClassid ?? 0);
    u32(v, SkBuff.data, MEM_START);
    u32(v, SkBuff.data_end, MEM_START + packet.length);
    u32(v, SkBuff.data_meta, MEM_START);
    u32(v, SkBuff.wire_len, packet.length);
    const ctxOffset = space.setContext(skb);
    try {
      const host: KernelRunHost = { packet: () => mem.bytes.subarray(base, base + packet.length) };
      const r0 = this.execute(options, BigInt(MBUFF_START), 0n, host);
      options.inspect?.(mem.bytes.slice(ctxOffset, ctxOffset + SkBuff.SIZE), mem.bytes.slice(base, base + packet.length));
      return r0;
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }

  /** Run as a socket filter on `packet` with an `__sk_buff` context; returns r0 (bytes of the packet to keep). */
  runSocketFilter(packet: Uint8Array, options: SkbOptions = {}): bigint {
    return this.runSkb(packet, options);
  }

  /** Run as a tc classifier/action on `packet` with an `__sk_buff` context; returns r0 (a `TC_ACT_*` verdict, unsigned). */
  runTc(packet: Uint8Array, options: SkbOptions = {}): bigint {
    return this.runSkb(packet, options);
  }

  /**
   * Run with a raw context: `ctx` is mapped at `MBUFF_START` and r1 points at it; without `ctx`, r1
   * is `MEM_START` and r2 the input length. `ctx` and `options.mem` are written back after the run.
   */
  run(ctx?: Uint8Array, options: RawRunOptions = {}): bigint {
    const space = this.env.space;
    const mem = space.memory;
    const input = options.mem;
    let base = -1;
    if (input !== undefined) {
      base = space.packetBuffer(input.length);
      mem.bytes.set(input, base);
      space.mapPacket(0, input.length, 'mem');
    }
    let ctxOffset = -1;
    if (ctx !== undefined) ctxOffset = space.setContext(ctx);
    try {
      const r1 = ctx !== undefined ? BigInt(MBUFF_START) : input !== undefined ? BigInt(MEM_START) : 0n;
      const r0 = this.execute(options, r1, BigInt(input?.length ?? 0), undefined);
      if (ctx !== undefined) ctx.set(mem.bytes.subarray(ctxOffset, ctxOffset + ctx.length));
      if (input !== undefined) input.set(mem.bytes.subarray(base, base + input.length));
      return r0;
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }
}
