/**
 * sk_msg runs (runSkMsg) on both engines. The kernel loads sk_msg programs but refuses
 * BPF_PROG_TEST_RUN for them (ENOTSUPP), so the expectations follow bpf-helpers(7): the redirects'
 * SK_PASS / SK_DROP, apply / cork counts, pull / push / pop with their -EINVAL ranges and flags.
 * test/fixtures/elf/sk_msg_skb.c's msg_redirect, and small assembled programs for each helper's edges.
 */
import { describe, expect, it } from 'vitest';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import { EbpfError } from '../../src/errors.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { PEER1, loadSkFixture, skRunnerOf, u32 } from './sk-fixture.js';
import { SkMsgRun } from '../../src/context/sk-msg.js';
import { RunSpace } from '../../src/context/space.js';
import { VmMemory } from '../../src/vm/memory.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { fixture } from '../elf/fixtures.js';

const SOCKETS: SocketDescription[] = [
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:5000' },
  { protocol: 'tcp', local: '10.0.0.2:81', remote: '10.0.0.7:5001' },
  { protocol: 'tcp', local: '10.0.0.2:82', remote: '10.0.0.1:5002' },
];
const runnerOf = (src: string): ProgramRunner => skRunnerOf(src, SOCKETS);
const load = (): BpfObject => loadSkFixture(SOCKETS);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.each([false, true])('sk_msg_skb.o msg_redirect (jit %s)', (jit) => {
  const run = (message: Uint8Array | Uint8Array[], socket = 1) => load().program('msg_redirect').runSkMsg(message, { socket, jit });

  it('corks a short message', () => {
    expect(run(text('ab'))).toEqual({ verdict: 1, r0: 1n, corkBytes: 4, message: text('ab') });
  });

  it('redirects by index and by the peer, with the verdict applied to the message', () => {
    const r = run(text('x\x03yz-tail'));
    expect(r.verdict).toBe(1);
    expect(r.applyBytes).toBe(9);
    expect(r.redirect).toEqual({ helper: 'bpf_msg_redirect_map', map: 'by_index', key: u32(3), socket: 2, ingress: false });
    expect(run(text('x\x80yz')).redirect).toEqual({ helper: 'bpf_msg_redirect_hash', map: 'by_peer', key: PEER1, socket: 1, ingress: true });
  });

  it('drops on a redirect to a missing key', () => {
    const r = run(text('x\x04yz'));
    expect(r.verdict).toBe(0);
    expect(r.redirect).toBeUndefined();
    expect(run(text('x\x80yz'), 0).verdict).toBe(0); // socket 0's peer is not in by_peer
  });

  it('pushes and pops the message', () => {
    expect(run(text('P\x03cdEFGH')).message).toEqual(text('P\x03cd\0\0\0\0EFGH'));
    expect(run(text('p\x03cdEFGH')).message).toEqual(text('EFGH'));
  });

  it('pulls across chunks (the window starts as the first chunk)', () => {
    const r = run([text('P'), text('\x03'), text('cdE')]);
    expect(r.redirect?.socket).toBe(2);
    expect(r.message).toEqual(text('P\x03cd\0\0\0\0E'));
  });
});

