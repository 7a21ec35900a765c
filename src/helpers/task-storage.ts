/**
 * Task-local storage: `bpf_task_storage_get` (156) and `bpf_task_storage_delete` (157) over
 * `BPF_MAP_TYPE_TASK_STORAGE` maps (maps/task-storage.ts), keyed by the tasks a run describes: the task
 * pointer a program passes (what `bpf_get_current_task_btf` returned, or a task an iterator gave) is the
 * `address` of the run's current task or of one of its other `tasks`. As measured with
 * BPF_PROG_TEST_RUN on 6.18 (test/kernel/task-storage.test.ts): `get` returns the task's value, or with
 * `BPF_LOCAL_STORAGE_GET_F_CREATE` creates it (from `value` when that is not NULL, else zero), NULL for any
 * other flag and for a NULL task; `delete` returns 0, or -ENOENT when the task has no value (-EINVAL for a
 * NULL task). An address that is no described task stops the run with an error (the kernel's verifier
 * only lets a task pointer through).
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import { typedMapArg } from './map-arg.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { BpfMap } from '../maps/map.js';
import { TaskStorageMap } from '../maps/task-storage.js';
import { Errno, negErrno } from '../maps/types.js';
import type { VmMemory } from '../vm/memory.js';
import { DEFAULT_TASK_ADDRESS, taskOf, type TaskDescription, type TaskRunHost } from './task.js';

/** The storage helper ids (uapi `linux/bpf.h`). */
export const TaskStorageHelper = { GET: 156, DELETE: 157 } as const;

/** `BPF_LOCAL_STORAGE_GET_F_CREATE`. */
const GET_F_CREATE = 1n;

/** The task storage helpers. */
export function taskStorageHelpers(memory: VmMemory, mapByHandle: (handle: number) => BpfMap | undefined): Map<number, HelperEntry> {
  const fail = (name: string, message: string, ctx: HelperContext): never => {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: ${message}`, { pc: ctx.pc, helper: name });
  };
  const storageOf = (name: string, r: bigint, ctx: HelperContext): TaskStorageMap =>
    typedMapArg(mapByHandle, name, r, ctx, TaskStorageMap, 'BPF_MAP_TYPE_TASK_STORAGE');
  const taskAt = (name: string, r: bigint, ctx: HelperContext): TaskDescription => {
    const current = taskOf(ctx);
    if (r === (current.address ?? DEFAULT_TASK_ADDRESS)) return current;
    const other = (ctx.host as TaskRunHost | undefined)?.tasks?.find((t) => t.address === r);
    return other ?? fail(name, `0x${r.toString(16)} is not the address of a task the run describes (its task or one of its tasks)`, ctx);
  };
  const get: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const map = storageOf('bpf_task_storage_get', r1, ctx);
    if (r2 === 0n || (r4 & ~GET_F_CREATE) !== 0n) return 0;
    const task = taskAt('bpf_task_storage_get', r2, ctx);
    const init = r3 === 0n ? undefined : memory.read(r3, map.valueSize, ctx.pc);
    return map.storageGet(task.pid, r4 === GET_F_CREATE, init);
  };
  const del: HelperFunction = (r1, r2, _3, _4, _5, ctx) => {
    const map = storageOf('bpf_task_storage_delete', r1, ctx);
    if (r2 === 0n) return negErrno(Errno.EINVAL);
    const r = map.storageDelete(taskAt('bpf_task_storage_delete', r2, ctx).pid);
    return r < 0 ? negErrno(-r) : 0;
  };
  return new Map([
    [TaskStorageHelper.GET, { fn: get, name: 'bpf_task_storage_get', unwindOnZero: false }],
    [TaskStorageHelper.DELETE, { fn: del, name: 'bpf_task_storage_delete', unwindOnZero: false }],
  ]);
}
