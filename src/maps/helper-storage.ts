/**
 * Hash maps whose values programs reach only through the map type's own helpers (local storage:
 * `bpf_sk_storage_get`, ...; cgroup storage: `bpf_get_local_storage`). The kernel's verifier refuses
 * `bpf_map_lookup_elem` / `_update_elem` / `_delete_elem` on them, so here those program-side
 * operations find nothing and change nothing (NULL, -EINVAL), and the helpers use
 * {@link HelperStorageMap.valueFor} and {@link HelperStorageMap.remove}.
 * @module
 */
import { HashMap } from './hash.js';
import { Errno, UpdateFlag } from './types.js';

/** A hash map reached by programs through its own helpers only. */
export abstract class HelperStorageMap extends HashMap {
  /**
   * The address of `key`'s value on `cpu`; when it has none and `create` is set, a new value (a copy of
   * `init`, else zero); 0 when absent and not created, or when every slot is taken.
   */
  protected valueFor(key: Uint8Array, cpu: number, create: boolean, init?: Uint8Array): number {
    const found = super.programLookup(key, cpu);
    if (found !== 0 || !create) return found;
    const r = super.programUpdate(key, init ?? new Uint8Array(this.valueSize), UpdateFlag.NOEXIST, 0);
    return r < 0 ? 0 : super.programLookup(key, cpu);
  }

  /** Remove `key`'s value: 0, or -ENOENT when it has none. */
  protected remove(key: Uint8Array): number {
    return super.programDelete(key);
  }

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
}
