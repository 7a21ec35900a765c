/**
 * `BPF_MAP_TYPE_SK_STORAGE`: a value per socket, created on demand by `bpf_sk_storage_get` with
 * `BPF_SK_STORAGE_GET_F_CREATE` and removed by `bpf_sk_storage_delete` (helpers/sk-storage.ts). The kernel
 * hangs the value off the socket, so the map has no size of its own (`max_entries` 0, checked by
 * maps/rules.ts); here its sockets are the host's ({@link MapOptions.socketCount}: the loader's `sockets`
 * option), so the values live in a hash map keyed by the socket's index in that table, with one slot per
 * socket: nothing grows beyond what the host described. The host names a socket by that index (a 4-byte
 * key), where the kernel's user space passes a socket fd. Programs cannot reach the map through
 * `bpf_map_lookup_elem` / `_update_elem` / `_delete_elem` (the kernel's verifier refuses the calls).
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { HashMap } from './hash.js';
import { Errno, UpdateFlag, type MapSpec } from './types.js';

/** Most sockets a storage map keeps values for (the host's socket table holds no more: helpers/socket-table.ts's `MAX_SOCKETS`). */
export const MAX_STORAGE_SOCKETS = 65536;

/** A socket-local storage map over the host's sockets. */
export class SkStorageMap extends HashMap {
  /** Sockets the host described (a key is an index below this). */
  readonly sockets: number;
  private readonly key = new Uint8Array(4);

  /** @param sockets how many sockets the host describes (one value slot each). */
  constructor(memory: VmMemory, spec: MapSpec, sockets: number) {
    if (spec.keySize !== 4) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_SK_STORAGE keys must be 4 bytes (a socket), not ${spec.keySize}`, { errno: Errno.EINVAL });
    if (spec.valueSize === 0) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_SK_STORAGE values must be at least 1 byte`, { errno: Errno.EINVAL });
    super(memory, { ...spec, maxEntries: Math.max(sockets, 1) }, 1);
    this.sockets = sockets;
  }

  private keyOf(socket: number): Uint8Array {
    new DataView(this.key.buffer).setUint32(0, socket, true);
    return this.key;
  }

  /**
   * `bpf_sk_storage_get` on the socket of index `socket`: its value's address, or (with `create`) a new
   * value, zero or a copy of `init`; 0 when absent and not created.
   * @internal
   */
  storageGet(socket: number, create: boolean, init: Uint8Array | undefined): number {
    const key = this.keyOf(socket);
    const found = super.programLookup(key, 0);
    if (found !== 0 || !create) return found;
    const r = super.programUpdate(key, init ?? new Uint8Array(this.valueSize), UpdateFlag.NOEXIST, 0);
    return r < 0 ? 0 : super.programLookup(key, 0);
  }

  /**
   * `bpf_sk_storage_delete`: 0, or -ENOENT when the socket has no value.
   * @internal
   */
  storageDelete(socket: number): number {
    return super.programDelete(this.keyOf(socket));
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

  /** Host delete of a socket's value (key: its index): true when it had one. */
  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.storageDelete(new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true)) === 0;
  }

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const socket = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    if (socket >= this.sockets) throw new MapError(`map ${this.name}: key ${socket} is not a host socket (the sockets option describes ${this.sockets})`, { errno: Errno.ENOENT });
    return super.hostUpdate(key, value, flags);
  }
}