describe.each([false, true])('sk_msg helpers (jit %s)', (jit) => {
  const ctxRead = `r6 = r1
r2 = *(u64 *)(r6 + 0)
r3 = *(u64 *)(r6 + 8)
r3 -= r2
r4 = *(u32 *)(r6 + 68)`;
  /** Call `helper` with r2..r4, then return (ret << 40) | (window << 20) | size. */
  const call = (helper: number, r2: number, r3: number, r4 = 0): string => `r6 = r1
r1 = r6
r2 = ${r2}
r3 = ${r3}
r4 = ${r4}
call ${helper}
r7 = r0
${ctxRead}
r7 <<= 40
r3 <<= 20
r0 = r7
r0 |= r3
r0 |= r4
exit`;
  const runAsm = (src: string, message: Uint8Array | Uint8Array[]) => runnerOf(src).runSkMsg(message, { socket: 0, jit });
  const decode = (r0: bigint): [number, number, number] => [Number(BigInt.asIntN(24, r0 >> 40n)), Number((r0 >> 20n) & 0xfffffn), Number(r0 & 0xfffffn)];
  const EIGHT = text('01234567');

  it('pull: the window becomes [start, end); -EINVAL for empty, reversed or past-the-end ranges and flags', () => {
    expect(decode(runAsm(call(63, 2, 6), EIGHT).r0)).toEqual([0, 4, 8]);
    expect(decode(runAsm(call(63, 0, 8), [text('01'), text('234567')]).r0)).toEqual([0, 8, 8]);
    expect(decode(runAsm(call(63, 0, 1), [text('0123'), text('4567')]).r0)).toEqual([0, 1, 8]); // a pull that shrinks the window
    expect(decode(runAsm(call(63, 4, 4), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(63, 5, 4), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(63, 0, 9), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(63, 0, 4, 1), EIGHT).r0)).toEqual([-22, 8, 8]);
  });

  it('push: at the ends and past them, zero length, flags, the size limit', () => {
    const end = runAsm(call(90, 8, 2), EIGHT);
    expect(decode(end.r0)).toEqual([0, 8, 10]); // the first chunk after a push: the original bytes
    expect(end.message).toEqual(text('01234567\0\0'));
    expect(runAsm(call(90, 0, 2), EIGHT).message).toEqual(text('\0\x0001234567'));
    expect(decode(runAsm(call(90, 0, 2), EIGHT).r0)).toEqual([0, 2, 10]); // the pushed bytes are the first chunk
    expect(decode(runAsm(call(90, 9, 2), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(90, 3, 0), EIGHT).r0)).toEqual([0, 8, 8]);
    expect(decode(runAsm(call(90, 3, 2, 1), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(90, 0, 65536), EIGHT).r0)).toEqual([-12, 8, 8]);
    expect(decode(runAsm(call(90, 0, 0xffffffff), EIGHT).r0)).toEqual([-12, 8, 8]);
  });

  it('pop: inside the message only; zero length, flags', () => {
    const r = runAsm(call(91, 2, 3), EIGHT);
    expect(decode(r.r0)).toEqual([0, 2, 5]); // the chunk is split where the bytes were taken out
    expect(r.message).toEqual(text('01567'));
    expect(runAsm(call(91, 0, 8), EIGHT).message).toEqual(new Uint8Array(0));
    expect(decode(runAsm(call(91, 0, 8), EIGHT).r0)).toEqual([0, 0, 0]);
    expect(decode(runAsm(call(91, 7, 2), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(91, 8, 0), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(91, 0, 0xffffffff), EIGHT).r0)).toEqual([-22, 8, 8]);
    expect(decode(runAsm(call(91, 1, 1, 2), EIGHT).r0)).toEqual([-22, 8, 8]);
  });

  it('redirect: SK_DROP for flags other than BPF_F_INGRESS and for a missing key; SK_PASS names the socket', () => {
    const redirect = (key: number, flags: string): string => `r2 = 1 ll\nr3 = ${key}\nr4 = ${flags}\ncall 60\nexit`;
    expect(runAsm(redirect(1, '0'), EIGHT)).toMatchObject({ verdict: 1, redirect: { socket: 2, ingress: false, map: 'm', key: u32(1) } });
    expect(runAsm(redirect(1, '1'), EIGHT)).toMatchObject({ verdict: 1, redirect: { socket: 2, ingress: true } });
    for (const flags of ['2', '3', '-1']) expect(runAsm(redirect(1, flags), EIGHT)).toEqual({ verdict: 0, r0: 0n, message: EIGHT });
    expect(runAsm(redirect(0, '0'), EIGHT).verdict).toBe(0);
    expect(runAsm(redirect(4, '0'), EIGHT).verdict).toBe(0);
    // a redirect is reported only with the SK_PASS verdict
    expect(runAsm(`r2 = 1 ll\nr3 = 1\nr4 = 0\ncall 60\nr0 = 0\nexit`, EIGHT).redirect).toBeUndefined();
    expect(() => runAsm(`r2 = 2 ll\nr3 = 1\nr4 = 0\ncall 60\nexit`, EIGHT)).toThrow(/argument 0x2 is not a map of this object/);
    expect(() => runAsm(`r2 = 1 ll\nr3 = 1\nr4 = 0\ncall 71\nexit`, EIGHT)).toThrow(/map m is a BPF_MAP_TYPE_SOCKMAP, not a BPF_MAP_TYPE_SOCKHASH/);
  });

  it('a stale packet pointer after a pop that emptied the message faults, not the host', () => {
    const src = `r6 = r1
r7 = *(u64 *)(r6 + 0)
r8 = *(u64 *)(r6 + 8)
r9 = r7
r9 += 1
if r9 > r8 goto out
r1 = r6
r2 = 0
r3 = 8
r4 = 0
call 91
r0 = *(u8 *)(r7 + 0)
exit
out:
r0 = 1
exit`;
    expect(() => runnerOf(src).runSkMsg(EIGHT, { socket: 0, jit })).toThrow(EbpfError);
  });
});

