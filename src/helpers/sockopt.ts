/**
 * The sock_ops helpers over the host's sockets: `bpf_setsockopt` (49) / `bpf_getsockopt` (57) on a
 * per-socket option store, `bpf_sock_ops_cb_flags_set` (59), and the socket casts `bpf_skc_to_tcp6_sock`
 * (136), `_tcp_sock` (137), `_tcp_timewait_sock` (138), `_tcp_request_sock` (139), `_udp6_sock` (140).
 *
 * The options a program may set and read, their levels, lengths and value rules are those bpf-helpers(7)
 * lists for these helpers, with socket(7), ip(7), ipv6(7) and tcp(7) for each value's range: an option or
 * level not listed, a length other than an int's, a value out of range, an IP option on an IPv6 socket
 * (or the reverse), a request or timewait socket, are -EINVAL; an unknown congestion control -ENOENT;
 * `TCP_SAVED_SYN` -ENOENT (no SYN is saved here); an operation past the header-option callbacks
 * (`op` > 15, the unlocked timestamp callbacks) -EOPNOTSUPP. `bpf_getsockopt` zeroes the buffer on
 * failure. An option never set reads as a fresh Linux socket has it (SO_SNDBUF 16384, SO_RCVBUF 131072,
 * TCP_KEEPIDLE 7200, the `cubic` congestion control...); SO_SNDBUF / SO_RCVBUF read back doubled and
 * clamped as Linux does with `net.core.wmem_max` / `rmem_max` at 212992. The kernel cannot test-run
 * sock_ops programs, so these rules are not checked against it; the verifier side (which helpers a
 * sock_ops program may call, with which arguments) is (test/verifier/kernel-sock-ops.test.ts).
 *
 * A cast returns its argument (the same socket) when the socket is of the kind the cast names, else
 * NULL; an address that is not a host socket stops the run with an error. The TCP header-option
 * helpers (142-144) are in helpers/hdr-opt.ts.
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { Errno, negErrno } from '../maps/types.js';
import type { HostSocket } from './socket-table.js';
import type { SocketMemory } from './sockets.js';
import { hdrOptHelpers, type HdrOptRun } from './hdr-opt.js';

/** What programs set on one socket, kept from run to run. */
export class SockOpsSocket {
  /** `bpf_sock_ops_cb_flags`: the callbacks the program asked for (`BPF_SOCK_OPS_*_CB_FLAG`). */
  cbFlags = 0;
  /** `sk_txhash`. */
  txhash = 0;
  /** Options set, by name. */
  readonly options = new Map<string, number | string>();
  /** Option bytes the last BPF_SOCK_OPS_HDR_OPT_LEN_CB run reserved (what WRITE_HDR_OPT_CB may fill). */
  hdrReserved = 0;
}

/** Every socket's {@link SockOpsSocket}, created on first use (at most one per host socket). */
export class SockOpsSockets {
  private readonly states = new Map<number, SockOpsSocket>();

  /** The state of the socket of index `index`. */
  of(index: number): SockOpsSocket {
    let s = this.states.get(index);
    if (s === undefined) this.states.set(index, (s = new SockOpsSocket()));
    return s;
  }
}

/** What a sock_ops run passes its helpers (`HelperContext.host`). */
export interface SockOpsRunHost {
  readonly kind: 'sockops';
  /** The operation (`BPF_SOCK_OPS_*`). */
  readonly op: number;
  readonly socket: HostSocket;
  readonly state: SockOpsSocket;
  /** Congestion control algorithms `TCP_CONGESTION` may name. */
  readonly congestion: readonly string[];
  /** The TCP header-option state of the run (helpers/hdr-opt.ts). */
  readonly hdr: HdrOptRun;
}

/** Congestion controls a host has unless told otherwise (Linux's built-in `reno` and default `cubic`). */
export const DEFAULT_CONGESTION: readonly string[] = ['cubic', 'reno'];
/** `BPF_SOCK_OPS_ALL_CB_FLAGS` (Linux 6.18). */
export const ALL_CB_FLAGS = 0x7f;
/** `TCP_CA_NAME_MAX`. */
const CA_NAME_MAX = 16;
/** The last operation that runs with the socket locked (BPF_SOCK_OPS_WRITE_HDR_OPT_CB). */
const LAST_LOCKED_OP = 15;

const SOL_SOCKET = 1;
const SOL_TCP = 6;
const SOL_IP = 0;
const SOL_IPV6 = 41;

