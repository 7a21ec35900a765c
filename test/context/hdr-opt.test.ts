/**
 * The TCP header-option helpers of sock_ops (bpf_load_hdr_opt, bpf_store_hdr_opt, bpf_reserve_hdr_opt):
 * test/fixtures/elf/hdr_opt.c on host-described header-option events in both engines, one test per
 * documented errno, and hostile headers (options running past the header, kinds 0 and 1, absurd lengths
 * and data offsets) given straight to the helpers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import type { SockOpsEvent } from '../../src/context/sock-ops.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';
import { HdrOptRun, hdrOptHelpers } from '../../src/helpers/hdr-opt.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

const SOCKETS: SocketDescription[] = [{ protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:55601' }];
const EINVAL = -22n, ENOMSG = -42n, ENOSPC = -28n, EEXIST = -17n, EPERM = -1n, ENOENT = -2n, EFAULT = -14n;

/** A TCP header with `options` (padded to 4 bytes with end-of-list) and `flags`. */
export function tcpHeader(options: readonly number[], flags = 0x10): Uint8Array {
  const optLen = (options.length + 3) & ~3;
  const h = new Uint8Array(20 + optLen);
  h[12] = ((20 + optLen) / 4) << 4;
  h[13] = flags;
  h.set(options, 20);
  return h;
}

/** MSS 1460, NOP, NOP, SACK-permitted... then an experimental option 254 with magic 0xeb9f and 2 data bytes. */
const OPTIONS = [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 254, 6, 0xeb, 0x9f, 0xaa, 0xbb, 0xb7, 6, 0, 0, 0, 42];

function run(event: SockOpsEvent, jit: boolean, obj: BpfObject = loadObject(fixture('hdr_opt'), { sockets: SOCKETS })) {
  const r = obj.program('hdr_opt_probe').runSockOps(event, { jit });
  const results = Object.fromEntries(obj.map('results').entries().map(([k, v]) => [new DataView(k.buffer, k.byteOffset).getUint32(0, true), new DataView(v.buffer, v.byteOffset).getBigInt64(0, true)]));
  const got = obj.map('got').entries().map(([, v]) => [...v]);
  return { r, results, got, obj };
}

