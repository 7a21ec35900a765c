/**
 * The helpers that resize a tc program's packet: `bpf_skb_change_head`, `bpf_skb_change_tail`,
 * `bpf_skb_adjust_room` and `bpf_skb_change_proto`; change_head and change_tail also an sk_skb
 * program's stream data (bpf-helpers(7) documents them for skb programs alike; the kernel does not
 * test-run sk_skb, so there they follow the page: flags 0, new bytes zero, no Ethernet header to keep). Their checks and return values are the kernel's,
 * taken from bpf-helpers(7) and, where the page is silent (limits, which errno, where room goes),
 * measured with BPF_PROG_TEST_RUN on Linux 6.18 (test/kernel/skb-resize.test.ts compares them):
 *
 * - A resized packet holds at most {@link SKB_MAX_LEN} bytes; change_tail keeps at least an Ethernet
 *   header. New bytes are zero.
 * - change_head adds room in front of the MAC header; the network header stays where it was in the
 *   frame (so it moves by `len` from the start).
 * - adjust_room needs an IPv4 or IPv6 skb (`skb->protocol`) and moves at most 4095 bytes; it adds or
 *   removes room right after the MAC header (`BPF_ADJ_ROOM_MAC`) or after the fixed network header
 *   (`BPF_ADJ_ROOM_NET`: 20 bytes of IPv4, 40 of IPv6, whatever the header's own length), and never
 *   leaves less than the (new) protocol's fixed header after the MAC header (-ENOTSUPP); room after a
 *   network header the packet no longer holds gives -ENOMEM. The L3 encap flags set the outer
 *   protocol and mark the skb as carrying a tunnel header (change_tail then gives -ENOTSUPP); the
 *   decap flags (`BPF_F_ADJ_ROOM_DECAP_L3_IPV4/6`, shrinking only) set the inner one.
 * - change_proto turns IPv4 into IPv6 (20 bytes more after the MAC header) or back.
 *
 * The packet itself (its buffer, its region and the `__sk_buff` fields that follow it) is
 * {@link SkbPacket}'s: every helper here only decides, then splices.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { KernelEnvironment } from './kernel.js';
import { SKB_MAX_LEN, type SkbPacket } from '../context/packet-host.js';
import { SkBuff } from '../context/layout.js';
import { Errno, negErrno } from '../maps/types.js';

/** Resize helper ids (uapi `linux/bpf.h`). */
export const SkbResizeHelper = { SKB_CHANGE_PROTO: 31, SKB_CHANGE_TAIL: 38, SKB_CHANGE_HEAD: 43, SKB_ADJUST_ROOM: 50 } as const;


/** `skb->protocol` values as the `__sk_buff` holds them (a big-endian ethertype read little-endian). */
const PROTO_IPV4 = 0x0008;
const PROTO_IPV6 = 0xdd86;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
const ETH_HLEN = 14;
/** The most bytes one `bpf_skb_adjust_room` call may add or remove. */
export const ADJ_ROOM_MAX = 4095;

const ADJ_ROOM_NET = 0;
const ADJ_ROOM_MAC = 1;
const F_FIXED_GSO = 1n << 0n;
const F_ENCAP_L3_IPV4 = 1n << 1n;
const F_ENCAP_L3_IPV6 = 1n << 2n;
const F_ENCAP_L4_GRE = 1n << 3n;
const F_ENCAP_L4_UDP = 1n << 4n;
const F_NO_CSUM_RESET = 1n << 5n;
const F_ENCAP_L2_ETH = 1n << 6n;
const F_DECAP_L3_IPV4 = 1n << 7n;
const F_DECAP_L3_IPV6 = 1n << 8n;
const L2_LEN_SHIFT = 56n;
const L2_LEN_MASK = 0xffn << L2_LEN_SHIFT;
const F_ENCAP = F_ENCAP_L3_IPV4 | F_ENCAP_L3_IPV6 | F_ENCAP_L4_GRE | F_ENCAP_L4_UDP | F_ENCAP_L2_ETH | L2_LEN_MASK;
const F_DECAP = F_DECAP_L3_IPV4 | F_DECAP_L3_IPV6;
const ADJ_ROOM_FLAGS = F_FIXED_GSO | F_NO_CSUM_RESET | F_ENCAP | F_DECAP;

