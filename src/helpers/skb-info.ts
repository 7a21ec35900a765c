/**
 * The skb helpers that read or change what the kernel keeps beside the packet bytes: the checksum state
 * (`bpf_csum_level` 135, `bpf_csum_update` 40), the timestamp type (`bpf_skb_set_tstamp` 192), the
 * ECN field (`bpf_skb_ecn_set_ce` 97), header-relative loads (`bpf_skb_load_bytes_relative` 68), and
 * what the system knows of the skb: its socket (`bpf_get_socket_cookie` 46, also of a socket pointer in
 * fentry / fexit / tp_btf programs and of a sock_ops program's socket, `_uid` 47, the cgroup v2
 * ids 79 / 83, the net_cls classids 17 / 151), its route (`bpf_get_route_realm` 24) and its network
 * namespace (`bpf_get_netns_cookie` 122). The system's values come from the run's {@link SkbRunState},
 * which the host describes (`SkbOptions.socket`, `netnsCookie`, `routeRealm`, `checksum`); the
 * defaults are what Linux 6.18's BPF_PROG_TEST_RUN gives, and the return values and errors were
 * measured there (test/kernel/skb-info.test.ts).
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { csumAdd, type PacketRunHost } from './packet.js';
import { Errno, negErrno } from '../maps/types.js';
import { SkBuff } from '../context/layout.js';
import type { TaskRunHost } from './task.js';
import type { SockOpsRunHost } from './sockopt.js';
import { hostSocketCookie } from './socket-table.js';

/** Helper ids (uapi `linux/bpf.h`) of this module. */
export const SkbInfoHelper = {
  GET_CGROUP_CLASSID: 17, GET_ROUTE_REALM: 24, CSUM_UPDATE: 40, GET_SOCKET_COOKIE: 46, GET_SOCKET_UID: 47,
  SKB_LOAD_BYTES_RELATIVE: 68, SKB_CGROUP_ID: 79, SKB_ANCESTOR_CGROUP_ID: 83, SKB_ECN_SET_CE: 97,
  GET_NETNS_COOKIE: 122, CSUM_LEVEL: 135, SKB_CGROUP_CLASSID: 151, SKB_SET_TSTAMP: 192,
} as const;

/** The socket an skb belongs to, as far as the socket helpers tell it (`SkbOptions.socket`). */
export interface SkbSocket {
  /** `bpf_get_socket_cookie` (u64; 0 is what the kernel returns without a socket). */
  readonly cookie: bigint;
  /** `bpf_get_socket_uid`: the owner's uid. */
  readonly uid: number;
  /**
   * The socket's cgroup v2 and its ancestors, root first (the root cgroup's id is 1):
   * `bpf_skb_cgroup_id` is the last, `bpf_skb_ancestor_cgroup_id(level)` the one at `level`, 0 past
   * the end. At most 64 levels.
   */
  readonly cgroupIds: readonly bigint[];
  /** The net_cls classid of the socket's cgroup v1 (`bpf_skb_cgroup_classid`, `bpf_get_cgroup_classid`; 0: none). */
  readonly classid: number;
}

/** The socket a BPF_PROG_TEST_RUN skb carries on Linux 6.18: a fresh cookie, uid 0, the root cgroup. */
export const TEST_RUN_SOCKET: SkbSocket = { cookie: 1n, uid: 0, cgroupIds: [1n], classid: 0 };

/** The default network namespace cookie (the host's one namespace, the initial one). */
export const DEFAULT_NETNS_COOKIE = 1n;

/** Most cgroup levels a described socket may have. */
export const MAX_CGROUP_LEVELS = 64;

/** The checksum state an skb arrives with (`SkbOptions.checksum`): the kernel's `ip_summed` and what goes with it. */
export type SkbChecksum =
  | { readonly state: 'none' }
  /** Checked by the device for `level + 1` headers (level 0 to 3). */
  | { readonly state: 'unnecessary'; readonly level?: number }
  /** The device summed the whole packet: `csum` is that 32-bit sum. */
  | { readonly state: 'complete'; readonly csum?: number };