describe.each([false, true])('TCP header options (jit %s)', (jit) => {
  it('loads an option by kind, and an experimental one by kind and magic', () => {
    const parse = (args: number[], extra: Partial<SockOpsEvent> = {}) => run({ op: 'parse_hdr_opt_cb', socket: 0, skb: tcpHeader(OPTIONS), args, ...extra }, jit);
    let r = parse([2, 0, 0, 0]);
    expect(r.results[0]).toBe(4n);
    expect(r.got[0]!.slice(0, 4)).toEqual([2, 4, 0x05, 0xb4]);
    r = parse([254, 4, 0xeb9f, 0]);
    expect(r.results[0]).toBe(6n);
    expect(r.got[0]!.slice(0, 6)).toEqual([254, 6, 0xeb, 0x9f, 0xaa, 0xbb]);
    expect(parse([0xb7, 0, 0, 0]).results[0]).toBe(6n);
    // -ENOMSG: absent, or an experimental kind with another magic
    expect(parse([3, 0, 0, 0]).results[0]).toBe(ENOMSG);
    expect(parse([254, 4, 0x1234, 0]).results[0]).toBe(ENOMSG);
    // -ENOSPC: a 6-byte option into a 4-byte buffer, its first 4 bytes copied
    r = parse([0xb7, 0, 0, 2]);
    expect(r.results[0]).toBe(ENOSPC);
    expect(r.got[0]!.slice(0, 4)).toEqual([0xb7, 6, 0, 0]);
    // -EINVAL: kind 0 or 1, a kind-length for a regular kind, an experimental kind-length not 4 or 6
    for (const args of [[0, 0, 0, 0], [1, 0, 0, 0], [2, 4, 0, 0], [254, 0, 0, 0], [254, 5, 0, 0], [254, 6, 0, 2]]) {
      expect(parse(args).results[0], JSON.stringify(args)).toBe(EINVAL);
    }
    // BPF_LOAD_HDR_OPT_TCP_SYN: the event's SYN, -ENOENT without one
    expect(parse([2, 0, 0, 1]).results[0]).toBe(ENOENT);
    r = parse([3, 0, 0, 1], { syn: tcpHeader([3, 3, 7], 0x02) });
    expect(r.results[0]).toBe(3n);
    expect(r.got[0]!.slice(0, 3)).toEqual([3, 3, 7]);
    // the established callbacks carry a segment too
    expect(run({ op: 'passive_established_cb', socket: 0, skb: tcpHeader(OPTIONS), args: [2, 0, 0, 0] }, jit).results[0]).toBe(4n);
  });

  it('refuses headers that do not parse with -EFAULT', () => {
    const bad = [
      [...tcpHeader([]).subarray(0, 12), 0xf0, 0x10, 0, 0, 0, 0, 0, 0], // data offset 60 past a 20-byte segment
      [...tcpHeader([5, 40, 1, 1])], // an option running past the header
      [...tcpHeader([5, 0, 1, 1])], // an option length under 2
      [...tcpHeader([1, 1, 1, 5])], // a kind with no room for its length
      [1, 2, 3], // not even a header
    ];
    for (const skb of bad) {
      expect(run({ op: 'parse_hdr_opt_cb', socket: 0, skb: new Uint8Array(skb), args: [2, 0, 0, 0] }, jit).results[0], JSON.stringify(skb)).toBe(EFAULT);
    }
    // an end-of-list stops the search before anything after it
    expect(run({ op: 'parse_hdr_opt_cb', socket: 0, skb: tcpHeader([0, 2, 4, 5, 0xb4]), args: [2, 0, 0, 0] }, jit).results[0]).toBe(ENOMSG);
  });

  it('reserves space adding up, then stores options into it', () => {
    const obj = loadObject(fixture('hdr_opt'), { sockets: SOCKETS });
    let r = run({ op: 'hdr_opt_len_cb', socket: 0, args: [6, 0, 8], tcpFlags: 0x12 }, jit, obj);
    expect(r.results).toMatchObject({ 0: 0n, 1: 0n });
    expect(r.r.reserved).toBe(14);
    // -ENOSPC past the room (40 less the segment's options), nothing reserved; -EINVAL for flags
    r = run({ op: 'hdr_opt_len_cb', socket: 0, args: [16, 0, 5], skb: tcpHeader(OPTIONS) }, jit, loadObject(fixture('hdr_opt'), { sockets: SOCKETS }));
    expect(r.results).toMatchObject({ 0: 0n, 1: ENOSPC });
    expect(r.r.reserved).toBe(16);
    expect(run({ op: 'hdr_opt_len_cb', socket: 0, args: [4, 1, 0] }, jit).results[0]).toBe(EINVAL);
    expect(run({ op: 'hdr_opt_len_cb', socket: 0, args: [0xffff_ffff, 0, 0] }, jit).results[0]).toBe(ENOSPC);
    expect(run({ op: 'hdr_opt_len_cb', socket: 0, args: [4, 0, 0], optionSpace: 3 }, jit).results[0]).toBe(ENOSPC);
    // WRITE: the socket's last reservation (14 bytes: 16 with padding) by default
    r = run({ op: 'write_hdr_opt_cb', socket: 0, args: [0xb7, 6, 0x01020304, 4], skb: tcpHeader([2, 4, 5, 0xb4]) }, jit, obj);
    expect(r.results).toMatchObject({ 0: 0n, 1: EEXIST, 2: 6n });
    expect([...r.r.headerOptions]).toEqual([0xb7, 6, 1, 2, 3, 4, ...Array(10).fill(1)]);
    expect(r.got[1]!.slice(0, 6)).toEqual([0xb7, 6, 1, 2, 3, 4]);
    // -EEXIST for an option the kernel wrote; -ENOSPC without room; -EINVAL for kind-length past len or under 2
    expect(run({ op: 'write_hdr_opt_cb', socket: 0, args: [2, 4, 0, 4], skb: tcpHeader([2, 4, 5, 0xb4]), optionSpace: 8 }, jit).results[0]).toBe(EEXIST);
    r = run({ op: 'write_hdr_opt_cb', socket: 0, args: [0xb7, 6, 0, 4], skb: tcpHeader([]), optionSpace: 0 }, jit);
    expect(r.results).toMatchObject({ 0: ENOSPC, 2: ENOMSG });
    expect(r.r.headerOptions.length).toBe(0);
    expect(run({ op: 'write_hdr_opt_cb', socket: 0, args: [0xb7, 9, 0, 4], optionSpace: 12 }, jit).results[0]).toBe(EINVAL);
    expect(run({ op: 'write_hdr_opt_cb', socket: 0, args: [0xb7, 1, 0, 4], optionSpace: 12 }, jit).results[0]).toBe(EINVAL);
    expect(run({ op: 'write_hdr_opt_cb', socket: 0, args: [1, 2, 0, 4], optionSpace: 12 }, jit).results[0]).toBe(EINVAL);
    // experimental options are duplicates only with the same magic
    r = run({ op: 'write_hdr_opt_cb', socket: 0, args: [254, 6, 0xeb9f0102, 4], skb: tcpHeader([254, 4, 0x12, 0x34]), optionSpace: 8 }, jit);
    expect(r.results).toMatchObject({ 0: 0n, 1: EEXIST, 2: 6n });
  });

  it('refuses each helper outside its callbacks with -EPERM', () => {
    for (const op of ['tcp_connect_cb', 'rtt_cb'] as const) {
      expect(run({ op, socket: 0 }, jit).results).toMatchObject({ 0: EPERM, 1: EPERM, 2: EPERM });
    }
    // load has no header to read while the kernel sizes one
    const r = run({ op: 'hdr_opt_len_cb', socket: 0, args: [4, 0, 0] }, jit);
    expect(r.results[0]).toBe(0n);
  });
});

