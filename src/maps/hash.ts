/**
 * Hash maps: plain, per-CPU, LRU and LRU per-CPU. Values live in a preallocated arena of
 * `max_entries` slots in the VM memory (so lookups return pointers programs can read, write and
 * update atomically); the key index (maps/key-index) finds a key's slot from the key's bytes where
 * they lie, without building a string or array per lookup, and keeps the order LRU eviction needs.
 * @module
 */
import { checkInteger } from '../validate.js';
import type { VmMemory } from '../vm/memory.js';
import { KeyIndex } from './key-index.js';
import { SharedKeyIndex } from './shared-key-index.js';
import { SlotMap } from './slot-map.js';
import { Liveness } from './values.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from './types.js';

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
  private readonly live: Liveness;
  /** Slots never used yet are handed out in order, so a huge max_entries costs nothing up front. */
  private fresh = 0;

  /** @param percpu one value per CPU (default: the per-CPU hash types) */
  constructor(memory: VmMemory, spec: MapSpec, cpus = 1, percpu = spec.type === MapType.PERCPU_HASH || spec.type === MapType.LRU_PERCPU_HASH) {
    // Each value (each CPU's, per-CPU) is reachable once its slot has held a key (never-used slots fault).
    const live = new Liveness(memory, SlotMap.elements(spec, percpu, cpus));
    super(memory, spec, percpu, cpus, true, live);
    this.live = live;
    this.lru = spec.type === MapType.LRU_HASH || spec.type === MapType.LRU_PERCPU_HASH;
    this.shared = memory.shared ? new SharedKeyIndex(memory, spec.keySize, spec.maxEntries) : undefined;
    this.index = this.shared ?? new KeyIndex(spec.keySize, spec.maxEntries);
    this.keyCopy = new Uint8Array(spec.keySize);
    this.valueCopy = new Uint8Array(spec.valueSize);
  }

  /** Number of elements present. */
  get size(): number {
    return this.index.size;
  }

  override programLookup(key: Uint8Array, cpu: number): number {
    return this.lookupAt(key, 0, cpu);
  }

  /** {@link programLookup} of the key at `bytes[at]` (a program's key, read where it lies in linear memory). */
  override programLookupAt(bytes: Uint8Array, at: number, cpu: number): number {
    return this.lookupAt(bytes, at, cpu);
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
    let fresh = this.shared !== undefined ? this.shared.takeSlot() : (this.free.pop() ?? (this.fresh < this.spec.maxEntries ? this.fresh++ : -1));
    if (fresh < 0) {
      if (!this.lru) return -Errno.E2BIG;
      const oldest = index.oldest();
      if (oldest < 0) return -Errno.E2BIG;
      index.remove(oldest);
      fresh = oldest;
    }
    for (let c = 0; c < this.cpus; c++) {
      this.zeroArena(this.slotOffset(fresh, c), this.stride);
      this.live.set(this.element(fresh, c), 1);
    }
    index.insert(fresh, bytes, at);
    return fresh;
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
