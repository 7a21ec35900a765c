/**
 * Cgroup-local storage: `bpf_cgrp_storage_get` (210) and `bpf_cgrp_storage_delete` (211) over
 * `BPF_MAP_TYPE_CGRP_STORAGE` maps (maps/cgrp-storage.ts), keyed by the cgroups a run describes: the
 * `struct cgroup` pointer a program passes (a `tp_btf/cgroup_mkdir` argument, a task's cgroup read through
 * BTF) is the `address` of one of the run's `cgroups`, whose id keys the value. The flags, NULL and errno
 * rules are every local storage's (helpers/local-storage.ts). An address that is no described cgroup stops
 * the run with an error (the kernel's verifier only lets a cgroup pointer through).
 * @module
 */
import { localStorageHelpers } from './local-storage.js';
import type { HelperEntry } from '../vm/environment.js';
import type { BpfMap } from '../maps/map.js';
import { CgrpStorageMap } from '../maps/cgrp-storage.js';
import type { VmMemory } from '../vm/memory.js';
import type { TaskRunHost } from './task.js';

/** The storage helper ids (uapi `linux/bpf.h`). */
export const CgrpStorageHelper = { GET: 210, DELETE: 211 } as const;

/** The cgroup storage helpers. */
export function cgrpStorageHelpers(memory: VmMemory, mapByHandle: (handle: number) => BpfMap | undefined): Map<number, HelperEntry> {
  return localStorageHelpers(memory, mapByHandle, {
    get: { id: CgrpStorageHelper.GET, name: 'bpf_cgrp_storage_get' },
    del: { id: CgrpStorageHelper.DELETE, name: 'bpf_cgrp_storage_delete' },
    mapClass: CgrpStorageMap,
    mapType: 'BPF_MAP_TYPE_CGRP_STORAGE',
    ownerKey(r, ctx, fail) {
      const cgroup = (ctx.host as TaskRunHost | undefined)?.cgroups?.find((c) => c.address === r);
      return Number((cgroup ?? fail(`0x${r.toString(16)} is not the address of a cgroup the run describes (its cgroups option)`)).id);
    },
  });
}
