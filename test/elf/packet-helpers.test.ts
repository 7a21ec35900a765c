/**
 * Packet helpers whose results the kernel cannot reproduce (its hash seed, its clock) or that need
 * host-filled maps: bpf_get_hash_recalc, bpf_skb_change_type, bpf_jiffies64, bpf_redirect_map with
 * DEVMAP / DEVMAP_HASH / CPUMAP / XSKMAP, and the redirect target reported with the verdict. The
 * checksum helpers and bpf_redirect are compared with the kernel in test/kernel (fixture rewrite.c).
 */
import { describe, expect, it } from 'vitest';
import { MapError } from '../../src/errors.js';
import { SkBuff, XdpAction, TcAction } from '../../src/context/layout.js';
import { RedirectMap } from '../../src/maps/redirect.js';
import { flowHash } from '../../src/helpers/packet.js';
import { ipv4Packet, load, u32 } from './fixtures.js';

function tcp(src: number[], dst: number[], sport: number, dport: number): Uint8Array {
  const p = ipv4Packet(6, dst, 60);
  p.set(src, 26);
  p.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 34);
  return p;
}

function skbAfter(run: (inspect: (skb: Uint8Array) => void) => bigint): { r0: bigint; cb: number[]; hash: number } {
  let ctx: Uint8Array = new Uint8Array(0);
  const r0 = run((skb) => (ctx = skb));
  const v = new DataView(ctx.buffer, ctx.byteOffset);
  return { r0, cb: [0, 1, 2, 3, 4].map((i) => v.getUint32(SkBuff.cb + 4 * i, true)), hash: v.getUint32(SkBuff.hash, true) };
}

