/**
 * The map helpers' allocation-free forms (`fast`: arguments as 32-bit halves, the key and value read
 * where they lie) against their `bigint` forms: two identical memories with the same maps, one driven
 * through `fn`, the other through `fast`, on the same random and hostile arguments (every map's handle,
 * 64-bit values, data addresses, unmapped and read-only pointers, keys and values inside map values,
 * every flag and some huge ones): the same results, the same errors (class, code and message), the
 * same map contents. Then whole programs: every example object's programs over the example capture
 * on both engines, with and without the fast forms.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VmMemory } from '../../src/vm/memory.js';
import type { HelperContext, HelperEntry } from '../../src/vm/environment.js';
import { KernelHelper, kernelHelpers } from '../../src/helpers/kernel.js';
import { createMap } from '../../src/maps/create.js';
import type { BpfMap } from '../../src/maps/map.js';
import { BPF_F_RDONLY_PROG } from '../../src/maps/map.js';
import { MapType } from '../../src/maps/types.js';
import { iteratePackets, loadObject } from '../../src/index.js';
import { rngUnit } from '../kernel/packets.js';

const rng = rngUnit;

/** One memory with one map of each kind a packet program looks up, and a scratch region. */
function world() {
  const memory = new VmMemory({ initialPages: 8 });
  const specs = [
    { name: 'hash', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 6, flags: 0 },
    { name: 'lru', type: MapType.LRU_HASH, keySize: 6, valueSize: 12, maxEntries: 4, flags: 0 },
    { name: 'pcpu', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
    { name: 'array', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 },
    { name: 'ro', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: BPF_F_RDONLY_PROG },
    { name: 'queue', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4, flags: 0 },
    { name: 'progs', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
    { name: 'devs', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  ];
  const maps: BpfMap[] = specs.map((s) => createMap(memory, s, { cpus: 2 }));
  const scratch = memory.map({ name: 'scratch', size: 64 });
  const readOnly = memory.map({ name: 'rodata', size: 16, writable: false });
  const byHandle = new Map(maps.map((m) => [m.handle, m]));
  const helpers = kernelHelpers({
    memory,
    mapByHandle: (h) => byHandle.get(h),
    ringBuffers: () => [],
    cpu: 1,
    trace: () => {},
    now: () => 0n,
    random: () => 0,
  });
  const ctx: HelperContext = { memory, pc: 3, tailCall: () => false, host: undefined };
  return { memory, maps, scratch, readOnly, helpers, ctx };
}

type Outcome = { value: number } | { error: string };

function outcome(run: () => number): Outcome {
  try {
    return { value: run() };
  } catch (e) {
    const err = e as Error & { code?: string; pc?: number };
    return { error: `${err.constructor.name} ${err.code} ${err.pc} ${err.message}` };
  }
}

const halves = (args: readonly bigint[]): Int32Array => {
  const a = new Int32Array(12);
  // From index 2, as the interpreter passes its registers (r1's low half at 2).
  args.forEach((v, i) => {
    a[2 + 2 * i] = Number(v & 0xffffffffn) | 0;
    a[3 + 2 * i] = Number((v >> 32n) & 0xffffffffn) | 0;
  });
  return a;
};

const state = (maps: BpfMap[]): string =>
  maps.map((m) => `${m.name}:${m.keys().map((k) => `${[...k]}=${[...(m.lookup(k) ?? [])]}`).join(' ')}`).join('\n');

describe('map helpers: fast forms behave as the bigint forms', () => {
  it('on random and hostile arguments (fixed seed)', () => {
    const a = world();
    const b = world();
    const next = rng(17);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const ids = [KernelHelper.MAP_LOOKUP_ELEM, KernelHelper.MAP_UPDATE_ELEM, KernelHelper.MAP_DELETE_ELEM];
    for (const id of ids) expect(a.helpers.get(id)!.fast).toBeDefined();
    const s = BigInt(a.scratch.vaddr);
    let errors = 0;
    for (let n = 0; n < 4000; n++) {
      // Keys and values: in scratch (random bytes), inside map values (an lru value that may be evicted,
      // an array value), read-only, unmapped, 64-bit.
      const values = a.maps.filter((m) => m.name === 'lru' || m.name === 'array').map((m) => BigInt(m.arenaAddress) + BigInt(Math.floor(next() * 3) * 24));
      const pointers = [s, s + 4n, s + 60n, s + BigInt(Math.floor(next() * 40)), BigInt(a.readOnly.vaddr), 0n, 0x1234n, 0x1_0000_0000n + s, ...values];
      const handles = [...a.maps.map((m) => BigInt(m.handle)), s, 0n, 0x1_0000_0000n + BigInt(a.maps[0]!.handle), 0xffffffffffffffffn];
      const flags = [0n, 1n, 2n, 3n, 0x1_0000_0000n, 0xffffffffffffffffn];
      const id = pick(ids);
      const args = [pick(handles), pick(pointers), pick(pointers), pick(flags), BigInt(Math.floor(next() * 4))];
      // Fresh random bytes in both scratch regions.
      const fill = Array.from({ length: 64 }, () => (next() < 0.6 ? Math.floor(next() * 4) : Math.floor(next() * 256)));
      a.memory.bytes.set(fill, a.scratch.offset);
      b.memory.bytes.set(fill, b.scratch.offset);
      const slow = outcome(() => {
        const r = a.helpers.get(id)!.fn(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, a.ctx);
        return Number(BigInt.asIntN(64, BigInt(r ?? 0)));
      });
      const entry = b.helpers.get(id)!;
      const fast = outcome(() => entry.fast!(halves(args), 2, b.ctx));
      expect(fast, `call ${n}: helper ${id}(${args.map((x) => `0x${x.toString(16)}`).join(', ')})`).toEqual(slow);
      if ('error' in slow) errors++;
    }
    expect(state(b.maps)).toBe(state(a.maps));
    // The arguments reach both outcomes often.
    expect(errors).toBeGreaterThan(400);
    expect(errors).toBeLessThan(3600);
  });
});

describe('whole programs with and without the fast forms', () => {
  const objects = ['xdp_firewall', 'socket_dns', 'tc_mark'];
  const packets = [...iteratePackets(readFileSync('examples/traffic.pcap'))];
  for (const name of objects) {
    for (const jit of [false, true]) {
      it(`${name}.o on examples/traffic.pcap (${jit ? 'JIT' : 'interpreter'})`, () => {
        const bytes = readFileSync(`examples/${name}.o`);
        const results: string[][] = [];
        for (const stripped of [false, true]) {
          const obj = loadObject(bytes);
          if (stripped) {
            const table = (obj as unknown as { helperTable: Map<number, HelperEntry> }).helperTable;
            for (const [id, e] of table) table.set(id, { fn: e.fn, name: e.name, unwindOnZero: e.unwindOnZero });
          }
          const out: string[] = [];
          for (const info of obj.programs) {
            const kind = info.type === 'xdp' ? 'xdp' : 'skb';
            const session = obj.program(info.name).session(kind, { jit });
            for (const p of packets) {
              try {
                out.push(String(session.run(p.data, 0, p.data.length)));
              } catch (e) {
                out.push(String(e));
              }
            }
          }
          out.push(state([...obj.maps.values()]));
          results.push(out);
        }
        expect(results[1]).toEqual(results[0]);
      });
    }
  }
});
