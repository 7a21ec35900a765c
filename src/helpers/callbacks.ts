/**
 * Helpers that call back into the program (bpf-helpers(7)); the callback is a function the program
 * loads with `lddw` (a function pointer), run through {@link HelperContext.callFunction} in a frame of
 * its own, its instructions charged to the run's budget:
 * - `bpf_loop` (181): calls `callback(i, ctx)` for i from 0 while it returns 0, at most `nr_loops`
 *   times; returns the number of calls made. More than 1 << 23 loops is -E2BIG, flags other than 0
 *   -EINVAL (nothing called).
 * - `bpf_for_each_map_elem` (164): calls `callback(map, &key, &value, ctx)` for each element of an
 *   array, per-CPU array, hash, per-CPU hash or LRU map (the value is this CPU's) while it returns 0;
 *   returns the number of elements visited. Array keys are u32 indices; hash keys are copies the
 *   callback can read but not write (the kernel's are read-only too). Flags other than 0 are -EINVAL.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { KeyCopy } from './key-copy.js';
import type { BpfMap } from '../maps/map.js';
import { ArrayMap } from '../maps/array.js';
import { HashMap } from '../maps/hash.js';
import { Errno, negErrno } from '../maps/types.js';

/** Callback helper ids (uapi `linux/bpf.h`). */
export const CallbackHelper = { FOR_EACH_MAP_ELEM: 164, LOOP: 181 } as const;

/** Most iterations `bpf_loop` takes (the kernel's `BPF_MAX_LOOPS`). */
export const BPF_MAX_LOOPS = 1 << 23;


/** What the callback helpers need from the loaded object. */
export interface CallbackEnvironment {
  readonly memory: VmMemory;
  mapByHandle(handle: number): BpfMap | undefined;
  /** The CPU programs run on (per-CPU values). */
  readonly cpu: number;
}

function call(ctx: HelperContext, name: string, fn: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint): bigint {
  if (ctx.callFunction === undefined) throw new ExecutionError(ErrorCode.UNSUPPORTED, `${name}: this engine cannot run callbacks`, { pc: ctx.pc, helper: name });
  return ctx.callFunction(fn, r1, r2, r3, r4, 0n);
}

/** The callback helpers, bound to the object's memory and maps. */
export function callbackHelpers(env: CallbackEnvironment): Map<number, HelperEntry> {
  const mem = env.memory;
  // The key a for_each callback gets, one copy per nesting level (a callback may iterate another map).
  const keyCopies: KeyCopy[] = [];
  let level = 0;
  const keyAddress = (key: Uint8Array): number => (keyCopies[level] ??= new KeyCopy(mem, `for_each key ${level}`)).address(key);
  const loop: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const n = Number(r1 & 0xffff_ffffn);
    if (r4 !== 0n) return negErrno(Errno.EINVAL);
    if (n > BPF_MAX_LOOPS) return negErrno(Errno.E2BIG);
    for (let i = 0; i < n; i++) {
      if (call(ctx, 'bpf_loop', r2, BigInt(i), r3, 0n, 0n) !== 0n) return i + 1;
    }
    return n;
  };
  const forEach: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const name = 'bpf_for_each_map_elem';
    const m = r1 <= 0xffff_ffffn ? env.mapByHandle(Number(r1)) : undefined;
    if (!(m instanceof ArrayMap) && !(m instanceof HashMap)) {
      const what = m === undefined ? `argument 0x${r1.toString(16)} is not a map of this object` : `map ${m.name} (type ${m.spec.type}) cannot be iterated`;
      throw new ExecutionError(ErrorCode.HELPER, `${name}: ${what}; it takes array, per-CPU array, hash, per-CPU hash and LRU hash maps`, { pc: ctx.pc, helper: name });
    }
    if (r4 !== 0n) return negErrno(Errno.EINVAL);
    let visited = 0;
    level++;
    try {
      if (m instanceof ArrayMap) {
        const key = new Uint8Array(4);
        const view = new DataView(key.buffer);
        for (let i = 0; i < m.spec.maxEntries; i++) {
          view.setUint32(0, i, true);
          visited++;
          if (call(ctx, name, r2, r1, BigInt(keyAddress(key)), BigInt(m.valueAddress(i, env.cpu)), r3) !== 0n) break;
        }
      } else {
        for (const key of m.keys()) {
          // An element the callback deleted is skipped.
          const value = m.valueAddressOf(key, env.cpu);
          if (value === 0) continue;
          visited++;
          if (call(ctx, name, r2, r1, BigInt(keyAddress(key)), BigInt(value), r3) !== 0n) break;
        }
      }
    } finally {
      level--;
    }
    return visited;
  };
  return new Map([
    [CallbackHelper.LOOP, { fn: loop, name: 'bpf_loop', unwindOnZero: false }],
    [CallbackHelper.FOR_EACH_MAP_ELEM, { fn: forEach, name: 'bpf_for_each_map_elem', unwindOnZero: false }],
  ]);
}
