/**
 * Writes the example captures deterministically: examples/traffic.pcap (classic pcap) and
 * examples/traffic.pcapng (the same packets as pcapng). Run with `npx tsx scripts/gen-example-captures.ts`.
 * The packet list is exported so that tests can derive expected results from it.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writePcap } from '../src/pcap/writer.js';

/** One generated packet and what it is, for tests and humans. */
export interface ExamplePacket {
  /** Short description. */
  readonly what: string;
  /** Ethernet frame bytes. */
  readonly data: Uint8Array;
}

const MAC_A = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const MAC_B = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

function ip4(text: string): number[] {
  return text.split('.').map(Number);
}

function be16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

/** The Internet checksum (RFC 1071) of `bytes`. */
export function inetChecksum(bytes: readonly number[] | Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ethernet(etherType: number, payload: number[]): Uint8Array {
  return Uint8Array.from([...MAC_B, ...MAC_A, ...be16(etherType), ...payload]);
}

function ipv4(proto: number, src: string, dst: string, ttl: number, payload: number[]): Uint8Array {
  const header = [0x45, 0, ...be16(20 + payload.length), 0x12, 0x34, 0x40, 0, ttl, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  const sum = inetChecksum(header);
  header[10] = sum >> 8;
  header[11] = sum & 0xff;
  return ethernet(0x0800, [...header, ...payload]);
}

function tcp(src: string, sport: number, dst: string, dport: number, ttl = 64): Uint8Array {
  // SYN, window 64240; the TCP checksum is left 0 (no program here reads it).
  const seg = [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, ...be16(64240), 0, 0, 0, 0];
  return ipv4(6, src, dst, ttl, seg);
}

function udp(src: string, sport: number, dst: string, dport: number, body: number[], ttl = 64): Uint8Array {
  return ipv4(17, src, dst, ttl, [...be16(sport), ...be16(dport), ...be16(8 + body.length), 0, 0, ...body]);
}

const DNS_QUERY = [0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...'example'.split('').map((c) => c.charCodeAt(0)), 3, 0x63, 0x6f, 0x6d, 0, 0, 1, 0, 1];

/** The packets of examples/traffic.pcap, in order. */
export function exampleTraffic(): ExamplePacket[] {
  const icmpEcho = [8, 0, 0, 0, 0, 1, 0, 1, ...Array.from({ length: 16 }, (_, i) => i)];
  const icmpSum = inetChecksum(icmpEcho);
  icmpEcho[2] = icmpSum >> 8;
  icmpEcho[3] = icmpSum & 0xff;
  const arp = [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...ip4('10.0.0.1'), 0, 0, 0, 0, 0, 0, ...ip4('10.0.0.2')];
  const ipv6Udp = [0x60, 0, 0, 0, ...be16(8 + 4), 17, 64, ...Array(15).fill(0), 1, ...Array(15).fill(0), 2, ...be16(5000), ...be16(53), ...be16(12), 0, 0, 1, 2, 3, 4];
  return [
    { what: 'TCP 10.0.0.1:40000 > 10.0.0.2:80 (web)', data: tcp('10.0.0.1', 40000, '10.0.0.2', 80) },
    { what: 'TCP 10.0.0.1:40001 > 10.0.0.2:443 (web)', data: tcp('10.0.0.1', 40001, '10.0.0.2', 443) },
    { what: 'TCP 192.168.1.66:50000 > 10.0.0.2:23 (telnet)', data: tcp('192.168.1.66', 50000, '10.0.0.2', 23) },
    { what: 'UDP 10.0.0.1:5353 > 8.8.8.8:53 (DNS query)', data: udp('10.0.0.1', 5353, '8.8.8.8', 53, DNS_QUERY) },
    { what: 'UDP 8.8.8.8:53 > 10.0.0.1:5353 (DNS reply)', data: udp('8.8.8.8', 53, '10.0.0.1', 5353, [...DNS_QUERY, 1, 2, 3, 4], 57) },
    { what: 'ICMP echo 10.0.0.1 > 10.0.0.2', data: ipv4(1, '10.0.0.1', '10.0.0.2', 64, icmpEcho) },
    { what: 'UDP 192.168.1.66:40000 > 10.0.0.2:23 (telnet)', data: udp('192.168.1.66', 40000, '10.0.0.2', 23, [0x41, 0x42]) },
    { what: 'TCP 172.16.0.9:1234 > 10.0.0.2:23 (telnet)', data: tcp('172.16.0.9', 1234, '10.0.0.2', 23) },
    { what: 'ARP who-has 10.0.0.2', data: ethernet(0x0806, arp) },
    { what: 'TCP 10.0.0.3:2222 > 10.0.0.2:22 (TTL 1)', data: tcp('10.0.0.3', 2222, '10.0.0.2', 22, 1) },
    { what: 'IPv6 UDP ::1:5000 > ::2:53', data: ethernet(0x86dd, ipv6Udp) },
    { what: 'UDP 10.0.0.1:123 > 10.0.0.5:123 (NTP)', data: udp('10.0.0.1', 123, '10.0.0.5', 123, Array(48).fill(0)) },
  ];
}

/** Capture time of packet `i`: 2023-11-14T22:13:20Z plus i milliseconds, in nanoseconds. */
export function exampleTimestamp(i: number): bigint {
  return 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n;
}

/** examples/traffic.pcap as bytes. */
export function examplePcap(): Uint8Array {
  return writePcap(exampleTraffic().map((p, i) => ({ data: p.data, timestamp: exampleTimestamp(i) })));
}

/** A minimal little-endian pcapng (section header, one Ethernet interface, enhanced packet blocks). */
export function examplePcapng(): Uint8Array {
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array): void => {
    const padded = (body.length + 3) & ~3;
    const out = new Uint8Array(12 + padded);
    const v = new DataView(out.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, out.length, true);
    out.set(body, 8);
    v.setUint32(out.length - 4, out.length, true);
    blocks.push(out);
  };
  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x1a2b3c4d, true);
  sv.setUint16(4, 1, true);
  sv.setBigInt64(8, -1n, true);
  block(0x0a0d0d0a, shb);
  const idb = new Uint8Array(8);
  const iv = new DataView(idb.buffer);
  iv.setUint16(0, 1, true);
  iv.setUint32(4, 262144, true);
  block(1, idb);
  exampleTraffic().forEach((p, i) => {
    const micros = exampleTimestamp(i) / 1000n;
    const body = new Uint8Array(20 + p.data.length);
    const v = new DataView(body.buffer);
    v.setUint32(4, Number(micros >> 32n), true);
    v.setUint32(8, Number(micros & 0xffffffffn), true);
    v.setUint32(12, p.data.length, true);
    v.setUint32(16, p.data.length, true);
    body.set(p.data, 20);
    block(6, body);
  });
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = new URL('../examples/', import.meta.url);
  writeFileSync(new URL('traffic.pcap', dir), examplePcap());
  writeFileSync(new URL('traffic.pcapng', dir), examplePcapng());
  process.stdout.write(`wrote examples/traffic.pcap and examples/traffic.pcapng (${exampleTraffic().length} packets each)\n`);
}
