/**
 * Hash maps whose memory is reserved as elements come (maps/slot-arena.ts): test/fixtures/elf/big_hash.c
 * declares two maps of 1,000,000 values of 1600 bytes (1.6 GB, as kmesh's `kmesh_map1600`). They load
 * with nothing reserved, run on both engines with the results the kernel gives (test/kernel/lazy-hash.test.ts
 * compares them with the kernel itself), grow in chunks whose values stay where they are, stop at
 * `max_entries` with -E2BIG or at the per-map byte limit with a MapError naming the map, and a worker
 * pool (its shared memory reserves them whole) ends with the maps one thread makes.
 */
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { MapError } from '../../src/errors.js';
import { createMap } from '../../src/maps/create.js';
import type { HashMap } from '../../src/maps/hash.js';
import { MapType } from '../../src/maps/types.js';
import { VmMemory } from '../../src/vm/memory.js';
import { PacketPool, type PacketBatch } from '../../src/pool/pool.js';
import { fixture } from '../elf/fixtures.js';
import { inProcessWorker } from '../workers/in-process.js';
import { BIG_OPS, bigPacket, bigResult, FULL_OPS, type BigOp } from './big-hash-ops.js';

/** What the kernel answers to BIG_OPS and FULL_OPS (test/kernel/lazy-hash.test.ts checks it still does). */
const BIG_KERNEL = [-2, 0, 42, 43, -17, 0, -2, -2, 0, 7, 0, 9, 64, 64, 3, 66, -2, -17, 104, 104, 500, -2, 64, 71, 0, -2, 0, 11, 500, 0, 1, 64, 64, 68, 105, 105, 1000, 0, -2].map(BigInt);
const FULL_KERNEL = [64, -7, 36, -2, -7, 0, -17, 0, 0, -7, 1].map(BigInt);
/** Bytes a value takes in its chunk: 1600 rounded to 8, the 8-byte gap after it (maps/values.ts), its liveness byte. */
const PER_VALUE = 1600 + 8 + 1;
/** Values in the first chunk (slot-arena.ts's FIRST_CHUNK_BYTES), then each chunk twice the one before. */
const FIRST = Math.floor((256 * 1024) / 1608);

const key = (k: number): Uint8Array => new Uint8Array(new Uint32Array([k]).buffer);
const value = (word: number): Uint8Array => {
  const v = new Uint8Array(1600);
  new DataView(v.buffer).setUint32(0, word, true);
  return v;
};
const word = (v: Uint8Array | undefined): number | undefined => (v === undefined ? undefined : new DataView(v.buffer, v.byteOffset).getUint32(0, true));

function run(ops: readonly BigOp[], jit: boolean, options: Parameters<typeof loadObject>[1] = {}): { results: bigint[]; big: HashMap; lru: HashMap } {
  const obj = loadObject(fixture('big_hash'), options);
  const prog = obj.program('big_op');
  const results = ops.map(([op, which, k, w]) => bigResult(prog.runXdp(bigPacket(op, which, k, w), { jit }).packet));
  return { results, big: obj.map('big') as unknown as HashMap, lru: obj.map('big_lru') as unknown as HashMap };
}

