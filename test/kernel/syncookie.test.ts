/**
 * The SYN cookie helpers of XDP and tc programs (bpf_tcp_raw_gen_syncookie_ipv4 / _ipv6, 204 / 205;
 * bpf_tcp_raw_check_syncookie_ipv4 / _ipv6, 206 / 207) on raw XDP programs, every engine. What does not
 * depend on the kernel's per-boot secret is the kernel's, recorded below from BPF_PROG_TEST_RUN on
 * Linux 6.18 (2026-12-07) and compared live where bpf() is allowed: the MSS a cookie encodes for each
 * MSS option, -EINVAL for a th_len other than the header's length, -EACCES for an ACK no cookie was
 * issued for. The cookie itself is tsbpf's own: a cookie's ACK checks (whatever its flags), within its
 * period and the next, for the same addresses, ports and sequence number only.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Program } from '../../src/vm/program.js';
import { VmMemory } from '../../src/vm/memory.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { syncookieHelpers } from '../../src/helpers/syncookie.js';
import { ExecutionError } from '../../src/errors.js';
import { ENGINES } from './differential.js';
import { kernelOracle, skipNote } from './runner.js';

const ETH = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const tcp = (flags: number, opts: number[], seq: number, ack: number): number[] =>
  [0x30, 0x39, 0, 80, ...be32(seq), ...be32(ack), ((20 + opts.length) / 4) << 4, flags, 0xff, 0xff, 0, 0, 0, 0, ...opts];
/** An IPv4 / IPv6 TCP frame, padded to 100 / 120 bytes (the programs check that many). */
function frame(version: 4 | 6, flags: number, opts: number[], seq = 0x11223344, ack = 0, src = 1): Uint8Array {
  const t = tcp(flags, opts, seq, ack);
  const ip = version === 4
    ? [0x45, 0, 0, 20 + t.length, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, src, 10, 0, 0, 2]
    : [0x60, 0, 0, 0, 0, t.length, 6, 64, 0xfd, ...new Array<number>(14).fill(0), src, 0xfd, ...new Array<number>(14).fill(0), 2];
  const p = new Uint8Array(version === 4 ? 100 : 120);
  p.set([...ETH, ...(version === 4 ? [8, 0] : [0x86, 0xdd]), ...ip, ...t]);
  return p;
}
const mss = (m: number): number[] => [2, 4, m >> 8, m & 255];

