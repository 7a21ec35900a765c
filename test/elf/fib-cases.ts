/**
 * A host network for bpf_fib_lookup tests, as a tsbpf FIB description and as the `ip` commands that
 * build the same network in a fresh network namespace (veth devices with fixed indexes, addresses
 * without prefix routes so that the routes are exactly the described ones), plus lookup requests for
 * fixture fib.c: the packet carries `struct bpf_fib_lookup`, plen and flags; the program writes back
 * the struct and the return value.
 */
import type { FibDescription } from '../../src/helpers/fib-table.js';

export const HOST: FibDescription = {
  interfaces: [
    { ifindex: 10, mac: '02:00:00:00:00:11', mtu: 1400, addresses: ['10.0.0.2/24', 'fd00::2/64'] },
    { ifindex: 20, mac: '02:00:00:00:00:22' },
    { ifindex: 30, mac: '02:00:00:00:00:33', forwarding: false },
  ],
  routes: [
    { prefix: '10.0.0.0/24', ifindex: 10 },
    { prefix: '10.9.0.0/16', ifindex: 10, gateway: '10.0.0.1', metric: 5 },
    { prefix: '10.9.9.0/24', ifindex: 20, gateway: '10.0.0.9', metric: 7 },
    { prefix: '10.8.0.0/16', ifindex: 10, gateway: '10.0.0.7' },
    { prefix: '10.4.0.0/16', ifindex: 10, gateway: '10.0.0.44', metric: 9 },
    { prefix: '10.4.0.0/16', ifindex: 20, gateway: '10.0.0.45', metric: 3 },
    { prefix: '10.5.0.0/16', ifindex: 20 },
    { prefix: '10.66.0.0/16', type: 'blackhole' },
    { prefix: '10.67.0.0/16', type: 'unreachable' },
    { prefix: '10.68.0.0/16', type: 'prohibit' },
    { prefix: '10.7.0.0/16', ifindex: 20, table: 100 },
    { prefix: '10.6.0.0/16', ifindex: 20, gateway: '10.0.0.9', table: 253 },
    { prefix: 'fd01::/64', ifindex: 10, gateway: 'fd00::1' },
    { prefix: 'fd03::/64', ifindex: 20 },
    { prefix: 'fd04::/64', type: 'blackhole' },
  ],
  neighbours: [
    { ifindex: 10, address: '10.0.0.1', mac: '02:00:00:00:00:99' },
    { ifindex: 20, address: '10.0.0.45', mac: '02:00:00:00:00:45' },
    { ifindex: 20, address: '10.5.1.1', mac: '02:00:00:00:05:11' },
    { ifindex: 10, address: 'fd00::1', mac: '02:00:00:00:00:98' },
  ],
};

