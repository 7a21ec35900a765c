/**
 * Bloom filters against the kernel:
 * - BPF_MAP_CREATE of bloom filters of each key size, value size and map_extra: the kernel creates the
 *   map exactly when tsbpf's createMap does (map_flags and max_entries: sk-storage.test.ts's table);
 * - test/fixtures/elf/bloom.c: a sequence of adds and tests (and an add with a flag the kernel refuses)
 *   in the kernel through BPF_PROG_TEST_RUN and in tsbpf on both engines gives the same results. Only
 *   values never added to a map of few bits could differ (a false positive, and the kernel's seed is
 *   random without BPF_F_ZERO_SEED), so absent values are tested only on the large, zero-seeded `seen`;
 * - bloom_bad.c (a lookup, a pop) is refused by both.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, type KernelRequest, kernelSkipReason } from './runner.js';

const reason = kernelSkipReason();

const BLOOM_O = fileURLToPath(new URL('../fixtures/elf/bloom.o', import.meta.url));
const BLOOM_BAD_O = fileURLToPath(new URL('../fixtures/elf/bloom_bad.o', import.meta.url));

/** [operation, map, value]: see bloom.c. */
const OPS: readonly [number, number, bigint][] = [
  [1, 0, 5n], [0, 0, 5n], [1, 0, 5n], [2, 0, 6n], [1, 0, 6n], [0, 0, 6n], [1, 0, 6n], [0, 0, 0n], [1, 0, 0n],
  [1, 0, 0xffff_ffff_ffff_ffffn], [0, 0, 0xffff_ffff_ffff_ffffn], [1, 0, 0xffff_ffff_ffff_ffffn], [1, 0, 1n << 32n],
  [0, 1, 7n], [1, 1, 7n], [0, 1, 0x1_0000_0009n], [1, 1, 9n], [1, 0, 7n], [1, 0, 9n], [2, 1, 3n],
];

const packet = (op: number, which: number, value: bigint): Uint8Array => {
  const d = new Uint8Array(32);
  d[0] = op;
  d[1] = which;
  new DataView(d.buffer).setBigUint64(8, value, true);
  return d;
};
const result = (d: Uint8Array): bigint => new DataView(d.buffer, d.byteOffset, d.length).getBigInt64(16, true);

describe.skipIf(reason !== undefined)('bloom filters: tsbpf and the kernel', () => {
  it('BPF_MAP_CREATE accepts exactly the key sizes, value sizes and map_extra createMap accepts', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const cases: { keySize: number; valueSize: number; maxEntries: number; extra: number }[] = [];
    for (const keySize of [0, 4]) for (const valueSize of [0, 1, 8, 4096]) cases.push({ keySize, valueSize, maxEntries: 16, extra: 0 });
    for (const extra of [0, 1, 5, 15, 16, 17, 0x100, 2 ** 32]) cases.push({ keySize: 0, valueSize: 8, maxEntries: 16, extra });
    cases.push({ keySize: 0, valueSize: 8, maxEntries: 0xffff_ffff, extra: 15 });
    const out = k.exec(cases.map((c) => ({ op: 'map', type: MapType.BLOOM_FILTER, flags: 0, ...c })));
    const differ: string[] = [];
    cases.forEach((c, i) => {
      let ours = true;
      try {
        createMap(new VmMemory(), { name: 'b', type: MapType.BLOOM_FILTER, flags: 0, ...c }, { maxMapBytes: 1 << 16 });
      } catch {
        ours = false;
      }
      const kernel = out[i]!.kind === 'ok';
      if (ours !== kernel) differ.push(`${JSON.stringify(c)}: kernel ${kernel ? 'creates' : 'refuses'}, tsbpf ${ours ? 'creates' : 'refuses'}`);
    });
    expect(differ).toEqual([]);
    // Other types refuse a map_extra.
    const [hash] = k.exec([{ op: 'map', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, extra: 3 }]);
    expect(hash!.kind).toBe('err');
    expect(() => createMap(new VmMemory(), { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, extra: 3 })).toThrow(/takes no map_extra/);
  });

  it('adds and tests give the kernel results on both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const requests: KernelRequest[] = [{ op: 'obj', path: BLOOM_O, program: 'bloom_op' }];
    for (const [op, which, value] of OPS) requests.push({ op: 'run', prog: { ref: 0 }, data: packet(op, which, value) });
    const out = k.exec(requests);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    const kernel = out.slice(1).map((r) => (r.kind === 'run' ? result(r.data) : JSON.stringify(r)));
    for (const jit of [false, true]) {
      const prog = loadObject(fixture('bloom')).program('bloom_op');
      const ours = OPS.map(([op, which, value]) => result(prog.runXdp(packet(op, which, value), { jit }).packet));
      expect(ours, jit ? 'JIT' : 'interpreter').toEqual(kernel);
    }
  });

  it('a lookup or a pop on a bloom filter is refused by both', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const [lookup, pop] = k.exec([
      { op: 'obj', path: BLOOM_BAD_O, program: 'lookup_bloom' },
      { op: 'obj', path: BLOOM_BAD_O, program: 'pop_bloom' },
    ]);
    expect(lookup).toMatchObject({ kind: 'obj', accepted: false });
    expect(pop).toMatchObject({ kind: 'obj', accepted: false });
    expect(() => loadObject(fixture('bloom_bad')).program('lookup_bloom')).toThrow(/map_type 30/);
    expect(() => loadObject(fixture('bloom_bad')).program('pop_bloom')).toThrow(/map_type 30/);
  });
});
