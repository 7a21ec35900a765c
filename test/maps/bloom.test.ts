/**
 * Bloom filter maps without the kernel: the shape rules (key size 0, values, map_extra's hash count, the
 * flags), no false negatives and a false-positive rate near the textbook one, the host API (add / has,
 * keyless update, nothing to list or delete), the helpers on both engines through the clang-built
 * fixture, and hostile shapes and calls: a huge max_entries (the bits are bounded by the map byte
 * limit), a lookup or pop the kernel's verifier refuses, run anyway.
 */
import { describe, expect, it } from 'vitest';
import { MapError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { BloomFilterMap, bloomBytes } from '../../src/maps/bloom.js';
import { createMap } from '../../src/maps/create.js';
import { checkMapShape, MapFlag } from '../../src/maps/rules.js';
import { MapType } from '../../src/maps/types.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

const spec = { name: 'seen', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 8, maxEntries: 1000, flags: 0 };
const u64 = (n: number | bigint): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

describe('BLOOM_FILTER maps', () => {
  it('follow the kernel shape rules', () => {
    expect(() => checkMapShape(spec)).not.toThrow();
    expect(() => checkMapShape({ ...spec, flags: MapFlag.ZERO_SEED | MapFlag.RDONLY_PROG })).not.toThrow();
    expect(() => checkMapShape({ ...spec, flags: MapFlag.NO_PREALLOC })).toThrow(/does not take map_flags BPF_F_NO_PREALLOC/);
    expect(() => checkMapShape({ ...spec, maxEntries: 0 })).toThrow(/max_entries must be at least 1/);
    expect(() => checkMapShape({ ...spec, type: MapType.HASH, keySize: 4, extra: 3 })).toThrow(/takes no map_extra/);
    const mem = new VmMemory();
    expect(() => createMap(mem, { ...spec, keySize: 4 })).toThrow(/key_size must be 0/);
    expect(() => createMap(mem, { ...spec, valueSize: 0 })).toThrow(/at least 1 byte/);
    for (const extra of [16, 17, 256, 2 ** 32]) expect(() => createMap(mem, { ...spec, extra })).toThrow(/low 4 bits/);
    expect((createMap(mem, spec) as BloomFilterMap).hashes).toBe(5);
    expect((createMap(mem, { ...spec, extra: 15 }) as BloomFilterMap).hashes).toBe(15);
  });

  it('never forget a value, and rarely claim one never added', () => {
    const m = createMap(new VmMemory(), { ...spec, maxEntries: 10000, extra: 3 }) as BloomFilterMap;
    for (let i = 0; i < 10000; i++) m.add(u64(i * 7919));
    for (let i = 0; i < 10000; i++) expect(m.has(u64(i * 7919))).toBe(true);
    let positives = 0;
    for (let i = 0; i < 20000; i++) if (m.has(u64(0x1_0000_0000 + i))) positives++;
    // 3 hashes over 65536 bits holding 10000 values: (1 - e^(-30000/65536))^3 ≈ 5.3%.
    expect(positives / 20000).toBeGreaterThan(0.02);
    expect(positives / 20000).toBeLessThan(0.09);
    expect(m.bitCount).toBe(65536);
    expect(m.bitsSet()).toBeGreaterThan(15000);
  });

  it('give the host a keyless add and test, and nothing to list or delete', () => {
    const m = createMap(new VmMemory(), spec) as BloomFilterMap;
    expect(m.has(u64(1))).toBe(false);
    m.update(new Uint8Array(0), u64(1));
    m.add(u64(2));
    expect(m.has(u64(1)) && m.has(u64(2))).toBe(true);
    expect(() => m.update(new Uint8Array(0), u64(3), 2)).toThrow(/EINVAL/);
    expect(() => m.add(u64(3), 1)).toThrow(MapError);
    expect(() => m.add(new Uint8Array(4))).toThrow(/value must be 8 bytes/);
    expect(() => m.has(new Uint8Array(9))).toThrow(/value must be 8 bytes/);
    expect(() => m.update(new Uint8Array(4), u64(3))).toThrow(/key must be 0 bytes/);
    expect(m.keys()).toEqual([]);
    expect(m.entries()).toEqual([]);
    expect(m.lookup()).toBeUndefined();
    expect(m.delete()).toBe(false);
    expect(m.has(u64(1))).toBe(true);
  });

  it('bound their bits by the map byte limit, whatever max_entries says', () => {
    expect(bloomBytes(0xffff_ffff, 15, 4096)).toBe(4096);
    expect(bloomBytes(1, 1, 1)).toBe(8);
    const m = createMap(new VmMemory(), { ...spec, maxEntries: 0xffff_ffff, extra: 15 }, { maxMapBytes: 1 << 16 }) as BloomFilterMap;
    expect(m.bitCount).toBe(1 << 19);
    m.add(u64(42));
    expect(m.has(u64(42))).toBe(true);
  });

  it('answer bpf_map_push_elem / bpf_map_peek_elem on both engines', () => {
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('bloom'));
      const prog = obj.program('bloom_op');
      const op = (o: number, which: number, value: bigint): bigint => {
        const d = new Uint8Array(32);
        d[0] = o;
        d[1] = which;
        new DataView(d.buffer).setBigUint64(8, value, true);
        const r = prog.runXdp(d, { jit });
        return new DataView(r.packet.buffer, r.packet.byteOffset).getBigInt64(16, true);
      };
      expect(op(1, 0, 5n)).toBe(-2n);
      expect(op(0, 0, 5n)).toBe(0n);
      expect(op(1, 0, 5n)).toBe(0n);
      expect(op(2, 0, 6n)).toBe(-22n);
      expect(op(1, 0, 6n)).toBe(-2n);
      expect(op(0, 1, 0x1_0000_0007n)).toBe(0n);
      expect(op(1, 1, 7n)).toBe(0n);
      const seen = obj.map('seen') as BloomFilterMap;
      expect(seen.hashes).toBe(3);
      expect(seen.has(u64(5))).toBe(true);
      seen.add(u64(77));
      expect(op(1, 0, 77n)).toBe(0n);
    }
  });

  it('refuse lookups and pops in the analysis, and stop them at run time', () => {
    expect(() => loadObject(fixture('bloom_bad')).program('lookup_bloom')).toThrow(/cannot pass map_type 30 into func bpf_map_lookup_elem/);
    expect(() => loadObject(fixture('bloom_bad')).program('pop_bloom')).toThrow(/cannot pass map_type 30 into func bpf_map_pop_elem/);
    const obj = loadObject(fixture('bloom_bad'), { verify: 'warn' });
    expect(() => obj.program('lookup_bloom').runXdp(new Uint8Array(64))).toThrow(/cannot be looked up/);
    expect(obj.program('pop_bloom').runXdp(new Uint8Array(64)).action).toBe(2);
  });
});
