/**
 * bpf_fib_lookup without a kernel: the outcomes the kernel gives (test/kernel/fib.test.ts compares
 * every case of fib-cases.ts with it) pinned here, the default host with no routes, the FIB
 * description's validation, and hostile arguments.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError } from '../../src/errors.js';
import { XdpAction } from '../../src/context/layout.js';
import { VmMemory } from '../../src/vm/memory.js';
import { FIB_LOOKUP, fibHelpers } from '../../src/helpers/fib.js';
import { Fib, type FibDescription } from '../../src/helpers/fib-table.js';
import { CASES, HOST, casePacket, describeResult } from './fib-cases.js';
import { ipv4Packet, load } from './fixtures.js';

const byName = (name: string) => CASES.find((c) => c.name === name)!;
const xdp = load('fib', { fib: HOST }).program('fib_xdp');
const run = (name: string): string => describeResult(xdp.runXdp(casePacket(byName(name))).packet);

describe('bpf_fib_lookup', () => {
  it('forwards through a gateway with a neighbour: ifindex, metric, next hop, MACs, MTU; VLAN fields cleared', () => {
    expect(run('gateway with neighbour')).toBe(
      'ret 0 family 2 mtu/tot 1400 ifindex 10 metric 5 src 00000000000000000000000000000000 dst 0a000001000000000000000000000000 vlan/tbid 00000000 smac 020000000011 dmac 020000000099',
    );
    expect(run('lowest metric wins')).toMatch(/^ret 0 .* ifindex 20 metric 3 .* dst 0a00002d.* vlan\/tbid 00000000 smac 020000000022 dmac 020000000045$/);
  });

  it('gives NO_NEIGH with the next hop filled, SKIP_NEIGH success without MACs, FRAG_NEEDED with only the MTU', () => {
    expect(run('gateway without neighbour')).toMatch(/^ret 7 family 2 mtu\/tot 100 ifindex 10 metric 0 .* dst 0a000007.* smac 000000000000/);
    expect(run('gateway without neighbour, SKIP_NEIGH')).toMatch(/^ret 0 family 2 mtu\/tot 1400 ifindex 10 .* dst 0a000007.* smac 000000000000 dmac 000000000000$/);
    expect(run('over the MTU')).toMatch(/^ret 8 family 2 mtu\/tot 1400 ifindex 10 metric 0 .* dst 0a090101/);
    expect(run('at the MTU')).toMatch(/^ret 0 /);
  });

  it('returns the route type codes, NOT_FWDED for local and unrouted destinations, FWD_DISABLED, and the errors', () => {
    const ret = (name: string): string => run(name).split(' ')[1]!;
    expect(['blackhole', 'unreachable', 'prohibit', 'no route', 'local address', 'subnet broadcast'].map(ret)).toEqual(['1', '2', '3', '4', '4', '4']);
    expect(['forwarding disabled', 'forwarding disabled, OUTPUT'].map(ret)).toEqual(['5', '5']);
    expect(['unknown flag', 'high flag bit', 'plen 63', 'plen 1'].map(ret)).toEqual(['-22', '-22', '-22', '-22']);
    expect(['family 3', 'family 0', 'ifindex 0', 'unknown ifindex'].map(ret)).toEqual(['-97', '-97', '-19', '-19']);
    expect(['DIRECT|TBID table 100', 'TBID without DIRECT', 'default table through the rules', 'default table, DIRECT'].map(ret)).toEqual(['0', '4', '0', '4']);
    expect(run('SRC')).toMatch(/ src 0a000002000000000000000000000000 /);
    expect(run('IPv6 gateway with neighbour')).toMatch(/^ret 0 family 10 mtu\/tot 1400 ifindex 10 metric 1024 .* dst fd000000000000000000000000000001 .* dmac 020000000098$/);
  });

  it('checks a tc packet against the MTU when tot_len is 0 (Ethernet and one VLAN header of slack)', () => {
    const tc = load('fib', { fib: HOST }).program('fib_tc');
    const ret = (name: string): string => {
      let out: Uint8Array = new Uint8Array(0);
      tc.runTc(casePacket(byName(name)), { inspect: (_s, p) => (out = p) });
      return describeResult(out).split(' ')[1]!;
    };
    expect([ret('long packet, tot_len 0 (fits with Ethernet + VLAN)'), ret('longer packet, tot_len 0'), ret('long packet, tot_len given')]).toEqual(['0', '8', '0']);
    expect(describeResult(xdp.runXdp(casePacket(byName('longer packet, tot_len 0'))).packet).split(' ')[1]).toBe('0');
  });

  it('without a FIB: only the loopback interface, no routes', () => {
    const bare = load('fib').program('fib_xdp');
    const ask = (ifindex: number): string => describeResult(bare.runXdp(casePacket({ name: '', dst: [10, 9, 1, 1], ifindex })).packet).split(' ')[1]!;
    expect([ask(1), ask(10)]).toEqual(['4', '-19']);
    // The router sample passes what it cannot forward to the stack.
    expect(load('fib').program('fib_forward').runXdp(ipv4Packet(6, [10, 9, 1, 1])).action).toBe(XdpAction.PASS);
  });

  it('lets a router program forward with the MACs and redirect to the egress interface', () => {
    const r = load('fib', { fib: HOST }).program('fib_forward').runXdp(ipv4Packet(6, [10, 9, 1, 1]), { ingressIfindex: 20 });
    expect(r.action).toBe(XdpAction.REDIRECT);
    expect(r.redirect).toMatchObject({ helper: 'bpf_redirect', ifindex: 10 });
    expect(Array.from(r.packet.subarray(0, 12))).toEqual([2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 0x11]);
    expect(load('fib', { fib: HOST }).program('fib_forward').runXdp(ipv4Packet(6, [10, 66, 0, 1]), { ingressIfindex: 20 }).action).toBe(XdpAction.DROP);
  });

  it('refuses socket filters, and a params pointer or plen outside the program memory with an EbpfError', () => {
    // verify: 'warn': the kernel refuses bpf_fib_lookup in a socket filter at load; tsbpf's run-time refusal is tested here
    const obj = load('fib', { fib: HOST, programTypes: { fib_tc: 'socket' }, verify: 'warn' });
    expect(() => obj.program('fib_tc').runSocketFilter(casePacket(byName('gateway with neighbour')))).toThrow(/only XDP and tc programs/);
    // The helper itself, on a memory with one 64-byte writable region and one read-only one.
    const memory = new VmMemory();
    const rw = memory.map({ name: 'params', size: 64, vaddr: 0x1000_0000 });
    memory.map({ name: 'rodata', size: 64, vaddr: 0x1000_1000, writable: false });
    const fn = fibHelpers(memory, new Fib(HOST)).get(FIB_LOOKUP)!.fn;
    const ctx = { memory, pc: 7, tailCall: () => false, host: { kind: 'xdp' } };
    const call = (r2: bigint, r3: bigint, r4 = 0n): bigint | number => fn(0n, r2, r3, r4, 0n, ctx) as bigint | number;
    memory.slice(0x1000_0000n, 64, true).set(casePacket(byName('gateway with neighbour')).subarray(0, 64));
    expect(call(0x1000_0000n, 64n)).toBe(0);
    expect(rw.name).toBe('params');
    for (const [r2, r3] of [[0x2000_0000n, 64n], [0x1000_0000n, 65n], [0x1000_0000n, 0x7fffffffn], [0x1000_1000n, 64n], [0xffff_ffff_ffff_fff0n, 64n]] as const) {
      expect(() => call(r2, r3)).toThrow(EbpfError);
    }
    // A negative or short plen is -EINVAL, as is a flag outside the known ones.
    expect([call(0x1000_0000n, 0xffff_ffffn), call(0x1000_0000n, 0n), call(0x1000_0000n, 64n, 1n << 40n)].map((r) => BigInt.asIntN(64, BigInt(r)))).toEqual([-22n, -22n, 0n]);
    expect(() => fn(0n, 0x1000_0000n, 64n, 0n, 0n, { ...ctx, host: undefined })).toThrow(/only XDP and tc/);
  });
});

describe('FIB description checks', () => {
  const bad: [FibDescription | unknown, RegExp][] = [
    [[], /fib must be an object/],
    [{ routes: {} }, /fib.routes must be an array/],
    [{ interfaces: [{ ifindex: 0 }] }, /ifindex must be an integer from 1/],
    [{ interfaces: [{ ifindex: 2 }, { ifindex: 2 }] }, /described twice/],
    [{ interfaces: [{ ifindex: 2, mac: '02:00:00:00:00' }] }, /MAC address/],
    [{ interfaces: [{ ifindex: 2, mtu: 1e9 }] }, /mtu must be an integer/],
    [{ interfaces: [{ ifindex: 2, addresses: ['10.0.0.1/33'] }] }, /prefix length/],
    [{ interfaces: [{ ifindex: 2, forwarding: 'yes' }] }, /forwarding must be a boolean/],
    [{ interfaces: [{ ifindex: 2, speed: 1 }] }, /unknown field 'speed'/],
    [{ routes: [{ prefix: '10.0.0.0/8' }] }, /required for unicast/],
    [{ routes: [{ prefix: '10.0.0.0/8', ifindex: 5 }] }, /interface 5 is not in fib.interfaces/],
    [{ routes: [{ prefix: '10.0.0.256/8', ifindex: 1 }] }, /IPv4 or IPv6 address/],
    [{ routes: [{ prefix: 'fd00:::1/64', ifindex: 1 }] }, /IPv4 or IPv6 address/],
    [{ routes: [{ prefix: '10.0.0.0/8', ifindex: 1, gateway: 'fd00::1' }] }, /one family/],
    [{ routes: [{ prefix: '10.0.0.0/8', type: 'blackhole', ifindex: 1 }] }, /has no interface or gateway/],
    [{ routes: [{ prefix: '10.0.0.0/8', type: 'throw' }] }, /type must be one of/],
    [{ neighbours: [{ ifindex: 1, address: '10.0.0.1', mac: 'zz' }] }, /MAC address/],
  ];
  it.each(bad.map(([d, re], i) => [i, d, re] as const))('refuses bad description %i with an ArgumentError', (_i, d, re) => {
    expect(() => new Fib(d as FibDescription)).toThrow(ArgumentError);
    expect(() => new Fib(d as FibDescription)).toThrow(re);
    expect(() => load('fib', { fib: d as FibDescription })).toThrow(ArgumentError);
  });

  it('accepts IPv6 forms and host routes', () => {
    const fib = new Fib({ interfaces: [{ ifindex: 3 }], routes: [{ prefix: '::/0', ifindex: 3 }, { prefix: '10.1.2.3', ifindex: 3 }, { prefix: '1:2:3:4:5:6:7:8/128', ifindex: 3 }] });
    expect(fib.routes.map((r) => r.length)).toEqual([0, 32, 128]);
    expect(() => new Fib({ routes: [{ prefix: 'EbpfError', ifindex: 1 }] })).toThrow(EbpfError);
  });
});
