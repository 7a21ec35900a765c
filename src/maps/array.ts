/**
 * Array and per-CPU array maps: `max_entries` preallocated values indexed by a 32-bit key. Also the
 * libbpf-style internal maps of global data (`.data`, `.rodata`, `.bss`): one-element arrays whose
 * value is the section.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { BpfMap, round8 } from './map.js';
import { packValues, valueStride } from './values.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from './types.js';

function index(key: Uint8Array, at = 0): number {
  return (key[at]! | (key[at + 1]! << 8) | (key[at + 2]! << 16) | (key[at + 3]! << 24)) >>> 0;
}

/** `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY`. */
export class ArrayMap extends BpfMap {
  /** CPUs a value is kept for (1 unless per-CPU). */
  readonly cpus: number;
  /** Arena bytes from one value to the next (see maps/values). */
  private readonly stride: number;
  /** A value in the host's per-CPU format: padded to 8 bytes. */
  private readonly pad: number;

  constructor(memory: VmMemory, spec: MapSpec, cpus = 1, writable = true) {
    const percpu = spec.type === MapType.PERCPU_ARRAY;
    if (spec.keySize !== 4) throw new MapError(`map ${spec.name}: array maps need 4-byte keys, not ${spec.keySize}`);
    const n = percpu ? cpus : 1;
    const stride = valueStride(spec.valueSize);
    // Each value (each CPU's, per-CPU) is an element: accesses stay inside one (a global section is one value).
    super(memory, spec, spec.maxEntries * n * stride, writable, { stride, size: Math.max(spec.valueSize, 1) });
    this.cpus = n;
    this.stride = stride;
    this.pad = round8(spec.valueSize);
  }

  /**
   * Virtual address of an element's value for a CPU (no bounds check on the index).
   * @internal
   */
  valueAddress(i: number, cpu = 0): number {
    return this.arenaAddress + (i * this.cpus + (cpu % this.cpus)) * this.stride;
  }

  /**
   * The element holding `[address, address + size)` inside its value (one CPU's value, per-CPU): its key
   * and value address, or undefined.
   * @internal
   */
  elementOf(address: number, size: number): { key: Uint8Array; value: number } | undefined {
    const d = address - this.arenaAddress;
    const i = Math.floor(d / this.stride);
    const value = this.arenaAddress + i * this.stride;
    if (d < 0 || i >= this.spec.maxEntries * this.cpus || address + size > value + this.spec.valueSize) return undefined;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, Math.floor(i / this.cpus), true);
    return { key, value };
  }

  override programLookup(key: Uint8Array, cpu: number): number {
    const i = index(key);
    return i < this.spec.maxEntries ? this.valueAddress(i, cpu) : 0;
  }

  override programLookupAt(bytes: Uint8Array, at: number, cpu: number): number {
    const i = index(bytes, at);
    return i < this.spec.maxEntries ? this.valueAddress(i, cpu) : 0;
  }

  override programUpdateAt(bytes: Uint8Array, keyAt: number, valueAt: number, flags: number, cpu: number): number {
    if (bytes !== this.memory.bytes) return super.programUpdateAt(bytes, keyAt, valueAt, flags, cpu);
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = index(bytes, keyAt);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    // copyWithin: the value may overlap the one it replaces.
    const to = this.arenaOffset((i * this.cpus + (cpu % this.cpus)) * this.stride);
    bytes.copyWithin(to, valueAt, valueAt + this.spec.valueSize);
    return 0;
  }

  override programUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = index(key);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    this.writeArena((i * this.cpus + (cpu % this.cpus)) * this.stride, value.subarray(0, this.spec.valueSize));
    return 0;
  }

  override programDelete(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const i = index(key);
    if (i >= this.spec.maxEntries) return undefined;
    if (this.cpus === 1 && this.spec.type !== MapType.PERCPU_ARRAY) return this.readArena(i * this.stride, this.spec.valueSize);
    return packValues(this.memory, this.arenaOffset(0), this.stride, this.spec.valueSize, i * this.cpus, this.cpus);
  }

  /** Per-CPU maps: one value per CPU. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    const all = this.lookup(key);
    if (all === undefined) return undefined;
    if (this.spec.type !== MapType.PERCPU_ARRAY) return [all];
    return Array.from({ length: this.cpus }, (_, c) => all.slice(c * this.pad, c * this.pad + this.spec.valueSize));
  }

  /**
   * True once the map is frozen (BPF_MAP_FREEZE): the host may no longer change it. The loader freezes
   * read-only global data (`.rodata`, `.kconfig`) when it verifies the first program, as libbpf does
   * before loading, because the verifier then takes loads from it as constants.
   */
  get frozen(): boolean {
    return this.isFrozen;
  }

  /**
   * Freeze the map (see {@link ArrayMap.frozen}); there is no way back.
   * @internal
   */
  freeze(): void {
    this.isFrozen = true;
  }

  private isFrozen = false;

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (this.isFrozen) throw new MapError(`map ${this.name} is frozen: read-only global data is frozen when the first program of its object is loaded (as libbpf does); set it before`, { errno: Errno.EPERM });
    const percpu = this.spec.type === MapType.PERCPU_ARRAY;
    this.checkValue(value, percpu ? [this.spec.valueSize, this.cpus * this.pad] : [this.spec.valueSize]);
    if (value.length === this.spec.valueSize) {
      for (let c = 0; c < this.cpus; c++) {
        const r = this.programUpdate(key, value, flags, c);
        if (r < 0) return r;
      }
      return 0;
    }
    for (let c = 0; c < this.cpus; c++) {
      const r = this.programUpdate(key, value.subarray(c * this.pad, c * this.pad + this.spec.valueSize), flags, c);
      if (r < 0) return r;
    }
    return 0;
  }

  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return false;
  }

  override keys(): Uint8Array[] {
    return Array.from({ length: this.spec.maxEntries }, (_, i) => {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      return k;
    });
  }

  /**
   * The whole value of a one-element array (global data): a live view, valid until memory grows.
   * @internal
   */
  view(): Uint8Array {
    return this.arena === undefined ? new Uint8Array(0) : this.memory.bytes.subarray(this.arena.offset, this.arena.offset + this.spec.valueSize);
  }
}
