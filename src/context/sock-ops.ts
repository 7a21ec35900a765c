/**
 * The sock_ops context: `struct bpf_sock_ops` (uapi `linux/bpf.h`, Linux 6.18: 224 bytes) built from a
 * host-described socket event ({@link SockOpsEvent}: the operation, its arguments, one of the host's
 * sockets) and read back after the run ({@link SockOpsResult}: `reply`, the callback flags and options
 * the program set on the socket). The socket's addresses, ports, state and TCP fields come from the
 * socket table (helpers/socket-table.ts); what programs set on it (`bpf_setsockopt`,
 * `bpf_sock_ops_cb_flags_set`, `sk_txhash`) lives in its {@link SockOpsSocket} state
 * (helpers/sockopt.ts) from run to run. Fields follow the kernel's rules: `remote_port` in network
 * order in the upper half (`bpf_ntohl(remote_port)` is the port), `local_port` in host order, the TCP
 * fields and `sk` only for a full socket (0 and NULL for a request or timewait socket), `skb_*` only
 * when the event carries a segment (the header-option callbacks).
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkInteger, checkOptionalBytes, checkOptions, describeValue } from '../validate.js';
import { SOCKET_STATES, TCP_SOCK_FIELDS, type HostSocket } from '../helpers/socket-table.js';
import { writeSocketFields } from './socket-fields.js';
import type { SockOpsSocket } from '../helpers/sockopt.js';
import { MAX_TCP_OPTION_BYTES } from '../helpers/hdr-opt.js';

/** `struct bpf_sock_ops` field offsets (`__u32` unless noted). */
export const SockOps = {
  op: 0, /** `__u32 args[4]`, also `reply` and `replylong[4]` */ args: 4, family: 20, remote_ip4: 24, local_ip4: 28,
  remote_ip6: 32, local_ip6: 48, remote_port: 64, local_port: 68, is_fullsock: 72, snd_cwnd: 76, srtt_us: 80,
  bpf_sock_ops_cb_flags: 84, state: 88, rtt_min: 92, sk_txhash: 164, /** `__u64` */ bytes_received: 168,
  /** `__u64` */ bytes_acked: 176, /** `struct bpf_sock *` */ sk: 184, /** `void *` */ skb_data: 192,
  /** `void *` */ skb_data_end: 200, skb_len: 208, skb_tcp_flags: 212, /** `__u64` */ skb_hwtstamp: 216,
  /** Size of the structure. */
  SIZE: 224,
} as const;

/** `enum` of the sock_ops operations (`BPF_SOCK_OPS_*`), by their names in lower case without the prefix. */
export const SockOpsOp = {
  void: 0, timeout_init: 1, rwnd_init: 2, tcp_connect_cb: 3, active_established_cb: 4, passive_established_cb: 5,
  needs_ecn: 6, base_rtt: 7, rto_cb: 8, retrans_cb: 9, state_cb: 10, tcp_listen_cb: 11, rtt_cb: 12,
  parse_hdr_opt_cb: 13, hdr_opt_len_cb: 14, write_hdr_opt_cb: 15,
} as const;

/** A sock_ops operation's name. */
export type SockOpsOpName = keyof typeof SockOpsOp;

/** One socket event a sock_ops program runs on. */
export interface SockOpsEvent {
  /** The operation: a `BPF_SOCK_OPS_*` number (0 to 255) or its name (`tcp_connect_cb`, `rtt_cb`...). */
  readonly op: number | SockOpsOpName;
  /** The socket: its index in the loader's `sockets` option (a TCP socket). */
  readonly socket: number;
  /** `args[0..3]` (u32 each; default 0): a state change's old and new states, an RTO's counts... */
  readonly args?: readonly number[];
  /**
   * The segment of the header-option callbacks: the TCP header and what follows (mapped read-only
   * at `skb_data`; `skb_len` is its length, `skb_tcp_flags` its flags byte). Default: none.
   */
  readonly skb?: Uint8Array;
  /** `skb_hwtstamp` (default 0). */
  readonly skbHwtstamp?: bigint;
  /**
   * `skb_tcp_flags` when the event has no segment (HDR_OPT_LEN_CB sizes a header not written yet: its
   * flags, SYN 0x02, ACK 0x10...). Default: the segment's flags byte, else 0.
   */
  readonly tcpFlags?: number;
  /**
   * TCP option bytes for the program's header options, 0 to 40: in HDR_OPT_LEN_CB what
   * `bpf_reserve_hdr_opt` may reserve in total (default 40 less the options of `skb` when given); in
   * WRITE_HDR_OPT_CB the bytes reserved, which `bpf_store_hdr_opt` fills (default what the socket's
   * last HDR_OPT_LEN_CB run reserved).
   */
  readonly optionSpace?: number;
  /**
   * The SYN's TCP header (and options), which `bpf_load_hdr_opt(..., BPF_LOAD_HDR_OPT_TCP_SYN)` searches
   * (the saved SYN, or the one a SYN-ACK answers). Default: none (-ENOENT).
   */
  readonly syn?: Uint8Array;
}

