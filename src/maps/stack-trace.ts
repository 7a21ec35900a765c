/**
 * `BPF_MAP_TYPE_STACK_TRACE`: stack traces by id, filled by `bpf_get_stackid` (helpers/stack.ts).
 * Shape rules are the kernel's (checked with BPF_MAP_CREATE on 6.18): 4-byte keys, values of 8-byte
 * instruction addresses (or 32-byte `struct bpf_stack_build_id` with `BPF_F_STACK_BUILD_ID`), at most
 * 127 frames. Like the kernel, the map has `max_entries` rounded up to a power of two buckets, and a
 * trace's id is its hash masked to that: two traces can collide in one bucket. Buckets are kept only
 * when filled, so a huge `max_entries` costs nothing. Programs cannot look entries up or change them
 * (the kernel's verifier refuses it); the host reads and deletes them.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { BpfMap } from './map.js';
import { Errno, type MapSpec } from './types.js';

/** `map_flags` bit: values are `struct bpf_stack_build_id` records instead of addresses. */
export const BPF_F_STACK_BUILD_ID = 1 << 5;
/** The most frames a trace holds (the kernel's default `kernel.perf_event_max_stack`). */
export const MAX_STACK_DEPTH = 127;
/** `bpf_stack_build_id.status` of a frame given by its address (no build id known). */
const BPF_STACK_BUILD_ID_IP = 2;
const BUILD_ID_SIZE = 32;
/** Flags the kernel accepts on a stack trace map: NUMA node, RDONLY / WRONLY (user and program), STACK_BUILD_ID. */
const ALLOWED_FLAGS = (1 << 2) | (1 << 3) | (1 << 4) | BPF_F_STACK_BUILD_ID | (1 << 7) | (1 << 8);

interface Bucket {
  readonly hash: number;
  readonly ips: readonly bigint[];
}

/** FNV-1a over the addresses' bytes: deterministic, so the same trace always gets the same id. */
function traceHash(ips: readonly bigint[]): number {
  let h = 0x811c9dc5;
  for (const ip of ips) {
    for (let i = 0n; i < 64n; i += 8n) h = Math.imul(h ^ Number((ip >> i) & 0xffn), 0x01000193) >>> 0;
  }
  return h;
}

/** The stack trace map. */
export class StackTraceMap extends BpfMap {
  private readonly buckets = new Map<number, Bucket>();
  private readonly mask: number;
  /** Bytes of one frame in a value (8, or 32 with {@link BPF_F_STACK_BUILD_ID}). */
  readonly frameSize: number;

  constructor(memory: VmMemory, spec: MapSpec) {
    const buildId = (spec.flags & BPF_F_STACK_BUILD_ID) !== 0;
    const frame = buildId ? BUILD_ID_SIZE : 8;
    if (spec.keySize !== 4) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_STACK_TRACE keys must be 4 bytes (a stack id), not ${spec.keySize}`);
    if (spec.valueSize === 0 || spec.valueSize % frame !== 0 || spec.valueSize / frame > MAX_STACK_DEPTH) {
      throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_STACK_TRACE values must be 1 to ${MAX_STACK_DEPTH} frames of ${frame} bytes, not ${spec.valueSize} bytes`);
    }
    if ((spec.flags & ~ALLOWED_FLAGS) !== 0) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_STACK_TRACE does not take map_flags 0x${spec.flags.toString(16)}`);
    if (spec.maxEntries > 0x8000_0000) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_STACK_TRACE of ${spec.maxEntries} entries is too large (the kernel gives ENOMEM)`);
    super(memory, spec, 0);
    this.frameSize = frame;
    let buckets = 1;
    while (buckets < spec.maxEntries) buckets *= 2;
    this.mask = buckets - 1;
  }

  /** The most frames a value holds. */
  get depth(): number {
    return this.valueSize / this.frameSize;
  }

  /**
   * `bpf_get_stackid`'s store: the trace's id, or -EEXIST when another trace holds its bucket and
   * `reuse` is not set. `fastCompare` takes an equal hash as the same trace. `ips` has at most
   * {@link depth} frames (the caller cut it).
   * @internal
   */
  store(ips: readonly bigint[], fastCompare: boolean, reuse: boolean): number {
    const hash = traceHash(ips);
    const id = hash & this.mask;
    const old = this.buckets.get(id);
    if (old !== undefined) {
      const same = old.hash === hash && (fastCompare || (old.ips.length === ips.length && old.ips.every((ip, i) => ip === ips[i])));
      if (same) return id;
      if (!reuse) return -Errno.EEXIST;
    }
    this.buckets.set(id, { hash, ips: ips.slice() });
    return id;
  }

  override programLookup(): number {
    throw new MapError(`map ${this.name}: programs cannot look up a BPF_MAP_TYPE_STACK_TRACE (the kernel's verifier refuses the call); use bpf_get_stackid`);
  }

  override programUpdate(): number {
    throw new MapError(`map ${this.name}: programs cannot update a BPF_MAP_TYPE_STACK_TRACE (the kernel's verifier refuses the call); use bpf_get_stackid`);
  }

  override programDelete(): number {
    throw new MapError(`map ${this.name}: programs cannot delete from a BPF_MAP_TYPE_STACK_TRACE (the kernel's verifier refuses the call)`);
  }

  /** The trace with this id: its frames, zero-padded to the value size (build-id records: status IP). */
  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const b = this.buckets.get(new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true));
    if (b === undefined) return undefined;
    const out = new Uint8Array(this.valueSize);
    const v = new DataView(out.buffer);
    b.ips.forEach((ip, i) => {
      if (this.frameSize === 8) {
        v.setBigUint64(i * 8, ip, true);
      } else {
        v.setInt32(i * BUILD_ID_SIZE, BPF_STACK_BUILD_ID_IP, true);
        v.setBigUint64(i * BUILD_ID_SIZE + 24, ip, true);
      }
    });
    return out;
  }

  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.buckets.delete(new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true));
  }

  /** Stack ids present, in id order. */
  override keys(): Uint8Array[] {
    return [...this.buckets.keys()].sort((a, b) => a - b).map((id) => {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, id, true);
      return k;
    });
  }

  /** The kernel refuses updates of stack trace maps from user space too (EINVAL). */
  protected override hostUpdate(): number {
    return -Errno.EINVAL;
  }
}
