/**
 * The region table: every mapped region of a VM memory as 32 bytes of linear memory (virtual address,
 * size, linear offset, writable, then element stride, element size and liveness offset (see
 * {@link Region.stride}), and 4 unused: u32 each, in {@link VmMemory.regions} order), rewritten when the
 * memory's layout changes. WebAssembly code that checks its own accesses (the JIT's modules, the
 * interpreter's WebAssembly loop) scans it when an access misses its cached region, instead of calling
 * back into JS. It lives in linear memory that is never mapped, so programs cannot reach it.
 * @module
 */
import type { Region, VmMemory } from './memory.js';

/** Bytes per region in the table. */
export const TABLE_ENTRY = 32;

/** Where a memory's table is and what it holds. */
export interface RegionTable {
  /** Linear offset of the first entry. */
  readonly offset: number;
  /** Entries there is room for. */
  readonly capacity: number;
  /** Entries written. */
  count: number;
  /** The memory's {@link VmMemory.version} when the table was written (-1: never). */
  version: number;
  /** The memory's {@link VmMemory.shape} then. */
  shape: number;
}

const tables = new WeakMap<VmMemory, RegionTable>();
/** The table looked up last (a WeakMap lookup costs as much as the rest of a short run's setup). */
let lastMemory: VmMemory | undefined;
let lastTable: RegionTable | undefined;

/** The region table of `memory` if it describes the current layout, else undefined (nothing is written). */
export function currentRegionTable(memory: VmMemory): RegionTable | undefined {
  const t = lastMemory === memory ? lastTable : tables.get(memory);
  return t !== undefined && t.version === memory.version ? t : undefined;
}

/**
 * The region table of `memory`, written again if its regions changed since it was last written (check
 * it on every run and after every helper call, which may map regions).
 */
export function regionTable(memory: VmMemory): RegionTable {
  let t = lastMemory === memory ? lastTable : tables.get(memory);
  if (t !== undefined && t.version === memory.version) {
    lastMemory = memory;
    lastTable = t;
    return t;
  }
  const regions = memory.regions;
  if (t !== undefined && t.shape === memory.shape && t.count === regions.length) {
    // Only sizes changed (a resized packet region): rewrite them alone.
    lastMemory = memory;
    lastTable = t;
    const view = memory.view;
    for (let i = 0, at = t.offset + 4; i < regions.length; i++, at += TABLE_ENTRY) view.setUint32(at, regions[i]!.size, true);
    t.version = memory.version;
    return t;
  }
  if (t === undefined || t.capacity < regions.length) {
    const capacity = Math.max(16, regions.length * 2);
    t = { offset: memory.allocate(capacity * TABLE_ENTRY, 16), capacity, count: 0, version: -1, shape: -1 };
    tables.set(memory, t);
  }
  lastMemory = memory;
  lastTable = t;
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
