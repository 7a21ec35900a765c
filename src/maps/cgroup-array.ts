/**
 * `BPF_MAP_TYPE_CGROUP_ARRAY`: slots holding cgroup v2 cgroups, for `bpf_skb_under_cgroup` and
 * `bpf_current_task_under_cgroup` (helpers/cgroup.ts), which test whether the packet's socket or the
 * current task lies in the slot's cgroup or below it. Where the kernel's user space stores a cgroup
 * directory's fd, the host stores the cgroup's id (`setCgroup`, or an update whose 4-byte value is the
 * id); what is below which cgroup is what the run describes (the socket's and the task's `cgroupIds`,
 * root first). Keys and values are 4 bytes (EINVAL otherwise); programs cannot look slots up, update or
 * delete them (the kernel's verifier refuses it). Slots are kept sparsely: nothing is allocated per entry.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { describeValue } from '../validate.js';
import { BpfMap } from './map.js';
import { Errno, type MapSpec } from './types.js';

/** A cgroup array. */
export class CgroupArrayMap extends BpfMap {
  private readonly slots = new Map<number, bigint>();

  constructor(memory: VmMemory, spec: MapSpec) {
    if (spec.keySize !== 4 || spec.valueSize !== 4) {
      throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_CGROUP_ARRAY takes 4-byte keys and values (a cgroup), not ${spec.keySize} and ${spec.valueSize} (EINVAL)`, { errno: Errno.EINVAL });
    }
    super(memory, spec, 0);
  }

  /** Store the cgroup of id `id` (nonzero, as every cgroup id is) at `index`; throws E2BIG past the array. */
  setCgroup(index: number, id: bigint): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.spec.maxEntries) this.fail(`slot ${describeValue(index)} is past the array (max_entries ${this.spec.maxEntries})`, Errno.E2BIG);
    if (typeof id !== 'bigint' || id <= 0n || id > 0xffff_ffff_ffff_ffffn) {
      throw new MapError(`map ${this.name}: a cgroup id must be a bigint from 1 to 2^64-1, not ${describeValue(id)}`, { errno: Errno.EINVAL });
    }
    this.slots.set(index, id);
  }

  /** The id of the cgroup at `index`, or undefined for an empty slot. */
  cgroup(index: number): bigint | undefined {
    return this.slots.get(index);
  }

  /** The filled slots, by index, with their cgroup ids. */
  cgroups(): [number, bigint][] {
    return [...this.slots].sort((a, b) => a[0] - b[0]);
  }

  /**
   * @internal The helpers' slot test: 1 when `path` (a cgroup and its ancestors, root first) holds the
   * slot's cgroup, else 0; -E2BIG past the array, -EAGAIN for an empty slot.
   */
  under(index: number, path: readonly bigint[]): number {
    if (index >= this.spec.maxEntries) return -Errno.E2BIG;
    const id = this.slots.get(index);
    if (id === undefined) return -Errno.EAGAIN;
    return path.includes(id) ? 1 : 0;
  }

  /** Host update: the 4-byte value is the cgroup's id (where the kernel's user space passes an fd); 0 is EBADF. */
  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value);
    if (flags > 2) return -Errno.EINVAL;
    const index = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    const id = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    if (index >= this.spec.maxEntries) return -Errno.E2BIG;
    if (id === 0) return -Errno.EBADF;
    // Arrays have every key: BPF_NOEXIST always fails, as for the kernel's fd arrays.
    if (flags === 1) return -Errno.EEXIST;
    this.slots.set(index, BigInt(id));
    return 0;
  }

  /** Host delete of a slot: true when it held a cgroup. */
  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.slots.delete(new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true));
  }

  /** Slots are not read back as values (the kernel's user space cannot either): use {@link cgroup}. */
  override lookup(): Uint8Array | undefined {
    return undefined;
  }

  /** No keys are listed as entries: use {@link cgroups}. */
  override keys(): Uint8Array[] {
    return [];
  }
}
