/**
 * Cgroup storage (BPF_MAP_TYPE_CGROUP_STORAGE, _PERCPU_CGROUP_STORAGE) and bpf_get_local_storage:
 * test/fixtures/elf/cgroup_storage.c's sock_ops program on both engines, attached to the cgroups the runs
 * name (a value per cgroup, and per attach type where the key says so; per CPU for the per-CPU map);
 * the host's view of the maps (lookup by key, update only of an attachment's value, no delete); the map
 * shapes the kernel refuses; the slot bound; the verifier's rules (flags 0, no plain lookups).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { EbpfError, MapError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { CgroupStorageMap, MAX_STORAGE_CGROUPS } from '../../src/maps/cgroup-storage.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import { checkProgram } from '../../src/verifier/index.js';
import { VmMemory } from '../../src/vm/memory.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';
import { cgroupAttachTypeOf } from '../../src/helpers/cgroup-storage.js';
import { fixture } from '../elf/fixtures.js';

const SOCKETS: SocketDescription[] = [{ protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:55601' }];
const SOCK_OPS = 3;

/** A 16-byte `struct bpf_cgroup_storage_key`. */
function storageKey(cgroup: bigint, attachType: number): Uint8Array {
  const k = new Uint8Array(16);
  const v = new DataView(k.buffer);
  v.setBigUint64(0, cgroup, true);
  v.setUint32(8, attachType, true);
  return k;
}
const idKey = (cgroup: bigint): Uint8Array => new Uint8Array(new BigUint64Array([cgroup]).buffer);
const u64s = (b: Uint8Array | undefined): bigint[] => (b === undefined ? [] : [...new BigUint64Array(b.slice().buffer)]);

describe.each([false, true])('cgroup storage from sock_ops (jit %s)', (jit) => {
  it('gives each cgroup its own value, kept from run to run, made zero on first use', () => {
    const obj = loadObject(fixture('cgroup_storage'), { sockets: SOCKETS, cpus: 2, cpu: 1 });
    const prog = obj.program('count_sockops');
    const counts = obj.map('counts', CgroupStorageMap);
    expect(counts.lookup(storageKey(1n, SOCK_OPS))).toBeUndefined();
    prog.runSockOps({ op: 'tcp_connect_cb', socket: 0 }, { jit }); // the root cgroup (1)
    prog.runSockOps({ op: 'rtt_cb', socket: 0 }, { jit, cgroup: 77n });
    prog.runSockOps({ op: 'state_cb', socket: 0 }, { jit, cgroup: 77n });
    expect(u64s(counts.lookup(storageKey(1n, SOCK_OPS)))).toEqual([1n, 3n]);
    expect(u64s(counts.lookup(storageKey(77n, SOCK_OPS)))).toEqual([2n, 12n + 10n]);
    // the same cgroup for another attach type is another value (16-byte keys), not yet made
    expect(counts.lookup(storageKey(77n, 1))).toBeUndefined();
    // per-CPU, keyed by the cgroup alone: the run's CPU (1) counted, CPU 0 untouched
    expect(u64s(obj.map('hits').lookup(idKey(77n)))).toEqual([0n, 2n]);
    expect(counts.keys().map((k) => u64s(k)[0])).toEqual([1n, 77n]);
  });

  it('lets the host change an attachment\'s value, never make or delete one', () => {
    const obj = loadObject(fixture('cgroup_storage'), { sockets: SOCKETS });
    const counts = obj.map('counts', CgroupStorageMap);
    const value = new Uint8Array(new BigUint64Array([40n, 0n]).buffer);
    expect(() => counts.update(storageKey(5n, SOCK_OPS), value)).toThrow(expect.objectContaining({ details: { errno: 2 } }) as Error);
    counts.attach(5n, SOCK_OPS);
    expect(() => counts.update(storageKey(5n, SOCK_OPS), value, 1)).toThrow(expect.objectContaining({ details: { errno: 22 } }) as Error);
    counts.update(storageKey(5n, SOCK_OPS), value);
    obj.program('count_sockops').runSockOps({ op: 3, socket: 0 }, { jit, cgroup: 5n });
    expect(u64s(counts.lookup(storageKey(5n, SOCK_OPS)))).toEqual([41n, 3n]);
    expect(() => counts.delete(storageKey(5n, SOCK_OPS))).toThrow(/lives as long as its attachment.*EINVAL/);
  });

  it(`stops a run with an EbpfError past ${MAX_STORAGE_CGROUPS} cgroups`, () => {
    const obj = loadObject(fixture('cgroup_storage'), { sockets: SOCKETS });
    const prog = obj.program('count_sockops');
    for (let i = 0; i < MAX_STORAGE_CGROUPS; i++) prog.runSockOps({ op: 3, socket: 0 }, { jit, cgroup: BigInt(1000 + i) });
    expect(() => prog.runSockOps({ op: 3, socket: 0 }, { jit, cgroup: 5n })).toThrow(/bpf_get_local_storage: map counts already has values for 64 attachments/);
    expect(() => obj.map('counts', CgroupStorageMap).attach(5n, SOCK_OPS)).toThrow(MapError);
  });
});

/** A 64-byte IPv4 frame (the skb a cgroup_skb program sees is its 50 bytes past the Ethernet header). */
function ipv4Frame(length = 64, etherType = 0x0800): Uint8Array {
  const f = new Uint8Array(length);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  f[14] = 0x45;
  return f;
}