describe('bpf_get_hash_recalc, bpf_skb_change_type, bpf_jiffies64', () => {
  const prog = load('skb_state').program('hash');
  it('gives a non-zero flow hash, the same both ways of a flow, kept in skb->hash; a hash already set stays', () => {
    const a = skbAfter((inspect) => prog.runTc(tcp([10, 0, 0, 1], [10, 0, 0, 2], 1234, 80), { inspect }));
    const b = skbAfter((inspect) => prog.runTc(tcp([10, 0, 0, 2], [10, 0, 0, 1], 80, 1234), { inspect }));
    const c = skbAfter((inspect) => prog.runTc(tcp([10, 0, 0, 1], [10, 0, 0, 2], 1235, 80), { inspect }));
    expect(a.r0).not.toBe(0n);
    expect(a.r0).toBe(b.r0);
    expect(a.r0).not.toBe(c.r0);
    expect(a.hash).toBe(Number(a.r0));
    expect(a.cb[0]).toBe(a.hash);
    expect(skbAfter((inspect) => prog.runTc(tcp([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), { hash: 0xabcd, inspect })).r0).toBe(0xabcdn);
    expect(flowHash(new Uint8Array(3))).not.toBe(0);
  });

  it('changes pkt_type among host/broadcast/multicast/otherhost only (-EINVAL otherwise), and jiffies run', () => {
    const ok = skbAfter((inspect) => prog.runTc(ipv4Packet(6), { mark: 3, inspect }));
    expect(ok.cb.slice(1, 4)).toEqual([0, 3, 1]);
    const bad = skbAfter((inspect) => prog.runTc(ipv4Packet(6), { mark: 4, inspect }));
    expect(bad.cb.slice(1, 3)).toEqual([(-22) >>> 0, 0]);
    const from = skbAfter((inspect) => prog.runTc(ipv4Packet(6), { pktType: 7, mark: 1, inspect }));
    expect(from.cb.slice(1, 3)).toEqual([(-22) >>> 0, 7]);
  });

  it('refuses the tc-only helpers in a socket filter run, as the kernel refuses the program', () => {
    expect(() => prog.runSocketFilter(ipv4Packet(6))).toThrow(/bpf_get_hash_recalc: only tc programs may call it/);
  });
});

describe('bpf_redirect_map', () => {
  /** A packet that picks map `m` (0 devmap, 1 devmap_hash, 2 cpumap, 3 xskmap), key `k` and flags. */
  const pick = (m: number, k: number, flags = 0): Uint8Array => {
    const p = ipv4Packet(6);
    p[14] = (m << 4) | k;
    p[15] = flags;
    return p;
  };

  it('redirects through each map type to the entry the host stored, and reports it with the verdict', () => {
    const obj = load('skb_state');
    const prog = obj.program('by_map');
    obj.map('ports', RedirectMap).update(u32(1), u32(7));
    obj.map('ports_by_id', RedirectMap).update(u32(2), u32(9));
    obj.map('cpus', RedirectMap).update(u32(3), u32(128));
    obj.map('sockets', RedirectMap).update(u32(0), u32(42));
    const r = (m: number, k: number, flags = 0) => prog.runXdp(pick(m, k, flags), { jit: m % 2 === 1 });
    expect(r(0, 1)).toMatchObject({ action: XdpAction.REDIRECT, redirect: { helper: 'bpf_redirect_map', map: 'ports', key: 1, ifindex: 7, flags: 0 } });
    expect(r(1, 2).redirect).toEqual({ helper: 'bpf_redirect_map', map: 'ports_by_id', key: 2, ifindex: 9, flags: 0 });
    expect(r(2, 3).redirect).toEqual({ helper: 'bpf_redirect_map', map: 'cpus', key: 3, cpu: 3, flags: 0 });
    expect(r(3, 0).redirect).toEqual({ helper: 'bpf_redirect_map', map: 'sockets', key: 0, queue: 0, socket: 42, flags: 0 });
    // A missing entry: the lower two bits of the flags are the verdict, and nothing is redirected.
    expect(r(0, 2, XdpAction.PASS)).toMatchObject({ action: XdpAction.PASS });
    expect(r(0, 2, XdpAction.PASS).redirect).toBeUndefined();
    expect(r(3, 3, XdpAction.DROP).action).toBe(XdpAction.DROP);
    // Broadcast is for device maps only; unknown flags abort.
    expect(r(0, 0, 8 | 16).redirect).toEqual({ helper: 'bpf_redirect_map', map: 'ports', flags: 24, broadcast: true, excludeIngress: true });
    expect(r(2, 3, 8).action).toBe(XdpAction.ABORTED);
    expect(r(0, 1, 0x40).action).toBe(XdpAction.ABORTED);
  });

  it('follows the kernel\'s rules for the host\'s updates, and refuses program updates', () => {
    const obj = load('skb_state');
    const ports = obj.map('ports', RedirectMap);
    expect(() => ports.update(u32(4), u32(1))).toThrow(/E2BIG/);
    expect(() => ports.update(u32(0), u32(0))).toThrow(/EINVAL/);
    expect(() => ports.update(u32(0), u32(1), 1)).toThrow(/EEXIST/);
    expect(() => ports.update(u32(0), new Uint8Array(3))).toThrow(MapError);
    const cpus = obj.map('cpus', RedirectMap);
    cpus.update(u32(1), u32(64));
    cpus.update(u32(1), u32(0)); // qsize 0 removes the CPU
    expect(cpus.targets()).toEqual([]);
    expect(() => ports.programUpdate()).toThrow(/programs cannot update a BPF_MAP_TYPE_DEVMAP/);
    expect(() => obj.createMap({ name: 'x', type: 17, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 })).toThrow(/values must be 4 bytes/);
  });
});

describe('bpf_redirect reported with the verdict', () => {
  const obj = load('rewrite');
  it('tc: TC_ACT_REDIRECT with the interface and BPF_F_INGRESS, given to inspect', () => {
    let info: unknown;
    const r0 = obj.program('tc_redirect').runTc(ipv4Packet(6), { mark: 1, inspect: (_s, _p, i) => (info = i) });
    expect(Number(r0)).toBe(TcAction.REDIRECT);
    expect(info).toEqual({ redirect: { helper: 'bpf_redirect', ifindex: 3, flags: 1 } });
    const shot = obj.program('tc_redirect').runTc(ipv4Packet(6), { mark: 7, inspect: (_s, _p, i) => (info = i) });
    expect(Number(shot)).toBe(TcAction.SHOT);
    expect(info).toEqual({});
  });

  it('XDP: XDP_REDIRECT with the interface; a flag aborts', () => {
    const prog = obj.program('xdp_redirect');
    expect(prog.runXdp(ipv4Packet(6))).toMatchObject({ action: XdpAction.REDIRECT, redirect: { helper: 'bpf_redirect', ifindex: 5, flags: 0 } });
    const p = ipv4Packet(6);
    p[0] = 0xff;
    const aborted = prog.runXdp(p, { jit: true });
    expect(aborted.action).toBe(XdpAction.ABORTED);
    expect(aborted.redirect).toBeUndefined();
  });
});
