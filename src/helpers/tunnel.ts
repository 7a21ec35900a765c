/**
 * Tunnel metadata of a tc run: `bpf_skb_get_tunnel_key` (20) reads the metadata the packet arrived
 * with (the host's `SkbOptions.tunnel`) or that `bpf_skb_set_tunnel_key` (21) attached in this run;
 * `bpf_skb_get_tunnel_opt` (29) / `bpf_skb_set_tunnel_opt` (30) read and attach its raw options
 * (Geneve, VXLAN-GBP, ERSPAN data: up to {@link TUNNEL_OPTS_MAX} bytes, a multiple of 4 to set, and
 * only to metadata set_tunnel_key attached in the same run, as the kernel requires);
 * what set attached is reported with the run (`SkbRunInfo.tunnel`), like a redirect target. Sizes,
 * flags and results are the kernel's as BPF_PROG_TEST_RUN shows them (6.18, test/kernel/tunnel.test.ts):
 * `struct bpf_tunnel_key` of 24, 28 or 44 bytes (older layouts); get zeroes the buffer on every error
 * (-EINVAL: bad size or flags, no metadata; -EPROTO: the other IP family) and reads the remote end
 * from the metadata's source address, as on receive; set refuses a non-zero `tunnel_ext` and an IPv4
 * flow label, and keeps 20 bits of an IPv6 one. get_tunnel_opt gives -ENOENT without options and
 * -ENOMEM for a buffer shorter than them (the buffer zeroed), else their length with the rest of the
 * buffer zeroed; set_tunnel_opt marks the metadata as carrying options (tunnel flags 0xd800), and a
 * later set_tunnel_key drops them.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { Errno, negErrno } from '../maps/types.js';
import type { PacketRunHost } from './packet.js';

/** Helper ids (uapi `linux/bpf.h`). */
export const TunnelHelper = { GET_TUNNEL_KEY: 20, SET_TUNNEL_KEY: 21, GET_TUNNEL_OPT: 29, SET_TUNNEL_OPT: 30 } as const;

/** Most bytes of tunnel options metadata holds (its length is a byte). */
export const TUNNEL_OPTS_MAX = 255;

/** `bpf_skb_set_tunnel_key` / `get_tunnel_key` flags. */
export const TunnelFlag = { TUNINFO_IPV6: 1, ZERO_CSUM_TX: 2, DONT_FRAGMENT: 4, SEQ_NUMBER: 8, NO_TUNNEL_KEY: 16, TUNINFO_FLAGS: 16 } as const;

/** Tunnel metadata attached to a packet, as `bpf_skb_get_tunnel_key` reports it. */
export interface TunnelKey {
  /** Tunnel id (VNI, GRE key), 32 bits. */
  readonly id: number;
  /** The remote end: 4 bytes (IPv4) or 16 (IPv6), network order; its length gives the family. */
  readonly remote: Uint8Array;
  /** The local end (same family; default all zero). */
  readonly local?: Uint8Array;
  readonly tos?: number;
  readonly ttl?: number;
  /** IPv6 flow label (20 bits). */
  readonly label?: number;
  /**
   * The kernel's tunnel flag bits (`TUNNEL_CSUM` 0x1, `TUNNEL_KEY` 0x4, `TUNNEL_SEQ` 0x8,
   * `TUNNEL_DONT_FRAGMENT` 0x100, `TUNNEL_NOCACHE` 0x2000), read with `BPF_F_TUNINFO_FLAGS` (default 0).
   */
  readonly flags?: number;
  /** Tunnel options (up to {@link TUNNEL_OPTS_MAX} bytes), for `bpf_skb_get_tunnel_opt`; absent: none. */
  readonly options?: Uint8Array;
}

/** What the tunnel helpers need from a run: the program type and the metadata in and out. */
export interface TunnelRunHost {
  readonly kind: PacketRunHost['kind'];
  /** The packet's tunnel metadata: the host's at the start of a run, then what set_tunnel_key attached. */
  tunnel: TunnelKey | undefined;
  /** What set_tunnel_key attached in this run, as the program gave it (remote = where the tunnel goes); the run reports it. */
  tunnelSet: TunnelKey | undefined;
}

/** The kernel's tunnel flag bits for options of each kind (Geneve, VXLAN, ERSPAN, GTP), set together by set_tunnel_opt. */
const TUNNEL_OPTIONS_PRESENT = 0x0800 | 0x1000 | 0x4000 | 0x8000;
const KEY_SIZES = [24, 28, 44];
const SET_FLAGS = 0x1f;
const GET_FLAGS = TunnelFlag.TUNINFO_IPV6 | TunnelFlag.TUNINFO_FLAGS;
/** Kernel tunnel flag bits a set gives its metadata. */
const TUNNEL_CSUM = 0x1;
const TUNNEL_KEY = 0x4;
const TUNNEL_SEQ = 0x8;
const TUNNEL_DONT_FRAGMENT = 0x100;
const TUNNEL_NOCACHE = 0x2000;


