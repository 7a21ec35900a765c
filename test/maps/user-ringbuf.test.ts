/**
 * User ring buffers without the kernel: the shape rules (a power-of-two size of at least a page, no keys
 * or values), the host producer's bounds (a sample larger than the ring, a full ring, freed by drains),
 * and hostile programs: a callback that never returns (the run's budget ends it), a callback draining the
 * same ring (-EBUSY), both engines.
 */
import { describe, expect, it } from 'vitest';
import { EbpfError, MapError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import type { UserRingBufMap } from '../../src/maps/user-ringbuf.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

const spec = { name: 'ring', type: MapType.USER_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 };

describe('USER_RINGBUF maps', () => {
  it('follow the kernel shape rules', () => {
    const mem = new VmMemory();
    expect(() => createMap(mem, spec)).not.toThrow();
    for (const maxEntries of [1, 2048, 4097, 6144]) expect(() => createMap(mem, { ...spec, maxEntries })).toThrow(/power of two of at least 4096/);
    expect(() => createMap(mem, { ...spec, keySize: 4 })).toThrow(/key_size and value_size must be 0/);
    expect(() => createMap(mem, { ...spec, flags: 1024 })).toThrow(/does not take map_flags BPF_F_MMAPABLE/);
    expect(() => createMap(mem, { ...spec, maxEntries: 1 << 30 })).toThrow(/maxMapBytes|more than/);
  });

  it('bound what the host submits by the ring, freed as programs drain', () => {
    const m = createMap(new VmMemory(), spec) as UserRingBufMap;
    expect(() => m.submit(new Uint8Array(4089))).toThrow(/larger than the ring/);
    m.submit(new Uint8Array(4088));
    expect(m.freeBytes).toBe(0);
    expect(() => m.submit(new Uint8Array(0))).toThrow(MapError);
    expect(() => m.submit('x' as unknown as Uint8Array)).toThrow(EbpfError);
    expect(m.pending).toBe(1);
    expect(m.values()[0]).toHaveLength(4088);
    const obj = loadObject(fixture('user_ringbuf'));
    const ring = obj.map('samples') as UserRingBufMap;
    for (let i = 0; i < 256; i++) ring.submit(new Uint8Array(new BigUint64Array([BigInt(i)]).buffer));
    expect(() => ring.submit(new Uint8Array(8))).toThrow(/no room/);
    const r = obj.program('drain').runXdp(new Uint8Array(40));
    expect(new DataView(r.packet.buffer, r.packet.byteOffset).getBigInt64(8, true)).toBe(256n);
    expect(ring.freeBytes).toBe(4096);
  });

  it('end a callback that never returns with the budget, and refuse a nested drain of the same ring', () => {
    for (const jit of [false, true]) {
      const obj = loadObject(fixture('user_ringbuf'));
      const ring = obj.map('samples') as UserRingBufMap;
      ring.submit(new Uint8Array(8));
      expect(() => obj.program('drain_forever').runXdp(new Uint8Array(40), { jit, limits: { instructionBudget: 100_000 } })).toThrow(/budget|instructions/);
      // The sample was taken before the callback ran; the ring can be drained again.
      expect(ring.pending).toBe(0);
      ring.submit(new Uint8Array(8));
      expect(obj.program('drain_nested').runXdp(new Uint8Array(40), { jit }).action).toBe(2);
    }
  });
});
