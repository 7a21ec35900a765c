/**
 * Socket-local storage: `bpf_sk_storage_get` (107) and `bpf_sk_storage_delete` (108) over
 * `BPF_MAP_TYPE_SK_STORAGE` maps (maps/sk-storage.ts), keyed by the host's sockets (the `struct bpf_sock`
 * a lookup returned, a sockops context's `sk`, or a `bpf_skc_to_*` cast of one). As the helper
 * documentation says: `get` returns the socket's value, or with `BPF_SK_STORAGE_GET_F_CREATE` creates it
 * (initialised from `value` when that is not NULL, else zero), NULL for any other flag, for a NULL socket
 * and for a socket that is not a full one (a request or timewait socket); `delete` returns 0, -ENOENT when
 * the socket has no value, -EINVAL for a NULL socket. An address that is not a host socket stops the run
 * with an error (the kernel's verifier only lets a socket pointer through).
 * @module
 */
import { localStorageHelpers } from './local-storage.js';
import type { HelperEntry } from '../vm/environment.js';
import { SkStorageMap } from '../maps/sk-storage.js';
import type { KernelEnvironment } from './kernel.js';
import type { SocketMemory } from './sockets.js';

/** The storage helper ids (uapi `linux/bpf.h`). */
export const SkStorageHelper = { GET: 107, DELETE: 108 } as const;

/** The storage helpers over `sockets`. */
export function skStorageHelpers(env: Pick<KernelEnvironment, 'memory' | 'mapByHandle'>, sockets: SocketMemory): Map<number, HelperEntry> {
  return localStorageHelpers(env.memory, env.mapByHandle, {
    get: { id: SkStorageHelper.GET, name: 'bpf_sk_storage_get' },
    del: { id: SkStorageHelper.DELETE, name: 'bpf_sk_storage_delete' },
    mapClass: SkStorageMap,
    mapType: 'BPF_MAP_TYPE_SK_STORAGE',
    ownerKey(r, _ctx, fail, forGet) {
      const s = sockets.at(r, true) ?? fail(`0x${r.toString(16)} is not a socket of the host (a socket a lookup or the context gave)`);
      return forGet && (s.state === 'syn_recv' || s.state === 'time_wait') ? null : s.index;
    },
  });
}
