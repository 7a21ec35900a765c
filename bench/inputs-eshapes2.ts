/**
 * Input generators of the ten eBPF-shaped programs added as the second held-out check (issue 15):
 * connection tracking, TLS SNI, NAT44, a count-min sketch, HyperLogLog, VLAN/MPLS parsing, top-k
 * flows, a ring-buffer record stream, an LRU cache and SYN cookies. Each is deterministic (see
 * inputs.ts); the layouts are the `struct …_input` of the programs' C sources.
 * @module
 */
import { Bytes, Rng, Writer, lengthPrefixed } from './input-tools.js';
import { eshape3Input } from './inputs-eshapes3.js';

/** A random u64 as a bigint. */
function u64(rng: Rng): bigint {
  return (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/**
 * conntrack: `nevents` 24-byte TCP events (saddr, daddr, sport, dport, flags, ts) from simulated
 * connections (handshake, data, FIN either side, some RSTs, some abandoned, some invalid or stray
 * packets), then room for a table of 2^log2cap 24-byte entries.
 */
function conntrackInput(nevents: number, log2cap: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + nevents * 24 + (1 << log2cap) * 24);
  w.u32(0, nevents);
  w.u32(4, log2cap);
  // A connection's script: [flags, from the client?] in order.
  const script = (): [number, boolean][] => {
    const s: [number, boolean][] = [[SYN, true], [SYN | ACK, false], [ACK, true]];
    const data = rng.u32() % 8;
    for (let i = 0; i < data; i++) s.push([ACK, rng.u32() % 2 === 0]);
    const r = rng.u32() % 20;
    if (r === 0) s.push([RST, rng.u32() % 2 === 0]);
    else if (r === 1) s.push([SYN, false]); // invalid in ESTABLISHED
    else if (r !== 2) {
      // r === 2: abandoned (left to time out)
      const clientFirst = rng.u32() % 3 !== 0;
      s.push([FIN | ACK, clientFirst], [ACK, !clientFirst], [FIN | ACK, !clientFirst], [ACK, clientFirst]);
    }
    return s;
  };
  interface Conn { c: number; s: number; cp: number; sp: number; steps: [number, boolean][]; at: number }
  const live: Conn[] = [];
  let ts = 1000;
  for (let i = 0; i < nevents; i++) {
    const at = 8 + i * 24;
    ts += rng.u32() % 4;
    const r = rng.u32() % 100;
    let saddr: number, daddr: number, sport: number, dport: number, flags: number;
    if (r < 3) {
      // a stray packet of no connection
      saddr = rng.u32();
      daddr = rng.u32();
      sport = rng.u32() & 0xffff;
      dport = 443;
      flags = [ACK, FIN | ACK, RST, SYN | ACK][rng.u32() % 4]!;
    } else if (live.length < 20 || r < 15) {
      const conn: Conn = { c: 0x0a000000 + (rng.u32() % 65536), s: 0xc0a80000 + (rng.u32() % 64), cp: 1024 + (rng.u32() % 60000), sp: [80, 443, 22, 53][rng.u32() % 4]!, steps: script(), at: 0 };
      live.push(conn);
      [saddr, daddr, sport, dport, flags] = [conn.c, conn.s, conn.cp, conn.sp, SYN];
      conn.at = 1;
    } else {
      const k = rng.u32() % live.length;
      const conn = live[k]!;
      const [f, fromClient] = conn.steps[conn.at]!;
      conn.at++;
      if (conn.at >= conn.steps.length) live.splice(k, 1);
      flags = f;
      [saddr, daddr, sport, dport] = fromClient ? [conn.c, conn.s, conn.cp, conn.sp] : [conn.s, conn.c, conn.sp, conn.cp];
    }
    w.u32(at, saddr);
    w.u32(at + 4, daddr);
    w.bytes[at + 8] = sport & 0xff;
    w.bytes[at + 9] = sport >>> 8;
    w.bytes[at + 10] = dport & 0xff;
    w.bytes[at + 11] = dport >>> 8;
    w.bytes[at + 12] = flags;
    w.u32(at + 16, ts);
  }
  return w.bytes;
}

/** A host name of 1-4 labels, sometimes with capitals, sometimes under the blocked suffix. */
function hostName(rng: Rng): string {
  const labels: string[] = [];
  const n = 1 + (rng.u32() % 4);
  for (let i = 0; i < n; i++) {
    let l = '';
    const len = 1 + (rng.u32() % 12);
    for (let c = 0; c < len; c++) l += 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'[rng.u32() % 63];
    labels.push(l);
  }
  const r = rng.u32() % 6;
  if (r === 0) labels.push('Example', 'COM');
  else if (r === 1) labels.push('example', 'com');
  else labels.push(['com', 'org', 'net', 'io'][rng.u32() % 4]!);
  return labels.join('.');
}

/**
 * tls_sni: a blocked suffix (".example.com") and `count` length-prefixed TCP payloads: ClientHellos
 * with random session ids, cipher suites and extensions (SNI, ALPN, supported_versions, others),
 * some not TLS, some not a ClientHello, some truncated or with a bad length.
 */
function tlsInput(count: number, rng: Rng): Uint8Array {
  const suffix = '.example.com';
  const out = new Bytes();
  for (let i = 0; i < count; i++) {
    const kind = rng.u32() % 40;
    const ext = new Bytes();
    const extension = (type: number, body: Bytes): void => {
      ext.be16(type);
      ext.be16(body.length);
      ext.push(...body.done());
    };
    const order = [0, 1, 2, 3, 4, 5];
    for (let k = order.length - 1; k > 0; k--) {
      const j = rng.u32() % (k + 1);
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    for (const e of order) {
      if (e === 0 && kind !== 5) {
        const name = hostName(rng);
        const b = new Bytes();
        b.be16(name.length + 3);
        b.push(0);
        b.be16(name.length);
        for (const c of name) b.push(c.charCodeAt(0));
        extension(0, b);
      } else if (e === 1 && rng.u32() % 2 === 0) {
        const b = new Bytes();
        const protos = rng.u32() % 2 === 0 ? ['h2', 'http/1.1'] : ['http/1.1'];
        const list = new Bytes();
        for (const p of protos) {
          list.push(p.length);
          for (const c of p) list.push(c.charCodeAt(0));
        }
        b.be16(list.length);
        b.push(...list.done());
        extension(16, b);
      } else if (e === 2) {
        const b = new Bytes();
        const versions = rng.u32() % 3 === 0 ? [0x0303] : [0x0304, 0x0303];
        b.push(versions.length * 2);
        for (const v of versions) b.be16(v);
        extension(43, b);
      } else if (e >= 3) {
        const b = new Bytes();
        b.random(rng.u32() % 40, rng);
        extension([10, 11, 13, 35, 51, 45][rng.u32() % 6]!, b);
      }
    }
    const hello = new Bytes();
    hello.be16(0x0303);
    hello.random(32, rng);
    const sid = rng.u32() % 2 === 0 ? 32 : 0;
    hello.push(sid);
    hello.random(sid, rng);
    const suites = 2 * (1 + (rng.u32() % 20));
    hello.be16(suites);
    hello.random(suites, rng);
    hello.push(1, 0);
    hello.be16(kind === 6 ? ext.length + 9 : ext.length);
    hello.push(...ext.done());
    const hs = new Bytes();
    hs.push(kind === 7 ? 2 : 1);
    hs.push(0, hello.length >>> 8, hello.length);
    hs.push(...hello.done());
    const rec = new Bytes();
    if (kind === 8) rec.push(23, 3, 3);
    else rec.push(22, 3, 1);
    rec.be16(hs.length);
    rec.push(...hs.done());
    let msg = rec.done();
    if (kind === 9) msg = msg.subarray(0, rng.u32() % msg.length);
    out.le16(msg.length);
    out.push(...msg);
  }
  const body = out.done();
  const w = new Writer(40 + body.length);
  w.u32(0, body.length);
  w.u32(4, suffix.length);
  for (let i = 0; i < suffix.length; i++) w.bytes[8 + i] = suffix.charCodeAt(i);
  w.bytes.set(body, 40);
  return w.bytes;
}

/** The RFC 1071 checksum of bytes [from, to) of b, with an initial sum. */
function checksum(b: number[], from: number, to: number, init = 0): number {
  let s = init;
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * nat44: two open-addressing translation tables (outbound inside→outside, inbound the reverse) of
 * 2^log2slots 12-byte entries, a 128-byte work buffer and `count` length-prefixed frames: outbound and
 * inbound TCP/UDP with valid checksums (UDP sometimes without), some with IP options, some fragments,
 * unknown mappings, TTL 1, other EtherTypes and protocols, truncated frames.
 */
function natInput(count: number, nmap: number, log2slots: number, rng: Rng): Uint8Array {
  const slots = 1 << log2slots;
  const mask = slots - 1;
  const insideNet = 0x0a000000;
  const outsideNet = 0xcb007100;
  const hash = (addr: number, port: number): number => {
    let h = Math.imul((addr ^ ((port << 16) | port)) >>> 0, 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    return h & mask;
  };
  const outT: (number[] | undefined)[] = new Array(slots);
  const inT: (number[] | undefined)[] = new Array(slots);
  const maps: number[][] = [];
  const put = (t: (number[] | undefined)[], fa: number, fp: number, ta: number, tp: number): void => {
    let h = hash(fa, fp);
    while (t[h] !== undefined) h = (h + 1) & mask;
    t[h] = [fa, fp, tp, ta];
  };
  for (let i = 0; i < nmap; i++) {
    const ia = (insideNet + 1 + (rng.u32() % 0xfffffe)) >>> 0;
    const ip = 1024 + (rng.u32() % 60000);
    const oa = (outsideNet + 1 + (i % 250)) >>> 0;
    const op = 1024 + ((i * 7 + (rng.u32() % 7)) % 60000);
    if (maps.some((m) => (m[0] === ia && m[1] === ip) || (m[2] === oa && m[3] === op))) continue;
    maps.push([ia, ip, oa, op]);
    put(outT, ia, ip, oa, op);
    put(inT, oa, op, ia, ip);
  }
  const frames = new Bytes();
  for (let i = 0; i < count; i++) {
    const kind = rng.u32() % 50;
    const f: number[] = [];
    for (let k = 0; k < 12; k++) f.push(rng.u32() & 0xff);
    f.push(kind === 0 ? 0x86 : 0x08, kind === 0 ? 0xdd : 0x00);
    const m = maps[rng.u32() % maps.length]!;
    const outbound = rng.u32() % 2 === 0;
    const remote = (0x08000000 + rng.u32() % 0x1000000) >>> 0;
    const rport = [80, 443, 53, 123][rng.u32() % 4]!;
    let [sa, sp, da, dp] = outbound ? [m[0]!, m[1]!, remote, rport] : [remote, rport, m[2]!, m[3]!];
    if (kind === 1) sp = outbound ? sp ^ 1 : sp;
    if (kind === 2 && !outbound) dp ^= 0x8000; // unknown mapping
    if (kind === 3) sa = 0x2a000001; // neither side ours
    const proto = kind === 4 ? 1 : rng.u32() % 3 === 0 ? 17 : 6;
    const opts = kind === 5 ? 8 : 0;
    const ihl = 20 + opts;
    const l4len = proto === 6 ? 20 : 8;
    const payload = rng.u32() % 64;
    const total = ihl + l4len + payload;
    const ip = [0x40 | (ihl / 4), 0, total >>> 8, total & 0xff, rng.u32() & 0xff, rng.u32() & 0xff, kind === 6 ? 0x20 : 0x40, 0, kind === 7 ? 1 : 64, proto, 0, 0];
    for (const a of [sa, da]) ip.push(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
    for (let k = 0; k < opts; k++) ip.push(1);
    const c = checksum(ip, 0, ihl);
    ip[10] = c >>> 8;
    ip[11] = c & 0xff;
    const l4: number[] = [sp >>> 8, sp & 0xff, dp >>> 8, dp & 0xff];
    if (proto === 6) {
      for (let k = 0; k < 8; k++) l4.push(rng.u32() & 0xff);
      l4.push(0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0);
    } else {
      l4.push((l4len + payload) >>> 8, (l4len + payload) & 0xff, 0, 0);
    }
    for (let k = 0; k < payload; k++) l4.push(rng.u32() & 0xff);
    const noUdpSum = proto === 17 && rng.u32() % 4 === 0;
    if (proto !== 1 && !noUdpSum) {
      const pseudo = [...ip.slice(12, 20), 0, proto, (l4.length >>> 8) & 0xff, l4.length & 0xff];
      const ps = 0xffff & ~checksum(pseudo, 0, pseudo.length);
      let cs = checksum(l4, 0, l4.length, ps);
      if (proto === 17 && cs === 0) cs = 0xffff;
      const at = proto === 6 ? 16 : 6;
      l4[at] = cs >>> 8;
      l4[at + 1] = cs & 0xff;
    }
    let frame = [...f, ...ip, ...l4];
    if (kind === 8) frame = frame.slice(0, 14 + (rng.u32() % (ihl + l4len)));
    frames.le16(frame.length);
    frames.push(...frame);
  }
  const body = frames.done();
  const headerLen = 24;
  const tablesOff = (headerLen + body.length + 7) & ~7;
  const workOff = tablesOff + 2 * slots * 12;
  const w = new Writer(workOff + 128);
  w.u32(0, body.length);
  w.u32(4, log2slots);
  w.u32(8, insideNet);
  w.u32(12, outsideNet);
  w.u32(16, tablesOff);
  w.u32(20, workOff);
  w.bytes.set(body, headerLen);
  [outT, inT].forEach((t, ti) => {
    t.forEach((e, k) => {
      if (e === undefined) return;
      const at = tablesOff + (ti * slots + k) * 12;
      w.u32(at, e[0]!);
      w.bytes[at + 4] = e[1]! & 0xff;
      w.bytes[at + 5] = e[1]! >>> 8;
      w.bytes[at + 6] = e[2]! & 0xff;
      w.bytes[at + 7] = e[2]! >>> 8;
      w.u32(at + 8, e[3]!);
    });
  });
  return w.bytes;
}

/**
 * cmsketch: `nupdates` (flow, bytes) updates from a skewed flow population (a few heavy flows),
 * `nqueries` flows (half heavy or seen, half random), seeds, then room for 4 rows of 2^log2w counters.
 */
function cmsInput(nupdates: number, nqueries: number, log2w: number, rng: Rng): Uint8Array {
  const flows = Array.from({ length: 2048 }, () => u64(rng));
  const upOff = 88;
  const qOff = upOff + nupdates * 16;
  const w = new Writer(qOff + nqueries * 8 + 4 * (1 << log2w) * 4);
  w.u32(0, nupdates);
  w.u32(4, nqueries);
  w.u32(8, log2w);
  w.u32(12, 200_000);
  for (let i = 0; i < 8; i++) w.u64(24 + i * 8, i % 2 === 0 ? u64(rng) | 1n : u64(rng));
  const pick = (): bigint => {
    const r = rng.u32() % 100;
    return r < 40 ? flows[rng.u32() % 16]! : flows[rng.u32() % flows.length]!;
  };
  for (let i = 0; i < nupdates; i++) {
    w.u64(upOff + i * 16, pick());
    w.u32(upOff + i * 16 + 8, 64 + (rng.u32() % 1437));
  }
  for (let i = 0; i < nqueries; i++) w.u64(qOff + i * 8, rng.u32() % 2 === 0 ? pick() : u64(rng));
  return w.bytes;
}

/**
 * hll: `nitems` (sketch, key) items: sketch s gets about 4^s/2 distinct keys (from a handful to tens
 * of thousands), repeated; a few items name no sketch; then room for 9 sketches of 2^p registers.
 */
function hllInput(nitems: number, p: number, rng: Rng): Uint8Array {
  const w = new Writer(16 + nitems * 16 + 9 * (1 << p));
  w.u32(0, nitems);
  w.u32(4, p);
  for (let i = 0; i < nitems; i++) {
    const at = 16 + i * 16;
    const r = rng.u32() % 200;
    const s = r === 0 ? 8 + (rng.u32() % 4) : rng.u32() % 8;
    const distinct = Math.max(2, Math.floor(4 ** s / 2));
    w.u32(at, s);
    w.u64(at + 8, (BigInt(s) << 48n) | BigInt(rng.u32() % distinct));
  }
  return w.bytes;
}

/**
 * mpls: a label table (LFIB) and `count` length-prefixed frames: 0-2 VLAN tags, MPLS stacks of 1-4
 * labels (explicit null, entropy label pairs, labels outside the table), IPv4/IPv6/pseudowire
 * payloads, stacks deeper than 8, plain IPv4 frames, truncated frames.
 */
function mplsInput(count: number, lfibSize: number, rng: Rng): Uint8Array {
  const base = 1000;
  const frames = new Bytes();
  const label = (b: Bytes, l: number, bos: boolean): void => {
    const v = ((l << 12) | ((rng.u32() % 8) << 9) | (bos ? 0x100 : 0) | 64) >>> 0;
    b.push(v >>> 24, v >>> 16, v >>> 8, v);
  };
  const ipPacket = (b: Bytes): void => {
    if (rng.u32() % 3 === 0) {
      b.push(0x60, 0, 0, 0, 0, 40, rng.u32() % 2 === 0 ? 6 : 17, 64);
      b.random(32, rng);
    } else {
      b.push(0x45, 0, 0, 40, 0, 0, rng.u32() % 8 === 0 ? 0x20 : 0, rng.u32() % 10 === 0 ? 5 : 0, 64, rng.u32() % 2 === 0 ? 6 : 17, 0, 0);
      b.random(8, rng);
    }
    b.random(8 + (rng.u32() % 20), rng);
  };
  for (let i = 0; i < count; i++) {
    const f = new Bytes();
    f.random(12, rng);
    const kind = rng.u32() % 40;
    const vlans = rng.u32() % 3;
    if (vlans === 2) {
      f.be16(0x88a8);
      f.be16(rng.u32() & 0xfff);
    }
    if (vlans >= 1) {
      f.be16(0x8100);
      f.be16(rng.u32() & 0xfff);
    }
    if (kind === 0) {
      f.be16(0x0800);
      ipPacket(f);
    } else {
      f.be16(0x8847);
      const labels: number[] = [];
      const n = kind === 1 ? 9 : 1 + (rng.u32() % 3);
      for (let l = 0; l < n; l++) {
        const r = rng.u32() % 10;
        labels.push(l === 0 && kind === 2 ? 0 : l === 0 && kind === 3 ? 50_000 : r === 0 && l > 0 ? 7 : base + (rng.u32() % (lfibSize + 2)));
        if (labels[labels.length - 1] === 7) labels.push(16 + (rng.u32() % 0xfff00));
      }
      labels.forEach((l, k) => label(f, l, k === labels.length - 1 && kind !== 1));
      if (kind === 4 || kind === 5) {
        f.push(0, 0, 0, 0);
        f.random(12, rng);
        f.be16(0x0800);
        ipPacket(f);
      } else if (kind === 6) {
        f.push(0x9f);
        f.random(20, rng);
      } else {
        ipPacket(f);
      }
    }
    let frame = f.done();
    if (kind === 7 || kind === 8) frame = frame.subarray(0, rng.u32() % frame.length);
    frames.le16(frame.length);
    frames.push(...frame);
  }
  const body = frames.done();
  const lfibOff = (16 + body.length + 7) & ~7;
  const w = new Writer(lfibOff + lfibSize * 8);
  w.u32(0, body.length);
  w.u32(4, base);
  w.u32(8, lfibSize);
  w.u32(12, lfibOff);
  w.bytes.set(body, 16);
  for (let i = 0; i < lfibSize; i++) {
    w.u32(lfibOff + i * 8, rng.u32() % 8 === 0 ? 0xfffff : 16 + (rng.u32() % 100_000));
    w.u32(lfibOff + i * 8 + 4, rng.u32() % 20 === 0 ? 0 : 1 + (rng.u32() % 16));
  }
  return w.bytes;
}

/**
 * topk: `nrecs` (flow, bytes) records over `nflows` flows (a skewed popularity, some flows never seen,
 * a few ids out of range), k, then room for the counters and the heap.
 */
function topkInput(nrecs: number, nflows: number, k: number, rng: Rng): Uint8Array {
  const recOff = 24;
  const w = new Writer(recOff + nrecs * 8 + nflows * 16 + k * 16);
  w.u32(0, nrecs);
  w.u32(4, nflows);
  w.u32(8, k);
  for (let i = 0; i < nrecs; i++) {
    const r = rng.u32() % 1000;
    // the minimum of two or three draws skews towards low ids
    const a = rng.u32() % nflows, b = rng.u32() % nflows, c = rng.u32() % nflows;
    const flow = r === 0 ? nflows + (rng.u32() % 10) : r < 500 ? Math.min(a, b, c) : r < 900 ? Math.min(a, b) : (a * 2) % nflows;
    w.u32(recOff + i * 8, flow);
    w.u32(recOff + i * 8 + 4, [64, 576, 1500][rng.u32() % 3]! + (rng.u32() % 4) * (r & 1));
  }
  return w.bytes;
}

/**
 * ringbuf: `nevents` 40-byte events (timestamps increasing by small and large steps, pids, types,
 * signed values of every size, payload lengths of 0-15, which the program clamps to 12), the ring's size and the drain period.
 */
function ringbufInput(nevents: number, log2size: number, drainEvery: number, rng: Rng): Uint8Array {
  const w = new Writer(16 + nevents * 40 + (1 << log2size));
  w.u32(0, nevents);
  w.u32(4, log2size);
  w.u32(8, drainEvery);
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < nevents; i++) {
    const at = 16 + i * 40;
    ts += BigInt(rng.u32() % 8 === 0 ? rng.u32() : rng.u32() % 5000);
    w.u64(at, ts);
    w.u32(at + 8, 1 + (rng.u32() % (rng.u32() % 4 === 0 ? 4_000_000 : 200)));
    w.u32(at + 12, rng.u32() % 12);
    const bits = rng.u32() % 64;
    const v = BigInt.asIntN(64, u64(rng) >> BigInt(bits));
    w.u64(at + 16, v);
    w.u32(at + 24, rng.u32() % 16);
    for (let k = 0; k < 12; k++) w.bytes[at + 28 + k] = rng.u32() & 0xff;
  }
  return w.bytes;
}

/**
 * lru: `nops` operations on keys drawn from a skewed population of `nkeys` (a hot set and a long
 * tail), the capacity and bucket count, then room for the buckets and the entries.
 */
function lruInput(nops: number, nkeys: number, cap: number, log2buckets: number, rng: Rng): Uint8Array {
  const keys = Array.from({ length: nkeys }, () => u64(rng));
  const opOff = 16;
  const nb = 1 << log2buckets;
  const w = new Writer(opOff + nops * 16 + ((nb + 1) & ~1) * 4 + cap * 32);
  w.u32(0, nops);
  w.u32(4, cap);
  w.u32(8, log2buckets);
  for (let i = 0; i < nops; i++) {
    const r = rng.u32() % 100;
    const k = r < 60 ? rng.u32() % (cap >>> 2) : r < 85 ? rng.u32() % cap : rng.u32() % nkeys;
    w.u64(opOff + i * 16, keys[k]!);
    w.u32(opOff + i * 16 + 8, 1 + (rng.u32() % 1500));
  }
  return w.bytes;
}

/**
 * syncookie: a secret and `nevents` 36-byte events: SYNs with varied MSS options, and ACKs echoing an
 * earlier SYN's cookie (most valid; some with a wrong number, too late, or from another port).
 */
function syncookieInput(nevents: number, rng: Rng): Uint8Array {
  const evOff = 16;
  const size = 36;
  const w = new Writer(evOff + nevents * size);
  w.u32(0, nevents);
  for (let i = 0; i < 3; i++) w.u32(4 + i * 4, rng.u32());
  const syns: { i: number; sa: number; da: number; sp: number; dp: number; seq: number; ts: number }[] = [];
  let ts = 100_000;
  for (let i = 0; i < nevents; i++) {
    const at = evOff + i * size;
    if (rng.u32() % 8 === 0) ts++;
    const ack = syns.length > 0 && rng.u32() % 2 === 0;
    if (!ack) {
      const s = { i, sa: 0x0a000000 + (rng.u32() % 0xffffff), da: 0xc0a80001, sp: 1024 + (rng.u32() % 60000), dp: 443, seq: rng.u32(), ts };
      syns.push(s);
      if (syns.length > 256) syns.shift();
      w.u32(at, s.sa);
      w.u32(at + 4, s.da);
      w.bytes[at + 8] = s.sp & 0xff;
      w.bytes[at + 9] = s.sp >>> 8;
      w.bytes[at + 10] = s.dp & 0xff;
      w.bytes[at + 11] = s.dp >>> 8;
      w.u32(at + 12, s.seq);
      w.u32(at + 16, ts);
      const mss = [0, 536, 1200, 1380, 1440, 1460, 8960, 1300][rng.u32() % 8]!;
      w.bytes[at + 20] = mss & 0xff;
      w.bytes[at + 21] = mss >>> 8;
    } else {
      const s = syns[rng.u32() % syns.length]!;
      const r = rng.u32() % 20;
      const sp = r === 0 ? s.sp ^ 4 : s.sp;
      w.u32(at, s.sa);
      w.u32(at + 4, s.da);
      w.bytes[at + 8] = sp & 0xff;
      w.bytes[at + 9] = sp >>> 8;
      w.bytes[at + 10] = s.dp & 0xff;
      w.bytes[at + 11] = s.dp >>> 8;
      w.u32(at + 12, (s.seq + 1) >>> 0);
      w.u32(at + 16, r === 1 ? ts + 200 : r === 2 ? ts + 70 : ts);
      w.bytes[at + 22] = 1;
      w.u32(at + 24, r === 3 ? i : s.i); // r === 3: names itself, not an earlier SYN
      w.u32(at + 28, r === 4 ? 1 + (rng.u32() % 1000) : 0);
    }
  }
  return w.bytes;
}

/** The input of one of these ten benchmarks, or undefined for another name. */
export function eshape2Input(name: string, full: boolean, rng: Rng): Uint8Array | undefined {
  switch (name) {
    case 'conntrack':
      return full ? conntrackInput(32_768, 14, rng) : conntrackInput(200, 6, rng);
    case 'tls_sni':
      return tlsInput(full ? 4_000 : 40, rng);
    case 'nat44':
      return full ? natInput(4_000, 1_500, 12, rng) : natInput(40, 20, 5, rng);
    case 'cmsketch':
      return full ? cmsInput(16_384, 4_096, 12, rng) : cmsInput(100, 30, 6, rng);
    case 'hll':
      return full ? hllInput(32_768, 10, rng) : hllInput(300, 4, rng);
    case 'mpls':
      return full ? mplsInput(4_000, 256, rng) : mplsInput(40, 8, rng);
    case 'topk':
      return full ? topkInput(32_768, 4_096, 32, rng) : topkInput(200, 40, 5, rng);
    case 'ringbuf':
      return full ? ringbufInput(16_384, 14, 700, rng) : ringbufInput(100, 8, 12, rng);
    case 'lru':
      return full ? lruInput(32_768, 8_192, 2_048, 10, rng) : lruInput(200, 60, 16, 3, rng);
    case 'syncookie':
      return syncookieInput(full ? 16_384 : 100, rng);
    default:
      return eshape3Input(name, full, rng);
  }
}
