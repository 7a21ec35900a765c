/**
 * SOCKMAP / SOCKHASH from sock_ops (test/fixtures/elf/sock_map.c), both engines: the context's socket
 * added by index and by key with the update flags' rules, only on the established and listen
 * callbacks and for full sockets, deleted by the program; the host's view by socket index; hostile host
 * values (sockets that do not exist).
 */
import { describe, expect, it } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import { createMap } from '../../src/maps/create.js';
import type { SockMap } from '../../src/maps/sock-map.js';
import { MapType } from '../../src/maps/types.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

const SOCKETS: SocketDescription[] = [
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:5000' },
  { protocol: 'tcp', local: '10.0.0.2:81', remote: '10.0.0.1:5001' },
  { protocol: 'tcp', local: '10.0.0.2:82', remote: '10.0.0.1:5002' },
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.9:1', state: 'syn_recv' },
];
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

describe.each([false, true])('socket maps from sock_ops (jit %s)', (jit) => {
  const results = (obj: BpfObject): bigint[] => [0, 1, 2].map((i) => new DataView(obj.map('results').lookup(u32(i))!.buffer).getBigInt64(0, true));
  const run = (obj: BpfObject, op: number | 'active_established_cb', socket: number, args: number[]): bigint[] => {
    obj.program('sock_map_probe').runSockOps({ op, socket, args }, { jit });
    return results(obj);
  };

  it('adds the socket by index and by key, following the flags and the sizes', () => {
    const obj = loadObject(fixture('sock_map'), { sockets: SOCKETS });
    expect(run(obj, 'active_established_cb', 0, [1, 0])).toEqual([0n, 0n, 0n]);
    expect(run(obj, 'active_established_cb', 1, [1, 1])).toEqual([-17n, 0n, 0n]); // NOEXIST on a taken index: -EEXIST; port 81 is new
    expect(run(obj, 'active_established_cb', 1, [2, 2])).toEqual([-2n, 0n, 0n]); // EXIST: index 2 is free (-ENOENT), port 81 is there
    expect(run(obj, 'active_established_cb', 2, [4, 0])).toEqual([-7n, -7n, 0n]); // index 4 of 4; a third key in 2 slots: -E2BIG
    expect(run(obj, 5, 1, [3, 9])).toEqual([-22n, -22n, 0n]); // flags 9
    const byIndex = obj.map('by_index') as SockMap;
    expect(byIndex.keys().map((k) => k[0])).toEqual([1]);
    expect(byIndex.lookup(u32(1))).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]));
    expect((obj.map('by_port') as SockMap).keys().map((k) => new DataView(k.buffer).getUint32(0, true))).toEqual([80, 81]);
    expect(run(obj, 'active_established_cb', 0, [1, 0, 1])[2]).toBe(0n);
    expect(run(obj, 'active_established_cb', 0, [1, 0, 1])[2]).toBe(-2n);
    expect(byIndex.size).toBe(0);
  });

  it('refuses other callbacks (-EOPNOTSUPP) and request sockets (-EINVAL)', () => {
    const obj = loadObject(fixture('sock_map'), { sockets: SOCKETS });
    expect(run(obj, 3, 0, [0, 0])).toEqual([-95n, -95n, 0n]);
    expect(run(obj, 11, 3, [0, 0])).toEqual([-22n, -22n, 0n]);
  });
});

describe('socket maps for the host', () => {
  it('take socket indexes the host described, and refuse others', () => {
    const m = createMap(new VmMemory(), { name: 'm', type: MapType.SOCKHASH, keySize: 8, valueSize: 4, maxEntries: 2, flags: 0 }, { socketCount: 2 }) as SockMap;
    m.update(new Uint8Array(8), u32(1));
    expect(m.lookup(new Uint8Array(8))).toEqual(u32(1));
    expect(() => m.update(new Uint8Array(8).fill(1), u32(2))).toThrow(/not a host socket/);
    expect(() => m.update(new Uint8Array(8), new Uint8Array(3))).toThrow(EbpfError);
    expect(m.programLookup(new Uint8Array(8).fill(2))).toBe(0);
    expect(() => m.programLookup(new Uint8Array(8))).toThrow(/sockets are not mapped/);
    m.socketAddress = (i) => 0x1000 + 80 * i;
    expect(m.programLookup(new Uint8Array(8))).toBe(0x1000 + 80);
    expect(() => createMap(new VmMemory(), { name: 'm', type: MapType.SOCKMAP, keySize: 8, valueSize: 4, maxEntries: 2, flags: 0 })).toThrow(/keys must be 4 bytes/);
    expect(() => createMap(new VmMemory(), { name: 'm', type: MapType.SOCKMAP, keySize: 4, valueSize: 2, maxEntries: 2, flags: 0 })).toThrow(/values must be 4 or 8/);
  });
});
