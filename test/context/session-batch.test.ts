import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject, type BpfObject } from '../../src/elf/loader.js';
import { packets } from './outcomes.js';
import type { PacketSession } from '../../src/context/session.js';
import type { RunLimits } from '../../src/vm/environment.js';

const root = new URL('../../', import.meta.url).pathname;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** XDP programs that call map helpers and write trace lines, fail, redirect, and move the packet's start and end. */
const OBJECTS = [
  'examples/xdp_firewall.o',
  'test/fixtures/elf/helpers.o',
  'test/fixtures/elf/session.o',
  'test/fixtures/elf/xdp_bytes.o',
  'test/fixtures/elf/rewrite.o',
  'test/fixtures/elf/context.o',
  'test/fixtures/elf/fib.o',
];

/** The capture's packets many times over (more than one batch area), with a runt, an empty packet and one longer than the buffer. */
function inputs(): Uint8Array[] {
  const base = packets();
  const big = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
  big.set(base[0]!.subarray(0, 14));
  const out: Uint8Array[] = [];
  for (let k = 0; k < 40; k++) out.push(...base);
  out.splice(300, 0, big);
  // First byte 0xff: rewrite.o's xdp_redirect asks for a flag bpf_redirect refuses.
  const marked = base[0]!.slice();
  marked[0] = 0xff;
  out.splice(500, 0, marked, marked);
  return out;
}

function mapsOf(obj: BpfObject): Record<string, string[]> {
  const maps: Record<string, string[]> = {};
  for (const [name, map] of obj.maps) {
    if (typeof (map as { entries?: unknown }).entries !== 'function') continue;
    maps[name] = (map as unknown as { entries(): [Uint8Array, Uint8Array][] }).entries().map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
  }
  return maps;
}

interface Seen {
  r0: string;
  instructions: number;
  error?: string;
  redirect?: string;
  trace: string[];
}

/** The packets copied into `obj`'s linear memory: their offsets and lengths. */
function stage(obj: BpfObject, input: Uint8Array[]): { starts: Int32Array; lengths: Int32Array } {
  const starts = new Int32Array(input.length);
  const lengths = new Int32Array(input.length);
  input.forEach((p, i) => {
    starts[i] = obj.memory.allocate(Math.max(p.length, 1));
    lengths[i] = p.length;
  });
  input.forEach((p, i) => obj.memory.bytes.set(p, starts[i]!));
  return { starts, lengths };
}

/** Each packet through `runAt` (the path without batches), as PacketSession gave before batches. */
function onePerCall(obj: BpfObject, session: PacketSession, input: Uint8Array[]): { seen: Seen[]; left: string[] } {
  const { starts, lengths } = stage(obj, input);
  const seen: Seen[] = [];
  const left: string[] = [];
  for (let i = 0; i < input.length; i++) {
    let s: Seen;
    try {
      const o = session.runAt(starts[i]!, lengths[i]!);
      const r = session.redirect;
      s = { r0: `${o.r0High}:${o.r0Low}`, instructions: o.instructions, trace: [], ...(r === undefined ? {} : { redirect: JSON.stringify(r) }) };
      left.push(hex(obj.memory.bytes.subarray(session.outStart, session.outEnd)));
    } catch (e) {
      const err = e as { code: string; pc?: number };
      s = { r0: '0:0', instructions: Number.NaN, error: `${err.code}@${err.pc}`, trace: [] };
      left.push('');
    }
    s.trace = obj.drainTrace();
    seen.push(s);
  }
  return { seen, left };
}

/** The packets through runBatch: what each gives, the packet as left where a call stopped, and the calls made. */
function batched(obj: BpfObject, session: PacketSession, input: Uint8Array[]): { seen: Seen[]; left: Map<number, string>; calls: number } {
  const { starts, lengths } = stage(obj, input);
  const n = input.length;
  const out = { r0Low: new Int32Array(n), r0High: new Int32Array(n), instructions: new Float64Array(n) };
  const seen: Seen[] = [];
  const left = new Map<number, string>();
  let calls = 0;
  let i = 0;
  while (i < n) {
    const next = session.runBatch(starts, lengths, i, n, out, () => obj.traceLog.length > 0);
    calls++;
    expect(next).toBeGreaterThan(i);
    for (let j = i; j < next; j++) seen.push({ r0: `${out.r0High[j]}:${out.r0Low[j]}`, instructions: out.instructions[j]!, trace: [] });
    const last = seen[next - 1]!;
    const e = session.batchError;
    if (e !== undefined) last.error = `${e.code}@${e.pc}`;
    else {
      const r = session.redirect;
      if (r !== undefined) last.redirect = JSON.stringify(r);
      left.set(next - 1, hex(obj.memory.bytes.subarray(session.outStart, session.outEnd)));
    }
    last.trace = obj.drainTrace();
    i = next;
  }
  return { seen, left, calls };
}

describe('PacketSession.runBatch gives what runAt gives, packet by packet', () => {
  for (const path of OBJECTS) {
    for (const budget of [undefined, 40]) {
      it(`${path}${budget === undefined ? '' : `, budget ${budget}`}: r0, instructions, failures, redirects, trace lines, packets as left, maps (interpreter, JIT, JIT in batches)`, () => {
        const bytes = readFileSync(`${root}${path}`);
        const options = { now: () => 5n, random: () => 7, verify: 'warn' as const };
        const limits: Partial<RunLimits> = budget === undefined ? {} : { instructionBudget: budget };
        const input = inputs();
        const objs = [loadObject(bytes, options), loadObject(bytes, options), loadObject(bytes, options)];
        for (const info of objs[0]!.programs) {
          if (info.type !== 'xdp') continue;
          const [si, sj, sb] = objs.map((o, k) => o.program(info.name).session('xdp', { jit: k !== 0, limits }));
          const interp = onePerCall(objs[0]!, si!, input);
          const jit = onePerCall(objs[1]!, sj!, input);
          const batch = batched(objs[2]!, sb!, input);
          // The interpreter agrees on everything but instruction counts where a run failed (NaN both).
          expect(batch.seen).toEqual(jit.seen);
          expect(batch.seen.map(({ instructions: _, ...s }) => s)).toEqual(interp.seen.map(({ instructions: _, ...s }) => s));
          for (const [at, packet] of batch.left) expect(packet, `${info.name} packet ${at}`).toBe(jit.left[at]);
          // Batches happen: fewer calls than packets unless every packet stops its batch.
          if (info.name === 'xdp_firewall' && budget === undefined) expect(batch.calls).toBeLessThan(input.length / 4);
        }
        expect(mapsOf(objs[2]!)).toEqual(mapsOf(objs[1]!));
        expect(mapsOf(objs[2]!)).toEqual(mapsOf(objs[0]!));
      });
    }
  }
});