describe('header-option helpers given hostile arguments', () => {
  const memory = new VmMemory();
  const at = (hdr: HdrOptRun): HelperContext => ({ memory, pc: 3, host: hdr, tailCall: () => false });
  const helpers = hdrOptHelpers(memory, (_name, ctx) => ctx.host as HdrOptRun);
  const load = helpers.get(142)!.fn, store = helpers.get(143)!.fn, reserve = helpers.get(144)!.fn;
  const neg = (v: bigint | number | void): bigint => BigInt.asIntN(64, BigInt(v ?? 0));

  it('faults on buffers outside memory, refuses short lengths before reading, bounds the walk', () => {
    const hdr = new HdrOptRun(13, tcpHeader(OPTIONS), undefined, 0);
    expect(() => load(0n, 0x10n, 8n, 0n, 0n, at(hdr))).toThrow(EbpfError);
    expect(() => load(0n, 0x10n, 0xffff_ffffn, 0n, 0n, at(hdr))).toThrow(EbpfError);
    expect(neg(load(0n, 0x10n, 1n, 0n, 0n, at(hdr)))).toBe(EINVAL);
    expect(neg(load(0n, 0x10n, 8n, 2n, 0n, at(hdr)))).toBe(EINVAL);
    // no header while the kernel sizes one, nor in a callback without a segment: -EPERM before any memory is read
    expect(neg(load(0n, 0x10n, 8n, 0n, 0n, at(new HdrOptRun(14, tcpHeader(OPTIONS), undefined, 40))))).toBe(EPERM);
    expect(neg(load(0n, 0x10n, 8n, 0n, 0n, at(new HdrOptRun(3, undefined, undefined, 0))))).toBe(EPERM);
    const w = new HdrOptRun(15, tcpHeader([]), undefined, 40);
    expect(w.space.length).toBe(40);
    expect(neg(store(0n, 0x10n, 1n, 0n, 0n, at(w)))).toBe(EINVAL);
    expect(neg(store(0n, 0x10n, 8n, 1n, 0n, at(w)))).toBe(EINVAL);
    expect(() => store(0n, 0x10n, 8n, 0n, 0n, at(w))).toThrow(EbpfError);
    // reserve adds up to the room exactly, never past it, whatever the length
    const l = new HdrOptRun(14, undefined, undefined, 40);
    for (const n of [0xffff_ffffn, 1n << 40n, 41n]) expect(neg(reserve(0n, n, 0n, 0n, 0n, at(l)))).toBe(n === 1n << 40n ? 0n : ENOSPC);
    expect(l.reserved).toBe(0); // 1 << 40 is 0 as the helper's u32
    expect(neg(reserve(0n, 40n, 0n, 0n, 0n, at(l)))).toBe(0n);
    expect(neg(reserve(0n, 1n, 0n, 0n, 0n, at(l)))).toBe(ENOSPC);
    expect(l.reserved).toBe(40);
  });
});

