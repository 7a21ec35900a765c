import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject, type BpfObject } from '../../src/elf/loader.js';
import { OBJECTS, packets } from './outcomes.js';
import type { RunOutcome } from '../../src/vm/environment.js';

const root = new URL('../../', import.meta.url).pathname;
const r0Of = (o: RunOutcome): bigint => (BigInt(o.r0High >>> 0) << 32n) | BigInt(o.r0Low >>> 0);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Packets of many lengths, so the session's packet region is resized and its buffer grows. */
function inputs(): Uint8Array[] {
  const base = packets();
  const big = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
  big.set(base[0]!.subarray(0, 14));
  return [...base, big, ...base.slice(0, 4), big.subarray(0, 1600), base[3]!];
}

function mapsOf(obj: BpfObject): Record<string, string[]> {
  const maps: Record<string, string[]> = {};
  for (const [name, map] of obj.maps) {
    if (typeof (map as { entries?: unknown }).entries !== 'function') continue;
    maps[name] = (map as unknown as { entries(): [Uint8Array, Uint8Array][] }).entries().map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
  }
  return maps;
}

type Outcome = { r0: string; packet: string } | { error: string; pc: number | undefined };

function fail(e: unknown): Outcome {
  if (!(e instanceof Error) || typeof (e as { code?: unknown }).code !== 'string') throw e;
  const err = e as unknown as { code: string; pc?: number };
  return { error: err.code, pc: err.pc };
}

describe('PacketSession gives what the per-run API gives', () => {
  for (const path of [...OBJECTS, 'test/fixtures/elf/session.o']) {
    for (const jit of [false, true]) {
      it(`${path} (${jit ? 'JIT' : 'interpreter'}): r0, packet as left, errors, maps and trace lines`, () => {
        const bytes = readFileSync(`${root}${path}`);
        // verify: 'warn': the objects include programs the kernel refuses (socket filters calling tc-only helpers); both APIs must still agree on them
        const options = { now: () => 5n, random: () => 7, verify: 'warn' as const };
        const a = loadObject(bytes, options);
        const b = loadObject(bytes, options);
        for (const info of a.programs) {
          if (info.type !== 'xdp' && info.type !== 'socket' && info.type !== 'tc') continue;
          const ra = a.program(info.name);
          const rb = b.program(info.name);
          const session = rb.session(info.type === 'xdp' ? 'xdp' : 'skb', { jit });
          // Where packets are put in the object's linear memory (the memory grows later, for the big packet).
          const staging = b.memory.allocate(4096);
          const expected: Outcome[] = [];
          const got: Outcome[] = [];
          inputs().forEach((p, i) => {
            try {
              if (info.type === 'xdp') {
                const r = ra.runXdp(p, { jit });
                expected.push({ r0: r.r0.toString(), packet: hex(r.packet) });
              } else {
                let left: Uint8Array = new Uint8Array(0);
                const run = info.type === 'tc' ? ra.runTc : ra.runSocketFilter;
                const r0 = run.call(ra, p, { jit, inspect: (_s, q) => void (left = q) });
                expected.push({ r0: r0.toString(), packet: hex(left) });
              }
            } catch (e) {
              expected.push(fail(e));
            }
            // A window around the packet, so the session reads the right bytes from a larger buffer: a
            // JS buffer, a view of the object's linear memory, or its linear offset (runAt), in turn.
            const buf = new Uint8Array(p.length + 20).fill(0xab);
            buf.set(p, 9);
            const from = i % 3;
            if (from !== 0) b.memory.bytes.set(buf, staging);
            try {
              const r0 = from === 0 ? session.run(buf, 9, p.length) : from === 1 ? session.run(b.memory.bytes, staging + 9, p.length) : r0Of(session.runAt(staging + 9, p.length));
              got.push({ r0: r0.toString(), packet: hex(b.memory.bytes.subarray(session.outStart, session.outEnd)) });
            } catch (e) {
              got.push(fail(e));
            }
            // Another run of the object between two session runs (the session must set itself up again).
            if (i === 5 && info.type === 'xdp') {
              ra.runXdp(p, { jit });
              rb.runXdp(p, { jit });
            }
          });
          expect(got).toEqual(expected);
        }
        expect(mapsOf(b)).toEqual(mapsOf(a));
        expect(b.traceLog).toEqual(a.traceLog);
      });
    }
  }
});

describe('PacketSession.runAt', () => {
  const bytes = readFileSync(`${root}examples/xdp_firewall.o`);

  it('runs a packet at a linear offset, also after the memory grew under it (a longer packet), and checks its arguments', () => {
    const obj = loadObject(bytes);
    const session = obj.program('xdp_firewall').session('xdp', { jit: true });
    const [first] = packets();
    const at = obj.memory.allocate(first!.length);
    obj.memory.bytes.set(first!, at);
    const want = session.run(first!, 0, first!.length);
    expect(r0Of(session.runAt(at, first!.length))).toBe(want);
    // A packet longer than the session's buffer: it allocates (the memory grows, detaching old views), the offset stays good.
    const big = new Uint8Array(obj.memory.bytes.length);
    big.set(first!.subarray(0, 14));
    const bigAt = obj.memory.allocate(big.length);
    obj.memory.bytes.set(big, bigAt);
    const before = obj.memory.bytes;
    session.runAt(bigAt, big.length);
    expect(before.length).toBe(0); // detached: the memory grew
    expect(r0Of(session.runAt(at, first!.length))).toBe(want);
    expect(hex(obj.memory.bytes.subarray(session.outStart, session.outEnd))).toBe(hex(first!));
    const size = obj.memory.bytes.length;
    for (const [o, n] of [[-1, 1], [0.5, 1], [size, 1], [size - 4, 5], [0, -1], [Number.NaN, 0]] as const) {
      expect(() => session.runAt(o, n)).toThrow(/must be an integer from/);
    }
  });
});
