/**
 * Hash maps: plain, per-CPU, LRU and LRU per-CPU. Values live in numbered slots in the VM memory (so
 * lookups return pointers programs can read, write and update atomically), whose memory is reserved
 * as slots are first used (maps/slot-arena): a map declaring millions of entries costs what its
 * elements use. The key index (maps/key-index) finds a key's slot from the key's bytes where they
 * lie, without building a string or array per lookup, and keeps the order LRU eviction needs.
 *
 * `max_entries` bounds the live elements, as in the kernel (-E2BIG when full; an LRU map evicts).
 * The bytes one map's values may take are bounded too (`MapOptions.maxMapBytes`): a map whose
 * `max_entries` values would take more has room for fewer slots ({@link hashSlots}); when they are all
 * in use an insert fails with a MapError naming the map and the limit (an LRU map evicts instead, as
 * the kernel's may before it is full).
 * @module
 */
import { MapError } from '../errors.js';
import { checkInteger } from '../validate.js';
import type { VmMemory } from '../vm/memory.js';
import type { InlineMap } from '../vm/environment.js';
import { KeyIndex } from './key-index.js';
import { SharedKeyIndex } from './shared-key-index.js';
import { cpuSection, SlotMap } from './slot-map.js';
import { SlotArena } from './slot-arena.js';
import { MAX_MAP_BYTES_LIMIT } from './map.js';
import { valueStride } from './values.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from './types.js';

/**
 * Slots a hash map of this shape has within `maxBytes` bytes of values (every CPU's, per-CPU):
 * `max_entries`, or as many as fit (0: not even one value).
 */
export function hashSlots(spec: MapSpec, cpus: number, maxBytes: number): number {
  const stride = valueStride(spec.valueSize);
  if (cpuSection(spec.maxEntries, stride, cpus) * cpus * stride <= maxBytes) return spec.maxEntries;
  let slots = Math.floor(maxBytes / (cpus * stride));
  while (slots > 0 && cpuSection(slots, stride, cpus) * cpus * stride > maxBytes) slots--;
  return slots;
}

/** `BPF_MAP_TYPE_HASH`, `PERCPU_HASH`, `LRU_HASH`, `LRU_PERCPU_HASH`. */
export class HashMap extends SlotMap {
  private readonly lru: boolean;
  private readonly index: KeyIndex | SharedKeyIndex;
  /** The index, when it is in a shared memory (worker threads): locked around each change; plain lookups read it without the lock (a seqlock). */
  private readonly shared: SharedKeyIndex | undefined;
  /** Copies of an update's key and value (they may lie in a value the update evicts or overwrites). */
  private readonly keyCopy: Uint8Array;
  private readonly valueCopy: Uint8Array;
  private readonly free: number[] = [];
  /** Where the slots' values are, reserved as slots are first used. */
  private readonly values: SlotArena;
  /** The byte limit that bounds {@link capacity} (for its error). */
  private readonly maxBytes: number;
  /** Slots never used yet are handed out in order, so a huge max_entries costs nothing up front. */
  private fresh = 0;

  /**
   * @param percpu one value per CPU (default: the per-CPU hash types)
   * @param maxBytes the most bytes the values (every CPU's) may take (see the module comment)
   */
  constructor(memory: VmMemory, spec: MapSpec, cpus = 1, percpu = spec.type === MapType.PERCPU_HASH || spec.type === MapType.LRU_PERCPU_HASH, maxBytes = MAX_MAP_BYTES_LIMIT) {
    const slots = hashSlots(spec, percpu ? cpus : 1, maxBytes);
    if (slots === 0 && spec.maxEntries > 0) throw new MapError(`map ${spec.name}: one value of ${spec.valueSize} bytes (on each of ${percpu ? cpus : 1} CPUs) is more than the ${maxBytes}-byte limit per map`);
    super(memory, spec, percpu, cpus, true, undefined, { slots });
    this.maxBytes = maxBytes;
    // Each value (each CPU's, per-CPU) is reachable once its slot has held a key (never-used slots fault).
    this.values = new SlotArena(memory, spec.name, this.arenaAddress, slots, this.cpus, this.section, this.stride, spec.valueSize, this.programWritable);
    this.lru = spec.type === MapType.LRU_HASH || spec.type === MapType.LRU_PERCPU_HASH;
    this.shared = memory.shared ? new SharedKeyIndex(memory, spec.keySize, slots) : undefined;
    this.index = this.shared ?? new KeyIndex(spec.keySize, slots);
    this.keyCopy = new Uint8Array(spec.keySize);
    this.valueCopy = new Uint8Array(spec.valueSize);
  }

  /** Number of elements present. */
  get size(): number {
    return this.index.size;
  }

  /** Elements the map can hold at once: `max_entries`, or fewer when their values would take more than the map's byte limit. */
  get capacity(): number {
    return this.slots;
  }

  /** Linear-memory bytes the map's values (and their liveness bytes) take so far; it grows as elements are first inserted. */
  get reservedBytes(): number {
    return this.values.reserved;
  }

