/**
 * What runs one packet for the capture runner and the single-packet run, and how its r0 becomes a
 * verdict: the packet engine of an object's program (a {@link PacketSession} by program type) or of
 * raw bytecode (rbpf's EbpfVmRaw), verdict names (XDP and TC_ACT names, kept / dropped) and the
 * judgement of a run (whether the packet is let through, and where it ends).
 * @module
 */
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import type { ProgramRunner } from '../context/runner.js';
import { ETH_HLEN } from '../context/packet-host.js';
import { TcAction, XdpAction } from '../context/layout.js';
import type { FlowKeys } from '../context/flow-keys.js';
import type { PacketSession } from '../context/session.js';
import type { Redirect } from '../helpers/packet.js';
import type { SkbClone } from '../helpers/clone.js';
import { EbpfVmRaw } from '../vm/vm.js';
import type { VmMemory } from '../vm/memory.js';
import type { HelperEntry, RunLimits, RunOutcome } from '../vm/environment.js';
import { XDP_ACTIONS } from './commands/run-object.js';

/** How a program's r0 becomes a verdict and whether the packet is let through. */
export type VerdictKind = 'xdp' | 'socket' | 'tc' | 'cgroup_skb' | 'flow_dissector' | 'raw';

/** Runs the program on one packet, in place: the packet as left is `outBytes[outStart, outEnd)` after. */
export interface PacketEngine {
  readonly kind: VerdictKind;
  /**
   * Run on `buf[start, start + length)`; returns r0 as halves and the instructions charged (NaN when
   * the engine cannot tell), in an object the next run rewrites.
   */
  run(buf: Uint8Array, start: number, length: number): RunOutcome;
  /** The linear memory the program runs in, when packets can be run from it ({@link runAt}). */
  readonly memory?: VmMemory;
  /** Run as {@link run} does on `length` bytes at linear-memory offset `offset` of {@link memory}. */
  runAt?(offset: number, length: number): RunOutcome;
  /** The bytes holding the packet as the program left it (after a run). */
  outBytes(): Uint8Array;
  readonly outStart: number;
  readonly outEnd: number;
  /** Where the last run's redirect helper sent the packet (none for raw bytecode). */
  redirect(): Redirect | undefined;
  /** The last run's `bpf_clone_redirect` copies (reused by the next run) and how many past those were not kept. */
  clones(): readonly SkbClone[];
  clonesDropped(): number;
  /** A flow dissector's keys after the last run. */
  flowKeys?(): FlowKeys | undefined;
}

const NO_CLONES: readonly SkbClone[] = [];

const TC_NAMES = new Map<number, string>(Object.entries(TcAction).map(([k, v]) => [v, `TC_ACT_${k}`]));

/** The packet engine for a program of a loaded object, by program type. */
export function objectPacketEngine(obj: BpfObject, info: ProgramInfo, jit: boolean, limits: Partial<RunLimits>, cgroup?: bigint): PacketEngine {
  const runner = obj.program(info.name);
  if (info.type === 'cgroup_skb') return cgroupSkbEngine(runner, jit, limits, cgroup);
  if (info.type === 'flow_dissector') return flowDissectorEngine(runner, jit, limits);
  if (info.type === 'syscall') return syscallEngine(runner, jit, limits);
  const kind: VerdictKind = info.type === 'xdp' ? 'xdp' : info.type === 'socket' ? 'socket' : info.type === 'tc' ? 'tc' : 'raw';
  const session: PacketSession = runner.session(kind === 'xdp' ? 'xdp' : kind === 'raw' ? 'raw' : 'skb', { jit, limits });
  const memory = obj.memory;
  return {
    kind,
    run: (buf, start, length) => session.runPacket(buf, start, length),
    memory,
    runAt: (offset, length) => session.runAt(offset, length),
    outBytes: () => memory.bytes,
    get outStart() {
      return session.outStart;
    },
    get outEnd() {
      return session.outEnd;
    },
    redirect: () => session.redirect,
    clones: () => session.clones,
    clonesDropped: () => session.clonesDropped,
  };
}

