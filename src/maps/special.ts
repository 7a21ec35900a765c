/**
 * Maps whose values are not plain bytes: program arrays (tail-call targets), perf event arrays
 * (records handed to a host callback) and maps of maps.
 * @module
 */
import { MapError } from '../errors.js';
import { Program } from '../vm/program.js';
import type { VmMemory } from '../vm/memory.js';
import { BpfMap, keyBytes, keyString as keyStringOf } from './map.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from './types.js';
import { checkInteger, describeValue } from '../validate.js';

function index(key: Uint8Array): number {
  return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
}

function u32(n: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, n >>> 0, true);
  return k;
}

/** What a program array accepts as a value from the host: a program, its name, or a 4-byte "fd" (index in the object's program list). */
export type ProgramRef = Program | string | number | Uint8Array;

/** `BPF_MAP_TYPE_PROG_ARRAY`: slots holding tail-call targets. */
export class ProgramArrayMap extends BpfMap {
  private readonly slots = new Map<number, Program>();
  /** Turns a host value into a program; the loaded object installs one that knows its programs. */
  resolver: (ref: ProgramRef) => Program | undefined = (ref) => (ref instanceof Program ? ref : undefined);

  constructor(memory: VmMemory, spec: MapSpec) {
    if (spec.keySize !== 4 || spec.valueSize !== 4) {
      throw new MapError(`program array ${spec.name}: key and value must be 4 bytes (got ${spec.keySize} and ${spec.valueSize})`);
    }
    super(memory, spec, 0);
  }

  /** The program at an index, for `bpf_tail_call`. */
  get(i: number): Program | undefined {
    return this.slots.get(checkInteger(i, 'i', 0, 0xffff_ffff));
  }

  /** Set a slot to a program (by reference, name or fd); `undefined` clears it. */
  set(i: number, ref: ProgramRef | undefined): void {
    checkInteger(i, 'i', 0, 0xffff_ffff);
    if (i >= this.spec.maxEntries) {
      throw new MapError(`program array ${this.name}: index ${i} is outside [0, ${this.spec.maxEntries})`, { errno: Errno.E2BIG });
    }
    if (ref === undefined) {
      this.slots.delete(i);
      return;
    }
    const p = this.resolver(ref);
    if (p === undefined) throw new MapError(`program array ${this.name}: no program ${describeValue(ref)}`);
    this.slots.set(i, p);
  }

  /** Host update: key as 4 bytes or a number; value a program, its name or its fd. */
  override update(key: Uint8Array | number, value: ProgramRef, flags = 0): void {
    const i = typeof key === 'number' ? checkInteger(key, 'key', 0, 0xffff_ffff) : (this.checkKey(key), index(key));
    checkInteger(flags, 'flags', 0, 0xffff_ffff);
    if (flags > UpdateFlag.EXIST) this.fail('update failed', Errno.EINVAL);
    if (flags === UpdateFlag.NOEXIST && this.get(i) !== undefined) this.fail('update failed', Errno.EEXIST);
    if (flags === UpdateFlag.EXIST && this.get(i) === undefined) this.fail('update failed', Errno.ENOENT);
    this.set(i, value);
  }

  override programDelete(key: Uint8Array): number {
    const i = index(key);
    if (i >= this.spec.maxEntries) return -Errno.EINVAL;
    return this.slots.delete(i) ? 0 : -Errno.ENOENT;
  }

  /** The program's name at an index as UTF-8 bytes, or undefined (the kernel gives the program id). */
  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const p = this.get(index(key));
    return p === undefined ? undefined : new TextEncoder().encode(p.name);
  }

  override keys(): Uint8Array[] {
    return [...this.slots.keys()].sort((a, b) => a - b).map(u32);
  }
}

/** One record given to `bpf_perf_event_output`. */
export interface PerfRecord {
  /** CPU index the record was sent to. */
  readonly cpu: number;
  /** The data (a copy). */
  readonly data: Uint8Array;
}

