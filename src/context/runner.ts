/**
 * Running a loaded program with a kernel-like context: XDP (`xdp_md` and an adjustable packet),
 * socket filter and tc (`__sk_buff`), or a raw context / input memory. The engine is the interpreter
 * unless `jit: true` asks for the JIT (WebAssembly) engine.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { argumentError, checkBytes, checkOptionalBytes, checkOptionalInteger, checkOptionalOneOf, checkOptions, checkU32Field, describeValue } from '../validate.js';
import { copyOut } from './copy-out.js';
import { checkChecksum, checkCongestion, checkRunOptions, checkSkbOptions, checkSocket, checkTunnel, limitsOf, SKB_FIELDS, u64Option } from './run-checks.js';
import { checkTaskHost } from './event-checks.js';
import type { Engine, RunLimits } from '../vm/environment.js';
import { MBUFF_START, MEM_START } from '../vm/memory.js';
import type { Program } from '../vm/program.js';
import { Interpreter } from '../vm/interpreter.js';
import { JitEngine } from '../jit/engine.js';
import type { PacketRunHost } from '../helpers/packet.js';
import type { KernelRunHost } from '../helpers/kernel.js';
import type { PerfCounter, TaskRunHost, TracingRunState } from '../helpers/task.js';
import { IDLE_TASK, probeBytes } from '../helpers/task.js';
import { functionOf, perfCounterOf, tpBufferOf, tracingContext, type TracingEvent, type TracingType } from './tracing.js';
import { SeqOutput, SeqRun } from '../helpers/seq.js';
import type { SourceLine } from '../elf/btf-ext.js';
import { SkBuff, TcAction, XdpAction, XdpMd } from './layout.js';
import { clampFlowKeys, decodeFlowKeys, FLOW_KEYS_SIZE, initFlowKeys } from './flow-keys.js';
import { XDP_HEADROOM, XDP_TAILROOM, nestedRunError } from './space.js';
import { ETH_HLEN, SKB_MAX_LEN, SkbPacket, XdpPacket } from './packet-host.js';
import { PacketSession, type SessionKind } from './session.js';
import { checkSockOpsEvent, hdrOptionRoom, SockOps, SockOpsOp, sockOpsContext, type SockOpsEvent, type SockOpsResult } from './sock-ops.js';
import { HdrOptRun } from '../helpers/hdr-opt.js';
import { checkSyscallContext, type SyscallResult } from './syscall.js';
import { SK_LOOKUP_SIZE, SkLookupField, SkLookupRun, skLookupContext, type SkLookupDescription, type SkLookupResult } from './sk-lookup.js';
import { fillSkbSocket, type SkSkbOptions, type SkSkbResult } from './sk-skb.js';
import type { HostSocket } from '../helpers/socket-table.js';
import { checkSkMsg, checkSkMsgSocket, MAX_SK_MSG, SkMsgMd, SkMsgRun, skMsgContext, type SkMsgResult, type SkMsgRunOptions } from './sk-msg.js';
import type { SockOpsRunHost } from '../helpers/sockopt.js';
import { ROOT_CGROUP_ID } from '../helpers/cgroup-storage.js';
import type { RunOptions, XdpOptions, XdpResult, SkbRunInfo, SkbOptions, RawRunOptions, TracingRunOptions, TracingResult, FlowDissectorOptions, FlowDissectorResult, RunEnvironment, SockOpsRunOptions } from './run-options.js';
export type { RunOptions, XdpOptions, XdpResult, SkbRunInfo, SkbOptions, RawRunOptions, TracingRunOptions, TracingResult, FlowDissectorOptions, FlowDissectorResult, RunEnvironment, SockOpsRunOptions } from './run-options.js';

const interpreter = new Interpreter();
let sharedJit: JitEngine | undefined;

const MBUFF_ADDRESS = BigInt(MBUFF_START);
const MEM_ADDRESS = BigInt(MEM_START);
/**
 * The `meta` of a run that left no metadata (and a flow dissector's skb bytes): zero bytes, so one shared
 * (immutable) array serves every run.
 */
const NO_META = new Uint8Array(0);

