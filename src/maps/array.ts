/**
 * Array and per-CPU array maps: `max_entries` preallocated values indexed by a 32-bit key. Also the
 * libbpf-style internal maps of global data (`.data`, `.rodata`, `.bss`): one-element arrays whose
 * value is the section.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import type { InlineMap } from '../vm/environment.js';
import { SlotMap } from './slot-map.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from './types.js';

function index(key: Uint8Array, at = 0): number {
  return (key[at]! | (key[at + 1]! << 8) | (key[at + 2]! << 16) | (key[at + 3]! << 24)) >>> 0;
}

/** `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY`. */
export class ArrayMap extends SlotMap {
  constructor(memory: VmMemory, spec: MapSpec, cpus = 1, writable = true) {
    if (spec.keySize !== 4) throw new MapError(`map ${spec.name}: array maps need 4-byte keys, not ${spec.keySize}`);
    super(memory, spec, spec.type === MapType.PERCPU_ARRAY, cpus, writable);
  }

  /**
   * Virtual address of an element's value for a CPU (no bounds check on the index).
   * @internal
   */
  valueAddress(i: number, cpu = 0): number {
    return this.slotAddress(i, cpu);
  }

  /**
   * The element holding `[address, address + size)` inside its value (one CPU's value, per-CPU): its key
   * and value address, or undefined.
   * @internal
   */
  elementOf(address: number, size: number): { key: Uint8Array; value: number } | undefined {
    const at = this.slotAt(address, size);
    if (at === undefined) return undefined;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, at.slot, true);
    return { key, value: at.value };
  }

  override programLookup(key: Uint8Array, cpu: number): number {
    const i = index(key);
    return i < this.spec.maxEntries ? this.valueAddress(i, cpu) : 0;
  }

  override programLookupAt(bytes: Uint8Array, at: number, cpu: number): number {
    const i = index(bytes, at);
    return i < this.spec.maxEntries ? this.valueAddress(i, cpu) : 0;
  }

  /** Arrays and per-CPU arrays the program may write (see BpfMap.inlineLookup): an index bounded by max_entries, the value at a fixed stride. */
  override inlineLookup(cpu: number): InlineMap | undefined {
    const t = this.spec.type;
    if ((t !== MapType.ARRAY && t !== MapType.PERCPU_ARRAY) || !this.programWritable || this.isFrozen) return undefined;
    return { kind: 'array', base: this.valueAddress(0, cpu), stride: this.stride, maxEntries: this.spec.maxEntries };
  }

  override programUpdateAt(bytes: Uint8Array, keyAt: number, valueAt: number, flags: number, cpu: number): number {
    if (bytes !== this.memory.bytes) return super.programUpdateAt(bytes, keyAt, valueAt, flags, cpu);
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = index(bytes, keyAt);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    // copyWithin: the value may overlap the one it replaces.
    const to = this.arenaOffset(this.slotOffset(i, cpu));
    bytes.copyWithin(to, valueAt, valueAt + this.spec.valueSize);
    return 0;
  }

  override programUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = index(key);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    this.writeArena(this.slotOffset(i, cpu), value.subarray(0, this.spec.valueSize));
    return 0;
  }

  override programDelete(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const i = index(key);
    return i < this.spec.maxEntries ? this.readSlot(i) : undefined;
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
    this.checkValue(value, this.hostValueSizes());
    for (let c = 0; c < this.cpus; c++) {
      const r = this.programUpdate(key, this.cpuValue(value, c), flags, c);
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
