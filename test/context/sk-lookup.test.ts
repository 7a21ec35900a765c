/**
 * sk_lookup runs (runSkLookup) on both engines, over a described socket table: test/fixtures/elf/
 * sk_lookup_run.c selects the socket a SOCKMAP holds for the local port with bpf_sk_assign and reads it
 * back through ctx->sk; bpf_sk_assign's rules (bpf-helpers(7)): -EEXIST without REPLACE, -EINVAL for an
 * unknown flag, -EAFNOSUPPORT / -EPROTOTYPE / -ESOCKTNOSUPPORT for a socket that cannot serve the lookup.
 * The socket-free cases are compared with the kernel in test/kernel/sk-lookup.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import { ArgumentError } from '../../src/errors.js';
import type { SkLookupDescription } from '../../src/context/sk-lookup.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { kernelHelpers } from '../../src/helpers/kernel.js';
import { SocketTable, type SocketDescription } from '../../src/helpers/socket-table.js';
import { SocketMemory, socketHelpers } from '../../src/helpers/sockets.js';
import { VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';
import { fixture } from '../elf/fixtures.js';

const SOCKETS: SocketDescription[] = [
  { protocol: 'tcp', local: '0.0.0.0:8081' }, // 0: listener, v4
  { protocol: 'tcp', local: '[::]:8082' }, // 1: dual-stack listener
  { protocol: 'tcp', local: '[::]:8083', v6only: true }, // 2: v6-only listener
  { protocol: 'udp', local: '0.0.0.0:8084' }, // 3: unconnected UDP
  { protocol: 'tcp', local: '10.0.0.2:8085', remote: '10.0.0.1:5000' }, // 4: established
  { protocol: 'udp', local: '10.0.0.2:8086', remote: '10.0.0.1:53' }, // 5: connected UDP
];
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const neg = (e: bigint): bigint => BigInt.asUintN(64, -e);
const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);
const seen = (obj: BpfObject, k: number): bigint => new DataView(obj.map('seen').lookup(u32(k))!.buffer).getBigInt64(0, true);

function load(flags = 0n): BpfObject {
  const obj = loadObject(fixture('sk_lookup_run'), { sockets: SOCKETS });
  SOCKETS.forEach((_, i) => obj.map('redir').update(u32(i + 1), u64(BigInt(i))));
  obj.map('cfg').update(u32(0), u64(flags));
  return obj;
}

const tcp4 = (port: number): { protocol: 'tcp'; remote: string; local: string } => ({ protocol: 'tcp', remote: '192.0.2.1:40000', local: `198.51.100.1:${port}` });

describe('sk_lookup runs (runSkLookup)', () => {
  for (const jit of [false, true]) {
    const engine = jit ? 'JIT' : 'interpreter';
    it(`selects the SOCKMAP's socket for the port and reads it back through ctx->sk (${engine})`, () => {
      const obj = load();
      const p = obj.program('select_by_port');
      // key 1 holds socket 0, a v4 listener on 8081: assigned; ctx->sk reads its port
      expect(p.runSkLookup(tcp4(8081 - 8080 + 8), { jit })).toEqual({ r0: 1n, verdict: 1, socket: 0 });
      expect(seen(obj, 0)).toBe(0n);
      expect(seen(obj, 1)).toBe(8081n);
      // key 2: a dual-stack listener serves an IPv4 lookup; key 3: a v6only one does not
      expect(p.runSkLookup(tcp4(2), { jit })).toMatchObject({ verdict: 1, socket: 1 });
      expect(p.runSkLookup(tcp4(3), { jit })).toEqual({ r0: 0n, verdict: 0 });
      expect(seen(obj, 0)).toBe(-97n);
      // key 4: a UDP socket for a TCP lookup; 5, 6: not a listener / connected UDP
      expect(p.runSkLookup(tcp4(4), { jit }).verdict).toBe(0);
      expect(seen(obj, 0)).toBe(-91n);
      expect(p.runSkLookup(tcp4(5), { jit }).verdict).toBe(0);
      expect(seen(obj, 0)).toBe(-94n);
      expect(p.runSkLookup({ protocol: 'udp', remote: '192.0.2.1:1', local: '198.51.100.1:6' }, { jit }).verdict).toBe(0);
      expect(seen(obj, 0)).toBe(-94n);
      expect(p.runSkLookup({ protocol: 'udp', remote: '192.0.2.1:1', local: '198.51.100.1:4' }, { jit })).toMatchObject({ verdict: 1, socket: 3 });
      // IPv6 lookups: a v4 socket cannot serve one, a v6 one can
      expect(p.runSkLookup({ protocol: 'tcp', remote: '[2001:db8::1]:1', local: '[2001:db8::2]:1' }, { jit }).verdict).toBe(0);
      expect(seen(obj, 0)).toBe(-97n);
      expect(p.runSkLookup({ protocol: 'tcp', remote: '[2001:db8::1]:1', local: '[2001:db8::2]:3' }, { jit })).toMatchObject({ verdict: 1, socket: 2 });
      // empty key: no socket, SK_PASS; port 7: SK_DROP
      expect(p.runSkLookup(tcp4(0), { jit })).toEqual({ r0: 1n, verdict: 1 });
      expect(p.runSkLookup(tcp4(7), { jit })).toEqual({ r0: 0n, verdict: 0 });
    });

    it(`bpf_sk_assign: -EINVAL for an unknown flag, REPLACE and NO_REUSEPORT accepted (${engine})`, () => {
      for (const [flags, err] of [[4n, -22n], [1n, 0n], [2n, 0n], [3n, 0n]] as const) {
        const obj = load(flags);
        obj.program('select_by_port').runSkLookup(tcp4(1), { jit });
        expect(seen(obj, 0), `flags ${flags}`).toBe(err);
      }
    });
  }

  it('a second assignment needs REPLACE (-EEXIST); NULL with REPLACE clears the selection; each run starts with none', () => {
    const memory = new VmMemory();
    const sockets = new SocketMemory(memory, new SocketTable(SOCKETS));
    const helpers = kernelHelpers({ memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: () => {}, now: () => 0n, random: () => 0 });
    for (const [id, e] of socketHelpers(memory, sockets)) helpers.set(id, e);
    const at = (i: number): number => sockets.address(sockets.table.sockets[i]!);
    const call = (sk: number, flags: number): string => `r1 = r6\nr2 = ${sk} ll\nr3 = ${flags}\ncall 124\n`;
    const runner = (src: string): ProgramRunner => new ProgramRunner(new Program(assemble(`r6 = r1\n${src}exit`)), { space: RunSpace.of(memory), helpers, jitEngine: undefined });
    for (const jit of [false, true]) {
      // assign 0, assign 1 without REPLACE: -EEXIST and 0 stays selected
      expect(runner(`${call(at(0), 0)}${call(at(1), 0)}`).runSkLookup(tcp4(1), { jit })).toEqual({ r0: neg(17n), verdict: 0xffffffef, socket: 0 });
      // with REPLACE: 1 selected; ctx->sk points at it
      expect(runner(`${call(at(0), 0)}${call(at(1), 1)}r0 = *(u64 *)(r6 + 0)\n`).runSkLookup(tcp4(1), { jit })).toEqual({ r0: BigInt(at(1)), verdict: at(1), socket: 1 });
      // NULL without REPLACE while one is selected: -EEXIST; with REPLACE: cleared, ctx->sk NULL
      expect(runner(`${call(at(0), 0)}${call(0, 0)}`).runSkLookup(tcp4(1), { jit })).toMatchObject({ r0: neg(17n), socket: 0 });
      expect(runner(`${call(at(0), 0)}${call(0, 1)}r0 = *(u64 *)(r6 + 0)\n`).runSkLookup(tcp4(1), { jit })).toEqual({ r0: 0n, verdict: 0 });
      // NULL with flags 0 when none is selected: 0, as the kernel gives (test/kernel/sk-lookup.test.ts); flag 8: -EINVAL
      expect(runner(call(0, 0)).runSkLookup(tcp4(1), { jit }).r0).toBe(0n);
      expect(runner(call(0, 8)).runSkLookup(tcp4(1), { jit }).r0).toBe(neg(22n));
      // an address that is no socket stops the run with a clear error
      expect(() => runner(call(at(0) + 8, 0)).runSkLookup(tcp4(1), { jit })).toThrow(/not a socket/);
    }
  });

  it('tuple_filter sees the described tuple: its drop rules hold on both engines', () => {
    const p = load().program('tuple_filter');
    const cases: [SkLookupDescription, number][] = [
      [{ protocol: 'tcp', remote: '10.9.9.9:4000', local: '192.0.2.1:1023' }, 0],
      [{ protocol: 'tcp', remote: '10.9.9.9:4000', local: '192.0.2.1:1024' }, 1],
      [{ protocol: 'tcp', remote: '11.9.9.9:4000', local: '192.0.2.1:22' }, 1],
      [{ protocol: 'udp', remote: '192.0.2.9:53', local: '192.0.2.1:5353' }, 0],
      [{ protocol: 'tcp', remote: '192.0.2.9:53', local: '192.0.2.1:5353' }, 1],
      [{ protocol: 'udp', remote: '192.0.2.9:13568', local: '192.0.2.1:5353' }, 1],
      [{ protocol: 'tcp', remote: '[2001:db8::9]:1', local: '[::1]:1' }, 0],
      [{ protocol: 'tcp', remote: '[2001:db9::9]:1', local: '[::1]:1' }, 1],
    ];
    for (const jit of [false, true]) for (const [l, verdict] of cases) expect(p.runSkLookup(l, { jit }).verdict, JSON.stringify(l)).toBe(verdict);
  });

  it('refuses a lookup it cannot describe', () => {
    const p = load().program('tuple_filter');
    expect(() => p.runSkLookup({ protocol: 'sctp' as 'tcp', remote: '1.2.3.4:1', local: '1.2.3.4:2' })).toThrow(ArgumentError);
    expect(() => p.runSkLookup({ protocol: 'tcp', remote: '1.2.3.4:1', local: '[::1]:2' })).toThrow(/one family/);
    expect(() => p.runSkLookup({ protocol: 'tcp', remote: '1.2.3.4', local: '1.2.3.4:2' })).toThrow(/ADDRESS:PORT/);
    expect(() => p.runSkLookup({ protocol: 'tcp', remote: '1.2.3.4:1', local: '1.2.3.4:2', ingressIfindex: -1 })).toThrow(ArgumentError);
    expect(() => p.runSkLookup(null as never)).toThrow(ArgumentError);
  });
});
