/**
 * The values of a hash map's numbered slots (internal to maps): where each slot's value lies in
 * linear memory, and its liveness bytes. The map's virtual addresses are reserved for every slot up
 * front, so a value's address is the same arithmetic as an array's (maps/slot-map: the arena's
 * address, plus the CPU's section and the slot, times the stride) and never changes while the
 * element lives; the linear memory behind them is reserved in *chunks* as slots are first used.
 *
 * Chunk k holds slots `[first × (2^k − 1), first × (2^(k+1) − 1))`: each is twice the one before,
 * so a map's reserved bytes stay within about twice what its most elements at once have used (slots
 * are handed out in order and freed ones reused first), and a map of millions of entries has a few
 * dozen chunks at most. Each chunk is a region of its own per CPU (an element region with its own
 * liveness bytes: see vm/memory's Region), mapped once and never moved, so a value pointer a program
 * holds stays valid when a later insert adds a chunk; adding one changes `VmMemory.version` as any
 * mapping does. A map whose values fit in the first chunk takes it at once (one region, as arrays).
 *
 * In a shared memory (a worker pool's) every slot's memory is reserved at once: a shared memory does
 * not grow, and every thread must see the same regions (the pool sizes the memory for it).
 * @module
 */
import { EbpfError, MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { allocateMapBytes } from './line-alloc.js';

/** Bytes of values (every CPU's) in a map's first chunk; maps no larger are reserved whole at once. */
export const FIRST_CHUNK_BYTES = 256 * 1024;

/** Where a map's slots' values are; see the module comment. */
export class SlotArena {
  /** Every slot reserved at once (one chunk). */
  private readonly whole: boolean;
  /** Slots in the first chunk. */
  private readonly first: number;
  /** Per chunk and CPU (`k * cpus + c`): the linear offset of the chunk's first value, and of its first liveness byte. */
  private readonly values: number[] = [];
  private readonly live: number[] = [];
  /** Slots the chunks made so far hold. */
  private backed = 0;
  /** Linear bytes reserved so far: values and liveness bytes. */
  private bytes = 0;

  /**
   * `address`: the virtual address reserved for the values of `slots` slots on `cpus` CPUs, each CPU's
   * `section` values further on (CPU-major, as maps/slot-map lays them out).
   */
  constructor(
    private readonly memory: VmMemory,
    private readonly name: string,
    private readonly address: number,
    private readonly slots: number,
    private readonly cpus: number,
    private readonly section: number,
    private readonly stride: number,
    private readonly valueSize: number,
    private readonly writable: boolean,
  ) {
    this.whole = memory.shared || slots * stride * cpus <= FIRST_CHUNK_BYTES;
    this.first = this.whole ? slots : Math.max(1, Math.floor(FIRST_CHUNK_BYTES / (stride * cpus)));
    if (this.whole) this.reserveWhole();
  }

  /** Linear bytes a map's values and liveness bytes take when every slot is reserved (what a shared memory must hold for them). */
  static wholeBytes(section: number, stride: number, cpus: number): number {
    return section * cpus * (stride + 1);
  }

  /** Linear bytes reserved so far for values and liveness bytes. */
  get reserved(): number {
    return this.bytes;
  }

  /** Chunks reserved so far. */
  get chunks(): number {
    return this.values.length / this.cpus;
  }

  /** Bytes {@link wholeBytes} would take beyond what is reserved (0 once every slot is). */
  get deferred(): number {
    return this.backed >= this.slots ? 0 : Math.max(0, SlotArena.wholeBytes(this.section, this.stride, this.cpus) - this.bytes);
  }

  /** Chunk holding `slot`. */
  private chunkOf(slot: number): number {
    return 31 - Math.clz32(Math.floor(slot / this.first) + 1);
  }

  /** First slot of chunk `k`. */
  private chunkStart(k: number): number {
    return this.first * (2 ** k - 1);
  }

  /** Make sure `slot`'s value has memory, reserving chunks up to its own. */
  ensure(slot: number): void {
    while (slot >= this.backed) this.addChunk();
  }

  /** Linear offset of `slot`'s value for CPU `cpu` (`slot` below what {@link ensure} made sure of). */
  offset(slot: number, cpu: number): number {
    if (this.whole) return this.values[cpu]! + slot * this.stride;
    const k = this.chunkOf(slot);
    return this.values[k * this.cpus + cpu]! + (slot - this.chunkStart(k)) * this.stride;
  }

  /** Mark `slot`'s value live on every CPU (a pointer to it may be used from now on). */
  setLive(slot: number): void {
    const k = this.whole ? 0 : this.chunkOf(slot);
    const at = slot - this.chunkStart(k);
    const bytes = this.memory.bytes;
    for (let c = 0; c < this.cpus; c++) bytes[this.live[k * this.cpus + c]! + at] = 1;
  }

  /** One chunk of every slot, as arrays have: the values CPU-major with their sections' padding, one region. */
  private reserveWhole(): void {
    const elements = this.section * this.cpus;
    const values = allocateMapBytes(this.memory, Math.max(elements * this.stride, 1), 8);
    const live = allocateMapBytes(this.memory, Math.max(elements, 1), 1);
    this.memory.map({ name: `map:${this.name}`, vaddr: this.address, size: elements * this.stride, offset: values, writable: this.writable, elements: { stride: this.stride, size: Math.max(this.valueSize, 1), liveness: live } });
    for (let c = 0; c < this.cpus; c++) {
      this.values.push(values + c * this.section * this.stride);
      this.live.push(live + c * this.section);
    }
    this.backed = this.slots;
    this.bytes = SlotArena.wholeBytes(this.section, this.stride, this.cpus);
  }

  /** Reserve and map the next chunk (every CPU's part of it). */
  private addChunk(): void {
    const k = this.chunks;
    const start = this.chunkStart(k);
    const count = Math.min(this.first * 2 ** k, this.slots - start);
    let values: number, live: number;
    for (let c = 0; c < this.cpus; c++) {
      try {
        values = allocateMapBytes(this.memory, count * this.stride, 8);
        live = allocateMapBytes(this.memory, count, 1);
      } catch (e) {
        const why = e instanceof EbpfError ? e.message : String(e);
        throw new MapError(`map ${this.name}: no memory for ${count} more values after ${this.backed} (${this.bytes} bytes reserved): ${why}`, { cause: e });
      }
      const vaddr = this.address + (c * this.section + start) * this.stride;
      this.memory.map({ name: `map:${this.name}`, vaddr, size: count * this.stride, offset: values, writable: this.writable, elements: { stride: this.stride, size: Math.max(this.valueSize, 1), liveness: live } });
      this.values.push(values);
      this.live.push(live);
    }
    this.backed = start + count;
    this.bytes += this.cpus * count * (this.stride + 1);
  }
}
