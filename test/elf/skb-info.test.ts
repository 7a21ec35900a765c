/**
 * The skb information helpers (bpf_csum_level, bpf_csum_update, bpf_check_mtu, the socket, cgroup,
 * classid, route and netns helpers, bpf_skb_ecn_set_ce, bpf_skb_load_bytes_relative,
 * bpf_skb_set_tstamp, bpf_map_lookup_percpu_elem) in tsbpf alone, on both engines: what the host
 * describes reaches the program, hostile options are refused, wrong program types and arguments are
 * refused by the verifier (as the kernel's, where bpf() is allowed) or at run time. The kernel
 * comparison of the same fixture is test/kernel/skb-info.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { ArgumentError, ExecutionError } from '../../src/errors.js';
import { SkBuff } from '../../src/context/layout.js';
import type { SkbOptions } from '../../src/context/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';
import type { ProgramType } from '../../src/verifier/analysis/program-types.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';
import { load } from './fixtures.js';
import { INFO_OPS, MTU_FIB, infoFrame } from './skb-info-cases.js';
import { probePacket } from './socket-cases.js';

const cbOf = (ctx: Uint8Array): number[] => [0, 1, 2, 3, 4].map((i) => new DataView(ctx.buffer, ctx.byteOffset).getUint32(SkBuff.cb + 4 * i, true));

/** Run `program` (tc) with cb[] and extra options on both engines; cb[] after, the same on both. */
function run(program: string, cb: readonly number[], options: SkbOptions = {}, frame = infoFrame(64)): number[] {
  const prog = load('skb_info', { fib: MTU_FIB, cpus: 2 }).program(program);
  const results = [false, true].map((jit) => {
    let out: number[] = [];
    prog.runTc(frame, { ...options, jit, cb, inspect: (s) => (out = cbOf(s)) });
    return out;
  });
  expect(results[1]).toEqual(results[0]);
  return results[0]!;
}

/** `info`'s 64-bit result for selector `op`. */
function info(op: number, options: SkbOptions = {}, arg = 0): bigint {
  const cb = run('info', [op, arg, 0, 0, 0], options);
  return BigInt(cb[0]!) | (BigInt(cb[1]!) << 32n);
}

