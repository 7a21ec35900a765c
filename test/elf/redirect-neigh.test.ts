/**
 * bpf_redirect_neigh and bpf_redirect_peer (fixture tc_meta.c): verdicts and the redirect target the
 * run reports. test/kernel/redirect-neigh.test.ts compares the verdicts with the kernel.
 */
import { describe, expect, it } from 'vitest';
import { TcAction } from '../../src/context/layout.js';
import type { SkbRunInfo } from '../../src/context/runner.js';
import { load } from './fixtures.js';
import { NEIGH_CASES, neighPacket } from './redirect-neigh-cases.js';

describe('bpf_redirect_neigh / bpf_redirect_peer', () => {
  const obj = load('tc_meta');
  const run = (prog: string, packet: Uint8Array): { r0: bigint; info: SkbRunInfo } => {
    let info: SkbRunInfo = {};
    const r0 = obj.program(prog).runTc(packet, { inspect: (_s, _p, i) => (info = i) });
    return { r0, info };
  };

  it('redirects to the interface, with the next hop the caller gives, or drops on bad flags / plen', () => {
    expect(NEIGH_CASES.map((c) => `${c.name}: ${run(c.program, neighPacket(c)).r0}`)).toEqual(NEIGH_CASES.map((c) => `${c.name}: ${c.verdict}`));
    expect(run('redir_neigh', neighPacket({ ifindex: 5 })).info.redirect).toEqual({ helper: 'bpf_redirect_neigh', ifindex: 5, flags: 0 });
    const withV4 = run('redir_neigh', neighPacket({ ifindex: 6, params: { family: 2, address: [10, 0, 0, 1] } })).info.redirect;
    expect(withV4).toMatchObject({ helper: 'bpf_redirect_neigh', ifindex: 6, nexthop: { family: 2 } });
    expect(Array.from(withV4!.nexthop!.address)).toEqual([10, 0, 0, 1]);
    const v6 = [0xfd, ...Array<number>(14).fill(0), 1];
    expect(Array.from(run('redir_neigh', neighPacket({ ifindex: 6, params: { family: 10, address: v6 } })).info.redirect!.nexthop!.address)).toEqual(v6);
    expect(run('redir_peer', neighPacket({ ifindex: 9 })).info.redirect).toEqual({ helper: 'bpf_redirect_peer', ifindex: 9, flags: 0 });
    // A dropped packet reports no redirect.
    expect(run('redir_peer', neighPacket({ ifindex: 9, flags: 1n })).info.redirect).toBeUndefined();
  });

  it('are tc-only: socket filter runs get an EbpfError', () => {
    // verify: 'warn': the kernel refuses the tc-only helpers in a socket filter at load; tsbpf's run-time refusal is tested here
    const socket = load('tc_meta', { programTypes: { '*': 'socket' }, verify: 'warn' });
    expect(() => socket.program('redir_peer').runSocketFilter(neighPacket({ ifindex: 1 }))).toThrow(/only tc programs/);
    expect(() => socket.program('redir_neigh').runSocketFilter(neighPacket({ ifindex: 1 }))).toThrow(/only tc programs/);
    expect(TcAction.REDIRECT).toBe(7);
  });

  it('reads a params pointer over plen bytes: outside program memory is an EbpfError, not a host fault', async () => {
    const { VmMemory } = await import('../../src/vm/memory.js');
    const { packetHelpers, PacketHelper } = await import('../../src/helpers/packet.js');
    const memory = new VmMemory();
    memory.map({ name: 'p', size: 20, vaddr: 0x1000_0000 });
    const env = { memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: () => {}, now: () => 0n, random: () => 0 };
    const fn = packetHelpers(env).get(PacketHelper.REDIRECT_NEIGH)!.fn;
    const ctx = { memory, pc: 3, tailCall: () => false, host: { kind: 'tc', redirect: undefined } };
    expect(fn(4n, 0x1000_0000n, 20n, 0n, 0n, ctx)).toBe(7);
    expect(() => fn(4n, 0x1000_0000n, 21n, 0n, 0n, ctx)).toThrow(/out-of-bounds/);
    expect(() => fn(4n, 0x2000_0000n, 20n, 0n, 0n, ctx)).toThrow(/out-of-bounds/);
    expect(fn(4n, 0x1000_0000n, 0xffff_ffffn, 0n, 0n, ctx)).toBe(2); // plen -1: no params read, dropped
  });
});