function engineOf(env: RunEnvironment, options: RunOptions): Engine {
  if (options.engine !== undefined) return options.engine;
  if (options.jit === true) return env.jitEngine ?? (sharedJit ??= new JitEngine());
  return interpreter;
}

/** What a run hands its helpers as `ctx.host`: the state of its program type's run. */
type RunHost = PacketRunHost | TaskRunHost | SockOpsRunHost | SkMsgRun | SkLookupRun | KernelRunHost;

/** A runnable program of a loaded object. */
export class ProgramRunner {
  private readonly xdp: XdpPacket;
  private readonly skb: SkbPacket;

  /**
   * @param program the linked program
   * @param env the object's run space, helpers and JIT engine
   * @param lines source line of each pc that starts a source line (from `.BTF.ext`; empty without `-g`)
   */
  constructor(
    readonly program: Program,
    private readonly env: RunEnvironment,
    readonly lines: ReadonlyMap<number, SourceLine> = new Map(),
    /** The tracing program type it was loaded as (what {@link runEvent} builds the context for), if any. */
    readonly tracingType?: TracingType,
    /**
     * The end of the furthest context access the kernel-level analysis saw (undefined when it did not
     * run): a syscall run's context must be at least this long.
     */
    readonly ctxExtent?: number,
  ) {
    this.xdp = new XdpPacket(env.space);
    this.skb = new SkbPacket(env.space);
  }

  private execute(
    options: RunOptions,
    r1: bigint,
    r2: bigint,
    host: RunHost | undefined,
    limits: RunLimits = limitsOf(options),
    stackTop: number = this.env.space.stackTop(limits),
  ): bigint {
    const space = this.env.space;
    const cgroup = this.env.cgroup;
    if (cgroup !== undefined) {
      cgroup.attachment.cgroupId = options.cgroup ?? ROOT_CGROUP_ID;
      cgroup.attachment.attachType = cgroup.attachType;
    }
    space.running = true;
    try {
      return engineOf(this.env, options).run({
        program: this.program,
        memory: space.memory,
        stackTop,
        r1,
        r2,
        helpers: this.env.helpers,
        limits,
        host,
      });
    } finally {
      space.running = false;
    }
  }