describe('what the host describes reaches the helpers', () => {
  it('the default socket is a test run skb\'s: a cookie, uid 0, the root cgroup', () => {
    expect(info(INFO_OPS.socketCookie)).toBe(1n);
    expect(info(INFO_OPS.socketUid)).toBe(0n);
    expect(info(INFO_OPS.cgroupId)).toBe(1n);
    expect(info(INFO_OPS.ancestorCgroupId, {}, 0)).toBe(1n);
    expect(info(INFO_OPS.ancestorCgroupId, {}, 1)).toBe(0n);
    expect(info(INFO_OPS.netnsCookie)).toBe(1n);
    expect(info(INFO_OPS.netnsCookieNull)).toBe(1n);
  });

  it('a described socket, namespace and route', () => {
    const socket = { cookie: 0x1_0000_0002n, uid: 1000, cgroupIds: [1n, 0x55n, 0xffff_ffff_ffff_fff0n], classid: 0x10002 };
    const o: SkbOptions = { socket, netnsCookie: 0xabcdef_0123n, routeRealm: 0xfffe };
    expect(info(INFO_OPS.socketCookie, o)).toBe(0x1_0000_0002n);
    expect(info(INFO_OPS.socketUid, o)).toBe(1000n);
    expect(info(INFO_OPS.cgroupId, o)).toBe(0xffff_ffff_ffff_fff0n);
    expect([0, 1, 2, 3, 0xffffffff].map((l) => info(INFO_OPS.ancestorCgroupId, o, l))).toEqual([1n, 0x55n, 0xffff_ffff_ffff_fff0n, 0n, 0n]);
    expect(info(INFO_OPS.cgroupClassid, o)).toBe(0x10002n);
    expect(info(INFO_OPS.skbCgroupClassid, o)).toBe(0x10002n);
    expect(info(INFO_OPS.routeRealm, o)).toBe(0xfffen);
    expect(info(INFO_OPS.netnsCookie, o)).toBe(0xabcdef_0123n);
    expect(info(INFO_OPS.netnsCookieNull, o)).toBe(0xabcdef_0123n);
  });

  it('no socket: cookie 0, overflowuid, no cgroup', () => {
    const o: SkbOptions = { socket: null };
    expect(info(INFO_OPS.socketCookie, o)).toBe(0n);
    expect(info(INFO_OPS.socketUid, o)).toBe(65534n);
    expect(info(INFO_OPS.cgroupId, o)).toBe(0n);
    expect(info(INFO_OPS.ancestorCgroupId, o, 0)).toBe(0n);
    expect(info(INFO_OPS.cgroupClassid, o)).toBe(0n);
  });

  it('the checksum state: bpf_csum_level from UNNECESSARY (capped at level 3), bpf_csum_update on COMPLETE', () => {
    const NONE = 0xffffffff;
    expect(run('csum_level', [0, NONE, NONE, NONE, 0], { checksum: { state: 'unnecessary', level: 2 } })).toEqual([2, 0, 0, 0, 2]);
    expect(run('csum_level', [1, 1, 1, 0, 0], { checksum: { state: 'unnecessary', level: 2 } })).toEqual([0, 0, 0, 3, 3]);
    expect(run('csum_level', [2, 2, 2, 2, 0], { checksum: { state: 'unnecessary', level: 1 } }).map((x) => x | 0)).toEqual([0, 0, 0, 0, -13]);
    expect(run('csum_level', [1, 0, NONE, NONE, 0], { checksum: { state: 'complete', csum: 5 } }).map((x) => x | 0)).toEqual([0, -13, 0, 0, -13]);
    // csum_update adds to the device's sum with an end-around carry, and returns it
    expect(info(INFO_OPS.csumUpdate, { checksum: { state: 'complete', csum: 0x1000 } }, 0x234)).toBe(0x1234n);
    expect(info(INFO_OPS.csumUpdate, { checksum: { state: 'complete', csum: 0xffff_ffff } }, 2)).toBe(2n);
    expect(info(INFO_OPS.csumUpdate, { checksum: { state: 'unnecessary' } }, 2)).toBe(BigInt.asUintN(64, -524n));
  });

  it('bpf_check_mtu reads the host\'s interfaces and the run\'s device', () => {
    // 1514 bytes fit the loopback's 1500; interface 3 (1400) does not; an skb run's ifindex names the device
    expect(run('check_mtu', [0, 0, 0, 0, 0], {}, infoFrame(1514)).slice(0, 2)).toEqual([0, 1500]);
    expect(run('check_mtu', [0, 0, 0, 0, 0], { ifindex: 3 }, infoFrame(1514)).slice(0, 2)).toEqual([1, 1400]);
    expect(run('check_mtu', [0, 0, 0, 0, 0], { ifindex: 2 }, infoFrame(1514)).slice(0, 2)).toEqual([0, 9000]);
    expect(run('check_mtu', [0, 0, 0, 0, 0], { ifindex: 77 }, infoFrame(1514)).slice(0, 2).map((x) => x | 0)).toEqual([-19, 0]);
  });

  it('runs do not leak the skb state into the next one (runTc, and a capture session runs the helpers)', () => {
    const prog = load('skb_info').program('csum_level');
    const session = prog.session('skb');
    const frame = infoFrame(64);
    // cb[] is zeroed for each packet: four BPF_CSUM_LEVEL_QUERY calls on CHECKSUM_NONE, each -EACCES.
    // The program returns TC_ACT_OK; what it saw is checked through runTc below.
    for (let i = 0; i < 3; i++) expect(session.run(frame, 0, frame.length)).toBe(0n);
    let cb: number[] = [];
    prog.runTc(frame, { checksum: { state: 'unnecessary', level: 1 }, inspect: (s) => (cb = cbOf(s)) });
    expect(cb).toEqual([1, 1, 1, 1, 1]);
    // the level a run left does not leak into the next one
    prog.runTc(frame, { inspect: (s) => (cb = cbOf(s)) });
    expect(cb.map((x) => x | 0)).toEqual([-13, -13, -13, -13, -13]);
  });
});

