/**
 * sock_ops runs without the kernel (which cannot test-run them): test/fixtures/elf/sock_ops.c on
 * host-described socket events, both engines: the context fields as the kernel lays them out (ports,
 * addresses, TCP fields, `sk`, nothing of a request socket), reply and sk_txhash written back, the
 * socket option rules, callback flags, casts and socket-local storage; and hostile arguments to the
 * helpers: events naming no socket, option buffers outside memory, absurd lengths, addresses that are no socket.
 */
import { describe, expect, it } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import type { SockOpsEvent } from '../../src/context/sock-ops.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';
import { SocketTable } from '../../src/helpers/socket-table.js';
import { SocketMemory } from '../../src/helpers/sockets.js';
import { SockOpsSocket, sockOpsHelpers, type SockOpsRunHost } from '../../src/helpers/sockopt.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { HdrOptRun } from '../../src/helpers/hdr-opt.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

const SOCKETS: SocketDescription[] = [
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:55601', mark: 3, tcp: { snd_cwnd: 12, srtt_us: 4000, bytes_received: 1n << 40n } },
  { protocol: 'tcp', local: '[fd00::2]:443', remote: '[fd00::1]:4000', tcp: { data_segs_out: 5 } },
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.9:1000', state: 'syn_recv' },
  { protocol: 'udp', local: '10.0.0.2:53' },
];

/** `seen`, `results`, `got` after one event, as index -> value (non-zero entries only). */
function run(event: SockOpsEvent, jit: boolean, options: { congestion?: string[] } = {}, obj: BpfObject = loadObject(fixture('sock_ops'), { sockets: SOCKETS })) {
  const r = obj.program('sock_ops_probe').runSockOps(event, { jit, ...options });
  const read = (name: string): Record<number, bigint> =>
    Object.fromEntries(
      obj.map(name).entries()
        .map(([k, v]) => [new DataView(k.buffer, k.byteOffset).getUint32(0, true), new DataView(v.buffer, v.byteOffset).getBigInt64(0, true)] as const)
        .filter(([, v]) => v !== 0n),
    );
  return { r, seen: read('seen'), results: read('results'), got: read('got'), obj };
}

