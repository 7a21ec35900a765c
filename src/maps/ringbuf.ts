/**
 * `BPF_MAP_TYPE_RINGBUF`: a single-producer ring of variable-size records in the VM memory. Programs
 * reserve a record (getting a pointer they fill in place), then submit or discard it, or copy one in
 * with `bpf_ringbuf_output`. The host drains committed records in order. Like the kernel, each record
 * has an 8-byte header and is 8-byte aligned; draining stops at the first record still reserved.
 * Unlike the kernel (which maps the data pages twice), a record never wraps: when it does not fit
 * before the end of the ring, the rest of the ring is skipped as padding.
 * @module
 */
import { MapError } from '../errors.js';
import type { Region, VmMemory } from '../vm/memory.js';
import { BpfMap, round8 } from './map.js';
import { type MapSpec } from './types.js';

const HEADER = 8;

/** `bpf_ringbuf_query` flags. */
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

interface RecordState {
  /** Ring offset of the header. */
  readonly at: number;
  /** Bytes the record takes in the ring (header, data and alignment; padding records take the rest of the ring). */
  readonly span: number;
  /** Data length. */
  readonly len: number;
  state: 'reserved' | 'committed' | 'discarded' | 'padding';
  /** The data's region while the record is reserved (the only time a program may access it). */
  region?: Region | undefined;
}

/** A ring buffer map. */
export class RingBufMap extends BpfMap {
  private prod = 0;
  private cons = 0;
  private readonly records: RecordState[] = [];
  /** The records still reserved, by their offset in the ring: submit and discard find theirs at once. */
  private readonly reserved = new Map<number, RecordState>();
  /** Records dropped because the ring was full (reserve or output failed). */
  dropped = 0;

  constructor(memory: VmMemory, spec: MapSpec) {
    const size = spec.maxEntries;
    if (size < 8 || (size & (size - 1)) !== 0) {
      throw new MapError(`ring buffer ${spec.name}: max_entries must be a power of two of at least 8 bytes, got ${size}`);
    }
    super(memory, spec, size);
    // Programs reach a record's data only while it is reserved, through a region of its own: the ring
    // itself (headers, other records) is mapped at no address.
    memory.unmap(this.arena!);
  }

  private get size(): number {
    return this.spec.maxEntries;
  }

  /**
   * Reserve `len` bytes; the record data's virtual address, or 0 when the ring has no room. An empty
   * record (`bpf_ringbuf_reserve_dynptr` of 0 bytes, which the kernel allows) only when `empty`.
   * @internal
   */
  reserve(len: number, empty = false): number {
    if (len < 0 || (len === 0 && !empty) || len > this.size - HEADER) {
      this.dropped++;
      return 0;
    }
    const span = round8(len + HEADER);
    let at = this.prod % this.size;
    let pad = 0;
    if (at + span > this.size) pad = this.size - at;
    if (this.prod - this.cons + pad + span > this.size) {
      this.dropped++;
      return 0;
    }
    if (pad > 0) {
      this.records.push({ at, span: pad, len: 0, state: 'padding' });
      this.prod += pad;
      at = 0;
    }
    const region = len === 0 ? undefined : this.memory.map({ name: `map:${this.name} record`, vaddr: this.arenaAddress + at + HEADER, size: len, offset: this.arenaOffset(at + HEADER) });
    const rec: RecordState = { at, span, len, state: 'reserved', region };
    this.records.push(rec);
    this.reserved.set(at, rec);
    this.prod += span;
    const view = new DataView(this.memory.bytes.buffer, this.arenaOffset(at), HEADER);
    view.setUint32(0, (len | 0x80000000) >>> 0, true);
    view.setUint32(4, 0, true);
    return this.arenaAddress + at + HEADER;
  }

  /**
   * Commit (`discard` false) or discard a reserved record by its data address; false if it is not one.
   * @internal
   */
  finish(address: number, discard: boolean): boolean {
    const at = address - this.arenaAddress - HEADER;
    const rec = this.reserved.get(at);
    if (rec === undefined) return false;
    this.reserved.delete(at);
    rec.state = discard ? 'discarded' : 'committed';
    if (rec.region !== undefined) this.memory.unmap(rec.region);
    rec.region = undefined;
    const o = this.arenaOffset(at);
    new DataView(this.memory.bytes.buffer, o, HEADER).setUint32(0, (rec.len | (discard ? 0x40000000 : 0)) >>> 0, true);
    return true;
  }

  /**
   * True when `address` is the data of a record of this ring that is still reserved.
   * @internal
   */
  owns(address: number): boolean {
    const at = address - this.arenaAddress - HEADER;
    return this.reserved.has(at);
  }

  /**
   * Copy a record in at once (`bpf_ringbuf_output`); false when the ring is full.
   * @internal
   */
  output(data: Uint8Array): boolean {
    const addr = this.reserve(data.length);
    if (addr === 0) return false;
    this.writeArena(addr - this.arenaAddress, data);
    return this.finish(addr, false);
  }

  /**
   * `bpf_ringbuf_query`.
   * @internal
   */
  query(flags: number): bigint {
    switch (flags) {
      case RingbufQuery.AVAIL_DATA:
        return BigInt(this.prod - this.cons);
      case RingbufQuery.RING_SIZE:
        return BigInt(this.size);
      case RingbufQuery.CONS_POS:
        return BigInt(this.cons);
      case RingbufQuery.PROD_POS:
        return BigInt(this.prod);
      default:
        return 0n;
    }
  }

  /** Take every committed record, oldest first, stopping at the first still reserved; frees their space. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let n = 0;
    for (; n < this.records.length && this.records[n]!.state !== 'reserved'; n++) {
      const r = this.records[n]!;
      if (r.state === 'committed') out.push(this.readArena(r.at + HEADER, r.len));
      this.cons += r.span;
    }
    // One splice, not a shift per record: a large ring holds many small records.
    this.records.splice(0, n);
    return out;
  }

  override lookup(): Uint8Array | undefined {
    return undefined;
  }

  override keys(): Uint8Array[] {
    return [];
  }

  override update(): void {
    throw new MapError(`ring buffer ${this.name}: use drain() to read records; ring buffers have no keys`);
  }
}