/** An XDP program calling `id` on the frame's IP and TCP headers; r0 is the result, or its upper half. */
function program(id: number, version: 4 | 6, thLen: number, upper: boolean): Uint8Array {
  const th = version === 4 ? 34 : 54;
  return assemble(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += ${th + 60}
    if r4 > r3 goto short
    r1 = r2
    r1 += 14
    r2 += ${th}
    r3 = ${thLen}
    call ${id}
    ${upper ? 'r0 >>= 32' : ''}
    exit
  short:
    r0 = 99
    exit`);
}

const space = new RunSpace(new VmMemory());
let clock = 5_000_000_000n;
let seed = 7;
const helpers = syncookieHelpers({ memory: space.memory, now: () => clock, random: () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) });
const runner = (insns: Uint8Array): ProgramRunner => new ProgramRunner(new Program(insns), { space, helpers, jitEngine: undefined });

/** [name, helper, IP version, th_len, upper half, frame, the kernel's (signed 32-bit) return value]. */
type Case = readonly [string, number, 4 | 6, number, boolean, Uint8Array, number];
const CASES: Case[] = [];
for (const [m, want] of [[0, 536], [100, 536], [535, 536], [536, 536], [1299, 536], [1300, 1300], [1439, 1300], [1440, 1440], [1459, 1440], [1460, 1460], [1461, 1460], [9000, 1460], [65535, 1460]] as const) {
  CASES.push([`IPv4 MSS option ${m || 'absent'}`, 204, 4, 24, true, frame(4, 2, m === 0 ? [1, 1, 1, 1] : mss(m)), want]);
}
for (const [m, want] of [[0, 1220], [1000, 1220], [1219, 1220], [1220, 1220], [1419, 1220], [1420, 1420], [1440, 1440], [1441, 1440], [8939, 1440], [8940, 8940], [65535, 8940]] as const) {
  CASES.push([`IPv6 MSS option ${m || 'absent'}`, 205, 6, 24, true, frame(6, 2, m === 0 ? [1, 1, 1, 1] : mss(m)), want]);
}
CASES.push(['IPv4 no options, th_len 20', 204, 4, 20, true, frame(4, 2, []), 536]);
CASES.push(['a SYN+ACK gets a cookie too', 204, 4, 24, true, frame(4, 0x12, mss(1460)), 1460]);
for (const t of [0, 19, 21, 60]) CASES.push([`IPv4 th_len ${t} for a 24-byte header`, 204, 4, t, false, frame(4, 2, mss(1460)), -22]);
CASES.push(['IPv6 th_len 20 for a 24-byte header', 205, 6, 20, false, frame(6, 2, mss(1460)), -22]);
CASES.push(['IPv4 ACK no cookie was issued for', 206, 4, 0, false, frame(4, 0x10, [], 0x11223345, 0x55667788), -13]);
CASES.push(['IPv6 ACK no cookie was issued for', 207, 6, 0, false, frame(6, 0x10, [], 0x11223345, 0x55667788), -13]);

describe('SYN cookie helpers', () => {
  it.each(ENGINES)('give the kernel\'s MSS and errors ($name)', ({ engine }) => {
    for (const [name, id, version, thLen, upper, data, want] of CASES) {
      expect({ name, r0: BigInt.asIntN(32, runner(program(id, version, thLen, upper)).runXdp(data, { engine }).r0) }).toEqual({ name, r0: BigInt(want) });
    }
  });

  it.each(ENGINES)('check the ACK of a cookie they issued, for its tuple and sequence number only, within two periods ($name)', ({ engine }) => {
    for (const version of [4, 6] as const) {
      const [gen, check] = version === 4 ? [204, 206] : [205, 207];
      const seq = 0xfffffff0;
      clock = 64_000_000_000n * 1000n + 5n;
      const cookie = Number(runner(program(gen, version, 24, false)).runXdp(frame(version, 2, mss(1440), seq), { engine }).r0) >>> 0;
      const checks = (ackSeq: number, ack: number, src = 1): bigint => BigInt.asIntN(32, runner(program(check, version, 0, false)).runXdp(frame(version, 0x10, [], ackSeq, ack, src), { engine }).r0);
      const ok = [(seq + 1) >>> 0, (cookie + 1) >>> 0] as const;
      expect(checks(...ok)).toBe(0n);
      // Any flags.
      expect(runner(program(check, version, 0, false)).runXdp(frame(version, 0x11, [], ...ok), { engine }).r0).toBe(0n);
      // Another source, another sequence number, another cookie: refused.
      expect(checks(ok[0], ok[1], 3)).toBe(-13n);
      expect(checks((seq + 0x101) >>> 0, ok[1])).toBe(-13n);
      expect(checks(ok[0], (cookie + 0x102) >>> 0)).toBe(-13n);
      // The next period still accepts it, the one after does not.
      clock += 64_000_000_000n;
      expect(checks(...ok)).toBe(0n);
      clock += 64_000_000_000n;
      expect(checks(...ok)).toBe(-13n);
    }
  });

  it('are refused outside XDP and tc runs', () => {
    const p = runner(assemble('r1 = r10\nr1 += -64\nr2 = r10\nr2 += -32\nr3 = 20\ncall 204\nexit'));
    expect(() => p.run(new Uint8Array(0))).toThrow(ExecutionError);
    expect(() => p.run(new Uint8Array(0))).toThrow(/only XDP and tc programs may call it/);
  });

  it('match the live kernel', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const requests = CASES.flatMap(([, id, version, thLen, upper, data], i) => [
      { op: 'load' as const, type: 'xdp' as const, insns: program(id, version, thLen, upper) },
      { op: 'run' as const, prog: { ref: 2 * i }, data },
    ]);
    const out = k.exec(requests);
    const live = CASES.map(([name], i) => {
      const r = out[2 * i + 1]!;
      return { name, r0: r.kind === 'run' ? r.retval | 0 : JSON.stringify(r) };
    });
    expect(live).toEqual(CASES.map(([name, , , , , , want]) => ({ name, r0: want })));
  });
});
