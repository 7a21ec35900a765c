/**
 * Hash maps declaring more than a user-space run uses, against the kernel: test/fixtures/elf/big_hash.c
 * (a hash map of 1,000,000 values of 1600 bytes with BPF_F_NO_PREALLOC, as kmesh's `kmesh_map1600`, and
 * an LRU hash map of the same shape, resized here so the kernel need not preallocate it) runs the same
 * operations in the kernel through BPF_PROG_TEST_RUN and in tsbpf on both engines, with the same
 * results: inserts, lookups, writes through a value pointer held while the map grows, deletes, the
 * update flags' errors, and -E2BIG once `max_entries` (resized before load on both sides) is reached.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, type KernelRequest, kernelSkipReason } from './runner.js';
import { BIG_OPS, bigPacket, bigResult, FULL_OPS } from '../maps/big-hash-ops.js';

const reason = kernelSkipReason();
const BIG_O = fileURLToPath(new URL('../fixtures/elf/big_hash.o', import.meta.url));

function kernelResults(sizes: Record<string, number>, ops: readonly (readonly [number, number, number, bigint])[]): (bigint | string)[] {
  const k = kernelOracle();
  if (typeof k === 'string') throw new Error(k);
  const requests: KernelRequest[] = [{ op: 'obj', path: BIG_O, program: 'big_op', sizes }];
  for (const [op, which, key, word] of ops) requests.push({ op: 'run', prog: { ref: 0 }, data: bigPacket(op, which, key, word) });
  const out = k.exec(requests);
  expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
  return out.slice(1).map((r) => (r.kind === 'run' ? bigResult(r.data) : JSON.stringify(r)));
}

function ourResults(sizes: Record<string, number>, ops: readonly (readonly [number, number, number, bigint])[], jit: boolean): bigint[] {
  const prog = loadObject(fixture('big_hash'), { mapSizes: sizes }).program('big_op');
  return ops.map(([op, which, key, word]) => bigResult(prog.runXdp(bigPacket(op, which, key, word), { jit }).packet));
}

describe.skipIf(reason !== undefined)('hash maps larger than a run uses: tsbpf and the kernel', () => {
  it('a 1.6 GB hash map (BPF_F_NO_PREALLOC) gives the kernel results on both engines', () => {
    // The LRU map preallocates in the kernel: 1000 values there and here.
    const sizes = { big_lru: 1000 };
    const kernel = kernelResults(sizes, BIG_OPS);
    for (const jit of [false, true]) expect(ourResults(sizes, BIG_OPS, jit), jit ? 'JIT' : 'interpreter').toEqual(kernel);
  });

  it('max_entries resized before load: -E2BIG once it is reached, as in the kernel', () => {
    const sizes = { big: 100, big_lru: 1000 };
    const kernel = kernelResults(sizes, FULL_OPS);
    expect(kernel).toContain(-7n);
    for (const jit of [false, true]) expect(ourResults(sizes, FULL_OPS, jit), jit ? 'JIT' : 'interpreter').toEqual(kernel);
  });
});