/** The packet of a run of a kind in `kinds` (tc; change_tail and change_head also sk_skb), else a HELPER error. */
function skbHost(ctx: HelperContext, name: string, kinds: readonly string[] = ['tc']): SkbPacket {
  const host = ctx.host as Partial<SkbPacket> | undefined;
  if (host?.kind === undefined || !kinds.includes(host.kind) || host.splice === undefined) {
    const runs = kinds.length === 1 ? 'tc programs' : 'tc and sk_skb programs';
    throw new ExecutionError(ErrorCode.HELPER, `${name}: only ${runs} may call it (the kernel refuses it elsewhere); run the program with runTc${kinds.length === 1 ? '' : ' or runSkSkb'}`, { pc: ctx.pc, helper: name });
  }
  return host as SkbPacket;
}

/** The kinds whose runs change_tail and change_head resize: tc frames and sk_skb stream data. */
const HEAD_TAIL_KINDS = ['tc', 'sk_skb'];

/** The shortest packet change_tail leaves: a tc frame keeps its Ethernet header; sk_skb stream data has none. */
const minLength = (host: SkbPacket): number => (host.kind === 'tc' ? ETH_HLEN : 0);

/** The room a packet of `length` bytes may still grow by (0 for one already past the limit). */
function room(host: SkbPacket): number {
  return Math.max(0, Math.min(SKB_MAX_LEN, host.capacity) - host.length);
}

function protocolOf(env: KernelEnvironment, host: SkbPacket): number {
  return env.memory.view.getUint32(host.ctxOffset + SkBuff.protocol, true);
}

function setProtocol(env: KernelEnvironment, host: SkbPacket, protocol: number): void {
  env.memory.view.setUint32(host.ctxOffset + SkBuff.protocol, protocol, true);
}

