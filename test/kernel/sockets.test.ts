/**
 * Socket lookups against the kernel: real sockets opened here (TCP listeners on an IPv4 address and on
 * the dual-stack wildcard, an accepted connection seen from both ends, UDP sockets bound and connected),
 * fixture sk_lookup.c asking BPF_PROG_TEST_RUN for them, and tsbpf, on both engines, asking a socket
 * table that describes the same sockets: every field of every struct bpf_sock found, and what was not
 * found, must agree. bpf_sk_assign is the one known difference: BPF_PROG_TEST_RUN is not at tc ingress, so
 * the kernel gives -EOPNOTSUPP where tsbpf, which takes tc runs as ingress, assigns (0).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';
import { fixture } from '../elf/fixtures.js';
import { describeProbe, probePacket, probeProgram, type SocketProbe } from '../elf/socket-cases.js';
import { kernelOracle, type KernelRequest, kernelSkipReason } from './runner.js';

const SK_O = fileURLToPath(new URL('../fixtures/elf/sk_lookup.o', import.meta.url));
const reason = kernelSkipReason();

const listen = (host: string | undefined): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, ...(host === undefined ? {} : { host }) }, () => resolve(s));
  });
const udp = (port = 0): Promise<UdpSocket> =>
  new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
const portOf = (s: Server | UdpSocket): number => (s.address() as { port: number }).port;

describe.skipIf(reason !== undefined)('socket lookups: tsbpf and the kernel on the same sockets', () => {
  const open: (() => unknown)[] = [];
  let probes: SocketProbe[] = [];
  let sockets: SocketDescription[] = [];
  let timeWait = { port: 0, server: 0 };

  beforeAll(async () => {
    const v4 = await listen('127.0.0.1');
    const dual = await listen(undefined);
    const bound = await udp();
    const peer = await udp();
    const connected = await udp();
    await new Promise<void>((r) => connected.connect(portOf(peer), '127.0.0.1', r));
    const accepted = new Promise<Socket>((r) => v4.once('connection', r));
    const client = connect(portOf(v4), '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', r));
    const server = await accepted;
    // A connection this side closes first: its client end stays in TIME_WAIT.
    const closing = new Promise<Socket>((r) => v4.once('connection', r));
    const client2 = connect(portOf(v4), '127.0.0.1');
    await new Promise<void>((r) => client2.once('connect', r));
    const server2 = await closing;
    const tw = client2.localPort!;
    server2.on('end', () => server2.end());
    server2.resume();
    client2.end();
    await new Promise<void>((r) => client2.once('close', () => r()));
    await new Promise<void>((r) => (server2.closed ? r() : server2.once('close', () => r())));
    timeWait = { port: tw, server: portOf(v4) };
    const unused = await udp();
    const free = portOf(unused);
    unused.close();
    open.push(() => client.destroy(), () => server.destroy(), () => v4.close(), () => dual.close(), () => bound.close(), () => peer.close(), () => connected.close());
    const A = portOf(v4);
    const B = portOf(dual);
    const C = portOf(bound);
    const cport = client.localPort!;
    sockets = [
      { protocol: 'tcp', local: `127.0.0.1:${A}` },
      { protocol: 'tcp', local: `[::]:${B}` },
      { protocol: 'tcp', local: `127.0.0.1:${A}`, remote: `127.0.0.1:${cport}` },
      { protocol: 'tcp', local: `127.0.0.1:${cport}`, remote: `127.0.0.1:${A}` },
      { protocol: 'udp', local: `127.0.0.1:${C}` },
      { protocol: 'udp', local: `127.0.0.1:${portOf(peer)}` },
      { protocol: 'udp', local: `127.0.0.1:${portOf(connected)}`, remote: `127.0.0.1:${portOf(peer)}` },
      { protocol: 'tcp', local: `127.0.0.1:${timeWait.port}`, remote: `127.0.0.1:${A}`, state: 'time_wait' },
    ];
    const far = { src: '10.0.0.1', sport: 1234 };
    probes = [
      { name: 'tcp listener', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A },
      { name: 'tcp listener, assign', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, assign: true },
      { name: 'tcp dual-stack listener from IPv4', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: B },
      { name: 'tcp dual-stack listener, any address', protocol: 'tcp', ...far, dst: '10.9.9.9', dport: B },
      { name: 'tcp dual-stack listener from IPv6', protocol: 'tcp', src: '::1', sport: 1234, dst: '::1', dport: B },
      { name: 'tcp IPv4 listener from IPv6', protocol: 'tcp', src: '::1', sport: 1234, dst: '::1', dport: A },
      { name: 'tcp IPv4 listener, other address', protocol: 'tcp', ...far, dst: '127.0.0.2', dport: A },
      { name: 'tcp established, accepted end', protocol: 'tcp', src: '127.0.0.1', sport: cport, dst: '127.0.0.1', dport: A },
      { name: 'tcp established, connecting end', protocol: 'tcp', src: '127.0.0.1', sport: A, dst: '127.0.0.1', dport: cport },
      { name: 'skc established', protocol: 'skc', src: '127.0.0.1', sport: cport, dst: '127.0.0.1', dport: A },
      { name: 'skc listener', protocol: 'skc', ...far, dst: '127.0.0.1', dport: A },
      { name: 'udp bound', protocol: 'udp', ...far, dst: '127.0.0.1', dport: C },
      { name: 'udp bound, other address', protocol: 'udp', ...far, dst: '127.0.0.2', dport: C },
      { name: 'udp connected, its peer', protocol: 'udp', src: '127.0.0.1', sport: portOf(peer), dst: '127.0.0.1', dport: portOf(connected) },
      { name: 'udp connected, another source', protocol: 'udp', src: '127.0.0.2', sport: portOf(peer), dst: '127.0.0.1', dport: portOf(connected) },
      { name: 'tcp on a udp port', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: C },
      { name: 'nothing there', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: free },
      { name: 'tuple size 11', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, size: 11 },
      { name: 'IPv4 tuple with size 36', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, size: 36 },
      { name: 'flags 1', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, flags: 1n },
      { name: 'netns 0', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, netns: 0n },
      { name: 'netns 5', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, netns: 5n },
      { name: 'netns -2', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, netns: -2n },
      { name: 'netns 2^31 (negative as s32)', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, netns: 1n << 31n },
      { name: 'netns 2^32 (0 as s32)', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, netns: 1n << 32n },
      { name: 'netns 2^32 + 2^32 - 1 (-1 as s32)', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: A, netns: (1n << 32n) | 0xffffffffn },
    ];
  });
  /** The probes that find TCP sockets with bpf_skc_lookup_tcp, and the time-wait socket's. */
  const skcProbes = (): SocketProbe[] => [
    ...probes.filter((p) => p.protocol === 'skc' || (p.protocol === 'tcp' && p.size === undefined && p.netns === undefined && p.flags === undefined && p.assign !== true)).map((p) => ({ ...p, protocol: 'skc' as const })),
    { name: 'skc time-wait', protocol: 'skc', src: '127.0.0.1', sport: timeWait.server, dst: '127.0.0.1', dport: timeWait.port },
  ];
  /** Each probe run by `program` in tsbpf over `table`, shown. */
  const runAll = (program: string, table: SocketDescription[], all: SocketProbe[], packet: (p: SocketProbe) => Uint8Array, show: (d: Uint8Array) => string, jit: boolean): string[] => {
    const prog = loadObject(fixture('sk_lookup'), { sockets: table }).program(program);
    return all.map((p) => {
      let pkt: Uint8Array = new Uint8Array(0);
      prog.runTc(packet(p), { jit, inspect: (_s, d) => (pkt = d) });
      return `${p.name}: ${show(pkt)}`;
    });
  };
  afterAll(() => {
    for (const close of open) close();
  });

  it('every probe finds what the kernel finds, field for field, on both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const requests: KernelRequest[] = [
      { op: 'obj', path: SK_O, program: 'sk_probe' },
      { op: 'obj', path: SK_O, program: 'skc_probe' },
    ];
    for (const p of probes) requests.push({ op: 'run', prog: { ref: probeProgram(p) === 'sk_probe' ? 0 : 1 }, data: probePacket(p), dataOut: 160 });
    const out = k.exec(requests);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    expect(out[1]).toMatchObject({ kind: 'obj', accepted: true });
    const obj = loadObject(fixture('sk_lookup'), { sockets });
    const diffs: string[] = [];
    let found = 0;
    probes.forEach((p, i) => {
      const r = out[i + 2]!;
      if (r.kind !== 'run') throw new Error(`${p.name}: ${JSON.stringify(r)}`);
      // The accepted end's receive queue is 0 or -1 depending on what it has seen by then (either, from run to run).
      const masked = (text: string): string => (p.name.includes('accepted end') ? text.replace(/rxq -?\d+/, 'rxq ?') : text);
      const want = masked(describeProbe(r.data, false));
      if (want !== 'none') found++;
      if (p.assign === true) expect(describeProbe(r.data)).toMatch(/assign -95$/);
      for (const jit of [false, true]) {
        let pkt: Uint8Array = new Uint8Array(0);
        obj.program(probeProgram(p)).runTc(probePacket(p), { jit, inspect: (_s, d) => (pkt = d) });
        const have = masked(describeProbe(pkt, false));
        if (have !== want) diffs.push(`${p.name} (${jit ? 'JIT' : 'interpreter'}):\n  kernel ${want}\n  tsbpf  ${have}`);
        if (p.assign === true && want !== 'none') expect(describeProbe(pkt)).toMatch(/assign 0$/);
      }
    });
    expect(diffs).toEqual([]);
    // Not a comparison of two empty answers: 14 probes find a socket.
    expect(found).toBe(14);
  });

  it('bpf_sk_fullsock and bpf_get_listener_sock of what bpf_skc_lookup_tcp finds, on both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const all = skcProbes();
    const show = (d: Uint8Array): string => {
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      if (v.getBigUint64(144, true) === 0n) return 'none';
      const [state, full, fullPort, lsn, lsnPort] = [0, 4, 8, 12, 16].map((o) => v.getInt32(64 + o, true));
      return `state ${state!} full ${full!}${full === -1 ? '' : ` port ${fullPort!}`} listener ${lsn!}${lsn === -1 ? '' : ` port ${lsnPort!}`}`;
    };
    const out = k.exec([{ op: 'obj', path: SK_O, program: 'skc_full' }, ...all.map((p): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data: probePacket(p), dataOut: 160 }))]);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    const kernel = all.map((p, i) => {
      const r = out[i + 1]!;
      return `${p.name}: ${r.kind === 'run' ? show(r.data) : JSON.stringify(r)}`;
    });
    // a listener, established ends and the time-wait socket are all found
    expect(kernel.filter((l) => l.includes('listener 10'))).not.toEqual([]);
    expect(kernel.find((l) => l.startsWith('skc time-wait'))).toMatch(/state 6 full -1 listener -1/);
    for (const jit of [false, true]) expect(runAll('skc_full', sockets, all, probePacket, show, jit)).toEqual(kernel);
  });

  it('bpf_tcp_sock of what bpf_skc_lookup_tcp finds: the same sockets have one, every field read where tsbpf keeps it', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const all = skcProbes();
    const packet = (p: SocketProbe): Uint8Array => {
      const d = new Uint8Array(288);
      d.set(probePacket(p));
      return d;
    };
    const words = (d: Uint8Array): number[] => Array.from({ length: 28 }, (_, i) => new DataView(d.buffer, d.byteOffset).getUint32(160 + 4 * i, true));
    const show = (d: Uint8Array): string => (new DataView(d.buffer, d.byteOffset).getBigUint64(144, true) === 0n ? 'none' : words(d).join(','));
    const out = k.exec([{ op: 'obj', path: SK_O, program: 'skc_tcp' }, ...all.map((p): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data: packet(p), dataOut: 288 }))]);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    const results = out.slice(1).map((r) => {
      if (r.kind !== 'run') throw new Error(JSON.stringify(r));
      return r.data;
    });
    // Describe each socket's TCP fields as the kernel showed them (the values are the kernel's own; what
    // is compared is which socket has a tcp_sock and that every field is read where it was put).
    const names = ['snd_cwnd', 'srtt_us', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in', 'segs_out', 'data_segs_out', 'lost_out', 'sacked_out', 'bytes_received', 'bytes_acked', 'dsack_dups', 'delivered', 'delivered_ce'] as const;
    const described = sockets.map((d) => ({ ...d }));
    let withTcp = 0;
    for (const data of results) {
      const w = words(data);
      if (show(data) === 'none' || w[2] !== 1) continue;
      const remotePort = ((w[1]! & 0xff) << 8) | ((w[1]! >> 8) & 0xff);
      const i = described.findIndex((d) => d.protocol === 'tcp' && d.local.endsWith(`:${w[0]!}`) && (d.remote === undefined ? remotePort === 0 : d.remote.endsWith(`:${remotePort}`)));
      expect(i, `socket of ${w[0]!} / ${remotePort}`).toBeGreaterThanOrEqual(0);
      described[i] = { ...described[i]!, tcp: Object.fromEntries(names.map((n, j) => [n, n === 'bytes_received' || n === 'bytes_acked' ? BigInt(w[3 + j]!) : w[3 + j]!])) };
      withTcp++;
    }
    expect(withTcp).toBeGreaterThanOrEqual(4);
    const kernel = all.map((p, i) => `${p.name}: ${show(results[i]!)}`);
    expect(kernel.find((l) => l.startsWith('skc time-wait'))).toMatch(/^skc time-wait: \d+,\d+,0,0,/);
    for (const jit of [false, true]) expect(runAll('skc_tcp', described, all, packet, show, jit)).toEqual(kernel);
  });
});
