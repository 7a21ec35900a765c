/**
 * Map shape rules and socket-local storage against the kernel.
 * - BPF_MAP_CREATE of every map type src/maps/rules.ts knows, with each map_flags bit and with
 *   max_entries 0 and 1: the kernel creates the map exactly when `checkMapShape` lets it through.
 * - BPF_MAP_TYPE_SK_STORAGE (which needs BTF, so it goes through libbpf): test/fixtures/elf/sk_storage.c
 *   loads as declared (max_entries 0, BPF_F_NO_PREALLOC) and is refused sized to 1 entry, in both;
 *   sk_storage_bad.c (bpf_map_lookup_elem on the storage) is refused by both.
 * - A sequence of bpf_sk_storage_get / _delete runs (create, create from a value, count up, delete twice,
 *   an unknown flag) on a real listening socket in the kernel and on a socket table describing it in
 *   tsbpf, interpreter and JIT: the same results.
 */
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { checkMapShape, MapFlag } from '../../src/maps/rules.js';
import { MapType } from '../../src/maps/types.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, type KernelRequest, kernelSkipReason } from './runner.js';

const reason = kernelSkipReason();

const SK_STORAGE_O = fileURLToPath(new URL('../fixtures/elf/sk_storage.o', import.meta.url));
const SK_STORAGE_BAD_O = fileURLToPath(new URL('../fixtures/elf/sk_storage_bad.o', import.meta.url));

/** A valid key, value and entry count per type (the rule under test is max_entries and map_flags). */
const SHAPES: readonly [string, number, number, number, number][] = [
  ['HASH', MapType.HASH, 4, 8, 4], ['ARRAY', MapType.ARRAY, 4, 8, 4], ['PROG_ARRAY', MapType.PROG_ARRAY, 4, 4, 4],
  ['PERF_EVENT_ARRAY', MapType.PERF_EVENT_ARRAY, 4, 4, 4], ['PERCPU_HASH', MapType.PERCPU_HASH, 4, 8, 4],
  ['PERCPU_ARRAY', MapType.PERCPU_ARRAY, 4, 8, 4], ['STACK_TRACE', MapType.STACK_TRACE, 4, 8, 4], ['LRU_HASH', MapType.LRU_HASH, 4, 8, 4],
  ['LRU_PERCPU_HASH', MapType.LRU_PERCPU_HASH, 4, 8, 4], ['LPM_TRIE', MapType.LPM_TRIE, 8, 8, 4], ['DEVMAP', MapType.DEVMAP, 4, 4, 4],
  ['SOCKMAP', MapType.SOCKMAP, 4, 4, 4], ['CPUMAP', MapType.CPUMAP, 4, 4, 4], ['XSKMAP', MapType.XSKMAP, 4, 4, 4],
  ['SOCKHASH', MapType.SOCKHASH, 4, 4, 4], ['QUEUE', MapType.QUEUE, 0, 8, 4], ['STACK', MapType.STACK, 0, 8, 4],
  ['DEVMAP_HASH', MapType.DEVMAP_HASH, 4, 4, 4], ['RINGBUF', MapType.RINGBUF, 0, 0, 4096], ['BLOOM_FILTER', MapType.BLOOM_FILTER, 0, 8, 4], ['CGROUP_ARRAY', MapType.CGROUP_ARRAY, 4, 4, 4], ['USER_RINGBUF', MapType.USER_RINGBUF, 0, 0, 4096],
  ['CGROUP_STORAGE', MapType.CGROUP_STORAGE, 8, 8, 0], ['PERCPU_CGROUP_STORAGE', MapType.PERCPU_CGROUP_STORAGE, 16, 8, 0],
];

const listen = (): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => resolve(s));
  });