describe('hostile options and calls', () => {
  const prog = load('skb_info').program('info');
  const frame = infoFrame(64);
  const show = (o: unknown): string => JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 80);
  it.each(([
    [{ socket: { cookie: 1, uid: 0, cgroupIds: [], classid: 0 } }, /socket.cookie/],
    [{ socket: { cookie: -1n, uid: 0, cgroupIds: [], classid: 0 } }, /socket.cookie/],
    [{ socket: { cookie: 1n, uid: -1, cgroupIds: [], classid: 0 } }, /socket.uid/],
    [{ socket: { cookie: 1n, uid: 0, cgroupIds: new Array(65).fill(1n), classid: 0 } }, /cgroupIds/],
    [{ socket: { cookie: 1n, uid: 0, cgroupIds: [1], classid: 0 } }, /cgroupIds\[0\]/],
    [{ socket: { cookie: 1n, uid: 0, cgroupIds: 'x', classid: 0 } }, /cgroupIds/],
    [{ socket: { cookie: 1n, uid: 0, cgroupIds: [], classid: 2 ** 32 } }, /socket.classid/],
    [{ socket: 'x' }, /options.socket/],
    [{ netnsCookie: 1 }, /netnsCookie/],
    [{ netnsCookie: 1n << 64n }, /netnsCookie/],
    [{ routeRealm: 2 ** 32 }, /routeRealm/],
    [{ checksum: { state: 'partial' } }, /checksum.state/],
    [{ checksum: { state: 'unnecessary', level: 4 } }, /checksum.level/],
    [{ checksum: { state: 'complete', csum: 2 ** 32 } }, /checksum.csum/],
    [{ checksum: null }, /checksum/],
  ] as const).map(([bad, message]) => [show(bad), bad, message] as const))('refuses %s', (_label, bad, message) => {
    expect(() => prog.runTc(frame, bad as unknown as SkbOptions)).toThrow(ArgumentError);
    expect(() => prog.runTc(frame, bad as unknown as SkbOptions)).toThrow(message);
  });

  it('a tc-only helper in a socket filter run, or an skb helper from XDP, stops with an error', () => {
    const obj = load('skb_info', { verify: 'warn' });
    expect(() => obj.program('csum_level').runSocketFilter(frame)).toThrow(ExecutionError);
    expect(() => obj.program('csum_level').runSocketFilter(frame)).toThrow(/bpf_csum_level: only tc programs/);
    expect(() => obj.program('ecn').runXdp(frame)).toThrow(/bpf_skb_ecn_set_ce: only socket filter and tc programs/);
    expect(() => obj.program('check_mtu').run(new Uint8Array(SkBuff.SIZE))).toThrow(/bpf_check_mtu: only XDP and tc programs/);
  });

  it('bpf_map_lookup_percpu_elem of a CPU past the host\'s finds nothing; every CPU of 4 is reachable', () => {
    const obj = load('skb_info', { cpus: 4, cpu: 3 });
    const p = obj.program('percpu');
    const at = (key: number, cpu: number, map: number): number[] => {
      let out: number[] = [];
      p.runTc(frame, { cb: [0, key, cpu, map, 0], inspect: (s) => (out = cbOf(s)) });
      return out.slice(0, 2);
    };
    expect(at(0, 3, 0)).toEqual([1, 0]);
    expect(at(0, 3, 0)).toEqual([1, 1]);
    expect(at(0, 4, 0)).toEqual([0, 0]);
    expect(at(1, 0xffffffff, 0)).toEqual([0, 1]);
    // key 7 was inserted on CPU 3 (the run's): 1 there, 0 elsewhere
    expect(at(7, 3, 1)).toEqual([1, 1]);
    expect(at(7, 0, 1)).toEqual([1, 0]);
    expect(at(8, 3, 1)).toEqual([0, 8]);
  });
});

