/**
 * sk_skb runs (runSkSkb) on both engines. The kernel loads sk_skb programs but refuses
 * BPF_PROG_TEST_RUN for them (ENOTSUPP), so the expectations follow bpf-helpers(7):
 * test/fixtures/elf/sk_msg_skb.c's stream parser (r0 the message length) and stream verdict
 * (bpf_sk_redirect_map / _hash: SK_PASS naming the socket, SK_DROP for a missing key or flags other
 * than BPF_F_INGRESS), the socket fields of the `__sk_buff`.
 */
import { describe, expect, it } from 'vitest';
import type { BpfObject } from '../../src/elf/index.js';
import { EbpfError } from '../../src/errors.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { PEER1, loadSkFixture, skRunnerOf, u32 } from './sk-fixture.js';
import { SkBuff } from '../../src/context/layout.js';

const SOCKETS: SocketDescription[] = [
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:5000' },
  { protocol: 'tcp', local: '10.0.0.2:81', remote: '10.0.0.7:5001' },
  { protocol: 'tcp', local: '[fd00::2]:82', remote: '[fd00::1]:5002' },
];
const runnerOf = (src: string): ProgramRunner => skRunnerOf(src, SOCKETS);
const load = (): BpfObject => loadSkFixture(SOCKETS);

describe.each([false, true])('sk_msg_skb.o sk_skb programs (jit %s)', (jit) => {
  it('the stream parser returns the message length', () => {
    const obj = load();
    expect(obj.program('skb_parse').runSkSkb(new Uint8Array(37), { socket: 0, jit }).r0).toBe(37n);
    expect(obj.program('skb_parse').runSkSkb(new Uint8Array(0), { socket: 2, jit }).r0).toBe(0n);
  });

  it('the stream verdict redirects by index and by the peer, and drops on a missing key or no data', () => {
    const p = load().program('skb_redirect');
    const data = new Uint8Array([6, 9, 9]);
    expect(p.runSkSkb(data, { socket: 0, jit })).toMatchObject({ verdict: 1, redirect: { helper: 'bpf_sk_redirect_map', map: 'by_index', key: u32(3), socket: 2, ingress: false }, packet: data });
    expect(p.runSkSkb(new Uint8Array([1]), { socket: 1, jit })).toMatchObject({ verdict: 1, redirect: { helper: 'bpf_sk_redirect_hash', map: 'by_peer', key: PEER1, socket: 1, ingress: true } });
    for (const [bytes, socket] of [[[1], 0], [[8], 1], [[], 1]] as const) {
      const r = p.runSkSkb(new Uint8Array(bytes), { socket, jit });
      expect(r.verdict, `${bytes}`).toBe(0);
      expect(r.redirect).toBeUndefined();
    }
  });
});

describe.each([false, true])('sk_skb context and redirects (jit %s)', (jit) => {
  const field = (off: number): string => `r0 = *(u32 *)(r1 + ${off})\nexit`;
  it('shows the socket: family, addresses, ports (remote in network order, upper half), sk, protocol', () => {
    const read = (off: number, socket: number): bigint => runnerOf(field(off)).runSkSkb(new Uint8Array(4), { socket, jit }).r0;
    expect(read(88, 0)).toBe(2n);
    expect(read(88, 2)).toBe(10n);
    expect(read(92, 1)).toBe(0x0700000an);
    expect(read(96, 1)).toBe(0x0200000an);
    expect(read(132, 1)).toBe(BigInt((((5001 & 0xff) << 24) | ((5001 >> 8) << 16)) >>> 0));
    expect(read(136, 1)).toBe(81n);
    expect(read(SkBuff.protocol, 0)).toBe(0x0008n);
    expect(read(SkBuff.protocol, 2)).toBe(0xdd86n);
    expect(read(SkBuff.len, 0)).toBe(4n);
    expect(read(116 + 12, 2)).toBe(0x02000000n);
    expect(runnerOf('r0 = *(u64 *)(r1 + 168)\nexit').runSkSkb(new Uint8Array(4), { socket: 0, jit }).r0).not.toBe(0n);
  });

  it('redirect: SK_DROP for flags other than BPF_F_INGRESS and a missing key; reported with SK_PASS only', () => {
    const redirect = (key: number, flags: string, tail = 'exit'): string => `r2 = 1 ll\nr3 = ${key}\nr4 = ${flags}\ncall 52\n${tail}`;
    const run = (src: string) => runnerOf(src).runSkSkb(new Uint8Array(4), { socket: 0, jit });
    expect(run(redirect(1, '1'))).toMatchObject({ verdict: 1, redirect: { socket: 2, ingress: true } });
    for (const flags of ['2', '-1']) expect(run(redirect(1, flags)).verdict).toBe(0);
    expect(run(redirect(3, '0')).verdict).toBe(0);
    expect(run(redirect(1, '0', 'r0 = 0\nexit')).redirect).toBeUndefined();
    expect(() => run('r2 = 1 ll\nr3 = 1\nr4 = 0\ncall 60\nexit')).toThrow(/only sk_msg programs/);
    // a redirect of one run is not reported by the next, which passes without one
    const r = runnerOf('r2 = *(u32 *)(r1 + 0)\nr0 = 1\nif r2 != 4 goto out\nr2 = 1 ll\nr3 = 1\nr4 = 0\ncall 52\nout:\nexit');
    expect(r.runSkSkb(new Uint8Array(4), { socket: 0, jit }).redirect?.socket).toBe(2);
    expect(r.runSkSkb(new Uint8Array(5), { socket: 0, jit })).toMatchObject({ verdict: 1, r0: 1n });
    expect(r.runSkSkb(new Uint8Array(5), { socket: 0, jit }).redirect).toBeUndefined();
  });

  it('refuses bad options and socket redirects outside sk_skb runs', () => {
    const p = runnerOf(field(0));
    expect(() => p.runSkSkb(new Uint8Array(4), {} as never)).toThrow(/options.socket is needed/);
    expect(() => p.runSkSkb(new Uint8Array(4), { socket: 3 })).toThrow(/options.socket/);
    expect(() => p.runSkSkb(new Uint8Array(4), { socket: 0, mark: 0.5 })).toThrow(EbpfError);
    expect(() => runnerOf('r2 = 1 ll\nr3 = 1\nr4 = 0\ncall 52\nexit').runTc(new Uint8Array(20))).toThrow(/runSkSkb/);
  });
});