describe.each([false, true])('sock_ops (jit %s)', (jit) => {
  it('lays out the context as the kernel does', () => {
    const { r, seen } = run({ op: 'state_cb', socket: 0, args: [1, 7, 3, 4] }, jit);
    expect(r.r0).toBe(0n);
    expect(seen[0]).toBe(10n); // op
    expect([seen[1], seen[2], seen[3], seen[4]]).toEqual([1n, 7n, 3n, 4n]);
    expect(seen[5]).toBe(2n); // AF_INET
    expect(seen[6]).toBe(0x0100000an); // 10.0.0.1, network order
    expect(seen[7]).toBe(0x0200000an);
    expect(seen[16]).toBe(BigInt(((55601 & 0xff) << 24) | ((55601 >> 8) << 16))); // htonl(port)
    expect(seen[17]).toBe(80n); // host order
    expect(seen[18]).toBe(1n); // is_fullsock
    expect([seen[19], seen[20]]).toEqual([12n, 4000n]);
    expect(seen[22]).toBe(1n); // TCP_ESTABLISHED
    expect(seen[42]).toBe(1n << 40n); // bytes_received, u64
    expect([seen[63], seen[64], seen[65], seen[66], seen[67]]).toEqual([1n, 2n, 1n, 80n, 55601n]); // ctx->sk
  });

  it('shows a request socket without TCP fields or sk, and an IPv6 one with its addresses', () => {
    const req = run({ op: 'timeout_init', socket: 2 }, jit).seen;
    expect(req[18]).toBeUndefined(); // is_fullsock 0
    expect(req[19]).toBeUndefined(); // snd_cwnd 0
    expect(req[22]).toBe(12n); // TCP_NEW_SYN_RECV
    expect(req[63]).toBeUndefined(); // sk NULL
    const v6 = run({ op: 'void', socket: 1 }, jit).seen;
    expect(v6[5]).toBe(10n);
    expect(v6[8]).toBe(0xfdn); // remote_ip6[0]: fd00::
    expect(v6[11]).toBe(0x01000000n); // remote_ip6[3]: ::1
  });

  it('writes reply and sk_txhash back', () => {
    const obj = loadObject(fixture('sock_ops'), { sockets: SOCKETS });
    const { r } = run({ op: 'timeout_init', socket: 0, args: [0, 300, 0xabcd] }, jit, {}, obj);
    expect([r.r0, r.reply, r.txhash]).toEqual([1n, 300, 0xabcd]);
    // the socket keeps its hash for the next event
    expect(run({ op: 'void', socket: 0 }, jit, {}, obj).seen[41]).toBe(0xabcdn);
  });

  it('gives each socket its own non-zero cookie, the same on every event', () => {
    const obj = loadObject(fixture('sock_ops_cookie'), { sockets: SOCKETS });
    const p = obj.program('sock_ops_cookie');
    for (const [op, socket] of [[0, 0], [1, 1], [2, 2], [3, 0]] as const) expect(p.runSockOps({ op, socket }, { jit }).r0).toBe(1n);
    const cookies = obj.map('cookies').entries().map(([, v]) => new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
    // Socket i has cookie i + 2 (1 is a BPF_PROG_TEST_RUN skb's socket).
    expect(cookies).toEqual([2n, 3n, 4n, 2n]);
  });

  it('sets options by the kernel rules and reads them back', () => {
    const obj = loadObject(fixture('sock_ops'), { sockets: SOCKETS });
    const set = run({ op: 'tcp_connect_cb', socket: 0 }, jit, {}, obj);
    // SO_SNDBUF 1000 -> at least SOCK_MIN_SNDBUF; SO_RCVBUF clamped to rmem_max then doubled; TCP_KEEPIDLE 0,
    // TCP_BPF_SNDCWND_CLAMP 0, IPV6_TCLASS on IPv4, an unknown level or option, dctcp, an 8-byte int: refused.
    expect(set.results).toEqual({ 4: -22n, 7: -22n, 9: -22n, 10: -22n, 11: -22n, 13: -2n, 14: -22n });
    expect(set.r.options).toEqual({ SO_SNDBUF: 4608, SO_RCVBUF: 425984, SO_MARK: 77, TCP_NODELAY: 1, TCP_KEEPCNT: 50, TCP_BPF_IW: 40, IP_TOS: 0xb8, TCP_CONGESTION: 'reno' });
    const get = run({ op: 'active_established_cb', socket: 0 }, jit, {}, obj);
    // (7, 11 and 14 are the setsockopt results left by the run before)
    expect(get.results).toEqual({ 6: -22n, 7: -22n, 9: -22n, 11: -22n, 13: -2n, 14: -22n });
    expect(get.got).toEqual({ 0: 4608n, 1: 425984n, 2: 77n, 3: 1n, 4: 7200n, 5: 50n, 8: 0xb8n, 12: 0x6f6e6572n }); // 'reno'
    // a refused getsockopt zeroes the buffer (TCP_BPF_IW, IPV6_TCLASS here, TCP_SAVED_SYN)
    expect([get.got[6], get.got[9], get.got[13]]).toEqual([undefined, undefined, undefined]);
  });

  it('takes the host congestion controls, and refuses options on a request socket or past the locked callbacks', () => {
    expect(run({ op: 'tcp_connect_cb', socket: 1 }, jit, { congestion: ['bbr', 'dctcp'] }).results[13]).toBeUndefined(); // dctcp: 0
    // IPv6 socket that sent data: TCP_BPF_IW -EINVAL, IPV6_TCLASS accepted, IP_TOS refused
    const v6 = run({ op: 'tcp_connect_cb', socket: 1 }, jit).results;
    expect([v6[6], v6[8], v6[9]]).toEqual([-22n, -22n, undefined]);
    expect(run({ op: 'tcp_connect_cb', socket: 2 }, jit).results[0]).toBe(-22n);
    expect(run({ op: 16, socket: 0 }, jit).results).toEqual({});
  });

  it('sets callback flags, casts the socket and keeps a value per socket', () => {
    const obj = loadObject(fixture('sock_ops'), { sockets: SOCKETS });
    const a = run({ op: 'rtt_cb', socket: 0, args: [0x1ff] }, jit, {}, obj);
    expect(a.results).toEqual({ 16: 0x180n, 17: 1n, 20: 1n });
    expect(a.r.cbFlags).toBe(0x7f);
    const b = run({ op: 'rtt_cb', socket: 1, args: [8] }, jit, {}, obj);
    expect(b.results).toEqual({ 17: 1n, 18: 1n, 20: 1n });
    expect(run({ op: 'rtt_cb', socket: 0, args: [8] }, jit, {}, obj).results[20]).toBe(2n);
    expect(run({ op: 'rtt_cb', socket: 2, args: [8] }, jit, {}, obj).results[16]).toBe(-22n);
  });
});

describe('sock_ops hostile inputs', () => {
  it('refuses events that name no TCP socket, and objects without sockets', () => {
    const obj = loadObject(fixture('sock_ops'), { sockets: SOCKETS });
    const p = obj.program('sock_ops_probe');
    for (const bad of [{ op: 'tcp_connect_cb', socket: 4 }, { op: 'nope', socket: 0 }, { op: 256, socket: 0 }, { op: 1, socket: -1 }, { op: 1, socket: 0, args: [1, 2, 3, 4, 5] }, { op: 1, socket: 0, args: [-1] }, { op: 1, socket: 3 }, { op: 1, socket: 0, skb: new Uint8Array(70000) }, null]) {
      expect(() => p.runSockOps(bad as SockOpsEvent), JSON.stringify(bad)).toThrow(EbpfError);
    }
    expect(() => p.runSockOps({ op: 1, socket: 0 }, { congestion: ['x'.repeat(16)] })).toThrow(/congestion/);
    expect(() => loadObject(fixture('sock_ops')).program('sock_ops_probe').runSockOps({ op: 1, socket: 0 })).toThrow(/no sockets/);
  });

  it('faults on option buffers outside memory and absurd lengths, and stops on addresses that are no socket', () => {
    const memory = new VmMemory();
    const table = new SocketTable(SOCKETS);
    const sockets = new SocketMemory(memory, table);
    const helpers = sockOpsHelpers(memory, sockets);
    const host: SockOpsRunHost = { kind: 'sockops', op: 3, socket: table.sockets[0]!, state: new SockOpsSocket(), congestion: ['cubic'], hdr: new HdrOptRun(3, undefined, undefined, 0) };
    const ctx: HelperContext = { memory, pc: 5, host, tailCall: () => false };
    const set = helpers.get(49)!.fn;
    const get = helpers.get(57)!.fn;
    expect(() => set(0n, 1n, 7n, 0x10n, 4n, ctx)).toThrow(EbpfError);
    expect(() => get(0n, 1n, 7n, 0x10n, 4n, ctx)).toThrow(EbpfError);
    // into read-only memory (a socket), and far past any region: faults; a negative length: -EINVAL
    expect(() => get(0n, 1n, 7n, BigInt(sockets.address(table.sockets[0]!)), 4n, ctx)).toThrow(EbpfError);
    expect(() => get(0n, 1n, 7n, BigInt(sockets.address(table.sockets[0]!)), 0x7fff_ffffn, ctx)).toThrow(EbpfError);
    expect(get(0n, 1n, 7n, 0x10n, 0xffff_ffffn, ctx)).toBe(BigInt.asUintN(64, -22n));
    // a length no option has is refused before any memory is read
    expect(set(0n, 1n, 7n, 0x10n, 0x7fff_ffffn, ctx)).toBe(BigInt.asUintN(64, -22n));
    expect(set(0n, 6n, 13n, 0x10n, 0n, ctx)).toBe(BigInt.asUintN(64, -22n));
    const cast = helpers.get(137)!.fn;
    expect(() => cast(12345n, 0n, 0n, 0n, 0n, ctx)).toThrow(/not a socket of the host/);
    expect(cast(0n, 0n, 0n, 0n, 0n, ctx)).toBe(0);
    expect(() => set(0n, 1n, 7n, 0x10n, 4n, { ...ctx, host: undefined })).toThrow(/only sock_ops programs/);
  });
});