describe.skipIf(reason !== undefined)('map shape rules and socket-local storage: tsbpf and the kernel', () => {
  it('BPF_MAP_CREATE accepts exactly the max_entries and map_flags checkMapShape accepts', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const cases: { name: string; type: number; keySize: number; valueSize: number; maxEntries: number; flags: number }[] = [];
    for (const [name, type, keySize, valueSize, maxEntries] of SHAPES) {
      const base = type === MapType.LPM_TRIE ? MapFlag.NO_PREALLOC : 0;
      // The build-id flag needs build-id sized values: left to the stack trace map's own checks.
      for (let bit = -1; bit < 19; bit++) if (bit !== 5) cases.push({ name, type, keySize, valueSize, maxEntries, flags: bit < 0 ? 0 : base | (1 << bit) });
      for (const n of [0, 1]) if (type !== MapType.RINGBUF && type !== MapType.USER_RINGBUF) cases.push({ name, type, keySize, valueSize, maxEntries: n, flags: base });
    }
    const out = k.exec(cases.map((c) => ({ op: 'map', ...c })));
    const differ: string[] = [];
    cases.forEach((c, i) => {
      let ours = true;
      try {
        checkMapShape({ ...c });
      } catch {
        ours = false;
      }
      // libbpf sizes a 0-entry perf event array (one slot per CPU) before BPF_MAP_CREATE, as tsbpf does
      const kernel = out[i]!.kind === 'ok' || (c.type === MapType.PERF_EVENT_ARRAY && c.maxEntries === 0);
      if (ours !== kernel) differ.push(`${c.name} max_entries ${c.maxEntries} flags 0x${c.flags.toString(16)}: kernel ${kernel ? 'creates' : 'refuses'}, tsbpf ${ours ? 'creates' : 'refuses'}`);
    });
    expect(differ).toEqual([]);
  });

  it('an SK_STORAGE map loads with max_entries 0 and BPF_F_NO_PREALLOC, not sized; a plain lookup in it is refused', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const [asDeclared, sized, bad] = k.exec([
      { op: 'obj', path: SK_STORAGE_O, program: 'storage_op' },
      { op: 'obj', path: SK_STORAGE_O, program: 'storage_op', sizes: { counts: 1 } },
      { op: 'obj', path: SK_STORAGE_BAD_O, program: 'lookup_storage' },
    ]);
    expect(asDeclared).toMatchObject({ kind: 'obj', accepted: true });
    expect(sized).toMatchObject({ kind: 'obj', accepted: false });
    expect(bad).toMatchObject({ kind: 'obj', accepted: false });
    expect(() => loadObject(fixture('sk_storage')).program('storage_op')).not.toThrow();
    expect(() => loadObject(fixture('sk_storage'), { mapSizes: { counts: 1 } }).program('storage_op')).toThrow(/counts.*max_entries 0/);
    expect(() => loadObject(fixture('sk_storage_bad')).program('lookup_storage')).toThrow(/cannot pass map_type 24 into func bpf_map_lookup_elem/);
  });

  describe('bpf_sk_storage_get / _delete on a real socket', () => {
    let server: Server | undefined;
    let port = 0;
    beforeAll(async () => {
      server = await listen();
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => server?.close());

    /** [operation, initial count]: see sk_storage.c. */
    const OPS: readonly [number, bigint][] = [[0, 0n], [1, 0n], [1, 0n], [0, 0n], [4, 0n], [3, 0n], [3, 0n], [0, 0n], [2, 41n], [2, 99n], [0, 0n], [3, 0n], [2, 0xffff_ffff_ffff_ffffn], [0, 0n]];
    const packet = (op: number, init: bigint): Uint8Array => {
      const d = new Uint8Array(64);
      const v = new DataView(d.buffer);
      d.set([10, 0, 0, 1, 127, 0, 0, 1], 0);
      v.setUint16(8, 1234);
      v.setUint16(10, port);
      d[12] = op;
      v.setBigUint64(24, init, true);
      return d;
    };
    const show = (d: Uint8Array): string => {
      const v = new DataView(d.buffer, d.byteOffset, d.length);
      return `found ${v.getBigUint64(32, true)} value ${v.getBigUint64(40, true)} count ${v.getBigUint64(48, true)} delete ${v.getBigInt64(56, true)}`;
    };

    it('gives the kernel results on both engines', () => {
      const k = kernelOracle();
      if (typeof k === 'string') throw new Error(k);
      const requests: KernelRequest[] = [{ op: 'obj', path: SK_STORAGE_O, program: 'storage_op' }];
      for (const [op, init] of OPS) requests.push({ op: 'run', prog: { ref: 0 }, data: packet(op, init) });
      const out = k.exec(requests);
      expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
      const kernel = out.slice(1).map((r) => (r.kind === 'run' ? show(r.data) : JSON.stringify(r)));
      for (const jit of [false, true]) {
        const prog = loadObject(fixture('sk_storage'), { sockets: [{ protocol: 'tcp', local: `127.0.0.1:${port}` }] }).program('storage_op');
        const ours = OPS.map(([op, init]) => {
          let d: Uint8Array = new Uint8Array(0);
          prog.runTc(packet(op, init), { jit, inspect: (_s, pkt) => (d = pkt) });
          return show(d);
        });
        expect(ours, jit ? 'JIT' : 'interpreter').toEqual(kernel);
      }
    });
  });
});
