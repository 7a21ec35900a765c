/**
 * `BPF_MAP_TYPE_TASK_STORAGE`: a value per task, created on demand by `bpf_task_storage_get` with
 * `BPF_LOCAL_STORAGE_GET_F_CREATE` and removed by `bpf_task_storage_delete` (helpers/task-storage.ts). The
 * kernel hangs the value off the task, so the map has no size of its own (`max_entries` 0, checked by
 * maps/rules.ts; `BPF_F_NO_PREALLOC` required). Here tasks are the ones runs describe, named by their thread
 * id (`pid`): the values live in a hash map keyed by it (4 bytes, where the kernel's user space passes a
 * pidfd), with room for {@link MAX_STORAGE_TASKS} tasks: a create past that gives NULL, as the kernel's
 * does when it cannot allocate, so values never grow beyond a bound whatever tasks runs describe.
 * The storage itself is maps/local-storage.ts's.
 * @module
 */
import type { VmMemory } from '../vm/memory.js';
import { LocalStorageMap } from './local-storage.js';
import type { MapSpec } from './types.js';

/** Most tasks a task storage map keeps values for. */
export const MAX_STORAGE_TASKS = 1024;

/** A task-local storage map over the tasks runs describe. */
export class TaskStorageMap extends LocalStorageMap {
  constructor(memory: VmMemory, spec: MapSpec) {
    super(memory, spec, 'BPF_MAP_TYPE_TASK_STORAGE', 'a task', MAX_STORAGE_TASKS);
  }
}
