/**
 * Probes for sk_lookup.c: a packet asking for one socket lookup (see the fixture's comment), and the
 * answer read back from the packet as one line, so tsbpf and the kernel can be compared as text.
 */
import { parseAddress } from '../../src/helpers/fib-table.js';

/** One lookup: the tuple (`src` is the packet's source, the socket's peer), the helper and its arguments. */
export interface SocketProbe {
  readonly name: string;
  readonly protocol: 'tcp' | 'udp' | 'skc';
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
  /** Call bpf_sk_assign on the socket found. */
  readonly assign?: boolean;
  /** Default: 12 for IPv4 addresses, 36 for IPv6. */
  readonly size?: number;
  /** Default: -1 (the program's own namespace). */
  readonly netns?: bigint;
  readonly flags?: bigint;
}

/** The program a probe runs in. */
export const probeProgram = (p: SocketProbe): 'sk_probe' | 'skc_probe' => (p.protocol === 'skc' ? 'skc_probe' : 'sk_probe');

/** The 160-byte packet of a probe. */
export function probePacket(p: SocketProbe): Uint8Array {
  const d = new Uint8Array(160);
  const v = new DataView(d.buffer);
  const s = parseAddress(p.src)!;
  const t = parseAddress(p.dst)!;
  const a = s.length;
  d.set(s, 0);
  d.set(t, a);
  v.setUint16(2 * a, p.sport);
  v.setUint16(2 * a + 2, p.dport);
  v.setUint32(36, p.size ?? (a === 4 ? 12 : 36), true);
  v.setUint32(40, (p.protocol === 'udp' ? 1 : 0) | (p.assign === true ? 8 : 0), true);
  v.setBigUint64(44, BigInt.asUintN(64, p.netns ?? -1n), true);
  v.setBigUint64(52, p.flags ?? 0n, true);
  return d;
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** The answer in a probe's packet after the run: found or not, then every struct bpf_sock field. */
export function describeProbe(d: Uint8Array, withAssign = true): string {
  const v = new DataView(d.buffer, d.byteOffset, d.length);
  if (v.getBigUint64(144, true) === 0n) return 'none';
  const f = (o: number): number => v.getUint32(64 + o, true);
  const fields = [
    `dev ${f(0)}`,
    `family ${f(4)}`,
    `type ${f(8)}`,
    `protocol ${f(12)}`,
    `mark ${f(16)}`,
    `priority ${f(20)}`,
    `src ${hex(d.subarray(88, 92))} ${hex(d.subarray(92, 108))}:${f(44)}`,
    `dst ${hex(d.subarray(116, 120))} ${hex(d.subarray(120, 136))}:${hex(d.subarray(112, 114))} pad ${hex(d.subarray(114, 116))}`,
    `state ${f(72)}`,
    `rxq ${v.getInt32(64 + 76, true)}`,
  ];
  if (withAssign) fields.push(`assign ${v.getBigInt64(152, true)}`);
  return fields.join(' ');
}