  /**
   * Run as an XDP program on a copy of `packet`, with 256 bytes of headroom and tailroom for
   * `bpf_xdp_adjust_head` / `adjust_tail` / `adjust_meta`. Returns the verdict and the packet as left.
   */
  runXdp(packet: Uint8Array, xdpOptions?: XdpOptions): XdpResult {
    checkBytes(packet, 'the packet');
    const options = checkRunOptions(xdpOptions);
    checkU32Field(options.ingressIfindex, 'options.ingressIfindex');
    checkU32Field(options.rxQueueIndex, 'options.rxQueueIndex');
    checkU32Field(options.egressIfindex, 'options.egressIfindex');
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    const mem = space.memory;
    const capacity = XDP_HEADROOM + packet.length + XDP_TAILROOM;
    const limits = limitsOf(options);
    const base = space.reserve(limits, XdpMd.SIZE, capacity);
    // Allocation is over: these views stay valid for the rest of the set-up.
    const bytes = mem.bytes;
    const v = mem.view;
    const stackTop = space.stackTop(limits);
    const ctx = space.zeroContext(XdpMd.SIZE, bytes);
    const after = base + XDP_HEADROOM + packet.length;
    bytes.fill(0, base, base + XDP_HEADROOM);
    bytes.set(packet, base + XDP_HEADROOM);
    bytes.fill(0, after, base + capacity);
    v.setUint32(ctx + XdpMd.ingress_ifindex, (options.ingressIfindex ?? 1) >>> 0, true);
    v.setUint32(ctx + XdpMd.rx_queue_index, (options.rxQueueIndex ?? 0) >>> 0, true);
    v.setUint32(ctx + XdpMd.egress_ifindex, (options.egressIfindex ?? 0) >>> 0, true);
    const host = this.xdp;
    host.base = base;
    host.capacity = capacity;
    host.ctx = ctx;
    host.meta = XDP_HEADROOM;
    host.start = XDP_HEADROOM;
    host.end = XDP_HEADROOM + packet.length;
    host.redirect = undefined;
    host.publish(v);
    try {
      const r0 = this.execute(options, MBUFF_ADDRESS, 0n, host, limits, stackTop);
      const out = mem.bytes;
      const { meta, start, end } = host;
      const action = Number(r0 & 0xffffffffn);
      const result: XdpResult = {
        action,
        r0,
        packet: copyOut(out, base + start, base + end),
        meta: meta === start ? NO_META : copyOut(out, base + meta, base + start),
      };
      return action === XdpAction.REDIRECT && host.redirect !== undefined ? { ...result, redirect: host.redirect } : result;
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }

  /**
   * A session running this program once per packet with the given context kind (see
   * {@link PacketSession}): the fast path for captures, which allocates nothing per packet. The engine
   * and limits are fixed for the session's life.
   */
  session(kind: SessionKind, sessionOptions?: RunOptions): PacketSession {
    checkOptionalOneOf(kind, 'kind', ['xdp', 'skb', 'raw'] as const);
    if (kind === undefined) throw argumentError('kind', "'xdp', 'skb' or 'raw'", kind);
    const options = checkRunOptions(sessionOptions);
    return new PacketSession(kind, this.program, this.env, engineOf(this.env, options), { ...limitsOf(options) });
  }

  private runSkb(packet: Uint8Array, skbOptions: SkbOptions | undefined, kind: 'socket' | 'tc' | 'sk_skb', sk?: HostSocket): bigint {
    checkBytes(packet, 'the packet');
    const options = checkSkbOptions(skbOptions);
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    const mem = space.memory;
    const len = packet.length;
    const limits = limitsOf(options);
    // Room for the resize helpers to grow the packet into (allocated once: the buffer is reused).
    const capacity = Math.max(len, SKB_MAX_LEN);
    const base = space.reserve(limits, SkBuff.SIZE, capacity);
    const bytes = mem.bytes;
    const v = mem.view;
    const stackTop = space.stackTop(limits);
    const ctx = space.zeroContext(SkBuff.SIZE, bytes);
    bytes.set(packet, base);
    // The frame starts with its Ethernet header (SKF_LL_OFF); the network header follows it (SKF_NET_OFF).
    space.mapPacket(0, len, 'packet', ETH_HLEN);
    const u32 = (at: number, value: number): void => v.setUint32(ctx + at, value >>> 0, true);
    // sk_skb data is a stream's payload: its protocol is the socket's family's EtherType (network order).
    const protocol = options.protocol ?? (sk !== undefined ? (sk.family === 4 ? 0x0008 : 0xdd86) : len >= 14 ? packet[12]! | (packet[13]! << 8) : 0);
    u32(SkBuff.len, len);
    u32(SkBuff.protocol, protocol);
    for (const [name, at] of SKB_FIELDS) {
      const value = options[name];
      if (value !== undefined) u32(at, value);
    }
    const cb = options.cb;
    if (cb !== undefined) for (let i = 0; i < cb.length && i < 5; i++) u32(SkBuff.cb + 4 * i, cb[i]!);
    u32(SkBuff.data, MEM_START);
    u32(SkBuff.data_end, MEM_START + len);
    u32(SkBuff.data_meta, MEM_START);
    if (sk !== undefined) fillSkbSocket(v, ctx, sk, this.env.sockOps!.sockets.address(sk));
    u32(SkBuff.wire_len, options.wireLen ?? len);
    if (options.gsoSegs !== undefined) u32(SkBuff.gso_segs, options.gsoSegs);
    if (options.gsoSize !== undefined) u32(SkBuff.gso_size, options.gsoSize);
    if (options.tstamp !== undefined) v.setBigUint64(ctx + SkBuff.tstamp, u64Option('tstamp', options.tstamp), true);
    if (options.hwtstamp !== undefined) v.setBigUint64(ctx + SkBuff.hwtstamp, u64Option('hwtstamp', options.hwtstamp), true);
    const host = this.skb;
    host.kind = kind;
    host.base = base;
    host.length = len;
    host.capacity = capacity;
    host.networkHeader = ETH_HLEN;
    host.encapsulated = false;
    host.ctxOffset = ctx;
    host.redirect = undefined;
    host.socketRedirect = undefined;
    host.tunnel = options.tunnel === undefined ? undefined : checkTunnel(options.tunnel);
    host.tunnelSet = undefined;
    host.clones.length = 0;
    host.clonesDropped = 0;
    host.resetState();
    if (options.socket !== undefined) host.socket = options.socket === null ? undefined : checkSocket(options.socket);
    if (options.netnsCookie !== undefined) host.netnsCookie = BigInt.asUintN(64, options.netnsCookie);
    if (options.routeRealm !== undefined) host.routeRealm = options.routeRealm >>> 0;
    if (options.checksum !== undefined) [host.ipSummed, host.csumLevel, host.csum] = checkChecksum(options.checksum);
    try {
      const r0 = this.execute(options, MBUFF_ADDRESS, 0n, host, limits, stackTop);
      if (options.inspect !== undefined) {
        const out = mem.bytes;
        const redirect = Number(r0 & 0xffffffffn) === TcAction.REDIRECT ? host.redirect : undefined;
        const tunnel = host.tunnelSet;
        // The packet as the program left it: the resize helpers may have changed its length.
        const clones = host.clones.length === 0 ? {} : { clones: host.clones.slice(), ...(host.clonesDropped === 0 ? {} : { clonesDropped: host.clonesDropped }) };
        options.inspect(out.slice(ctx, ctx + SkBuff.SIZE), out.slice(base, base + host.length), { ...(redirect === undefined ? {} : { redirect }), ...(tunnel === undefined ? {} : { tunnel }), ...clones });
      }
      return r0;
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }

  /** Run as a socket filter on `packet` with an `__sk_buff` context; returns r0 (bytes of the packet to keep). */
  runSocketFilter(packet: Uint8Array, options?: SkbOptions): bigint {
    return this.runSkb(packet, options, 'socket');
  }

  /** Run as a tc classifier/action on `packet` with an `__sk_buff` context; returns r0 (a `TC_ACT_*` verdict, unsigned). */
  runTc(packet: Uint8Array, options?: SkbOptions): bigint {
    return this.runSkb(packet, options, 'tc');
  }

  /**
   * Run as an sk_skb program (`sk_skb/stream_parser`, `sk_skb/stream_verdict`) on stream `data` the
   * loader's socket `options.socket` received: the `__sk_buff` covers the data (`len`, `data`,
   * `data_end`) with the socket's family, addresses, ports and `sk` (see context/sk-skb.ts). A parser's
   * r0 is the length of the message it found; a verdict's is SK_PASS / SK_DROP, with the socket
   * `bpf_sk_redirect_map` / `_hash` chose. (The kernel refuses BPF_PROG_TEST_RUN for sk_skb: the rules
   * are the helper documentation's.)
   */
  runSkSkb(data: Uint8Array, skSkbOptions: SkSkbOptions): SkSkbResult {
    const o = checkOptions(skSkbOptions, 'options');
    const env = this.env.sockOps;
    const sockets = env?.sockets.table.sockets ?? [];
    const index = checkSkMsgSocket(o, sockets.length);
    const { socket: _, ...rest } = o;
    let out: { skb: Uint8Array; packet: Uint8Array } | undefined;
    const r0 = this.runSkb(data, { ...rest, inspect: (skb, packet) => (out = { skb, packet }) }, 'sk_skb', sockets[index]);
    const verdict = Number(r0 & 0xffffffffn);
    const redirect = this.skb.socketRedirect;
    return { r0, verdict, ...(verdict === 1 && redirect !== undefined ? { redirect } : {}), packet: out!.packet, skb: out!.skb };
  }

  /**
   * Run as a `cgroup_skb` program on the Ethernet frame `packet`, as BPF_PROG_TEST_RUN does: the
   * `__sk_buff` covers the frame past its Ethernet header (`data` is the network header, `len` the
   * frame's length less 14, `protocol` the frame's EtherType); `options.cgroup` names the cgroup it is
   * attached to (`bpf_get_local_storage`). Returns r0: bit 0 allows the packet (1) or drops it (0); on
   * egress bit 1 asks for congestion notification.
   */
  runCgroupSkb(packet: Uint8Array, options?: SkbOptions): bigint {
    checkBytes(packet, 'the packet');
    if (packet.length < ETH_HLEN) throw new ArgumentError(`a cgroup_skb run takes an Ethernet frame of at least ${ETH_HLEN} bytes, not ${packet.length}`);
    const o = checkSkbOptions(options);
    return this.runSkb(packet.subarray(ETH_HLEN), { ...o, protocol: o.protocol ?? (packet[12]! | (packet[13]! << 8)) }, 'socket');
  }

  /**
   * Run as a flow dissector on the Ethernet frame `packet`, as BPF_PROG_TEST_RUN does: the
   * `__sk_buff`'s `data` / `data_end` cover the whole frame, its `flow_keys` points at a
   * zeroed `struct bpf_flow_keys` whose `nhoff` and `thoff` are 14 (past the Ethernet header),
   * `n_proto` the frame's EtherType and `flags` `options.flags`. The kernel's test run dissects without
   * an skb, so `bpf_skb_load_bytes` fails there with -EFAULT (zeroing its buffer), as it does here. After the run `nhoff` is clamped into [14, frame length] and `thoff` into [nhoff,
   * frame length] (see context/flow-keys). Returns the verdict and the keys.
   */
  runFlowDissector(packet: Uint8Array, flowOptions?: FlowDissectorOptions): FlowDissectorResult {
    checkBytes(packet, 'the packet');
    const options = checkRunOptions(flowOptions);
    const flags = checkOptionalInteger(options.flags, 'options.flags', 0, 0xffff_ffff) ?? 0;
    if (packet.length < ETH_HLEN) throw new ArgumentError(`a flow dissector run takes an Ethernet frame of at least ${ETH_HLEN} bytes, not ${packet.length}`);
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    const mem = space.memory;
    const len = packet.length;
    const limits = limitsOf(options);
    // The keys follow the __sk_buff in the context region, so the program reaches them at MBUFF_START + 192.
    const ctxSize = SkBuff.SIZE + FLOW_KEYS_SIZE;
    const base = space.reserve(limits, ctxSize, len);
    const bytes = mem.bytes;
    const v = mem.view;
    const stackTop = space.stackTop(limits);
    const ctx = space.zeroContext(ctxSize, bytes);
    bytes.set(packet, base);
    space.mapPacket(0, len, 'packet', ETH_HLEN);
    v.setUint32(ctx + SkBuff.data, MEM_START, true);
    v.setUint32(ctx + SkBuff.data_end, MEM_START + len, true);
    v.setBigUint64(ctx + SkBuff.flow_keys, MBUFF_ADDRESS + BigInt(SkBuff.SIZE), true);
    const keys = ctx + SkBuff.SIZE;
    initFlowKeys(v, keys, ETH_HLEN, packet[12]! << 8 | packet[13]!, flags);
    // The test run dissects without an skb: bpf_skb_load_bytes finds no bytes (-EFAULT, buffer zeroed).
    const host: KernelRunHost = { packet: () => NO_META };
    try {
      const r0 = this.execute(options, MBUFF_ADDRESS, 0n, host, limits, stackTop);
      const out = mem.bytes;
      clampFlowKeys(mem.view, keys, ETH_HLEN, len);
      const k = out.slice(keys, keys + FLOW_KEYS_SIZE);
      return { r0, verdict: Number(r0 & 0xffffffffn), keys: k, flow: decodeFlowKeys(k) };
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }

  /**
   * Run a tracing program (a `kprobe`, `tracepoint`, `raw_tracepoint`, `perf_event` or `tracing`
   * program, by its section name or `programTypes`) on a host-described event: its context is built
   * from `event` for the program's type (registers, arguments, a tracepoint record; the rest 0) and
   * mapped read-only, as the kernel's tracing contexts are; the task, probe memory and perf counters
   * feed the task, probe and perf helpers.
   */
  runEvent(event?: TracingEvent, tracingOptions?: TracingRunOptions): TracingResult {
    const options = checkRunOptions(tracingOptions);
    const type = this.tracingType;
    if (type === undefined) {
      throw new ArgumentError(`program ${this.program.name} is not a tracing program: load it with programTypes naming its type (kprobe, tracepoint, raw_tracepoint, perf_event, tracing, iter), or run it with run()`);
    }
    const host = checkTaskHost(options);
    if (options.seq !== undefined && !(options.seq instanceof SeqOutput)) throw new ArgumentError(`options.seq must be a SeqOutput, not ${describeValue(options.seq)}`);
    const ctx = tracingContext(type, event, (host.task ?? IDLE_TASK).pid, this.env.iterMeta);
    const counters = new Map<string, Map<number, Required<PerfCounter>>>();
    const slots: unknown = options.perfCounters;
    if (slots !== undefined) {
      if (!Array.isArray(slots) || slots.length > 4096) throw new ArgumentError(`options.perfCounters must be an array of at most 4096 { map, index, counter } slots, not ${describeValue(slots)}`);
      slots.forEach((x: unknown, i) => {
        const name = `options.perfCounters[${i}]`;
        const c = perfCounterOf(x, name);
        const { map, index } = x as Record<string, unknown>;
        if (typeof map !== 'string') throw new ArgumentError(`${name}.map must be the name of a perf event array, not ${describeValue(map)}`);
        if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 0xffff_fffe) throw new ArgumentError(`${name}.index must be an integer from 0 to 4294967294, not ${describeValue(index)}`);
        let m = counters.get(map);
        if (m === undefined) counters.set(map, (m = new Map()));
        m.set(index, c);
      });
    }
    const ev = event as { counter?: unknown } | undefined;
    const seq = type === 'iter' ? new SeqRun(options.seq ?? new SeqOutput()) : undefined;
    const tracing: TracingRunState = {
      type,
      counters,
      signals: [],
      ...(seq === undefined ? {} : { seq }),
      ...functionOf(type, event),
      ...(type === 'perf_event' && ev?.counter !== undefined ? { counter: perfCounterOf(ev.counter, 'event.counter') } : {}),
    };
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    const buffer = type === 'raw_tracepoint' ? tpBufferOf(event) : undefined;
    const bufferAt = buffer === undefined ? -1 : space.packetBuffer(buffer.length);
    if (buffer !== undefined) {
      // a writable raw tracepoint: its buffer at MEM_START, which the first argument points at
      space.memory.bytes.set(buffer, bufferAt);
      space.mapPacket(0, buffer.length, 'tp_buffer');
      new DataView(ctx.buffer, ctx.byteOffset).setBigUint64(0, BigInt(MEM_START), true);
    }
    space.setContext(ctx, false);
    // BTF programs read kernel objects through typed pointers directly: such a load reads the
    // host-described probe memory, or 0 where the host describes none (the kernel's faulting loads).
    const memory = space.memory;
    if (type === 'tracing' || type === 'iter') memory.faultingLoads = (address, size) => probeBytes(host, address, size);
    try {
      let r0: bigint | undefined;
      try {
        r0 = this.execute(options, MBUFF_ADDRESS, 0n, { ...host, tracing });
      } finally {
        seq?.end(r0 !== undefined);
      }
      return {
        r0,
        ...(seq === undefined ? {} : { seq: seq.written, seqOverflow: seq.overflow }),
        signals: tracing.signals,
        ...(tracing.overrideReturn === undefined ? {} : { overrideReturn: tracing.overrideReturn }),
        ...(host.probeMemory === undefined ? {} : { probeMemory: host.probeMemory }),
        ...(buffer === undefined ? {} : { buffer: memory.bytes.slice(bufferAt, bufferAt + buffer.length) }),
      };
    } finally {
      memory.faultingLoads = undefined;
      if (buffer !== undefined) space.clearPacket();
      space.clearContext();
    }
  }

  /**
   * Run as a sock_ops program on a host-described socket event: the `struct bpf_sock_ops` of
   * `event.op` on the loader's socket `event.socket` (see context/sock-ops.ts), writable where the
   * kernel lets programs write (`reply`, `sk_txhash`); the socket's options and callback flags are
   * kept from run to run. Returns r0, `reply` and what the socket holds after the run.
   */
  runSockOps(event: SockOpsEvent, sockOpsOptions?: SockOpsRunOptions): SockOpsResult {
    const options = checkRunOptions(sockOpsOptions);
    const congestion = checkCongestion(options.congestion);
    const env = this.env.sockOps;
    const sockets = env?.sockets.table.sockets ?? [];
    const e = checkSockOpsEvent(event, sockets.length);
    const socket = sockets[e.socket]!;
    const state = env!.states.of(e.socket);
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    const skbLength = e.skb?.length ?? 0;
    const ctx = sockOpsContext(e, socket, state, { sk: env!.sockets.address(socket), skbData: MEM_START, skbDataEnd: MEM_START + skbLength });
    const mem = space.memory;
    if (e.skb !== undefined) {
      const base = space.packetBuffer(skbLength);
      mem.bytes.set(e.skb, base);
      space.mapPacket(0, skbLength, 'skb');
    }
    const ctxOffset = space.setContext(ctx, true);
    try {
      const hdr = new HdrOptRun(e.op, e.skb, e.syn, hdrOptionRoom(e, state));
      const host: SockOpsRunHost = { kind: 'sockops', op: e.op, socket, state, congestion, hdr };
      const r0 = this.execute(options, MBUFF_ADDRESS, 0n, host);
      if (e.op === SockOpsOp.hdr_opt_len_cb) state.hdrReserved = hdr.reserved;
      const v = new DataView(mem.bytes.buffer, mem.bytes.byteOffset + ctxOffset, SockOps.SIZE);
      state.txhash = v.getUint32(SockOps.sk_txhash, true);
      const replylong = [0, 1, 2, 3].map((i) => v.getUint32(SockOps.args + 4 * i, true));
      return {
        r0, reply: replylong[0]!, replylong, cbFlags: state.cbFlags, txhash: state.txhash, options: Object.fromEntries(state.options),
        reserved: hdr.reserved, headerOptions: hdr.space.slice(),
      };
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }

  /**
   * Run as a syscall program on `ctx`, the caller's own bytes (at most 65535, and at least as many as the
   * program's furthest context access): the program reads and writes them at r1 (NULL when `ctx` is
   * empty). Returns r0 and the bytes as the program left them (what the kernel writes back to ctx_in).
   * Its own helpers that act on the kernel (`bpf_sys_bpf`, `bpf_sys_close`, ...) are refused at load.
   */
  runSyscall(ctx: Uint8Array, syscallOptions?: RunOptions): SyscallResult {
    const options = checkRunOptions(syscallOptions);
    const bytes = checkSyscallContext(ctx, this.ctxExtent, this.program.name);
    return this.withContext(options, bytes, true, 0, ({ ctxOffset, run }) => {
      const r0 = run(bytes.length === 0 ? 0n : MBUFF_ADDRESS, undefined);
      return { r0, ctx: this.env.space.memory.bytes.slice(ctxOffset, ctxOffset + bytes.length) };
    });
  }

  /**
   * The set-up the runs with a context of their own share: refuse a nested run, reserve the context's
   * bytes and `extra` more past the stack (`base`: where those start), map `ctx` (writable or not) and
   * give `body` where it lies and a `run` with the limits and stack top reserved; the context (and a
   * packet `body` mapped) is unmapped after, whatever happens.
   */
  private withContext<T>(
    options: RunOptions,
    ctx: Uint8Array,
    writable: boolean,
    extra: number,
    body: (at: { readonly ctxOffset: number; readonly base: number; readonly run: (r1: bigint, host: RunHost | undefined) => bigint }) => T,
  ): T {
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    const limits = limitsOf(options);
    const base = space.reserve(limits, ctx.length, extra);
    const stackTop = space.stackTop(limits);
    const ctxOffset = space.setContext(ctx, writable);
    try {
      return body({ ctxOffset, base, run: (r1, host) => this.execute(options, r1, 0n, host, limits, stackTop) });
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }

  /**
   * Run as an sk_lookup program on a described socket lookup (protocol, remote and local `ADDRESS:PORT`,
   * ingress ifindex): the program reads a `struct bpf_sk_lookup` (context/sk-lookup.ts) and may select one
   * of the loader's sockets with `bpf_sk_assign` (found with `bpf_sk_lookup_tcp` / `_udp`); its `sk` field
   * then points at that socket. Returns the verdict (SK_DROP 0, SK_PASS 1) and the selected socket's index.
   */
  runSkLookup(lookup: SkLookupDescription, skLookupOptions?: RunOptions): SkLookupResult {
    const options = checkRunOptions(skLookupOptions);
    const l = skLookupContext(lookup);
    return this.withContext(options, l.bytes, false, 0, ({ ctxOffset, run }) => {
      const host = new SkLookupRun(l, (address) => this.env.space.memory.view.setBigUint64(ctxOffset + SkLookupField.sk, BigInt(address), true));
      const r0 = run(MBUFF_ADDRESS, host);
      return { r0, verdict: Number(r0 & 0xffffffffn), ...(host.selected === undefined ? {} : { socket: host.selected.index }) };
    });
  }

  /**
   * Run as an sk_msg program on `message`, which the loader's socket `options.socket` sends: the
   * program gets a read-only `struct sk_msg_md` (see context/sk-msg.ts) whose `data` / `data_end` show
   * the message's first chunk (pass an array for a message in several chunks), and the message helpers
   * pull, push and pop its bytes. Returns the verdict, the redirect target, the apply / cork counts and
   * the message after the run. (The kernel refuses BPF_PROG_TEST_RUN for sk_msg: the rules are the
   * helper documentation's.)
   */
  runSkMsg(message: Uint8Array | readonly Uint8Array[], skMsgOptions: SkMsgRunOptions & RunOptions): SkMsgResult {
    const options = checkRunOptions(skMsgOptions);
    const env = this.env.sockOps;
    const sockets = env?.sockets.table.sockets ?? [];
    const index = checkSkMsgSocket(options, sockets.length);
    const msg = checkSkMsg(message);
    const socket = sockets[index]!;
    return this.withContext(options, skMsgContext(socket, env!.sockets.address(socket)), false, MAX_SK_MSG, ({ ctxOffset, base, run }) => {
      const host = new SkMsgRun(this.env.space, base, ctxOffset, msg);
      const r0 = run(MBUFF_ADDRESS, host);
      const verdict = Number(r0 & 0xffffffffn);
      return {
        verdict,
        r0,
        ...(verdict === 1 && host.socketRedirect !== undefined ? { redirect: host.socketRedirect } : {}),
        ...(host.applyBytes === undefined ? {} : { applyBytes: host.applyBytes }),
        ...(host.corkBytes === undefined ? {} : { corkBytes: host.corkBytes }),
        message: host.bytes(),
      };
    });
  }

  /**
   * Run with a raw context: `ctx` is mapped at `MBUFF_START` and r1 points at it; without `ctx`, r1
   * is `MEM_START` and r2 the input length. `ctx` and `options.mem` are written back after the run.
   */
  run(ctx?: Uint8Array, rawOptions?: RawRunOptions): bigint {
    checkOptionalBytes(ctx, 'ctx');
    const options = checkRunOptions(rawOptions);
    const input = checkOptionalBytes(options.mem, 'options.mem');
    const space = this.env.space;
    if (space.running) throw nestedRunError();
    const mem = space.memory;
    let base = -1;
    if (input !== undefined) {
      base = space.packetBuffer(input.length);
      mem.bytes.set(input, base);
      space.mapPacket(0, input.length, 'mem');
    }
    let ctxOffset = -1;
    if (ctx !== undefined) ctxOffset = space.setContext(ctx);
    try {
      const r1 = ctx !== undefined ? MBUFF_ADDRESS : input !== undefined ? MEM_ADDRESS : 0n;
      const host = options.task === undefined && options.probeMemory === undefined && options.tasks === undefined && options.cgroups === undefined && options.skbs === undefined && options.files === undefined ? undefined : checkTaskHost(options);
      const r0 = this.execute(options, r1, BigInt(input?.length ?? 0), host);
      if (ctx !== undefined) ctx.set(mem.bytes.subarray(ctxOffset, ctxOffset + ctx.length));
      if (input !== undefined) input.set(mem.bytes.subarray(base, base + input.length));
      return r0;
    } finally {
      space.clearPacket();
      space.clearContext();
    }
  }
}
