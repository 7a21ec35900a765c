/**
 * The host's sockets, as the socket lookup helpers see them: each one described as plain data
 * ({@link SocketDescription}: the `sockets` load option, and the CLI's `--sockets FILE.json`), checked
 * once into a {@link SocketTable} that finds the socket a packet's tuple belongs to. The lookup rules and
 * the `struct bpf_sock` each socket shows were compared with Linux 6.18 on real sockets
 * (test/kernel/sockets.test.ts): an established (or connected UDP) socket matching the whole tuple
 * first, else a listening TCP socket or an unconnected UDP socket on the destination port, bound to the
 * destination address before one bound to the wildcard, an IPv4 socket before a dual-stack IPv6 one.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkArray, checkObject, checkOptionalBoolean, checkOptionalInteger, checkOptionalOneOf, describeValue } from '../validate.js';
import { parseAddress } from './fib-table.js';

/** One socket of the host. */
export interface SocketDescription {
  /** `tcp` or `udp`. */
  readonly protocol: 'tcp' | 'udp';
  /** The local address and port: `127.0.0.1:80`, `[::]:443`, `0.0.0.0:53` (the wildcard), `[::ffff:10.0.0.1]:80`. */
  readonly local: string;
  /** The peer of an established TCP socket or a connected UDP socket, the same way; absent for listening and unconnected sockets. */
  readonly remote?: string;
  /**
   * The TCP state (default `established` with a remote, else `listen`); UDP: `established` when
   * connected, else `close`. `syn_recv` is a request socket and `time_wait` a timewait socket:
   * `bpf_sk_lookup_tcp` gives the listener for the first and nothing for the second, `bpf_skc_lookup_tcp` both.
   */
  readonly state?: SocketState;
  /** IPv6 sockets: refuse IPv4 packets (`IPV6_V6ONLY`; default false, dual stack). */
  readonly v6only?: boolean;
  /** The id of the network namespace the socket is in, as a lookup's `netns` names it; absent: the program's own. */
  readonly netns?: number;
  /** `SO_BINDTODEVICE` ifindex (default 0). */
  readonly boundDevIf?: number;
  /** `SO_MARK` (default 0). */
  readonly mark?: number;
  /** `SO_PRIORITY` (default 0). */
  readonly priority?: number;
  /** The receive queue recorded on the socket (default -1: none). */
  readonly rxQueue?: number;
  /**
   * TCP sockets: the `struct bpf_tcp_sock` fields `bpf_tcp_sock` shows, by their uapi names
   * (`snd_cwnd`, `srtt_us`, ..., `bytes_received` and `bytes_acked` u64: bigints or safe integers); absent
   * fields are a fresh socket's (snd_cwnd 10, rtt_min 2^32 - 1, snd_ssthresh 2^31 - 1, mss_cache 536, else 0).
   */
  readonly tcp?: Readonly<Partial<Record<TcpSockField, number | bigint>>>;
}

/** `struct bpf_tcp_sock` fields and their offsets (all u32 but the two u64 byte counts). */
export const TCP_SOCK_FIELDS = {
  snd_cwnd: 0, srtt_us: 4, rtt_min: 8, snd_ssthresh: 12, rcv_nxt: 16, snd_nxt: 20, snd_una: 24, mss_cache: 28,
  ecn_flags: 32, rate_delivered: 36, rate_interval_us: 40, packets_out: 44, retrans_out: 48, total_retrans: 52,
  segs_in: 56, data_segs_in: 60, segs_out: 64, data_segs_out: 68, lost_out: 72, sacked_out: 76, bytes_received: 80,
  bytes_acked: 88, dsack_dups: 96, delivered: 100, delivered_ce: 104, icsk_retransmits: 108,
} as const;

/** A `struct bpf_tcp_sock` field name. */
export type TcpSockField = keyof typeof TCP_SOCK_FIELDS;

/** Bytes of `struct bpf_tcp_sock`. */
export const BPF_TCP_SOCK_SIZE = 112;

/** TCP states by name, with the numbers `struct bpf_sock`'s `state` shows. */
export const SOCKET_STATES = {
  established: 1,
  syn_sent: 2,
  fin_wait1: 4,
  fin_wait2: 5,
  time_wait: 6,
  close: 7,
  close_wait: 8,
  last_ack: 9,
  listen: 10,
  closing: 11,
  syn_recv: 12,
} as const;

/** A socket state's name. */
export type SocketState = keyof typeof SOCKET_STATES;

/** Most sockets a table holds. */
export const MAX_SOCKETS = 65536;

