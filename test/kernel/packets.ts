/**
 * Packets for the kernel differential tests: Ethernet frames (IPv4 / IPv6 with TCP, UDP, ICMP; ARP;
 * 802.1Q and QinQ VLAN tags; IPv4 options and fragments; DNS), truncated copies and odd sizes, from a
 * fixed seed. Checksums are not computed (no program here depends on them being right).
 */

/** A seeded 32-bit generator (mulberry32): the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same generator as numbers in [0, 1). */
export function rngUnit(seed: number): () => number {
  const next = rng(seed);
  return () => next() / 4294967296;
}

/** A named test packet. */
export interface TestPacket {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** Destination MACs: the test device's own (lo: all zero), broadcast, multicast, another host's. */
const MACS: Record<string, number[]> = {
  host: [0, 0, 0, 0, 0, 0],
  broadcast: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  multicast: [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb],
  other: [0x02, 0x11, 0x22, 0x33, 0x44, 0x55],
};

function ipv4(proto: number, l4: number[], opts: { src?: number; dst?: number; options?: number[]; frag?: number } = {}): number[] {
  const options = opts.options ?? [];
  const ihl = 5 + options.length / 4;
  const total = ihl * 4 + l4.length;
  return [
    0x40 | ihl, 0, ...be16(total), ...be16(0x1234), ...be16(opts.frag ?? 0x4000), 64, proto, 0, 0,
    ...be32(opts.src ?? 0x0a000001), ...be32(opts.dst ?? 0x0a000002), ...options, ...l4,
  ];
}

function ipv6(next: number, l4: number[]): number[] {
  const src = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];
  const dst = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2];
  return [0x60, 0, 0, 0, ...be16(l4.length), next, 64, ...src, ...dst, ...l4];
}

const tcp = (sport: number, dport: number, flags: number, payload: number[]): number[] => [
  ...be16(sport), ...be16(dport), ...be32(1), ...be32(0), 0x50, flags, ...be16(0xffff), 0, 0, 0, 0, ...payload,
];
const udp = (sport: number, dport: number, payload: number[]): number[] => [...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0, ...payload];
const icmp = (type: number, payload: number[]): number[] => [type, 0, 0, 0, 0, 1, 0, 1, ...payload];

function ether(dst: number[], type: number, body: number[], tags: number[][] = []): number[] {
  const out = [...dst, 0x02, 0, 0, 0, 0, 0x01];
  for (const t of tags) out.push(...t);
  return [...out, ...be16(type), ...body];
}

/**
 * The packet set: every kind with each destination MAC kind, plus truncations and odd sizes. All are
 * at least 14 bytes (BPF_PROG_TEST_RUN refuses shorter skb and XDP inputs).
 */
