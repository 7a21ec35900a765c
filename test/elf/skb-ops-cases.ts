/**
 * Requests for tc_skb_ops.c's programs (VLAN push/pop, clone_redirect, tunnel options), compared with
 * the kernel by test/kernel/skb-ops.test.ts and run without one by test/elf/skb-ops.test.ts.
 */

/** An Ethernet frame of `length` bytes whose ethertype chain is `tags` (0x8100 / 0x88a8 with a TCI each) then IPv4. */
export function framed(length: number, tags: readonly (readonly [number, number])[] = []): Uint8Array {
  const b = new Uint8Array(length);
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  let at = 12;
  for (const [proto, tci] of tags) {
    b.set([proto >> 8, proto & 0xff, tci >> 8, tci & 0xff], at);
    at += 4;
  }
  b.set([0x08, 0x00, 0x45].slice(0, Math.max(0, length - at)), at);
  // The rest is a pattern, so that a tag inserted or removed shows in the bytes.
  for (let i = at + 3; i < length; i++) b[i] = i & 0xff;
  return b;
}

export type VlanStep = readonly ['push', number, number] | readonly ['pop'];

export interface VlanCase {
  readonly name: string;
  /** VLAN tags the frame carries in its bytes. */
  readonly tags: readonly (readonly [number, number])[];
  readonly steps: readonly VlanStep[];
}

const Q = 0x8100;
const AD = 0x88a8;

export const VLAN_CASES: readonly VlanCase[] = [
  { name: 'push one', tags: [], steps: [['push', Q, 5]] },
  { name: 'push two', tags: [], steps: [['push', Q, 5], ['push', AD, 6]] },
  { name: 'push three', tags: [], steps: [['push', Q, 1], ['push', Q, 2], ['push', AD, 3]] },
  { name: 'push onto a tagged frame', tags: [[Q, 9]], steps: [['push', AD, 7]] },
  { name: 'push twice onto a tagged frame', tags: [[Q, 9]], steps: [['push', AD, 7], ['push', AD, 8]] },
  { name: 'pop a tagged frame', tags: [[Q, 9]], steps: [['pop']] },
  { name: 'pop a double-tagged frame', tags: [[AD, 1], [Q, 2]], steps: [['pop']] },
  { name: 'pop a double-tagged frame twice', tags: [[AD, 1], [Q, 2]], steps: [['pop'], ['pop']] },
  { name: 'pop a double-tagged frame three times', tags: [[AD, 1], [Q, 2]], steps: [['pop'], ['pop'], ['pop']] },
  { name: 'pop an untagged frame', tags: [], steps: [['pop']] },
  { name: 'push then pop', tags: [], steps: [['push', Q, 5], ['pop']] },
  { name: 'push, push, pop, pop', tags: [], steps: [['push', Q, 5], ['push', AD, 6], ['pop'], ['pop']] },
  { name: 'push, push, pop', tags: [], steps: [['push', Q, 5], ['push', Q, 6], ['pop']] },
  { name: 'push an unknown protocol (taken as 802.1Q)', tags: [], steps: [['push', 0x1234, 5], ['push', 0x0800, 6]] },
  { name: 'push every TCI bit', tags: [], steps: [['push', Q, 0xffff], ['push', AD, 0xefff]] },
  { name: 'push onto a tagged frame then pop twice', tags: [[Q, 9]], steps: [['push', AD, 7], ['pop'], ['pop']] },
  { name: 'pop, push onto a double-tagged frame', tags: [[AD, 1], [Q, 2]], steps: [['pop'], ['push', Q, 3]] },
  { name: 'three tags in the frame, pop four times', tags: [[AD, 1], [Q, 2], [Q, 3]], steps: [['pop'], ['pop'], ['pop'], ['pop']] },
];

/** The packet of a VLAN case: the steps at bytes 32-63 (see tc_skb_ops.c vlan). */
export function vlanPacket(c: VlanCase): Uint8Array {
  const b = framed(192, c.tags);
  const v = new DataView(b.buffer);
  b.fill(0, 32, 64);
  c.steps.forEach((s, i) => {
    b[32 + 8 * i] = s[0] === 'push' ? 1 : 2;
    if (s[0] === 'push') {
      v.setUint16(34 + 8 * i, s[1], false); // network order: the helper's __be16
      v.setUint16(36 + 8 * i, s[2], true);
    }
  });
  return b;
}

/** What a VLAN run left: per step its result and the skb's VLAN fields, then the whole packet. */
export function vlanResult(c: VlanCase, packet: Uint8Array): string {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const steps = c.steps.map((s, i) => {
    const at = 64 + 24 * i;
    const [ret, len, present, tci, proto, protocol] = [0, 4, 8, 12, 16, 20].map((o) => (o === 0 ? v.getInt32(at, true) : v.getUint32(at + o, true)));
    return `${s[0]} ${ret} len ${len} present ${present} tci ${tci} proto ${proto!.toString(16)} protocol ${protocol!.toString(16)}`;
  });
  return `${steps.join('; ')} | ${packet.length} ${Buffer.from(packet).toString('hex')}`;
}

export interface CloneCase {
  readonly name: string;
  readonly clones: readonly (readonly [number, bigint])[];
  /** The program's verdict after the clones. */
  readonly verdict?: number;
}