describe('bpf_tcp_sock on host-described sockets', () => {
  const listener = { protocol: 'tcp', local: '127.0.0.1:80' } as const;
  const tcpOf = (sockets: object[], sport = 1234): number[] | undefined => {
    const prog = load('sk_lookup', { sockets: sockets as never }).program('skc_tcp');
    const d = new Uint8Array(288);
    d.set(probePacket({ name: '', protocol: 'skc', src: '10.0.0.1', sport, dst: '127.0.0.1', dport: 80 }));
    let out: number[] | undefined;
    prog.runTc(d, { inspect: (_s, p) => {
      const v = new DataView(p.buffer, p.byteOffset);
      out = v.getBigUint64(144, true) === 0n ? undefined : Array.from({ length: 28 }, (_, i) => v.getUint32(160 + 4 * i, true));
    } });
    return out;
  };

  it('a socket the host says nothing about shows a fresh socket\'s fields', () => {
    expect(tcpOf([listener])).toEqual([80, 0, 1, 10, 0, 0xffffffff, 0x7fffffff, 0, 0, 0, 536, ...new Array<number>(17).fill(0)]);
  });

  it('described fields, u64 ones as bigints or safe integers; a request socket shows its listener\'s, a time-wait one none', () => {
    const t = tcpOf([{ ...listener, tcp: { snd_cwnd: 7, bytes_received: 0x1_0000_0005n, bytes_acked: 9, delivered_ce: 3 } }]);
    expect(t!.slice(0, 4)).toEqual([80, 0, 1, 7]);
    expect(t!.slice(23, 25)).toEqual([5, 9]);
    expect(t![27]).toBe(3);
    const req = { protocol: 'tcp', local: '127.0.0.1:80', remote: '10.0.0.1:1234', state: 'syn_recv' };
    expect(tcpOf([req, { ...listener, tcp: { snd_cwnd: 42 } }])!.slice(0, 4)).toEqual([80, 0xd204, 1, 42]);
    expect(tcpOf([{ ...req, state: 'time_wait' }])!.slice(0, 3)).toEqual([80, 0xd204, 0]);
  });

  it.each([
    [{ protocol: 'udp', local: '127.0.0.1:80', tcp: {} }, /UDP socket has no TCP fields/],
    [{ ...listener, tcp: { cwnd: 1 } }, /unknown field 'cwnd'/],
    [{ ...listener, tcp: { snd_cwnd: 2 ** 32 } }, /tcp.snd_cwnd/],
    [{ ...listener, tcp: { snd_cwnd: 1n } }, /tcp.snd_cwnd/],
    [{ ...listener, tcp: { bytes_acked: -1n } }, /tcp.bytes_acked/],
    [{ ...listener, tcp: { bytes_acked: 2 ** 53 } }, /tcp.bytes_acked/],
    [{ ...listener, tcp: 5 }, /tcp/],
  ].map(([d, m], i) => [i, d, m] as const))('refuses a bad tcp description (%i)', (_i, d, m) => {
    expect(() => load('sk_lookup', { sockets: [d as never] })).toThrow(ArgumentError);
    expect(() => load('sk_lookup', { sockets: [d as never] })).toThrow(m);
  });
});

/** Programs the verifier must judge as the kernel does (sched_cls unless given). */
const PERCPU_ARRAY: MapInfo = { type: 6, keySize: 4, valueSize: 8, maxEntries: 4 };
const HASH: MapInfo = { type: 1, keySize: 4, valueSize: 8, maxEntries: 4 };
const lookup = `
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r3 = 1
  r1 = map_fd 1 ll
  call 195`;
/** bpf_skc_lookup_tcp of a zero IPv4 tuple; r6 the socket after the null check (else return 0). */
const skc = `
  r2 = 0
  *(u64 *)(r10 - 16) = r2
  *(u32 *)(r10 - 8) = r2
  r2 = r10
  r2 += -16
  r3 = 12
  r4 = -1
  r5 = 0
  call 99
  if r0 != 0 goto +2
  r0 = 0
  exit
  r6 = r0`;
