/**
 * The interpreter's memory accesses that miss its region caches: the translation through the run's
 * memory (which finds the region, or raises the program's access error) and the stack mark of a store
 * into the stack. The JS run loop (interpreter-loop.ts) checks its cached regions inline and calls here
 * only on a miss.
 * @module
 */
import type { Region, VmMemory } from './memory.js';

/** Lower the stack mark to `a`, the virtual address of a stack store (see vm/stack); returns `a`. */
export function markStack(dv: DataView, mark: number, a: number): number {
  if (a < dv.getUint32(mark, true)) dv.setUint32(mark, a, true);
  return a;
}

/** The region found by the last slow-path translation (read right after the call). */
export let lastRegion: Region | undefined;
/**
 * What the caller may cache of it: the virtual range `[lastStart, lastEnd)` accesses inside need no
 * check (the region, or the one value of an element region the access is in) and linear minus virtual.
 */
export let lastStart = 1;
export let lastEnd = 0;
export let lastBase = 0;

/** Translate `(hi:lo) + off` for an access that missed the cached regions; throws the program's error. */
export function translateSlow(memory: VmMemory, lo: number, hi: number, off: number, size: number, store: boolean, pc: number): number {
  const l = (lo >>> 0) + off;
  const ah = l < 0 ? (hi - 1) | 0 : l > 0xffffffff ? (hi + 1) | 0 : hi;
  const al = l | 0;
  const vaddr = al >>> 0;
  const region = ah === 0 ? memory.find(vaddr, size) : undefined;
  if (region === undefined || (store && !region.writable)) {
    const probe = store ? undefined : memory.faultingLoad(al, ah, size);
    if (probe !== undefined) {
      // A faulting load of a BTF-pointer run: its value, with nothing cached (the next access misses).
      lastStart = 1;
      lastEnd = 0;
      lastBase = 0;
      return probe;
    }
    throw memory.accessError(al, ah, size, store, pc, region);
  }
  lastRegion = region;
  lastBase = region.offset - region.vaddr;
  if (region.stride === 0) {
    lastStart = region.vaddr;
    lastEnd = region.vaddr + region.size;
  } else {
    lastStart = vaddr - ((vaddr - region.vaddr) % region.stride);
    lastEnd = lastStart + region.elementSize;
  }
  return region.offset + (vaddr - region.vaddr);
}
