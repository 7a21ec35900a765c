/**
 * `bpf_user_ringbuf_drain` (209) over `BPF_MAP_TYPE_USER_RINGBUF` maps (maps/user-ringbuf.ts): for each
 * sample the host submitted, oldest first, calls `callback(dynptr, ctx)` with a dynptr to the sample (read
 * it with `bpf_dynptr_read`, or through `bpf_dynptr_data`'s pointer; its memory is read-only), while the
 * callback returns 0 and at most {@link MAX_USER_RINGBUF_SAMPLES} times; a sample is drained whatever the
 * callback returns. Returns the number of samples drained (0 for an empty ring); flags other than
 * `BPF_RB_NO_WAKEUP` (1) and `BPF_RB_FORCE_WAKEUP` (2) are -EINVAL, and a drain of a ring already being
 * drained (from its own callback) -EBUSY, as bpf-helpers(7) documents. The callback runs in a frame of its
 * own and its instructions are charged to the run's budget, so one that never returns ends the run there.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import { typedMapArg } from './map-arg.js';
import type { HelperEntry, HelperFunction } from '../vm/environment.js';
import type { BpfMap } from '../maps/map.js';
import { Errno, negErrno } from '../maps/types.js';
import { UserRingBufMap } from '../maps/user-ringbuf.js';
import { writeLocalDynptr } from './dynptr.js';

/** The helper's id (uapi `linux/bpf.h`). */
export const USER_RINGBUF_DRAIN = 209;

/** Most samples one drain takes (the kernel's `BPF_MAX_USER_RINGBUF_SAMPLES`). */
export const MAX_USER_RINGBUF_SAMPLES = 128 * 1024;

/** The wakeup flags a drain takes. */
const WAKEUP_FLAGS = 3n;

/** `bpf_user_ringbuf_drain`; `mapByHandle` names the object's maps. */
export function userRingbufHelpers(mapByHandle: (handle: number) => BpfMap | undefined): Map<number, HelperEntry> {
  const name = 'bpf_user_ringbuf_drain';
  const drain: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const m = typedMapArg(mapByHandle, name, r1, ctx, UserRingBufMap, 'BPF_MAP_TYPE_USER_RINGBUF');
    if ((r4 & ~WAKEUP_FLAGS) !== 0n) return negErrno(Errno.EINVAL);
    if (m.draining) return negErrno(Errno.EBUSY);
    if (ctx.callFunction === undefined) throw new ExecutionError(ErrorCode.UNSUPPORTED, `${name}: this engine cannot run callbacks`, { pc: ctx.pc, helper: name });
    m.draining = true;
    let drained = 0;
    try {
      while (drained < MAX_USER_RINGBUF_SAMPLES) {
        // Not marked read-only: the kernel's bpf_dynptr_data gives its address (measured); the region itself is read-only to programs.
        const dynptr = m.takeSample((out, data, size) => writeLocalDynptr(out, data, size, false));
        if (dynptr === undefined) break;
        drained++;
        if (ctx.callFunction(r2, BigInt(dynptr), r3, 0n, 0n, 0n) !== 0n) break;
      }
    } finally {
      m.draining = false;
    }
    return drained;
  };
  return new Map([[USER_RINGBUF_DRAIN, { fn: drain, name, unwindOnZero: false }]]);
}
