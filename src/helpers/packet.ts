/**
 * Kernel helpers that rewrite, classify or redirect packets (uapi ids): incremental checksum updates
 * (`bpf_l3_csum_replace`, `bpf_l4_csum_replace`), the skb hash (`bpf_get_hash_recalc`,
 * `bpf_set_hash`, `bpf_set_hash_invalid`), `bpf_skb_change_type`, `bpf_skb_pull_data`,
 * `bpf_jiffies64`, and the redirects (`bpf_redirect`, `bpf_redirect_map`, tc's `bpf_redirect_neigh`
 * and `bpf_redirect_peer`), which record where the
 * packet goes for the runner to report with the verdict. Argument checks and return values follow the
 * kernel's documentation (bpf-helpers(7)): bad flags give -EINVAL, offsets outside the packet -EFAULT.
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import { RedirectMap } from '../maps/redirect.js';
import { Errno, MapType, mapTypeName, negErrno } from '../maps/types.js';
import type { KernelEnvironment, KernelRunHost } from './kernel.js';

/** Packet helper ids (uapi `linux/bpf.h`). */
export const PacketHelper = {
  L3_CSUM_REPLACE: 10, L4_CSUM_REPLACE: 11, REDIRECT: 23, SKB_CHANGE_TYPE: 32, GET_HASH_RECALC: 34,
  SKB_PULL_DATA: 39, SET_HASH_INVALID: 41, SET_HASH: 48, REDIRECT_MAP: 51, JIFFIES64: 118, REDIRECT_NEIGH: 152,
  REDIRECT_PEER: 155,
} as const;

/** Where a redirect sends the packet; reported with the verdict when the program returns a redirect. */
export interface Redirect {
  /** The helper that chose the target. */
  readonly helper: 'bpf_redirect' | 'bpf_redirect_map' | 'bpf_redirect_neigh' | 'bpf_redirect_peer';
  /**
   * The interface (bpf_redirect, DEVMAP / DEVMAP_HASH entries; bpf_redirect_neigh's egress; for
   * bpf_redirect_peer the device whose peer, in another namespace, receives the packet on ingress).
   */
  readonly ifindex?: number;
  /** bpf_redirect's flags (tc: `BPF_F_INGRESS` = 1 sends to the interface's ingress); the map's flags. */
  readonly flags: number;
  /** bpf_redirect_map: the map's name and the key. */
  readonly map?: string;
  readonly key?: number;
  /** CPUMAP: the CPU the packet moves to. */
  readonly cpu?: number;
  /** XSKMAP: the queue and the socket the host stored there. */
  readonly queue?: number;
  readonly socket?: number;
  /** DEVMAP with `BPF_F_BROADCAST`: to every interface of the map (but the ingress one with `BPF_F_EXCLUDE_INGRESS`). */
  readonly broadcast?: boolean;
  readonly excludeIngress?: boolean;
  /**
   * bpf_redirect_neigh with a `struct bpf_redir_neigh`: the next hop the caller gave (family 2 or 10
   * and its 4- or 16-byte address, network order) instead of a FIB lookup on the packet's header.
   */
  readonly nexthop?: { readonly family: number; readonly address: Uint8Array };
}

/** What the packet helpers need from the runner, beyond {@link KernelRunHost}. */
export interface PacketRunHost extends KernelRunHost {
  /** The program type the run gives the program. */
  readonly kind: 'xdp' | 'socket' | 'tc' | 'sk_skb';
  /** The redirect the program asked for last in this run (the runner clears it before each run). */
  redirect: Redirect | undefined;
  /** The linear-memory offset of the context (`__sk_buff`, `xdp_md`). */
  readonly ctxOffset?: number;
}


/** `__sk_buff` offsets these helpers read and write (see context/layout). */
const SKB_LEN = 0;
const SKB_PKT_TYPE = 4;
const SKB_HASH = 68;

const BPF_F_HDR_FIELD_MASK = 0xf;
const BPF_F_PSEUDO_HDR = 1 << 4;
const BPF_F_MARK_MANGLED_0 = 1 << 5;
const BPF_F_MARK_ENFORCE = 1 << 6;
const BPF_F_IPV6 = 1 << 7;
const BPF_F_INGRESS = 1;
const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;
const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
/** Bytes of `struct bpf_redir_neigh` (nh_family, then a 16-byte address union). */
const REDIR_NEIGH_SIZE = 20;
const AF_INET = 2;
/** The kernel's tick rate assumed for `bpf_jiffies64` (a common distribution setting). */
export const JIFFIES_HZ = 250;

