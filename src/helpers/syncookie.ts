/**
 * SYN cookies without a listening socket, for XDP and tc programs (a SYN proxy answering SYNs itself):
 * `bpf_tcp_raw_gen_syncookie_ipv4` / `_ipv6` (204 / 205) issue a cookie for a SYN's IP and TCP headers,
 * `bpf_tcp_raw_check_syncookie_ipv4` / `_ipv6` (206 / 207) check that an ACK carries one.
 *
 * What a program sees is the kernel's, as documented and measured on Linux 6.18 (test/kernel/syncookie.test.ts):
 * the generator returns the cookie in the low 32 bits and, above it, the MSS the cookie encodes: the
 * largest of a four-value table (IPv4 536, 1300, 1440, 1460; IPv6 1220, 1420, 1440, 8940) not above the
 * SYN's MSS option, the smallest without one or below it; -EINVAL unless `th_len` is the TCP header's
 * length (`doff * 4`). The checker returns 0 for an ACK whose acknowledgement number is one past a cookie
 * issued for the same addresses, ports and initial sequence number (its own sequence number, less one)
 * in the last one or two 64-second periods, whatever its flags, and -EACCES otherwise.
 *
 * The cookie's bits are tsbpf's own (the kernel's depend on a per-boot secret, so no program can rely
 * on them): the period's low 6 bits, the MSS index (2 bits) and 24 bits of a keyed hash of the
 * addresses, ports and period, added to the SYN's sequence number. The key comes from the object's
 * random source on first use.
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import type { PacketRunHost } from './packet.js';
import { Errno, negErrno } from '../maps/types.js';

/** Helper ids (uapi `linux/bpf.h`) of this module. */
export const SyncookieHelper = { GEN_IPV4: 204, GEN_IPV6: 205, CHECK_IPV4: 206, CHECK_IPV6: 207 } as const;

/** The MSS values a cookie encodes (index 0 to 3), per IP version. */
const MSS_TABLE = { 4: [536, 1300, 1440, 1460], 6: [1220, 1420, 1440, 8940] } as const;
const TCP_HEADER = 20;
/** Nanoseconds per cookie period. */
const PERIOD_NS = 64_000_000_000n;

/** What the helpers need of the loaded object. */
export interface SyncookieEnvironment {
  readonly memory: VmMemory;
  /** Monotonic nanoseconds (the object's clock). */
  readonly now: () => bigint;
  /** A random 32-bit number (the object's random source). */
  readonly random: () => number;
}

/** The MSS option of a TCP header with options (`th`: `th_len` bytes), or undefined. */
function mssOption(th: Uint8Array): number | undefined {
  for (let i = TCP_HEADER; i < th.length; ) {
    const kind = th[i]!;
    if (kind === 0) return undefined;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = th[i + 1];
    if (len === undefined || len < 2 || i + len > th.length) return undefined;
    if (kind === 2 && len === 4) return (th[i + 2]! << 8) | th[i + 3]!;
    i += len;
  }
  return undefined;
}

/** The helpers of this module. */
export function syncookieHelpers(env: SyncookieEnvironment): Map<number, HelperEntry> {
  const { memory } = env;
  let key: Uint32Array | undefined;
  /** 24 bits of a keyed hash of the addresses and ports (`tuple`) and the period. */
  const hash = (tuple: Uint8Array, period: number): number => {
    key ??= Uint32Array.of(env.random() >>> 0, env.random() >>> 0);
    let h = key[0]! ^ Math.imul(period, 0x9e3779b1);
    for (let i = 0; i < tuple.length; i += 4) {
      const w = (tuple[i]! << 24) | (tuple[i + 1]! << 16) | (tuple[i + 2]! << 8) | tuple[i + 3]!;
      h = Math.imul(h ^ w, 0x85ebca6b) ^ key[1]!;
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
    return (h ^ (h >>> 15)) & 0xff_ffff;
  };
  const period = (): number => Number((env.now() / PERIOD_NS) & 0xffff_ffffn);
  const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  /** The run's packet kind, refusing other program types as the kernel does. */
  const packetRun = (ctx: HelperContext, name: string): void => {
    const kind = (ctx.host as Partial<PacketRunHost> | undefined)?.kind;
    if (kind !== 'xdp' && kind !== 'tc') throw helperError(name, 'only XDP and tc programs may call it (the kernel refuses it elsewhere); run the program with runXdp or runTc', ctx);
  };
  /** Addresses then ports: the IP header's source and destination, the TCP header's first 4 bytes. */
  const tupleOf = (ip: Uint8Array, th: Uint8Array, version: 4 | 6): Uint8Array => {
    const addrs = version === 4 ? ip.subarray(12, 20) : ip.subarray(8, 40);
    const t = new Uint8Array(addrs.length + 4);
    t.set(addrs);
    t.set(th.subarray(0, 4), addrs.length);
    return t;
  };
  const gen = (version: 4 | 6, name: string): HelperFunction => (r1, r2, r3, _4, _5, ctx) => {
    packetRun(ctx, name);
    const ip = memory.slice(r1, version === 4 ? 20 : 40, false, ctx.pc);
    const head = memory.slice(r2, TCP_HEADER, false, ctx.pc);
    const thLen = Number(r3 & 0xffff_ffffn);
    if (thLen < TCP_HEADER || thLen !== (head[12]! >> 4) * 4) return negErrno(Errno.EINVAL);
    const th = memory.slice(r2, thLen, false, ctx.pc);
    const table = MSS_TABLE[version];
    const want = mssOption(th) ?? 0;
    let index = 0;
    for (let i = 0; i < table.length; i++) if (table[i]! <= want) index = i;
    const p = period();
    const bits = (((p & 0x3f) << 26) | (index << 24) | hash(tupleOf(ip, th, version), p)) >>> 0;
    const cookie = (bits + be32(th, 4)) >>> 0;
    return (BigInt(table[index]!) << 32n) | BigInt(cookie);
  };
  const check = (version: 4 | 6, name: string): HelperFunction => (r1, r2, _3, _4, _5, ctx) => {
    packetRun(ctx, name);
    const ip = memory.slice(r1, version === 4 ? 20 : 40, false, ctx.pc);
    const th = memory.slice(r2, TCP_HEADER, false, ctx.pc);
    // The ACK acknowledges cookie + 1 and carries the SYN's sequence number + 1.
    const bits = (be32(th, 8) - 1 - (be32(th, 4) - 1)) >>> 0;
    const now = period();
    for (const p of [now, now - 1]) {
      if ((p & 0x3f) !== bits >>> 26) continue;
      if ((bits & 0xff_ffff) === hash(tupleOf(ip, th, version), p)) return 0n;
    }
    return negErrno(Errno.EACCES);
  };
  const fns: [number, string, HelperFunction][] = [
    [SyncookieHelper.GEN_IPV4, 'bpf_tcp_raw_gen_syncookie_ipv4', gen(4, 'bpf_tcp_raw_gen_syncookie_ipv4')],
    [SyncookieHelper.GEN_IPV6, 'bpf_tcp_raw_gen_syncookie_ipv6', gen(6, 'bpf_tcp_raw_gen_syncookie_ipv6')],
    [SyncookieHelper.CHECK_IPV4, 'bpf_tcp_raw_check_syncookie_ipv4', check(4, 'bpf_tcp_raw_check_syncookie_ipv4')],
    [SyncookieHelper.CHECK_IPV6, 'bpf_tcp_raw_check_syncookie_ipv6', check(6, 'bpf_tcp_raw_check_syncookie_ipv6')],
  ];
  return new Map(fns.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
