/**
 * Allocations of map state in a shared memory (a worker pool's: several threads run programs on the same
 * maps), each on cache lines of its own: it starts a line and its size is rounded up to whole lines, so
 * bytes one thread writes often (a counter in a map's values) never share a line with bytes another
 * thread only reads (the liveness bytes every value access checks, the key index of another map). A
 * line shared that way moves between the cores on every write, though no byte in it is shared (false
 * sharing): the reading core misses each time. In a plain memory (one thread) allocations stay packed.
 * @module
 */
import type { VmMemory } from '../vm/memory.js';

/** Bytes of a cache line on the machines a pool runs on (x86-64 and Arm64 cores: 64). */
export const CACHE_LINE = 64;

/**
 * Reserve `size` zeroed bytes of `memory` aligned to `align` (see VmMemory.allocate); in a shared
 * memory, on lines of their own (see the module comment). Returns their linear offset.
 */
export function allocateMapBytes(memory: VmMemory, size: number, align: number): number {
  if (!memory.shared) return memory.allocate(size, align);
  return memory.allocate(Math.ceil(size / CACHE_LINE) * CACHE_LINE, Math.max(align, CACHE_LINE));
}

/**
 * Bytes a map's state may take in a shared memory beyond what it takes in a plain one: each of its
 * allocations (values, liveness bytes, a hash map's key index) may gain up to two lines, one before for
 * the alignment and one after for the rounding.
 */
export const SHARED_SLACK_PER_MAP = 3 * 2 * CACHE_LINE;
