/**
 * VLAN push/pop, clone_redirect and tunnel options without a kernel: what the run reports (clones
 * with their packets, the options set), the host's inputs (an outside VLAN tag, tunnel options),
 * argument checks, the per-run clone cap and hostile pointers. test/kernel/skb-ops.test.ts compares
 * every case of skb-ops-cases.ts with the kernel.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import type { SkbRunInfo } from '../../src/context/runner.js';
import { SkBuff } from '../../src/context/layout.js';
import type { TunnelKey } from '../../src/helpers/tunnel.js';
import { MAX_CLONES } from '../../src/helpers/clone.js';
import { HOST } from './fib-cases.js';
import { load } from './fixtures.js';
import { CLONE_CASES, clonePacket, framed, tunnelOptPacket, tunnelOptResult, vlanPacket, vlanResult } from './skb-ops-cases.js';

const obj = load('tc_skb_ops', { fib: HOST });
const run = (prog: string, packet: Uint8Array, options: { tunnel?: TunnelKey; vlanPresent?: number; vlanTci?: number; vlanProto?: number } = {}) => {
  let info: SkbRunInfo = {};
  let pkt: Uint8Array = new Uint8Array(0);
  let skb: Uint8Array = new Uint8Array(0);
  const r0 = obj.program(prog).runTc(packet, { ...options, inspect: (s, p, i) => ((skb = s), (pkt = p), (info = i)) });
  return { r0, info, pkt, skb: new DataView(skb.buffer, skb.byteOffset, skb.byteLength) };
};

describe('bpf_clone_redirect', () => {
  it('reports each clone with its target and the packet at the call; the original goes on', () => {
    const c = CLONE_CASES.find((x) => x.name === 'to three interfaces, then drop')!;
    const { r0, info, pkt } = run('clone', clonePacket(c));
    expect(r0).toBe(2n);
    expect(info.clones?.map((k) => [k.ifindex, k.flags])).toEqual([[10, 0], [20, 0], [30, 1]]);
    // Each clone is the packet as it was at the call: without what the program wrote afterwards.
    for (const k of info.clones!) expect(Array.from(k.packet)).toEqual(Array.from(clonePacket(c)));
    expect(pkt[96]).toBe(0xc1);
    // A failed clone (missing interface, bad flag) sends nothing.
    expect(run('clone', clonePacket(CLONE_CASES.find((x) => x.name === 'a missing one between two')!)).info.clones?.map((k) => k.ifindex)).toEqual([10, 20]);
    expect(run('clone', clonePacket(CLONE_CASES.find((x) => x.name === 'with an unknown flag')!)).info.clones).toBeUndefined();
  });

  it('knows only the host FIB interfaces and the loopback', () => {
    const bare = load('tc_skb_ops').program('clone');
    let info: SkbRunInfo = {};
    bare.runTc(clonePacket({ name: '', clones: [[1, 0n], [10, 0n]] }), { inspect: (_s, _p, i) => (info = i) });
    expect(info.clones?.map((k) => k.ifindex)).toEqual([1]);
  });

  it('keeps at most MAX_CLONES clones of a run and counts the rest (runTc and a session)', () => {
    const prog = obj.program('clone_loop');
    const frame = clonePacket(CLONE_CASES[0]!);
    let info: SkbRunInfo = {};
    expect(prog.runTc(frame, { cb: [100, 10, 0, 0, 0], inspect: (_s, _p, i) => (info = i) })).toBe(100n);
    expect(info.clones).toHaveLength(MAX_CLONES);
    expect(info.clonesDropped).toBe(100 - MAX_CLONES);
    const session = prog.session('skb');
    try {
      session.run(frame, 0, frame.length);
      // A session's skb runs have no cb: zero clones, then the next run's own.
      expect(session.clones).toHaveLength(0);
      expect(session.clonesDropped).toBe(0);
    } finally {
      session.close();
    }
    const clone = obj.program('clone').session('skb');
    try {
      const c = CLONE_CASES.find((x) => x.name === 'to three interfaces, then drop')!;
      const p = clonePacket(c);
      expect(clone.run(p, 0, p.length)).toBe(2n);
      expect(clone.clones.map((k) => k.ifindex)).toEqual([10, 20, 30]);
      clone.run(clonePacket(CLONE_CASES[0]!), 0, p.length);
      expect(clone.clones.map((k) => k.ifindex)).toEqual([1]);
    } finally {
      clone.close();
    }
  });

  it('is tc-only', () => {
    // verify: 'warn': the kernel refuses the tc-only helper in a socket filter at load; tsbpf's run-time refusal is tested here
    const sock = load('tc_skb_ops', { programTypes: { '*': 'socket' }, verify: 'warn' }).program('clone');
    expect(() => sock.runSocketFilter(clonePacket(CLONE_CASES[0]!))).toThrow(/only tc programs/);
  });
});

describe('bpf_skb_vlan_push / pop', () => {
  it('start from the outside tag the host gives', () => {
    const c = { name: '', tags: [], steps: [['pop'], ['push', 0x8100, 4]] } as const;
    // The host's tag 0x88a8 / 77 is popped, then a push with no outside tag changes no bytes.
    const { skb, pkt } = run('vlan', vlanPacket(c), { vlanPresent: 1, vlanTci: 77, vlanProto: 0xa888 });
    expect(vlanResult(c, pkt)).toMatch(/^pop 0 len 192 present 0 tci 0 proto 0 protocol 8; push 0 len 192 present 1 tci 4 proto 81 protocol 8 /);
    expect(skb.getUint32(SkBuff.vlan_present, true)).toBe(1);
    // Pushing onto the host's tag writes it into the frame.
    const p = { name: '', tags: [], steps: [['push', 0x8100, 4]] } as const;
    const r = run('vlan', vlanPacket(p), { vlanPresent: 1, vlanTci: 0x123, vlanProto: 0xa888 });
    expect(Array.from(r.pkt.subarray(12, 18))).toEqual([0x88, 0xa8, 0x01, 0x23, 0x08, 0x00]);
  });

  it('refuse to take a tag out of a frame too short for one (-ENOMEM), and take the first one out before the second fails', () => {
    const prog = obj.program('vlan_cb');
    const pop = (frame: Uint8Array): { r0: bigint; len: number } => {
      let len = -1;
      const r0 = prog.runTc(frame, { cb: [2, 0, 0, 0, 0], inspect: (s) => (len = new DataView(s.buffer, s.byteOffset).getUint32(SkBuff.cb + 12, true)) });
      return { r0: BigInt.asIntN(32, r0), len };
    };
    expect(pop(framed(30, [[0x8100, 1]]).slice(0, 17))).toEqual({ r0: -12n, len: 17 });
    expect(pop(framed(30, [[0x8100, 1]]).slice(0, 18))).toEqual({ r0: 0n, len: 14 });
    expect(pop(framed(30, [[0x88a8, 1], [0x8100, 2]]).slice(0, 21))).toEqual({ r0: -12n, len: 17 });
  });
});

describe('bpf_skb_set_tunnel_opt / get_tunnel_opt', () => {
  it('reads the options the host gives with the packet, and reports the ones set', () => {
    const opts = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const got = run('tunnel_opt', tunnelOptPacket({ name: '', get: 16 }), { tunnel: { id: 1, remote: new Uint8Array(4), options: opts, flags: 0x0800 } });
    expect(tunnelOptResult(got.pkt)).toMatch(/^setkey 0 setopt 0 getopt 8 getkey 0 flags 800 got 01020304050607080{16}(ee){240}$/);
    // The host's metadata takes no new options (the kernel's: only what set_tunnel_key attached this run).
    expect(tunnelOptResult(run('tunnel_opt', tunnelOptPacket({ name: '', set: 8, get: 16 }), { tunnel: { id: 1, remote: new Uint8Array(4) } }).pkt)).toMatch(/^setkey 0 setopt -22 getopt -2 /);
    const set = run('tunnel_opt', tunnelOptPacket({ name: '', key: 0, set: 12, get: 12 }));
    expect(set.info.tunnel?.flags).toBe(0xf805);
    expect(Array.from(set.info.tunnel!.options!)).toEqual(Array.from(tunnelOptPacket({ name: '' }).subarray(160, 172)));
  });

  it('checks options.tunnel.options with ArgumentError', () => {
    const p = tunnelOptPacket({ name: '', get: 8 });
    expect(() => obj.program('tunnel_opt').runTc(p, { tunnel: { id: 1, remote: new Uint8Array(4), options: new Uint8Array(256) } })).toThrow(ArgumentError);
    expect(() => obj.program('tunnel_opt').runTc(p, { tunnel: { id: 1, remote: new Uint8Array(4), options: [1, 2] as unknown as Uint8Array } })).toThrow(/options.tunnel.options/);
  });
});