  /**
   * Bytes the values would take beyond {@link reservedBytes} if every slot were reserved, as a shared
   * memory does at once (what a worker pool sizes its memory for).
   * @internal
   */
  get deferredBytes(): number {
    return this.values.deferred;
  }

  /** The values' linear memory is in chunks (maps/slot-arena), not one range from the arena's start. */
  protected override arenaOffset(at: number): number {
    const element = Math.floor(at / this.stride);
    const cpu = Math.floor(element / this.section);
    const slot = element - cpu * this.section;
    return this.values.offset(slot, cpu) + (at - element * this.stride);
  }

  override programLookup(key: Uint8Array, cpu: number): number {
    return this.lookupAt(key, 0, cpu);
  }

  /** {@link programLookup} of the key at `bytes[at]` (a program's key, read where it lies in linear memory). */
  override programLookupAt(bytes: Uint8Array, at: number, cpu: number): number {
    return this.lookupAt(bytes, at, cpu);
  }

  /**
   * A hash map's lookups answered by the shared index's lock-free find (see BpfMap.inlineLookup): only
   * in a shared memory (a plain memory's index is JavaScript's) and not for LRU maps (a lookup there
   * changes the order, under the lock).
   */
  override inlineLookup(cpu: number): InlineMap | undefined {
    const shared = this.shared;
    if (shared === undefined || this.lru || !this.programWritable) return undefined;
    return { kind: 'hash', base: this.slotAddress(0, cpu), stride: this.stride, ...shared.findArgs() };
  }

  private lookupAt(bytes: Uint8Array, at: number, cpu: number): number {
    const shared = this.shared;
    if (shared === undefined) return this.lookupUnlocked(bytes, at, cpu);
    if (!this.lru) {
      // Without the lock when no one changes the index meanwhile (an LRU lookup changes the order: locked).
      const slot = shared.findOptimistic(bytes, at);
      if (slot !== undefined) return slot < 0 ? 0 : this.slotAddress(slot, cpu);
    }
    shared.lock();
    try {
      return this.lookupUnlocked(bytes, at, cpu);
    } finally {
      shared.unlock();
    }
  }

  private lookupUnlocked(bytes: Uint8Array, at: number, cpu: number, touch = true): number {
    const slot = this.index.find(bytes, at);
    if (slot < 0) return 0;
    if (this.lru && touch) this.index.touch(slot);
    return this.slotAddress(slot, cpu);
  }

  /**
   * The address of `key`'s value on `cpu` (0: absent) without counting it as a use: what an iteration
   * (`bpf_for_each_map_elem`) sees, which leaves an LRU map's order as it was, as the kernel's does.
   */
  valueAddressOf(key: Uint8Array, cpu: number): number {
    this.checkKey(key);
    checkInteger(cpu, 'cpu', 0, 0xffff_ffff);
    const shared = this.shared;
    if (shared === undefined) return this.lookupUnlocked(key, 0, cpu, false);
    shared.lock();
    try {
      return this.lookupUnlocked(key, 0, cpu, false);
    } finally {
      shared.unlock();
    }
  }

  /**
   * The live element holding `[address, address + size)` inside its value (one CPU's value, per-CPU):
   * a copy of its key and the value address, or undefined.
   * @internal
   */
  elementOf(address: number, size: number): { key: Uint8Array; value: number } | undefined {
    const at = this.slotAt(address, size);
    if (at === undefined || this.memory.find(at.value, 1) === undefined) return undefined; // never used
    // A deleted value stays readable (see deleteUnlocked): present only while its key still names this slot.
    const key = this.index.key(at.slot);
    this.shared?.lock();
    try {
      if (this.index.find(key, 0) !== at.slot) return undefined;
    } finally {
      this.shared?.unlock();
    }
    return { key, value: at.value };
  }

  /** Find or create the slot of the key at `bytes[at]`, following the update flags; a slot number or a negative errno. */
  private slotFor(bytes: Uint8Array, at: number, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const index = this.index;
    const slot = index.find(bytes, at);
    if (slot >= 0) {
      if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      if (this.lru) index.touch(slot);
      return slot;
    }
    if (flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    let fresh = this.shared !== undefined ? this.shared.takeSlot() : (this.free.pop() ?? (this.fresh < this.slots ? this.fresh++ : -1));
    if (fresh < 0) {
      // Every slot in use: max_entries live elements (the kernel's -E2BIG), or the byte limit's fewer.
      const oldest = this.lru ? index.oldest() : -1;
      if (oldest < 0) {
        if (this.slots < this.spec.maxEntries) throw this.limitError();
        return -Errno.E2BIG;
      }
      index.remove(oldest);
      fresh = oldest;
    }
    const values = this.values;
    values.ensure(fresh);
    const memory = this.memory.bytes;
    for (let c = 0; c < this.cpus; c++) {
      const o = values.offset(fresh, c);
      memory.fill(0, o, o + this.stride);
    }
    values.setLive(fresh);
    index.insert(fresh, bytes, at);
    return fresh;
  }

  private limitError(): MapError {
    const s = this.spec;
    return new MapError(
      `map ${s.name}: no room for another element: its ${this.slots} values fill the ${this.maxBytes}-byte limit per map before max_entries ${s.maxEntries}; ` +
        `raise the limit with maxMapBytes (tsbpf's --max-map-bytes, at most ${MAX_MAP_BYTES_LIMIT}) or lower max_entries with mapSizes { ${s.name}: N } (--map-size ${s.name}=N)`,
    );
  }

  override programUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const shared = this.shared;
    if (shared === undefined) return this.updateUnlocked(key, value, flags, cpu);
    const refused = this.refusedUnlocked(shared, key, flags);
    if (refused !== 0) return refused;
    shared.lock();
    try {
      return this.updateUnlocked(key, value, flags, cpu);
    } finally {
      shared.unlock();
    }
  }

