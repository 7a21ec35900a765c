/**
 * `BPF_MAP_TYPE_SK_STORAGE`: a value per socket, created on demand by `bpf_sk_storage_get` with
 * `BPF_SK_STORAGE_GET_F_CREATE` and removed by `bpf_sk_storage_delete` (helpers/sk-storage.ts). The kernel
 * hangs the value off the socket, so the map has no size of its own (`max_entries` 0, checked by
 * maps/rules.ts); here its sockets are the host's ({@link MapOptions.socketCount}: the loader's `sockets`
 * option), so the values live in a hash map keyed by the socket's index in that table, with one slot per
 * socket: nothing grows beyond what the host described. The host names a socket by that index (a 4-byte
 * key), where the kernel's user space passes a socket fd. The storage itself is maps/local-storage.ts's.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { LocalStorageMap } from './local-storage.js';
import { Errno, type MapSpec } from './types.js';

/** Most sockets a storage map keeps values for (the host's socket table holds no more: helpers/socket-table.ts's `MAX_SOCKETS`). */
export const MAX_STORAGE_SOCKETS = 65536;

/** A socket-local storage map over the host's sockets. */
export class SkStorageMap extends LocalStorageMap {
  /** Sockets the host described (a key is an index below this). */
  readonly sockets: number;

  /** @param sockets how many sockets the host describes (one value slot each). */
  constructor(memory: VmMemory, spec: MapSpec, sockets: number) {
    super(memory, spec, 'BPF_MAP_TYPE_SK_STORAGE', 'a socket', Math.max(sockets, 1));
    this.sockets = sockets;
  }

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const socket = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    if (socket >= this.sockets) throw new MapError(`map ${this.name}: key ${socket} is not a host socket (the sockets option describes ${this.sockets})`, { errno: Errno.ENOENT });
    return super.hostUpdate(key, value, flags);
  }
}