/** What these helpers keep per skb run (the runner sets it from the options before each run). */
export interface SkbRunState extends PacketRunHost {
  /** `ip_summed`: 0 none, 1 unnecessary, 2 complete. */
  ipSummed: number;
  csumLevel: number;
  csum: number;
  /** The skb's socket, or undefined for none. */
  socket: SkbSocket | undefined;
  netnsCookie: bigint;
  routeRealm: number;
  /** Offset of the network header from the packet's start. */
  readonly networkHeader: number;
}

/** The uid the kernel reports for a missing socket (`overflowuid`). */
const OVERFLOW_UID = 65534;
/** Largest csum_level the kernel keeps (`SKB_MAX_CSUM_LEVEL`). */
const MAX_CSUM_LEVEL = 3;
const CHECKSUM_NONE = 0;
const CHECKSUM_UNNECESSARY = 1;
const CHECKSUM_COMPLETE = 2;
const CSUM_LEVEL = { QUERY: 0n, INC: 1n, DEC: 2n, RESET: 3n } as const;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;

/** The run's skb state, or an error naming the program types that may call `name` (tc only with `tcOnly`). */
export function skbOf(ctx: HelperContext, name: string, tcOnly: boolean): SkbRunState {
  const host = ctx.host as Partial<SkbRunState> | undefined;
  if (host?.ipSummed === undefined || (tcOnly && host.kind !== 'tc') || host.kind === 'xdp') {
    const who = tcOnly ? 'tc programs (runTc)' : 'socket filter and tc programs (runSocketFilter / runTc)';
    throw helperError(name, `only ${who} may call it here (the kernel refuses it for other program types)`, ctx);
  }
  return host as SkbRunState;
}

/**
 * The cookie of the socket at `sk` (a BTF `struct sock *` of a tracing run), 0 for NULL. The kernel
 * gives a socket a unique non-zero number the first time one is asked for; here it is a bijective mix
 * of the socket's address (splitmix64's finaliser): distinct sockets get distinct cookies, the same
 * socket the same one on every call and run, and no table grows with the sockets a program names.
 */
export function socketPointerCookie(sk: bigint): bigint {
  let z = BigInt.asUintN(64, sk);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}

