/**
 * Writes a large, deterministic capture of Ethernet/IPv4 traffic for the capture-runner benchmark
 * (`npm run bench -- --capture`): TCP (60%), UDP (30%) and ICMP (10%) frames of 60 to 590 bytes between
 * a few thousand hosts, about 2% of the TCP/UDP packets to port 23 (what examples/xdp_firewall.o drops),
 * from a seeded generator, so the same arguments always give the same bytes. Streams: memory stays flat
 * whatever the packet count, and `-` writes to stdout (to pipe 10M packets into `tsbpf run --pcap -`
 * without a 3 GB file).
 *
 *   npx tsx bench/gen-capture.ts OUT.pcap|- [--packets N] [--seed S] [--pcapng]
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rng as prng } from '../test/kernel/packets.js';

/** Options of {@link generateCapture}. */
export interface CaptureSpec {
  readonly packets: number;
  readonly seed: number;
  /** pcapng (one interface, Enhanced Packet Blocks) instead of classic pcap. */
  readonly pcapng: boolean;
}

const FRAME_MAX = 14 + 20 + 20 + 536;

/** Fill `frame` with one packet; returns its length. */
function makeFrame(frame: Uint8Array, next: () => number): number {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const r = next();
  const kind = r % 10; // 0-5 TCP, 6-8 UDP, 9 ICMP
  const proto = kind < 6 ? 6 : kind < 9 ? 17 : 1;
  const l4Header = proto === 6 ? 20 : 8;
  const payload = next() % 537;
  const ipLen = 20 + l4Header + payload;
  const length = Math.max(60, 14 + ipLen);
  // Ethernet: fixed MACs, IPv4.
  frame.fill(0, 0, length);
  v.setUint32(0, 0x02000000, false);
  v.setUint16(4, 0x0002, false);
  v.setUint32(6, 0x02000000, false);
  v.setUint16(10, 0x0001, false);
  v.setUint16(12, 0x0800, false);
  // IPv4 header (checksum left 0: nothing here reads it).
  frame[14] = 0x45;
  v.setUint16(16, ipLen, false);
  v.setUint16(18, next() & 0xffff, false);
  frame[22] = 64;
  frame[23] = proto;
  const src = next();
  const blocked = (next() % 50) === 0;
  // Sources: 10.x.y.z from 4096 hosts; blocked traffic from 40 of them (the firewall map holds 64).
  v.setUint32(26, blocked ? 0xc0a80100 + (src % 40) : 0x0a000000 + (src % 4096), false);
  v.setUint32(30, 0x0a800000 + (next() % 256), false);
  const l4 = 34;
  const sport = 1024 + (next() % 60000);
  const dport = blocked ? 23 : [80, 443, 53, 22, 8080, 5353][next() % 6]!;
  if (proto === 6) {
    v.setUint16(l4, sport, false);
    v.setUint16(l4 + 2, dport, false);
    v.setUint32(l4 + 4, next(), false);
    frame[l4 + 12] = 0x50;
    frame[l4 + 13] = 0x18;
    v.setUint16(l4 + 14, 64240, false);
  } else if (proto === 17) {
    v.setUint16(l4, sport, false);
    v.setUint16(l4 + 2, dport, false);
    v.setUint16(l4 + 4, 8 + payload, false);
  } else {
    frame[l4] = 8; // echo request
    v.setUint16(l4 + 4, next() & 0xffff, false);
  }
  const start = l4 + l4Header;
  for (let i = 0; i < payload; i += 4) v.setUint32(start + i, next(), true);
  return length;
}

/** Yields the capture in chunks of about 1 MiB (the last chunk may be smaller). */
export function* generateCapture(spec: CaptureSpec): Generator<Uint8Array> {
  const next = prng(spec.seed);
  const chunk = new Uint8Array(1 << 20);
  const view = new DataView(chunk.buffer);
  const frame = new Uint8Array(FRAME_MAX + 4);
  let at = 0;
  if (spec.pcapng) {
    // Section Header Block (28 bytes), Interface Description Block (20 bytes): Ethernet, snap 65535.
    view.setUint32(0, 0x0a0d0d0a, true);
    view.setUint32(4, 28, true);
    view.setUint32(8, 0x1a2b3c4d, true);
    view.setUint16(12, 1, true);
    view.setBigInt64(16, -1n, true);
    view.setUint32(24, 28, true);
    view.setUint32(28, 1, true);
    view.setUint32(32, 20, true);
    view.setUint16(36, 1, true);
    view.setUint32(40, 65535, true);
    view.setUint32(44, 20, true);
    at = 48;
  } else {
    view.setUint32(0, 0xa1b2c3d4, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(16, 65535, true);
    view.setUint32(20, 1, true);
    at = 24;
  }
  let seconds = 1_700_000_000;
  let micros = 0;
  for (let n = 0; n < spec.packets; n++) {
    const length = makeFrame(frame, next);
    const padded = (length + 3) & ~3;
    const record = spec.pcapng ? 32 + padded : 16 + length;
    if (at + record > chunk.length) {
      yield chunk.slice(0, at);
      at = 0;
    }
    micros += 1 + (next() % 200);
    if (micros >= 1_000_000) {
      seconds++;
      micros -= 1_000_000;
    }
    if (spec.pcapng) {
      const ticks = BigInt(seconds) * 1_000_000n + BigInt(micros);
      view.setUint32(at, 6, true);
      view.setUint32(at + 4, record, true);
      view.setUint32(at + 8, 0, true);
      view.setUint32(at + 12, Number(ticks >> 32n), true);
      view.setUint32(at + 16, Number(ticks & 0xffffffffn), true);
      view.setUint32(at + 20, length, true);
      view.setUint32(at + 24, length, true);
      chunk.set(frame.subarray(0, length), at + 28);
      chunk.fill(0, at + 28 + length, at + 28 + padded);
      view.setUint32(at + 28 + padded, record, true);
    } else {
      view.setUint32(at, seconds, true);
      view.setUint32(at + 4, micros, true);
      view.setUint32(at + 8, length, true);
      view.setUint32(at + 12, length, true);
      chunk.set(frame.subarray(0, length), at + 16);
    }
    at += record;
  }
  if (at > 0) yield chunk.slice(0, at);
}

/** Write the capture to `path` (`-`: stdout); returns the bytes written. */
export function writeCapture(path: string, spec: CaptureSpec): number {
  const fd = path === '-' ? 1 : openSync(path, 'w');
  let total = 0;
  try {
    for (const c of generateCapture(spec)) {
      let off = 0;
      while (off < c.length) {
        try {
          off += writeSync(fd, c, off);
        } catch (e) {
          // stdout as a non-blocking pipe: wait for the reader.
          if ((e as { code?: string }).code !== 'EAGAIN') throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        }
      }
      total += c.length;
    }
  } finally {
    if (fd !== 1) closeSync(fd);
  }
  return total;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const path = argv[0];
  if (path === undefined || path.startsWith('--')) {
    process.stderr.write('usage: npx tsx bench/gen-capture.ts OUT.pcap|- [--packets N] [--seed S] [--pcapng]\n');
    process.exit(2);
  }
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(name);
    return at < 0 ? fallback : Number(argv[at + 1]);
  };
  const bytes = writeCapture(path, { packets: value('--packets', 1_000_000), seed: value('--seed', 1), pcapng: argv.includes('--pcapng') });
  if (path !== '-') process.stderr.write(`wrote ${bytes} bytes to ${path}\n`);
}
