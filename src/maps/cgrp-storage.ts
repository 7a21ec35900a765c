/**
 * `BPF_MAP_TYPE_CGRP_STORAGE`: a value per cgroup (`struct cgroup`), created on demand by
 * `bpf_cgrp_storage_get` with `BPF_LOCAL_STORAGE_GET_F_CREATE` and removed by `bpf_cgrp_storage_delete`
 * (helpers/cgrp-storage.ts). The kernel hangs the value off the cgroup, so the map has no size of its own
 * (`max_entries` 0, `BPF_F_NO_PREALLOC` required: maps/rules.ts). Here the cgroups are the ones runs
 * describe (`cgroups`: an id and the address of its `struct cgroup`), named by their id: the values live in
 * a hash map keyed by it (4 bytes, where the kernel's user space passes a cgroup fd; ids above 2^32 - 1
 * cannot be described), with room for {@link MAX_STORAGE_CGRPS} cgroups: a create past that gives NULL,
 * as the kernel's does when it cannot allocate. The storage itself is maps/local-storage.ts's.
 * @module
 */
import type { VmMemory } from '../vm/memory.js';
import { LocalStorageMap } from './local-storage.js';
import type { MapSpec } from './types.js';

/** Most cgroups a cgrp storage map keeps values for. */
export const MAX_STORAGE_CGRPS = 1024;

/** A cgroup-local storage map over the cgroups runs describe. */
export class CgrpStorageMap extends LocalStorageMap {
  constructor(memory: VmMemory, spec: MapSpec) {
    super(memory, spec, 'BPF_MAP_TYPE_CGRP_STORAGE', 'a cgroup id', MAX_STORAGE_CGRPS);
  }
}
