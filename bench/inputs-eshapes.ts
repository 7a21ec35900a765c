/**
 * Input generators of the ten eBPF-shaped programs added as a held-out check (issue 15): SipHash,
 * Toeplitz RSS, IPv6 extension headers, DNS question names, a token bucket, Maglev, CRC32C, a Bloom
 * filter, VXLAN/GRE decapsulation and RTT statistics. Each is deterministic (see inputs.ts); the
 * layouts are the `struct …_input` of the programs' C sources.
 * @module
 */
import { Bytes, Rng, Writer, lengthPrefixed } from './input-tools.js';
import { eshape2Input } from './inputs-eshapes2.js';

/** siphash: a 128-bit key, `count` (offset, length) records of keys of 0-31 bytes, then the key bytes. */
function siphashInput(count: number, rng: Rng): Uint8Array {
  const lens = Array.from({ length: count }, () => rng.u32() % 32);
  const dataOff = 24 + count * 8;
  const w = new Writer(dataOff + lens.reduce((a, b) => a + b, 0));
  w.u32(0, count);
  w.u64(8, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
  w.u64(16, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
  let off = dataOff;
  lens.forEach((len, k) => {
    w.u32(24 + k * 8, off);
    w.u32(28 + k * 8, len);
    off += len;
  });
  for (let i = dataOff; i < off; i++) w.bytes[i] = rng.u32() & 0xff;
  return w.bytes;
}

/** The RSS key of Microsoft's RSS specification (the usual default of NIC drivers). */
const RSS_KEY = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];

/** toeplitz: `count` 40-byte tuple records (80% IPv4, 18% IPv6, 2% another family) and `nqueues`. */
function toeplitzInput(count: number, nqueues: number, rng: Rng): Uint8Array {
  const w = new Writer(48 + count * 40);
  w.u32(0, count);
  w.u32(4, nqueues);
  w.bytes.set(RSS_KEY, 8);
  for (let i = 0; i < count; i++) {
    const at = 48 + i * 40;
    const r = rng.u32() % 100;
    w.bytes[at] = r < 80 ? 4 : r < 98 ? 6 : 17;
    for (let j = 4; j < 40; j++) w.bytes[at + j] = rng.u32() & 0xff;
  }
  return w.bytes;
}

/** One upper-layer header of an IPv6 test frame: TCP, UDP, ICMPv6 or none (59). */
function upperLayer(f: Bytes, rng: Rng): number {
  const r = rng.u32() % 10;
  if (r < 5) {
    f.random(12, rng);
    f.push(0x50, rng.u32());
    f.random(6, rng);
    return 6;
  }
  if (r < 8) {
    f.random(8, rng);
    return 17;
  }
  if (r < 9) {
    f.push(128 + (rng.u32() % 8), 0);
    f.random(6, rng);
    return 58;
  }
  return 59;
}

/**
 * ipv6_ext: `count` length-prefixed frames: IPv6 with 0-4 extension headers (hop-by-hop, routing,
 * destination options, fragment, AH), some non-first fragments, a few chains deeper than 8, a few
 * IPv4 frames and truncated ones.
 */
function ipv6ExtInput(count: number, rng: Rng): Uint8Array {
  const out = new Bytes();
  for (let i = 0; i < count; i++) {
    const f = new Bytes();
    f.random(12, rng);
    const kind = rng.u32() % 40;
    if (kind === 0) {
      f.be16(0x0800);
      f.random(40, rng);
    } else {
      f.be16(0x86dd);
      const ext = new Bytes();
      const types: number[] = [];
      const n = kind === 1 ? 9 : rng.u32() % 5;
      for (let e = 0; e < n; e++) types.push(kind === 1 ? 60 : [0, 43, 60, 44, 51][rng.u32() % 5]!);
      const payload = new Bytes();
      const upper = upperLayer(payload, rng);
      types.forEach((t, e) => {
        const next = e + 1 < types.length ? types[e + 1]! : upper;
        if (t === 44) {
          const offset = rng.u32() % 5 === 0 ? 1 + (rng.u32() % 500) : 0;
          ext.push(next, 0, offset >>> 5, ((offset << 3) & 0xf8) | (rng.u32() & 1));
          ext.random(4, rng);
        } else if (t === 51) {
          const len = 1 + (rng.u32() % 4); // (len + 2) * 4 bytes
          ext.push(next, len);
          ext.random((len + 2) * 4 - 2, rng);
        } else {
          const len = rng.u32() % 3; // (len + 1) * 8 bytes
          if (t === 43) ext.push(next, len, 4, rng.u32() % 8);
          else ext.push(next, len, 1, 4);
          ext.random((len + 1) * 8 - 4, rng);
        }
      });
      f.push(0x60, 0, 0, 0);
      f.be16(ext.length + payload.length);
      f.push(types.length > 0 ? types[0]! : upper, 64);
      f.random(32, rng);
      f.push(...ext.done());
      f.push(...payload.done());
      f.random(rng.u32() % 32, rng);
    }
    let frame = f.done();
    if (kind === 2 || kind === 3) frame = frame.subarray(0, 10 + (rng.u32() % (frame.length - 10)));
    out.le16(frame.length);
    out.push(...frame);
  }
  return lengthPrefixed(out.done());
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';

/**
 * dns_qname: `count` length-prefixed DNS messages: queries of 1-5 labels, some responses, some with two
 * questions, compression pointers, reserved label types, names over 255 bytes, truncated messages.
 */
function dnsInput(count: number, rng: Rng): Uint8Array {
  const out = new Bytes();
  for (let i = 0; i < count; i++) {
    const m = new Bytes();
    const kind = rng.u32() % 50;
    m.random(2, rng); // id
    m.be16(kind === 0 || kind === 1 ? 0x8180 : 0x0100);
    m.be16(kind === 2 ? 2 : 1);
    m.push(0, 0, 0, 0, 0, 0);
    const labels = kind === 3 ? 5 : 1 + (rng.u32() % 5);
    for (let l = 0; l < labels; l++) {
      if (kind === 4 && l === 1) {
        m.push(0xc0, 12); // a compression pointer
        break;
      }
      const len = kind === 3 ? 60 : kind === 5 && l === 0 ? 0x45 : 1 + (rng.u32() % 20);
      m.push(len);
      for (let c = 0; c < (len & 0x3f); c++) m.push(NAME_CHARS.charCodeAt(rng.u32() % NAME_CHARS.length));
    }
    if (kind !== 4) m.push(0);
    m.be16([1, 28, 5, 15, 16, 33, 255][rng.u32() % 7]!);
    m.be16(kind === 6 ? 3 : 1);
    let msg = m.done();
    if (kind === 7 || kind === 8) msg = msg.subarray(0, rng.u32() % msg.length);
    out.le16(msg.length);
    out.push(...msg);
  }
  return lengthPrefixed(out.done());
}

/** token_bucket: `nflows` flow configurations (rate, burst, room for state) and `nevents` events. */
function tokenBucketInput(nflows: number, nevents: number, rng: Rng): Uint8Array {
  const evOff = 8 + nflows * 48;
  const w = new Writer(evOff + nevents * 16);
  w.u32(0, nflows);
  w.u32(4, nevents);
  for (let f = 0; f < nflows; f++) {
    w.u64(8 + f * 48, BigInt(125_000 + (rng.u32() % 20) * 125_000)); // 1-20 Mbit/s
    w.u64(16 + f * 48, BigInt(1_500 + (rng.u32() % 63_000)));
  }
  let ts = 1_000_000;
  for (let i = 0; i < nevents; i++) {
    const r = rng.u32() % 100;
    ts += rng.u32() % 20_000;
    w.u32(evOff + i * 16, r === 0 ? nflows + (rng.u32() % 5) : rng.u32() % nflows);
    w.u32(evOff + i * 16 + 4, 64 + (rng.u32() % 1437));
    w.u64(evOff + i * 16 + 8, BigInt(r === 1 ? ts - 500_000 : ts));
  }
  return w.bytes;
}

/** maglev: table size `m` (a prime), `n` backend ids, `nflows` 16-byte flows, then room for the table. */
function maglevInput(m: number, n: number, nflows: number, rng: Rng): Uint8Array {
  const tableOff = 144 + nflows * 16;
  const w = new Writer(tableOff + m * 4);
  w.u32(0, m);
  w.u32(4, n);
  w.u32(8, nflows);
  w.u32(12, tableOff);
  for (let b = 0; b < n; b++) w.u64(16 + b * 8, (BigInt(0x0a000000 + b * 7) << 16n) | 8080n); // address and port
  for (let k = 0; k < nflows; k++) {
    const at = 144 + k * 16;
    w.u32(at, rng.u32());
    w.u32(at + 4, 0x0a000001 + (rng.u32() % 4));
    w.u32(at + 8, (1024 + (rng.u32() % 60000)) | ([80, 443][rng.u32() % 2]! << 16));
    w.u32(at + 12, rng.u32() % 4 === 0 ? 17 : 6);
  }
  return w.bytes;
}

/** crc32c: a 1 KiB scratch area for the table, then `count` length-prefixed packets of up to `maxLen` bytes. */
function crc32cInput(count: number, maxLen: number, rng: Rng): Uint8Array {
  const body = new Bytes();
  for (let i = 0; i < count; i++) {
    const len = rng.u32() % (maxLen + 1);
    body.le16(len);
    body.random(len, rng);
  }
  const data = body.done();
  const w = new Writer(8 + 1024 + data.length);
  w.u32(0, data.length);
  w.bytes.set(data, 8 + 1024);
  return w.bytes;
}

/** bloom: a filter of 2^bits bits and k hashes, `ninsert` keys, `ntest` keys (half of them inserted). */
function bloomInput(bits: number, k: number, ninsert: number, ntest: number, rng: Rng): Uint8Array {
  const keysOff = 40;
  const w = new Writer(keysOff + (ninsert + ntest) * 8 + (1 << bits) / 8);
  w.u32(0, bits);
  w.u32(4, k);
  w.u32(8, ninsert);
  w.u32(12, ntest);
  w.u64(24, 0x243f_6a88_85a3_08d3n);
  const keys: bigint[] = [];
  const key = (): bigint => (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
  for (let i = 0; i < ninsert; i++) keys.push(key());
  keys.forEach((v, i) => w.u64(keysOff + i * 8, v));
  for (let i = 0; i < ntest; i++) w.u64(keysOff + (ninsert + i) * 8, i % 2 === 0 ? keys[rng.u32() % ninsert]! : key());
  return w.bytes;
}

/** An outer or inner IPv4 header of `proto` with a random option word sometimes. */
function ipv4Header(f: Bytes, proto: number, rng: Rng): void {
  const opts = rng.u32() % 8 === 0 ? 1 : 0;
  f.push(0x45 + opts, 0);
  f.be16(60);
  f.random(2, rng);
  f.be16(0x4000);
  f.push(64, proto);
  f.random(10 + opts * 4, rng);
}

/** An inner packet (IPv4 or IPv6, TCP or UDP); returns its ethertype. */
function innerPacket(f: Bytes, rng: Rng): number {
  const v6 = rng.u32() % 4 === 0;
  const l4 = rng.u32() % 3 === 0 ? 17 : 6;
  if (v6) {
    f.push(0x60, 0, 0, 0);
    f.be16(20);
    f.push(l4, 64);
    f.random(32, rng);
  } else ipv4Header(f, l4, rng);
  f.random(l4 === 6 ? 20 : 8, rng);
  f.random(rng.u32() % 48, rng);
  return v6 ? 0x86dd : 0x0800;
}

/** tunnel: `count` length-prefixed frames: VXLAN, GRE with various flags, plain IPv4, ARP, malformed, truncated. */
function tunnelInput(count: number, rng: Rng): Uint8Array {
  const out = new Bytes();
  for (let i = 0; i < count; i++) {
    const f = new Bytes();
    f.random(12, rng);
    const kind = rng.u32() % 20;
    if (kind === 0) {
      f.be16(0x0806);
      f.random(28, rng);
    } else {
      f.be16(0x0800);
      if (kind < 9) {
        ipv4Header(f, 17, rng);
        f.be16(1024 + (rng.u32() % 60000));
        f.be16(kind === 1 ? 53 : 4789);
        f.random(4, rng);
        f.push(kind === 2 ? 0 : 0x08, 0, 0, 0);
        f.random(3, rng); // VNI
        f.push(0);
        const inner = new Bytes();
        const type = innerPacket(inner, rng);
        f.random(12, rng);
        f.be16(type);
        f.push(...inner.done());
      } else if (kind < 17) {
        ipv4Header(f, 47, rng);
        const c = rng.u32() % 3 === 0, key = rng.u32() % 2 === 0, seq = rng.u32() % 3 === 0;
        const bad = kind === 9 ? 1 : kind === 10 && rng.u32() % 2 === 0 ? 0x4000 : 0;
        const inner = new Bytes();
        const ether = rng.u32() % 3 === 0;
        let type = innerPacket(inner, rng);
        f.be16((c ? 0x8000 : 0) | (key ? 0x2000 : 0) | (seq ? 0x1000 : 0) | bad);
        if (ether) {
          f.be16(0x6558);
          type = type === 0x0800 ? 0x0800 : 0x86dd;
        } else f.be16(type);
        if (c) f.random(4, rng);
        if (key) f.random(4, rng);
        if (seq) f.random(4, rng);
        if (ether) {
          f.random(12, rng);
          f.be16(type);
        }
        f.push(...inner.done());
      } else {
        ipv4Header(f, 6, rng);
        f.random(20 + (rng.u32() % 40), rng);
      }
    }
    let frame = f.done();
    if (kind === 18) frame = frame.subarray(0, 14 + (rng.u32() % (frame.length - 14)));
    out.le16(frame.length);
    out.push(...frame);
  }
  return lengthPrefixed(out.done());
}

/** rtt_stats: `count` (flow, RTT in µs) samples over 16 flows (1% out of range, a few zero RTTs). */
function rttInput(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 8);
  w.u32(0, count);
  for (let i = 0; i < count; i++) {
    const r = rng.u32() % 200;
    const base = 50 << (rng.u32() % 10);
    w.u32(8 + i * 8, r < 2 ? 16 + (rng.u32() % 5) : rng.u32() % 16);
    w.u32(12 + i * 8, r === 2 ? 0 : base + (rng.u32() % base));
  }
  return w.bytes;
}

/** The input of one of the ten programs (benchmark size when `full`), or undefined for another name. */
export function eshapeInput(name: string, full: boolean, rng: Rng): Uint8Array | undefined {
  switch (name) {
    case 'siphash':
      return siphashInput(full ? 16_384 : 24, rng);
    case 'toeplitz':
      return toeplitzInput(full ? 8_192 : 20, full ? 16 : 3, rng);
    case 'ipv6_ext':
      return ipv6ExtInput(full ? 4_000 : 40, rng);
    case 'dns_qname':
      return dnsInput(full ? 4_000 : 60, rng);
    case 'token_bucket':
      return tokenBucketInput(full ? 64 : 4, full ? 32_768 : 60, rng);
    case 'maglev':
      return maglevInput(full ? 8_191 : 13, full ? 16 : 3, full ? 16_384 : 20, rng);
    case 'crc32c':
      return crc32cInput(full ? 100 : 6, full ? 1_500 : 60, rng);
    case 'bloom':
      return bloomInput(full ? 20 : 8, full ? 7 : 3, full ? 8_192 : 20, full ? 16_384 : 40, rng);
    case 'tunnel':
      return tunnelInput(full ? 4_000 : 40, rng);
    case 'rtt_stats':
      return rttInput(full ? 32_768 : 60, rng);
    default:
      return eshape2Input(name, full, rng);
  }
}
