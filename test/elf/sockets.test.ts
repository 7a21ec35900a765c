/**
 * Socket lookups without a kernel: sk_lookup.c over a described socket table on both engines, with the
 * answers the kernel gave for the same kinds of sockets (test/kernel/sockets.test.ts compares them with
 * real ones), the request and timewait sockets only the documentation describes, other namespaces, the
 * table's validation and the helpers' answers to what the verifier would have refused.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError } from '../../src/errors.js';
import { VmMemory } from '../../src/vm/memory.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { SocketTable, MAX_SOCKETS, type SocketDescription } from '../../src/helpers/socket-table.js';
import { SocketHelper, SocketMemory, socketHelpers } from '../../src/helpers/sockets.js';
import { describeProbe, probePacket, probeProgram, type SocketProbe } from './socket-cases.js';
import { load } from './fixtures.js';

const SOCKETS: SocketDescription[] = [
  { protocol: 'tcp', local: '127.0.0.1:80' },
  { protocol: 'tcp', local: '[::]:443' },
  { protocol: 'tcp', local: '0.0.0.0:443' },
  { protocol: 'tcp', local: '127.0.0.1:80', remote: '10.0.0.9:5000', mark: 7, priority: 3, rxQueue: 2 },
  { protocol: 'tcp', local: '127.0.0.1:80', remote: '10.0.0.9:5001', state: 'syn_recv' },
  { protocol: 'tcp', local: '127.0.0.1:80', remote: '10.0.0.9:5002', state: 'time_wait' },
  { protocol: 'udp', local: '[::]:53', v6only: true },
  { protocol: 'udp', local: '127.0.0.1:53' },
  { protocol: 'udp', local: '[fd00::1]:53', remote: '[fd00::9]:9000', boundDevIf: 4 },
  { protocol: 'tcp', local: '127.0.0.1:8080', netns: 3 },
];
const obj = load('sk_lookup', { sockets: SOCKETS });

function ask(p: Omit<SocketProbe, 'name'>): string {
  const answers = [false, true].map((jit) => {
    let pkt: Uint8Array = new Uint8Array(0);
    obj.program(probeProgram({ name: '', ...p })).runTc(probePacket({ name: '', ...p }), { jit, inspect: (_s, d) => (pkt = d) });
    return describeProbe(pkt);
  });
  expect(answers[1]).toBe(answers[0]);
  return answers[0]!;
}
const far = { src: '10.0.0.1', sport: 1234 };
const Z16 = '0'.repeat(32);
const M16 = (v4: string): string => `00000000000000000000ffff${v4}`;

describe('socket lookups (bpf_sk_lookup_tcp / _udp, bpf_skc_lookup_tcp, bpf_sk_release, bpf_sk_assign)', () => {
  it('finds a listener by address and port, with the struct bpf_sock fields the kernel shows', () => {
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 80 })).toBe(
      `dev 0 family 2 type 1 protocol 6 mark 0 priority 0 src 7f000001 ${Z16}:80 dst 00000000 ${Z16}:0000 pad 0000 state 10 rxq -1 assign 0`,
    );
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.2', dport: 80 })).toBe('none');
    expect(ask({ protocol: 'udp', ...far, dst: '127.0.0.1', dport: 80 })).toBe('none');
  });

  it('prefers an IPv4 listener on the wildcard to a dual-stack one, which takes IPv6 and any IPv4 address otherwise', () => {
    expect(ask({ protocol: 'tcp', ...far, dst: '10.1.2.3', dport: 443 })).toMatch(/^dev 0 family 2 .* src 00000000 0{32}:443 /);
    expect(ask({ protocol: 'tcp', src: 'fd00::9', sport: 1, dst: 'fd00::1', dport: 443 })).toMatch(/^dev 0 family 10 type 1 protocol 6 .* src 00000000 0{32}:443 .* state 10 /);
    // A v6only socket takes no IPv4 packets: the bound IPv4 one answers.
    expect(ask({ protocol: 'udp', ...far, dst: '127.0.0.1', dport: 53 })).toMatch(/^dev 0 family 2 type 2 protocol 17 .* state 7 /);
    expect(ask({ protocol: 'udp', ...far, dst: '10.0.0.3', dport: 53 })).toBe('none');
  });

  it('finds an established socket by the whole tuple before the listener, its addresses also IPv4-mapped', () => {
    expect(ask({ protocol: 'tcp', src: '10.0.0.9', sport: 5000, dst: '127.0.0.1', dport: 80 })).toBe(
      `dev 0 family 2 type 1 protocol 6 mark 7 priority 3 src 7f000001 ${M16('7f000001')}:80 dst 0a000009 ${M16('0a000009')}:1388 pad 0000 state 1 rxq 2 assign 0`,
    );
    expect(ask({ protocol: 'udp', src: 'fd00::9', sport: 9000, dst: 'fd00::1', dport: 53 })).toBe(
      `dev 4 family 10 type 2 protocol 17 mark 0 priority 0 src 00000000 fd000000000000000000000000000001:53 dst 00000000 fd000000000000000000000000000009:2328 pad 0000 state 1 rxq -1 assign 0`,
    );
    // From another peer: the connected socket is not for it, the unconnected one on [::]:53 is.
    expect(ask({ protocol: 'udp', src: 'fd00::8', sport: 9000, dst: 'fd00::1', dport: 53 })).toMatch(/^dev 0 family 10 type 2 protocol 17 .* src 00000000 0{32}:53 .* state 7 /);
  });

  it('bpf_sk_lookup_tcp gives a request socket\'s listener and no timewait socket; bpf_skc_lookup_tcp gives both', () => {
    expect(ask({ protocol: 'tcp', src: '10.0.0.9', sport: 5001, dst: '127.0.0.1', dport: 80 })).toMatch(/ state 10 /);
    expect(ask({ protocol: 'skc', src: '10.0.0.9', sport: 5001, dst: '127.0.0.1', dport: 80 })).toMatch(/ dst 0a000009 \w+:1389 pad 0000 state 12 /);
    expect(ask({ protocol: 'tcp', src: '10.0.0.9', sport: 5002, dst: '127.0.0.1', dport: 80 })).toBe('none');
    expect(ask({ protocol: 'skc', src: '10.0.0.9', sport: 5002, dst: '127.0.0.1', dport: 80 })).toMatch(/ state 6 /);
  });

  it('takes netns as a signed 32-bit id: negative is the program\'s namespace; bad sizes and flags find nothing', () => {
    const ns = (netns: bigint): string => ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 8080, netns });
    expect([ns(-1n), ns(3n), ns((1n << 32n) | 3n), ns(4n)].map((a) => a.startsWith('dev 0 family 2'))).toEqual([false, true, true, false]);
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 80, netns: 0xffffffffn })).toMatch(/ state 10 /);
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 80, size: 11 })).toBe('none');
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 80, size: 36 })).toBe('none');
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 80, flags: 1n })).toBe('none');
    // Assigning a socket of another namespace: -ENETUNREACH.
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 8080, netns: 3n, assign: true })).toMatch(/ assign -101$/);
    expect(ask({ protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 80, assign: true })).toMatch(/ assign 0$/);
  });

  it('without a table every lookup finds nothing', () => {
    let pkt: Uint8Array = new Uint8Array(0);
    load('sk_lookup').program('sk_probe').runTc(probePacket({ name: '', protocol: 'tcp', ...far, dst: '127.0.0.1', dport: 80 }), { inspect: (_s, d) => (pkt = d) });
    expect(describeProbe(pkt)).toBe('none');
  });

  it('keeps sockets read-only, one struct each, and refuses a release or assign of anything else', () => {
    const memory = new VmMemory();
    const table = new SocketTable(SOCKETS);
    const helpers = socketHelpers(memory, new SocketMemory(memory, table));
    const region = memory.regions.find((r) => r.name === 'sockets')!;
    expect(region).toMatchObject({ writable: false, size: 80 * SOCKETS.length, stride: 80, elementSize: 80 });
    const ctx = (kind: string): HelperContext => ({ memory, pc: 9, host: { kind }, tailCall: () => false });
    const sk = BigInt(region.vaddr + 80);
    expect(helpers.get(SocketHelper.SK_RELEASE)!.fn(sk, 0n, 0n, 0n, 0n, ctx('tc'))).toBe(0);
    for (const bad of [0n, sk + 4n, BigInt(region.vaddr - 80), 1n << 40n]) {
      expect(() => helpers.get(SocketHelper.SK_RELEASE)!.fn(bad, 0n, 0n, 0n, 0n, ctx('tc'))).toThrow(/bpf_sk_release: .* is not a socket/);
    }
    expect(helpers.get(SocketHelper.SK_ASSIGN)!.fn(0n, sk, 1n, 0n, 0n, ctx('tc'))).toBe(BigInt.asUintN(64, -22n));
    expect(() => helpers.get(SocketHelper.SK_ASSIGN)!.fn(0n, sk, 0n, 0n, 0n, ctx('xdp'))).toThrow(EbpfError);
    expect(() => memory.store(BigInt(region.vaddr + 4), 4, 1n)).toThrow(EbpfError);
    // A tuple pointer outside memory is a memory error, as any bad pointer.
    expect(() => helpers.get(SocketHelper.SK_LOOKUP_TCP)!.fn(0n, 8n, 12n, 0n, 0n, ctx('tc'))).toThrow(EbpfError);
  });

  it('checks the table: protocols, addresses, ports, states against peers, families, sizes', () => {
    const bad: [unknown, RegExp][] = [
      [[{ protocol: 'sctp', local: '1.2.3.4:1' }], /sockets\[0\]\.protocol must be/],
      [[{ protocol: 'tcp', local: '1.2.3.4' }], /sockets\[0\]\.local must be ADDRESS:PORT/],
      [[{ protocol: 'tcp', local: '1.2.3.4:65536' }], /ADDRESS:PORT/],
      [[{ protocol: 'tcp', local: '[::1:80' }], /ADDRESS:PORT/],
      [[{ protocol: 'tcp', local: '1.2.3.4:1', remote: '[::1]:2' }], /both IPv4 or both IPv6/],
      [[{ protocol: 'tcp', local: '1.2.3.4:1', remote: '0.0.0.0:2' }], /real peer/],
      [[{ protocol: 'tcp', local: '1.2.3.4:1', state: 'established' }], /needs a remote/],
      [[{ protocol: 'tcp', local: '1.2.3.4:1', remote: '1.2.3.5:2', state: 'listen' }], /has no remote/],
      [[{ protocol: 'udp', local: '1.2.3.4:1', state: 'listen' }], /UDP socket is 'established'/],
      [[{ protocol: 'tcp', local: '1.2.3.4:1', v6only: true }], /IPv6 sockets only/],
      [[{ protocol: 'tcp', local: '1.2.3.4:1', netns: -1 }], /netns/],
      [[{ protocol: 'tcp', local: '1.2.3.4:1', rxQueue: 1.5 }], /rxQueue/],
      [[null], /sockets\[0\]/],
      ['x', /sockets/],
      [{ length: MAX_SOCKETS + 1 }, /sockets/],
    ];
    for (const [d, message] of bad) expect(() => new SocketTable(d as SocketDescription[]), String(message)).toThrow(message);
    for (const [d] of bad.slice(0, 3)) expect(() => load('sk_lookup', { sockets: d as SocketDescription[] })).toThrow(ArgumentError);
    expect(new SocketTable([{ protocol: 'tcp', local: '[::ffff:10.0.0.1]:80' }]).sockets[0]!.bytes.subarray(24, 28)).toEqual(new Uint8Array([10, 0, 0, 1]));
  });
});
