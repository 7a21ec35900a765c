/**
 * `BPF_MAP_TYPE_USER_RINGBUF`: a ring of samples user space writes and programs drain with
 * `bpf_user_ringbuf_drain` (helpers/user-ringbuf.ts), which calls a callback with a read-only dynptr to
 * each sample. Here the host is the producer: {@link UserRingBufMap.submit} appends a sample as libbpf's
 * `user_ring_buffer__reserve` / `__submit` do. As in the kernel, `max_entries` is the ring's data size in
 * bytes (a power of two, at least a page), each sample takes an 8-byte header and its size rounded up to
 * 8, and a sample that does not fit until programs drain is refused (ENOSPC; E2BIG for one larger than
 * the ring). A drained sample is copied into the map's read-only region, where the callback reads it
 * through its dynptr; the region is mapped once, at creation, so a drain maps nothing during a run.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { BpfMap } from './map.js';
import { Errno, type MapSpec } from './types.js';

/** Bytes of a sample's header in the ring. */
const HEADER = 8;
/** Bytes of the dynptr a drain hands the callback (in front of the sample in the map's region). */
const DYNPTR_BYTES = 16;
/** The smallest ring (a page, as the kernel requires). */
const PAGE = 4096;

/** A user ring buffer. */
export class UserRingBufMap extends BpfMap {
  private readonly samples: Uint8Array[] = [];
  private used = 0;
  /** @internal True while a drain runs (a nested drain of the same ring is -EBUSY). */
  draining = false;

  constructor(memory: VmMemory, spec: MapSpec) {
    const size = spec.maxEntries;
    if (size < PAGE || (size & (size - 1)) !== 0) {
      throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_USER_RINGBUF max_entries is its size in bytes, a power of two of at least ${PAGE}, not ${size} (EINVAL)`, { errno: Errno.EINVAL });
    }
    if (spec.keySize !== 0 || spec.valueSize !== 0) {
      throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_USER_RINGBUF has no keys or values: key_size and value_size must be 0 (EINVAL)`, { errno: Errno.EINVAL });
    }
    super(memory, spec, DYNPTR_BYTES + size, false);
  }

  /** Samples waiting to be drained. */
  get pending(): number {
    return this.samples.length;
  }

  /** Bytes of the ring free for samples (each takes 8 bytes of header and its size rounded up to 8). */
  get freeBytes(): number {
    return this.spec.maxEntries - this.used;
  }

  /** Append a sample (a copy), as user space does; throws {@link MapError} E2BIG (larger than the ring) or ENOSPC (full until drained). */
  submit(sample: Uint8Array): void {
    if (!(sample instanceof Uint8Array)) throw new MapError(`map ${this.name}: a sample must be a Uint8Array`, { errno: Errno.EINVAL });
    const bytes = HEADER + Math.ceil(sample.length / 8) * 8;
    if (bytes > this.spec.maxEntries) this.fail(`a ${sample.length}-byte sample is larger than the ring (${this.spec.maxEntries} bytes)`, Errno.E2BIG);
    if (bytes > this.freeBytes) this.fail(`no room for a ${sample.length}-byte sample (${this.freeBytes} bytes free until programs drain)`, Errno.ENOSPC);
    this.samples.push(sample.slice());
    this.used += bytes;
  }

  /**
   * @internal Take the next sample into the map's region (read-only to programs): the address of a
   * dynptr to it (written by `writeDynptr`), or undefined when the ring is empty.
   */
  takeSample(writeDynptr: (at: Uint8Array, data: number, size: number) => void): number | undefined {
    const sample = this.samples.shift();
    if (sample === undefined) return undefined;
    this.used -= HEADER + Math.ceil(sample.length / 8) * 8;
    this.writeArena(DYNPTR_BYTES, sample);
    const o = this.arenaOffset(0);
    writeDynptr(this.memory.bytes.subarray(o, o + DYNPTR_BYTES), this.arenaAddress + DYNPTR_BYTES, sample.length);
    return this.arenaAddress;
  }

  /** A user ring buffer has no keyed lookup. */
  override lookup(): Uint8Array | undefined {
    return undefined;
  }

  /** The samples waiting, as copies (oldest first); no keys. */
  override keys(): Uint8Array[] {
    return [];
  }

  /** The samples waiting to be drained, as copies, oldest first. */
  values(): Uint8Array[] {
    return this.samples.map((s) => s.slice());
  }
}