/** What a sock_ops run leaves. */
export interface SockOpsResult {
  /** r0: 1 when the program handled the operation (the kernel then uses `reply`), else 0. */
  readonly r0: bigint;
  /** `reply` (`args[0]`) as the program left it: a timeout, a window, a base RTT, whether to use ECN. */
  readonly reply: number;
  /** `replylong[0..3]` (`args[]`) as the program left them. */
  readonly replylong: readonly number[];
  /** The socket's `bpf_sock_ops_cb_flags` after the run (what bpf_sock_ops_cb_flags_set set). */
  readonly cbFlags: number;
  /** The socket's `sk_txhash` after the run. */
  readonly txhash: number;
  /** Every socket option set on the socket so far, by name (`SO_RCVBUF`, `TCP_CONGESTION`...). */
  readonly options: Readonly<Record<string, number | string>>;
  /** HDR_OPT_LEN_CB: the option bytes `bpf_reserve_hdr_opt` reserved in total (else 0). */
  readonly reserved: number;
  /**
   * WRITE_HDR_OPT_CB: the reserved option space (rounded up to 4 bytes) as the program's
   * `bpf_store_hdr_opt` calls left it, the rest no-ops (kind 1); else empty.
   */
  readonly headerOptions: Uint8Array;
}

/** Largest segment a header-option event carries (a TCP header with options and a full-size payload). */
export const MAX_SOCK_OPS_SKB = 65535;

/** The event checked: its op as a number, args as four u32s. */
export interface CheckedSockOpsEvent {
  readonly op: number;
  readonly socket: number;
  readonly args: readonly number[];
  readonly skb: Uint8Array | undefined;
  readonly skbHwtstamp: bigint;
  readonly tcpFlags: number | undefined;
  readonly optionSpace: number | undefined;
  readonly syn: Uint8Array | undefined;
}

/** `event` checked against a table of `sockets` sockets (an ArgumentError names the first problem). */
export function checkSockOpsEvent(event: SockOpsEvent, sockets: number): CheckedSockOpsEvent {
  const e = checkOptions(event, 'event') as unknown as Record<string, unknown>;
  const op = typeof e.op === 'string' ? (SockOpsOp as Record<string, number>)[e.op] : e.op;
  if (typeof op !== 'number' || !Number.isInteger(op) || op < 0 || op > 255) {
    throw new ArgumentError(`event.op must be a BPF_SOCK_OPS_* number from 0 to 255 or one of ${Object.keys(SockOpsOp).join(', ')}, not ${describeValue(e.op)}`);
  }
  if (sockets === 0) throw new ArgumentError('event.socket: the object has no sockets; describe them with the sockets load option (tsbpf --sockets FILE)');
  const socket = checkInteger(e.socket, 'event.socket', 0, sockets - 1);
  const args = [0, 0, 0, 0];
  if (e.args !== undefined) {
    if (!Array.isArray(e.args) || e.args.length > 4) throw new ArgumentError(`event.args must be an array of at most 4 u32 values, not ${describeValue(e.args)}`);
    e.args.forEach((a: unknown, i) => (args[i] = checkInteger(a, `event.args[${i}]`, 0, 0xffff_ffff)));
  }
  const skb = checkOptionalBytes(e.skb, 'event.skb');
  if (skb !== undefined && skb.length > MAX_SOCK_OPS_SKB) throw new ArgumentError(`event.skb must be at most ${MAX_SOCK_OPS_SKB} bytes, not ${skb.length}`);
  const hw = e.skbHwtstamp;
  if (hw !== undefined && (typeof hw !== 'bigint' || hw < 0n || hw >= 1n << 64n)) throw new ArgumentError(`event.skbHwtstamp must be a bigint from 0 to 2^64 - 1, not ${describeValue(hw)}`);
  const tcpFlags = e.tcpFlags === undefined ? undefined : checkInteger(e.tcpFlags, 'event.tcpFlags', 0, 255);
  const optionSpace = e.optionSpace === undefined ? undefined : checkInteger(e.optionSpace, 'event.optionSpace', 0, MAX_TCP_OPTION_BYTES);
  const syn = checkOptionalBytes(e.syn, 'event.syn');
  if (syn !== undefined && syn.length > 60) throw new ArgumentError(`event.syn must be a TCP header of at most 60 bytes, not ${syn.length}`);
  return { op, socket, args, skb: skb?.slice(), skbHwtstamp: (hw as bigint | undefined) ?? 0n, tcpFlags, optionSpace, syn: syn?.slice() };
}