/** A checked socket. */
export interface HostSocket {
  /** Position in the description. */
  readonly index: number;
  readonly protocol: 'tcp' | 'udp';
  /** 4 or 6. */
  readonly family: 4 | 6;
  readonly localAddress: Uint8Array;
  readonly localPort: number;
  readonly remoteAddress: Uint8Array | undefined;
  readonly remotePort: number;
  readonly state: SocketState;
  readonly v6only: boolean;
  readonly netns: number | undefined;
  /** The `struct bpf_sock` the programs read. */
  readonly bytes: Uint8Array;
  /** Its `struct bpf_tcp_sock` (zeros for UDP sockets, which have none). */
  readonly tcpBytes: Uint8Array;
}

/**
 * The cookie of the host's socket at `index` (`bpf_get_socket_cookie` of a sock_ops context): the kernel
 * gives every socket a unique non-zero number; here socket i has i + 2, since 1 is the cookie of the
 * socket a BPF_PROG_TEST_RUN skb carries (helpers/skb-info.ts `TEST_RUN_SOCKET`).
 */
export function hostSocketCookie(index: number): bigint {
  return BigInt(index) + 2n;
}

/** `struct bpf_sock` size and field offsets (uapi `linux/bpf.h`). */
export const BPF_SOCK_SIZE = 80;
const S = { boundDevIf: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, srcIp4: 24, srcIp6: 28, srcPort: 44, dstPort: 48, dstIp4: 52, dstIp6: 56, state: 72, rxQueue: 76 } as const;

const AF_INET = 2;
const AF_INET6 = 10;

/** A packet's tuple as `struct bpf_sock_tuple` gives it: the packet's source is the socket's peer, its destination the socket's own address. */
export interface SocketTuple {
  readonly family: 4 | 6;
  readonly saddr: Uint8Array;
  readonly daddr: Uint8Array;
  readonly sport: number;
  readonly dport: number;
}

/** Parse `ADDRESS:PORT` (`127.0.0.1:80`, `[::1]:443`, `[::ffff:10.0.0.1]:80`); `where` names it in the error. */
export function parseEndpoint(value: unknown, where: string): { address: Uint8Array; port: number } {
  const text = typeof value === 'string' ? value : '';
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  const address = m === null ? undefined : parseAddressWithMapped(m[1]!);
  const port = m === null ? -1 : Number(m[2]);
  if (address === undefined || port > 65535) {
    throw new ArgumentError(`${where} must be ADDRESS:PORT (127.0.0.1:80, [::1]:443, [::]:53), not ${describeValue(value)}`);
  }
  return { address, port };
}

/** parseAddress, plus IPv4-mapped IPv6 addresses written with a dotted tail (`::ffff:10.0.0.1`). */
function parseAddressWithMapped(s: string): Uint8Array | undefined {
  const m = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (m === null) return parseAddress(s);
  const v4 = parseAddress(m[2]!);
  const head = parseAddress(`${m[1]!}0:0`);
  if (v4 === undefined || head === undefined) return undefined;
  head.set(v4, 12);
  return head;
}

const isZero = (a: Uint8Array): boolean => a.every((b) => b === 0);
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
/** The IPv4 address inside an IPv4-mapped IPv6 address, or undefined. */
function unmapped(a: Uint8Array): Uint8Array | undefined {
  if (a.length !== 16 || a.subarray(0, 10).some((b) => b !== 0) || a[10] !== 0xff || a[11] !== 0xff) return undefined;
  return a.subarray(12);
}
function mapped(a: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = out[11] = 0xff;
  out.set(a, 12);
  return out;
}