describe.each([false, true])('cgroup_skb runs (jit %s)', (jit) => {
  it('see the frame past its Ethernet header and count in the attached cgroup\'s storage', () => {
    const obj = loadObject(fixture('cgroup_storage'));
    const egress = obj.program('count_egress');
    expect(obj.programs.find((p) => p.name === 'count_egress')!.type).toBe('cgroup_skb');
    expect(egress.runCgroupSkb(ipv4Frame(), { jit, cgroup: 5n })).toBe(1n);
    expect(egress.runCgroupSkb(ipv4Frame(), { jit, cgroup: 5n })).toBe(0n); // no longer a first run there
    expect(egress.runCgroupSkb(ipv4Frame(100), { jit, cgroup: 6n })).toBe(1n);
    const counts = obj.map('counts', CgroupStorageMap);
    expect(u64s(counts.lookup(storageKey(5n, 1)))).toEqual([2n, 100n]);
    expect(u64s(counts.lookup(storageKey(6n, 1)))).toEqual([1n, 86n]);
    expect(obj.program('skb_shape').runCgroupSkb(ipv4Frame(), { jit })).toBe(1n);
    expect(obj.program('skb_shape').runCgroupSkb(ipv4Frame(64, 0x0806), { jit })).toBe(0n);
    expect(() => egress.runCgroupSkb(new Uint8Array(13), { jit })).toThrow(/at least 14 bytes/);
  });
});

describe('cgroup storage rules', () => {
  const spec = (type: number, keySize: number, valueSize: number) => ({ name: 'm', type, keySize, valueSize, maxEntries: 0, flags: 0 });
  it('takes 8- or 16-byte keys, values up to the kernel\'s bounds, max_entries 0', () => {
    const memory = new VmMemory();
    expect(createMap(memory, spec(MapType.CGROUP_STORAGE, 8, 65407))).toBeInstanceOf(CgroupStorageMap);
    expect(createMap(memory, spec(MapType.PERCPU_CGROUP_STORAGE, 16, 32768), { cpus: 2 })).toBeInstanceOf(CgroupStorageMap);
    expect(() => createMap(memory, spec(MapType.CGROUP_STORAGE, 12, 8))).toThrow(expect.objectContaining({ details: { errno: 22 } }) as Error);
    expect(() => createMap(memory, spec(MapType.CGROUP_STORAGE, 8, 0))).toThrow(expect.objectContaining({ details: { errno: 22 } }) as Error);
    expect(() => createMap(memory, spec(MapType.CGROUP_STORAGE, 8, 65408))).toThrow(expect.objectContaining({ details: { errno: 7 } }) as Error);
    expect(() => createMap(memory, spec(MapType.PERCPU_CGROUP_STORAGE, 8, 32769))).toThrow(expect.objectContaining({ details: { errno: 7 } }) as Error);
    expect(() => createMap(memory, { ...spec(MapType.CGROUP_STORAGE, 8, 8), maxEntries: 1 })).toThrow(/max_entries 0/);
    expect(() => createMap(memory, { ...spec(MapType.CGROUP_STORAGE, 8, 8), flags: 1 })).toThrow(/BPF_F_NO_PREALLOC/);
  });

  it('attach types follow the section names', () => {
    expect(cgroupAttachTypeOf('cgroup_skb/egress')).toBe(1);
    expect(cgroupAttachTypeOf('cgroup_skb/ingress')).toBe(0);
    expect(cgroupAttachTypeOf('sockops')).toBe(3);
    expect(cgroupAttachTypeOf('cgroup/connect4')).toBe(10);
    expect(cgroupAttachTypeOf('sk_msg')).toBe(7);
    expect(cgroupAttachTypeOf('something')).toBe(0);
  });

  it('the verifier: flags must be 0, the value is never NULL and bounded, no plain lookup', () => {
    const maps = { 1: { type: MapType.CGROUP_STORAGE, keySize: 8, valueSize: 8, maxEntries: 0 } };
    const check = (src: string) => checkProgram(assemble(src), { level: 'kernel', programType: 'sock_ops', maps }).map((i) => i.message);
    expect(check('r1 = map_fd 1 ll\nr2 = 0\ncall 81\nr1 = *(u64 *)(r0 + 0)\nr0 = 1\nexit')).toEqual([]);
    expect(check('r1 = map_fd 1 ll\nr2 = 1\ncall 81\nr0 = 1\nexit').join()).toMatch(/get_local_storage\(\) doesn't support non-zero flags/);
    expect(check('r1 = map_fd 1 ll\nr2 = 0\ncall 81\nr1 = *(u64 *)(r0 + 8)\nr0 = 1\nexit').join()).toMatch(/map value/);
    expect(check('r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map_fd 1 ll\ncall 1\nr0 = 1\nexit').join()).toMatch(/cannot pass map_type 19 into func bpf_map_lookup_elem/);
    expect(checkProgram(assemble('r1 = map_fd 1 ll\nr2 = 0\ncall 81\nr0 = 0\nexit'), { level: 'kernel', programType: 'socket_filter', maps }).map((i) => i.message).join()).toMatch(/cannot use helper/);
  });

  it('a program reaching the map through a plain helper gets nothing from it (the engines, unverified)', () => {
    const obj = loadObject(fixture('cgroup_storage'), { sockets: SOCKETS });
    expect(obj.map('counts').programLookup(idKey(1n), 0)).toBe(0);
    expect(() => obj.map('counts').lookup(new Uint8Array(8))).toThrow(EbpfError);
  });
});
