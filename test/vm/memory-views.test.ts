import { describe, expect, it } from 'vitest';
import { VmMemory } from '../../src/vm/memory.js';

describe('VmMemory views', () => {
  it('follow the linear memory when an allocation grows it', () => {
    const memory = new VmMemory({ initialPages: 1 });
    const before = memory.bytes;
    const region = memory.map({ name: 'big', size: 200_000 }); // needs more than the one page
    expect(before.byteLength).toBe(0); // growth detached the old buffer
    expect(memory.bytes.byteLength).toBeGreaterThanOrEqual(region.offset + 200_000);
    memory.store(BigInt(region.vaddr + 199_992), 8, 0x1122334455667788n);
    expect(memory.view.getBigUint64(region.offset + 199_992, true)).toBe(0x1122334455667788n);
    expect(memory.load(BigInt(region.vaddr + 199_992), 8)).toBe(0x1122334455667788n);
  });

  it('are reused while the memory does not grow', () => {
    const memory = new VmMemory();
    memory.map({ name: 'small', size: 64 });
    expect(memory.bytes).toBe(memory.bytes);
    expect(memory.view).toBe(memory.view);
  });
});