function socketBytes(s: Omit<HostSocket, 'bytes' | 'tcpBytes' | 'index'>, d: SocketDescription): Uint8Array {
  const b = new Uint8Array(BPF_SOCK_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(S.boundDevIf, d.boundDevIf ?? 0, true);
  v.setUint32(S.family, s.family === 4 ? AF_INET : AF_INET6, true);
  v.setUint32(S.type, s.protocol === 'tcp' ? 1 : 2, true);
  v.setUint32(S.protocol, s.protocol === 'tcp' ? 6 : 17, true);
  v.setUint32(S.mark, d.mark ?? 0, true);
  v.setUint32(S.priority, d.priority ?? 0, true);
  const remote = s.remoteAddress;
  if (s.family === 4) {
    b.set(s.localAddress, S.srcIp4);
    if (remote !== undefined) b.set(remote, S.dstIp4);
    // A TCP socket with a peer also holds its addresses IPv4-mapped in the IPv6 fields (Linux 6.18).
    if (s.protocol === 'tcp' && remote !== undefined) {
      b.set(mapped(s.localAddress), S.srcIp6);
      b.set(mapped(remote), S.dstIp6);
    }
  } else {
    b.set(s.localAddress, S.srcIp6);
    const local4 = unmapped(s.localAddress);
    if (local4 !== undefined) b.set(local4, S.srcIp4);
    if (remote !== undefined) {
      b.set(remote, S.dstIp6);
      const remote4 = unmapped(remote);
      if (remote4 !== undefined) b.set(remote4, S.dstIp4);
    }
  }
  v.setUint32(S.srcPort, s.localPort, true);
  // dst_port is a __be16 followed by 16 bits of padding.
  v.setUint16(S.dstPort, s.remotePort, false);
  v.setUint32(S.state, SOCKET_STATES[s.state], true);
  v.setInt32(S.rxQueue, d.rxQueue ?? -1, true);
  return b;
}

function checkSocket(d: unknown, index: number): HostSocket {
  const where = `sockets[${index}]`;
  checkObject(d, where);
  const desc = d as SocketDescription;
  const protocol = checkOptionalOneOf(desc.protocol, `${where}.protocol`, ['tcp', 'udp'] as const);
  if (protocol === undefined) throw new ArgumentError(`${where}.protocol must be 'tcp' or 'udp', not ${describeValue(desc.protocol)}`);
  const local = parseEndpoint(desc.local, `${where}.local`);
  const remote = desc.remote === undefined ? undefined : parseEndpoint(desc.remote, `${where}.remote`);
  const family = local.address.length === 4 ? 4 : 6;
  if (remote !== undefined && remote.address.length !== local.address.length) throw new ArgumentError(`${where}: local and remote must be both IPv4 or both IPv6`);
  if (remote !== undefined && (remote.port === 0 || isZero(remote.address))) throw new ArgumentError(`${where}.remote must be a real peer (no wildcard address, no port 0)`);
  const states = Object.keys(SOCKET_STATES) as SocketState[];
  const given = checkOptionalOneOf(desc.state, `${where}.state`, states);
  const state: SocketState = given ?? (remote !== undefined ? 'established' : protocol === 'tcp' ? 'listen' : 'close');
  if (protocol === 'udp' && state !== 'established' && state !== 'close') throw new ArgumentError(`${where}.state: a UDP socket is 'established' (connected) or 'close', not ${describeValue(state)}`);
  if ((state === 'listen' || (protocol === 'udp' && state === 'close')) !== (remote === undefined)) {
    throw new ArgumentError(`${where}: ${remote === undefined ? `a ${state} socket needs a remote` : `a ${state} socket has no remote`}`);
  }
  const v6only = checkOptionalBoolean(desc.v6only, `${where}.v6only`) ?? false;
  if (v6only && family === 4) throw new ArgumentError(`${where}.v6only applies to IPv6 sockets only`);
  const netns = checkOptionalInteger(desc.netns, `${where}.netns`, 0, 0x7fffffff);
  checkOptionalInteger(desc.boundDevIf, `${where}.boundDevIf`, 0, 0x7fffffff);
  checkOptionalInteger(desc.mark, `${where}.mark`, 0, 0xffffffff);
  checkOptionalInteger(desc.priority, `${where}.priority`, 0, 0xffffffff);
  checkOptionalInteger(desc.rxQueue, `${where}.rxQueue`, -1, 0xffff);
  const s = { protocol, family, localAddress: local.address, localPort: local.port, remoteAddress: remote?.address, remotePort: remote?.port ?? 0, state, v6only, netns } as const;
  return { ...s, index, bytes: socketBytes(s, desc), tcpBytes: tcpSockBytes(desc.tcp, protocol, where) };
}

/**
 * A socket's `struct bpf_tcp_sock` from its description's `tcp` fields (checked); the fields it does not
 * give are a fresh socket's, as Linux 6.18 shows a new listener: an initial window of 10, rtt_min and
 * snd_ssthresh unset (all ones, 2^31 - 1), an MSS of 536, the rest 0.
 */
function tcpSockBytes(tcp: unknown, protocol: 'tcp' | 'udp', where: string): Uint8Array {
  const b = new Uint8Array(BPF_TCP_SOCK_SIZE);
  const v = new DataView(b.buffer);
  if (protocol === 'tcp') {
    v.setUint32(TCP_SOCK_FIELDS.snd_cwnd, 10, true);
    v.setUint32(TCP_SOCK_FIELDS.rtt_min, 0xffff_ffff, true);
    v.setUint32(TCP_SOCK_FIELDS.snd_ssthresh, 0x7fff_ffff, true);
    v.setUint32(TCP_SOCK_FIELDS.mss_cache, 536, true);
  }
  if (tcp === undefined) return b;
  checkObject(tcp, `${where}.tcp`);
  if (protocol !== 'tcp') throw new ArgumentError(`${where}.tcp: a UDP socket has no TCP fields`);
  for (const [name, value] of Object.entries(tcp as Record<string, unknown>)) {
    const off = (TCP_SOCK_FIELDS as Record<string, number>)[name];
    if (off === undefined) throw new ArgumentError(`${where}.tcp: unknown field '${name}' (expected ${Object.keys(TCP_SOCK_FIELDS).join(', ')})`);
    if (off === 80 || off === 88) {
      // a bigint, or a safe integer (what a JSON description can hold)
      const n = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
      if (typeof n !== 'bigint' || n < 0n || n > 0xffff_ffff_ffff_ffffn) throw new ArgumentError(`${where}.tcp.${name} must be a bigint from 0 to 2^64-1 (or a safe integer), not ${describeValue(value)}`);
      v.setBigUint64(off, n, true);
    } else {
      v.setUint32(off, checkOptionalInteger(value, `${where}.tcp.${name}`, 0, 0xffff_ffff) ?? 0, true);
    }
  }
  return b;
}

/** The host's sockets, checked, with the lookup the helpers make. */
export class SocketTable {
  /** Every socket, in the order described. */
  readonly sockets: readonly HostSocket[];

  /** Check `descriptions` (an {@link ArgumentError} names the first problem). */
  constructor(descriptions: readonly SocketDescription[] = []) {
    this.sockets = checkArray<unknown>(descriptions, 'sockets', MAX_SOCKETS).map(checkSocket);
  }

  /**
   * The socket a packet with `tuple` is for, in network namespace `netns` (undefined: the program's
   * own), among `protocol`'s: see the module's doc. `full` (bpf_sk_lookup_*) turns a request socket
   * into its listener and finds no timewait socket; otherwise (bpf_skc_lookup_tcp) both are found.
   */
  lookup(protocol: 'tcp' | 'udp', tuple: SocketTuple, netns: number | undefined, full: boolean): HostSocket | undefined {
    let exact: HostSocket | undefined;
    for (const s of this.sockets) {
      if (s.protocol !== protocol || s.netns !== netns || s.remoteAddress === undefined || s.family !== tuple.family) continue;
      if (s.localPort === tuple.dport && s.remotePort === tuple.sport && same(s.localAddress, tuple.daddr) && same(s.remoteAddress, tuple.saddr)) {
        exact = s;
        break;
      }
    }
    if (exact !== undefined) {
      if (!full || (exact.state !== 'syn_recv' && exact.state !== 'time_wait')) return exact;
      if (exact.state === 'time_wait') return undefined;
    }
    // A listener (TCP) or an unconnected socket (UDP), best first.
    let best: HostSocket | undefined;
    let bestScore = 0;
    for (const s of this.sockets) {
      if (s.protocol !== protocol || s.netns !== netns || s.remoteAddress !== undefined || s.localPort !== tuple.dport) continue;
      if (protocol === 'tcp' && s.state !== 'listen') continue;
      const score = this.score(s, tuple);
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * The listener of a TCP socket (`bpf_get_listener_sock`): itself when listening, a request socket's
   * listener (the one a SYN to its local address and port finds), else undefined.
   */
  listenerOf(s: HostSocket): HostSocket | undefined {
    if (s.protocol !== 'tcp') return undefined;
    if (s.state === 'listen') return s;
    if (s.state !== 'syn_recv' || s.remoteAddress === undefined) return undefined;
    return this.lookup('tcp', { family: s.family, saddr: s.remoteAddress, daddr: s.localAddress, sport: s.remotePort, dport: s.localPort }, s.netns, true);
  }

  /** How well an unconnected socket suits a tuple's destination: 0 not at all; a bound address before the wildcard, the tuple's own family before dual stack. */
  private score(s: HostSocket, t: SocketTuple): number {
    if (t.family === 6) {
      if (s.family !== 6) return 0;
      return same(s.localAddress, t.daddr) ? 4 : isZero(s.localAddress) ? 2 : 0;
    }
    if (s.family === 4) return same(s.localAddress, t.daddr) ? 4 : isZero(s.localAddress) ? 3 : 0;
    if (s.v6only) return 0;
    const v4 = unmapped(s.localAddress);
    if (v4 !== undefined) return same(v4, t.daddr) ? 2 : 0;
    return isZero(s.localAddress) ? 1 : 0;
  }
}