export function testPackets(seed = 1): TestPacket[] {
  const r = rng(seed);
  const bytes = (n: number): number[] => Array.from({ length: n }, () => r() & 0xff);
  const dns = [...be16(0xbeef), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1];
  const kinds: [string, (dst: number[]) => number[]][] = [
    ['ipv4-tcp-syn', (d) => ether(d, 0x0800, ipv4(6, tcp(40000, 80, 0x02, [])))],
    ['ipv4-tcp-data', (d) => ether(d, 0x0800, ipv4(6, tcp(443, 51000, 0x18, bytes(37))))],
    ['ipv4-udp', (d) => ether(d, 0x0800, ipv4(17, udp(5000, 6000, bytes(20))))],
    ['ipv4-udp-dns', (d) => ether(d, 0x0800, ipv4(17, udp(33333, 53, dns)))],
    ['ipv4-udp-dns-reply', (d) => ether(d, 0x0800, ipv4(17, udp(53, 33333, dns)))],
    ['ipv4-icmp', (d) => ether(d, 0x0800, ipv4(1, icmp(8, bytes(16))))],
    ['ipv4-options', (d) => ether(d, 0x0800, ipv4(17, udp(1, 2, bytes(5)), { options: [0x94, 4, 0, 0, 1, 1, 1, 0] }))],
    ['ipv4-fragment', (d) => ether(d, 0x0800, ipv4(17, bytes(24), { frag: 0x2005 }))],
    ['ipv4-blocked-src', (d) => ether(d, 0x0800, ipv4(6, tcp(1, 22, 0x02, []), { src: 0xc0a80001 }))],
    ['ipv6-tcp', (d) => ether(d, 0x86dd, ipv6(6, tcp(1234, 22, 0x02, bytes(3))))],
    ['ipv6-udp', (d) => ether(d, 0x86dd, ipv6(17, udp(53, 9999, dns)))],
    ['ipv6-icmp', (d) => ether(d, 0x86dd, ipv6(58, icmp(128, bytes(8))))],
    ['arp', (d) => ether(d, 0x0806, [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, ...be32(0x0a000001), 0, 0, 0, 0, 0, 0, ...be32(0x0a000002)])],
    ['vlan-ipv4-udp', (d) => ether(d, 0x0800, ipv4(17, udp(7, 53, bytes(12))), [[0x81, 0x00, 0x00, 0x64]])],
    ['qinq-ipv4-tcp', (d) => ether(d, 0x0800, ipv4(6, tcp(80, 8080, 0x10, bytes(9))), [[0x88, 0xa8, 0x00, 0x0a], [0x81, 0x00, 0x20, 0x14]])],
    ['unknown-ethertype', (d) => ether(d, 0x88b5, bytes(46))],
    ['jumbo-udp', (d) => ether(d, 0x0800, ipv4(17, udp(9, 10, bytes(1472))))],
  ];
  const out: TestPacket[] = [];
  for (const [name, make] of kinds) {
    for (const [mac, dst] of Object.entries(MACS)) out.push({ name: `${name}/${mac}`, bytes: new Uint8Array(make(dst)) });
  }
  // Truncations of a few full packets at every header boundary and odd points.
  const full = out.filter((p) => /^(ipv4-tcp-data|ipv4-udp-dns|ipv6-udp|vlan-ipv4-udp)\/host$/.test(p.name));
  for (const p of full) {
    for (const cut of [14, 15, 17, 20, 23, 26, 33, 34, 35, 37, 41, 42, 53, 54, 55, 61]) {
      if (cut < p.bytes.length) out.push({ name: `${p.name}/cut${cut}`, bytes: p.bytes.slice(0, cut) });
    }
  }
  // Random bytes of odd sizes (random ethertypes and headers).
  for (const size of [14, 19, 63, 64, 65, 127, 255, 1023, 1514]) out.push({ name: `random-${size}`, bytes: new Uint8Array(bytes(size)) });
  return out;
}

/**
 * `skb->pkt_type` as `eth_type_trans` sets it on the device BPF_PROG_TEST_RUN uses (lo: address and
 * broadcast address both 00:00:00:00:00:00): multicast bit → MULTICAST (2), own address → HOST (0),
 * else OTHERHOST (3).
 */
export function testRunPktType(packet: Uint8Array): number {
  if ((packet[0]! & 1) !== 0) return 2;
  return packet.subarray(0, 6).every((b) => b === 0) ? 0 : 3;
}

/** An IPv6 extension header: next header, length in 8-byte units beyond the first 8, then `body` (padded). */
function ext6(next: number, body: number[]): number[] {
  const total = Math.ceil((body.length + 2) / 8) * 8;
  return [next, total / 8 - 1, ...body, ...new Array<number>(total - 2 - body.length).fill(0)];
}

/**
 * Packets for programs that parse deeper (load balancers, tunnel decapsulators, IPv6 parsers): IPv6
 * extension header chains (hop-by-hop, routing, destination options, fragment) before TCP/UDP/ICMPv6,
 * IP-in-IP tunnels (IPv4 in IPv4, IPv6 in IPv6, IPv4 in IPv6), GUE (UDP port 6080 carrying IPv4 or IPv6),
 * GRE, TCP with options, ICMP errors quoting an inner header (destination unreachable / fragmentation
 * needed, ICMPv6 packet too big), VLAN-tagged IPv6, and IPv6 non-first fragments. Destination MAC: the
 * test device's own and another host's.
 */