  /**
   * An update that can only fail, answered without the lock (0: take it): bad flags; BPF_NOEXIST of a
   * key a lock-free look ({@link SharedKeyIndex.findOptimistic}) found, BPF_EXIST of one it did not.
   * What the locked path would have answered at the moment of that look, which changes nothing (an
   * LRU map's order included). The common insert-if-absent pattern (BPF_NOEXIST, then a lookup) then
   * takes no lock once the key is in.
   */
  private refusedUnlocked(shared: SharedKeyIndex, key: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (flags === UpdateFlag.ANY) return 0;
    const slot = shared.findOptimistic(key, 0);
    if (slot === undefined) return 0;
    if (flags === UpdateFlag.NOEXIST) return slot >= 0 ? -Errno.EEXIST : 0;
    return slot < 0 ? -Errno.ENOENT : 0;
  }

  private updateUnlocked(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const slot = this.slotFor(key, 0, flags);
    if (slot < 0) return slot;
    const size = this.spec.valueSize;
    this.writeArena(this.slotOffset(slot, cpu), value.length === size ? value : value.subarray(0, size));
    return 0;
  }

  /** {@link programUpdate} of the key at `bytes[keyAt]` with the value at `bytes[valueAt]`. */
  override programUpdateAt(bytes: Uint8Array, keyAt: number, valueAt: number, flags: number, cpu: number): number {
    // Copied first: the key or value may lie in the value this update evicts (LRU) or overwrites.
    const key = this.keyCopy;
    const value = this.valueCopy;
    for (let i = 0; i < key.length; i++) key[i] = bytes[keyAt + i]!;
    for (let i = 0; i < value.length; i++) value[i] = bytes[valueAt + i]!;
    return this.programUpdate(key, value, flags, cpu);
  }

  override programDelete(key: Uint8Array): number {
    return this.deleteAt(key, 0);
  }

  /** {@link programDelete} of the key at `bytes[at]`. */
  override programDeleteAt(bytes: Uint8Array, at: number): number {
    return this.deleteAt(bytes, at);
  }

  private deleteAt(bytes: Uint8Array, at: number): number {
    const shared = this.shared;
    if (shared === undefined) return this.deleteUnlocked(bytes, at);
    // A key a lock-free look does not find: nothing to delete, no lock (see refusedUnlocked).
    if (shared.findOptimistic(bytes, at) === -1) return -Errno.ENOENT;
    shared.lock();
    try {
      return this.deleteUnlocked(bytes, at);
    } finally {
      shared.unlock();
    }
  }

  /**
   * The key leaves the index and its slot the free list's next; its value stays mapped, as the kernel's
   * does: a program holding a pointer to it (looked up before the delete) may still read and write it for
   * the rest of its run (a preallocated element goes back to the free list, a later update may take it and
   * the old pointer then sees the new value, as here; an allocated one is freed after an RCU grace
   * period, which no program run spans). bcc's tools look up, delete, then read the value.
   */
  private deleteUnlocked(bytes: Uint8Array, at: number): number {
    const slot = this.index.find(bytes, at);
    if (slot < 0) return -Errno.ENOENT;
    this.index.remove(slot);
    if (this.shared !== undefined) this.shared.freeSlot(slot);
    else this.free.push(slot);
    return 0;
  }

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value, this.hostValueSizes());
    this.shared?.lock();
    try {
      return this.hostUpdateUnlocked(key, value, flags);
    } finally {
      this.shared?.unlock();
    }
  }

  private hostUpdateUnlocked(key: Uint8Array, value: Uint8Array, flags: number): number {
    const slot = this.slotFor(key, 0, flags);
    if (slot < 0) return slot;
    for (let c = 0; c < this.cpus; c++) this.writeArena(this.slotOffset(slot, c), this.cpuValue(value, c));
    return 0;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    this.shared?.lock();
    let slot: number;
    try {
      slot = this.index.find(key, 0);
    } finally {
      this.shared?.unlock();
    }
    return slot < 0 ? undefined : this.readSlot(slot);
  }

  /** Every key present, as copies, oldest first: in insertion order (LRU maps: least recently used first, the next to be evicted). */
  override keys(): Uint8Array[] {
    return [...this.index.slots()].map((s) => this.index.key(s));
  }
}
