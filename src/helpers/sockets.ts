/**
 * The socket lookup helpers over the host's {@link SocketTable}: `bpf_sk_lookup_tcp` (84),
 * `bpf_sk_lookup_udp` (85), `bpf_skc_lookup_tcp` (99), `bpf_sk_release` (86) and `bpf_sk_assign`
 * (124), and what a found socket leads to: `bpf_sk_fullsock` (95), `bpf_get_listener_sock` (98) and
 * `bpf_tcp_sock` (96: the host-described TCP fields, a read-only region of its own). A socket a lookup finds is a read-only `struct bpf_sock`, an element of one region (`sockets`,
 * mapped at load), so the program reads its fields and can neither change them nor reach the next socket. As Linux 6.18 gives them
 * (test/kernel/sockets.test.ts): a tuple size other than 12 (IPv4) or 36 (IPv6), or any flag, finds
 * nothing; `netns` is taken as a signed 32-bit number, negative meaning the program's own namespace.
 * Which lookups a program holds is the verifier's business (the kernel refuses a program that leaks one);
 * here `bpf_sk_release` only checks it is given a socket. `bpf_sk_assign` is taken at tc ingress (where a
 * capture's packets arrive): 0 for a socket of the program's namespace, -ENETUNREACH for another's,
 * -EINVAL for any flag; the kernel's BPF_PROG_TEST_RUN, which is not at ingress, gives -EOPNOTSUPP. In an
 * sk_lookup run (runSkLookup) it selects the socket the lookup finds (context/sk-lookup.ts has the rules).
 * The assignment itself is not reported.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { BPF_SOCK_SIZE, BPF_TCP_SOCK_SIZE, type HostSocket, type SocketTable, type SocketTuple } from './socket-table.js';
import { Errno, negErrno } from '../maps/types.js';

/** Socket helper ids (uapi `linux/bpf.h`). */
export const SocketHelper = { SK_LOOKUP_TCP: 84, SK_LOOKUP_UDP: 85, SK_RELEASE: 86, SK_FULLSOCK: 95, TCP_SOCK: 96, GET_LISTENER_SOCK: 98, SKC_LOOKUP_TCP: 99, SK_ASSIGN: 124 } as const;


/**
 * The host's sockets mapped into a VM memory: each `struct bpf_sock` a read-only element of one region
 * (`sockets`), each `struct bpf_tcp_sock` of a second (`tcp_sockets`), so a program reads a socket's
 * fields and can neither change them nor reach the next socket. The address of a socket is what the
 * helpers return and take.
 */
export class SocketMemory {
  private readonly byAddress = new Map<number, HostSocket>();
  private readonly vaddrs = new Map<HostSocket, number>();
  private readonly tcpVaddrs = new Map<HostSocket, number>();
  private readonly byTcpAddress = new Map<number, HostSocket>();

  /** Map `table`'s sockets into `memory` (nothing when it has none). */
  constructor(
    memory: VmMemory,
    /** The host's sockets. */
    readonly table: SocketTable,
  ) {
    const n = table.sockets.length;
    if (n === 0) return;
    const offset = memory.allocate(n * BPF_SOCK_SIZE);
    for (const s of table.sockets) memory.bytes.set(s.bytes, offset + s.index * BPF_SOCK_SIZE);
    const region = memory.map({ name: 'sockets', size: n * BPF_SOCK_SIZE, offset, writable: false, elements: { stride: BPF_SOCK_SIZE, size: BPF_SOCK_SIZE } });
    for (const s of table.sockets) {
      this.byAddress.set(region.vaddr + s.index * BPF_SOCK_SIZE, s);
      this.vaddrs.set(s, region.vaddr + s.index * BPF_SOCK_SIZE);
    }
    const tcpOffset = memory.allocate(n * BPF_TCP_SOCK_SIZE);
    for (const s of table.sockets) memory.bytes.set(s.tcpBytes, tcpOffset + s.index * BPF_TCP_SOCK_SIZE);
    const tcpRegion = memory.map({ name: 'tcp_sockets', size: n * BPF_TCP_SOCK_SIZE, offset: tcpOffset, writable: false, elements: { stride: BPF_TCP_SOCK_SIZE, size: BPF_TCP_SOCK_SIZE } });
    for (const s of table.sockets) {
      this.tcpVaddrs.set(s, tcpRegion.vaddr + s.index * BPF_TCP_SOCK_SIZE);
      this.byTcpAddress.set(tcpRegion.vaddr + s.index * BPF_TCP_SOCK_SIZE, s);
    }
  }

  /** The socket whose `struct bpf_sock` starts at `address` (its `struct bpf_tcp_sock` too when `tcp`), or undefined. */
  at(address: bigint, tcp = false): HostSocket | undefined {
    if (address > 0xffffffffn) return undefined;
    return this.byAddress.get(Number(address)) ?? (tcp ? this.byTcpAddress.get(Number(address)) : undefined);
  }

  /** The address of a socket's `struct bpf_sock`. */
  address(s: HostSocket): number {
    return this.vaddrs.get(s)!;
  }

  /** The address of a socket's `struct bpf_tcp_sock`. */
  tcpAddress(s: HostSocket): number {
    return this.tcpVaddrs.get(s)!;
  }
}

