/**
 * The get / delete helper pair every local storage map type has (`bpf_sk_storage_*`,
 * `bpf_task_storage_*`): the map argument checked to be of the pair's map type, the owner pointer
 * turned into the owner's number by the caller's {@link LocalStorageOwner}, and the flags and NULL
 * rules the helper documentation gives them all: `get` returns the owner's value, or with the create
 * flag (1) creates it from `value` (or zero), NULL for any other flag and for a NULL owner; `delete`
 * returns 0, -ENOENT when the owner has no value, -EINVAL for a NULL owner.
 * @module
 */
import { helperError } from './helper-error.js';
import { typedMapArg } from './map-arg.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { LocalStorageMap } from '../maps/local-storage.js';
import type { BpfMap } from '../maps/map.js';
import { Errno, negErrno } from '../maps/types.js';
import type { VmMemory } from '../vm/memory.js';

/** `BPF_LOCAL_STORAGE_GET_F_CREATE` (also spelt `BPF_SK_STORAGE_GET_F_CREATE`). */
export const LOCAL_STORAGE_GET_F_CREATE = 1n;

/** What one storage map type's helper pair needs to know about its owners. */
export interface LocalStorageOwner<M extends LocalStorageMap> {
  /** The helpers' ids and names (uapi `linux/bpf.h`). */
  readonly get: { readonly id: number; readonly name: string };
  readonly del: { readonly id: number; readonly name: string };
  /** The map class and the map type's name, for the map argument's check. */
  readonly mapClass: abstract new (...args: never[]) => M;
  readonly mapType: string;
  /**
   * The owner's number (its key in the map) for the non-NULL pointer `r`, or null when this owner can
   * have no storage (`get` then returns NULL). Stops the run (`fail`) when `r` is no owner the host knows.
   */
  ownerKey(r: bigint, ctx: HelperContext, fail: (message: string) => never, forGet: boolean): number | null;
}

/** The helper pair of `owner`'s map type. */
export function localStorageHelpers<M extends LocalStorageMap>(memory: VmMemory, mapByHandle: (handle: number) => BpfMap | undefined, owner: LocalStorageOwner<M>): Map<number, HelperEntry> {
  const failFor = (name: string, ctx: HelperContext) => (message: string): never => {
    throw helperError(name, message, ctx);
  };
  const storageOf = (name: string, r: bigint, ctx: HelperContext): M => typedMapArg(mapByHandle, name, r, ctx, owner.mapClass, owner.mapType);
  const get: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const { name } = owner.get;
    const map = storageOf(name, r1, ctx);
    if (r2 === 0n || (r4 & ~LOCAL_STORAGE_GET_F_CREATE) !== 0n) return 0;
    const key = owner.ownerKey(r2, ctx, failFor(name, ctx), true);
    if (key === null) return 0;
    const init = r3 === 0n ? undefined : memory.read(r3, map.valueSize, ctx.pc);
    return map.storageGet(key, r4 === LOCAL_STORAGE_GET_F_CREATE, init);
  };
  const del: HelperFunction = (r1, r2, _3, _4, _5, ctx) => {
    const { name } = owner.del;
    const map = storageOf(name, r1, ctx);
    if (r2 === 0n) return negErrno(Errno.EINVAL);
    const key = owner.ownerKey(r2, ctx, failFor(name, ctx), false);
    const r = key === null ? -Errno.ENOENT : map.storageDelete(key);
    return r < 0 ? negErrno(-r) : 0;
  };
  return new Map([
    [owner.get.id, { fn: get, name: owner.get.name, unwindOnZero: false }],
    [owner.del.id, { fn: del, name: owner.del.name, unwindOnZero: false }],
  ]);
}
