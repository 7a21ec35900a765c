/**
 * The base of every map: its shape, its handle (the value a program's `lddw` loads to name it), and
 * the two faces every map has — the program side (helpers; kernel return conventions, negative
 * errno) and the host side (TypeScript; `MapError` on misuse).
 * @module
 */
import { MapError } from '../errors.js';
import type { Region, RegionElements, VmMemory } from '../vm/memory.js';
import type { InlineMap } from '../vm/environment.js';
import { Errno, errnoName, mapTypeName, type MapSpec } from './types.js';
import { checkInteger } from '../validate.js';
import { allocateMapBytes } from './line-alloc.js';

/** Hex key of a byte string, to index JS maps by key bytes. */
export function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]!);
  return s;
}

/** Inverse of {@link keyString}. */
export function keyBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Largest value arena a map may have by default (`MapOptions.maxMapBytes` raises it): a guard against
 * absurd sizes, as the kernel's memlock limit is.
 */
export const DEFAULT_MAX_MAP_BYTES = 128 * 1024 * 1024;
/** Largest value arena any map may have (the VM's heap addresses span 2 GiB). */
export const MAX_MAP_BYTES_LIMIT = 1024 * 1024 * 1024;

/** `map_flags` bit that makes a map read-only to programs (libbpf sets it on `.rodata`). */
export const BPF_F_RDONLY_PROG = 1 << 7;

/** Base class of all maps. */
export abstract class BpfMap {
  /** The map's shape. */
  readonly spec: MapSpec;
  /** The VM memory the map's values live in. */
  readonly memory: VmMemory;
  /**
   * The map reference a program's `lddw` of this map loads (the kernel's map pointer), and the map's
   * "fd" in maps of maps. It is a virtual address reserved for the map and never mapped, so it is
   * distinct from every data address (a global variable's address is not a map) and a program that
   * dereferences it faults. Helpers turn it back into the map with the object's handle table.
   */
  readonly handle: number;
  /** Virtual address of the map's first value byte (its arena); 0 for maps without one. */
  readonly arenaAddress: number;
  /**
   * False when programs may not change the map: `.rodata`, and maps with `BPF_F_RDONLY_PROG` in
   * `map_flags`. Their values are read-only to programs, and helpers refuse to update, delete, push
   * or pop them (the kernel refuses such programs when loading them). The host may still write.
   */
  readonly programWritable: boolean;
  /** The region holding the map's values, when it has one. */
  protected readonly arena: Region | undefined;

  /**
   * `elements`: how the arena holds values (see {@link Region.stride}): a program's access through a
   * value pointer must then stay inside that one (live) value, as the kernel's verifier ensures.
   * `mapped` false: only the arena's virtual addresses are reserved; the map maps regions there itself
   * (maps/slot-arena: a hash map's values, reserved as they are first used) and overrides {@link arenaOffset}.
   */
  constructor(memory: VmMemory, spec: MapSpec, arenaSize: number, writable = true, elements?: RegionElements, mapped = true) {
    this.memory = memory;
    this.spec = spec;
    if (!Number.isSafeInteger(arenaSize) || arenaSize > MAX_MAP_BYTES_LIMIT) {
      throw new MapError(`map ${spec.name}: ${arenaSize} bytes of values is more than tsbpf's ${MAX_MAP_BYTES_LIMIT}-byte maximum; lower max_entries`);
    }
    this.programWritable = writable && (spec.flags & BPF_F_RDONLY_PROG) === 0;
    // The heap allocator never hands out an address twice, so mapping and unmapping an empty region
    // reserves an address no region will ever cover.
    const reserved = memory.map({ name: `handle:${spec.name}`, size: 0 });
    memory.unmap(reserved);
    this.handle = reserved.vaddr;
    if (arenaSize === 0 || !mapped) {
      this.arena = undefined;
      this.arenaAddress = arenaSize === 0 ? 0 : memory.reserve(arenaSize);
    } else {
      // In a shared memory, on lines of its own (maps/line-alloc.ts); memory.map would allocate it packed.
      const offset = memory.shared ? allocateMapBytes(memory, arenaSize, 8) : undefined;
      this.arena = memory.map({ name: `map:${spec.name}`, size: arenaSize, writable: this.programWritable, elements, ...(offset === undefined ? {} : { offset }) });
      this.arenaAddress = this.arena.vaddr;
    }
  }

  /** Map name. */
  get name(): string {
    return this.spec.name;
  }

  /** Key size in bytes. */
  get keySize(): number {
    return this.spec.keySize;
  }

  /** Value size in bytes. */
  get valueSize(): number {
    return this.spec.valueSize;
  }

  /**
   * Program side of `bpf_map_lookup_elem`: the value's virtual address, or 0 when absent.
   * @internal
   */
  programLookup(_key: Uint8Array, _cpu: number): number {
    return 0;
  }