/** The helpers of this module, bound to the object's memory. */
export function skbInfoHelpers(memory: VmMemory): Map<number, HelperEntry> {
  const view = (): DataView => memory.view;
  const protocolOf = (s: SkbRunState): number => {
    const p = view().getUint32(s.ctxOffset! + SkBuff.protocol, true);
    return ((p & 0xff) << 8) | ((p >> 8) & 0xff);
  };
  /**
   * The protocol past any VLAN tags in the frame (the kernel's VLAN-aware protocol): the network
   * header stays where it is, so a tagged frame's tag is read as the start of its IP header, as the
   * kernel does.
   */
  const innerProtocolOf = (s: SkbRunState, pkt: Uint8Array): number => {
    let p = protocolOf(s);
    for (let at = 16; (p === ETH_P_8021Q || p === ETH_P_8021AD) && at + 2 <= pkt.length; at += 4) p = (pkt[at]! << 8) | pkt[at + 1]!;
    return p;
  };
  const socketValue = (name: string, pick: (s: SkbSocket) => bigint | number, none: bigint | number, tcOnly = false): HelperFunction =>
    (_r1, _2, _3, _4, _5, ctx) => {
      const s = skbOf(ctx, name, tcOnly).socket;
      return s === undefined ? none : pick(s);
    };
  const skbCookie = socketValue('bpf_get_socket_cookie', (s) => s.cookie, 0n);
  const fns: [number, string, HelperFunction][] = [
    [SkbInfoHelper.CSUM_LEVEL, 'bpf_csum_level', (_r1, level, _3, _4, _5, ctx) => {
      const s = skbOf(ctx, 'bpf_csum_level', true);
      switch (level) {
        case CSUM_LEVEL.QUERY:
          return s.ipSummed === CHECKSUM_UNNECESSARY ? s.csumLevel : negErrno(Errno.EACCES);
        case CSUM_LEVEL.INC:
          // A checksum no one checked becomes one the device checked (level 0), as the kernel's does.
          if (s.ipSummed === CHECKSUM_UNNECESSARY) s.csumLevel = Math.min(s.csumLevel + 1, MAX_CSUM_LEVEL);
          else if (s.ipSummed === CHECKSUM_NONE) {
            s.ipSummed = CHECKSUM_UNNECESSARY;
            s.csumLevel = 0;
          }
          return 0;
        case CSUM_LEVEL.DEC:
          if (s.ipSummed === CHECKSUM_UNNECESSARY) {
            if (s.csumLevel === 0) s.ipSummed = CHECKSUM_NONE;
            else s.csumLevel--;
          }
          return 0;
        case CSUM_LEVEL.RESET:
          s.ipSummed = CHECKSUM_NONE;
          s.csumLevel = 0;
          return 0;
        default:
          return negErrno(Errno.EINVAL);
      }
    }],
    [SkbInfoHelper.CSUM_UPDATE, 'bpf_csum_update', (_r1, r2, _3, _4, _5, ctx) => {
      const s = skbOf(ctx, 'bpf_csum_update', true);
      if (s.ipSummed !== CHECKSUM_COMPLETE) return negErrno(Errno.ENOTSUPP);
      s.csum = csumAdd(s.csum, Number(r2 & 0xffffffffn));
      return s.csum;
    }],
    [SkbInfoHelper.SKB_SET_TSTAMP, 'bpf_skb_set_tstamp', (_r1, tstamp, type, _4, _5, ctx) => {
      const s = skbOf(ctx, 'bpf_skb_set_tstamp', true);
      const p = protocolOf(s);
      if (p !== ETH_P_IP && p !== ETH_P_IPV6) return negErrno(Errno.EOPNOTSUPP);
      // 0 unspecified (any time), 1 the monotonic delivery time and 2 TAI (both non-zero).
      const t = Number(type & 0xffffffffn);
      if (t > 2 || (t !== 0 && tstamp === 0n)) return negErrno(Errno.EINVAL);
      view().setBigUint64(s.ctxOffset! + SkBuff.tstamp, tstamp, true);
      view().setUint8(s.ctxOffset! + SkBuff.tstamp_type, t);
      return 0;
    }],
    [SkbInfoHelper.SKB_ECN_SET_CE, 'bpf_skb_ecn_set_ce', (_r1, _2, _3, _4, _5, ctx) => {
      const s = skbOf(ctx, 'bpf_skb_ecn_set_ce', false);
      const pkt = s.packet!();
      const nh = s.networkHeader;
      const p = innerProtocolOf(s, pkt);
      if (p === ETH_P_IP && nh + 20 <= pkt.length) {
        const ecn = pkt[nh + 1]! & 3;
        if (ecn === 0) return 0;
        if (ecn === 3) return 1;
        // The TOS word grows by 3 - ecn: the header checksum takes its complement, added with an
        // end-around carry straight onto the field (so 0x0001 - 1 is 0xffff, never 0x0000).
        pkt[nh + 1] = pkt[nh + 1]! | 3;
        let check = ((pkt[nh + 10]! << 8) | pkt[nh + 11]!) + (~(3 - ecn) & 0xffff);
        check = (check & 0xffff) + (check >>> 16);
        pkt[nh + 10] = check >> 8;
        pkt[nh + 11] = check & 0xff;
        return 1;
      }
      if (p === ETH_P_IPV6 && nh + 40 <= pkt.length) {
        // The traffic class straddles bytes 0 and 1: its ECN bits are bits 4-5 of byte 1.
        const ecn = (pkt[nh + 1]! >> 4) & 3;
        if (ecn === 0) return 0;
        pkt[nh + 1] = pkt[nh + 1]! | 0x30;
        return 1;
      }
      return 0;
    }],
    [SkbInfoHelper.SKB_LOAD_BYTES_RELATIVE, 'bpf_skb_load_bytes_relative', (_r1, r2, r3, r4, r5, ctx) => {
      const s = skbOf(ctx, 'bpf_skb_load_bytes_relative', false);
      const len = Number(r4 & 0xffffffffn);
      const dst = memory.slice(r3, len, true, ctx.pc);
      const pkt = s.packet!();
      const off = Number(r2 & 0xffffffffn);
      // 0 the MAC header (the frame's start), 1 the network header; anything else fails like a bad offset.
      const header = r5 === 0n ? 0 : r5 === 1n ? s.networkHeader : -1;
      if (header < 0 || off > 0xffff || len === 0 || header + off + len > pkt.length) {
        dst.fill(0);
        return negErrno(Errno.EFAULT);
      }
      dst.set(pkt.subarray(header + off, header + off + len));
      return 0;
    }],
    [SkbInfoHelper.GET_SOCKET_COOKIE, 'bpf_get_socket_cookie', (r1, r2, r3, r4, r5, ctx) => {
      // fentry / fexit / tp_btf programs pass a `struct sock *` (the kernel's bpf_get_socket_ptr_cookie).
      if ((ctx.host as TaskRunHost | undefined)?.tracing?.type === 'tracing') return socketPointerCookie(r1);
      // sock_ops programs pass their context: the cookie of the event's socket.
      const sockOps = ctx.host as Partial<SockOpsRunHost> | undefined;
      if (sockOps?.kind === 'sockops') return hostSocketCookie(sockOps.socket!.index);
      return skbCookie(r1, r2, r3, r4, r5, ctx);
    }],
    [SkbInfoHelper.GET_SOCKET_UID, 'bpf_get_socket_uid', socketValue('bpf_get_socket_uid', (s) => s.uid, OVERFLOW_UID)],
    [SkbInfoHelper.SKB_CGROUP_ID, 'bpf_skb_cgroup_id', socketValue('bpf_skb_cgroup_id', (s) => s.cgroupIds[s.cgroupIds.length - 1] ?? 0n, 0n)],
    [SkbInfoHelper.SKB_ANCESTOR_CGROUP_ID, 'bpf_skb_ancestor_cgroup_id', (_r1, r2, _3, _4, _5, ctx) => {
      const s = skbOf(ctx, 'bpf_skb_ancestor_cgroup_id', false).socket;
      // The level is an int: a negative one is past every cgroup's depth, like one too large.
      const level = Number(BigInt.asIntN(32, r2));
      return s === undefined || level < 0 || level >= s.cgroupIds.length ? 0n : s.cgroupIds[level]!;
    }],
    [SkbInfoHelper.GET_CGROUP_CLASSID, 'bpf_get_cgroup_classid', (_r1, _2, _3, _4, _5, ctx) => {
      // The net_cls classid of the skb's socket; outside skb runs (XDP, tracing) the current task's: none.
      const host = ctx.host as Partial<SkbRunState> | undefined;
      return host?.ipSummed === undefined ? 0 : host.socket?.classid ?? 0;
    }],
    [SkbInfoHelper.SKB_CGROUP_CLASSID, 'bpf_skb_cgroup_classid', socketValue('bpf_skb_cgroup_classid', (s) => s.classid, 0, true)],
    [SkbInfoHelper.GET_ROUTE_REALM, 'bpf_get_route_realm', (_r1, _2, _3, _4, _5, ctx) => skbOf(ctx, 'bpf_get_route_realm', true).routeRealm],
    [SkbInfoHelper.GET_NETNS_COOKIE, 'bpf_get_netns_cookie', (_r1, _2, _3, _4, _5, ctx) => {
      // A NULL context asks for the initial namespace: the host's one namespace, the skb's too.
      return skbOf(ctx, 'bpf_get_netns_cookie', false).netnsCookie;
    }],
  ];
  return new Map(fns.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