/** One option: where it is, how it is checked, what it reads as before it is set. */
interface OptionRule {
  readonly name: string;
  readonly level: number;
  readonly opt: number;
  /** Settable (default) or read-only to these helpers. */
  readonly set?: false;
  readonly get?: false;
  /** Only on sockets of this family. */
  readonly family?: 4 | 6;
  /** Allowed values of an int option (inclusive), default any. */
  readonly range?: readonly [number, number];
  /** What a value stored reads back as. */
  readonly store?: (v: number) => number;
  readonly initial: (s: HostSocket) => number;
}

const WMEM_MAX = 212992;
const RMEM_MAX = 212992;
const bool = [0, 1] as const;
const int = (name: string, level: number, opt: number, initial: number | ((s: HostSocket) => number), extra: Partial<OptionRule> = {}): OptionRule => ({
  name, level, opt, initial: typeof initial === 'number' ? () => initial : initial, ...extra,
});

/** The int options (TCP_CONGESTION, a string, and TCP_SAVED_SYN are handled apart). */
const RULES: readonly OptionRule[] = [
  int('SO_REUSEADDR', SOL_SOCKET, 2, 0, { store: (v) => (v !== 0 ? 1 : 0) }),
  int('SO_SNDBUF', SOL_SOCKET, 7, 16384, { store: (v) => Math.max(Math.min(v >>> 0, WMEM_MAX) * 2, 4608) }),
  int('SO_RCVBUF', SOL_SOCKET, 8, 131072, { store: (v) => Math.max(Math.min(v >>> 0, RMEM_MAX) * 2, 2304) }),
  int('SO_KEEPALIVE', SOL_SOCKET, 9, 0, { store: (v) => (v !== 0 ? 1 : 0) }),
  int('SO_PRIORITY', SOL_SOCKET, 12, (s) => new DataView(s.bytes.buffer, s.bytes.byteOffset).getUint32(20, true)),
  int('SO_REUSEPORT', SOL_SOCKET, 15, 0, { store: (v) => (v !== 0 ? 1 : 0) }),
  int('SO_RCVLOWAT', SOL_SOCKET, 18, 1, { range: [0, 0x7fff_ffff], store: (v) => Math.max(v, 1) }),
  int('SO_MARK', SOL_SOCKET, 36, (s) => new DataView(s.bytes.buffer, s.bytes.byteOffset).getUint32(16, true)),
  int('SO_MAX_PACING_RATE', SOL_SOCKET, 47, -1),
  int('SO_BINDTOIFINDEX', SOL_SOCKET, 62, (s) => new DataView(s.bytes.buffer, s.bytes.byteOffset).getUint32(0, true), { range: [0, 0x7fff_ffff] }),
  int('SO_TXREHASH', SOL_SOCKET, 74, -1, { range: [-1, 1] }),
  int('TCP_NODELAY', SOL_TCP, 1, 0, { store: (v) => (v !== 0 ? 1 : 0) }),
  int('TCP_MAXSEG', SOL_TCP, 2, 536, { range: [88, 65535] }),
  int('TCP_KEEPIDLE', SOL_TCP, 4, 7200, { range: [1, 32767] }),
  int('TCP_KEEPINTVL', SOL_TCP, 5, 75, { range: [1, 32767] }),
  int('TCP_KEEPCNT', SOL_TCP, 6, 9, { range: [1, 127] }),
  int('TCP_SYNCNT', SOL_TCP, 7, 6, { range: [1, 127] }),
  int('TCP_WINDOW_CLAMP', SOL_TCP, 10, 0, { range: [0, 0x7fff_ffff], store: (v) => (v === 0 ? 0 : Math.max(v, 2304))}),
  int('TCP_THIN_LINEAR_TIMEOUTS', SOL_TCP, 16, 0, { range: bool }),
  int('TCP_USER_TIMEOUT', SOL_TCP, 18, 0, { range: [0, 0x7fff_ffff] }),
  int('TCP_NOTSENT_LOWAT', SOL_TCP, 25, -1),
  int('TCP_SAVE_SYN', SOL_TCP, 27, 0, { range: [0, 2] }),
  int('TCP_BPF_IW', SOL_TCP, 1001, 10, { range: [1, 0x7fff_ffff], get: false }),
  int('TCP_BPF_SNDCWND_CLAMP', SOL_TCP, 1002, 0, { range: [1, 0x7fff_ffff], get: false }),
  int('TCP_BPF_DELACK_MAX', SOL_TCP, 1003, 200000, { range: [0, 0x7fff_ffff], get: false }),
  int('TCP_BPF_RTO_MIN', SOL_TCP, 1004, 200000, { range: [0, 0x7fff_ffff], get: false }),
  int('IP_TOS', SOL_IP, 1, 0, { family: 4, store: (v) => v & 0xfc }),
  int('IPV6_TCLASS', SOL_IPV6, 67, 0, { family: 6, range: [-1, 0xff], store: (v) => (v === -1 ? 0 : v) }),
  int('IPV6_AUTOFLOWLABEL', SOL_IPV6, 70, 1, { family: 6, store: (v) => (v !== 0 ? 1 : 0) }),
];
const BY_KEY = new Map(RULES.map((r) => [`${r.level}:${r.opt}`, r]));
const TCP_CONGESTION = 13;
const TCP_SAVED_SYN = 28;
/** TCP_BPF_SOCK_OPS_CB_FLAGS: the callback flags as an option. */
const TCP_BPF_SOCK_OPS_CB_FLAGS = 1008;

