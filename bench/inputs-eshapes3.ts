/**
 * Input generators of the ten eBPF-shaped programs added as the third held-out check (issue 15): QUIC
 * headers, ICMP errors, an IPv6 path-compressed trie, a cuckoo hash, an HTTP request router, DNS
 * responses with compression, an Aho-Corasick automaton, protobuf messages, bit-vector classification
 * and IPv4 fragment reassembly. Each is deterministic (see inputs.ts); the layouts are the
 * `struct …_input` of the programs' C sources.
 * @module
 */
import { Bytes, Rng, Writer } from './input-tools.js';
import { eshape4Input } from './inputs-eshapes4.js';

/** Records of a u16 little-endian length then the bytes, behind an 8-byte header (`len`, `param`). */
function records(items: readonly Uint8Array[], param: number): Uint8Array {
  const total = items.reduce((n, b) => n + 2 + b.length, 0);
  const w = new Writer(8 + total);
  w.u32(0, total);
  w.u32(4, param);
  let at = 8;
  for (const b of items) {
    w.bytes[at] = b.length & 0xff;
    w.bytes[at + 1] = b.length >>> 8;
    w.bytes.set(b, at + 2);
    at += 2 + b.length;
  }
  return w.bytes;
}

/** A random integer in [lo, hi]. */
function range(rng: Rng, lo: number, hi: number): number {
  return lo + (rng.u32() % (hi - lo + 1));
}

/** A QUIC variable-length integer of the shortest form (or of `n` bytes). */
function quicVarint(b: Bytes, v: number, n?: number): void {
  const len = n ?? (v < 64 ? 1 : v < 16384 ? 2 : v < 2 ** 30 ? 4 : 8);
  const prefix = { 1: 0, 2: 1, 4: 2, 8: 3 }[len]!;
  const bytes: number[] = [];
  let x = BigInt(v);
  for (let i = 0; i < len; i++) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  bytes[0] = (bytes[0]! & 0x3f) | (prefix << 6);
  b.push(...bytes);
}

/**
 * quic_hdr: `n` datagrams: Initials (with tokens, some padded, some with a coalesced Handshake or
 * 0-RTT packet), Handshakes, 1-RTT short headers, Retries, version negotiations, and a few malformed
 * ones (fixed bit clear, connection ID too long, truncated, lengths past the end).
 */
function quicInput(n: number, rng: Rng): Uint8Array {
  const shortCid = 8;
  const cid = (len: number): number[] => {
    const c: number[] = [];
    for (let i = 0; i < len; i++) c.push(rng.u32() & 0xff);
    return c;
  };
  const long = (b: Bytes, type: number, version: number): void => {
    const pnl = range(rng, 1, 4);
    b.push(0xc0 | (type << 4) | (pnl - 1));
    b.push(version >>> 24, version >>> 16, version >>> 8, version);
    const dcl = [8, 8, 8, 20, 0, 4, 16][rng.u32() % 7]!;
    b.push(dcl, ...cid(dcl));
    const scl = [0, 8, 8, 20, 5][rng.u32() % 5]!;
    b.push(scl, ...cid(scl));
    if (type === 0) {
      const tl = [0, 0, 16, 40, 90][rng.u32() % 5]!;
      quicVarint(b, tl, tl < 64 && rng.u32() % 3 === 0 ? 2 : undefined);
      b.random(tl, rng);
    }
    const plen = type === 0 ? range(rng, 100, 500) : range(rng, 20, 300);
    quicVarint(b, plen, rng.u32() % 4 === 0 ? 4 : undefined);
    b.random(plen, rng);
  };
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const b = new Bytes();
    const r = rng.u32() % 100;
    const version = rng.u32() % 8 === 0 ? 0x6b3343cf : 1;
    if (r < 45) {
      // 1-RTT
      const pnl = range(rng, 1, 4);
      b.push(0x40 | (rng.u32() & 0x1c) | (pnl - 1), ...cid(shortCid));
      b.random(range(rng, 20, 500), rng);
    } else if (r < 65) {
      long(b, 0, version);
      if (rng.u32() % 3 === 0) long(b, 2, version);
      if (rng.u32() % 4 === 0) long(b, 1, version);
    } else if (r < 80) {
      long(b, 2, version);
      if (rng.u32() % 2 === 0) {
        b.push(0x41, ...cid(shortCid));
        b.random(range(rng, 20, 300), rng);
      }
    } else if (r < 85) {
      b.push(0xf0, 0, 0, 0, 1, 8, ...cid(8), 8, ...cid(8));
      b.random(range(rng, 16, 120), rng);
    } else if (r < 90) {
      b.push(0x80 | (rng.u32() & 0x7f), 0, 0, 0, 0, 8, ...cid(8), 8, ...cid(8));
      for (let k = range(rng, 1, 6); k > 0; k--) b.push(0xfa, 0xce, rng.u32(), rng.u32());
    } else {
      long(b, rng.u32() % 3, version);
      const bytes = b.done();
      const kind = rng.u32() % 4;
      if (kind === 0) bytes[0]! &= ~0x40;
      else if (kind === 1) bytes[5] = 21 + (rng.u32() % 200);
      items.push(kind === 2 ? bytes.subarray(0, range(rng, 1, Math.min(bytes.length - 1, 40))) : kind === 3 ? bytes.subarray(0, bytes.length - range(rng, 1, 30)) : bytes);
      continue;
    }
    items.push(b.done());
  }
  return records(items, shortCid);
}

/** The records alone (u16 little-endian length, then the bytes of each). */
function recordBytes(items: readonly Uint8Array[]): Uint8Array {
  const b = new Bytes();
  for (const item of items) {
    b.le16(item.length);
    for (const x of item) b.push(x);
  }
  return b.done();
}

