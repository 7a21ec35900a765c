/**
 * Hash maps index keys by a hash of their bytes (maps/key-index): checked against a model with the
 * old index (a JS Map keyed by the key's bytes as a string, whose order is insertion order and, for LRU
 * maps, recency) over random operations with a fixed seed. Keys are drawn from a small set so that
 * updates, deletes and evictions meet existing keys; a second run forces every key into one hash
 * chain so that chain insertion and removal from the middle are exercised.
 */
import { describe, expect, it } from 'vitest';
import { VmMemory } from '../../src/vm/memory.js';
import { HashMap } from '../../src/maps/hash.js';
import { KeyIndex } from '../../src/maps/key-index.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from '../../src/maps/types.js';
import { rngUnit } from '../kernel/packets.js';

const rng = rngUnit;

/** The old index's behaviour: a Map from key string to value bytes, LRU order by delete + set. */
class Model {
  readonly entries = new Map<string, Uint8Array>();
  constructor(
    private readonly max: number,
    private readonly lru: boolean,
  ) {}
  lookup(k: string): Uint8Array | undefined {
    const v = this.entries.get(k);
    if (v !== undefined && this.lru) {
      this.entries.delete(k);
      this.entries.set(k, v);
    }
    return v;
  }
  update(k: string, v: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (this.entries.has(k)) {
      if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      if (this.lru) this.entries.delete(k);
      this.entries.set(k, v);
      return 0;
    }
    if (flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (this.entries.size >= this.max) {
      if (!this.lru) return -Errno.E2BIG;
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(k, v);
    return 0;
  }
  delete(k: string): number {
    return this.entries.delete(k) ? 0 : -Errno.ENOENT;
  }
}

const str = (b: Uint8Array): string => [...b].join(',');

function exercise(type: number, keySize: number, seed: number, operations: number, collide: boolean): void {
  const memory = new VmMemory();
  const spec: MapSpec = { name: 'h', type, keySize, valueSize: 8, maxEntries: 12, flags: 0 };
  const map = new HashMap(memory, spec);
  if (collide) {
    // Every key in one chain: the index's hash is replaced by a constant.
    const index = (map as unknown as { index: KeyIndex }).index;
    (index as unknown as { hash: () => number }).hash = () => 7;
  }
  const model = new Model(spec.maxEntries, type === MapType.LRU_HASH);
  const next = rng(seed);
  const keys = Array.from({ length: 20 }, (_, i) => Uint8Array.from({ length: keySize }, (_, j) => (i * 31 + j * (i + 3)) & 0xff));
  const bytes = memory.bytes;
  for (let n = 0; n < operations; n++) {
    const key = keys[Math.floor(next() * keys.length)]!;
    const op = next();
    if (op < 0.4) {
      const address = map.programLookup(key, 0);
      const want = model.lookup(str(key));
      expect(address !== 0).toBe(want !== undefined);
      if (want !== undefined) {
        const at = memory.translate(address, 0, 8, false);
        expect(str(bytes.subarray(at, at + 8))).toBe(str(want));
      }
    } else if (op < 0.8) {
      const value = Uint8Array.from({ length: 8 }, () => Math.floor(next() * 256));
      const flags = Math.floor(next() * 4);
      expect(map.programUpdate(key, value, flags, 0)).toBe(model.update(str(key), value, flags));
    } else {
      expect(map.programDelete(key)).toBe(model.delete(str(key)));
    }
    if (n % 50 === 0) {
      // Same keys in the same order (insertion order; LRU: recency), same values.
      expect(map.keys().map(str)).toEqual([...model.entries.keys()]);
      expect(map.size).toBe(model.entries.size);
      for (const [k, v] of model.entries) expect(str(map.lookup(Uint8Array.from(k.split(',').map(Number)))!)).toBe(str(v));
    }
  }
  expect(map.keys().map(str)).toEqual([...model.entries.keys()]);
}

describe('hash map key index', () => {
  for (const [name, type] of [['hash', MapType.HASH], ['LRU hash', MapType.LRU_HASH]] as const) {
    for (const keySize of [1, 4, 6, 16]) {
      it(`${name}, ${keySize}-byte keys: lookups, updates (every flag), deletes and evictions as the old index`, () => {
        exercise(type, keySize, 1000 + keySize, 3000, false);
      });
    }
    it(`${name}: the same when every key lands in one hash chain`, () => {
      exercise(type, 6, 77, 3000, true);
    });
  }

  it('finds a key where it lies in a larger buffer, without a copy of it', () => {
    const index = new KeyIndex(4, 100);
    const buf = Uint8Array.from([9, 9, 1, 2, 3, 4, 9]);
    index.insert(5, buf, 2);
    expect(index.find(Uint8Array.from([1, 2, 3, 4]), 0)).toBe(5);
    expect(index.find(buf, 1)).toBe(-1);
    buf[2] = 0;
    // The index kept its own copy of the key.
    expect(index.find(Uint8Array.from([1, 2, 3, 4]), 0)).toBe(5);
  });

  it('keeps every key findable while its bucket table doubles, with removals and reuse of slots between', () => {
    const index = new KeyIndex(8, 100_000);
    const key = (n: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn]).buffer);
    const slotOf = new Map<number, number>();
    const free: number[] = [];
    let next = 0;
    const r = rng(11);
    for (let step = 0; step < 40_000; step++) {
      const n = Math.floor(r() * 20_000);
      const have = slotOf.get(n);
      if (have === undefined) {
        const slot = free.pop() ?? next++;
        index.insert(slot, key(n), 0);
        slotOf.set(n, slot);
      } else if (r() < 0.4) {
        index.remove(have);
        slotOf.delete(n);
        free.push(have);
      }
      if (step % 4000 === 3999) for (const [k, slot] of slotOf) expect(index.find(key(k), 0)).toBe(slot);
    }
    expect(index.size).toBe(slotOf.size);
    for (let k = 20_000; k < 20_100; k++) expect(index.find(key(k), 0)).toBe(-1);
    // At most 3/4 full: the table doubled as keys came, from 32 buckets.
    expect((index as unknown as { buckets: Int32Array }).buckets.length).toBeGreaterThanOrEqual((slotOf.size * 4) / 3);
  });

  it('grows its per-slot arrays up to max_entries only as slots are used', () => {
    const index = new KeyIndex(4, 1_000_000);
    for (let i = 0; i < 1000; i++) index.insert(i, new Uint8Array(new Uint32Array([i * 7919]).buffer), 0);
    for (let i = 0; i < 1000; i++) expect(index.find(new Uint8Array(new Uint32Array([i * 7919]).buffer), 0)).toBe(i);
    expect((index as unknown as { chain: Int32Array }).chain.length).toBeLessThan(4096);
  });
});