  /**
   * How an engine may answer this map's program lookups on `cpu` itself (vm/environment's
   * `InlineMap`), or undefined (the default: only {@link programLookup} may).
   * @internal
   */
  inlineLookup(_cpu: number): InlineMap | undefined {
    return undefined;
  }

  /**
   * Program side of `bpf_map_update_elem`: 0 or a negative errno.
   * @internal
   */
  programUpdate(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number {
    return -Errno.EINVAL;
  }

  /**
   * Program side of `bpf_map_delete_elem`: 0 or a negative errno.
   * @internal
   */
  programDelete(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }

  /**
   * {@link programLookup} of the `keySize` bytes at `bytes[at]` (a helper passes the VM's linear memory
   * and the key's offset there). Maps that can answer without a view of the key override it.
   * @internal
   */
  programLookupAt(bytes: Uint8Array, at: number, cpu: number): number {
    return this.programLookup(bytes.subarray(at, at + this.keySize), cpu);
  }

  /**
   * {@link programUpdate} of the key at `bytes[keyAt]` with the value at `bytes[valueAt]` (both read before anything changes).
   * @internal
   */
  programUpdateAt(bytes: Uint8Array, keyAt: number, valueAt: number, flags: number, cpu: number): number {
    return this.programUpdate(bytes.slice(keyAt, keyAt + this.keySize), bytes.slice(valueAt, valueAt + this.valueSize), flags, cpu);
  }

  /**
   * {@link programDelete} of the key at `bytes[at]`.
   * @internal
   */
  programDeleteAt(bytes: Uint8Array, at: number): number {
    return this.programDelete(bytes.subarray(at, at + this.keySize));
  }

  /**
   * Program side of `bpf_map_push_elem`.
   * @internal
   */
  programPush(_value: Uint8Array, _flags: number): number {
    return -Errno.EINVAL;
  }

  /**
   * Program side of `bpf_map_pop_elem` / `bpf_map_peek_elem`: the value or a negative errno.
   * @internal
   */
  programPop(_peek: boolean): Uint8Array | number {
    return -Errno.EINVAL;
  }

  /** Host lookup: a copy of the value (per-CPU maps: every CPU's value, each padded to 8 bytes), or undefined. */
  abstract lookup(key: Uint8Array): Uint8Array | undefined;

  /** Host update with kernel flag semantics; throws {@link MapError} with the errno the kernel would give. */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkKey(key);
    checkInteger(flags, 'flags', 0, 0xffff_ffff);
    const r = this.hostUpdate(key, value, flags);
    if (r < 0) this.fail(`update failed`, -r);
  }

  /** Host delete: true when an element was removed. */
  delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.programDelete(key) === 0;
  }

  /** Every key present, as copies. */
  abstract keys(): Uint8Array[];

  /** Every `[key, value]` present, as copies. */
  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v !== undefined) out.push([k, v]);
    }
    return out;
  }

  /** Host update hook; defaults to the program side on CPU 0. */
  protected hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value);
    return this.programUpdate(key, value, flags, 0);
  }

  /** Throw a MapError naming the map, its type and the errno. */
  protected fail(what: string, errno: number): never {
    throw new MapError(`map ${this.name} (${mapTypeName(this.spec.type)}): ${what}: ${errnoName(errno)}`, { errno });
  }

  /** Check a host-supplied key's length. */
  protected checkKey(key: Uint8Array): void {
    if (!(key instanceof Uint8Array) || key.length !== this.keySize) {
      throw new MapError(`map ${this.name}: key must be ${this.keySize} bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`);
    }
  }

  /** Check a host-supplied value's length. */
  protected checkValue(value: Uint8Array, allowed: readonly number[] = [this.valueSize]): void {
    if (!(value instanceof Uint8Array) || !allowed.includes(value.length)) {
      throw new MapError(`map ${this.name}: value must be ${allowed.join(' or ')} bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`);
    }
  }

  /** Linear-memory offset of an arena byte. */
  protected arenaOffset(at: number): number {
    return this.arena!.offset + at;
  }

  /** Copy bytes out of the arena. */
  protected readArena(at: number, len: number): Uint8Array {
    const o = this.arenaOffset(at);
    return this.memory.bytes.slice(o, o + len);
  }

  /** Copy bytes into the arena. */
  protected writeArena(at: number, data: Uint8Array): void {
    this.memory.bytes.set(data, this.arenaOffset(at));
  }

  /** Zero bytes of the arena. */
  protected zeroArena(at: number, len: number): void {
    const o = this.arenaOffset(at);
    this.memory.bytes.fill(0, o, o + len);
  }
}

/** Round up to a multiple of 8, the kernel's per-CPU value stride. */
export function round8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