/**
 * Bytes of each CPU's perf buffer unless `MapOptions.perfBufferBytes` says otherwise: 8 pages of 4 KiB,
 * the page count BCC opens perf buffers with (libbpf's `perf_buffer__new` leaves it to the caller).
 */
export const DEFAULT_PERF_BUFFER_BYTES = 8 * 4096;

/** Bytes a record takes in a perf buffer besides its data: the sample header and raw size, 8-byte aligned. */
const PERF_RECORD_HEADER = 12;

/**
 * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`, with the perf buffers a host would open on it: one per CPU (slots 0 to
 * `cpus - 1`; `max_entries` 0 means one slot per CPU, as libbpf makes it). A record goes to the host
 * callback when there is one (the consumer keeps up); otherwise it waits in its CPU's buffer until
 * {@link drain}. A buffer holds {@link capacity} bytes; a record that does not fit is dropped and counted,
 * and the program gets -ENOSPC, as from the kernel when the reader falls behind.
 */
export class PerfEventArrayMap extends BpfMap {
  private readonly pending: PerfRecord[] = [];
  /** Bytes held per CPU. */
  private readonly used: number[];
  /** Called for each record as it is output; records it receives are not kept. */
  onEvent: ((cpu: number, data: Uint8Array) => void) | undefined;
  /** Bytes of each CPU's buffer. */
  readonly capacity: number;
  /** Records dropped because their CPU's buffer was full (the kernel's lost-sample count). */
  dropped = 0;
  private readonly slots: number;
  private readonly buffers: number;

  constructor(memory: VmMemory, spec: MapSpec, cpus = 1, capacity = DEFAULT_PERF_BUFFER_BYTES) {
    super(memory, spec, 0);
    this.capacity = capacity;
    this.slots = spec.maxEntries === 0 ? cpus : spec.maxEntries;
    this.buffers = Math.min(this.slots, cpus);
    this.used = new Array<number>(this.buffers).fill(0);
  }

  /**
   * Accept one record from a program for slot `index`: 0, or -E2BIG past `max_entries`, -ENOENT for a
   * slot without a perf buffer (no such CPU), -ENOSPC when the buffer is full. `data` is copied.
   * @internal
   */
  output(index: number, data: Uint8Array): number {
    if (index >= this.slots) return -Errno.E2BIG;
    if (index >= this.buffers) return -Errno.ENOENT;
    if (this.onEvent !== undefined) {
      this.onEvent(index, data.slice());
      return 0;
    }
    const size = Math.ceil((data.length + PERF_RECORD_HEADER) / 8) * 8;
    if (this.used[index]! + size > this.capacity) {
      this.dropped++;
      return -Errno.ENOSPC;
    }
    this.used[index]! += size;
    this.pending.push({ cpu: index, data: data.slice() });
    return 0;
  }

  /** Slots a program may name: `max_entries`, or one per CPU when it is 0. */
  get slotCount(): number {
    return this.slots;
  }

  /** Records kept, waiting for {@link drain}. */
  get pendingRecords(): number {
    return this.pending.length;
  }

  /** Take every record kept so far, oldest first, freeing the buffers. */
  drain(): PerfRecord[] {
    this.used.fill(0);
    return this.pending.splice(0, this.pending.length);
  }

  override lookup(): Uint8Array | undefined {
    return undefined;
  }

  override keys(): Uint8Array[] {
    return [];
  }
}

/** What a map-of-maps accepts as a value from the host: a map, its name, or its handle as a 4-byte "fd". */
export type MapRef = BpfMap | string | number | Uint8Array;

/**
 * `BPF_MAP_TYPE_ARRAY_OF_MAPS` and `HASH_OF_MAPS`: values are maps. A program's lookup returns the inner
 * map's handle, which it then passes to the map helpers, as with the kernel's inner map pointer. The
 * "fd" of a map (what the host lookup returns and what a 4-byte value names) is its handle.
 */
