/**
 * The kernel's `BPF_MAP_CREATE` rules on a map's shape, per map type: which `max_entries` it takes (at
 * least 1, or exactly 0 for the local-storage maps, whose entries are the sockets, tasks or inodes they
 * hang off), the `map_flags` it accepts and those it requires (an LPM trie and a local storage must be
 * `BPF_F_NO_PREALLOC`). The table was read from Linux 6.18 itself (BPF_MAP_CREATE of each type with each
 * flag bit, as root), and test/kernel/map-rules.test.ts checks it against the live kernel. A map the
 * kernel would refuse is refused here with the errno it gives (EINVAL), naming the rule.
 * @module
 */
import { MapError } from '../errors.js';
import { Errno, MapType, mapTypeName, type MapSpec } from './types.js';

/** `map_flags` bits (uapi `linux/bpf.h`). */
export const MapFlag = {
  NO_PREALLOC: 1, NO_COMMON_LRU: 2, NUMA_NODE: 4, RDONLY: 8, WRONLY: 16, STACK_BUILD_ID: 32, ZERO_SEED: 64,
  RDONLY_PROG: 128, WRONLY_PROG: 256, CLONE: 512, MMAPABLE: 1024, PRESERVE_ELEMS: 2048, INNER_MAP: 4096,
} as const;

/** One type's rules. */
interface ShapeRule {
  /** Flags accepted. */
  readonly flags: number;
  /** Flags required. */
  readonly required?: number;
}

const F = MapFlag;
/** The access flags most types take: NUMA node, read-only and write-only from user space. */
const ACCESS = F.NUMA_NODE | F.RDONLY | F.WRONLY;
const PROG_ACCESS = F.RDONLY_PROG | F.WRONLY_PROG;
const HASH_FLAGS = ACCESS | F.ZERO_SEED | PROG_ACCESS;

/** Rules by map type; a type not listed is not checked here (its class checks what it needs). */
const RULES: ReadonlyMap<number, ShapeRule> = new Map<number, ShapeRule>([
  [MapType.HASH, { flags: HASH_FLAGS | F.NO_PREALLOC }],
  [MapType.PERCPU_HASH, { flags: (HASH_FLAGS & ~F.NUMA_NODE) | F.NO_PREALLOC }],
  [MapType.LRU_HASH, { flags: HASH_FLAGS | F.NO_COMMON_LRU }],
  [MapType.LRU_PERCPU_HASH, { flags: (HASH_FLAGS & ~F.NUMA_NODE) | F.NO_COMMON_LRU }],
  [MapType.ARRAY, { flags: ACCESS | PROG_ACCESS | F.MMAPABLE | F.INNER_MAP }],
  [MapType.PERCPU_ARRAY, { flags: F.RDONLY | F.WRONLY | PROG_ACCESS }],
  [MapType.PROG_ARRAY, { flags: ACCESS }],
  [MapType.PERF_EVENT_ARRAY, { flags: ACCESS | F.PRESERVE_ELEMS }],
  [MapType.STACK_TRACE, { flags: ACCESS | F.STACK_BUILD_ID }],
  [MapType.LPM_TRIE, { flags: F.NO_PREALLOC | F.NUMA_NODE | F.RDONLY | F.WRONLY | PROG_ACCESS, required: F.NO_PREALLOC }],
  [MapType.DEVMAP, { flags: ACCESS }],
  [MapType.CGROUP_ARRAY, { flags: ACCESS }],
  [MapType.DEVMAP_HASH, { flags: ACCESS }],
  [MapType.XSKMAP, { flags: ACCESS }],
  [MapType.SOCKMAP, { flags: ACCESS }],
  [MapType.SOCKHASH, { flags: ACCESS }],
  [MapType.CPUMAP, { flags: F.NUMA_NODE }],
  [MapType.QUEUE, { flags: ACCESS | PROG_ACCESS }],
  [MapType.STACK, { flags: ACCESS | PROG_ACCESS }],
  [MapType.RINGBUF, { flags: F.NUMA_NODE }],
  [MapType.USER_RINGBUF, { flags: F.NUMA_NODE }],
  [MapType.BLOOM_FILTER, { flags: ACCESS | F.ZERO_SEED | PROG_ACCESS }],
  // Local storage: one value per socket, created on demand; no preallocation, and no size.
  [MapType.SK_STORAGE, { flags: F.NO_PREALLOC | F.CLONE, required: F.NO_PREALLOC }],
  [MapType.TASK_STORAGE, { flags: F.NO_PREALLOC, required: F.NO_PREALLOC }],
  [MapType.CGRP_STORAGE, { flags: F.NO_PREALLOC, required: F.NO_PREALLOC }],
  // Cgroup storage: one value per attachment, made when a program is attached; never preallocated.
  [MapType.CGROUP_STORAGE, { flags: ACCESS | PROG_ACCESS }],
  [MapType.PERCPU_CGROUP_STORAGE, { flags: ACCESS | PROG_ACCESS }],
]);

