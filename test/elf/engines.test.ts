/**
 * The same clang-built programs on the interpreter and the JIT: identical verdicts, packets, map
 * contents, ring buffer records and trace lines, including helpers that remap the packet mid-run
 * (xdp_adjust_head) and tail calls.
 */
import { describe, it, expect } from 'vitest';
import { ArrayMap } from '../../src/maps/array.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import type { BpfObject } from '../../src/elf/index.js';
import { ipv4Packet, load, RBPF_PACKET, u32 } from './fixtures.js';

const PACKETS = [RBPF_PACKET, ipv4Packet(1, [10, 1, 2, 3], 64), ipv4Packet(17, [10, 0, 0, 9], 90), ipv4Packet(6, [11, 0, 0, 1], 60), new Uint8Array(3)];

/** Everything observable after a run: maps (keys and values) and drained records. */
function state(obj: BpfObject): unknown {
  const maps: Record<string, unknown> = {};
  for (const [name, m] of obj.maps) {
    if (m instanceof RingBufMap) maps[name] = m.drain().map((r) => [...r]);
    else if (m instanceof ArrayMap && m.spec.maxEntries > 64) maps[name] = 'large';
    else maps[name] = m.entries().map(([k, v]) => [[...k], [...v]]);
  }
  return { maps, trace: [...obj.traceLog] };
}

function setup(obj: BpfObject): void {
  if (obj.maps.has('routes')) {
    obj.map('routes').update(new Uint8Array([8, 0, 0, 0, 10, 0, 0, 0]), u32(1));
    obj.map('routes').update(new Uint8Array([32, 0, 0, 0, 10, 1, 2, 3]), u32(3));
  }
}

describe('interpreter and JIT agree on real objects', () => {
  for (const name of ['xdp_counter', 'globals', 'ringbuf', 'lpm', 'tailcall', 'legacy', 'block_port', 'helpers', 'percpu', 'context', 'map_in_map']) {
    it(name, () => {
      // verify: 'warn': helpers.o and context.o have socket filters calling tc-only helpers (the kernel refuses them); the engines must still agree on them
      const objs = [load(name, { cpus: 2, cpu: 1, verify: 'warn' }), load(name, { cpus: 2, cpu: 1, verify: 'warn' })];
      objs.forEach(setup);
      for (const info of objs[0]!.programs) {
        for (const packet of PACKETS) {
          const outcome = objs.map((obj, k) => {
            const prog = obj.program(info.name);
            const opts = { jit: k === 1 };
            try {
              if (info.type === 'xdp') {
                const r = prog.runXdp(packet, opts);
                return { r0: r.r0, packet: [...r.packet] };
              }
              if (info.type === 'raw') return { r0: prog.run(undefined, { ...opts, mem: packet.slice() }) };
              return { r0: prog.runTc(packet, opts) };
            } catch (e) {
              return { error: (e as Error).message };
            }
          });
          expect(outcome[1], `${info.name} on a ${packet.length}-byte packet`).toEqual(outcome[0]);
        }
        expect(objs[1]!.program(info.name).program.compiled.has('jit')).toBe(true);
        expect(objs[0]!.program(info.name).program.compiled.has('jit')).toBe(false);
      }
      expect(state(objs[1]!)).toEqual(state(objs[0]!));
    });
  }
});
