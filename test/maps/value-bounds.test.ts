/**
 * Map values are bounded per value, not per map: an access through a value pointer stays inside that one
 * value, a slot that never held an element cannot be reached, a deleted element's value stays reachable for
 * the rest of the run (as the kernel's), and a ring buffer record (header
 * included) cannot be reached once submitted or discarded. On every engine.
 */
import { describe, expect, it } from 'vitest';
import { assemble, EbpfVmRaw, MemoryAccessError } from '../../src/index.js';
import { ArrayMap } from '../../src/maps/array.js';
import { HashMap } from '../../src/maps/hash.js';
import { LpmTrieMap } from '../../src/maps/lpm.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { MapType, type MapSpec } from '../../src/maps/types.js';
import type { BpfMap } from '../../src/maps/map.js';

const engines = [
  ['interpreter', (vm: EbpfVmRaw) => vm.executeProgram()],
  ['interpreter JS loop', (vm: EbpfVmRaw) => vm.executeProgram()],
  ['jit', (vm: EbpfVmRaw) => vm.executeProgramJit()],
] as const;

const spec = (type: number, valueSize: number, maxEntries = 4, keySize = 4): MapSpec => ({ name: 'm', type, keySize, valueSize, maxEntries, flags: 0 });
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/**
 * A VM running `source` with helpers on `make(vm)`'s map: 1 lookup(key r1) -> pointer, 2 update(key r1,
 * value byte r2), 3 delete(key r1), 4 reserve(len r1) -> pointer, 5 submit(pointer r1), 6 discard(pointer r1).
 */
function setup(name: string, source: string, make: (vm: EbpfVmRaw) => BpfMap): { vm: EbpfVmRaw; map: BpfMap } {
  const vm = new EbpfVmRaw(assemble(source), { verifier: () => {}, ...(name === 'interpreter JS loop' ? { interpreter: { wasmCore: false } } : {}) });
  const map = make(vm);
  const key = (r: bigint): Uint8Array => (map instanceof LpmTrieMap ? new Uint8Array([32, 0, 0, 0, ...u32(Number(r))]) : u32(Number(r)));
  vm.registerHelper(1, (r1) => map.programLookup(key(r1), 0));
  vm.registerHelper(2, (r1, r2) => map.programUpdate(key(r1), new Uint8Array(map.valueSize).fill(Number(r2)), 0, 0));
  vm.registerHelper(3, (r1) => map.programDelete(key(r1)));
  vm.registerHelper(4, (r1) => (map as RingBufMap).reserve(Number(r1)));
  vm.registerHelper(5, (r1) => ((map as RingBufMap).finish(Number(r1), false) ? 0 : 1));
  vm.registerHelper(6, (r1) => ((map as RingBufMap).finish(Number(r1), true) ? 0 : 1));
  return { vm, map };
}

const fails = (run: () => unknown, what: RegExp): void => {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MemoryAccessError);
  expect(String((error as Error).message)).toMatch(what);
};

const arrays = () => [
  ['array', (vm: EbpfVmRaw) => new ArrayMap(vm.memory, spec(MapType.ARRAY, 12))],
  ['per-CPU array', (vm: EbpfVmRaw) => new ArrayMap(vm.memory, spec(MapType.PERCPU_ARRAY, 12), 2)],
  ['hash', (vm: EbpfVmRaw) => new HashMap(vm.memory, spec(MapType.HASH, 12))],
  ['LRU hash', (vm: EbpfVmRaw) => new HashMap(vm.memory, spec(MapType.LRU_HASH, 12))],
  ['per-CPU hash', (vm: EbpfVmRaw) => new HashMap(vm.memory, spec(MapType.PERCPU_HASH, 12), 2)],
  ['LPM trie', (vm: EbpfVmRaw) => new LpmTrieMap(vm.memory, spec(MapType.LPM_TRIE, 12, 4, 8))],
] as const;

