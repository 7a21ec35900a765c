/**
 * VmMemory.copy (WebAssembly memory.copy within linear memory, vm/memory-copy.ts) on plain and shared
 * memories, and a packet session fed from linear memory itself (what a pool worker does) giving the
 * same results as one fed from a separate buffer.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { VmMemory } from '../../src/vm/memory.js';
import { loadObject } from '../../src/elf/loader.js';
import { generateCapture } from '../../bench/gen-capture.js';
import { iteratePackets } from '../../src/pcap/index.js';

describe('VmMemory.copy', () => {
  it('copies within plain and shared memories, overlapping ranges as memmove, unaligned ends', () => {
    for (const memory of [new VmMemory(), new VmMemory({ shared: true, initialPages: 2 })]) {
      const at = memory.allocate(1024);
      const b = memory.bytes;
      for (let i = 0; i < 1024; i++) b[at + i] = (i * 7 + 3) & 0xff;
      const want = b.slice(at, at + 1024);
      want.copyWithin(5, 1, 301);
      memory.copy(at + 5, at + 1, 300);
      expect(memory.bytes.slice(at, at + 1024)).toEqual(want);
      want.copyWithin(600, 603, 1000);
      memory.copy(at + 600, at + 603, 397);
      expect(memory.bytes.slice(at, at + 1024)).toEqual(want);
      expect(() => memory.copy(memory.bytes.length - 4, 0, 8)).toThrow();
    }
  });

  it('a session given packets that lie in its own linear memory runs them as from a separate buffer', () => {
    const parts = [...generateCapture({ packets: 200, seed: 5, pcapng: false })];
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const packets = [...iteratePackets(all)].map((p) => p.data.slice());
    const bytes = new Uint8Array(readFileSync(new URL('../../examples/xdp_firewall.o', import.meta.url)));
    const run = (inMemory: boolean): string[] => {
      const obj = loadObject(bytes);
      const session = obj.program('xdp_firewall').session('xdp', { jit: true });
      const out: string[] = [];
      for (const p of packets) {
        let r0: bigint;
        if (inMemory) {
          // Packets at odd offsets, as records in a capture chunk are.
          const at = obj.memory.allocate(p.length + 3, 1) + 3;
          obj.memory.bytes.set(p, at);
          r0 = session.run(obj.memory.bytes, at, p.length);
        } else r0 = session.run(p, 0, p.length);
        out.push(`${r0} ${[...obj.memory.bytes.subarray(session.outStart, session.outEnd)].join(',')}`);
      }
      return out;
    };
    expect(run(true)).toEqual(run(false));
  });
});