describe('sk_msg runs: the host', () => {
  it('refuses bad arguments with clear errors', () => {
    const p = load().program('msg_redirect');
    expect(() => p.runSkMsg(text('abcd'), {} as never)).toThrow(/options.socket is needed/);
    expect(() => p.runSkMsg(text('abcd'), { socket: 3 })).toThrow(/options.socket/);
    expect(() => p.runSkMsg(new Uint8Array(65537), { socket: 0 })).toThrow(/at most 65536/);
    expect(() => p.runSkMsg(Array.from({ length: 18 }, () => text('a')), { socket: 0 })).toThrow(/at most 17 chunks/);
    expect(() => p.runSkMsg('abc' as never, { socket: 0 })).toThrow(EbpfError);
    const none = loadObject(fixture('sk_msg_skb'));
    expect(() => none.program('msg_redirect').runSkMsg(text('abcd'), { socket: 0 })).toThrow(/no sockets/);
  });

  it('message helpers from another program type stop the run', () => {
    const obj = loadObject(fixture('sk_msg_skb'), { sockets: SOCKETS });
    expect(() => obj.program('msg_redirect').run(new Uint8Array(80))).toThrow(/runSkMsg/);
  });

  it('keeps chunk bookkeeping consistent over many random operations', () => {
    const space = RunSpace.of(new VmMemory());
    const base = space.reserve(DEFAULT_LIMITS, 80, 65536);
    const ctx = space.setContext(new Uint8Array(80));
    const run = new SkMsgRun(space, base, ctx, { bytes: text('0123456789'), chunks: [3, 3, 4] });
    const model = [...text('0123456789')];
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let i = 0; i < 500; i++) {
      const op = rnd(3);
      const a = rnd(model.length + 3);
      const b = rnd(12);
      if (op === 0) expect(run.pull(a, a + b)).toBe(b > 0 && a + b <= model.length ? 0 : -22);
      else if (op === 1 && model.length < 200) {
        expect(run.push(a, b)).toBe(b === 0 || a <= model.length ? 0 : -22);
        if (b > 0 && a <= model.length) model.splice(a, 0, ...new Array<number>(b).fill(0));
      } else if (op === 2) {
        const ok = a < model.length && b <= model.length - a;
        expect(run.pop(a, b)).toBe(ok ? 0 : -22);
        if (ok) model.splice(a, b);
      }
      expect([...run.bytes()]).toEqual(model);
      expect(run.size).toBe(model.length);
    }
  });
});