export class MapOfMaps extends BpfMap {
  private readonly inner = new Map<string, BpfMap>();
  /** Turns a host value into a map; the loaded object installs one that knows its maps. */
  resolver: (ref: MapRef) => BpfMap | undefined = (ref) => (ref instanceof BpfMap ? ref : undefined);

  constructor(memory: VmMemory, spec: MapSpec) {
    if (spec.inner === undefined) throw new MapError(`map of maps ${spec.name}: the inner map's definition is missing: declare it with __array(values, …), or give its shape as its loader does (bpf_map__set_inner_map_fd) with innerMaps { ${spec.name}: { type, keySize, valueSize, maxEntries } } (CLI: --inner-map ${spec.name}=TYPE:KEY:VALUE:ENTRIES)`);
    if (spec.valueSize !== 4) throw new MapError(`map of maps ${spec.name}: values must be 4 bytes, not ${spec.valueSize}`);
    super(memory, spec, 0);
  }

  private get isArray(): boolean {
    return this.spec.type === MapType.ARRAY_OF_MAPS;
  }

  private keyOk(key: Uint8Array): boolean {
    return !this.isArray || index(key) < this.spec.maxEntries;
  }

  override programLookup(key: Uint8Array): number {
    return this.inner.get(keyStringOf(key))?.handle ?? 0;
  }

  override programDelete(key: Uint8Array): number {
    if (!this.keyOk(key)) return -Errno.EINVAL;
    return this.inner.delete(keyStringOf(key)) ? 0 : -Errno.ENOENT;
  }

  /** Host update: key bytes (or an index for arrays of maps), value a map, its name or its fd. */
  override update(key: Uint8Array | number, value: MapRef, flags = 0): void {
    const k = this.keyArg(key);
    checkInteger(flags, 'flags', 0, 0xffff_ffff);
    if (!this.keyOk(k)) this.fail('update failed', Errno.E2BIG);
    const m = this.resolver(value);
    if (m === undefined) throw new MapError(`map of maps ${this.name}: no map ${describeValue(value)}`);
    const want = this.spec.inner!;
    if (m.spec.type !== want.type || m.spec.keySize !== want.keySize || m.spec.valueSize !== want.valueSize) {
      throw new MapError(`map of maps ${this.name}: map ${m.name} does not match the inner definition (type ${want.type}, key ${want.keySize}, value ${want.valueSize} bytes)`);
    }
    const s = keyStringOf(k);
    if (flags > UpdateFlag.EXIST) this.fail('update failed', Errno.EINVAL);
    if (flags === UpdateFlag.NOEXIST && this.inner.has(s)) this.fail('update failed', Errno.EEXIST);
    if (flags === UpdateFlag.EXIST && !this.inner.has(s)) this.fail('update failed', Errno.ENOENT);
    if (!this.isArray && !this.inner.has(s) && this.inner.size >= this.spec.maxEntries) this.fail('update failed', Errno.E2BIG);
    this.inner.set(s, m);
  }

  /** The inner map at a key. */
  get(key: Uint8Array | number): BpfMap | undefined {
    return this.inner.get(keyStringOf(this.keyArg(key)));
  }

  /** A host key: its bytes, or an index (arrays of maps), checked. */
  private keyArg(key: unknown): Uint8Array {
    const k = typeof key === 'number' ? u32(checkInteger(key, 'key', 0, 0xffff_ffff)) : (key as Uint8Array);
    this.checkKey(k);
    return k;
  }

  /** The inner map's fd (its handle) as 4 bytes, or undefined. */
  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const m = this.inner.get(keyStringOf(key));
    return m === undefined ? undefined : u32(m.handle);
  }

  override keys(): Uint8Array[] {
    return [...this.inner.keys()].map(keyBytes);
  }
}