/**
 * An engine that runs one frame at a time through a runner call rather than a per-capture session:
 * `step` runs the frame at `buf[start, start + length)` and gives r0 and the bytes the packet holds
 * after the run. `flowKeys`: a flow dissector's last keys.
 */
function frameEngine(
  kind: PacketEngine['kind'],
  step: (buf: Uint8Array, start: number, length: number) => { readonly r0: bigint; readonly out: Uint8Array },
  flowKeys?: () => FlowKeys | undefined,
): PacketEngine {
  const outcome: RunOutcome = { r0Low: 0, r0High: 0, instructions: Number.NaN };
  let out: Uint8Array = new Uint8Array(0);
  return {
    kind,
    run(buf, start, length) {
      const r = step(buf, start, length);
      out = r.out;
      outcome.r0Low = Number(BigInt.asIntN(32, r.r0));
      outcome.r0High = Number(BigInt.asIntN(32, r.r0 >> 32n));
      return outcome;
    },
    outBytes: () => out,
    outStart: 0,
    get outEnd() {
      return out.length;
    },
    redirect: () => undefined,
    clones: () => NO_CLONES,
    clonesDropped: () => 0,
    ...(flowKeys === undefined ? {} : { flowKeys }),
  };
}

/**
 * A cgroup_skb program's engine: each frame run with `runCgroupSkb` (the skb past the Ethernet header,
 * attached to `cgroup`); the packet as left is the frame's Ethernet header and the skb's bytes.
 */
function cgroupSkbEngine(runner: ProgramRunner, jit: boolean, limits: Partial<RunLimits>, cgroup: bigint | undefined): PacketEngine {
  let skb: Uint8Array = new Uint8Array(0);
  const options = {
    jit,
    limits,
    ...(cgroup === undefined ? {} : { cgroup }),
    inspect: (_skb: Uint8Array, packet: Uint8Array) => {
      skb = packet;
    },
  };
  return frameEngine('cgroup_skb', (buf, start, length) => {
    const frame = buf.subarray(start, start + length);
    const r0 = runner.runCgroupSkb(frame, options);
    const out = new Uint8Array(ETH_HLEN + skb.length);
    out.set(frame.subarray(0, ETH_HLEN));
    out.set(skb, ETH_HLEN);
    return { r0, out };
  });
}

/**
 * A flow dissector's engine: each frame run with `runFlowDissector` (the frame is left as it was; the
 * keys the program filled in are kept for the report).
 */
function flowDissectorEngine(runner: ProgramRunner, jit: boolean, limits: Partial<RunLimits>): PacketEngine {
  let keys: FlowKeys | undefined;
  const options = { jit, limits };
  return frameEngine(
    'flow_dissector',
    (buf, start, length) => {
      const out = buf.subarray(start, start + length);
      const r = runner.runFlowDissector(out, options);
      keys = r.flow;
      return { r0: r.r0, out };
    },
    () => keys,
  );
}

/**
 * A syscall program's engine: the input is the context the caller passes (`runSyscall`: checked against
 * the program's furthest context access and the kernel's 65535 bytes, as BPF_PROG_TEST_RUN checks it);
 * the bytes as left are the context as the program left it.
 */
function syscallEngine(runner: ProgramRunner, jit: boolean, limits: Partial<RunLimits>): PacketEngine {
  const options = { jit, limits };
  return frameEngine('raw', (buf, start, length) => {
    const r = runner.runSyscall(buf.subarray(start, start + length), options);
    return { r0: r.r0, out: r.ctx };
  });
}

/** An address of a flow's keys as text: dotted IPv4, else eight colon-separated hex groups. */
function addressText(a: Uint8Array): string {
  if (a.length === 4) return a.join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < a.length; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return groups.join(':');
}

/** A flow dissector's keys for the report (JSON and text): numbers, flags, addresses as text. */
export function flowKeysReport(k: FlowKeys): Record<string, number | boolean | string> {
  return {
    nhoff: k.nhoff, thoff: k.thoff, addrProto: k.addrProto, nProto: k.nProto, ipProto: k.ipProto,
    isFrag: k.isFrag, isFirstFrag: k.isFirstFrag, isEncap: k.isEncap, sport: k.sport, dport: k.dport,
    src: addressText(k.src), dst: addressText(k.dst), flags: k.flags, flowLabel: k.flowLabel,
  };
}

