/**
 * `BPF_MAP_TYPE_TASK_STORAGE`: a value per task, created on demand by `bpf_task_storage_get` with
 * `BPF_LOCAL_STORAGE_GET_F_CREATE` and removed by `bpf_task_storage_delete` (helpers/task-storage.ts). The
 * kernel hangs the value off the task, so the map has no size of its own (`max_entries` 0, checked by
 * maps/rules.ts; `BPF_F_NO_PREALLOC` required). Here tasks are the ones runs describe, named by their thread
 * id (`pid`): the values live in a hash map keyed by it (4 bytes, where the kernel's user space passes a
 * pidfd), with room for {@link MAX_STORAGE_TASKS} tasks: a create past that gives NULL, as the kernel's
 * does when it cannot allocate, so values never grow beyond a bound whatever tasks runs describe.
 * Programs cannot reach the map through `bpf_map_lookup_elem` / `_update_elem` / `_delete_elem` (the
 * kernel's verifier refuses the calls).
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { HashMap } from './hash.js';
import { Errno, UpdateFlag, type MapSpec } from './types.js';

/** Most tasks a task storage map keeps values for. */
export const MAX_STORAGE_TASKS = 1024;

/** A task-local storage map over the tasks runs describe. */
export class TaskStorageMap extends HashMap {
  private readonly key = new Uint8Array(4);

  constructor(memory: VmMemory, spec: MapSpec) {
    if (spec.keySize !== 4) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_TASK_STORAGE keys must be 4 bytes (a task), not ${spec.keySize}`, { errno: Errno.EINVAL });
    if (spec.valueSize === 0) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_TASK_STORAGE values must be at least 1 byte`, { errno: Errno.EINVAL });
    super(memory, { ...spec, maxEntries: MAX_STORAGE_TASKS }, 1);
  }

  private keyOf(pid: number): Uint8Array {
    new DataView(this.key.buffer).setUint32(0, pid, true);
    return this.key;
  }

  /**
   * `bpf_task_storage_get` on the task of thread id `pid`: its value's address, or (with `create`) a new
   * value, zero or a copy of `init`; 0 when absent and not created, or when the map is full.
   * @internal
   */
  storageGet(pid: number, create: boolean, init: Uint8Array | undefined): number {
    const key = this.keyOf(pid);
    const found = super.programLookup(key, 0);
    if (found !== 0 || !create) return found;
    const r = super.programUpdate(key, init ?? new Uint8Array(this.valueSize), UpdateFlag.NOEXIST, 0);
    return r < 0 ? 0 : super.programLookup(key, 0);
  }

  /**
   * `bpf_task_storage_delete`: 0, or -ENOENT when the task has no value.
   * @internal
   */
  storageDelete(pid: number): number {
    return super.programDelete(this.keyOf(pid));
  }

  // Programs reach the values through the storage helpers only.
  override programLookup(): number {
    return 0;
  }
  override programLookupAt(): number {
    return 0;
  }
  override programUpdate(): number {
    return -Errno.EINVAL;
  }
  override programUpdateAt(): number {
    return -Errno.EINVAL;
  }
  override programDelete(): number {
    return -Errno.EINVAL;
  }
  override programDeleteAt(): number {
    return -Errno.EINVAL;
  }

  /** Host delete of a task's value (key: its pid): true when it had one. */
  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.storageDelete(new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true)) === 0;
  }

  /** Host update of a task's value (key: its pid); E2BIG when {@link MAX_STORAGE_TASKS} tasks have one. */
  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return super.hostUpdate(key, value, flags);
  }
}
