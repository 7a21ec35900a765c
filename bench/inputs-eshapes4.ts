/**
 * Input generators of the eight eBPF-shaped programs added as the fourth held-out check (issue 15):
 * IPv4 forwarding through a DIR-16-8 table, TCP options with MSS clamping, an ARP / neighbour-discovery
 * responder, Geneve decapsulation, glob matching of file paths, a WireGuard-style anti-replay window,
 * latency histograms from paired events, and VLAN tag push/pop. Each is deterministic (see inputs.ts);
 * the layouts are the `struct …_input` of the programs' C sources.
 * @module
 */
import { Rng, Writer } from './input-tools.js';

/** A random integer in [lo, hi]. */
function range(rng: Rng, lo: number, hi: number): number {
  return lo + (rng.u32() % (hi - lo + 1));
}

/** Whether an event of probability `percent` happens. */
function chance(rng: Rng, percent: number): boolean {
  return rng.u32() % 100 < percent;
}

function randomBytes(n: number, rng: Rng): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.u32() & 0xff);
  return out;
}

function be16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function le16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}

/** RFC 1071 checksum of `bytes` (an even count), as the 16-bit value to store. */
function inetChecksum(bytes: readonly number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) s += bytes[bytes.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An IPv4 header of `ihl` words (options filled with no-ops) with a valid checksum. */
function ipv4Header(rng: Rng, proto: number, saddr: number, daddr: number, payload: number, ttl: number, ihl = 5): number[] {
  const h = [0x40 | ihl, 0, ...be16(ihl * 4 + payload), ...be16(rng.u32() & 0xffff), 0x40, 0, ttl, proto, 0, 0, ...be32(saddr), ...be32(daddr)];
  for (let i = 20; i < ihl * 4; i++) h.push(1);
  const c = inetChecksum(h);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return h;
}

function mac(rng: Rng): number[] {
  return randomBytes(6, rng);
}

/** Records of a u16 little-endian length then the bytes. */
function records(frames: readonly number[][]): number[] {
  const out: number[] = [];
  for (const f of frames) out.push(...le16(f.length), ...f);
  return out;
}

/** A buffer of `header` bytes of u32 fields, then `body`, then zeroed scratch; offsets filled by the caller. */
function layout(headerWords: number, parts: readonly { bytes: readonly number[] | number; align: number }[]): { w: Writer; offsets: number[] } {
  let at = headerWords * 4;
  const offsets: number[] = [];
  for (const p of parts) {
    at = (at + p.align - 1) & ~(p.align - 1);
    offsets.push(at);
    at += typeof p.bytes === 'number' ? p.bytes : p.bytes.length;
  }
  const w = new Writer(at);
  parts.forEach((p, i) => {
    if (typeof p.bytes !== 'number') w.bytes.set(p.bytes, offsets[i]!);
  });
  return { w, offsets };
}

/** fib_fwd: a DIR-16-8 table of `routes` prefixes (some expanded to the second level) and `n` frames. */
function fibInput(routes: number, n: number, rng: Rng): Uint8Array {
  const nhops = 64;
  const tbl16 = new Uint16Array(65536);
  const groups: Uint16Array[] = [];
  const dests: number[] = [];
  for (let r = 0; r < routes; r++) {
    const len = range(rng, 8, 24);
    const prefix = rng.u32() & (len === 0 ? 0 : ~0 << (32 - len));
    const hop = range(rng, 1, nhops);
    dests.push(prefix >>> 0);
    if (len <= 16) {
      const start = prefix >>> 16;
      const count = 1 << (16 - len);
      for (let i = 0; i < count; i++) if (!(tbl16[start + i]! & 0x8000)) tbl16[start + i] = hop;
    } else {
      const i16 = prefix >>> 16;
      let e = tbl16[i16]!;
      if (!(e & 0x8000)) {
        const g = new Uint16Array(256).fill(e);
        groups.push(g);
        e = 0x8000 | (groups.length - 1);
        tbl16[i16] = e;
      }
      const g = groups[e & 0x7fff]!;
      const start = (prefix >>> 8) & 0xff;
      const count = 1 << (24 - len);
      for (let i = 0; i < count; i++) g[start + i] = hop;
    }
  }
  const nh: number[] = [];
  for (let i = 0; i < nhops; i++) nh.push(...mac(rng), ...mac(rng), ...[i + 3, 0, 0, 0]);
  const frames: number[][] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.u32() % 100;
    const eth = [...mac(rng), ...mac(rng)];
    if (kind < 4) {
      frames.push([...eth, ...be16(chance(rng, 50) ? 0x86dd : 0x0806), ...randomBytes(range(rng, 28, 80), rng)]);
      continue;
    }
    const vlan = chance(rng, 12) ? [...be16(0x8100), ...be16(range(rng, 1, 4094))] : [];
    const daddr = chance(rng, 90) ? (dests[rng.u32() % dests.length]! | (rng.u32() & 0xff)) >>> 0 : rng.u32();
    const payload = range(rng, 8, 160);
    const ttl = kind < 8 ? range(rng, 0, 1) : range(rng, 2, 255);
    const ip = ipv4Header(rng, chance(rng, 70) ? 6 : 17, rng.u32(), daddr, payload, ttl, chance(rng, 10) ? range(rng, 6, 8) : 5);
    if (kind >= 8 && kind < 11) ip[11] = ip[11]! ^ 0x40;
    frames.push([...eth, ...vlan, ...be16(0x0800), ...ip, ...randomBytes(payload, rng)]);
  }
  const data = records(frames);
  const tbl8 = new Uint16Array(Math.max(1, groups.length) * 256);
  groups.forEach((g, i) => tbl8.set(g, i * 256));
  const log2tx = 6;
  const { w, offsets } = layout(8, [
    { bytes: [...new Uint8Array(tbl16.buffer)], align: 8 },
    { bytes: [...new Uint8Array(tbl8.buffer)], align: 8 },
    { bytes: nh, align: 8 },
    { bytes: data, align: 8 },
    { bytes: 128 << log2tx, align: 64 },
  ]);
  [data.length, nhops, offsets[0]!, offsets[1]!, offsets[2]!, offsets[3]!, offsets[4]!, log2tx].forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

/** tcp_opts: `n` IPv4/IPv6 TCP frames: SYNs with MSS/WS/SACK-permitted/timestamps, ACKs with SACK blocks, some malformed. */
function tcpOptsInput(n: number, rng: Rng): Uint8Array {
  const frames: number[][] = [];
  for (let i = 0; i < n; i++) {
    const syn = chance(rng, 35);
    const opts: number[] = [];
    if (syn) {
      opts.push(2, 4, ...be16(range(rng, 536, 9000)));
      if (chance(rng, 80)) opts.push(4, 2);
      if (chance(rng, 85)) opts.push(8, 10, ...be32(rng.u32()), ...be32(0));
      if (chance(rng, 70)) opts.push(1, 3, 3, range(rng, 0, 16));
    } else {
      if (chance(rng, 80)) opts.push(1, 1, 8, 10, ...be32(rng.u32()), ...be32(rng.u32()));
      if (chance(rng, 30)) {
        const blocks = range(rng, 1, 3);
        opts.push(1, 1, 5, 2 + 8 * blocks);
        for (let b = 0; b < blocks; b++) {
          const left = rng.u32();
          opts.push(...be32(left), ...be32((left + range(rng, 1, 20000)) >>> 0));
        }
      }
      if (chance(rng, 5)) opts.push(30, 6, ...randomBytes(4, rng));
    }
    if (chance(rng, 4)) opts.push(2, range(rng, 0, 1) ? 0 : 60, 0, 0);
    while (opts.length % 4) opts.push(chance(rng, 50) ? 0 : 1);
    if (opts.length > 40) opts.length = 40;
    const doff = 5 + opts.length / 4;
    const flags = syn ? (chance(rng, 50) ? 0x02 : 0x12) : 0x10;
    const tcp = [...be16(range(rng, 1024, 65535)), ...be16(chance(rng, 50) ? 443 : 80), ...be32(rng.u32()), ...be32(rng.u32()), doff << 4, flags, ...be16(range(rng, 1000, 65535)), ...be16(rng.u32() & 0xffff), 0, 0, ...opts];
    const payload = syn ? [] : randomBytes(range(rng, 0, 64), rng);
    const v6 = chance(rng, 25);
    const eth = [...mac(rng), ...mac(rng), ...be16(v6 ? 0x86dd : 0x0800)];
    const l4 = [...tcp, ...payload];
    const ip = v6
      ? [0x60, 0, 0, 0, ...be16(l4.length), 6, 64, ...randomBytes(32, rng)]
      : ipv4Header(rng, chance(rng, 95) ? 6 : 17, rng.u32(), rng.u32(), l4.length, 64, chance(rng, 5) ? 6 : 5);
    const frame = [...eth, ...ip, ...l4];
    if (chance(rng, 3)) frame.length = range(rng, 20, frame.length);
    frames.push(frame);
  }
  const data = records(frames);
  const w = new Writer(8 + data.length);
  w.u32(0, data.length);
  w.u32(4, 1460);
  w.bytes.set(data, 8);
  return w.bytes;
}

/** arp_nd: `naddrs` local addresses and `n` frames (ARP requests, neighbour solicitations, other traffic). */
function arpNdInput(naddrs: number, n: number, rng: Rng): Uint8Array {
  const addrs: { ip6: number[]; ip4: number; mac: number[] }[] = [];
  for (let i = 0; i < naddrs; i++) addrs.push({ ip6: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...randomBytes(8, rng)], ip4: (0x0a000000 | (rng.u32() & 0xffffff)) >>> 0, mac: mac(rng) });
  const table: number[] = [];
  for (const a of addrs) {
    const w = new Writer(28);
    w.bytes.set(a.ip6, 0);
    w.u32(16, a.ip4);
    w.bytes.set(a.mac, 20);
    table.push(...w.bytes);
  }
  const frames: number[][] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.u32() % 100;
    const src = mac(rng);
    const ours = chance(rng, 60);
    const a = addrs[rng.u32() % naddrs]!;
    if (kind < 40) {
      const tip = ours ? a.ip4 : rng.u32();
      const op = chance(rng, 90) ? 1 : 2;
      frames.push([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...src, ...be16(0x0806), ...be16(1), ...be16(0x0800), 6, 4, ...be16(op), ...src, ...be32(rng.u32()), 0, 0, 0, 0, 0, 0, ...be32(tip), ...randomBytes(18, rng)]);
    } else if (kind < 80) {
      const target = ours ? a.ip6 : [0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...randomBytes(8, rng)];
      const type = chance(rng, 90) ? 135 : 136;
      const icmp = [type, 0, 0, 0, 0, 0, 0, 0, ...target, 1, 1, ...src];
      const hop = chance(rng, 95) ? 255 : 64;
      frames.push([0x33, 0x33, 0xff, ...target.slice(13), ...src, ...be16(0x86dd), 0x60, 0, 0, 0, ...be16(icmp.length), 58, hop, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...randomBytes(8, rng), 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, ...target.slice(13), ...icmp]);
    } else {
      frames.push([...mac(rng), ...src, ...be16(0x0800), ...ipv4Header(rng, 17, rng.u32(), rng.u32(), 40, 64), ...randomBytes(40, rng)]);
    }
  }
  const data = records(frames);
  const log2tx = 6;
  const { w, offsets } = layout(6, [
    { bytes: table, align: 8 },
    { bytes: data, align: 8 },
    { bytes: 128 << log2tx, align: 64 },
  ]);
  [data.length, naddrs, offsets[0]!, offsets[1]!, offsets[2]!, log2tx].forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

