/**
 * Cases for the skb information helpers of test/fixtures/elf/skb_info.c, shared by the kernel
 * differential (test/kernel/skb-info.test.ts) and the tsbpf-only checks (test/elf/skb-info.test.ts):
 * the frames, the cb[] arguments, the interfaces bpf_check_mtu sees, and how a run is shown.
 */
import type { FibDescription } from '../../src/helpers/index.js';

/** An Ethernet frame of `len` bytes: IPv4 (a valid header, TOS `tos`), IPv6 (traffic class `tos`) or any ethertype. */
export function infoFrame(len: number, l3 = 0x0800, tos = 0): Uint8Array {
  const p = new Uint8Array(len);
  p.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, l3 >> 8, l3 & 0xff]);
  if (l3 === 0x0800 && len >= 34) {
    p.set([0x45, tos, (len - 14) >> 8, (len - 14) & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    let s = 0;
    for (let i = 14; i < 34; i += 2) s += (p[i]! << 8) | p[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    s = ~s & 0xffff;
    p[24] = s >> 8;
    p[25] = s & 0xff;
  }
  if (l3 === 0x86dd && len >= 54) {
    p.set([0x60 | (tos >> 4), (tos & 0xf) << 4, 0, 0, (len - 54) >> 8, (len - 54) & 0xff, 17, 64], 14);
    p[37] = 1;
    p[53] = 2;
  }
  for (let i = l3 === 0x0800 ? 34 : l3 === 0x86dd ? 54 : 14; i < len; i++) p[i] = (i * 7) & 0xff;
  return p;
}

/** One run of an skb program: its frame and cb[0..4]. */
export interface InfoCase {
  readonly name: string;
  readonly frame: Uint8Array;
  readonly cb: readonly number[];
}

const NONE = 0xffffffff;
const F = infoFrame(64);

/** bpf_csum_level: up to four levels (cb[0..3], NONE: no call), then a query; from CHECKSUM_NONE. */
export const CSUM_LEVEL_CASES: readonly InfoCase[] = [
  [0], [1], [2], [3], [4], [1, 1], [1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 2], [1, 2, 2], [1, 2, 0], [1, 3, 0], [1, 1, 3, 1],
  [2, 1, 1, 2], [0x80000001, 1], [1, 0x80000000, 0], [1, 5, 0], [NONE - 1, 0],
].map((levels) => {
  const cb = [...levels, NONE, NONE, NONE, NONE].slice(0, 4);
  return { name: `levels ${levels.join(',')}`, frame: F, cb: [...cb, 0] };
});

/** Interfaces bpf_check_mtu sees: the loopback (the test run's device) at 1500, two more. */
export const MTU_FIB: FibDescription = {
  interfaces: [{ ifindex: 1, mtu: 1500 }, { ifindex: 2, mtu: 9000, mac: '02:00:00:00:00:02' }, { ifindex: 3, mtu: 1400, mac: '02:00:00:00:00:03' }],
};

/** bpf_check_mtu arguments: ifindex, mtu_len in, len_diff, flags. */
export const MTU_ARGS: readonly (readonly number[])[] = [
  [0, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 1], [1, 0, 0, 2], [1, 0, 0, 4], [99, 0, 0, 0], [99, 0, 0, 2], [99, 5, 0, 1],
  [0x80000000, 0, 0, 0], [1, 1500, 0, 0], [1, 1501, 0, 0], [1, 1486, 0, 0], [1, 1500, 1, 0], [1, 1486, 15, 0],
  [1, 0, 1, 0], [1, 0, -1, 0], [1, 0, -100000, 0], [1, 0, 0x7fffffff, 0], [2, 0, 0, 0], [3, 0, 0, 0], [4, 0, 0, 0],
  [1, 0xffffffff, 0, 0], [1, 100, -200, 0], [1, 0x80000000, 0x7fffffff, 0], [1, 0, 1, 1], [1, 0, -1, 1],
  [1, 1400, 0, 1], [0, 0, 0, 3],
];

/** Frame sizes bpf_check_mtu is asked about (around 1500 + 14). */
export const MTU_SIZES: readonly number[] = [60, 1413, 1414, 1415, 1514, 1515, 1600];

/** bpf_check_mtu from tc: every size with every argument list. */
export const MTU_CASES: readonly InfoCase[] = MTU_SIZES.flatMap((size) =>
  MTU_ARGS.map((a) => ({ name: `${size} bytes, ${a.join(',')}`, frame: infoFrame(size), cb: [0, ...a.map((x) => x >>> 0)] })),
);

/** The same for XDP: the arguments at packet bytes 14-29. */
export function xdpMtuFrame(size: number, args: readonly number[]): Uint8Array {
  const p = infoFrame(size, 0x0806);
  const v = new DataView(p.buffer);
  args.forEach((x, i) => v.setUint32(14 + 4 * i, x >>> 0, true));
  return p;
}

/** What the XDP program wrote: its result and the MTU (bytes 30-37). */
export function xdpMtuResult(retval: number, packet: Uint8Array): string {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return `${retval} ret ${v.getInt32(30, true)} mtu ${v.getUint32(34, true)}`;
}

/** The `info` / `sock_info` selectors (cb[0]) and arguments (cb[1]). */
export const INFO_OPS = {
  socketCookie: 1, socketUid: 2, cgroupId: 3, ancestorCgroupId: 4, cgroupClassid: 5, skbCgroupClassid: 6, routeRealm: 7,
  netnsCookie: 8, netnsCookieNull: 9, csumUpdate: 10,
} as const;

/** `info` runs whose results do not depend on kernel-generated cookies. */
export const INFO_CASES: readonly InfoCase[] = [
  [INFO_OPS.socketUid, 0], [INFO_OPS.cgroupId, 0], [INFO_OPS.cgroupClassid, 0], [INFO_OPS.skbCgroupClassid, 0], [INFO_OPS.routeRealm, 0],
  ...[0, 1, 2, 63, 64, 100, -1].map((l) => [INFO_OPS.ancestorCgroupId, l >>> 0]),
  ...[0, 1, 0x1234, 0xffffffff].map((c) => [INFO_OPS.csumUpdate, c]),
  [77, 0],
].map(([op, arg]) => ({ name: `op ${op!}, ${arg!}`, frame: F, cb: [op!, arg!, 0, 0, 0] }));

/** bpf_skb_ecn_set_ce frames: IPv4 and IPv6 with each ECN value, other protocols, odd headers, edge checksums. */
export const ECN_CASES: readonly InfoCase[] = (() => {
  const frames: [string, Uint8Array][] = [];
  for (const tos of [0, 1, 2, 3, 0xfc, 0xfe]) frames.push([`IPv4 tos ${tos}`, infoFrame(64, 0x0800, tos)]);
  for (const tos of [0, 1, 2, 3, 0xfd]) frames.push([`IPv6 class ${tos}`, infoFrame(64, 0x86dd, tos)]);
  frames.push(['ARP', infoFrame(64, 0x0806, 1)]);
  const opts = infoFrame(64, 0x0800, 2);
  opts[14] = 0x46;
  frames.push(['IPv4 ihl 6', opts]);
  const version = infoFrame(64, 0x0800, 2);
  version[14] = 0x65;
  frames.push(['IPv4 ethertype, version 6', version]);
  const v6in4 = infoFrame(64, 0x0800, 2);
  v6in4[12] = 0x86;
  v6in4[13] = 0xdd;
  frames.push(['IPv6 ethertype, IPv4 bytes', v6in4]);
  frames.push(['IPv4, 34 bytes', infoFrame(34, 0x0800, 1)]);
  frames.push(['IPv6, 54 bytes', infoFrame(54, 0x86dd, 2)]);
  for (const sum of [0x0000, 0xffff, 0xfffe, 0x0001, 0x1234]) {
    for (const tos of [1, 2]) {
      const p = infoFrame(64, 0x0800, tos);
      p[24] = sum >> 8;
      p[25] = sum & 0xff;
      frames.push([`IPv4 tos ${tos}, checksum ${sum.toString(16)}`, p]);
    }
  }
  const vlan = infoFrame(68, 0x8100);
  vlan.set([0, 1, 0x08, 0x00, 0x45, 0x02], 14);
  frames.push(['802.1Q IPv4', vlan]);
  return frames.map(([name, frame]) => ({ name, frame, cb: [0, 0, 0, 0, 0] }));
})();

/** bpf_skb_load_bytes_relative: offset, length selector ((x & 15) + 1 bytes) and header, on an 80-byte frame. */
export const LOAD_REL_CASES: readonly InfoCase[] = (() => {
  const frame = infoFrame(80);
  return [
    [0, 4, 0], [0, 15, 0], [0, 15, 1], [14, 4, 0], [14, 4, 1], [50, 15, 1], [51, 15, 1], [65, 14, 0], [66, 14, 0], [66, 14, 1],
    [70, 10, 0], [79, 0, 0], [80, 0, 0], [0xffffffff, 4, 0], [0x7fffffff, 4, 1], [0x10000, 0, 0], [0xffff, 0, 0], [0, 4, 2],
    [0, 4, 0xffffffff], [-14 >>> 0, 4, 1],
  ].map(([off, len, hdr]) => ({ name: `offset ${off!}, length ${(len! & 15) + 1}, header ${hdr!}`, frame, cb: [0, off!, len!, hdr!, 0] }));
})();

/** bpf_skb_set_tstamp: time (low, high) and type, on IPv4, IPv6 and ARP frames. */
export const TSTAMP_CASES: readonly InfoCase[] = [
  [0, 0, 0], [5, 0, 0], [5, 0, 1], [0, 0, 1], [5, 0, 2], [5, 0, 3], [0, 0, 2], [1, 1, 1], [0xffffffff, 0xffffffff, 2], [0, 0, 0xffffffff],
  [7, 0, 0xffffffff],
].flatMap(([lo, hi, type]) =>
  ([['IPv4', 0x0800], ['IPv6', 0x86dd], ['ARP', 0x0806], ['802.1Q IPv4', 0x8100]] as const).map(([l3, et]) => ({ name: `${l3} ${lo!},${hi!} type ${type!}`, frame: vlanInner(infoFrame(64, et)), cb: [0, lo!, hi!, type!, 0] })),
);

/** A tagged frame's inner ethertype set to IPv4 (other frames as they are). */
function vlanInner(p: Uint8Array): Uint8Array {
  if (p[12] === 0x81) p.set([0, 1, 0x08, 0x00, 0x45, 0x00], 14);
  return p;
}

/** bpf_check_mtu on GSO skbs (tc): frame size, gso_size, gso_segs and the argument list. */
export const MTU_GSO_CASES: readonly (InfoCase & { readonly gsoSize: number; readonly gsoSegs: number })[] = [
  [3000, 100, 30], [3000, 1400, 3], [3000, 1487, 2], [1400, 1460, 1], [1515, 1000, 2],
].flatMap(([size, gsoSize, gsoSegs]) =>
  [[1, 0, 0, 0], [1, 0, 0, 1], [1, 1501, 0, 0], [1, 0, -2000, 0], [3, 0, 0, 0]].map((a) => ({
    name: `${size!} bytes gso ${gsoSize!}/${gsoSegs!}, ${a.join(',')}`, frame: infoFrame(size!), cb: [0, ...a.map((x) => x >>> 0)], gsoSize: gsoSize!, gsoSegs: gsoSegs!,
  })),
);

/**
 * bpf_map_lookup_percpu_elem, in order on one loaded object (each run leaves its increment): array
 * (cb[3] 0) or hash (1), key cb[1], CPU cb[2]. Runs on CPU 0 of a two-CPU host.
 */
export const PERCPU_CASES: readonly InfoCase[] = [
  [0, 0, 0], [0, 0, 0], [0, 1, 0], [0, 2, 0], [0, 0xffffffff, 0], [3, 1, 0], [4, 0, 0], [7, 0, 1], [7, 0, 1], [7, 1, 1], [7, 2, 1],
  [8, 0, 1], [0, 0, 0],
].map(([key, cpu, map]) => ({ name: `${map === 0 ? 'array' : 'hash'} key ${key!} cpu ${cpu!}`, frame: F, cb: [0, key!, cpu!, map!, 0] }));

/** A run shown for comparison: the retval, cb[] as signed numbers, and the packet when asked. */
export function showRun(c: InfoCase, retval: number | bigint, cb: readonly number[], packet?: Uint8Array): string {
  const bytes = packet === undefined ? '' : ` ${Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength).toString('hex')}`;
  return `${c.name}: ${Number(BigInt.asIntN(32, BigInt(retval)))} [${cb.map((x) => x | 0).join(',')}]${bytes}`;
}
