/**
 * The cgroup array tests, over `BPF_MAP_TYPE_CGROUP_ARRAY` maps (maps/cgroup-array.ts):
 * `bpf_skb_under_cgroup` (33, tc programs) asks whether the skb's socket is in the slot's cgroup or below
 * it, `bpf_current_task_under_cgroup` (37) the same of the run's current task. Both give 1 or 0, -E2BIG
 * for an index past the array and -EAGAIN for an empty slot (measured with BPF_PROG_TEST_RUN on 6.18,
 * test/kernel/cgroup-array.test.ts). Where a cgroup lies is what the run describes: the socket's
 * `cgroupIds` (`SkbOptions.socket`; an skb without a socket is -ENOENT) and the task's `cgroupIds`
 * (`TaskDescription`; default its `cgroupId` under the root, id 1).
 * @module
 */
import { typedMapArg } from './map-arg.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { BpfMap } from '../maps/map.js';
import { CgroupArrayMap } from '../maps/cgroup-array.js';
import { Errno, negErrno } from '../maps/types.js';
import { skbOf } from './skb-info.js';
import { taskCgroupPath, taskOf } from './task.js';

/** The cgroup array helper ids (uapi `linux/bpf.h`). */
export const CgroupHelper = { SKB_UNDER_CGROUP: 33, CURRENT_TASK_UNDER_CGROUP: 37 } as const;

/** The cgroup array helpers; `mapByHandle` names the object's maps. */
export function cgroupHelpers(mapByHandle: (handle: number) => BpfMap | undefined): Map<number, HelperEntry> {
  const arrayOf = (name: string, r: bigint, ctx: HelperContext): CgroupArrayMap =>
    typedMapArg(mapByHandle, name, r, ctx, CgroupArrayMap, 'BPF_MAP_TYPE_CGROUP_ARRAY');
  const result = (r: number): number | bigint => (r < 0 ? negErrno(-r) : r);
  const skbUnder: HelperFunction = (_r1, r2, r3, _4, _5, ctx) => {
    const map = arrayOf('bpf_skb_under_cgroup', r2, ctx);
    const socket = skbOf(ctx, 'bpf_skb_under_cgroup', true).socket;
    if (socket === undefined) return negErrno(Errno.ENOENT);
    return result(map.under(Number(r3 & 0xffffffffn), socket.cgroupIds));
  };
  const taskUnder: HelperFunction = (r1, r2, _3, _4, _5, ctx) => {
    const map = arrayOf('bpf_current_task_under_cgroup', r1, ctx);
    return result(map.under(Number(r2 & 0xffffffffn), taskCgroupPath(taskOf(ctx))));
  };
  return new Map([
    [CgroupHelper.SKB_UNDER_CGROUP, { fn: skbUnder, name: 'bpf_skb_under_cgroup', unwindOnZero: false }],
    [CgroupHelper.CURRENT_TASK_UNDER_CGROUP, { fn: taskUnder, name: 'bpf_current_task_under_cgroup', unwindOnZero: false }],
  ]);
}
