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
import { localStorageHelpers } from './local-storage.js';
import type { HelperEntry } from '../vm/environment.js';
import type { BpfMap } from '../maps/map.js';
import { TaskStorageMap } from '../maps/task-storage.js';
import type { VmMemory } from '../vm/memory.js';
import { DEFAULT_TASK_ADDRESS, taskOf, type TaskRunHost } from './task.js';

/** The storage helper ids (uapi `linux/bpf.h`). */
export const TaskStorageHelper = { GET: 156, DELETE: 157 } as const;

/** The task storage helpers. */
export function taskStorageHelpers(memory: VmMemory, mapByHandle: (handle: number) => BpfMap | undefined): Map<number, HelperEntry> {
  return localStorageHelpers(memory, mapByHandle, {
    get: { id: TaskStorageHelper.GET, name: 'bpf_task_storage_get' },
    del: { id: TaskStorageHelper.DELETE, name: 'bpf_task_storage_delete' },
    mapClass: TaskStorageMap,
    mapType: 'BPF_MAP_TYPE_TASK_STORAGE',
    ownerKey(r, ctx, fail) {
      const current = taskOf(ctx);
      if (r === (current.address ?? DEFAULT_TASK_ADDRESS)) return current.pid;
      const other = (ctx.host as TaskRunHost | undefined)?.tasks?.find((t) => t.address === r);
      return (other ?? fail(`0x${r.toString(16)} is not the address of a task the run describes (its task or one of its tasks)`)).pid;
    },
  });
}