function tcHost(ctx: HelperContext, name: string): TunnelRunHost {
  const host = ctx.host as Partial<TunnelRunHost> | undefined;
  if (host?.kind !== 'tc' || !('tunnel' in host)) {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: only tc programs may call it (the kernel refuses it elsewhere); run the program with runTc`, { pc: ctx.pc, helper: name });
  }
  return host as TunnelRunHost;
}

/** The tunnel key helpers, bound to the object's memory. */
export function tunnelHelpers(memory: VmMemory): Map<number, HelperEntry> {
  const get = (_r1: bigint, r2: bigint, r3: bigint, r4: bigint, _r5: bigint, ctx: HelperContext): bigint | number => {
    const host = tcHost(ctx, 'bpf_skb_get_tunnel_key');
    const size = Number(r3 & 0xffffffffn);
    // The buffer is the program's over `size` bytes (the verifier checks it), zeroed on every error.
    const out = memory.slice(r2, size, true, ctx.pc);
    out.fill(0);
    if ((r4 & ~BigInt(GET_FLAGS)) !== 0n || !KEY_SIZES.includes(size)) return negErrno(Errno.EINVAL);
    const info = host.tunnel;
    if (info === undefined) return negErrno(Errno.EINVAL);
    const ipv6 = (r4 & BigInt(TunnelFlag.TUNINFO_IPV6)) !== 0n;
    if (ipv6 !== (info.remote.length === 16)) return negErrno(Errno.EPROTO);
    const v = new DataView(out.buffer, out.byteOffset, size);
    v.setUint32(0, info.id >>> 0, true);
    out.set(info.remote, 4);
    out[20] = info.tos ?? 0;
    out[21] = info.ttl ?? 0;
    if ((r4 & BigInt(TunnelFlag.TUNINFO_FLAGS)) !== 0n) v.setUint16(22, info.flags ?? 0, false);
    if (size > 24) v.setUint32(24, ipv6 ? (info.label ?? 0) & 0xfffff : 0, true);
    if (size > 28 && info.local !== undefined) out.set(info.local, 28);
    return 0;
  };
  const set = (_r1: bigint, r2: bigint, r3: bigint, r4: bigint, _r5: bigint, ctx: HelperContext): bigint | number => {
    const host = tcHost(ctx, 'bpf_skb_set_tunnel_key');
    const size = Number(r3 & 0xffffffffn);
    const key = memory.read(r2, size, ctx.pc);
    if ((r4 & ~BigInt(SET_FLAGS)) !== 0n || !KEY_SIZES.includes(size)) return negErrno(Errno.EINVAL);
    const v = new DataView(key.buffer, key.byteOffset, size);
    const flags = Number(r4);
    const ipv6 = (flags & TunnelFlag.TUNINFO_IPV6) !== 0;
    const label = size > 24 ? v.getUint32(24, true) : 0;
    if (v.getUint16(22, true) !== 0 || (!ipv6 && label !== 0)) return negErrno(Errno.EINVAL);
    const len = ipv6 ? 16 : 4;
    // The metadata is for sending: the key's remote end is its destination, its local end the source;
    // a later get (a receive-side view) reads the remote end from the source.
    host.tunnel = {
      id: v.getUint32(0, true),
      remote: size > 28 ? key.slice(28, 28 + len) : new Uint8Array(len),
      local: key.slice(4, 4 + len),
      tos: key[20]!,
      ttl: key[21]!,
      label: ipv6 ? label & 0xfffff : 0,
      flags:
        TUNNEL_NOCACHE |
        ((flags & TunnelFlag.NO_TUNNEL_KEY) === 0 ? TUNNEL_KEY : 0) |
        ((flags & TunnelFlag.ZERO_CSUM_TX) === 0 ? TUNNEL_CSUM : 0) |
        ((flags & TunnelFlag.DONT_FRAGMENT) !== 0 ? TUNNEL_DONT_FRAGMENT : 0) |
        ((flags & TunnelFlag.SEQ_NUMBER) !== 0 ? TUNNEL_SEQ : 0),
    };
    host.tunnelSet = { ...host.tunnel, remote: host.tunnel.local!, local: host.tunnel.remote };
    return 0;
  };
  const getOpt = (_r1: bigint, r2: bigint, r3: bigint, _r4: bigint, _r5: bigint, ctx: HelperContext): bigint | number => {
    const host = tcHost(ctx, 'bpf_skb_get_tunnel_opt');
    const size = Number(r3 & 0xffffffffn);
    const out = memory.slice(r2, size, true, ctx.pc);
    const options = host.tunnel?.options;
    if (options === undefined) {
      out.fill(0);
      return negErrno(Errno.ENOENT);
    }
    if (size < options.length) {
      out.fill(0);
      return negErrno(Errno.ENOMEM);
    }
    out.set(options);
    out.fill(0, options.length);
    return options.length;
  };
  const setOpt = (_r1: bigint, r2: bigint, r3: bigint, _r4: bigint, _r5: bigint, ctx: HelperContext): bigint | number => {
    const host = tcHost(ctx, 'bpf_skb_set_tunnel_opt');
    const size = Number(r3 & 0xffffffffn);
    const from = memory.read(r2, size, ctx.pc);
    // Only metadata set_tunnel_key attached in this run takes options (not what the packet arrived with).
    if (host.tunnelSet === undefined || host.tunnel === undefined || size % 4 !== 0) return negErrno(Errno.EINVAL);
    if (size > TUNNEL_OPTS_MAX) return negErrno(Errno.ENOMEM);
    const flags = (host.tunnel.flags ?? 0) | TUNNEL_OPTIONS_PRESENT;
    host.tunnel = { ...host.tunnel, flags, options: from };
    host.tunnelSet = { ...host.tunnelSet, flags, options: from };
    return 0;
  };
  return new Map([
    [TunnelHelper.GET_TUNNEL_KEY, { fn: get, name: 'bpf_skb_get_tunnel_key', unwindOnZero: false }],
    [TunnelHelper.SET_TUNNEL_KEY, { fn: set, name: 'bpf_skb_set_tunnel_key', unwindOnZero: false }],
    [TunnelHelper.GET_TUNNEL_OPT, { fn: getOpt, name: 'bpf_skb_get_tunnel_opt', unwindOnZero: false }],
    [TunnelHelper.SET_TUNNEL_OPT, { fn: setOpt, name: 'bpf_skb_set_tunnel_opt', unwindOnZero: false }],
  ]);
}
