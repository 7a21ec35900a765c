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
import { ErrorCode, ExecutionError } from '../errors.js';
import { typedMapArg } from './map-arg.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import { SkStorageMap } from '../maps/sk-storage.js';
import { Errno, negErrno } from '../maps/types.js';
import type { KernelEnvironment } from './kernel.js';
import type { HostSocket } from './socket-table.js';
import type { SocketMemory } from './sockets.js';

/** The storage helper ids (uapi `linux/bpf.h`). */
export const SkStorageHelper = { GET: 107, DELETE: 108 } as const;

/** `BPF_SK_STORAGE_GET_F_CREATE`. */
export const SK_STORAGE_GET_F_CREATE = 1n;

/** The storage helpers over `sockets`. */
export function skStorageHelpers(env: Pick<KernelEnvironment, 'memory' | 'mapByHandle'>, sockets: SocketMemory): Map<number, HelperEntry> {
  const fail = (name: string, message: string, ctx: HelperContext): never => {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: ${message}`, { pc: ctx.pc, helper: name });
  };
  const storageOf = (name: string, r: bigint, ctx: HelperContext): SkStorageMap =>
    typedMapArg((h) => env.mapByHandle(h), name, r, ctx, SkStorageMap, 'BPF_MAP_TYPE_SK_STORAGE');
  const socketOf = (name: string, r: bigint, ctx: HelperContext): HostSocket => {
    const s = sockets.at(r, true);
    if (s === undefined) return fail(name, `0x${r.toString(16)} is not a socket of the host (a socket a lookup or the context gave)`, ctx);
    return s;
  };
  const get: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const map = storageOf('bpf_sk_storage_get', r1, ctx);
    if (r2 === 0n || (r4 & ~SK_STORAGE_GET_F_CREATE) !== 0n) return 0;
    const s = socketOf('bpf_sk_storage_get', r2, ctx);
    if (s.state === 'syn_recv' || s.state === 'time_wait') return 0;
    const init = r3 === 0n ? undefined : env.memory.read(r3, map.valueSize, ctx.pc);
    return map.storageGet(s.index, r4 === SK_STORAGE_GET_F_CREATE, init);
  };
  const del: HelperFunction = (r1, r2, _3, _4, _5, ctx) => {
    const map = storageOf('bpf_sk_storage_delete', r1, ctx);
    if (r2 === 0n) return negErrno(Errno.EINVAL);
    const r = map.storageDelete(socketOf('bpf_sk_storage_delete', r2, ctx).index);
    return r < 0 ? negErrno(-r) : 0;
  };
  return new Map([
    [SkStorageHelper.GET, { fn: get, name: 'bpf_sk_storage_get', unwindOnZero: false }],
    [SkStorageHelper.DELETE, { fn: del, name: 'bpf_sk_storage_delete', unwindOnZero: false }],
  ]);
}