describe.each([false, true])("katran's tcp_pkt_router on header-option events (jit %s)", (jit) => {
  const object = readFileSync(fileURLToPath(new URL('../corpus/katran/katran/tpr/bpf/tcp_pkt_router.bpf.o', import.meta.url)));
  const sockets: SocketDescription[] = [
    { protocol: 'tcp', local: '10.0.0.2:80' }, // the server's listener
    { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:55601' },
  ];
  /** The program with server_infos[0] = { mode, server_id }; `stats()` reads tpr_stats' u64 counters. */
  function katran(mode: 1 | 2, serverId: number) {
    const obj = loadObject(object, { sockets });
    const info = new Uint8Array(12);
    info[0] = mode;
    new DataView(info.buffer).setUint32(4, serverId, true);
    obj.map('server_infos').update(new Uint8Array(4), info);
    const p = obj.program('tcp_pkt_router');
    const stats = () => {
      const v = obj.map('tpr_stats').lookup(new Uint8Array(4))!;
      const names = ['server_id_read', 'server_id_set', 'conns_skipped', 'no_tcp_opt_hdr', 'error_bad_id', 'error_server_id_zero', 'error_write_opt', 'error_sys_calls', 'ignoring_due_to_kde', 'server_opt'];
      return Object.fromEntries(names.map((n, i) => [n, new DataView(v.buffer, v.byteOffset).getBigUint64(8 * i, true)]).filter(([, x]) => x !== 0n));
    };
    return { obj, p, stats };
  }

  it('as a server: asks for the write callback, reserves 6 bytes on a SYN-ACK and writes its server id there', () => {
    const { p, stats } = katran(1, 0x11223344);
    expect(p.runSockOps({ op: 'tcp_listen_cb', socket: 0 }, { jit }).cbFlags).toBe(0x40);
    expect(p.runSockOps({ op: 'hdr_opt_len_cb', socket: 1, tcpFlags: 0x12 }, { jit }).reserved).toBe(6);
    const w = p.runSockOps({ op: 'write_hdr_opt_cb', socket: 1, skb: tcpHeader([2, 4, 5, 0xb4], 0x12) }, { jit });
    expect([...w.headerOptions]).toEqual([0xb6, 6, 0x44, 0x33, 0x22, 0x11, 1, 1]);
    expect(stats()).toEqual({ server_id_set: 1n });
    // not on a plain ACK
    expect(p.runSockOps({ op: 'hdr_opt_len_cb', socket: 1, tcpFlags: 0x10 }, { jit }).reserved).toBe(0);
  });

  it('as a client: reads the server id from the SYN-ACK, counts a SYN-ACK without one', () => {
    const { p, stats } = katran(2, 0);
    p.runSockOps({ op: 'parse_hdr_opt_cb', socket: 1, skb: tcpHeader([2, 4, 5, 0xb4, 0xb6, 6, 0x44, 0x33, 0x22, 0x11], 0x12) }, { jit });
    expect(stats()).toMatchObject({ server_id_read: 1n });
    p.runSockOps({ op: 'parse_hdr_opt_cb', socket: 1, skb: tcpHeader([2, 4, 5, 0xb4], 0x12) }, { jit });
    expect(stats()).toMatchObject({ server_id_read: 1n, no_tcp_opt_hdr: 1n });
  });
});
