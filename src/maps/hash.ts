/**
 * Hash maps: plain, per-CPU, LRU and LRU per-CPU. Values live in a preallocated arena of
 * `max_entries` slots in the VM memory (so lookups return pointers programs can read, write and
 * update atomically); the key index is a JS `Map` from key bytes to slot, which also keeps the
 * recency order LRU eviction needs.
 * @module
 */
import type { VmMemory } from '../vm/memory.js';
import { BpfMap, keyBytes, keyString, round8 } from './map.js';
import { Liveness, packValues, valueStride } from './values.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from './types.js';

/** `BPF_MAP_TYPE_HASH`, `PERCPU_HASH`, `LRU_HASH`, `LRU_PERCPU_HASH`. */
export class HashMap extends BpfMap {
  /** CPUs a value is kept for (1 unless per-CPU). */
  readonly cpus: number;
  /** Arena bytes from one value to the next (see maps/values). */
  private readonly stride: number;
  /** A value in the host's per-CPU format: padded to 8 bytes. */
  private readonly pad: number;
  private readonly percpu: boolean;
  private readonly lru: boolean;
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private readonly live: Liveness;
  /** Slots never used yet are handed out in order, so a huge max_entries costs nothing up front. */
  private fresh = 0;

  constructor(memory: VmMemory, spec: MapSpec, cpus = 1) {
    const percpu = spec.type === MapType.PERCPU_HASH || spec.type === MapType.LRU_PERCPU_HASH;
    const n = percpu ? cpus : 1;
    const stride = valueStride(spec.valueSize);
    // Each value (each CPU's, per-CPU) is an element, live while its key is present.
    const live = new Liveness(memory, spec.maxEntries * n);
    super(memory, spec, spec.maxEntries * n * stride, true, { stride, size: Math.max(spec.valueSize, 1), liveness: live.offset });
    this.live = live;
    this.cpus = n;
    this.stride = stride;
    this.pad = round8(spec.valueSize);
    this.percpu = percpu;
    this.lru = spec.type === MapType.LRU_HASH || spec.type === MapType.LRU_PERCPU_HASH;
  }

  /** Number of elements present. */
  get size(): number {
    return this.slots.size;
  }

  private touch(k: string, slot: number): void {
    if (this.lru) {
      this.slots.delete(k);
      this.slots.set(k, slot);
    }
  }

  override programLookup(key: Uint8Array, cpu: number): number {
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (slot === undefined) return 0;
    this.touch(k, slot);
    return this.arenaAddress + (slot * this.cpus + (cpu % this.cpus)) * this.stride;
  }

  /** Find or create the slot of a key, following the update flags; a slot number or a negative errno. */
  private slotFor(key: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (slot !== undefined) {
      if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      this.touch(k, slot);
      return slot;
    }
    if (flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    let fresh = this.free.pop() ?? (this.fresh < this.spec.maxEntries ? this.fresh++ : undefined);
    if (fresh === undefined) {
      if (!this.lru) return -Errno.E2BIG;
      const oldest = this.slots.keys().next();
      if (oldest.done === true) return -Errno.E2BIG;
      fresh = this.slots.get(oldest.value)!;
      this.slots.delete(oldest.value);
    }
    this.zeroArena(fresh * this.cpus * this.stride, this.cpus * this.stride);
    this.live.set(fresh * this.cpus, this.cpus);
    this.slots.set(k, fresh);
    return fresh;
  }

  override programUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const slot = this.slotFor(key, flags);
    if (slot < 0) return slot;
    this.writeArena((slot * this.cpus + (cpu % this.cpus)) * this.stride, value.subarray(0, this.spec.valueSize));
    return 0;
  }

  override programDelete(key: Uint8Array): number {
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (slot === undefined) return -Errno.ENOENT;
    this.slots.delete(k);
    this.free.push(slot);
    this.live.clear(slot * this.cpus, this.cpus);
    return 0;
  }

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value, this.percpu ? [this.spec.valueSize, this.cpus * this.pad] : [this.spec.valueSize]);
    const slot = this.slotFor(key, flags);
    if (slot < 0) return slot;
    for (let c = 0; c < this.cpus; c++) {
      const v = value.length === this.spec.valueSize ? value : value.subarray(c * this.pad, c * this.pad + this.spec.valueSize);
      this.writeArena((slot * this.cpus + c) * this.stride, v);
    }
    return 0;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const slot = this.slots.get(keyString(key));
    if (slot === undefined) return undefined;
    if (!this.percpu) return this.readArena(slot * this.stride, this.spec.valueSize);
    return packValues(this.memory, this.arenaOffset(0), this.stride, this.spec.valueSize, slot * this.cpus, this.cpus);
  }

  /** Per-CPU maps: one value per CPU. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    const all = this.lookup(key);
    if (all === undefined) return undefined;
    if (!this.percpu) return [all];
    return Array.from({ length: this.cpus }, (_, c) => all.slice(c * this.pad, c * this.pad + this.spec.valueSize));
  }

  override keys(): Uint8Array[] {
    return [...this.slots.keys()].map(keyBytes);
  }
}