export function deepPackets(seed = 2): TestPacket[] {
  const r = rng(seed);
  const bytes = (n: number): number[] => Array.from({ length: n }, () => r() & 0xff);
  const inner4 = ipv4(6, tcp(41000, 80, 0x02, bytes(4)), { src: 0x0a000063, dst: 0x0a000101 });
  const inner6 = ipv6(17, udp(42000, 443, bytes(12)));
  const tcpOpts = (sport: number, dport: number): number[] => [
    ...be16(sport), ...be16(dport), ...be32(7), ...be32(0), 0x80, 0x02, ...be16(0xffff), 0, 0, 0, 0,
    2, 4, 0x05, 0xb4, 1, 1, 8, 10, ...be32(1), ...be32(0), 1, 3, 3, 7,
  ];
  const gue = (inner: number[], proto: number): number[] => [0, proto, 0, 0, ...inner];
  const kinds: [string, (dst: number[]) => number[]][] = [
    ['ipv6-hbh-tcp', (d) => ether(d, 0x86dd, ipv6(0, [...ext6(6, [5, 2, 0, 0, 1, 0]), ...tcp(1000, 80, 0x02, [])]))],
    ['ipv6-routing-udp', (d) => ether(d, 0x86dd, ipv6(43, [...ext6(17, [0, 0, 0, 0, 0, 0, ...bytes(16)]), ...udp(53, 53, bytes(8))]))],
    ['ipv6-dstopt-frag-tcp', (d) => ether(d, 0x86dd, ipv6(60, [...ext6(44, [1, 4, 0, 0, 0, 0]), 6, 0, 0, 1, ...be32(0xabcd), ...tcp(22, 2222, 0x10, bytes(6))]))],
    ['ipv6-frag-later', (d) => ether(d, 0x86dd, ipv6(44, [17, 0, 0x05, 0x28, ...be32(0x1111), ...bytes(24)]))],
    ['ipv6-hbh-icmp6', (d) => ether(d, 0x86dd, ipv6(0, [...ext6(58, [1, 4, 0, 0, 0, 0]), ...icmp(128, bytes(8))]))],
    ['ipip', (d) => ether(d, 0x0800, ipv4(4, inner4, { dst: 0x0a0000fe }))],
    ['ip6ip6', (d) => ether(d, 0x86dd, ipv6(41, inner6))],
    ['ip4in6', (d) => ether(d, 0x86dd, ipv6(4, inner4))],
    ['gue-ipv4', (d) => ether(d, 0x0800, ipv4(17, udp(31000, 6080, gue(inner4, 4)), { dst: 0x0a0000fe }))],
    ['gue-ipv6', (d) => ether(d, 0x86dd, ipv6(17, udp(31000, 6080, gue(inner6, 41))))],
    ['gre-ipv4', (d) => ether(d, 0x0800, ipv4(47, [0, 0, 0x08, 0x00, ...inner4]))],
    ['tcp-options', (d) => ether(d, 0x0800, ipv4(6, tcpOpts(50000, 443)))],
    ['ipv6-tcp-options', (d) => ether(d, 0x86dd, ipv6(6, tcpOpts(50001, 80)))],
    ['icmp-frag-needed', (d) => ether(d, 0x0800, ipv4(1, [3, 4, 0, 0, 0, 0, 0x05, 0xdc, ...inner4.slice(0, 28)]))],
    ['icmp-unreachable', (d) => ether(d, 0x0800, ipv4(1, [3, 3, 0, 0, 0, 0, 0, 0, ...ipv4(17, udp(5353, 53, bytes(8)))]))],
    ['icmp6-too-big', (d) => ether(d, 0x86dd, ipv6(58, [2, 0, 0, 0, ...be32(1280), ...inner6.slice(0, 48)]))],
    ['vlan-ipv6-tcp', (d) => ether(d, 0x86dd, ipv6(6, tcp(3000, 22, 0x02, [])), [[0x81, 0x00, 0x00, 0x07]])],
    ['ipv4-ttl1-udp', (d) => ether(d, 0x0800, ipv4(17, udp(4000, 33434, bytes(12))).map((b, i) => (i === 8 ? 1 : b)))],
  ];
  const out: TestPacket[] = [];
  for (const [name, make] of kinds) {
    for (const mac of ['host', 'other'] as const) out.push({ name: `${name}/${mac}`, bytes: new Uint8Array(make(MACS[mac]!)) });
  }
  return out;
}
