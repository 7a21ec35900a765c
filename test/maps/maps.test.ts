/**
 * Map semantics against the kernel's rules (flags, errno, capacity, eviction, longest prefix) with
 * model-based properties, and the memory contract: values programs see through pointers are the bytes
 * the host reads.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MapError } from '../../src/errors.js';
import { VmMemory } from '../../src/vm/memory.js';
import { createMap } from '../../src/maps/create.js';
import { HashMap } from '../../src/maps/hash.js';
import { ArrayMap } from '../../src/maps/array.js';
import { LpmTrieMap } from '../../src/maps/lpm.js';
import { QueueMap } from '../../src/maps/queue.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from '../../src/maps/types.js';

const spec = (type: number, keySize: number, valueSize: number, maxEntries: number, name = 'm'): MapSpec => ({
  name, type, keySize, valueSize, maxEntries, flags: 0,
});
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

describe('hash map', () => {
  it('follows BPF_ANY / NOEXIST / EXIST, capacity and delete like the kernel (model check)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('update' as const), key: fc.integer({ min: 0, max: 7 }), value: fc.nat(), flags: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const m = new HashMap(new VmMemory({ initialPages: 1 }), spec(MapType.HASH, 4, 4, 4));
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'update') {
            let expected = 0;
            if (o.flags > 2) expected = -Errno.EINVAL;
            else if (model.has(o.key) && o.flags === UpdateFlag.NOEXIST) expected = -Errno.EEXIST;
            else if (!model.has(o.key) && o.flags === UpdateFlag.EXIST) expected = -Errno.ENOENT;
            else if (!model.has(o.key) && model.size >= 4) expected = -Errno.E2BIG;
            expect(m.programUpdate(u32(o.key), u32(o.value), o.flags, 0)).toBe(expected);
            if (expected === 0) model.set(o.key, o.value >>> 0);
          } else {
            expect(m.programDelete(u32(o.key))).toBe(model.has(o.key) ? 0 : -Errno.ENOENT);
            model.delete(o.key);
          }
        }
        expect(m.size).toBe(model.size);
        for (const [k, v] of model) expect(new Uint32Array(m.lookup(u32(k))!.slice().buffer)[0]).toBe(v);
      }),
      { numRuns: 200 },
    );
  });

  it('hands programs a pointer to the value in VM memory', () => {
    const mem = new VmMemory({ initialPages: 1 });
    const m = new HashMap(mem, spec(MapType.HASH, 4, 8, 4));
    m.update(u32(1), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const addr = m.programLookup(u32(1), 0);
    expect(addr).toBeGreaterThan(0);
    expect(mem.load(BigInt(addr), 8)).toBe(0x0807060504030201n);
    mem.store(BigInt(addr), 4, 0xdeadbeefn);
    expect([...m.lookup(u32(1))!]).toEqual([0xef, 0xbe, 0xad, 0xde, 5, 6, 7, 8]);
    expect(m.programLookup(u32(2), 0)).toBe(0);
  });

  it('throws MapError with the errno from the host side', () => {
    const m = new HashMap(new VmMemory({ initialPages: 1 }), spec(MapType.HASH, 4, 4, 1));
    m.update(u32(1), u32(1));
    expect(() => m.update(u32(2), u32(2))).toThrow(MapError);
    expect(() => m.update(u32(2), u32(2))).toThrow(/E2BIG/);
    expect(() => m.update(u32(1), u32(1), UpdateFlag.NOEXIST)).toThrow(/EEXIST/);
    expect(() => m.update(new Uint8Array(3), u32(1))).toThrow(/key must be 4 bytes/);
    expect(() => m.update(u32(1), new Uint8Array(9))).toThrow(/value must be 4 bytes/);
    expect(m.delete(u32(5))).toBe(false);
  });

  it('LRU evicts the least recently used key when full', () => {
    const m = new HashMap(new VmMemory({ initialPages: 1 }), spec(MapType.LRU_HASH, 4, 4, 2));
    m.update(u32(1), u32(10));
    m.update(u32(2), u32(20));
    m.programLookup(u32(1), 0); // 1 is now more recent than 2
    m.update(u32(3), u32(30));
    expect(m.keys().map((k) => k[0])).toEqual([1, 3]);
  });

  it('per-CPU values are separate per CPU and a host update sets all', () => {
    const m = new HashMap(new VmMemory({ initialPages: 1 }), spec(MapType.PERCPU_HASH, 4, 4, 2), 3);
    m.update(u32(1), u32(7));
    expect(m.programUpdate(u32(1), u32(9), 0, 1)).toBe(0);
    expect(m.lookupPerCpu(u32(1))!.map((v) => v[0])).toEqual([7, 9, 7]);
    expect(m.lookup(u32(1))!.length).toBe(24); // 3 CPUs x round_up(4, 8)
  });

  it('keeps CPUs’ values a cache line apart (pool threads do not share lines), each element live and found, the gaps not', () => {
    const memory = new VmMemory({ initialPages: 2 });
    const hash = new HashMap(memory, spec(MapType.PERCPU_HASH, 4, 8, 4), 3);
    const array = new ArrayMap(memory, spec(MapType.PERCPU_ARRAY, 4, 8, 4), 3);
    for (const k of [0, 1, 2, 3]) hash.update(u32(k), new Uint8Array(8).fill(k + 1));
    const line = (a: number): number => Math.floor(a / 64);
    for (const [m, lookup] of [
      [hash, (k: number, c: number) => hash.programLookup(u32(k), c)],
      [array, (k: number, c: number) => array.programLookup(u32(k), c)],
    ] as const) {
      const all = [0, 1, 2, 3].flatMap((k) => [0, 1, 2].map((c) => ({ k, c, at: lookup(k, c) })));
      for (const a of all) {
        expect(a.at).not.toBe(0);
        // Found back as its own slot's value, live (a program may use it).
        expect(m.elementOf(a.at, 8)).toEqual({ key: u32(a.k), value: a.at });
        expect(memory.find(a.at, 8)).toBeDefined();
        for (const b of all) if (b.c !== a.c) expect([line(a.at), line(a.at + 7)]).not.toContain(line(b.at));
      }
      // Past a CPU's last value, before the next CPU's first: no slot's value.
      const gap = lookup(3, 0) + 16;
      expect(gap + 8).toBeLessThanOrEqual(lookup(0, 1));
      expect(m.elementOf(gap, 8)).toBeUndefined();
    }
    // A hash map's gaps are never live; a deleted key's values on every CPU stay reachable (a program's
    // pointer stays valid for its run, as the kernel's), but are no element any more.
    expect(memory.find(hash.programLookup(u32(3), 0) + 16, 8)).toBeUndefined();
    const kept = [0, 1, 2].map((c) => hash.programLookup(u32(2), c));
    expect(hash.delete(u32(2))).toBe(true);
    for (const at of kept) {
      expect(memory.find(at, 8)).toBeDefined();
      expect(hash.elementOf(at, 8)).toBeUndefined();
    }
    expect(hash.lookupPerCpu(u32(1))!.map((v) => v[0])).toEqual([2, 2, 2]);
  });
});

describe('array map', () => {
  it('has every element, refuses NOEXIST, delete and out-of-range keys', () => {
    const m = new ArrayMap(new VmMemory({ initialPages: 1 }), spec(MapType.ARRAY, 4, 4, 3));
    expect([...m.lookup(u32(2))!]).toEqual([0, 0, 0, 0]);
    expect(m.lookup(u32(3))).toBeUndefined();
    expect(m.programUpdate(u32(0), u32(5), UpdateFlag.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(m.programUpdate(u32(3), u32(5), 0, 0)).toBe(-Errno.E2BIG);
    expect(m.programUpdate(u32(0), u32(5), UpdateFlag.EXIST, 0)).toBe(0);
    expect(m.programDelete(u32(0))).toBe(-Errno.EINVAL);
    expect(m.keys()).toHaveLength(3);
    expect(() => new ArrayMap(new VmMemory(), spec(MapType.ARRAY, 8, 4, 1))).toThrow(/4-byte keys/);
  });

  it('refuses arenas that would not fit', () => {
    expect(() => createMap(new VmMemory(), spec(MapType.ARRAY, 4, 1024, 1 << 20))).toThrow(/lower max_entries/);
    expect(() => createMap(new VmMemory(), spec(99, 4, 4, 1))).toThrow(/type 99 is not supported/);
  });

  it('refuses the map types it does not model with a reason naming what is missing', () => {
    for (const [type, why] of [[20, /sk_reuseport/], [26, /struct_ops/], [28, /inodes/], [33, /arena/]] as const) {
      const entries = type === 28 ? 0 : 4;
      expect(() => createMap(new VmMemory(), { ...spec(type, 4, 8, entries), flags: entries === 0 ? 1 : 0 })).toThrow(why);
    }
  });
});

describe('LPM trie', () => {
  it('matches the longest prefix like a brute-force search (property)', () => {
    const prefix = fc.record({ bits: fc.integer({ min: 0, max: 16 }), a: fc.integer({ min: 0, max: 255 }), b: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.array(prefix, { maxLength: 12 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (prefixes, x, y) => {
        const m = new LpmTrieMap(new VmMemory({ initialPages: 1 }), spec(MapType.LPM_TRIE, 6, 4, 32));
        const model = new Map<string, number>();
        prefixes.forEach((p, i) => {
          const mask = p.bits === 0 ? 0 : (0xffff << (16 - p.bits)) & 0xffff;
          const v = ((p.a << 8) | p.b) & mask;
          m.update(new Uint8Array([p.bits, 0, 0, 0, v >> 8, v & 0xff]), u32(i));
          model.set(`${p.bits}/${v}`, i);
        });
        const addr = (x << 8) | y;
        let best = -1;
        let want: number | undefined;
        for (const [k, i] of model) {
          const [bits, v] = k.split('/').map(Number) as [number, number];
          const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
          if ((addr & mask) === v && bits > best) {
            best = bits;
            want = i;
          }
        }
        const got = m.lookup(new Uint8Array([16, 0, 0, 0, x, y]));
        expect(got === undefined ? undefined : got[0]).toBe(want);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects prefixes longer than the key', () => {
    const m = new LpmTrieMap(new VmMemory({ initialPages: 1 }), spec(MapType.LPM_TRIE, 8, 4, 4));
    expect(m.programUpdate(new Uint8Array([33, 0, 0, 0, 1, 2, 3, 4]), u32(1), 0, 0)).toBe(-Errno.EINVAL);
  });
});

describe('queue and stack', () => {
  it('FIFO and LIFO order, E2BIG when full, BPF_EXIST overwrites the oldest', () => {
    const q = new QueueMap(new VmMemory({ initialPages: 1 }), spec(MapType.QUEUE, 0, 4, 2));
    const s = new QueueMap(new VmMemory({ initialPages: 1 }), spec(MapType.STACK, 0, 4, 2));
    for (const m of [q, s]) {
      m.push(u32(1));
      m.push(u32(2));
      expect(() => m.push(u32(3))).toThrow(/E2BIG/);
    }
    q.push(u32(3), UpdateFlag.EXIST);
    expect(q.pop()![0]).toBe(2);
    expect(q.peek()![0]).toBe(3);
    expect(s.pop()![0]).toBe(2);
    expect(s.pop()![0]).toBe(1);
    expect(s.pop()).toBeUndefined();
    expect(s.programPop(false)).toBe(-Errno.ENOENT);
  });
});

describe('ring buffer', () => {
  it('keeps records in order across wrap-around and refuses when full', () => {
    const rb = new RingBufMap(new VmMemory({ initialPages: 1 }), spec(MapType.RINGBUF, 0, 0, 64));
    const rec = (n: number, len = 8): Uint8Array => new Uint8Array(len).fill(n);
    expect(rb.output(rec(1))).toBe(true); // 16 bytes
    expect(rb.output(rec(2))).toBe(true); // 32
    expect(rb.output(rec(3, 24))).toBe(true); // 64: full
    expect(rb.output(rec(4))).toBe(false);
    expect(rb.dropped).toBe(1);
    expect(rb.drain().map((r) => r[0])).toEqual([1, 2, 3]);
    // The next record starts at offset 0 of the ring again.
    const a = rb.reserve(8);
    expect(a).toBe(rb.arenaAddress + 8);
    const b = rb.reserve(8);
    expect(rb.finish(b, false)).toBe(true);
    expect(rb.drain()).toEqual([]); // a is still reserved: the consumer waits for it
    expect(rb.finish(a, true)).toBe(true);
    expect(rb.drain()).toHaveLength(1);
    expect(rb.finish(a, false)).toBe(false);
    expect(rb.query(1)).toBe(64n);
  });

  it('pads the tail instead of splitting a record', () => {
    const rb = new RingBufMap(new VmMemory({ initialPages: 1 }), spec(MapType.RINGBUF, 0, 0, 64));
    rb.output(new Uint8Array(32)); // 40 bytes
    rb.drain();
    const at = rb.reserve(16); // a 24-byte span fits exactly in the last 24 bytes
    expect(at).toBe(rb.arenaAddress + 48);
    rb.finish(at, false);
    const wrapped = rb.reserve(8);
    expect(wrapped).toBe(rb.arenaAddress + 8);
    expect(() => new RingBufMap(new VmMemory(), spec(MapType.RINGBUF, 0, 0, 100))).toThrow(/power of two/);
  });
});
