/**
 * Tunnel metadata without a kernel: the host's `options.tunnel` read by bpf_skb_get_tunnel_key, what
 * bpf_skb_set_tunnel_key attached reported with the run, argument checks and hostile pointers.
 * test/kernel/tunnel.test.ts compares every case of tunnel-cases.ts with the kernel.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import type { SkbRunInfo } from '../../src/context/runner.js';
import type { TunnelKey } from '../../src/helpers/tunnel.js';
import { VmMemory } from '../../src/vm/memory.js';
import { TunnelHelper, tunnelHelpers } from '../../src/helpers/tunnel.js';
import { load } from './fixtures.js';
import { TUNNEL_CASES, tunnelPacket, tunnelResult } from './tunnel-cases.js';

const prog = load('tc_meta').program('tunnel_key');
const run = (packet: Uint8Array, tunnel?: TunnelKey): { result: string; info: SkbRunInfo } => {
  let pkt: Uint8Array = new Uint8Array(0);
  let info: SkbRunInfo = {};
  prog.runTc(packet, { tunnel, inspect: (_s, p, i) => ((pkt = p), (info = i)) });
  return { result: tunnelResult(pkt), info };
};
const getOnly = (size: number, flags: number): Uint8Array => tunnelPacket({ name: '', getSize: size, getFlags: flags });

describe('bpf_skb_get_tunnel_key / set_tunnel_key', () => {
  it('reads the metadata the host gives the packet (remote end first), per family and size', () => {
    const v4: TunnelKey = { id: 42, remote: new Uint8Array([192, 0, 2, 1]), local: new Uint8Array([192, 0, 2, 2]), tos: 3, ttl: 9, flags: 0x2005 };
    expect(run(getOnly(44, 16), v4).result).toBe(`set 0 get 0 key 2a000000c00002010000000000000000000000000309200500000000c0000202000000000000000000000000eeeeeeee`);
    expect(run(getOnly(24, 0), v4).result).toMatch(/^set 0 get 0 key 2a000000c0000201000000000000000000000000030900000{0}e/);
    expect(run(getOnly(44, 1), v4).result).toMatch(/^set 0 get -71 key 0{88}e/);
    expect(run(getOnly(44, 0)).result).toMatch(/^set 0 get -22 key 0{88}e/);
    const v6: TunnelKey = { id: 7, remote: new Uint8Array(16).fill(0xfd), label: 0x12345 };
    expect(run(getOnly(44, 1), v6).result).toBe(`set 0 get 0 key 07000000${'fd'.repeat(16)}0000000045230100${'00'.repeat(16)}eeeeeeee`);
  });

  it('reports what set_tunnel_key attached, as the program gave it, and a later get sees it', () => {
    const c = TUNNEL_CASES.find((x) => x.name === 'set 44/4, get 44/16')!;
    const { result, info } = run(tunnelPacket(c), { id: 1, remote: new Uint8Array(4) });
    expect(result).toMatch(/^set 0 get 0 key 785634120a000009/);
    expect(info.tunnel).toMatchObject({ id: 0x12345678, tos: 0x10, ttl: 64, label: 0, flags: 0x2105 });
    expect(Array.from(info.tunnel!.remote)).toEqual([192, 168, 1, 1]);
    expect(Array.from(info.tunnel!.local!)).toEqual([10, 0, 0, 9]);
    // No set, no report; a failed set reports nothing either.
    expect(run(getOnly(44, 0), { id: 1, remote: new Uint8Array(4) }).info.tunnel).toBeUndefined();
    expect(run(tunnelPacket(TUNNEL_CASES.find((x) => x.name === 'set 48/0, get 44/0')!)).info.tunnel).toBeUndefined();
  });

  it('checks options.tunnel with ArgumentError', () => {
    const bad: [unknown, RegExp][] = [
      [5, /options.tunnel must be an object/],
      [{ remote: new Uint8Array(4) }, /options.tunnel.id/],
      [{ id: 1, remote: new Uint8Array(5) }, /4 \(IPv4\) or 16 \(IPv6\) bytes/],
      [{ id: 1, remote: new Uint8Array(4), local: new Uint8Array(16) }, /local must be 4 bytes/],
      [{ id: 1, remote: new Uint8Array(4), ttl: 256 }, /ttl must be an integer from 0 to 255/],
      [{ id: 1, remote: [1, 2, 3, 4] }, /options.tunnel.remote/],
    ];
    for (const [t, re] of bad) expect(() => prog.runTc(getOnly(44, 0), { tunnel: t as TunnelKey })).toThrow(ArgumentError);
    for (const [t, re] of bad) expect(() => prog.runTc(getOnly(44, 0), { tunnel: t as TunnelKey })).toThrow(re);
  });

  it('are tc-only, and a key pointer or size outside program memory is an EbpfError', () => {
    // verify: 'warn': the kernel refuses the tc-only helper in a socket filter at load; tsbpf's run-time refusal is tested here
    expect(() => load('tc_meta', { programTypes: { '*': 'socket' }, verify: 'warn' }).program('tunnel_key').runSocketFilter(getOnly(44, 0))).toThrow(/only tc programs/);
    const memory = new VmMemory();
    memory.map({ name: 'k', size: 44, vaddr: 0x1000_0000 });
    const helpers = tunnelHelpers(memory);
    const ctx = { memory, pc: 2, tailCall: () => false, host: { kind: 'tc', tunnel: undefined, tunnelSet: undefined } };
    for (const id of [TunnelHelper.GET_TUNNEL_KEY, TunnelHelper.SET_TUNNEL_KEY]) {
      const fn = helpers.get(id)!.fn;
      expect(() => fn(0n, 0x1000_0000n, 45n, 0n, 0n, ctx)).toThrow(/out-of-bounds/);
      expect(() => fn(0n, 0x3000_0000n, 44n, 0n, 0n, ctx)).toThrow(/out-of-bounds/);
      expect(() => fn(0n, 0x1000_0000n, 0xffff_ffffn, 0n, 0n, ctx)).toThrow(/out-of-bounds/);
    }
  });
});