/** An sk_lookup run as `bpf_sk_assign` sees it. */
interface SkLookupAssign {
  readonly kind: 'sk_lookup';
  assign(s: HostSocket | undefined, address: number, flags: bigint): bigint;
}

/** The socket helpers, over the host's sockets as mapped in the object's memory. */
export function socketHelpers(memory: VmMemory, sockets: SocketMemory): Map<number, HelperEntry> {
  const table = sockets.table;
  const socketAt = (address: bigint, ctx: HelperContext, helper: string): HostSocket => {
    const s = sockets.at(address);
    if (s === undefined) {
      throw new ExecutionError(ErrorCode.HELPER, `${helper}: 0x${address.toString(16)} is not a socket a bpf_sk_lookup_* / bpf_skc_lookup_tcp call returned`, { pc: ctx.pc, helper });
    }
    return s;
  };
  const lookup = (protocol: 'tcp' | 'udp', full: boolean): HelperFunction => (_ctx, tupleAddress, size, netns, flags, ctx) => {
    const n = Number(size & 0xffffffffn);
    if ((n !== 12 && n !== 36) || flags !== 0n) return 0;
    const t = memory.read(tupleAddress, n, ctx.pc);
    const v = new DataView(t.buffer, t.byteOffset, n);
    const a = n === 12 ? 4 : 16;
    const tuple: SocketTuple = { family: a === 4 ? 4 : 6, saddr: t.subarray(0, a), daddr: t.subarray(a, 2 * a), sport: v.getUint16(2 * a, false), dport: v.getUint16(2 * a + 2, false) };
    const ns = Number(BigInt.asIntN(32, netns));
    const s = table.lookup(protocol, tuple, ns < 0 ? undefined : ns, full);
    if (s === undefined) return 0;
    return sockets.address(s);
  };
  const release: HelperFunction = (r1, _2, _3, _4, _5, ctx) => {
    socketAt(r1, ctx, 'bpf_sk_release');
    return 0;
  };
  const assign: HelperFunction = (_r1, r2, r3, _4, _5, ctx) => {
    const host = ctx.host as { readonly kind?: string } | undefined;
    if (host?.kind === 'sk_lookup') {
      // sk_lookup: NULL (clear the selection) or a socket; the rules are the run's (context/sk-lookup.ts).
      const run = host as SkLookupAssign;
      return run.assign(r2 === 0n ? undefined : socketAt(r2, ctx, 'bpf_sk_assign'), Number(r2), r3);
    }
    if (host?.kind !== 'tc') {
      throw new ExecutionError(ErrorCode.HELPER, 'bpf_sk_assign: only tc and sk_lookup programs may call it; run the program with runTc or runSkLookup', { pc: ctx.pc, helper: 'bpf_sk_assign' });
    }
    const s = socketAt(r2, ctx, 'bpf_sk_assign');
    if (r3 !== 0n) return negErrno(Errno.EINVAL);
    if (s.netns !== undefined) return negErrno(Errno.ENETUNREACH);
    return 0;
  };
  // bpf_sk_fullsock: the socket itself unless it is a request or timewait socket (the same pointer, as in
  // the kernel); bpf_get_listener_sock: a listener itself, a request socket's listener, else NULL.
  const fullsock: HelperFunction = (r1, _2, _3, _4, _5, ctx) => {
    const s = socketAt(r1, ctx, 'bpf_sk_fullsock');
    return s.state === 'syn_recv' || s.state === 'time_wait' ? 0 : sockets.address(s);
  };
  const listener: HelperFunction = (r1, _2, _3, _4, _5, ctx) => {
    const l = table.listenerOf(socketAt(r1, ctx, 'bpf_get_listener_sock'));
    return l === undefined ? 0 : sockets.address(l);
  };
  // bpf_tcp_sock: a full TCP socket's struct bpf_tcp_sock (a request socket's listener's), else NULL.
  const tcpSock: HelperFunction = (r1, _2, _3, _4, _5, ctx) => {
    const s = socketAt(r1, ctx, 'bpf_tcp_sock');
    const full = s.state === 'syn_recv' ? table.listenerOf(s) : s.state === 'time_wait' ? undefined : s;
    return full === undefined || full.protocol !== 'tcp' ? 0 : sockets.tcpAddress(full);
  };
  const entry = (fn: HelperFunction, name: string): HelperEntry => ({ fn, name, unwindOnZero: false });
  return new Map([
    [SocketHelper.SK_LOOKUP_TCP, entry(lookup('tcp', true), 'bpf_sk_lookup_tcp')],
    [SocketHelper.SK_LOOKUP_UDP, entry(lookup('udp', true), 'bpf_sk_lookup_udp')],
    [SocketHelper.SKC_LOOKUP_TCP, entry(lookup('tcp', false), 'bpf_skc_lookup_tcp')],
    [SocketHelper.SK_RELEASE, entry(release, 'bpf_sk_release')],
    [SocketHelper.SK_ASSIGN, entry(assign, 'bpf_sk_assign')],
    [SocketHelper.SK_FULLSOCK, entry(fullsock, 'bpf_sk_fullsock')],
    [SocketHelper.GET_LISTENER_SOCK, entry(listener, 'bpf_get_listener_sock')],
    [SocketHelper.TCP_SOCK, entry(tcpSock, 'bpf_tcp_sock')],
  ]);
}
