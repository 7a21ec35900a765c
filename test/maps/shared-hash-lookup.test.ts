/**
 * A hash map in a shared memory looks keys up without its lock (SharedKeyIndex.findOptimistic, which
 * compares keys a word at a time where they are word-aligned and a byte at a time otherwise): it must
 * find exactly what the same map in a plain memory finds, for every key size (multiples of 4, a tail
 * of 1-3 bytes, keys that start misaligned), with keys that differ in any one byte. Updates that can
 * only fail (BPF_NOEXIST of a present key, BPF_EXIST of an absent one, bad flags) and deletes of absent
 * keys are answered without the lock too: the same answers, contents and (LRU) order as a plain memory.
 */
import { describe, expect, it } from 'vitest';
import { VmMemory } from '../../src/vm/memory.js';
import { createMap } from '../../src/maps/create.js';
import { MapType, UpdateFlag } from '../../src/maps/types.js';
import type { HashMap } from '../../src/maps/hash.js';

/** Key `k` of `size` bytes: k's bytes spread so that keys differ in every position. */
function keyOf(k: number, size: number): Uint8Array {
  const key = new Uint8Array(size);
  for (let i = 0; i < size; i++) key[i] = (k * 37 + i * 11 + (k >> (i % 4))) & 0xff;
  return key;
}

describe('a hash map in a shared memory, looked up without the lock', () => {
  it('finds what a plain memory finds, for key sizes 1-13 and keys differing in one byte', () => {
    for (let size = 1; size <= 13; size++) {
      const maps = [false, true].map((shared) => {
        const memory = new VmMemory(shared ? { shared: true, initialPages: 8 } : {});
        return { memory, map: createMap(memory, { name: 'h', type: MapType.HASH, keySize: size, valueSize: 8, maxEntries: 24, flags: 0 }) as HashMap };
      });
      const present = Array.from({ length: 20 }, (_, k) => keyOf(k, size));
      for (const { map } of maps) present.forEach((key, k) => map.update(key, new Uint8Array([k + 1, 0, 0, 0, 0, 0, 0, 0])));
      // Each present key with one byte changed (absent unless it collides with another present key), and the keys themselves.
      const probes: Uint8Array[] = [...present];
      for (const key of present) for (let i = 0; i < size; i++) probes.push(key.map((b, j) => (j === i ? b ^ 0x41 : b)));
      // At an odd offset of a larger buffer too, and in linear memory at every offset mod 4 (a
      // program's key lies anywhere there; a shared memory looks those up in WebAssembly).
      const found = maps.map(({ memory, map }) => {
        const linear = memory.allocate(size + 8, 8);
        return probes.flatMap((probe) => {
          const buf = new Uint8Array(size + 3);
          buf.set(probe, 3);
          const inLinear = [0, 1, 2, 3].map((o) => {
            memory.bytes.set(probe, linear + o);
            return map.programLookupAt(memory.bytes, linear + o, 0);
          });
          return [map.programLookup(probe, 0), map.programLookupAt(buf, 3, 0), ...inLinear].map((at) => (at === 0 ? 0 : memory.view.getUint8(memory.translate(at, 0, 8, false))));
        });
      });
      expect(found[1], `key size ${size}`).toEqual(found[0]);
      expect(found[1]!.slice(0, 6 * present.length), `key size ${size}`).toEqual(present.flatMap((_, k) => Array(6).fill(k + 1)));
    }
  });

  it('a key offset past the end of linear memory is not found (no WebAssembly trap), as in a plain memory', () => {
    for (const shared of [false, true]) {
      const memory = new VmMemory(shared ? { shared: true, initialPages: 8 } : {});
      const map = createMap(memory, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }) as HashMap;
      map.update(new Uint8Array([0, 0, 0, 0]), new Uint8Array(8));
      const bytes = memory.bytes;
      for (const at of [bytes.length - 2, bytes.length, -1]) expect(map.programLookupAt(bytes, at, 0), `shared ${shared}, at ${at}`).toBe(0);
    }
  });

  it('answers updates (every flag, LRU too) and deletes as a plain memory does', () => {
    for (const type of [MapType.HASH, MapType.LRU_HASH, MapType.PERCPU_HASH]) {
      const maps = [false, true].map((shared) => {
        const memory = new VmMemory(shared ? { shared: true, initialPages: 8 } : {});
        return createMap(memory, { name: 'h', type, keySize: 4, valueSize: 8, maxEntries: 6, flags: 0 }, { cpus: 2 }) as HashMap;
      });
      let seed = 12345;
      const next = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      const answers: number[][] = [[], []];
      for (let step = 0; step < 600; step++) {
        const key = new Uint8Array([next(10), 0, 0, 1]);
        const op = next(4);
        const flags = [UpdateFlag.ANY, UpdateFlag.NOEXIST, UpdateFlag.EXIST, 7][next(4)]!;
        const cpu = next(2);
        maps.forEach((map, i) => {
          const r = op === 0 ? map.programDelete(key) : op === 1 ? (map.programLookup(key, 1) !== 0 ? 1 : 0) : map.programUpdate(key, new Uint8Array(8).fill(step & 0xff), flags, cpu);
          answers[i]!.push(r);
        });
        expect(answers[1]!.at(-1), `${type} step ${step}`).toBe(answers[0]!.at(-1));
      }
      expect(answers[0]!.filter((r) => r < 0).length).toBeGreaterThan(50);
      expect(maps[1]!.keys()).toEqual(maps[0]!.keys());
      for (const key of maps[0]!.keys()) expect(maps[1]!.lookup(key)).toEqual(maps[0]!.lookup(key));
    }
  });
});
