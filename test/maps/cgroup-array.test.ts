/**
 * Cgroup arrays without the kernel: 4-byte keys and values, slots set by id (setCgroup, or an update whose
 * value is the id), the tests over a described hierarchy (a socket's and a task's `cgroupIds`, root
 * first) on both engines, a tracing program's task, and hostile arguments: ids 0 or past 64 bits, slots
 * past the array, a lookup the kernel's verifier refuses, an skb without a socket.
 */
import { describe, expect, it } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { CgroupArrayMap } from '../../src/maps/cgroup-array.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

const spec = { name: 'cg', type: MapType.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 };
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

describe('CGROUP_ARRAY maps', () => {
  it('hold cgroups by id in 4-byte slots', () => {
    const mem = new VmMemory();
    expect(() => createMap(mem, { ...spec, valueSize: 8 })).toThrow(/4-byte keys and values/);
    expect(() => createMap(mem, { ...spec, maxEntries: 0 })).toThrow(/max_entries must be at least 1/);
    const m = createMap(mem, spec) as CgroupArrayMap;
    m.update(u32(0), u32(1));
    m.setCgroup(3, 0xffff_ffff_1234n);
    expect(m.cgroups()).toEqual([[0, 1n], [3, 0xffff_ffff_1234n]]);
    expect(() => m.update(u32(4), u32(1))).toThrow(/E2BIG/);
    expect(() => m.update(u32(1), u32(0))).toThrow(/EBADF/);
    expect(() => m.update(u32(0), u32(5), 1)).toThrow(/EEXIST/);
    for (const bad of [0n, -1n, 1n << 64n]) expect(() => m.setCgroup(1, bad)).toThrow(EbpfError);
    for (const bad of [-1, 4, 1.5, Number.NaN]) expect(() => m.setCgroup(bad, 1n)).toThrow(EbpfError);
    expect(m.lookup()).toBeUndefined();
    expect(m.keys()).toEqual([]);
    expect(m.delete(u32(3))).toBe(true);
    expect(m.delete(u32(3))).toBe(false);
    expect(m.cgroup(3)).toBeUndefined();
  });

  it('test the described socket and task on both engines', () => {
    const packet = (op: number, slot: number): Uint8Array => {
      const d = new Uint8Array(64);
      d[0] = op;
      new DataView(d.buffer).setUint32(4, slot, true);
      return d;
    };
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('cgroup_array'));
      const map = obj.map('cgroups') as CgroupArrayMap;
      map.setCgroup(0, 1n);
      map.setCgroup(1, 40n);
      map.setCgroup(2, 41n);
      const prog = obj.program('under');
      const run = (op: number, slot: number, socket: { cgroupIds: bigint[] } | null = { cgroupIds: [1n, 40n, 41n] }): bigint => {
        let d: Uint8Array = new Uint8Array(0);
        prog.runTc(packet(op, slot), { jit, socket: socket === null ? null : { cookie: 1n, uid: 0, classid: 0, ...socket }, inspect: (_s, p) => (d = p) });
        return new DataView(d.buffer, d.byteOffset).getBigInt64(8, true);
      };
      expect([0, 1, 2, 3, 9].map((slot) => run(0, slot))).toEqual([1n, 1n, 1n, -11n, -7n]);
      expect([0, 1, 2].map((slot) => run(0, slot, { cgroupIds: [1n, 40n] }))).toEqual([1n, 1n, 0n]);
      expect(run(0, 0, null)).toBe(-2n);
      // A tc run's task is the idle task, in the root cgroup.
      expect([0, 1, 2].map((slot) => run(1, slot))).toEqual([1n, 0n, 0n]);
    }
  });

  it('test a tracing event\'s task, described by its cgroups', () => {
    const obj = loadObject(fixture('cgroup_array'));
    (obj.map('cgroups') as CgroupArrayMap).setCgroup(1, 40n);
    const prog = obj.program('task_in_cgroup');
    const last = (): bigint => new DataView(obj.map('last').lookup(u32(0))!.buffer).getBigInt64(0, true);
    prog.runEvent({}, { task: { pid: 7, cgroupIds: [1n, 40n, 52n] } });
    expect(last()).toBe(1n);
    prog.runEvent({}, { task: { pid: 7, cgroupId: 40n } });
    expect(last()).toBe(1n);
    prog.runEvent({}, { task: { pid: 7, cgroupId: 41n } });
    expect(last()).toBe(0n);
    expect(() => prog.runEvent({}, { task: { pid: 7, cgroupIds: new Array(1000).fill(1n) } })).toThrow(/cgroupIds must be an array of at most/);
    expect(() => prog.runEvent({}, { task: { pid: 7, cgroupIds: [-1n] } })).toThrow(EbpfError);
  });
});