/** Round up to a multiple of 8. */
function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The RFC 1071 checksum of bytes (big-endian 16-bit words, an odd byte last as the high byte). */
function inetChecksum(bytes: ArrayLike<number>, from = 0, to = bytes.length): number {
  let s = 0;
  let i = from;
  for (; i + 1 < to; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < to) s += bytes[i]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An IPv4 header (with `optWords` 4-byte option words) for `payloadLen` bytes, checksum set. */
function ipv4Header(src: number, dst: number, proto: number, payloadLen: number, optWords: number, rng: Rng): number[] {
  const ihl = 5 + optWords;
  const tot = ihl * 4 + payloadLen;
  const h = [0x40 | ihl, 0, tot >>> 8, tot & 0xff, rng.u32() & 0xff, rng.u32() & 0xff, 0x40, 0, range(rng, 1, 64), proto, 0, 0];
  for (const a of [src, dst]) h.push(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
  for (let i = 0; i < optWords; i++) h.push(1, 1, 1, 1); // NOPs
  const c = inetChecksum(h);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return h;
}

/**
 * icmp_err: `nflows` flows (TCP, UDP, ICMP echo), then `n` IPv4 packets: ICMP errors quoting a packet
 * of a known flow (most), of an unknown one, or quoting too little; echoes; other protocols; and some
 * with a bad IPv4 or ICMP checksum. The table of 2^log2cap 24-byte slots follows the flows.
 */
function icmpInput(n: number, nflows: number, log2cap: number, rng: Rng): Uint8Array {
  const flows = Array.from({ length: nflows }, () => ({
    s: 0x0a000000 + (rng.u32() % 0x10000),
    d: rng.u32(),
    sp: range(rng, 1024, 65535),
    dp: [53, 80, 443, 123, 5060][rng.u32() % 5]!,
    proto: [6, 6, 17, 17, 1][rng.u32() % 5]!,
  }));
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.u32() % 100;
    const router = 0xc6336400 + (rng.u32() % 256);
    if (r < 8) {
      // an echo or another protocol
      const body = new Bytes();
      body.random(range(rng, 8, 64), rng);
      const bytes = body.done();
      const proto = r < 5 ? 1 : 17;
      if (proto === 1) {
        bytes[0] = r < 3 ? 8 : 0;
        bytes[2] = bytes[3] = 0;
        const c = inetChecksum(bytes);
        bytes[2] = c >>> 8;
        bytes[3] = c & 0xff;
      }
      items.push(Uint8Array.from([...ipv4Header(router, rng.u32(), proto, bytes.length, 0, rng), ...bytes]));
      continue;
    }
    const f = flows[rng.u32() % nflows]!;
    const known = r >= 15;
    const s = f.s, d = known ? f.d : rng.u32();
    const quoteLen = r < 11 ? range(rng, 0, 7) : [8, 8, 8, 20, 40, 64][rng.u32() % 6]!;
    const qopt = rng.u32() % 6 === 0 ? range(rng, 1, 3) : 0;
    const l4 = new Bytes();
    if (f.proto === 1) l4.push(8, 0, rng.u32(), rng.u32(), f.sp >>> 8, f.sp, rng.u32(), rng.u32());
    else l4.push(f.sp >>> 8, f.sp, f.dp >>> 8, f.dp, rng.u32(), rng.u32(), rng.u32(), rng.u32());
    l4.random(Math.max(0, quoteLen - 8), rng);
    const quoted = [...ipv4Header(s, d, f.proto, 40, qopt, rng), ...l4.done().subarray(0, quoteLen)];
    const [type, code] = [[3, 4], [3, 4], [3, 1], [3, 3], [3, 13], [11, 0], [12, 0], [5, 1]][rng.u32() % 8]!;
    const mtu = code === 4 && type === 3 ? [576, 1280, 1400, 1480, 1492, 9000, 40][rng.u32() % 7]! : 0;
    const icmp = [type, code, 0, 0, 0, 0, mtu >>> 8, mtu & 0xff, ...quoted];
    const c = inetChecksum(icmp);
    icmp[2] = c >>> 8;
    icmp[3] = c & 0xff;
    if (r === 99) icmp[5] ^= 0x10; // bad ICMP checksum
    const pkt = [...ipv4Header(router, s, 1, icmp.length, rng.u32() % 8 === 0 ? 2 : 0, rng), ...icmp];
    if (r === 98) pkt[8] ^= 1; // bad IPv4 checksum
    items.push(Uint8Array.from(pkt));
  }
  const rec = recordBytes(items);
  const flowsOff = align8(24 + rec.length);
  const tableOff = flowsOff + nflows * 16;
  const w = new Writer(tableOff + (1 << log2cap) * 24);
  w.u32(0, rec.length);
  w.u32(4, nflows);
  w.u32(8, log2cap);
  w.u32(12, flowsOff);
  w.u32(16, tableOff);
  w.bytes.set(rec, 24);
  flows.forEach((f, k) => {
    const at = flowsOff + k * 16;
    w.u32(at, f.s);
    w.u32(at + 4, f.d);
    w.bytes[at + 8] = f.sp & 0xff;
    w.bytes[at + 9] = f.sp >>> 8;
    w.bytes[at + 10] = f.dp & 0xff;
    w.bytes[at + 11] = f.dp >>> 8;
    w.u32(at + 12, f.proto);
  });
  return w.bytes;
}

/** A random 128-bit value. */
function u128(rng: Rng): bigint {
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(rng.u32());
  return v;
}

const MASK128 = (1n << 128n) - 1n;

/** The top `bits` bits of a 128-bit value. */
function prefixOf(v: bigint, bits: number): bigint {
  return bits === 0 ? 0n : v & (MASK128 ^ ((1n << BigInt(128 - bits)) - 1n));
}

/**
 * radix6: a path-compressed trie of `nprefixes` IPv6 prefixes (most under a few /32 allocations, /32
 * to /64, some /128 host routes, a few short ones) built here as the program expects it (node 0 the
 * root ::/0; intermediate nodes where two prefixes part), then `nkeys` 24-byte records (flow label word,
 * pad, address): most addresses inside a prefix, the others random under the allocations.
 */
function radixInput(nprefixes: number, nkeys: number, rng: Rng): Uint8Array {
  interface Node { p: bigint; l: number; v: number; c: [number, number] }
  const nodes: Node[] = [{ p: 0n, l: 0, v: 0, c: [0, 0] }];
  const bit = (v: bigint, i: number): number => Number((v >> BigInt(127 - i)) & 1n);
  const common = (a: bigint, b: bigint, cap: number): number => {
    let m = 0;
    while (m < cap && bit(a, m) === bit(b, m)) m++;
    return m;
  };
  const add = (p: bigint, l: number, v: number): number => nodes.push({ p: prefixOf(p, l), l, v, c: [0, 0] }) - 1;
  const insert = (p: bigint, l: number, v: number): void => {
    p = prefixOf(p, l);
    let n = 0;
    for (;;) {
      const nd = nodes[n]!;
      if (nd.l === l) {
        nd.v = v;
        return;
      }
      const b = bit(p, nd.l);
      const c = nd.c[b];
      if (c === 0) {
        nd.c[b] = add(p, l, v);
        return;
      }
      const cn = nodes[c]!;
      const m = common(cn.p, p, Math.min(cn.l, l));
      if (m === cn.l) {
        n = c;
        continue;
      }
      if (m === l) {
        const x = add(p, l, v);
        nodes[x]!.c[bit(cn.p, l)] = c;
        nd.c[b] = x;
        return;
      }
      const i = add(p, m, 0);
      nodes[i]!.c[bit(cn.p, m)] = c;
      nodes[i]!.c[bit(p, m)] = add(p, l, v);
      nd.c[b] = i;
      return;
    }
  };
  const allocs = Array.from({ length: 12 }, () => (0x2000n << 112n) | (u128(rng) & ((1n << 125n) - 1n)));
  const prefixes: [bigint, number][] = [];
  for (let i = 0; i < nprefixes; i++) {
    const r = rng.u32() % 100;
    const base = allocs[rng.u32() % allocs.length]!;
    const l = r < 3 ? range(rng, 8, 31) : r < 10 ? 128 : [32, 36, 40, 44, 48, 48, 48, 52, 56, 56, 60, 64, 64][rng.u32() % 13]!;
    const p = l <= 32 ? base : prefixOf(base, 32) | (u128(rng) & ((1n << 96n) - 1n));
    prefixes.push([prefixOf(p, l), l]);
    insert(p, l, i + 1);
  }
  const keysOff = 16 + nodes.length * 32;
  const w = new Writer(keysOff + nkeys * 24);
  w.u32(0, nodes.length);
  w.u32(4, nkeys);
  w.u32(8, keysOff);
  const be = (at: number, v: bigint, n: number): void => {
    for (let i = n - 1; i >= 0; i--) {
      w.bytes[at + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  };
  nodes.forEach((nd, k) => {
    const at = 16 + k * 32;
    w.u64(at, nd.p >> 64n);
    w.u64(at + 8, nd.p & ((1n << 64n) - 1n));
    w.u32(at + 16, nd.l);
    w.u32(at + 20, nd.v);
    w.u32(at + 24, nd.c[0]);
    w.u32(at + 28, nd.c[1]);
  });
  for (let k = 0; k < nkeys; k++) {
    const at = keysOff + k * 24;
    be(at, BigInt(0x60000000 | (rng.u32() & 0xfffffff)), 4);
    let a: bigint;
    if (rng.u32() % 10 < 6) {
      const [p, l] = prefixes[rng.u32() % prefixes.length]!;
      a = l === 128 ? p : p | (u128(rng) & ((1n << BigInt(128 - l)) - 1n));
    } else {
      a = prefixOf(allocs[rng.u32() % allocs.length]!, 32) | (u128(rng) & ((1n << 96n) - 1n));
    }
    be(at + 8, a, 16);
  }
  return w.bytes;
}

/** A random u64 as a bigint. */
function u64(rng: Rng): bigint {
  return (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
}

/**
 * cuckoo: `ninsert` keys to insert (a few repeated: updates), then `nlookup` keys to look up (half
 * inserted, half absent), then room for 2^log2buckets 56-byte buckets.
 */
function cuckooInput(ninsert: number, nlookup: number, log2buckets: number, rng: Rng): Uint8Array {
  const keysOff = 40;
  const tableOff = keysOff + (ninsert + nlookup) * 8;
  const w = new Writer(tableOff + (1 << log2buckets) * 56);
  w.u32(0, ninsert);
  w.u32(4, nlookup);
  w.u32(8, log2buckets);
  w.u32(12, 64);
  w.u64(24, u64(rng));
  w.u32(32, keysOff);
  w.u32(36, tableOff);
  const inserted: bigint[] = [];
  for (let i = 0; i < ninsert; i++) {
    const k = inserted.length > 0 && rng.u32() % 20 === 0 ? inserted[rng.u32() % inserted.length]! : u64(rng);
    inserted.push(k);
    w.u64(keysOff + i * 8, k);
  }
  for (let i = 0; i < nlookup; i++) w.u64(keysOff + (ninsert + i) * 8, rng.u32() % 2 === 0 ? inserted[rng.u32() % inserted.length]! : u64(rng));
  return w.bytes;
}

/** ASCII bytes of a string. */
function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

/** A random lowercase word of lo..hi letters. */
function word(rng: Rng, lo: number, hi: number): string {
  let s = '';
  for (let n = range(rng, lo, hi); n > 0; n--) s += String.fromCharCode(97 + (rng.u32() % 26));
  return s;
}

/** Each letter upper- or lowercase at random. */
function mixCase(s: string, rng: Rng): string {
  return Array.from(s, (c) => (rng.u32() % 3 === 0 ? c.toUpperCase() : c)).join('');
}

/**
 * http_route: a table of `nroutes` 32-byte routes (path prefixes, a method mask, an id), then `n`
 * request heads: methods, paths under the routes (deeper segments, queries, near-misses), headers
 * in mixed case (Host with and without a port, Content-Length, Connection, Transfer-Encoding, and
 * others skipped), HTTP/1.0 without Host, and some malformed.
 */
function httpInput(n: number, nroutes: number, rng: Rng): Uint8Array {
  const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'];
  const routes: { path: string; methods: number }[] = [{ path: '/', methods: 0b10_0010_0010 }];
  const tops = ['api', 'static', 'images', 'auth', 'v2', 'admin', 'health', 'graphql', 'assets', 'user'];
  while (routes.length < nroutes) {
    let path = `/${tops[rng.u32() % tops.length]}`;
    for (let d = rng.u32() % 3; d > 0; d--) path += `/${word(rng, 2, 7)}`;
    if (rng.u32() % 5 === 0) path += '/';
    if (path.length > 28 || routes.some((r) => r.path === path)) continue;
    routes.push({ path, methods: (rng.u32() & 0x3fe) | 0b10 });
  }
  const hosts = Array.from({ length: 20 }, () => `${word(rng, 3, 10)}.${['com', 'net', 'org', 'io'][rng.u32() % 4]}`);
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.u32() % 100;
    const method = r < 55 ? 'GET' : METHODS[rng.u32() % METHODS.length]!;
    const route = routes[rng.u32() % routes.length]!;
    let path = route.path;
    const extra = rng.u32() % 4;
    if (extra === 1) path += `${path.endsWith('/') ? '' : '/'}${word(rng, 1, 12)}`;
    else if (extra === 2) path += word(rng, 1, 3); // not on a segment boundary
    if (rng.u32() % 4 === 0) path += `?${word(rng, 1, 6)}=${word(rng, 1, 20)}`;
    const v10 = rng.u32() % 10 === 0;
    let head = `${method} ${path} HTTP/1.${v10 ? 0 : 1}\r\n`;
    const lines: string[] = [];
    if (!v10 || rng.u32() % 2 === 0) {
      const host = hosts[rng.u32() % hosts.length]!;
      lines.push(`${mixCase('Host', rng)}: ${mixCase(host, rng)}${rng.u32() % 4 === 0 ? `:${range(rng, 80, 9000)}` : ''}`);
    }
    lines.push(`User-Agent: ${word(rng, 5, 12)}/${range(rng, 1, 120)}.0 (${word(rng, 4, 30)})`);
    lines.push(`Accept: ${['*/*', 'text/html,application/xhtml+xml', 'application/json'][rng.u32() % 3]}`);
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      if (rng.u32() % 6 === 0) lines.push(`${mixCase('Transfer-Encoding', rng)}: chunked`);
      else lines.push(`${mixCase('Content-Length', rng)}: ${range(rng, 0, 100000)}`);
    }
    if (rng.u32() % 3 === 0) lines.push(`${mixCase('Connection', rng)}: ${rng.u32() % 2 === 0 ? 'close' : 'keep-alive'}`);
    if (rng.u32() % 3 === 0) lines.push(`Cookie: ${word(rng, 3, 8)}=${word(rng, 10, 60)}`);
    if (rng.u32() % 4 === 0) lines.push(`X-Forwarded-For: ${range(rng, 1, 223)}.${range(rng, 0, 255)}.${range(rng, 0, 255)}.${range(rng, 1, 254)}`);
    for (let k = rng.u32() % 3; k > 0; k--) lines.push(`X-${word(rng, 3, 10)}: ${word(rng, 1, 30)}`);
    for (let k = lines.length - 1; k > 0; k--) {
      const j = rng.u32() % (k + 1);
      [lines[k], lines[j]] = [lines[j]!, lines[k]!];
    }
    head += lines.map((l) => `${l}\r\n`).join('') + '\r\n';
    let bytes = ascii(head);
    if (r >= 97) {
      const kind = rng.u32() % 4;
      if (kind === 0) bytes = bytes.slice(0, range(rng, 1, bytes.length - 1)); // truncated
      else if (kind === 1) bytes[0] = 0x67; // lowercase method
      else if (kind === 2) bytes = ascii(head.replace(':', ';'));
      else bytes = ascii(head.replace('HTTP/1.', 'HTTP/2.'));
    }
    items.push(Uint8Array.from(bytes));
  }
  const rec = recordBytes(items);
  const routesOff = align8(16 + rec.length);
  const w = new Writer(routesOff + routes.length * 32);
  w.u32(0, rec.length);
  w.u32(4, routes.length);
  w.u32(8, routesOff);
  w.bytes.set(rec, 16);
  routes.forEach((rt, k) => {
    const at = routesOff + k * 32;
    w.bytes[at] = rt.path.length;
    w.bytes[at + 1] = rt.methods & 0xff;
    w.bytes[at + 2] = k + 1;
    w.bytes.set(ascii(rt.path), at + 4);
  });
  return w.bytes;
}

/**
 * dns_resp: `n` DNS responses: a question, CNAME chains, A and AAAA answers, NS authorities with glue,
 * an EDNS OPT record, NXDOMAIN with an SOA; names compressed against every earlier name's suffixes
 * (some left uncompressed); a few malformed (a forward pointer, a pointer loop, truncated, a query).
 */
function dnsRespInput(n: number, rng: Rng): Uint8Array {
  const zones = Array.from({ length: 30 }, () => `${word(rng, 3, 12)}.${['com', 'net', 'org', 'de', 'co.uk'][rng.u32() % 5]}`);
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const b: number[] = [];
    const seen = new Map<string, number>();
    const compress = rng.u32() % 10 !== 0;
    const name = (s: string): void => {
      const labels = s.split('.');
      for (let k = 0; k < labels.length; k++) {
        const suffix = labels.slice(k).join('.').toLowerCase();
        const at = seen.get(suffix);
        if (compress && at !== undefined) {
          b.push(0xc0 | (at >>> 8), at & 0xff);
          return;
        }
        if (b.length < 0x3fff) seen.set(suffix, b.length);
        b.push(labels[k]!.length, ...ascii(labels[k]!));
      }
      b.push(0);
    };
    const be16 = (v: number): void => void b.push(v >>> 8, v & 0xff);
    const be32 = (v: number): void => void b.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    const zone = zones[rng.u32() % zones.length]!;
    const qname = mixCase(`${['www', 'api', 'mail', 'cdn', word(rng, 2, 8)][rng.u32() % 5]}.${zone}`, rng);
    const qtype = rng.u32() % 3 === 0 ? 28 : 1;
    const r = rng.u32() % 100;
    const nxdomain = r < 8;
    const rr = (owner: string, type: number, ttl: number, data: () => void): void => {
      name(owner);
      be16(type);
      be16(1);
      be32(ttl);
      const lenAt = b.length;
      be16(0);
      data();
      const len = b.length - lenAt - 2;
      b[lenAt] = len >>> 8;
      b[lenAt + 1] = len & 0xff;
    };
    const counts = [1, 0, 0, 0];
    be16(rng.u32() & 0xffff);
    be16(0x8180 | (nxdomain ? 3 : 0) | (r === 8 ? 0x0200 : 0));
    be16(1);
    be16(0);
    be16(0);
    be16(0);
    name(qname);
    be16(qtype);
    be16(1);
    if (nxdomain) {
      rr(zone, 6, range(rng, 60, 3600), () => {
        name(`ns1.${zone}`);
        name(`hostmaster.${zone}`);
        for (let k = 0; k < 5; k++) be32(rng.u32());
      });
      counts[2] = 1;
    } else {
      let owner = qname;
      for (let c = rng.u32() % 4 === 0 ? range(rng, 1, 3) : 0; c > 0; c--) {
        const target = `${word(rng, 2, 10)}.${rng.u32() % 2 === 0 ? zone : zones[rng.u32() % zones.length]}`;
        rr(owner, 5, range(rng, 30, 86400), () => name(target));
        owner = target;
        counts[1]++;
      }
      for (let k = range(rng, 1, 4); k > 0; k--) {
        rr(owner, qtype, range(rng, 5, 3600), () => {
          if (qtype === 1) be32(rng.u32());
          else for (let j = 0; j < 4; j++) be32(rng.u32());
        });
        counts[1]++;
      }
      const nns = rng.u32() % 3;
      for (let k = 0; k < nns; k++) {
        rr(zone, 2, 172800, () => name(`ns${k + 1}.${zone}`));
        counts[2]++;
      }
      for (let k = 0; k < nns; k++) {
        if (rng.u32() % 2 === 0) continue;
        rr(`ns${k + 1}.${zone}`, 1, 172800, () => be32(rng.u32()));
        counts[3]++;
      }
    }
    if (rng.u32() % 2 === 0) {
      b.push(0);
      be16(41);
      be16(1232);
      be32(0);
      be16(0);
      counts[3]++;
    }
    for (let k = 0; k < 4; k++) {
      b[4 + 2 * k] = counts[k]! >>> 8;
      b[5 + 2 * k] = counts[k]! & 0xff;
    }
    let bytes = Uint8Array.from(b);
    if (r >= 96) {
      const kind = r - 96;
      if (kind === 0) bytes = bytes.subarray(0, range(rng, 5, bytes.length - 1));
      else if (kind === 1) bytes[2]! &= 0x7f; // a query
      else {
        // a pointer to itself (kind 2) or forward (kind 3), in place of the question's name
        bytes = Uint8Array.from([...bytes.subarray(0, 12), 0xc0, kind === 2 ? 12 : 40, ...bytes.subarray(12)]);
      }
    }
    items.push(bytes);
  }
  return records(items, 0);
}

/**
 * aho_corasick: `npat` patterns (words, some sharing prefixes or nested, some binary signatures), then
 * payload records of `total` bytes in all: text of words with patterns and near-misses inserted, and
 * binary stretches, then room for the automaton (at most 1 + the patterns' total length states).
 */
function ahoInput(npat: number, total: number, rng: Rng): Uint8Array {
  const pats: number[][] = [];
  const stems = ['select', 'union', 'script', 'passwd', 'admin', 'cmd.exe', 'eval(', 'base64', 'onload', 'etc/'];
  while (pats.length < npat) {
    const r = rng.u32() % 4;
    let p: number[];
    if (r === 0) p = ascii(stems[rng.u32() % stems.length]!);
    else if (r === 1) p = ascii(stems[rng.u32() % stems.length]! + word(rng, 1, 5));
    else if (r === 2) p = ascii(word(rng, 3, 12));
    else p = Array.from({ length: range(rng, 4, 8) }, () => rng.u32() & 0xff);
    if (p.length > 15 || pats.some((q) => q.length === p.length && q.every((x, k) => x === p[k]))) continue;
    pats.push(p);
  }
  const vocab = Array.from({ length: 200 }, () => word(rng, 1, 9));
  const items: Uint8Array[] = [];
  let made = 0;
  while (made < total) {
    const len = Math.min(range(rng, 100, 1400), Math.max(1, total - made));
    const b: number[] = [];
    const binary = rng.u32() % 5 === 0;
    while (b.length < len) {
      const r = rng.u32() % 100;
      if (r < 4) b.push(...pats[rng.u32() % pats.length]!);
      else if (r < 8) {
        const p = pats[rng.u32() % pats.length]!;
        b.push(...p.slice(0, Math.max(1, p.length - 1)));
      } else if (binary) b.push(rng.u32() & 0xff);
      else b.push(...ascii(vocab[rng.u32() % vocab.length]!), 32);
    }
    items.push(Uint8Array.from(b.slice(0, len)));
    made += len;
  }
  const rec = recordBytes(items);
  const patOff = align8(24 + rec.length);
  const maxs = 1 + pats.reduce((n, p) => n + p.length, 0);
  const tabOff = patOff + npat * 16;
  const w = new Writer(tabOff + maxs * 512 + (maxs + 1) * 6 + maxs * 4 + 8);
  w.u32(0, rec.length);
  w.u32(4, npat);
  w.u32(8, patOff);
  w.u32(12, tabOff);
  w.u32(16, maxs);
  w.bytes.set(rec, 24);
  pats.forEach((p, k) => {
    w.bytes[patOff + k * 16] = p.length;
    w.bytes.set(p, patOff + k * 16 + 1);
  });
  return w.bytes;
}

/** Protocol Buffers encoding helpers: a varint, a key, a length-delimited field. */
function pbVarint(out: number[], v: bigint): void {
  v = BigInt.asUintN(64, v);
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
}
function pbKey(out: number[], field: number, wt: number): void {
  pbVarint(out, BigInt(field * 8 + wt));
}
function pbBytes(out: number[], field: number, body: readonly number[]): void {
  pbKey(out, field, 2);
  pbVarint(out, BigInt(body.length));
  out.push(...body);
}
function zigzag(v: bigint): bigint {
  return v >= 0n ? v * 2n : -v * 2n - 1n;
}

/**
 * protobuf: `n` Report messages (see protobuf.c's schema) with endpoints, labels, packed samples,
 * optional fields in varied order, unknown fields of every wire type, and some malformed (truncated,
 * a wrong wire type, an over-long varint, field 0).
 */
function protobufInput(n: number, rng: Rng): Uint8Array {
  const label = (): number[] => {
    const l: number[] = [];
    pbBytes(l, 1, ascii(word(rng, 2, 10)));
    pbBytes(l, 2, ascii(word(rng, 0, 24)));
    return l;
  };
  const unknown = (out: number[]): void => {
    const field = range(rng, 20, 3000);
    const wt = [0, 1, 2, 5][rng.u32() % 4]!;
    pbKey(out, field, wt);
    if (wt === 0) pbVarint(out, u64(rng) >> BigInt(rng.u32() % 64));
    else if (wt === 1) for (let i = 0; i < 8; i++) out.push(rng.u32() & 0xff);
    else if (wt === 5) for (let i = 0; i < 4; i++) out.push(rng.u32() & 0xff);
    else {
      const len = range(rng, 0, 30);
      pbVarint(out, BigInt(len));
      for (let i = 0; i < len; i++) out.push(rng.u32() & 0xff);
    }
  };
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const fields: number[][] = [];
    const f = (build: (out: number[]) => void): void => {
      const out: number[] = [];
      build(out);
      fields.push(out);
    };
    f((o) => { pbKey(o, 1, 0); pbVarint(o, BigInt(rng.u32() % 4 === 0 ? rng.u32() : rng.u32() % 1000)); });
    if (rng.u32() % 4 !== 0) f((o) => pbBytes(o, 2, ascii(`${word(rng, 3, 12)}-${word(rng, 1, 8)}`)));
    for (let e = rng.u32() % 4; e > 0; e--) {
      f((o) => {
        const ep: number[] = [];
        pbBytes(ep, 1, Array.from({ length: rng.u32() % 2 === 0 ? 4 : 16 }, () => rng.u32() & 0xff));
        pbKey(ep, 2, 0);
        pbVarint(ep, BigInt(range(rng, 1, 65535)));
        for (let l = rng.u32() % 3; l > 0; l--) pbBytes(ep, 3, label());
        if (rng.u32() % 2 === 0) { pbKey(ep, 4, 0); pbVarint(ep, zigzag(BigInt(range(rng, 0, 2000000)) - 1000000n)); }
        if (rng.u32() % 5 === 0) unknown(ep);
        pbBytes(o, 3, ep);
      });
    }
    if (rng.u32() % 2 === 0) f((o) => { pbKey(o, 4, 1); for (let k = 0; k < 8; k++) o.push(rng.u32() & 0xff); });
    if (rng.u32() % 3 !== 0) {
      f((o) => {
        const s: number[] = [];
        for (let k = range(rng, 1, 40); k > 0; k--) pbVarint(s, zigzag(BigInt((rng.u32() % 20001) - 10000)));
        pbBytes(o, 5, s);
      });
    }
    if (rng.u32() % 3 === 0) f((o) => { pbKey(o, 6, 5); for (let k = 0; k < 4; k++) o.push(rng.u32() & 0xff); });
    if (rng.u32() % 3 === 0) {
      f((o) => {
        const m: number[] = [];
        for (let l = range(rng, 1, 4); l > 0; l--) pbBytes(m, 1, label());
        pbKey(m, 2, 0);
        pbVarint(m, BigInt(rng.u32() & 0xff));
        pbBytes(o, 7, m);
      });
    }
    for (let u = rng.u32() % 3; u > 0; u--) f((o) => unknown(o));
    for (let k = fields.length - 1; k > 0; k--) {
      const j = rng.u32() % (k + 1);
      [fields[k], fields[j]] = [fields[j]!, fields[k]!];
    }
    let bytes = fields.flat();
    const r = rng.u32() % 100;
    if (r === 0) bytes = bytes.slice(0, range(rng, 1, Math.max(1, bytes.length - 1)));
    else if (r === 1) bytes = [...bytes, 0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    else if (r === 2) bytes = [0x1d, 1, 2, 3, 4, ...bytes]; // field 3 (a message) as fixed32
    else if (r === 3) bytes = [...bytes, 0x00, 0x00];
    items.push(Uint8Array.from(bytes));
  }
  return records(items, 0);
}

/**
 * bitvec_acl: `nrules` rules (source and destination prefixes under a few networks, port ranges and
 * single ports, a protocol or any; the last rule matches everything), their per-field interval starts
 * and bit vectors computed here, the rules' actions, then `npkts` 16-byte packets (half drawn inside a
 * rule's ranges, half from general traffic).
 */
function bitvecInput(nrules: number, npkts: number, rng: Rng): Uint8Array {
  const MAX = [0xffffffff, 0xffffffff, 0xffff, 0xffff, 0xff];
  const nets = Array.from({ length: 8 }, () => rng.u32() & 0xffff0000);
  const prefix = (): [number, number] => {
    const len = [0, 8, 16, 16, 24, 24, 24, 28, 32, 32][rng.u32() % 10]!;
    if (len === 0) return [0, 0xffffffff];
    const net = (nets[rng.u32() % nets.length]! | (rng.u32() & 0xffff)) >>> 0;
    const mask = len === 32 ? 0xffffffff : ~(0xffffffff >>> len) >>> 0;
    const lo = (net & mask) >>> 0;
    return [lo, (lo | (~mask >>> 0)) >>> 0];
  };
  const ports = (): [number, number] => {
    const r = rng.u32() % 4;
    if (r === 0) return [0, 0xffff];
    if (r === 1) return [1024, 0xffff];
    if (r === 2) {
      const p = [22, 53, 80, 123, 443, 3306, 5432, 8080][rng.u32() % 8]!;
      return [p, p];
    }
    const lo = rng.u32() % 60000;
    return [lo, lo + range(rng, 1, 5000)];
  };
  const rules: [number, number][][] = [];
  for (let i = 0; i < nrules - 1; i++) {
    const proto: [number, number] = [[0, 255], [6, 6], [17, 17], [6, 6], [1, 1]][rng.u32() % 5] as [number, number];
    rules.push([prefix(), prefix(), rng.u32() % 2 === 0 ? [0, 0xffff] : ports(), ports(), proto]);
  }
  rules.push([[0, 0xffffffff], [0, 0xffffffff], [0, 0xffff], [0, 0xffff], [0, 255]]);
  const fields = [0, 1, 2, 3, 4].map((f) => {
    const set = new Set<number>([0]);
    for (const r of rules) {
      set.add(r[f]![0]);
      if (r[f]![1] < MAX[f]!) set.add(r[f]![1] + 1);
    }
    const starts = [...set].sort((a, b) => a - b);
    const maps = starts.map((s) => {
      const words = [0n, 0n, 0n, 0n];
      rules.forEach((r, k) => {
        if (r[f]![0] <= s && s <= r[f]![1]) words[k >> 6]! |= 1n << BigInt(k & 63);
      });
      return words;
    });
    return { starts, maps };
  });
  let off = 16 + 5 * 16;
  const layout = fields.map((fd) => {
    const startsOff = off;
    const mapsOff = align8(startsOff + fd.starts.length * 4);
    off = mapsOff + fd.starts.length * 32;
    return { startsOff, mapsOff };
  });
  const actionsOff = off;
  const pktsOff = align8(actionsOff + nrules);
  const w = new Writer(pktsOff + npkts * 16);
  w.u32(0, npkts);
  w.u32(4, pktsOff);
  w.u32(8, actionsOff);
  fields.forEach((fd, f) => {
    const at = 16 + f * 16;
    w.u32(at, fd.starts.length);
    w.u32(at + 4, layout[f]!.startsOff);
    w.u32(at + 8, layout[f]!.mapsOff);
    fd.starts.forEach((s, k) => w.u32(layout[f]!.startsOff + k * 4, s));
    fd.maps.forEach((m, k) => m.forEach((word, j) => w.u64(layout[f]!.mapsOff + k * 32 + j * 8, word)));
  });
  for (let k = 0; k < nrules; k++) w.bytes[actionsOff + k] = rng.u32() % 4;
  const inside = (lo: number, hi: number): number => lo + Math.floor((rng.u32() / 2 ** 32) * (hi - lo + 1));
  for (let i = 0; i < npkts; i++) {
    const at = pktsOff + i * 16;
    let v: number[];
    if (rng.u32() % 2 === 0) v = rules[rng.u32() % nrules]!.map(([lo, hi]) => inside(lo, hi));
    else v = [(nets[rng.u32() % nets.length]! | (rng.u32() & 0xffff)) >>> 0, rng.u32(), range(rng, 1024, 65535), [80, 443, 53, 22][rng.u32() % 4]!, [6, 17, 1][rng.u32() % 3]!];
    w.u32(at, v[0]!);
    w.u32(at + 4, v[1]!);
    w.bytes[at + 8] = v[2]! & 0xff;
    w.bytes[at + 9] = v[2]! >>> 8;
    w.bytes[at + 10] = v[3]! & 0xff;
    w.bytes[at + 11] = v[3]! >>> 8;
    w.bytes[at + 12] = v[4]!;
  }
  return w.bytes;
}

/**
 * ipfrag: `n` datagrams of 400-3000 bytes cut into fragments (multiples of 8 bytes but the last),
 * sent in shuffled order and interleaved with up to `live` other datagrams; some fragments duplicated
 * or sent again cut differently (overlaps), some lost (the datagram never completes), some unfragmented
 * packets and malformed fragments. Records are padded so that each payload is 8-byte aligned; then
 * room for 2^log2slots slots of 80 bytes and their 4 KiB buffers.
 */
function ipfragInput(n: number, live: number, log2slots: number, rng: Rng): Uint8Array {
  const packet = (src: number, id: number, proto: number, off: number, mf: boolean, payload: readonly number[]): number[] => {
    const tot = 20 + payload.length;
    const fo = (mf ? 0x2000 : 0) | (off >>> 3);
    const h = [0x45, 0, tot >>> 8, tot & 0xff, id >>> 8, id & 0xff, fo >>> 8, fo & 0xff, 64, proto, 0, 0];
    for (const a of [src, 0xc0a80001]) h.push(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
    const c = inetChecksum(h);
    h[10] = c >>> 8;
    h[11] = c & 0xff;
    return [...h, ...payload];
  };
  const pending: number[][][] = [];
  const out: number[][] = [];
  let made = 0;
  while (made < n || pending.length > 0) {
    while (made < n && pending.length < live) {
      made++;
      const src = 0x0a000000 + (rng.u32() % 4096);
      const id = rng.u32() & 0xffff;
      const proto = rng.u32() % 4 === 0 ? 6 : 17;
      if (rng.u32() % 20 === 0) {
        pending.push([packet(src, id, proto, 0, false, Array.from({ length: range(rng, 20, 400) }, () => rng.u32() & 0xff))]);
        continue;
      }
      const data = Array.from({ length: range(rng, 400, 3000) }, () => rng.u32() & 0xff);
      const cut = (): number[][] => {
        const frags: number[][] = [];
        for (let at = 0; at < data.length; ) {
          let len = Math.min(data.length - at, range(rng, 8, 64) * 8);
          if (at + len < data.length) len &= ~7;
          frags.push(packet(src, id, proto, at, at + len < data.length, data.slice(at, at + len)));
          at += len;
        }
        return frags;
      };
      const frags = cut();
      const r = rng.u32() % 100;
      if (r < 6) frags.push(frags[rng.u32() % frags.length]!);
      else if (r < 10) frags.push(...cut().slice(0, 2));
      else if (r < 13 && frags.length > 1) frags.splice(rng.u32() % frags.length, 1);
      else if (r < 15) {
        const f = frags[rng.u32() % frags.length]!.slice();
        f[0] = 0x46; // options are not expected: malformed
        frags.push(f);
      }
      for (let k = frags.length - 1; k > 0; k--) {
        const j = rng.u32() % (k + 1);
        [frags[k], frags[j]] = [frags[j]!, frags[k]!];
      }
      pending.push(frags);
    }
    const k = rng.u32() % pending.length;
    out.push(pending[k]!.shift()!);
    if (pending[k]!.length === 0) pending.splice(k, 1);
  }
  const b = new Bytes();
  for (const pkt of out) {
    const padded = (pkt.length + 2 + 7) & ~7;
    b.le16(padded - 2);
    b.push(...pkt);
    for (let i = pkt.length + 2; i < padded; i++) b.push(0);
  }
  const rec = b.done();
  const slotsOff = align8(26 + rec.length);
  const bufsOff = align8(slotsOff + (1 << log2slots) * 80);
  const w = new Writer(bufsOff + (1 << log2slots) * 4096);
  w.u32(0, rec.length);
  w.u32(4, log2slots);
  w.u32(8, slotsOff);
  w.u32(12, bufsOff);
  w.bytes.set(rec, 26);
  return w.bytes;
}

/** The input of one of these ten benchmarks, or undefined for another name. */
export function eshape3Input(name: string, full: boolean, rng: Rng): Uint8Array | undefined {
  switch (name) {
    case 'quic_hdr':
      return quicInput(full ? 4_000 : 40, rng);
    case 'icmp_err':
      return full ? icmpInput(4_000, 512, 10, rng) : icmpInput(60, 12, 5, rng);
    case 'radix6':
      return full ? radixInput(1_500, 8_192, rng) : radixInput(20, 40, rng);
    case 'cuckoo':
      return full ? cuckooInput(6_000, 16_384, 11, rng) : cuckooInput(60, 100, 4, rng);
    case 'http_route':
      return full ? httpInput(1_500, 48, rng) : httpInput(30, 10, rng);
    case 'dns_resp':
      return dnsRespInput(full ? 3_000 : 50, rng);
    case 'aho_corasick':
      return full ? ahoInput(40, 49_152, rng) : ahoInput(6, 600, rng);
    case 'protobuf':
      return protobufInput(full ? 2_000 : 30, rng);
    case 'bitvec_acl':
      return full ? bitvecInput(256, 8_192, rng) : bitvecInput(20, 60, rng);
    case 'ipfrag':
      return full ? ipfragInput(400, 8, 6, rng) : ipfragInput(12, 3, 2, rng);
    default:
      return eshape4Input(name, full, rng);
  }
}
