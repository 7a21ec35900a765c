/**
 * Local storage maps (`BPF_MAP_TYPE_SK_STORAGE`, `_TASK_STORAGE`): a value per kernel object, created
 * on demand by the storage helper's get with its create flag and removed by its delete. The kernel hangs
 * the value off the object, so the map has no size of its own (`max_entries` 0, checked by
 * maps/rules.ts); here the values live in a hash map keyed by the object's 4-byte number for the host
 * (a socket's index, a task's pid) with a bounded number of slots. Programs cannot reach the map through
 * `bpf_map_lookup_elem` / `_update_elem` / `_delete_elem` (the kernel's verifier refuses the calls).
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { HelperStorageMap } from './helper-storage.js';
import { Errno, type MapSpec } from './types.js';

/** A local storage map: values by object number, reached by programs through the storage helpers only. */
export abstract class LocalStorageMap extends HelperStorageMap {
  private readonly key = new Uint8Array(4);

  /**
   * @param typeName the map type's name, for messages
   * @param what what a key names, for messages ("a socket", "a task")
   * @param slots how many objects may have a value at once
   */
  constructor(memory: VmMemory, spec: MapSpec, typeName: string, what: string, slots: number) {
    if (spec.keySize !== 4) throw new MapError(`map ${spec.name}: ${typeName} keys must be 4 bytes (${what}), not ${spec.keySize}`, { errno: Errno.EINVAL });
    if (spec.valueSize === 0) throw new MapError(`map ${spec.name}: ${typeName} values must be at least 1 byte`, { errno: Errno.EINVAL });
    super(memory, { ...spec, maxEntries: slots }, 1);
  }

  private keyOf(id: number): Uint8Array {
    new DataView(this.key.buffer).setUint32(0, id, true);
    return this.key;
  }

  /**
   * The storage get helper on object `id`: its value's address, or (with `create`) a new value, zero or
   * a copy of `init`; 0 when absent and not created, or when every slot is taken.
   * @internal
   */
  storageGet(id: number, create: boolean, init: Uint8Array | undefined): number {
    return this.valueFor(this.keyOf(id), 0, create, init);
  }

  /**
   * The storage delete helper: 0, or -ENOENT when object `id` has no value.
   * @internal
   */
  storageDelete(id: number): number {
    return this.remove(this.keyOf(id));
  }

  /** Host delete of an object's value (key: its number): true when it had one. */
  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.storageDelete(new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true)) === 0;
  }
}