function hostOf(ctx: HelperContext, name: string, kinds: readonly PacketRunHost['kind'][]): PacketRunHost {
  const host = ctx.host as Partial<PacketRunHost> | undefined;
  if (host?.kind === undefined || !kinds.includes(host.kind)) {
    const what = kinds.map((k) => (k === 'xdp' ? 'XDP' : k === 'tc' ? 'tc' : k === 'sk_skb' ? 'sk_skb' : 'socket filter')).join(' and ');
    throw helperError(name, `only ${what} programs may call it (the kernel refuses it elsewhere); run the program with ${kinds.includes('xdp') ? 'runXdp' : 'runTc'}`, ctx);
  }
  return host as PacketRunHost;
}

/** 32-bit ones'-complement addition with end-around carry (the kernel's `csum_add`): an unsigned 32-bit result. */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return s > 0xffffffff ? s - 0xffffffff : s;
}

/** Fold a 32-bit sum to 16 bits and complement it (`csum_fold`). */
function csumFold(sum: number): number {
  let s = (sum & 0xffff) + (sum >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** 16-bit ones'-complement addition (`csum16_add`). */
function csum16Add(a: number, b: number): number {
  const s = (a & 0xffff) + (b & 0xffff);
  return (s + (s >>> 16)) & 0xffff;
}

/**
 * A checksum field updated for a header field that changed from `from` to `to` (`size` 2 or 4 bytes),
 * or by a precomputed difference (`size` 0, `to` the difference). All values are the little-endian
 * readings of the bytes in memory, as the kernel sees them on a little-endian host; ones'-complement
 * sums commute with byte swapping, so the stored bytes are the network-order result.
 */
function replaced(sum: number, from: number, to: number, size: number, l4: boolean): number {
  if (size === 0) return csumFold(csumAdd(to, ~sum >>> 0));
  if (size === 2 && !l4) return ~csum16Add(csum16Add(~sum & 0xffff, ~from & 0xffff), to) & 0xffff;
  return csumFold(csumAdd(csumAdd(~sum >>> 0, ~from >>> 0), to >>> 0));
}

/** A flow hash of the packet's addresses, protocol and ports, the same in both directions; never 0. */
export function flowHash(packet: Uint8Array): number {
  let type = packet.length >= 14 ? (packet[12]! << 8) | packet[13]! : 0;
  let off = 14;
  while ((type === 0x8100 || type === 0x88a8) && off + 4 <= packet.length) {
    type = (packet[off + 2]! << 8) | packet[off + 3]!;
    off += 4;
  }
  let a: Uint8Array = new Uint8Array(0);
  let b: Uint8Array = new Uint8Array(0);
  let proto = 0;
  let l4 = -1;
  if (type === 0x0800 && off + 20 <= packet.length) {
    const ihl = (packet[off]! & 0xf) * 4;
    proto = packet[off + 9]!;
    a = packet.subarray(off + 12, off + 16);
    b = packet.subarray(off + 16, off + 20);
    const fragment = ((packet[off + 6]! & 0x3f) << 8) | packet[off + 7]!;
    if (fragment === 0 && ihl >= 20) l4 = off + ihl;
  } else if (type === 0x86dd && off + 40 <= packet.length) {
    proto = packet[off + 6]!;
    a = packet.subarray(off + 8, off + 24);
    b = packet.subarray(off + 24, off + 40);
    l4 = off + 40;
  }
  let pa = 0;
  let pb = 0;
  if (l4 >= 0 && (proto === 6 || proto === 17 || proto === 132 || proto === 136) && l4 + 4 <= packet.length) {
    pa = (packet[l4]! << 8) | packet[l4 + 1]!;
    pb = (packet[l4 + 2]! << 8) | packet[l4 + 3]!;
  }
  // Order the endpoints so that both directions of a flow hash alike.
  const cmp = compareBytes(a, b) || pa - pb;
  const [x, px, y, py] = cmp <= 0 ? [a, pa, b, pb] : [b, pb, a, pa];
  let h = 0x811c9dc5; // FNV-1a
  const mix = (byte: number): void => {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  };
  for (const v of [type >> 8, type & 0xff, proto, px >> 8, px & 0xff, py >> 8, py & 0xff]) mix(v);
  for (const v of x) mix(v);
  for (const v of y) mix(v);
  return h === 0 ? 1 : h;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The packet helpers, bound to an environment. */
export function packetHelpers(env: KernelEnvironment): Map<number, HelperEntry> {
  const view = (): DataView => env.memory.view;
  const u32 = (r: bigint): number => Number(r & 0xffffffffn);
  const skbField = (host: PacketRunHost, at: number): number => view().getUint32(host.ctxOffset! + at, true);
  const setSkbField = (host: PacketRunHost, at: number, v: number): void => view().setUint32(host.ctxOffset! + at, v >>> 0, true);
  const csumReplace = (name: string, l4: boolean): HelperFunction => (_r1, r2, r3, r4, r5, ctx) => {
    const host = hostOf(ctx, name, ['tc']);
    const flags = r5;
    const allowed = l4 ? BPF_F_HDR_FIELD_MASK | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_IPV6 : BPF_F_HDR_FIELD_MASK;
    if ((flags & ~BigInt(allowed)) !== 0n) return negErrno(Errno.EINVAL);
    const pkt = host.packet!();
    if (r2 > 0xffffn || Number(r2) + 2 > pkt.length) return negErrno(Errno.EFAULT);
    const off = Number(r2);
    const sum = pkt[off]! | (pkt[off + 1]! << 8);
    const f = Number(flags);
    if (l4 && (f & BPF_F_MARK_MANGLED_0) !== 0 && (f & BPF_F_MARK_ENFORCE) === 0 && sum === 0) return 0;
    const size = f & BPF_F_HDR_FIELD_MASK;
    if (size !== 0 && size !== 2 && size !== 4) return negErrno(Errno.EINVAL);
    if (size === 0 && r3 !== 0n) return negErrno(Errno.EINVAL);
    let next = replaced(sum, size === 2 ? u32(r3) & 0xffff : u32(r3), size === 2 ? u32(r4) & 0xffff : u32(r4), size, l4);
    if (l4 && (f & BPF_F_MARK_MANGLED_0) !== 0 && next === 0) next = 0xffff; // CSUM_MANGLED_0
    pkt[off] = next & 0xff;
    pkt[off + 1] = next >> 8;
    return 0;
  };
  const fns: [number, string, HelperFunction][] = [
    [PacketHelper.L3_CSUM_REPLACE, 'bpf_l3_csum_replace', csumReplace('bpf_l3_csum_replace', false)],
    [PacketHelper.L4_CSUM_REPLACE, 'bpf_l4_csum_replace', csumReplace('bpf_l4_csum_replace', true)],
    [PacketHelper.GET_HASH_RECALC, 'bpf_get_hash_recalc', (_r1, _2, _3, _4, _5, ctx) => {
      const host = hostOf(ctx, 'bpf_get_hash_recalc', ['tc']);
      const hash = skbField(host, SKB_HASH);
      if (hash !== 0) return hash;
      const h = flowHash(host.packet!());
      setSkbField(host, SKB_HASH, h);
      return h;
    }],
    [PacketHelper.SET_HASH_INVALID, 'bpf_set_hash_invalid', (_r1, _2, _3, _4, _5, ctx) => {
      setSkbField(hostOf(ctx, 'bpf_set_hash_invalid', ['tc']), SKB_HASH, 0);
      return 0;
    }],
    [PacketHelper.SET_HASH, 'bpf_set_hash', (_r1, r2, _3, _4, _5, ctx) => {
      setSkbField(hostOf(ctx, 'bpf_set_hash', ['tc']), SKB_HASH, u32(r2));
      return 0;
    }],
    [PacketHelper.SKB_CHANGE_TYPE, 'bpf_skb_change_type', (_r1, r2, _3, _4, _5, ctx) => {
      const host = hostOf(ctx, 'bpf_skb_change_type', ['tc']);
      // Only between PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST and PACKET_OTHERHOST (0-3).
      if (skbField(host, SKB_PKT_TYPE) > 3 || r2 > 3n) return negErrno(Errno.EINVAL);
      setSkbField(host, SKB_PKT_TYPE, Number(r2));
      return 0;
    }],
    [PacketHelper.SKB_PULL_DATA, 'bpf_skb_pull_data', (_r1, r2, _3, _4, _5, ctx) => {
      const host = hostOf(ctx, 'bpf_skb_pull_data', ['tc', 'sk_skb']);
      // tsbpf's skb is linear: every byte is already in the direct-access area. More than the packet fails.
      return r2 > BigInt(skbField(host, SKB_LEN)) ? negErrno(Errno.ENOMEM) : 0;
    }],
    [PacketHelper.JIFFIES64, 'bpf_jiffies64', () => {
      // jiffies start 5 minutes before wrapping 32 bits (INITIAL_JIFFIES), then tick JIFFIES_HZ times a second.
      const start = 0x1_0000_0000n - 300n * BigInt(JIFFIES_HZ);
      return BigInt.asUintN(64, start + (env.now() * BigInt(JIFFIES_HZ)) / 1_000_000_000n);
    }],
    [PacketHelper.REDIRECT, 'bpf_redirect', (r1, r2, _3, _4, _5, ctx) => {
      const host = hostOf(ctx, 'bpf_redirect', ['xdp', 'tc']);
      if (host.kind === 'xdp') {
        if (r2 !== 0n) return XDP_ABORTED; // XDP takes no flags
        host.redirect = { helper: 'bpf_redirect', ifindex: u32(r1), flags: 0 };
        return XDP_REDIRECT;
      }
      if ((r2 & ~BigInt(BPF_F_INGRESS)) !== 0n) return TC_ACT_SHOT;
      host.redirect = { helper: 'bpf_redirect', ifindex: u32(r1), flags: Number(r2) };
      return TC_ACT_REDIRECT;
    }],
    [PacketHelper.REDIRECT_NEIGH, 'bpf_redirect_neigh', (r1, r2, r3, r4, _5, ctx) => {
      const host = hostOf(ctx, 'bpf_redirect_neigh', ['tc']);
      // plen is an int; params may be NULL with plen 0. A params pointer is read over plen bytes (the
      // verifier checks that memory); a short plen or any flag drops the packet.
      const plen = Number(BigInt.asIntN(32, r3));
      const params = r2 === 0n || plen <= 0 ? undefined : env.memory.read(r2, plen, ctx.pc);
      if ((plen !== 0 && plen < REDIR_NEIGH_SIZE) || r4 !== 0n) return TC_ACT_SHOT;
      let nexthop: Redirect['nexthop'];
      if (params !== undefined) {
        const family = new DataView(params.buffer, params.byteOffset, 4).getUint32(0, true);
        nexthop = { family, address: params.slice(4, family === AF_INET ? 8 : 20) };
      }
      host.redirect = { helper: 'bpf_redirect_neigh', ifindex: u32(r1), flags: 0, ...(nexthop === undefined ? {} : { nexthop }) };
      return TC_ACT_REDIRECT;
    }],
    [PacketHelper.REDIRECT_PEER, 'bpf_redirect_peer', (r1, r2, _3, _4, _5, ctx) => {
      const host = hostOf(ctx, 'bpf_redirect_peer', ['tc']);
      if (r2 !== 0n) return TC_ACT_SHOT;
      host.redirect = { helper: 'bpf_redirect_peer', ifindex: u32(r1), flags: 0 };
      return TC_ACT_REDIRECT;
    }],
    [PacketHelper.REDIRECT_MAP, 'bpf_redirect_map', (r1, r2, r3, _4, _5, ctx) => {
      const host = hostOf(ctx, 'bpf_redirect_map', ['xdp']);
      const m = r1 >> 32n === 0n ? env.mapByHandle(Number(r1)) : undefined;
      if (!(m instanceof RedirectMap)) {
        throw helperError('bpf_redirect_map', `${m === undefined ? `0x${r1.toString(16)} is not a map of this object` : `map ${m.name} is a ${mapTypeName(m.spec.type)}`}; it takes a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP`, ctx);
      }
      const devmap = m.spec.type === MapType.DEVMAP || m.spec.type === MapType.DEVMAP_HASH;
      const allowed = 3n | (devmap ? BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS) : 0n);
      if ((r3 & ~allowed) !== 0n) return XDP_ABORTED;
      const flags = Number(r3);
      const key = u32(r2);
      if ((flags & BPF_F_BROADCAST) !== 0) {
        host.redirect = { helper: 'bpf_redirect_map', map: m.name, flags, broadcast: true, excludeIngress: (flags & BPF_F_EXCLUDE_INGRESS) !== 0 };
        return XDP_REDIRECT;
      }
      const target = m.target(key);
      if (target === undefined) return flags & 3;
      host.redirect = { helper: 'bpf_redirect_map', map: m.name, key, flags, ...target };
      return XDP_REDIRECT;
    }],
  ];
  return new Map(fns.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
