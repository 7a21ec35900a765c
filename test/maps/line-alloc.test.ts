/**
 * In a shared memory (a worker pool's) every allocation of map state takes cache lines of its own
 * (maps/line-alloc.ts): no two allocations share a 64-byte line, so a counter one thread writes never
 * shares a line with the liveness bytes or key index another thread reads (false sharing). Checked by
 * recording every allocation a load of real clang-built objects makes in a shared memory; a plain
 * memory stays packed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/loader.js';
import { VmMemory } from '../../src/vm/memory.js';
import { CACHE_LINE } from '../../src/maps/line-alloc.js';
import { MapType } from '../../src/maps/types.js';
import { createMap } from '../../src/maps/create.js';

/** Objects with arrays, hash maps, per-CPU maps and global data (what a pool shares). */
const OBJECTS = ['examples/xdp_firewall.o', 'test/fixtures/elf/pool_counters.o', 'test/fixtures/elf/xdp_percpu_stats.o', 'test/fixtures/elf/globals.o'];

/** The allocations (offset, size) `load` makes in `memory`. */
function allocations(memory: VmMemory, load: () => void): { at: number; size: number }[] {
  const seen: { at: number; size: number }[] = [];
  const allocate = memory.allocate.bind(memory);
  memory.allocate = (size: number, align?: number): number => {
    const at = allocate(size, align);
    seen.push({ at, size });
    return at;
  };
  load();
  return seen;
}

/** Pairs of allocations (of at least one byte) that share a cache line. */
function sharedLines(list: { at: number; size: number }[]): string[] {
  const bad: string[] = [];
  const used = list.filter((a) => a.size > 0).sort((a, b) => a.at - b.at);
  for (let i = 1; i < used.length; i++) {
    const prev = used[i - 1]!;
    const next = used[i]!;
    if (Math.floor((prev.at + prev.size - 1) / CACHE_LINE) >= Math.floor(next.at / CACHE_LINE)) bad.push(`[${prev.at}, +${prev.size}) and [${next.at}, +${next.size})`);
  }
  return bad;
}

describe('map state in a shared memory', () => {
  for (const path of OBJECTS) {
    it(`${path}: no two allocations share a cache line`, () => {
      const memory = new VmMemory({ shared: true, initialPages: 64 });
      const list = allocations(memory, () => loadObject(readFileSync(path), { memory, verify: false, cpus: 2 }));
      expect(list.filter((a) => a.size > 0).length).toBeGreaterThan(1);
      expect(sharedLines(list)).toEqual([]);
    });
  }

  it('every map type a pool shares: values, liveness bytes and key index each on lines of their own', () => {
    const memory = new VmMemory({ shared: true, initialPages: 64 });
    const types = [MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH];
    const list = allocations(memory, () => {
      types.forEach((type, i) => createMap(memory, { name: `m${i}`, type, keySize: type === MapType.ARRAY || type === MapType.PERCPU_ARRAY ? 4 : 4 + i, valueSize: 3 + 8 * i, maxEntries: 5 + i, flags: 0 }, { cpus: 2 }));
    });
    expect(list.filter((a) => a.size > 0).length).toBeGreaterThanOrEqual(types.length + 4 * 2);
    expect(sharedLines(list)).toEqual([]);
  });

  it('a plain memory stays packed (one thread: nothing to share)', () => {
    const memory = new VmMemory();
    const list = allocations(memory, () => loadObject(readFileSync('examples/xdp_firewall.o'), { memory, verify: false }));
    expect(sharedLines(list).length).toBeGreaterThan(0);
  });
});
