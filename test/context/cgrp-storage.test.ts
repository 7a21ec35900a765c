/**
 * Cgroup-local storage (BPF_MAP_TYPE_CGRP_STORAGE): test/fixtures/elf/cgrp_storage.c's tp_btf programs on
 * both engines, given `struct cgroup` pointers of host-described cgroups: a value per cgroup id created on
 * demand, read without creating, deleted (-ENOENT the second time), NULL for a NULL cgroup; an address no
 * described cgroup has stops the run; hostile cgroup descriptions are ArgumentErrors; the host reads the
 * values by cgroup id.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';

const A = 0xffff_8880_0a00_0000n;
const B = 0xffff_8880_0b00_0000n;
const CGROUPS = [{ id: 4242n, address: A }, { id: 7n, address: B }];
const key = (id: number): Uint8Array => new Uint8Array(new Uint32Array([id]).buffer);

describe.each([false, true])('cgroup-local storage (jit %s)', (jit) => {
  it('keeps a value per described cgroup: create, read, delete', () => {
    const obj = loadObject(fixture('cgrp_storage'));
    const mkdir = obj.program('on_mkdir');
    const rmdir = obj.program('on_rmdir');
    const results = (): bigint[] => [0, 1, 2].map((i) => new DataView(obj.map('results').lookup(key(i))!.buffer).getBigInt64(0, true));
    const run = (prog: typeof mkdir, cgroup: bigint): bigint[] => {
      prog.runEvent({ args: [cgroup, 0n] }, { jit, cgroups: CGROUPS });
      return results();
    };
    expect(run(mkdir, A)[0]).toBe(1n);
    expect(run(mkdir, A)[0]).toBe(2n);
    expect(run(mkdir, B)[0]).toBe(1n);
    expect(obj.map('mkdirs').entries().map(([k, v]) => [new DataView(k.buffer).getUint32(0, true), new DataView(v.buffer).getBigInt64(0, true)])).toEqual([[4242, 2n], [7, 1n]]);
    expect(run(rmdir, A).slice(1)).toEqual([2n, 0n]);
    expect(run(rmdir, A).slice(1)).toEqual([-1n, -2n]); // gone: NULL, -ENOENT
    expect(run(mkdir, 0n)[0]).toBe(-1n); // a NULL cgroup has no storage
    expect(run(rmdir, 0n)[2]).toBe(-22n); // -EINVAL
    expect(() => mkdir.runEvent({ args: [0xdeadn, 0n] }, { jit, cgroups: CGROUPS })).toThrow(/bpf_cgrp_storage_get: 0xdead is not the address of a cgroup the run describes/);
    expect(() => mkdir.runEvent({ args: [A, 0n] }, { jit })).toThrow(EbpfError);
  });
});

describe('cgroup descriptions', () => {
  it('are checked', () => {
    const prog = loadObject(fixture('cgrp_storage')).program('on_mkdir');
    for (const [cgroups, message] of [
      [{}, /options.cgroups must be an array/],
      [[{ id: 1n << 32n, address: A }], /options.cgroups\[0\].id must be at most 2\^32 - 1/],
      [[{ id: 1n, address: 0n }], /options.cgroups\[0\].address must be a non-zero address/],
      [[{ id: 1n, address: A }, { id: 2n, address: A }], /options.cgroups\[1\].address/],
      [[{ id: 1, address: A }], /options.cgroups\[0\].id/],
    ] as const) {
      expect(() => prog.runEvent({ args: [A, 0n] }, { cgroups: cgroups as never })).toThrow(ArgumentError);
      expect(() => prog.runEvent({ args: [A, 0n] }, { cgroups: cgroups as never })).toThrow(message);
    }
  });

  it('the map takes max_entries 0 and BPF_F_NO_PREALLOC only', () => {
    expect(() => loadObject(fixture('cgrp_storage'), { mapSizes: { mkdirs: 1 } }).program('on_mkdir')).toThrow(/mkdirs.*max_entries 0/);
  });
});