/** True for a socket the kernel shows as a full one (not a request or timewait socket). */
export function isFullSocket(s: HostSocket): boolean {
  return s.state !== 'syn_recv' && s.state !== 'time_wait';
}

/** Where the run's pieces are in the VM's address space. */
export interface SockOpsAddresses {
  /** The socket's `struct bpf_sock`. */
  readonly sk: number;
  /** The segment's first byte and one past its last (0 without a segment). */
  readonly skbData: number;
  readonly skbDataEnd: number;
}

/** The `struct bpf_sock_ops` of an event on socket `s` whose state is `state`. */
export function sockOpsContext(e: CheckedSockOpsEvent, s: HostSocket, state: SockOpsSocket, at: SockOpsAddresses): Uint8Array {
  if (s.protocol !== 'tcp') throw new ArgumentError(`event.socket ${e.socket} is a UDP socket: sock_ops programs run on TCP sockets`);
  const b = new Uint8Array(SockOps.SIZE);
  const v = new DataView(b.buffer);
  const tcp = new DataView(s.tcpBytes.buffer, s.tcpBytes.byteOffset, s.tcpBytes.length);
  v.setUint32(SockOps.op, e.op, true);
  e.args.forEach((a, i) => v.setUint32(SockOps.args + 4 * i, a, true));
  writeSocketFields(v, 0, SockOps, s);
  const full = isFullSocket(s);
  v.setUint32(SockOps.is_fullsock, full ? 1 : 0, true);
  v.setUint32(SockOps.state, SOCKET_STATES[s.state], true);
  v.setUint32(SockOps.bpf_sock_ops_cb_flags, state.cbFlags, true);
  v.setUint32(SockOps.sk_txhash, state.txhash, true);
  if (full) {
    v.setUint32(SockOps.snd_cwnd, tcp.getUint32(TCP_SOCK_FIELDS.snd_cwnd, true), true);
    v.setUint32(SockOps.srtt_us, tcp.getUint32(TCP_SOCK_FIELDS.srtt_us, true), true);
    // rtt_min ... sacked_out: the same order as struct bpf_tcp_sock's
    b.set(s.tcpBytes.subarray(TCP_SOCK_FIELDS.rtt_min, TCP_SOCK_FIELDS.sacked_out + 4), SockOps.rtt_min);
    v.setBigUint64(SockOps.bytes_received, tcp.getBigUint64(TCP_SOCK_FIELDS.bytes_received, true), true);
    v.setBigUint64(SockOps.bytes_acked, tcp.getBigUint64(TCP_SOCK_FIELDS.bytes_acked, true), true);
    v.setBigUint64(SockOps.sk, BigInt(at.sk), true);
  }
  if (e.skb !== undefined) {
    v.setBigUint64(SockOps.skb_data, BigInt(at.skbData), true);
    v.setBigUint64(SockOps.skb_data_end, BigInt(at.skbDataEnd), true);
    v.setUint32(SockOps.skb_len, e.skb.length, true);
  }
  v.setUint32(SockOps.skb_tcp_flags, e.tcpFlags ?? (e.skb !== undefined && e.skb.length > 13 ? e.skb[13]! : 0), true);
  v.setBigUint64(SockOps.skb_hwtstamp, e.skbHwtstamp, true);
  return b;
}

/** The option bytes a header-option event leaves the program (see {@link SockOpsEvent.optionSpace}). */
export function hdrOptionRoom(e: CheckedSockOpsEvent, state: SockOpsSocket): number {
  if (e.optionSpace !== undefined) return e.optionSpace;
  if (e.op === SockOpsOp.write_hdr_opt_cb) return state.hdrReserved;
  const s = e.skb;
  const used = s === undefined || s.length < 20 ? 0 : Math.min(Math.max((s[12]! >> 4) * 4 - 20, 0), MAX_TCP_OPTION_BYTES);
  return MAX_TCP_OPTION_BYTES - used;
}