/** The packet engine for raw bytecode (rbpf's EbpfVmRaw: r1 = the packet, r2 = its length). */
export function rawPacketEngine(bytes: Uint8Array, jit: boolean, limits: Partial<RunLimits>, helpers?: ReadonlyMap<number, HelperEntry>): PacketEngine {
  const vm = new EbpfVmRaw(bytes, { limits });
  for (const [id, stub] of helpers ?? []) vm.registerHelper(id, stub.fn, { name: stub.name });
  if (jit) vm.jitCompile();
  return frameEngine('raw', (buf, start, length) => {
    // A zero-copy view inside the VM memory: filled in place, run without copies.
    const out = vm.memBuffer(length);
    out.set(buf.subarray(start, start + length));
    return { r0: jit ? vm.executeProgramJit(out) : vm.executeProgram(out), out };
  });
}

/** Name of a verdict key for the report. */
export function verdictName(kind: VerdictKind, key: number | bigint | string): string {
  if (typeof key === 'string') return key;
  if (kind === 'xdp') return XDP_ACTIONS[Number(key)] ?? `XDP action ${key}`;
  if (kind === 'socket') return key === 0 ? 'dropped (0)' : 'kept (non-zero)';
  if (kind === 'tc') return TC_NAMES.get(Number(key)) ?? `TC_ACT ${key}`;
  if (kind === 'flow_dissector') return Number(key) === 0 ? 'BPF_OK (0)' : Number(key) === 2 ? 'BPF_DROP (2)' : `r0 = ${key}`;
  if (kind === 'cgroup_skb') return `${(Number(key) & 1) === 1 ? 'allowed' : 'dropped'} (${key}${(Number(key) & 2) !== 0 ? ': congestion notified' : ''})`;
  return `r0 = ${key}`;
}

/** Whether a judged verdict is a redirect (XDP_REDIRECT, TC_ACT_REDIRECT): the packet went where the engine's `redirect()` says. */
export function isRedirect(kind: VerdictKind, verdict: number | bigint | string): boolean {
  return (kind === 'xdp' && verdict === XdpAction.REDIRECT) || (kind === 'tc' && verdict === TcAction.REDIRECT);
}

/** A run's verdict key, whether the packet is let through, and where the packet as left ends. */
export interface Judgement {
  verdict: number | bigint;
  passed: boolean;
  end: number;
}

/** r0 of a run as an unsigned 64-bit value. */
export function r0Of(outcome: RunOutcome): bigint {
  const low = BigInt(outcome.r0Low >>> 0);
  return outcome.r0High === 0 ? low : (BigInt(outcome.r0High >>> 0) << 32n) | low;
}

/**
 * Judge a run by program type: XDP_PASS / XDP_TX, a socket filter's non-zero length (the packet cut
 * to it), TC_ACT_OK, a flow dissector's BPF_OK, or any other program's non-zero r0 let the packet through. Fills `into`.
 */
export function judge(kind: VerdictKind, outcome: RunOutcome, engine: PacketEngine, into: Judgement): Judgement {
  // The verdicts are r0's low 32 bits (the kernel's u32 return value), read without a bigint.
  const low = outcome.r0Low >>> 0;
  into.end = engine.outEnd;
  if (kind === 'xdp') {
    into.verdict = low;
    into.passed = low === 2 || low === 3;
  } else if (kind === 'socket') {
    into.verdict = low === 0 ? 0 : 1;
    into.passed = low !== 0;
    if (into.passed) into.end = Math.min(into.end, engine.outStart + low);
  } else if (kind === 'tc') {
    into.verdict = low | 0;
    into.passed = into.verdict === TcAction.OK;
  } else if (kind === 'cgroup_skb') {
    into.verdict = low;
    into.passed = (low & 1) === 1;
  } else if (kind === 'flow_dissector') {
    into.verdict = low;
    into.passed = low === 0;
  } else {
    into.verdict = r0Of(outcome);
    into.passed = into.verdict !== 0n;
  }
  return into;
}
