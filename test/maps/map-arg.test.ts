/**
 * helpers/map-arg.ts: a helper's map argument of the class it takes, or an EbpfError naming the helper,
 * its pc and what the argument is.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ExecutionError } from '../../src/errors.js';
import { typedMapArg } from '../../src/helpers/map-arg.js';
import { ArrayMap } from '../../src/maps/array.js';
import { createMap } from '../../src/maps/create.js';
import type { BpfMap } from '../../src/maps/map.js';
import { MapType } from '../../src/maps/types.js';
import { VmMemory } from '../../src/vm/memory.js';
import type { HelperContext } from '../../src/vm/environment.js';

describe('typedMapArg', () => {
  const mem = new VmMemory();
  const array = createMap(mem, { name: 'counts', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
  const maps = new Map<number, BpfMap>([[7, array]]);
  const byHandle = (h: number): BpfMap | undefined => maps.get(h);
  const ctx = { pc: 12 } as HelperContext;
  const error = (r: bigint, cls: typeof ArrayMap): ExecutionError => {
    try {
      typedMapArg(byHandle, 'bpf_x', r, ctx, cls, 'BPF_MAP_TYPE_ARRAY');
    } catch (e) {
      return e as ExecutionError;
    }
    throw new Error('no error');
  };

  it('gives the map of the class the helper takes', () => {
    expect(typedMapArg(byHandle, 'bpf_x', 7n, ctx, ArrayMap, 'BPF_MAP_TYPE_ARRAY')).toBe(array);
  });

  it('names an argument that is no map, or one past 32 bits, at the call pc', () => {
    for (const r of [8n, (7n << 32n) | 7n]) {
      const e = error(r, ArrayMap);
      expect(e).toBeInstanceOf(ExecutionError);
      expect(e.code).toBe(ErrorCode.HELPER);
      expect(e.pc).toBe(12);
      expect(e.message).toBe(`pc 12: bpf_x: argument 0x${r.toString(16)} is not a map of this object`);
    }
  });

  it('names a map of another type and the type the helper takes', () => {
    class Other extends ArrayMap {}
    expect(error(7n, Other).message).toBe('pc 12: bpf_x: map counts is a BPF_MAP_TYPE_ARRAY, not a BPF_MAP_TYPE_ARRAY');
  });
});
