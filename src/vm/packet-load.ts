/**
 * The legacy packet loads (LD_ABS / LD_IND), shared by both engines.
 * @module
 */
import { MEM_START, type VmMemory } from './memory.js';

/**
 * A big-endian read of `size` bytes at `offset` into the input memory (the `mem` region at MEM_START).
 * Returns -1 when the access is outside it: the program then ends with r0 = 0, as in the kernel.
 */
export function packetLoad(memory: VmMemory, offset: number, size: number): number {
  if (offset < 0) return -1;
  const region = memory.find(MEM_START + offset, size);
  if (region === undefined || region.vaddr !== MEM_START) return -1;
  const at = region.offset + offset;
  const v = memory.view;
  return size === 1 ? v.getUint8(at) : size === 2 ? v.getUint16(at, false) : v.getUint32(at, false);
}
