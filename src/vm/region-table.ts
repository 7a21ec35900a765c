/**
 * The region table: every mapped region of a VM memory as 32 bytes of linear memory (virtual address,
 * size, linear offset, writable, then element stride, element size and liveness offset (see
 * {@link Region.stride}), and 4 unused: u32 each, in {@link VmMemory.regions} order), rewritten when the
 * memory's layout changes, except for a resize, which the memory writes through to it itself (see
 * {@link SizeMirror}: a packet session resizes the packet region on every packet). WebAssembly code that
 * checks its own accesses (the JIT's modules, the interpreter's WebAssembly loop) scans it when an
 * access misses its cached region, instead of calling back into JS. It lives in linear memory that is
 * never mapped, so programs cannot reach it.
 * @module
 */
import type { Region, SizeMirror, VmMemory } from './memory.js';

/** Bytes per region in the table. */
export const TABLE_ENTRY = 32;

/** Where a memory's table is and what it holds. */
export class RegionTable implements SizeMirror {
  /** Entries written. */
  count = 0;
  /** The memory's {@link VmMemory.version} when the table was last made current (-1: never). */
  version = -1;
  /** The memory's {@link VmMemory.shape} then. */
  shape = -1;

  constructor(
    /** Linear offset of the first entry. */
    readonly offset: number,
    /** Entries there is room for. */
    readonly capacity: number,
  ) {}

  /** Write entry `index`'s size (see {@link SizeMirror}). */
  setSize(view: DataView, index: number, size: number): void {
    view.setUint32(this.offset + index * TABLE_ENTRY + 4, size, true);
  }
}

/** The region table of `memory` if it describes the current layout, else undefined (nothing is written). */
export function currentRegionTable(memory: VmMemory): RegionTable | undefined {
  const t = memory.sizeMirror as RegionTable | undefined;
  return t !== undefined && t.version === memory.version ? t : undefined;
}

/**
 * The region table of `memory`, written again if its regions changed since it was last written (check
 * it on every run and after every helper call, which may map regions).
 */
export function regionTable(memory: VmMemory): RegionTable {
  let t = memory.sizeMirror as RegionTable | undefined;
  if (t !== undefined && t.version === memory.version) return t;
  const regions = memory.regions;
  if (t !== undefined && t.shape === memory.shape && t.count === regions.length) {
    // Only sizes changed (resizes made while the table was already stale): rewrite them alone.
    const view = memory.view;
    for (let i = 0; i < regions.length; i++) t.setSize(view, i, regions[i]!.size);
    t.version = memory.version;
    return t;
  }
  if (t === undefined || t.capacity < regions.length) {
    const capacity = Math.max(16, regions.length * 2);
    t = new RegionTable(memory.allocate(capacity * TABLE_ENTRY, 16), capacity);
    memory.sizeMirror = t;
  }
  const view = memory.view;
  let at = t.offset;
  for (const r of regions) {
    view.setUint32(at, r.vaddr, true);
    view.setUint32(at + 4, r.size, true);
    view.setUint32(at + 8, r.offset, true);
    view.setUint32(at + 12, r.writable ? 1 : 0, true);
    view.setUint32(at + 16, r.stride, true);
    view.setUint32(at + 20, r.elementSize, true);
    view.setUint32(at + 24, r.liveness, true);
    at += TABLE_ENTRY;
  }
  t.count = regions.length;
  t.version = memory.version;
  t.shape = memory.shape;
  return t;
}
