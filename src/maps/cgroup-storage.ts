/**
 * `BPF_MAP_TYPE_CGROUP_STORAGE` and `_PERCPU_CGROUP_STORAGE`: a value per cgroup a program is attached
 * to, which the program reaches with `bpf_get_local_storage` (helpers/cgroup-storage.ts) and nothing
 * else. The kernel creates the value when a program using the map is attached to a cgroup and frees it
 * with the attachment; here a run names the cgroup its program is attached to (`RunOptions.cgroup`) and
 * the value is created, zeroed, the first time a run attached there asks for it (or when the host calls
 * {@link CgroupStorageMap.attach}). The key is the cgroup's id (8 bytes), or `struct
 * bpf_cgroup_storage_key` (16 bytes: the id, then the program's attach type, then padding) when each
 * attach type has its own value. Room for {@link MAX_STORAGE_CGROUPS} attachments.
 *
 * The shape rules were read from Linux 6.18 (BPF_MAP_CREATE as root; test/kernel/cgroup-storage.test.ts
 * checks them live): keys of 8 or 16 bytes, `max_entries` 0, values of 1 to 65407 bytes (per-CPU: 32768;
 * larger is E2BIG), flags as maps/rules.ts lists. The host cannot create a value with an update
 * (ENOENT: there is no attachment; `BPF_NOEXIST` is EINVAL) nor delete one (EINVAL: it lives as long
 * as the attachment).
 * @module
 */
import { MapError } from '../errors.js';
import { checkInteger, checkU64 } from '../validate.js';
import type { VmMemory } from '../vm/memory.js';
import { HelperStorageMap } from './helper-storage.js';
import { Errno, MapType, UpdateFlag, mapTypeName, type MapSpec } from './types.js';

/** Most (cgroup, attach type) attachments a cgroup storage map keeps values for. */
export const MAX_STORAGE_CGROUPS = 64;

/** Largest value of a shared cgroup storage map (the kernel refuses larger with E2BIG). */
export const MAX_CGROUP_STORAGE_VALUE = 65407;
/** Largest value of a per-CPU cgroup storage map (per CPU). */
export const MAX_PERCPU_CGROUP_STORAGE_VALUE = 32768;

/** A cgroup (per-CPU) storage map: values by (cgroup id, attach type), reached by programs through `bpf_get_local_storage` only. */
export class CgroupStorageMap extends HelperStorageMap {
  /** Whether the key carries the attach type (16-byte `struct bpf_cgroup_storage_key`), not the id alone. */
  readonly perAttachType: boolean;
  private readonly key: Uint8Array;

  constructor(memory: VmMemory, spec: MapSpec, cpus = 1) {
    const percpu = spec.type === MapType.PERCPU_CGROUP_STORAGE;
    const what = mapTypeName(spec.type);
    if (spec.keySize !== 8 && spec.keySize !== 16) {
      throw new MapError(`map ${spec.name}: ${what} keys must be 8 bytes (a cgroup id) or 16 (struct bpf_cgroup_storage_key), not ${spec.keySize}`, { errno: Errno.EINVAL });
    }
    if (spec.valueSize === 0) throw new MapError(`map ${spec.name}: ${what} values must be at least 1 byte`, { errno: Errno.EINVAL });
    const max = percpu ? MAX_PERCPU_CGROUP_STORAGE_VALUE : MAX_CGROUP_STORAGE_VALUE;
    if (spec.valueSize > max) throw new MapError(`map ${spec.name}: ${what} values are at most ${max} bytes, not ${spec.valueSize}`, { errno: Errno.E2BIG });
    super(memory, { ...spec, maxEntries: MAX_STORAGE_CGROUPS }, cpus, percpu);
    this.perAttachType = spec.keySize === 16;
    this.key = new Uint8Array(spec.keySize);
  }

  private keyOf(cgroupId: bigint, attachType: number): Uint8Array {
    const v = new DataView(this.key.buffer);
    v.setBigUint64(0, BigInt.asUintN(64, cgroupId), true);
    if (this.perAttachType) v.setUint32(8, attachType >>> 0, true);
    return this.key;
  }

  /**
   * Attach: make sure cgroup `cgroupId` has a value for programs of `attachType` (`enum
   * bpf_attach_type`; ignored with 8-byte keys, where every attach type shares the cgroup's value),
   * zero when new. A MapError (E2BIG) when {@link MAX_STORAGE_CGROUPS} attachments already have one.
   */
  attach(cgroupId: bigint, attachType: number): void {
    checkU64(cgroupId, 'cgroupId');
    checkInteger(attachType, 'attachType', 0, 0xffff_ffff);
    if (this.storageAddress(cgroupId, attachType, 0) === 0) {
      throw new MapError(`map ${this.name}: a program is attached to ${MAX_STORAGE_CGROUPS} cgroups already (the most tsbpf keeps values for); cgroup ${cgroupId} gets none`, { errno: Errno.E2BIG });
    }
  }

  /**
   * `bpf_get_local_storage`: the address of the value of (`cgroupId`, `attachType`) on `cpu`, created
   * zero on first use; 0 when every slot is taken.
   * @internal
   */
  storageAddress(cgroupId: bigint, attachType: number, cpu: number): number {
    return this.valueFor(this.keyOf(cgroupId, attachType), cpu, true);
  }

  /** Host update: only of an attachment's existing value (`BPF_ANY` or `BPF_EXIST`). */
  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags === UpdateFlag.NOEXIST || flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (this.lookup(key) === undefined) return -Errno.ENOENT;
    return super.hostUpdate(key, value, UpdateFlag.EXIST);
  }

  /** Host delete: refused (EINVAL), as the kernel refuses it: a value lives as long as its attachment. */
  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.fail('delete failed (a cgroup storage value lives as long as its attachment)', Errno.EINVAL);
  }
}
