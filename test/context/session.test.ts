import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject, type BpfObject } from '../../src/elf/loader.js';
import { OBJECTS, packets } from './outcomes.js';

const root = new URL('../../', import.meta.url).pathname;
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
            // A window around the packet, so the session reads the right bytes from a larger buffer.
            const buf = new Uint8Array(p.length + 20).fill(0xab);
            buf.set(p, 9);
            try {
              const r0 = session.run(buf, 9, p.length);
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
