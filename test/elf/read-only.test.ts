/**
 * Read-only global data stays read-only through every path (issue 16 item 2): a map handle is a map
 * reference distinct from every data address, helpers refuse to change maps read-only to programs, and
 * helpers that write memory respect region writability. Both engines.
 */
import { describe, it, expect } from 'vitest';
import { EbpfError, ErrorCode } from '../../src/errors.js';
import { VmMemory } from '../../src/vm/memory.js';
import type { HelperContext } from '../../src/vm/environment.js';
import { KernelHelper, kernelHelpers } from '../../src/helpers/kernel.js';
import { ArrayMap } from '../../src/maps/array.js';
import { HashMap } from '../../src/maps/hash.js';
import { QueueMap } from '../../src/maps/queue.js';
import { BPF_F_RDONLY_PROG, type BpfMap } from '../../src/maps/map.js';
import { Errno, MapType } from '../../src/maps/types.js';
import { fixture, load, readU32, u32 } from './fixtures.js';
import { loadObject } from '../../src/elf/index.js';
import { thrown } from '../vm/util.js';

const ALL = ['xdp_counter', 'globals', 'ringbuf', 'lpm', 'tailcall', 'legacy', 'block_port', 'helpers', 'percpu', 'context', 'map_in_map', 'rodata_abuse'];

describe('map handles', () => {
  it('are unmapped addresses, distinct from every value and global variable address', () => {
    for (const name of ALL) {
      const obj = loadObject(fixture(name));
      const handles = new Set<number>();
      for (const m of obj.maps.values()) {
        expect(obj.memory.find(m.handle, 1), `${name}: ${m.name}`).toBeUndefined();
        expect(obj.mapByHandle(m.handle)).toBe(m);
        handles.add(m.handle);
      }
      expect(handles.size).toBe(obj.maps.size);
      for (const v of obj.variables()) {
        const data = obj.maps.get(v.section) as ArrayMap;
        const address = data.valueAddress(0) + v.offset;
        expect(obj.mapByHandle(address), `${name}: ${v.name}`).toBeUndefined();
        expect(obj.memory.find(address, Math.max(v.size, 1))?.name).toBe(`map:${v.section}`);
      }
    }
  });
});

describe('.rodata written by programs', () => {
  const packet = new Uint8Array(60).fill(0xab);
  const expectations: [string, string, RegExp][] = [
    ['update_through_address', ErrorCode.HELPER, /bpf_map_update_elem: argument 0x[0-9a-f]+ is not a map of this object \(it is an address in map:\.rodata/],
    ['probe_read_into', ErrorCode.READ_ONLY, /store to read-only region map:\.rodata/],
    ['load_bytes_into', ErrorCode.READ_ONLY, /store to read-only region map:\.rodata/],
    ['pop_into', ErrorCode.READ_ONLY, /store to read-only region map:\.rodata/],
  ];
  for (const jit of [false, true]) {
    it(`fail and leave .rodata and the maps as they were (${jit ? 'JIT' : 'interpreter'})`, () => {
      // verify: 'warn': the kernel refuses these writes into read-only data at load; the engines' run-time faults are tested here
      const obj = load('rodata_abuse', { verify: 'warn' });
      for (const [program, code, message] of expectations) {
        const e = thrown(() => obj.program(program).runSocketFilter(packet, { jit }));
        expect(e, program).toBeInstanceOf(EbpfError);
        expect((e as EbpfError).code, program).toBe(code);
        expect((e as EbpfError).message).toMatch(message);
      }
      expect(readU32(obj.readVariable('cfg'))).toBe(7);
      expect(readU32(obj.readVariable('limit'))).toBe(9);
      // The pop into .rodata failed before taking the element it pushed.
      expect((obj.map('q') as QueueMap).values().map((v) => readU32(v))).toEqual([5]);
    });
  }
});

describe('maps read-only to programs', () => {
  function setup(map: BpfMap, memory: VmMemory) {
    const helpers = kernelHelpers({
      memory,
      mapByHandle: (h) => (h === map.handle ? map : undefined),
      ringBuffers: () => [],
      cpu: 0,
      trace: () => {},
      now: () => 0n,
      random: () => 0,
    });
    const scratch = memory.map({ name: 'scratch', size: 64 });
    const ctx: HelperContext = { memory, pc: 3, tailCall: () => false, host: undefined };
    const call = (id: number, ...a: bigint[]): unknown =>
      thrown(() => helpers.get(id)!.fn(a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, a[3] ?? 0n, a[4] ?? 0n, ctx)) ?? 'ok';
    return { call, scratch: BigInt(scratch.vaddr), handle: BigInt(map.handle) };
  }

  it('refuse update, delete, push and pop even through their real handle; lookups give read-only values', () => {
    const memory = new VmMemory({ initialPages: 1 });
    // Like .rodata: programs may read it, not change it; the host may.
    const rodata = new ArrayMap(memory, { name: '.rodata', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }, 1, false);
    rodata.update(u32(0), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const { call, scratch, handle } = setup(rodata, memory);
    for (const id of [KernelHelper.MAP_UPDATE_ELEM, KernelHelper.MAP_DELETE_ELEM, KernelHelper.MAP_PUSH_ELEM, KernelHelper.MAP_POP_ELEM]) {
      const e = call(id, handle, scratch, scratch + 8n) as EbpfError;
      expect(e, String(id)).toBeInstanceOf(EbpfError);
      expect(e.code).toBe(ErrorCode.HELPER);
      expect(e.message).toMatch(/map \.rodata is read-only to programs/);
    }
    expect([...rodata.view()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const value = rodata.programLookup(u32(0), 0);
    expect(memory.load(BigInt(value), 4)).toBe(0x04030201n);
    expect((thrown(() => memory.store(BigInt(value), 4, 0n)) as EbpfError).code).toBe(ErrorCode.READ_ONLY);
  });

  it('include maps created with BPF_F_RDONLY_PROG', () => {
    const memory = new VmMemory({ initialPages: 1 });
    const hash = new HashMap(memory, { name: 'ro', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_RDONLY_PROG });
    hash.update(u32(1), u32(10));
    expect(hash.programWritable).toBe(false);
    const { call, scratch, handle } = setup(hash, memory);
    expect((call(KernelHelper.MAP_UPDATE_ELEM, handle, scratch, scratch) as EbpfError).code).toBe(ErrorCode.HELPER);
    memory.write(scratch, u32(1));
    expect((call(KernelHelper.MAP_DELETE_ELEM, handle, scratch) as EbpfError).code).toBe(ErrorCode.HELPER);
    expect(hash.lookup(u32(1))).toEqual(u32(10));
    const value = hash.programLookup(u32(1), 0);
    expect((thrown(() => memory.store(BigInt(value), 4, 0n)) as EbpfError).code).toBe(ErrorCode.READ_ONLY);
    // A writable map is unaffected.
    const rw = new HashMap(memory, { name: 'rw', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 });
    const w = setup(rw, memory);
    expect(w.call(KernelHelper.MAP_UPDATE_ELEM, w.handle, w.scratch, w.scratch)).toBe('ok');
    expect(rw.programDelete(u32(7))).toBe(-Errno.ENOENT);
  });
});