/** The resize helpers, bound to an environment. */
export function skbResizeHelpers(env: KernelEnvironment): Map<number, HelperEntry> {
  const changeHead: HelperFunction = (_r1, r2, r3, _4, _5, ctx) => {
    const host = skbHost(ctx, 'bpf_skb_change_head', HEAD_TAIL_KINDS);
    if (r3 !== 0n) return negErrno(Errno.EINVAL);
    const len = Number(r2 & 0xffffffffn);
    if (len > room(host)) return negErrno(Errno.EINVAL);
    host.networkHeader += len;
    host.splice(0, len);
    return 0;
  };

  const changeTail: HelperFunction = (_r1, r2, r3, _4, _5, ctx) => {
    const host = skbHost(ctx, 'bpf_skb_change_tail', HEAD_TAIL_KINDS);
    if (r3 !== 0n) return negErrno(Errno.EINVAL);
    const len = Number(r2 & 0xffffffffn);
    if (len < minLength(host) || len > host.length + room(host)) return negErrno(Errno.EINVAL);
    // The kernel will not resize the tail of a packet adjust_room gave a tunnel header.
    if (host.encapsulated) return negErrno(Errno.ENOTSUPP);
    host.splice(Math.min(len, host.length), len - host.length);
    return 0;
  };

  const adjustRoom: HelperFunction = (_r1, r2, r3, r4, _5, ctx) => {
    const host = skbHost(ctx, 'bpf_skb_adjust_room');
    const diff = Number(BigInt.asIntN(32, r2));
    const mode = Number(r3 & 0xffffffffn);
    const flags = r4;
    if ((flags & ~ADJ_ROOM_FLAGS) !== 0n) return negErrno(Errno.EINVAL);
    if (Math.abs(diff) > ADJ_ROOM_MAX) return negErrno(Errno.EFAULT);
    if (mode !== ADJ_ROOM_NET && mode !== ADJ_ROOM_MAC) return negErrno(Errno.ENOTSUPP);
    const proto = protocolOf(env, host);
    if (proto !== PROTO_IPV4 && proto !== PROTO_IPV6) return negErrno(Errno.ENOTSUPP);
    const decap = flags & F_DECAP;
    if (decap === F_DECAP) return negErrno(Errno.EINVAL);
    // Decapsulation leaves the inner protocol, whose fixed header must still fit.
    let next = decap === 0n ? proto : decap === F_DECAP_L3_IPV4 ? PROTO_IPV4 : PROTO_IPV6;
    const mac = host.networkHeader;
    const at = mode === ADJ_ROOM_MAC ? mac : mac + (proto === PROTO_IPV4 ? IPV4_HLEN : IPV6_HLEN);
    let encapsulated = host.encapsulated;
    if (diff < 0) {
      const keep = next === PROTO_IPV4 ? IPV4_HLEN : IPV6_HLEN;
      if (host.length + diff - mac < keep) return negErrno(Errno.ENOTSUPP);
      if (at - diff > host.length) return negErrno(Errno.ENOMEM);
      if ((flags & F_ENCAP) !== 0n) return negErrno(Errno.EINVAL);
      if (decap !== 0n) encapsulated = false;
    } else {
      if (diff > room(host)) return negErrno(Errno.ENOTSUPP);
      // Room after a network header the packet does not hold (cut short by change_tail, say).
      if (at > host.length) return negErrno(Errno.ENOMEM);
      if (decap !== 0n) return negErrno(Errno.EINVAL); // decapsulation only removes room
      const l3 = flags & (F_ENCAP_L3_IPV4 | F_ENCAP_L3_IPV6);
      if (l3 !== 0n) {
        // A tunnel header: one outer network protocol, at most one transport, an inner MAC header that fits.
        if (l3 === (F_ENCAP_L3_IPV4 | F_ENCAP_L3_IPV6)) return negErrno(Errno.EINVAL);
        if ((flags & (F_ENCAP_L4_GRE | F_ENCAP_L4_UDP)) === (F_ENCAP_L4_GRE | F_ENCAP_L4_UDP)) return negErrno(Errno.EINVAL);
        const l2 = Number(flags >> L2_LEN_SHIFT);
        if ((flags & F_ENCAP_L2_ETH) !== 0n && l2 < ETH_HLEN) return negErrno(Errno.EINVAL);
        if (diff < l2) return negErrno(Errno.EINVAL);
        next = l3 === F_ENCAP_L3_IPV4 ? PROTO_IPV4 : PROTO_IPV6;
        encapsulated = true;
      }
    }
    host.splice(at, diff);
    host.encapsulated = encapsulated;
    if (next !== proto) setProtocol(env, host, next);
    return 0;
  };

  const changeProto: HelperFunction = (_r1, r2, r3, _4, _5, ctx) => {
    const host = skbHost(ctx, 'bpf_skb_change_proto');
    if (r3 !== 0n) return negErrno(Errno.EINVAL);
    const to = Number(r2 & 0xffffn);
    const from = protocolOf(env, host);
    const mac = host.networkHeader;
    if (from === PROTO_IPV4 && to === PROTO_IPV6) {
      if (IPV6_HLEN - IPV4_HLEN > room(host) || mac > host.length) return negErrno(Errno.ENOTSUPP);
      host.splice(mac, IPV6_HLEN - IPV4_HLEN);
    } else if (from === PROTO_IPV6 && to === PROTO_IPV4) {
      if (host.length - mac < IPV6_HLEN) return negErrno(Errno.ENOTSUPP);
      host.splice(mac, IPV4_HLEN - IPV6_HLEN);
    } else {
      return negErrno(Errno.ENOTSUPP);
    }
    setProtocol(env, host, to);
    return 0;
  };

  const fns: [number, string, HelperFunction][] = [
    [SkbResizeHelper.SKB_CHANGE_HEAD, 'bpf_skb_change_head', changeHead],
    [SkbResizeHelper.SKB_CHANGE_TAIL, 'bpf_skb_change_tail', changeTail],
    [SkbResizeHelper.SKB_ADJUST_ROOM, 'bpf_skb_adjust_room', adjustRoom],
    [SkbResizeHelper.SKB_CHANGE_PROTO, 'bpf_skb_change_proto', changeProto],
  ];
  return new Map(fns.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