describe.each(engines)('map values on the %s', (name, run) => {
  // Element 0 and 1 present; r6 = pointer to element 0's value.
  const prologue = 'mov r1, 0\nmov r2, 1\ncall 2\nmov r1, 1\nmov r2, 2\ncall 2\nmov r1, 0\ncall 1\nmov r6, r0\n';

  it.each(arrays())('%s: the value\'s own bytes are reachable', (_what, make) => {
    const { vm } = setup(name, `${prologue}ldxw r0, [r6+8]\nstw [r6+8], 7\nldxb r1, [r6+11]\nadd r0, r1\nexit`, make);
    expect(run(vm)).toBe(0x01010101n);
  });

  it.each(arrays())('%s: an 8-byte store past the value faults instead of changing the next element', (_what, make) => {
    const { vm, map } = setup(name, `${prologue}stdw [r6+8], -1\nmov r0, 0\nexit`, make);
    fails(() => run(vm), /not inside one value of map:m/);
    if (!(map instanceof LpmTrieMap)) expect([...map.lookup(u32(1))!.subarray(0, 12)]).toEqual(Array(12).fill(2));
  });

  it.each(arrays())('%s: a load past the value, or before it, faults', (_what, make) => {
    fails(() => run(setup(name, `${prologue}ldxdw r0, [r6+16]\nexit`, make).vm), /not inside one value/);
    fails(() => run(setup(name, `${prologue}ldxb r0, [r6-1]\nexit`, make).vm), /not inside one value|out-of-bounds/);
  });

  const churning = () => arrays().filter(([w]) => w.includes('hash') || w.includes('LPM'));

  it.each(churning())('%s: a value pointer stays valid for the rest of the run after its element\'s delete, as the kernel\'s', (_what, make) => {
    // The old value is read, and a store through the pointer lands (lookup, delete, use: bcc's tools).
    const { vm } = setup(name, `${prologue}mov r1, 0\ncall 3\nmov r7, r0\nldxw r0, [r6]\nstw [r6], 9\nldxw r1, [r6]\nadd r0, r1\nadd r0, r7\nexit`, make);
    expect(run(vm)).toBe(0x01010101n + 9n);
    // A new element takes the slot freed last (the kernel's free list does too): the old pointer sees its value.
    const reuse = setup(name, `${prologue}mov r1, 0\ncall 3\nmov r1, 5\nmov r2, 3\ncall 2\nldxw r0, [r6]\nexit`, make);
    expect(run(reuse.vm)).toBe(0x03030303n);
  });

  it.each(churning())('%s: a value slot that never held an element faults', (_what, make) => {
    // Values are 24 bytes apart (12 rounded to 16, and the gap): r6 + 48 is the third slot, never used.
    fails(() => run(setup(name, `${prologue}ldxw r0, [r6+48]\nexit`, make).vm), /has never held an element/);
  });

  it('a ring buffer record is reachable while reserved, and neither it nor its header after submit or discard', () => {
    const make = (vm: EbpfVmRaw) => new RingBufMap(vm.memory, spec(MapType.RINGBUF, 0, 4096, 0));
    const { vm, map } = setup(name, 'mov r1, 16\ncall 4\nmov r6, r0\nstdw [r6], 5\nstdw [r6+8], 6\nmov r1, r6\ncall 5\nmov r0, 0\nexit', make);
    expect(run(vm)).toBe(0n);
    expect((map as RingBufMap).drain().length).toBe(1);
    for (const finish of [5, 6]) {
      fails(() => run(setup(name, `mov r1, 16\ncall 4\nmov r6, r0\nmov r1, r6\ncall ${finish}\nstdw [r6], 7\nmov r0, 0\nexit`, make).vm), /out-of-bounds/);
      fails(() => run(setup(name, `mov r1, 16\ncall 4\nmov r6, r0\nmov r1, r6\ncall ${finish}\nldxdw r0, [r6]\nexit`, make).vm), /out-of-bounds/);
    }
    fails(() => run(setup(name, 'mov r1, 16\ncall 4\nmov r6, r0\nstdw [r6-8], 7\nmov r1, r6\ncall 5\nmov r0, 0\nexit', make).vm), /out-of-bounds/);
    fails(() => run(setup(name, 'mov r1, 12\ncall 4\nmov r6, r0\nstdw [r6+8], 7\nmov r1, r6\ncall 5\nmov r0, 0\nexit', make).vm), /out-of-bounds/);
  });
});

describe('global data is one value', () => {
  it.each(engines)('a section of 40 bytes is reachable whole through its address (%s)', (name, run) => {
    const { vm } = setup(name, 'mov r1, 0\ncall 1\nstdw [r0+32], 3\nldxdw r1, [r0+32]\nldxdw r0, [r0]\nadd r0, r1\nexit', (v) => new ArrayMap(v.memory, { name: '.data', type: MapType.ARRAY, keySize: 4, valueSize: 40, maxEntries: 1, flags: 0 }));
    expect(run(vm)).toBe(3n);
  });
});
