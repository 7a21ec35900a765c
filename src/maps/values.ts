/**
 * How maps lay their values out for programs (internal to maps). A map's arena is an element region
 * (see {@link Region.stride}): an access through a value pointer must lie inside one value. Values are
 * {@link VALUE_GAP} bytes further apart than the kernel's 8-byte rounding, so that an access running
 * past a value's end (an off-by-one index, a too-wide store) faults instead of reaching the next value;
 * and maps whose elements come and go keep one liveness byte per value, so that a pointer into a slot
 * that never held an element faults. A deleted element's value stays reachable, as the kernel's does for
 * the rest of a run (maps/hash). (Which value a pointer was derived from is not tracked: pointer
 * arithmetic landing wholly inside another live value is allowed, as that value's own pointer would be.)
 * @module
 */
import type { Region, VmMemory } from '../vm/memory.js';
import { round8 } from './map.js';
import { allocateMapBytes } from './line-alloc.js';

/** Unmapped bytes after each value's 8-byte rounding in an arena. */
export const VALUE_GAP = 8;

/** Bytes from one value to the next in an arena, for values of `valueSize` bytes. */
export function valueStride(valueSize: number): number {
  return round8(valueSize) + VALUE_GAP;
}

/**
 * One liveness byte per element of an arena (see {@link Region.liveness}), in the VM memory where the
 * engines read them: an element whose byte is 0 (never used) cannot be accessed through a value pointer.
 */
export class Liveness {
  /** Linear offset of the first byte. */
  readonly offset: number;

  constructor(private readonly memory: VmMemory, elements: number) {
    this.offset = allocateMapBytes(memory, Math.max(elements, 1), 1);
  }

  /** Mark `count` elements from `first` live. */
  set(first: number, count: number): void {
    this.memory.bytes.fill(1, this.offset + first, this.offset + first + count);
  }
}