const VERIFIER_CASES: readonly { name: string; src: string; type?: ProgramType; map?: MapInfo; ok: boolean }[] = [
  { name: 'check_mtu with mtu_len on the stack', src: 'r2 = 0\n*(u32 *)(r10 - 4) = r2\nr3 = r10\nr3 += -4\nr4 = 0\nr5 = 0\ncall 163\nr0 = 0\nexit', ok: true },
  { name: 'check_mtu from XDP', type: 'xdp', src: 'r2 = 0\n*(u32 *)(r10 - 4) = r2\nr3 = r10\nr3 += -4\nr4 = 0\nr5 = 0\ncall 163\nr0 = 0\nexit', ok: true },
  { name: 'check_mtu with mtu_len NULL', src: 'r2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall 163\nr0 = 0\nexit', ok: false },
  { name: 'check_mtu with mtu_len the context', src: 'r2 = 0\nr3 = r1\nr4 = 0\nr5 = 0\ncall 163\nr0 = 0\nexit', ok: false },
  { name: 'check_mtu with mtu_len past the stack', src: 'r2 = 0\nr3 = r10\nr3 += -2\nr4 = 0\nr5 = 0\ncall 163\nr0 = 0\nexit', ok: false },
  { name: 'check_mtu from a socket filter', type: 'socket_filter', src: 'r2 = 0\n*(u32 *)(r10 - 4) = r2\nr3 = r10\nr3 += -4\nr4 = 0\nr5 = 0\ncall 163\nr0 = 0\nexit', ok: false },
  { name: 'get_netns_cookie(NULL)', src: 'r1 = 0\ncall 122\nr0 = 0\nexit', ok: true },
  { name: 'get_netns_cookie(ctx) from a socket filter', type: 'socket_filter', src: 'call 122\nr0 = 0\nexit', ok: true },
  { name: 'get_netns_cookie(5)', src: 'r1 = 5\ncall 122\nr0 = 0\nexit', ok: false },
  { name: 'get_netns_cookie from XDP', type: 'xdp', src: 'call 122\nr0 = 0\nexit', ok: false },
  { name: 'csum_level from XDP', type: 'xdp', src: 'r2 = 0\ncall 135\nr0 = 0\nexit', ok: false },
  { name: 'csum_level with a non-context', src: 'r1 = r10\nr2 = 0\ncall 135\nr0 = 0\nexit', ok: false },
  { name: 'skb_ecn_set_ce from cgroup_skb', type: 'cgroup_skb', src: 'call 97\nr0 = 1\nexit', ok: true },
  { name: 'skb_set_tstamp from a socket filter', type: 'socket_filter', src: 'r2 = 0\nr3 = 0\ncall 192\nr0 = 0\nexit', ok: false },
  { name: 'percpu lookup, checked', map: PERCPU_ARRAY, src: `${lookup}\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`, ok: true },
  { name: 'percpu lookup, unchecked', map: PERCPU_ARRAY, src: `${lookup}\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit`, ok: false },
  { name: 'percpu lookup of a plain hash', map: HASH, src: `${lookup}\nr0 = 0\nexit`, ok: false },
  { name: 'sk_fullsock, its fields read, the socket released', src: `${skc}\nr1 = r6\ncall 95\nif r0 == 0 goto +1\nr7 = *(u32 *)(r0 + 8)\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: true },
  { name: 'sk_fullsock returning NULL does not release the socket', src: `${skc}\nr1 = r6\ncall 95\nif r0 != 0 goto +2\nr0 = 0\nexit\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'sk_fullsock result used after the release', src: `${skc}\nr1 = r6\ncall 95\nr7 = r0\nr1 = r6\ncall 86\nif r7 == 0 goto +1\nr0 = *(u32 *)(r7 + 8)\nr0 = 0\nexit`, ok: false },
  { name: 'sk_fullsock result released instead', src: `${skc}\nr1 = r6\ncall 95\nif r0 == 0 goto +4\nr1 = r0\ncall 86\nr0 = 0\nexit\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: true },
  { name: 'sk_fullsock of a scalar', src: 'r1 = 0\ncall 95\nr0 = 0\nexit', ok: false },
  { name: 'get_listener_sock, its fields read', src: `${skc}\nr1 = r6\ncall 98\nif r0 == 0 goto +1\nr7 = *(u32 *)(r0 + 72)\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: true },
  { name: 'get_listener_sock result released', src: `${skc}\nr1 = r6\ncall 98\nif r0 == 0 goto +4\nr1 = r0\ncall 86\nr0 = 0\nexit\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'sk_fullsock from XDP', type: 'xdp', src: `${skc}\nr1 = r6\ncall 95\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'tcp_sock, a u32 and a u64 field read', src: `${skc}\nr1 = r6\ncall 96\nif r0 == 0 goto +2\nr7 = *(u32 *)(r0 + 108)\nr7 = *(u64 *)(r0 + 88)\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: true },
  { name: 'tcp_sock, half a field read', src: `${skc}\nr1 = r6\ncall 96\nif r0 == 0 goto +1\nr7 = *(u16 *)(r0 + 0)\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'tcp_sock, a u64 field read as u32', src: `${skc}\nr1 = r6\ncall 96\nif r0 == 0 goto +1\nr7 = *(u32 *)(r0 + 80)\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'tcp_sock, past its end', src: `${skc}\nr1 = r6\ncall 96\nif r0 == 0 goto +1\nr7 = *(u32 *)(r0 + 112)\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'tcp_sock written', src: `${skc}\nr1 = r6\ncall 96\nif r0 == 0 goto +2\nr7 = 1\n*(u32 *)(r0 + 0) = r7\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'tcp_sock read without a null check', src: `${skc}\nr1 = r6\ncall 96\nr7 = *(u32 *)(r0 + 0)\nr1 = r6\ncall 86\nr0 = 0\nexit`, ok: false },
  { name: 'tcp_sock read after the release', src: `${skc}\nr1 = r6\ncall 96\nr7 = r0\nr1 = r6\ncall 86\nif r7 == 0 goto +1\nr0 = *(u32 *)(r7 + 0)\nr0 = 0\nexit`, ok: false },
  { name: 'tcp_sock from cgroup_skb', type: 'cgroup_skb', src: `${skc}\nr1 = r6\ncall 96\nr1 = r6\ncall 86\nr0 = 1\nexit`, ok: true },
  { name: 'tstamp_type read by tc', src: 'r0 = *(u8 *)(r1 + 180)\nexit', ok: true },
  { name: 'tstamp_type read as a word', src: 'r0 = *(u32 *)(r1 + 180)\nexit', ok: false },
  { name: 'tstamp_type written', src: 'r2 = 1\n*(u8 *)(r1 + 180) = r2\nr0 = 0\nexit', ok: false },
  { name: 'tstamp_type read by a socket filter', type: 'socket_filter', src: 'r0 = *(u8 *)(r1 + 180)\nexit', ok: false },
];

describe('the verifier', () => {
  const verdict = (c: (typeof VERIFIER_CASES)[number]): boolean =>
    checkProgram(assemble(c.src), { level: 'kernel', programType: c.type ?? 'sched_cls', maps: new Map([[1, c.map ?? PERCPU_ARRAY]]) }).every((i) => i.severity !== 'error');

  it.each(VERIFIER_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(verdict(c)).toBe(c.ok);
  });

  it('agrees with the kernel on each case', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const verdicts = k.verdicts(VERIFIER_CASES.map((c) => {
      const m = c.map ?? PERCPU_ARRAY;
      return { type: c.type ?? 'sched_cls', insns: assemble(c.src), maps: { 1: { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries } } };
    }));
    expect(VERIFIER_CASES.map((c, i) => `${c.name}: ${verdicts[i]!.accepted}`)).toEqual(VERIFIER_CASES.map((c) => `${c.name}: ${c.ok}`));
  });
});
