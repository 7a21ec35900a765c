/**
 * A hash map in a shared memory looks keys up without its lock (SharedKeyIndex.findOptimistic, which
 * compares keys a word at a time where they are word-aligned and a byte at a time otherwise): it must
 * find exactly what the same map in a plain memory finds, for every key size (multiples of 4, a tail
 * of 1-3 bytes, keys that start misaligned), with keys that differ in any one byte.
 */
import { describe, expect, it } from 'vitest';
import { VmMemory } from '../../src/vm/memory.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
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
      // At an odd offset of a larger buffer too: the program's key lies anywhere in linear memory.
      const found = maps.map(({ memory, map }) =>
        probes.flatMap((probe) => {
          const buf = new Uint8Array(size + 3);
          buf.set(probe, 3);
          return [map.programLookup(probe, 0), map.programLookupAt(buf, 3, 0)].map((at) => (at === 0 ? 0 : memory.view.getUint8(memory.translate(at, 0, 8, false))));
        }),
      );
      expect(found[1], `key size ${size}`).toEqual(found[0]);
      expect(found[1]!.slice(0, 2 * present.length), `key size ${size}`).toEqual(present.flatMap((_, k) => [k + 1, k + 1]));
    }
  });
});