/** Map types whose `max_entries` must be 0 (the kernel's local storages), by value. */
export const ZERO_ENTRY_TYPES: ReadonlySet<number> = new Set([MapType.SK_STORAGE, MapType.CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE, 28, MapType.TASK_STORAGE, MapType.CGRP_STORAGE]);

/** Map types that take a `map_extra`: bloom filters (hash functions) and arenas (a user address). */
const MAP_EXTRA_TYPES: ReadonlySet<number> = new Set([MapType.BLOOM_FILTER, 33]);

/** The flag names set in `flags`, for messages. */
function flagNames(flags: number): string {
  const names = Object.entries(MapFlag).filter(([, bit]) => (flags & bit) !== 0).map(([n]) => `BPF_F_${n}`);
  const known = Object.values(MapFlag).reduce((a, b) => a | b, 0);
  const rest = flags & ~known;
  return [...names, ...(rest === 0 ? [] : [`0x${(rest >>> 0).toString(16)}`])].join(' | ');
}

/**
 * Throw the {@link MapError} (EINVAL) the kernel's BPF_MAP_CREATE gives a map of this shape, if any:
 * a `max_entries` of 0 where the type needs entries (a loader is meant to size such a map), a nonzero
 * one where it takes none, a flag the type does not take, a flag it requires missing. PERF_EVENT_ARRAY
 * with 0 entries passes: libbpf sizes it (one slot per CPU), and so does tsbpf.
 */
export function checkMapShape(spec: MapSpec): void {
  const zero = ZERO_ENTRY_TYPES.has(spec.type);
  if (zero && spec.maxEntries !== 0) {
    throw new MapError(`map ${spec.name}: ${mapTypeName(spec.type)} takes max_entries 0 (it holds one value per socket, task, cgroup or inode, created on demand), not ${spec.maxEntries}`, { errno: Errno.EINVAL });
  }
  if (!zero && spec.maxEntries === 0 && spec.type !== MapType.PERF_EVENT_ARRAY) {
    throw new MapError(`map ${spec.name}: max_entries must be at least 1 (it is 0: its loader is meant to size it; give the size with mapSizes { ${spec.name}: N } or tsbpf's --map-size ${spec.name}=N)`, { errno: Errno.EINVAL });
  }
  const extra = spec.extra ?? 0;
  if (extra !== 0 && !MAP_EXTRA_TYPES.has(spec.type)) {
    throw new MapError(`map ${spec.name}: ${mapTypeName(spec.type)} takes no map_extra (it is ${extra}; the kernel refuses the map with EINVAL)`, { errno: Errno.EINVAL });
  }
  const rule = RULES.get(spec.type);
  if (rule === undefined) return;
  const bad = spec.flags & ~rule.flags;
  if (bad !== 0) {
    throw new MapError(`map ${spec.name}: ${mapTypeName(spec.type)} does not take map_flags ${flagNames(bad)} (the kernel refuses the map with EINVAL)`, { errno: Errno.EINVAL });
  }
  const missing = (rule.required ?? 0) & ~spec.flags;
  if (missing !== 0) {
    throw new MapError(`map ${spec.name}: ${mapTypeName(spec.type)} needs map_flags ${flagNames(missing)} (the kernel refuses the map without it, EINVAL)`, { errno: Errno.EINVAL });
  }
}