export const CLONE_CASES: readonly CloneCase[] = [
  { name: 'to the loopback egress', clones: [[1, 0n]] },
  { name: 'to the loopback ingress', clones: [[1, 1n]] },
  { name: 'to a veth egress', clones: [[10, 0n]] },
  { name: 'to a veth ingress', clones: [[20, 1n]] },
  { name: 'to three interfaces, then drop', clones: [[10, 0n], [20, 0n], [30, 1n]], verdict: 2 },
  { name: 'twice to one interface', clones: [[10, 0n], [10, 0n]] },
  { name: 'to a missing interface', clones: [[999, 0n]] },
  { name: 'with an unknown flag', clones: [[10, 2n]] },
  { name: 'with a high flag', clones: [[10, 1n << 40n]] },
  { name: 'a missing one between two', clones: [[10, 0n], [4242, 1n], [20, 0n]] },
  { name: 'to the largest index', clones: [[0xffffffff, 0n]] },
];

/** The packet of a clone case (see tc_skb_ops.c clone). */
export function clonePacket(c: CloneCase): Uint8Array {
  const b = framed(128);
  const v = new DataView(b.buffer);
  b.fill(0, 16, 64);
  c.clones.forEach(([ifindex, flags], i) => {
    v.setUint32(16 + 12 * i, ifindex, true);
    v.setBigUint64(20 + 12 * i, flags, true);
  });
  b[63] = c.verdict ?? 0;
  return b;
}

/** The clone results, the verdict and the packet. */
export function cloneResult(retval: number | bigint, packet: Uint8Array): string {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const res = [0, 1, 2, 3].map((i) => v.getBigInt64(64 + 8 * i, true)).join(' ');
  return `verdict ${retval} results ${res} | ${Buffer.from(packet).toString('hex')}`;
}

export interface TunnelOptCase {
  readonly name: string;
  /** set_tunnel_key first, with these flags. */
  readonly key?: number;
  /** set_tunnel_opt size (0 or absent: not called). */
  readonly set?: number;
  /** get_tunnel_opt size (0 or absent: not called). */
  readonly get?: number;
}

export const TUNNEL_OPT_CASES: readonly TunnelOptCase[] = [
  { name: 'get without metadata', get: 8 },
  { name: 'set without a key', set: 8, get: 8 },
  { name: 'key, no options, get', key: 0, get: 8 },
  ...[4, 8, 12, 64, 252].map((set) => ({ name: `key, set ${set}, get 256`, key: 0, set, get: 256 })),
  ...[1, 2, 3, 6, 254, 255, 256].map((set) => ({ name: `key, set ${set} (not a multiple of 4 or too big)`, key: 0, set, get: 256 })),
  ...[1, 4, 7, 8, 9, 16].map((get) => ({ name: `key, set 8, get ${get}`, key: 0, set: 8, get })),
  { name: 'IPv6 key, set 12, get 12', key: 1, set: 12, get: 12 },
  { name: 'key, set 16, no get', key: 0, set: 16 },
  { name: 'bad key flags, set 8, get 8', key: 64, set: 8, get: 8 },
];

/** The packet of a tunnel option case (see tc_skb_ops.c tunnel_opt): options data at 160 on. */
export function tunnelOptPacket(c: TunnelOptCase): Uint8Array {
  const b = framed(416);
  const v = new DataView(b.buffer);
  b.fill(0, 14, 64);
  if (c.key !== undefined) {
    b[14] = 1;
    v.setBigUint64(16, BigInt(c.key), true);
  }
  v.setUint32(24, c.set ?? 0, true);
  v.setUint32(28, c.get ?? 0, true);
  for (let i = 0; i < 256; i++) b[160 + i] = (i * 7 + 3) & 0xff;
  return b;
}

/** The results, the key's tunnel flags and the bytes got. */
export function tunnelOptResult(packet: Uint8Array): string {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const r = [64, 72, 80, 88].map((o) => v.getBigInt64(o, true));
  return `setkey ${r[0]} setopt ${r[1]} getopt ${r[2]} getkey ${r[3]} flags ${v.getUint16(96, false).toString(16)} got ${Buffer.from(packet.subarray(160, 416)).toString('hex')}`;
}

/** vlan_cb requests: one step on frames too short or just long enough to take tags out of. */
export interface VlanCbCase {
  readonly name: string;
  readonly frame: Uint8Array;
  /** cb[0..2]: 1 push / 2 pop, protocol (network order, as a u16 read little-endian), TCI. */
  readonly cb: readonly [number, number, number];
}

export const VLAN_CB_CASES: readonly VlanCbCase[] = [
  ...[14, 15, 16, 17, 18, 19].map((n) => ({ name: `pop a tagged ${n}-byte frame`, frame: framed(30, [[Q, 3]]).slice(0, n), cb: [2, 0, 0] as const })),
  ...[18, 19, 20, 21, 22, 23].map((n) => ({ name: `pop a double-tagged ${n}-byte frame`, frame: framed(30, [[AD, 1], [Q, 3]]).slice(0, n), cb: [2, 0, 0] as const })),
  // (BPF_PROG_TEST_RUN refuses an IPv4 frame too short for an IPv4 header: 34 bytes is the shortest.)
  ...[34, 60].map((n) => ({ name: `push onto an untagged ${n}-byte frame`, frame: framed(n), cb: [1, 0xa888, 7] as const })),
  { name: 'pop an untagged 34-byte frame', frame: framed(34), cb: [2, 0, 0] },
];

/** The result and cb[0..3] after a vlan_cb run (present, tci, proto, len), and the packet. */
export function vlanCbResult(retval: number | bigint, cb: readonly number[], packet: Uint8Array): string {
  return `${BigInt.asIntN(32, BigInt(retval))} present ${cb[0]} tci ${cb[1]} proto ${cb[2]!.toString(16)} len ${cb[3]} | ${Buffer.from(packet).toString('hex')}`;
}
