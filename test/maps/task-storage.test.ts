/**
 * Task-local storage without the kernel: the shape rules (max_entries 0, BPF_F_NO_PREALLOC, 4-byte keys),
 * one value per task named by its pid for the host, the helpers over the current task and the run's other
 * tasks (by task_struct address), and hostile arguments: addresses that are no described task, a value
 * pointer outside memory, more tasks than the map has room for (NULL, as the kernel's allocation failure).
 */
import { describe, expect, it } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { createMap } from '../../src/maps/create.js';
import { checkMapShape, MapFlag } from '../../src/maps/rules.js';
import { MAX_STORAGE_TASKS, TaskStorageMap } from '../../src/maps/task-storage.js';
import { MapType } from '../../src/maps/types.js';
import { taskStorageHelpers } from '../../src/helpers/task-storage.js';
import { DEFAULT_TASK_ADDRESS } from '../../src/helpers/task.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { VmMemory } from '../../src/vm/memory.js';

const spec = { name: 'store', type: MapType.TASK_STORAGE, keySize: 4, valueSize: 12, maxEntries: 0, flags: MapFlag.NO_PREALLOC };
const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);

describe('TASK_STORAGE maps', () => {
  it('follow the kernel shape rules', () => {
    expect(() => checkMapShape(spec)).not.toThrow();
    expect(() => checkMapShape({ ...spec, maxEntries: 1 })).toThrow(/takes max_entries 0/);
    expect(() => checkMapShape({ ...spec, flags: 0 })).toThrow(/needs map_flags BPF_F_NO_PREALLOC/);
    expect(() => checkMapShape({ ...spec, flags: MapFlag.NO_PREALLOC | MapFlag.CLONE })).toThrow(/does not take map_flags BPF_F_CLONE/);
    expect(() => createMap(new VmMemory(), { ...spec, keySize: 8 })).toThrow(/keys must be 4 bytes/);
    expect(() => createMap(new VmMemory(), { ...spec, valueSize: 0 })).toThrow(/at least 1 byte/);
    // The room for every task counts against the map byte limit.
    expect(() => createMap(new VmMemory(), { ...spec, valueSize: 1 << 20 })).toThrow(/maxMapBytes|more than/);
  });

  it('hold one value per task, keyed by pid for the host, with bounded room', () => {
    const m = createMap(new VmMemory(), spec) as TaskStorageMap;
    m.update(key(7), new Uint8Array(12).fill(5));
    expect(m.lookup(key(7))).toEqual(new Uint8Array(12).fill(5));
    expect(m.programLookup()).toBe(0);
    expect(m.delete(key(7))).toBe(true);
    expect(m.delete(key(7))).toBe(false);
    const a = m.storageGet(1, true, undefined);
    expect(a).not.toBe(0);
    expect(m.storageGet(1, true, undefined)).toBe(a);
    for (let pid = 2; pid <= MAX_STORAGE_TASKS; pid++) expect(m.storageGet(pid, true, undefined)).not.toBe(0);
    expect(m.storageGet(MAX_STORAGE_TASKS + 1, true, undefined)).toBe(0);
    expect(() => m.update(key(MAX_STORAGE_TASKS + 1), new Uint8Array(12))).toThrow(/E2BIG/);
    expect(m.storageDelete(1)).toBe(0);
    expect(m.storageGet(MAX_STORAGE_TASKS + 1, true, undefined)).not.toBe(0);
  });

  it('find tasks by address among the run\'s, and stop on any other address', () => {
    const memory = new VmMemory();
    const map = createMap(memory, spec) as TaskStorageMap;
    const helpers = taskStorageHelpers(memory, (h) => (h === map.handle ? map : undefined));
    const host = { task: { pid: 10, address: 0xffff_8880_1000_0000n }, tasks: [{ pid: 11, address: 0xffff_8880_2000_0000n }] };
    const ctx: HelperContext = { memory, pc: 3, host, tailCall: () => false };
    const get = helpers.get(156)!.fn;
    const del = helpers.get(157)!.fn;
    const h = BigInt(map.handle);
    expect(get(h, 0xffff_8880_1000_0000n, 0n, 1n, 0n, ctx)).not.toBe(0);
    expect(get(h, 0xffff_8880_2000_0000n, 0n, 1n, 0n, ctx)).not.toBe(0);
    expect(map.keys().map((k) => k[0])).toEqual([10, 11]);
    expect(() => get(h, DEFAULT_TASK_ADDRESS, 0n, 1n, 0n, ctx)).toThrow(/not the address of a task the run describes/);
    expect(() => get(h, 1n << 40n, 0n, 1n, 0n, ctx)).toThrow(EbpfError);
    expect(() => get(h + 8n, 0xffff_8880_1000_0000n, 0n, 1n, 0n, ctx)).toThrow(/not a map of this object/);
    expect(() => get(h, 0xffff_8880_2000_0000n, 0x10n, 1n, 0n, ctx)).toThrow(EbpfError);
    expect(del(h, 0xffff_8880_2000_0000n, 0n, 0n, 0n, ctx)).toBe(0);
    expect(del(h, 0xffff_8880_2000_0000n, 0n, 0n, 0n, ctx)).toBe(BigInt.asUintN(64, -2n));
    expect(get(h, 0n, 0n, 1n, 0n, ctx)).toBe(0);
    expect(get(h, 0xffff_8880_1000_0000n, 0n, 3n, 0n, ctx)).toBe(0);
    expect(del(h, 0n, 0n, 0n, 0n, ctx)).toBe(BigInt.asUintN(64, -22n));
    // A run without a task: the idle task at the default address.
    const idle: HelperContext = { memory, pc: 3, host: undefined, tailCall: () => false };
    expect(get(h, DEFAULT_TASK_ADDRESS, 0n, 1n, 0n, idle)).not.toBe(0);
    expect(map.keys().map((k) => k[0])).toContain(0);
  });
});
