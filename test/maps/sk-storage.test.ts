/**
 * Socket-local storage without the kernel: the shape rules (max_entries 0 and BPF_F_NO_PREALLOC), one
 * value per host socket, the host's view keyed by socket index, and hostile arguments: addresses that
 * are no socket, sockets beyond the table, a value pointer outside memory.
 */
import { describe, expect, it } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { createMap } from '../../src/maps/create.js';
import { checkMapShape, MapFlag } from '../../src/maps/rules.js';
import { SkStorageMap } from '../../src/maps/sk-storage.js';
import { MapType } from '../../src/maps/types.js';
import { skStorageHelpers } from '../../src/helpers/sk-storage.js';
import { SocketMemory } from '../../src/helpers/sockets.js';
import { SocketTable } from '../../src/helpers/socket-table.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

const spec = { name: 'store', type: MapType.SK_STORAGE, keySize: 4, valueSize: 12, maxEntries: 0, flags: MapFlag.NO_PREALLOC };

describe('SK_STORAGE maps', () => {
  it('follow the kernel shape rules', () => {
    expect(() => checkMapShape(spec)).not.toThrow();
    expect(() => checkMapShape({ ...spec, maxEntries: 1 })).toThrow(/takes max_entries 0/);
    expect(() => checkMapShape({ ...spec, flags: 0 })).toThrow(/needs map_flags BPF_F_NO_PREALLOC/);
    expect(() => checkMapShape({ ...spec, flags: MapFlag.NO_PREALLOC | MapFlag.MMAPABLE })).toThrow(/does not take map_flags BPF_F_MMAPABLE/);
    expect(() => checkMapShape({ ...spec, type: MapType.HASH })).toThrow(/max_entries must be at least 1/);
    expect(() => checkMapShape({ ...spec, type: MapType.LPM_TRIE, maxEntries: 4, flags: 0 })).toThrow(/LPM_TRIE needs map_flags BPF_F_NO_PREALLOC/);
    expect(() => createMap(new VmMemory(), { ...spec, keySize: 8 }, { socketCount: 2 })).toThrow(/keys must be 4 bytes/);
    expect(() => createMap(new VmMemory(), spec, { socketCount: 1 << 20 })).toThrow(EbpfError);
  });

  it('hold one value per host socket, keyed by its index for the host', () => {
    const m = createMap(new VmMemory(), spec, { socketCount: 2 }) as SkStorageMap;
    expect(m).toBeInstanceOf(SkStorageMap);
    const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
    m.update(key(1), new Uint8Array(12).fill(5));
    expect(m.lookup(key(1))).toEqual(new Uint8Array(12).fill(5));
    expect(() => m.update(key(2), new Uint8Array(12))).toThrow(/not a host socket/);
    expect(m.programLookup()).toBe(0);
    expect(m.delete(key(1))).toBe(true);
    expect(m.delete(key(1))).toBe(false);
    expect(m.storageGet(0, false, undefined)).toBe(0);
    const a = m.storageGet(0, true, undefined);
    expect(a).not.toBe(0);
    expect(m.storageGet(0, true, undefined)).toBe(a);
    expect(m.storageGet(1, true, new Uint8Array(12).fill(9))).not.toBe(0);
    expect(m.lookup(key(1))).toEqual(new Uint8Array(12).fill(9));
    expect(m.storageDelete(1)).toBe(0);
    expect(m.storageDelete(1)).toBe(-2);
  });

  it('stop the run on an address that is no host socket, and fault on a value outside memory', () => {
    const memory = new VmMemory();
    const table = new SocketTable([{ protocol: 'tcp', local: '127.0.0.1:80' }, { protocol: 'tcp', local: '127.0.0.1:81', remote: '10.0.0.1:5', state: 'time_wait' }]);
    const sockets = new SocketMemory(memory, table);
    const map = createMap(memory, spec, { socketCount: 2 });
    const helpers = skStorageHelpers({ memory, mapByHandle: (h) => (h === map.handle ? map : undefined) }, sockets);
    const ctx: HelperContext = { memory, pc: 3, host: undefined, tailCall: () => false };
    const get = helpers.get(107)!.fn;
    const del = helpers.get(108)!.fn;
    const sk = BigInt(sockets.address(table.sockets[0]!));
    const h = BigInt(map.handle);
    expect(() => get(h, sk + 8n, 0n, 1n, 0n, ctx)).toThrow(/not a socket of the host/);
    expect(() => get(h, 1n << 40n, 0n, 1n, 0n, ctx)).toThrow(/not a socket of the host/);
    expect(() => get(sk, sk, 0n, 1n, 0n, ctx)).toThrow(/not a map of this object/);
    expect(() => get(h, sk, 0x10n, 1n, 0n, ctx)).toThrow(EbpfError);
    expect(get(h, 0n, 0n, 1n, 0n, ctx)).toBe(0);
    expect(get(h, sk, 0n, 3n, 0n, ctx)).toBe(0);
    // a timewait socket is not a full socket: no storage
    expect(get(h, BigInt(sockets.address(table.sockets[1]!)), 0n, 1n, 0n, ctx)).toBe(0);
    expect(get(h, sk, 0n, 1n, 0n, ctx)).not.toBe(0);
    expect(del(h, sk, 0n, 0n, 0n, ctx)).toBe(0);
    expect(del(h, sk, 0n, 0n, 0n, ctx)).toBe(BigInt.asUintN(64, -2n));
    expect(del(h, 0n, 0n, 0n, 0n, ctx)).toBe(BigInt.asUintN(64, -22n));
  });

  it('load from an object with no sockets described: every lookup finds nothing, so nothing is stored', () => {
    const obj = loadObject(fixture('sk_storage'));
    const d = new Uint8Array(64);
    d[12] = 1;
    let out: Uint8Array = new Uint8Array(0);
    obj.program('storage_op').runTc(d, { inspect: (_s, p) => (out = p) });
    expect(out[32]).toBe(0);
    expect(obj.map('counts').entries()).toEqual([]);
  });
});