/** geneve: `n` frames over `nvni` VNIs: Geneve with 0-4 options (some unknown critical), other UDP, other traffic. */
function geneveInput(n: number, nvni: number, log2vnis: number, rng: Rng): Uint8Array {
  const knownClass = 0x0102;
  const vnis: number[] = [];
  for (let i = 0; i < nvni; i++) vnis.push(rng.u32() & 0xffffff);
  const frames: number[][] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.u32() % 100;
    const outerEth = [...mac(rng), ...mac(rng), ...be16(0x0800)];
    if (kind < 6) {
      frames.push([...outerEth, ...ipv4Header(rng, 6, rng.u32(), rng.u32(), 40, 64), ...randomBytes(40, rng)]);
      continue;
    }
    const opts: number[] = [];
    const nopts = range(rng, 0, 4);
    for (let k = 0; k < nopts; k++) {
      const r = rng.u32() % 100;
      if (r < 45) opts.push(...be16(knownClass), 0x01, 1, ...be32(rng.u32()));
      else if (r < 80) opts.push(...be16(knownClass), 0x82, 2, ...be32(rng.u32()), ...be32(rng.u32()));
      else if (r < 95) opts.push(...be16(0x0200 + (r & 7)), 0x05, 1, ...be32(rng.u32()));
      else opts.push(...be16(0x0300), 0x81, 2, ...randomBytes(8, rng));
    }
    const vni = vnis[rng.u32() % vnis.length]!;
    const innerL4 = [...be16(range(rng, 1024, 65535)), ...be16(chance(rng, 50) ? 443 : 53), ...randomBytes(range(rng, 4, 60), rng)];
    const innerProto = chance(rng, 60) ? 6 : 17;
    const inner = [...mac(rng), ...mac(rng), ...be16(0x0800), ...ipv4Header(rng, innerProto, rng.u32(), rng.u32(), innerL4.length, 64), ...innerL4];
    const ptype = chance(rng, 95) ? 0x6558 : 0x0800;
    const gen = [opts.length / 4, chance(rng, 5) ? 0x80 : 0, ...be16(ptype), ...be32((vni << 8) >>> 0), ...opts, ...inner];
    const dport = kind < 10 ? 4789 : 6081;
    const udp = [...be16(range(rng, 1024, 65535)), ...be16(dport), ...be16(8 + gen.length), 0, 0, ...gen];
    const frame = [...outerEth, ...ipv4Header(rng, 17, rng.u32(), rng.u32(), udp.length, 64), ...udp];
    if (chance(rng, 2)) frame.length = range(rng, 30, frame.length);
    frames.push(frame);
  }
  const data = records(frames);
  const { w, offsets } = layout(6, [
    { bytes: data, align: 1 },
    { bytes: 24 << log2vnis, align: 8 },
  ]);
  [data.length, log2vnis, offsets[1]!, knownClass, 0, 0].forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

const DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/share/locale/en', '/etc', '/etc/ssl/certs', '/proc/self', '/home/alice/.ssh', '/home/bob/src/app', '/tmp', '/var/log', '/dev', '/sys/fs/cgroup/user.slice', '/usr/bin', '/opt/secret-store'];
const FILES = ['libc.so.6', 'libssl.so.3', 'passwd', 'shadow', 'status', 'maps', 'id_rsa', 'known_hosts', 'main.py', 'config.yaml', 'null', 'urandom', 'syslog', 'python3.11', 'ca.pem', 'tmpa81Bx9', 'cgroup.procs'];
const PATTERNS: [string, number][] = [
  ['/etc/shadow', 1], ['/home/*/.ssh/*', 1], ['*secret*', 1], ['/proc/1*', 0], ['/proc/*/maps', 2], ['/dev/*', 2],
  ['/tmp/tmp??????', 0], ['*.so.?', 0], ['/usr/bin/python3*', 0], ['/var/log/*', 2], ['/etc/*.pem', 0], ['/etc/ssl/*/*.pem', 0],
  ['/home/*/src/*/*.py', 0], ['*config.y?ml', 0], ['/sys/fs/cgroup/*', 2],
];

/** glob_path: `n` open() events over a tree of paths, matched against the fixed pattern list (the catch-all last when `catchAll`). */
function globInput(n: number, catchAll: boolean, rng: Rng): Uint8Array {
  const pats = catchAll ? [...PATTERNS, ['*', 0] as [string, number]] : PATTERNS;
  const events: number[] = [];
  for (let i = 0; i < n; i++) {
    let path = `${DIRS[rng.u32() % DIRS.length]!}/${FILES[rng.u32() % FILES.length]!}`;
    if (path.startsWith('/proc/self') && chance(rng, 60)) path = path.replace('self', String(range(rng, 1, 40000)));
    if (chance(rng, 10)) path += `.${range(rng, 0, 9)}`;
    const w = new Writer(264);
    w.u32(0, rng.u32());
    w.u32(4, range(rng, 1, 65535));
    for (let k = 0; k < path.length && k < 255; k++) w.bytes[8 + k] = path.charCodeAt(k);
    events.push(...w.bytes);
  }
  const patBytes: number[] = [];
  for (const [p] of pats) {
    const b = new Array<number>(64).fill(0);
    for (let k = 0; k < p.length; k++) b[k] = p.charCodeAt(k);
    patBytes.push(...b);
  }
  const { w, offsets } = layout(8, [
    { bytes: events, align: 8 },
    { bytes: patBytes, align: 8 },
    { bytes: pats.map(([, a]) => a), align: 8 },
    { bytes: 1024, align: 8 },
  ]);
  [n, pats.length, offsets[0]!, offsets[1]!, offsets[2]!, 0, offsets[3]!, 0].forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

/** replay_win: `n` messages to `npeers` peers: transport data with counters mostly rising (some reordered, replayed, too old), handshakes, junk. */
function replayInput(n: number, npeers: number, log2peers: number, rng: Rng): Uint8Array {
  const size = 1 << log2peers;
  const indexes: number[] = [];
  const used = new Set<number>();
  while (indexes.length < npeers) {
    const idx = rng.u32();
    if (used.has(idx & (size - 1))) continue;
    used.add(idx & (size - 1));
    indexes.push(idx);
  }
  const counters = indexes.map(() => range(rng, 0, 5000));
  const msgs: number[][] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.u32() % 100;
    if (kind < 5) {
      const t = range(rng, 1, 3);
      const len = [0, 148, 92, 64][t]!;
      msgs.push([t, 0, 0, 0, ...randomBytes((chance(rng, 90) ? len : len + 4) - 4, rng)]);
      continue;
    }
    if (kind < 8) {
      msgs.push([range(rng, 5, 255), 0, 0, 0, ...randomBytes(range(rng, 0, 60), rng)]);
      continue;
    }
    const p = rng.u32() % npeers;
    let idx = indexes[p]!;
    if (kind < 11) idx = rng.u32();
    let ctr: number;
    const r = rng.u32() % 100;
    if (r < 80) ctr = counters[p] = counters[p]! + range(rng, 1, 3);
    else if (r < 92) ctr = Math.max(0, counters[p]! - range(rng, 1, 1500));
    else if (r < 96) ctr = Math.max(0, counters[p]! - range(rng, 2100, 9000));
    else ctr = counters[p] = counters[p]! + range(rng, 100, 6000);
    const body = 16 * range(rng, 1, 8);
    const w = new Writer(16 + body);
    w.u32(0, 4);
    w.u32(4, idx);
    w.u64(8, BigInt(ctr));
    msgs.push([...w.bytes]);
  }
  const data = records(msgs);
  const peers = new Writer(280 * size);
  indexes.forEach((idx) => peers.u32((idx & (size - 1)) * 280, idx));
  for (let s = 0; s < size; s++) if (!used.has(s)) peers.u32(s * 280, s | 0x80000000);
  const { w, offsets } = layout(4, [
    { bytes: data, align: 1 },
    { bytes: [...peers.bytes], align: 8 },
  ]);
  [data.length, log2peers, offsets[1]!, 0].forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

/** latency_hist: `n` events: starts and their ends interleaved (latencies spread over decades), some ends without starts. */
function latencyInput(n: number, log2slots: number, rng: Rng): Uint8Array {
  const events: number[] = [];
  const pending: { id: bigint; cls: number; due: number }[] = [];
  let ts = 1_000_000;
  let count = 0;
  const push = (id: bigint, t: number, kind: number, cls: number): void => {
    const w = new Writer(24);
    w.u64(0, id);
    w.u64(8, BigInt(t));
    w.u32(16, kind);
    w.u32(20, cls);
    events.push(...w.bytes);
    count++;
  };
  while (count < n) {
    ts += range(rng, 1, 500);
    const due = pending.findIndex((p) => p.due <= ts);
    if (due >= 0 && (chance(rng, 55) || pending.length > 400)) {
      const p = pending.splice(due, 1)[0]!;
      push(p.id, ts, 1, p.cls);
      continue;
    }
    if (chance(rng, 3)) {
      push((BigInt(rng.u32()) << 32n) | BigInt(rng.u32()) | 1n, ts, 1, rng.u32() & 7);
      continue;
    }
    const id = (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()) | 1n;
    const cls = rng.u32() & 7;
    const lat = Math.floor(2 ** (4 + (rng.u32() % 1000) / 1000 * (8 + cls * 2)));
    pending.push({ id, cls, due: ts + lat });
    push(id, ts, 0, cls);
  }
  const { w, offsets } = layout(6, [
    { bytes: events, align: 8 },
    { bytes: 16 << log2slots, align: 8 },
    { bytes: 8 * 64 * 4, align: 8 },
  ]);
  [n, log2slots, offsets[0]!, offsets[1]!, offsets[2]!, 0].forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

/** qinq_pop: a 4096-entry VLAN action table and `n` frames (untagged, 802.1Q, QinQ). */
function vlanInput(n: number, rng: Rng): Uint8Array {
  const table = new Writer(4096 * 4);
  for (let v = 0; v < 4096; v++) {
    const r = rng.u32() % 100;
    const action = r < 30 ? 0 : r < 55 ? 1 : r < 75 ? 2 : r < 95 ? 3 : 4;
    table.u32(v * 4, (action << 16) | range(rng, 1, 4094));
  }
  const frames: number[][] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.u32() % 100;
    const head = [...mac(rng), ...mac(rng)];
    const tags = r < 20 ? [] : r < 65 ? [...be16(0x8100), ...be16(rng.u32() & 0xffff)] : [...be16(0x88a8), ...be16(rng.u32() & 0xffff), ...be16(0x8100), ...be16(rng.u32() & 0xffff)];
    const frame = [...head, ...tags, ...be16(0x0800), ...ipv4Header(rng, 17, rng.u32(), rng.u32(), 0, 64), ...randomBytes(range(rng, 20, 360), rng)];
    if (chance(rng, 1)) frame.length = range(rng, 8, 20);
    frames.push(frame);
  }
  const data = records(frames);
  const log2tx = 4;
  const { w, offsets } = layout(4, [
    { bytes: data, align: 1 },
    { bytes: [...table.bytes], align: 8 },
    { bytes: 2048 << log2tx, align: 64 },
  ]);
  [data.length, offsets[1]!, offsets[2]!, log2tx].forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

/** The input of one of the eight, or undefined for another name. */
export function eshape4Input(name: string, full: boolean, rng: Rng): Uint8Array | undefined {
  switch (name) {
    case 'fib_fwd':
      return full ? fibInput(3_000, 6_000, rng) : fibInput(40, 60, rng);
    case 'tcp_opts':
      return tcpOptsInput(full ? 8_000 : 80, rng);
    case 'arp_nd':
      return full ? arpNdInput(16, 6_000, rng) : arpNdInput(4, 60, rng);
    case 'geneve':
      return full ? geneveInput(5_000, 300, 9, rng) : geneveInput(50, 10, 4, rng);
    case 'glob_path':
      return globInput(full ? 3_000 : 40, full, rng);
    case 'replay_win':
      return full ? replayInput(12_000, 200, 9, rng) : replayInput(120, 6, 4, rng);
    case 'latency_hist':
      return full ? latencyInput(16_000, 11, rng) : latencyInput(160, 8, rng);
    case 'qinq_pop':
      return vlanInput(full ? 3_000 : 30, rng);
    default:
      return undefined;
  }
}