/** The sock_ops helpers, over the host's sockets. */
export function sockOpsHelpers(memory: VmMemory, sockets: SocketMemory): Map<number, HelperEntry> {
  const fail = (name: string, message: string, ctx: HelperContext): never => {
    throw helperError(name, message, ctx);
  };
  const hostOf = (name: string, ctx: HelperContext): SockOpsRunHost => {
    const host = ctx.host as SockOpsRunHost | undefined;
    if (host?.kind !== 'sockops') return fail(name, 'only sock_ops programs may call it (the kernel refuses it elsewhere); run the program with runSockOps', ctx);
    return host;
  };
  const decoder = new TextDecoder();
  /** 0 or an errno; `value` is what the option holds after. */
  const setOption = (host: SockOpsRunHost, level: number, opt: number, optval: bigint, optlen: number, pc: number): number => {
    const s = host.socket;
    if (level === SOL_TCP && opt === TCP_CONGESTION) {
      if (optlen < 1) return Errno.EINVAL;
      const raw = memory.slice(optval, Math.min(optlen, CA_NAME_MAX - 1), false, pc);
      const name = decoder.decode(raw.subarray(0, raw.indexOf(0) < 0 ? raw.length : raw.indexOf(0)));
      if (!host.congestion.includes(name)) return Errno.ENOENT;
      host.state.options.set('TCP_CONGESTION', name);
      return 0;
    }
    if (level === SOL_TCP && opt === TCP_BPF_SOCK_OPS_CB_FLAGS) {
      if (optlen !== 4) return Errno.EINVAL;
      const v = new DataView(memory.slice(optval, 4, false, pc).slice().buffer).getInt32(0, true);
      if ((v & ~ALL_CB_FLAGS) !== 0) return Errno.EINVAL;
      host.state.cbFlags = v;
      return 0;
    }
    const rule = BY_KEY.get(`${level}:${opt}`);
    if (rule === undefined || rule.set === false || optlen !== 4) return Errno.EINVAL;
    if (rule.family !== undefined && rule.family !== s.family) return Errno.EINVAL;
    const v = new DataView(memory.slice(optval, 4, false, pc).slice().buffer).getInt32(0, true);
    if (rule.range !== undefined && (v < rule.range[0] || v > rule.range[1])) return Errno.EINVAL;
    if (rule.name === 'SO_BINDTOIFINDEX' && v !== 0 && v !== 1) return Errno.ENODEV; // the host's only interface is lo
    // TCP_BPF_IW only before the connection has sent data
    if (rule.name === 'TCP_BPF_IW' && new DataView(s.tcpBytes.buffer, s.tcpBytes.byteOffset).getUint32(68, true) > 0) return Errno.EINVAL;
    host.state.options.set(rule.name, rule.store === undefined ? v : rule.store(v));
    return 0;
  };
  /** The option's bytes (an int's 4, a string padded to `optlen`), or an errno. */
  const getOption = (host: SockOpsRunHost, level: number, opt: number, optlen: number): Uint8Array | number => {
    if (level === SOL_TCP && opt === TCP_CONGESTION) {
      if (optlen < 1) return Errno.EINVAL;
      const name = host.state.options.get('TCP_CONGESTION') ?? host.congestion[0] ?? DEFAULT_CONGESTION[0]!;
      const out = new Uint8Array(optlen);
      out.set(new TextEncoder().encode(String(name)).subarray(0, Math.min(optlen, CA_NAME_MAX)));
      return out;
    }
    if (level === SOL_TCP && opt === TCP_SAVED_SYN) return Errno.ENOENT;
    const int32 = (v: number): Uint8Array => {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, v, true);
      return out;
    };
    if (level === SOL_TCP && opt === TCP_BPF_SOCK_OPS_CB_FLAGS) return optlen === 4 ? int32(host.state.cbFlags) : Errno.EINVAL;
    const rule = BY_KEY.get(`${level}:${opt}`);
    if (rule === undefined || rule.get === false || optlen !== 4) return Errno.EINVAL;
    if (rule.family !== undefined && rule.family !== host.socket.family) return Errno.EINVAL;
    const stored = host.state.options.get(rule.name);
    return int32(typeof stored === 'number' ? stored : rule.initial(host.socket));
  };
  const common = (name: string, ctx: HelperContext): SockOpsRunHost | number => {
    const host = hostOf(name, ctx);
    if (host.op > LAST_LOCKED_OP) return Errno.EOPNOTSUPP;
    if (host.socket.state === 'syn_recv' || host.socket.state === 'time_wait') return Errno.EINVAL;
    return host;
  };
  const setsockopt: HelperFunction = (_ctx, level, optname, optval, optlen, ctx) => {
    const host = common('bpf_setsockopt', ctx);
    if (typeof host === 'number') return negErrno(host);
    const r = setOption(host, Number(BigInt.asIntN(32, level)), Number(BigInt.asIntN(32, optname)), optval, Number(BigInt.asIntN(32, optlen)), ctx.pc);
    return r === 0 ? 0 : negErrno(r);
  };
  const getsockopt: HelperFunction = (_ctx, level, optname, optval, optlen, ctx) => {
    const len = Number(BigInt.asIntN(32, optlen));
    // the buffer is the program's to receive: it must be writable memory whatever happens
    const out = len <= 0 ? undefined : memory.slice(optval, len, true, ctx.pc);
    const host = common('bpf_getsockopt', ctx);
    const r = typeof host === 'number' ? host : getOption(host, Number(BigInt.asIntN(32, level)), Number(BigInt.asIntN(32, optname)), len);
    if (typeof r === 'number') {
      out?.fill(0);
      return negErrno(r);
    }
    out!.set(r);
    return 0;
  };
  const cbFlagsSet: HelperFunction = (_ctx, flags, _3, _4, _5, ctx) => {
    const host = hostOf('bpf_sock_ops_cb_flags_set', ctx);
    if (host.op > LAST_LOCKED_OP) return negErrno(Errno.EOPNOTSUPP);
    if (host.socket.state === 'syn_recv' || host.socket.state === 'time_wait') return negErrno(Errno.EINVAL);
    const v = Number(BigInt.asIntN(32, flags));
    host.state.cbFlags = v & ALL_CB_FLAGS;
    return BigInt.asUintN(64, BigInt(v & ~ALL_CB_FLAGS));
  };
  const cast = (name: string, holds: (s: HostSocket) => boolean): HelperFunction => (r1, _2, _3, _4, _5, ctx) => {
    if (r1 === 0n) return 0;
    const s = sockets.at(r1, true);
    if (s === undefined) return fail(name, `0x${r1.toString(16)} is not a socket of the host (a socket the context or a lookup gave)`, ctx);
    return holds(s) ? r1 : 0;
  };
  const full = (s: HostSocket): boolean => s.state !== 'syn_recv' && s.state !== 'time_wait';
  const entry = (fn: HelperFunction, name: string): HelperEntry => ({ fn, name, unwindOnZero: false });
  return new Map([
    ...hdrOptHelpers(memory, (name, ctx) => hostOf(name, ctx).hdr),
    [49, entry(setsockopt, 'bpf_setsockopt')],
    [57, entry(getsockopt, 'bpf_getsockopt')],
    [59, entry(cbFlagsSet, 'bpf_sock_ops_cb_flags_set')],
    [136, entry(cast('bpf_skc_to_tcp6_sock', (s) => s.protocol === 'tcp' && s.family === 6 && full(s)), 'bpf_skc_to_tcp6_sock')],
    [137, entry(cast('bpf_skc_to_tcp_sock', (s) => s.protocol === 'tcp' && full(s)), 'bpf_skc_to_tcp_sock')],
    [138, entry(cast('bpf_skc_to_tcp_timewait_sock', (s) => s.protocol === 'tcp' && s.state === 'time_wait'), 'bpf_skc_to_tcp_timewait_sock')],
    [139, entry(cast('bpf_skc_to_tcp_request_sock', (s) => s.protocol === 'tcp' && s.state === 'syn_recv'), 'bpf_skc_to_tcp_request_sock')],
    [140, entry(cast('bpf_skc_to_udp6_sock', (s) => s.protocol === 'udp' && s.family === 6), 'bpf_skc_to_udp6_sock')],
  ]);
}