/** The `ip` / `sysctl` commands that build {@link HOST} in a new network namespace. */
export function namespaceCommands(host: FibDescription = HOST): string[][] {
  const cmds: string[][] = [
    ['sysctl', '-qw', 'net.ipv4.conf.all.forwarding=1'],
    ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1'],
  ];
  const name = (ifindex: number): string => `d${ifindex}`;
  for (const i of host.interfaces ?? []) {
    const dev = name(i.ifindex);
    cmds.push(['ip', 'link', 'add', dev, 'index', String(i.ifindex), 'type', 'veth', 'peer', 'name', `p${i.ifindex}`, 'index', String(i.ifindex + 1000)]);
    cmds.push(['ip', 'link', 'set', `p${i.ifindex}`, 'up']);
    cmds.push(['ip', 'link', 'set', dev, 'address', i.mac ?? '00:00:00:00:00:00', 'mtu', String(i.mtu ?? 1500), 'up']);
    for (const a of i.addresses ?? []) cmds.push(['ip', ...(a.includes(':') ? ['-6'] : []), 'addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : []), 'noprefixroute']);
    if (i.forwarding === false) cmds.push(['sysctl', '-qw', `net.ipv4.conf.${dev}.forwarding=0`]);
  }
  for (const r of host.routes ?? []) {
    const v6 = r.prefix.includes(':') ? ['-6'] : [];
    const type = r.type !== undefined && r.type !== 'unicast' ? [r.type] : [];
    const via = r.gateway !== undefined ? ['via', r.gateway] : [];
    const dev = r.ifindex !== undefined ? ['dev', name(r.ifindex), ...(r.gateway !== undefined ? ['onlink'] : [])] : [];
    const metric = r.metric !== undefined ? ['metric', String(r.metric)] : [];
    const table = r.table !== undefined ? ['table', String(r.table)] : [];
    cmds.push(['ip', ...v6, 'route', 'add', ...type, r.prefix, ...via, ...dev, ...metric, ...table]);
  }
  for (const n of host.neighbours ?? []) {
    cmds.push(['ip', ...(n.address.includes(':') ? ['-6'] : []), 'neigh', 'add', n.address, 'lladdr', n.mac, 'dev', name(n.ifindex), 'nud', 'permanent']);
  }
  return cmds;
}

/** A lookup request: the fields of struct bpf_fib_lookup it sets, plen and flags. */
export interface FibCase {
  readonly name: string;
  readonly family?: number;
  readonly ifindex?: number;
  readonly dst?: readonly number[];
  readonly totLen?: number;
  readonly tbid?: number;
  readonly flags?: number;
  readonly plen?: number;
  /** Bytes of the test packet (default 96). */
  readonly size?: number;
}

const v4 = (s: string): number[] => s.split('.').map(Number);
/** `fdXX::N`. */
const v6 = (net: number, host: number): number[] => [0xfd, net, ...Array<number>(13).fill(0), host];

/** Requests for fib.c, each on XDP and tc. IPv4 ones and every error case are compared with the kernel. */
export const CASES: readonly FibCase[] = [
  { name: 'no route', dst: v4('172.16.0.1') },
  { name: 'connected, no neighbour', dst: v4('10.0.0.5') },
  { name: 'gateway with neighbour', dst: v4('10.9.1.1') },
  { name: 'gateway, OUTPUT', dst: v4('10.9.1.1'), flags: 2 },
  { name: 'longer prefix, other interface, no neighbour', dst: v4('10.9.9.1'), ifindex: 20 },
  { name: 'gateway without neighbour', dst: v4('10.8.1.1') },
  { name: 'gateway without neighbour, SKIP_NEIGH', dst: v4('10.8.1.1'), flags: 4 },
  { name: 'connected, SKIP_NEIGH', dst: v4('10.0.0.5'), flags: 4 },
  { name: 'lowest metric wins', dst: v4('10.4.1.1'), ifindex: 20, tbid: 0x12345678 },
  { name: 'directly connected with neighbour', dst: v4('10.5.1.1') },
  { name: 'over the MTU', dst: v4('10.9.1.1'), totLen: 1401 },
  { name: 'at the MTU', dst: v4('10.9.1.1'), totLen: 1400 },
  { name: 'tot_len 65535', dst: v4('10.9.1.1'), totLen: 65535, ifindex: 20, tbid: 0x12345678 },
  { name: 'over the MTU, no neighbour', dst: v4('10.8.1.1'), totLen: 1401 },
  { name: 'blackhole', dst: v4('10.66.1.1') },
  { name: 'unreachable', dst: v4('10.67.1.1') },
  { name: 'prohibit', dst: v4('10.68.1.1') },
  { name: 'local address', dst: v4('10.0.0.2') },
  { name: 'subnet broadcast', dst: v4('10.0.0.255') },
  { name: 'local address, DIRECT', dst: v4('10.0.0.2'), flags: 1 | 4 },
  { name: 'table 100 without TBID', dst: v4('10.7.1.1'), flags: 4 },
  { name: 'TBID without DIRECT', dst: v4('10.7.1.1'), flags: 8 | 4, tbid: 100 },
  { name: 'DIRECT|TBID, missing table', dst: v4('10.7.1.1'), flags: 1 | 8 | 4, tbid: 77 },
  { name: 'DIRECT|TBID table 100, no route there', dst: v4('10.8.1.1'), flags: 1 | 8 | 4, tbid: 100 },
  { name: 'DIRECT|TBID table 254 (main)', dst: v4('10.9.1.1'), flags: 1 | 8, tbid: 254 },
  { name: 'DIRECT|TBID table 100', dst: v4('10.7.1.1'), flags: 1 | 8 | 4, tbid: 100 },
  { name: 'default table through the rules', dst: v4('10.6.1.1'), flags: 4 },
  { name: 'default table, DIRECT', dst: v4('10.6.1.1'), flags: 1 | 4 },
  { name: 'DIRECT', dst: v4('10.9.1.1'), flags: 1 },
  { name: 'SRC', dst: v4('10.9.1.1'), flags: 16 },
  { name: 'SRC from another interface', dst: v4('10.5.1.1'), flags: 16 | 4 },
  { name: 'MARK', dst: v4('10.9.1.1'), flags: 32 },
  { name: 'unknown flag', dst: v4('10.9.1.1'), flags: 64 },
  { name: 'high flag bit', dst: v4('10.9.1.1'), flags: 0x80000000 },
  { name: 'family 3', family: 3, dst: v4('10.9.1.1') },
  { name: 'family 0', family: 0, dst: v4('10.9.1.1') },
  { name: 'plen 63', dst: v4('10.9.1.1'), plen: 63 },
  { name: 'plen 1', dst: v4('10.9.1.1'), plen: 1 },
  { name: 'plen 65', dst: v4('10.9.1.1'), plen: 65 },
  { name: 'plen 128', dst: v4('10.9.1.1'), plen: 128 },
  { name: 'ifindex 0', dst: v4('10.9.1.1'), ifindex: 0 },
  { name: 'unknown ifindex', dst: v4('10.9.1.1'), ifindex: 99 },
  { name: 'unknown ifindex, OUTPUT', dst: v4('10.9.1.1'), ifindex: 99, flags: 2 },
  { name: 'loopback ingress', dst: v4('10.9.1.1'), ifindex: 1 },
  { name: 'forwarding disabled', dst: v4('10.9.1.1'), ifindex: 30 },
  { name: 'forwarding disabled, OUTPUT', dst: v4('10.9.1.1'), ifindex: 30, flags: 2 },
  { name: 'tot_len 0', dst: v4('10.9.1.1'), totLen: 0 },
  { name: 'long packet, tot_len 0 (fits with Ethernet + VLAN)', dst: v4('10.9.1.1'), totLen: 0, size: 1418 },
  { name: 'longer packet, tot_len 0', dst: v4('10.9.1.1'), totLen: 0, size: 1419 },
  { name: 'long packet, tot_len given', dst: v4('10.9.1.1'), totLen: 100, size: 1500 },
  { name: 'IPv6 gateway with neighbour', family: 10, dst: v6(1, 5) },
  { name: 'IPv6 connected, SKIP_NEIGH', family: 10, dst: v6(3, 5), flags: 4 },
  { name: 'IPv6 connected, no neighbour', family: 10, dst: v6(3, 5) },
  { name: 'IPv6 blackhole', family: 10, dst: v6(4, 5) },
  { name: 'IPv6 no route', family: 10, dst: v6(2, 5) },
  { name: 'IPv6 local', family: 10, dst: v6(0, 2) },
  { name: 'IPv6 over the MTU', family: 10, dst: v6(1, 5), totLen: 1401 },
  { name: 'IPv6 SRC', family: 10, dst: v6(1, 5), flags: 16 },
  { name: 'IPv6 plen 63', family: 10, dst: v6(1, 5), plen: 63 },
];

/** The test packet of a case (see fib.c). */
export function casePacket(c: FibCase): Uint8Array {
  const b = new Uint8Array(c.size ?? 96);
  const v = new DataView(b.buffer);
  b[0] = c.family ?? 2;
  b[1] = 6;
  v.setUint16(6, c.totLen ?? 100, true);
  v.setUint32(8, c.ifindex ?? 10, true);
  if (c.dst !== undefined) b.set(c.dst, 32);
  if (c.tbid !== undefined) v.setUint32(48, c.tbid, true);
  v.setUint32(64, c.plen ?? 64, true);
  v.setUint32(68, c.flags ?? 0, true);
  return b;
}

/** A case's result as text: the return value and the struct's fields. */
export function describeResult(packet: Uint8Array): string {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const hex = (a: number, b: number): string => Buffer.from(packet.subarray(a, b)).toString('hex');
  return `ret ${v.getBigInt64(72, true)} family ${packet[0]} mtu/tot ${v.getUint16(6, true)} ifindex ${v.getUint32(8, true)} metric ${v.getUint32(12, true)} src ${hex(16, 32)} dst ${hex(32, 48)} vlan/tbid ${hex(48, 52)} smac ${hex(52, 58)} dmac ${hex(58, 64)}`;
}