describe('hash maps whose memory grows as elements come', () => {
  it('load a 1.6 GB hash map with nothing reserved; run with the kernel\'s results on both engines, reserving chunks as keys come', () => {
    const obj = loadObject(fixture('big_hash'));
    const big = obj.map('big') as unknown as HashMap;
    expect(big.spec.maxEntries * 1608).toBe(1_608_000_000);
    expect(big.reservedBytes).toBe(0);
    // Under the default 128 MiB limit per map: as many values as fit.
    expect(big.capacity).toBe(Math.floor((128 << 20) / 1608));
    for (const jit of [false, true]) {
      const { results, big, lru } = run(BIG_OPS, jit);
      expect(results, jit ? 'JIT' : 'interpreter').toEqual(BIG_KERNEL);
      // 258 values used at most: the first chunk and the second (twice as many values).
      expect(big.reservedBytes).toBe(3 * FIRST * PER_VALUE);
      expect(lru.reservedBytes).toBe(3 * FIRST * PER_VALUE);
      expect(big.size).toBe(257);
    }
  });

  it('stop at max_entries resized before load with -E2BIG, as the kernel does', () => {
    for (const jit of [false, true]) {
      const { results, big } = run(FULL_OPS, jit, { mapSizes: { big: 100, big_lru: 1000 } });
      expect(results, jit ? 'JIT' : 'interpreter').toEqual(FULL_KERNEL);
      expect(big.capacity).toBe(100);
      expect(big.reservedBytes).toBe(100 * PER_VALUE);
    }
  });

  it('keep every value where it was while chunks are added, through the host API too, and reuse freed slots', () => {
    const obj = loadObject(fixture('big_hash'));
    const big = obj.map('big') as unknown as HashMap;
    for (let k = 0; k < 5000; k++) big.update(key(k * 7), value(k));
    const reserved = big.reservedBytes;
    // 5000 values: chunks of FIRST, 2 FIRST, 4 FIRST, 8 FIRST and 16 FIRST values (31 FIRST = 5053).
    expect(reserved).toBe(31 * FIRST * PER_VALUE);
    expect(big.size).toBe(5000);
    for (let k = 0; k < 5000; k++) expect(word(big.lookup(key(k * 7)))).toBe(k);
    expect(big.keys().slice(0, 3).map((k) => new Uint32Array(k.buffer)[0])).toEqual([0, 7, 14]);
    for (let k = 0; k < 5000; k += 2) expect(big.delete(key(k * 7))).toBe(true);
    for (let k = 0; k < 2500; k++) big.update(key(1_000_000 + k), value(k));
    expect(big.reservedBytes).toBe(reserved);
    for (let k = 1; k < 5000; k += 2) expect(word(big.lookup(key(k * 7)))).toBe(k);
    expect(word(big.lookup(key(1_002_499)))).toBe(2499);
    expect(big.lookup(key(0))).toBeUndefined();
  });

  it('per-CPU values in chunks: each CPU\'s value at its address, found again from it', () => {
    const memory = new VmMemory();
    const spec = { name: 'pc', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 64, maxEntries: 10_000_000, flags: 1 };
    const m = createMap(memory, spec, { cpus: 3 }) as unknown as HashMap;
    expect(m.reservedBytes).toBe(0);
    for (let k = 0; k < 3000; k++) {
      const v = new Uint8Array(3 * 64);
      for (let c = 0; c < 3; c++) v[c * 64] = (k + c) & 0xff;
      m.update(key(k), v);
    }
    expect(m.reservedBytes).toBeLessThan(2 * 3000 * 3 * 73 + 3 * (256 << 10));
    for (const k of [0, 1, 1500, 2999]) {
      const all = m.lookupPerCpu(key(k))!;
      for (let c = 0; c < 3; c++) {
        expect(all[c]![0]).toBe((k + c) & 0xff);
        const address = m.programLookup(key(k), c);
        expect(memory.read(BigInt(address), 1)[0]).toBe((k + c) & 0xff);
        expect(m.elementOf(address + 8, 8)).toEqual({ key: key(k), value: address });
      }
    }
  });

  it('an insert past the byte limit per map fails with a MapError naming the map and the limit; an LRU map evicts instead', () => {
    const limit = 1 << 20;
    const capacity = Math.floor(limit / 1608);
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('big_hash'), { maxMapBytes: limit });
      const prog = obj.program('big_op');
      const big = obj.map('big') as unknown as HashMap;
      expect(big.capacity).toBe(capacity);
      let inserted = 0;
      let error: unknown;
      try {
        for (let k = 0; k < 2 * capacity; k += 64, inserted += 64) prog.runXdp(bigPacket(4, 0, k, 1n), { jit });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MapError);
      expect(String(error)).toMatch(/map big: no room for another element: its 652 values fill the 1048576-byte limit per map before max_entries 1000000; raise the limit with maxMapBytes/);
      expect(inserted).toBe(Math.floor(capacity / 64) * 64);
      expect(big.size).toBe(capacity);
      expect(big.reservedBytes).toBeLessThanOrEqual(limit + capacity);
      expect(() => big.update(key(1 << 30), value(1))).toThrow(/map big: no room for another element/);
      // The LRU map drops its least recently used keys.
      const lru = obj.map('big_lru') as unknown as HashMap;
      for (let k = 0; k < 2 * capacity; k += 64) expect(bigResult(prog.runXdp(bigPacket(4, 1, k, 1n), { jit }).packet)).toBe(64n);
      expect(lru.size).toBe(capacity);
      expect(lru.lookup(key(0))).toBeUndefined();
      expect(word(lru.lookup(key(Math.floor((2 * capacity - 1) / 64) * 64 + 63)))).toBe(64);
    }
  });

  it('a pool of 2 workers ends with the maps one thread makes', async () => {
    const ops: BigOp[] = [];
    for (let i = 0; i < 40; i++) ops.push([4, i % 2, i * 64, BigInt(i)], [0, 0, 100_000 + i, BigInt(i)], [1, 1, (i - 1) * 64, 0n]);
    const load = { maxMapBytes: 8 << 20 };
    const one = loadObject(fixture('big_hash'), load);
    const prog = one.program('big_op');
    for (const [op, which, k, w] of ops) prog.runXdp(bigPacket(op, which, k, w));
    const packets = ops.map(([op, which, k, w]) => bigPacket(op, which, k, w));
    const data = new Uint8Array(packets.length * 32);
    packets.forEach((p, i) => data.set(p, i * 32));
    const batch: PacketBatch = { data, starts: Int32Array.from(packets, (_, i) => i * 32), lengths: new Int32Array(packets.length).fill(32), count: packets.length };
    const pool = await PacketPool.start({ object: fixture('big_hash'), program: 'big_op', workers: 2, createWorker: inProcessWorker, load });
    try {
      const r = await pool.run(batch);
      expect(r.errors).toEqual([]);
      for (const name of ['big', 'big_lru']) {
        const entries = (o: typeof one): string[] => o.map(name).keys().map((k) => `${new Uint32Array(k.buffer)[0]}=${word(o.map(name).lookup(k))}`).sort();
        expect(entries(pool.object), name).toEqual(entries(one));
      }
      expect(one.map('big').keys().length).toBe(20 * 64 + 40);
    } finally {
      pool.close();
    }
  });
});
