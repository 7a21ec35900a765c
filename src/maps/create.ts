/**
 * Build a map of the right class from its shape.
 * @module
 */
import { ArgumentError, MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { ArrayMap } from './array.js';
import { BloomFilterMap } from './bloom.js';
import { CgroupArrayMap } from './cgroup-array.js';
import { CgroupStorageMap, MAX_STORAGE_CGROUPS } from './cgroup-storage.js';
import { MAX_STORAGE_TASKS, TaskStorageMap } from './task-storage.js';
import { CgrpStorageMap, MAX_STORAGE_CGRPS } from './cgrp-storage.js';
import { UserRingBufMap } from './user-ringbuf.js';
import { HashMap } from './hash.js';
import { LpmTrieMap } from './lpm.js';
import { DEFAULT_MAX_MAP_BYTES, MAX_MAP_BYTES_LIMIT, type BpfMap } from './map.js';
import { QueueMap } from './queue.js';
import { RedirectMap } from './redirect.js';
import { RingBufMap } from './ringbuf.js';
import { StackTraceMap } from './stack-trace.js';
import { checkMapShape } from './rules.js';
import { MAX_STORAGE_SOCKETS, SkStorageMap } from './sk-storage.js';
import { SockMap } from './sock-map.js';
import { MapOfMaps, PerfEventArrayMap, ProgramArrayMap } from './special.js';
import { MapType, mapTypeName, type MapOptions, type MapSpec } from './types.js';
import { valueStride } from './values.js';
import { cpuSection } from './slot-map.js';

/** Largest perf buffer a host may ask for, per CPU (the kernel's perf buffers are bounded by memlock too). */
const MAX_PERF_BUFFER_BYTES = 1 << 30;

/** Why a map type the kernel has is refused, by type (named in the refusal). */
const UNSUPPORTED_WHY: Readonly<Record<number, string>> = {
  20: 'it holds SO_REUSEPORT socket groups for sk_reuseport programs, a program type tsbpf does not run',
  26: 'it implements a kernel operations table (struct_ops programs such as TCP congestion control), which has no host here',
  28: 'its values hang off inodes (LSM programs), which tsbpf does not model',
  33: 'its pages are memory the program and user space share at addresses the program computes (BPF arena), which tsbpf\'s 32-bit address space does not model',
};

const HASH_TYPES: ReadonlySet<number> = new Set([MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]);

/** Create a map whose values live in `memory`. Throws {@link MapError} for unsupported types or bad sizes. */
export function createMap(memory: VmMemory, spec: MapSpec, options: MapOptions = {}): BpfMap {
  const cpus = options.cpus ?? 1;
  const perf = options.perfBufferBytes;
  if (perf !== undefined && (!Number.isSafeInteger(perf) || perf < 16 || perf > MAX_PERF_BUFFER_BYTES)) {
    throw new ArgumentError(`perfBufferBytes must be an integer from 16 to ${MAX_PERF_BUFFER_BYTES}, got ${String(perf)}`);
  }
  for (const [field, v] of [['key_size', spec.keySize], ['value_size', spec.valueSize], ['max_entries', spec.maxEntries]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new MapError(`map ${spec.name}: bad ${field} ${v}`);
  }
  // The kernel's rules on max_entries and map_flags (libbpf sizes only perf event arrays, one slot per
  // CPU; any other 0 is the loader's to fill in, but for local storages, which take 0).
  checkMapShape(spec);
  const sockets = options.socketCount ?? 0;
  if (!Number.isSafeInteger(sockets) || sockets < 0 || sockets > MAX_STORAGE_SOCKETS) throw new ArgumentError(`socketCount must be an integer from 0 to ${MAX_STORAGE_SOCKETS}, got ${String(sockets)}`);
  const limit = options.maxMapBytes ?? DEFAULT_MAX_MAP_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_MAP_BYTES_LIMIT) {
    throw new ArgumentError(`maxMapBytes must be an integer from 1 to ${MAX_MAP_BYTES_LIMIT}, got ${String(limit)}`);
  }
  const bytes = arenaBytes(spec, cpus, sockets);
  // A hash map's values are reserved as elements come (maps/slot-arena): the limit bounds what they may take, not what max_entries declares.
  if (bytes > limit && !HASH_TYPES.has(spec.type)) {
    throw new MapError(
      `map ${spec.name}: its ${bytes} bytes of values are more than the ${limit}-byte limit per map; ` +
        `raise the limit with maxMapBytes (tsbpf's --max-map-bytes, at most ${MAX_MAP_BYTES_LIMIT}) or lower max_entries with mapSizes { ${spec.name}: N } (--map-size ${spec.name}=N)`,
    );
  }
  switch (spec.type) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      return new ArrayMap(memory, spec, cpus);
    case MapType.HASH:
    case MapType.PERCPU_HASH:
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
      return new HashMap(memory, spec, cpus, undefined, limit);
    case MapType.LPM_TRIE:
      return new LpmTrieMap(memory, spec);
    case MapType.QUEUE:
    case MapType.STACK:
      return new QueueMap(memory, spec);
    case MapType.RINGBUF:
      return new RingBufMap(memory, spec);
    case MapType.STACK_TRACE:
      return new StackTraceMap(memory, spec);
    case MapType.PROG_ARRAY:
      return new ProgramArrayMap(memory, spec);
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
    case MapType.CPUMAP:
    case MapType.XSKMAP:
      return new RedirectMap(memory, spec);
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS:
      return new MapOfMaps(memory, spec);
    case MapType.SK_STORAGE:
      return new SkStorageMap(memory, spec, sockets);
    case MapType.CGROUP_ARRAY:
      return new CgroupArrayMap(memory, spec);
    case MapType.TASK_STORAGE:
      return new TaskStorageMap(memory, spec);
    case MapType.CGRP_STORAGE:
      return new CgrpStorageMap(memory, spec);
    case MapType.CGROUP_STORAGE:
    case MapType.PERCPU_CGROUP_STORAGE:
      return new CgroupStorageMap(memory, spec, cpus);
    case MapType.USER_RINGBUF:
      return new UserRingBufMap(memory, spec);
    case MapType.SOCKMAP:
    case MapType.SOCKHASH:
      return new SockMap(memory, spec, sockets);
    case MapType.BLOOM_FILTER:
      // Its bits are bounded by the limit rather than refused beyond it: fewer bits only mean more false positives.
      return new BloomFilterMap(memory, spec, limit);
    case MapType.PERF_EVENT_ARRAY: {
      // max_entries 0 means one slot per possible CPU, which libbpf writes into the map before creating it.
      const m = new PerfEventArrayMap(memory, spec.maxEntries === 0 ? { ...spec, maxEntries: cpus } : spec, cpus, options.perfBufferBytes);
      const cb = options.onPerfEvent;
      if (cb !== undefined) m.onEvent = (cpu, data) => cb(spec.name, cpu, data);
      return m;
    }
    default: {
      const why = UNSUPPORTED_WHY[spec.type];
      throw new MapError(`map ${spec.name}: ${mapTypeName(spec.type)} is not supported${why === undefined ? '' : `: ${why}`}`);
    }
  }
}

/** Bytes of value arena a map of this shape takes (what {@link MapOptions.maxMapBytes} bounds). */
function arenaBytes(spec: MapSpec, cpus: number, sockets: number): number {
  const values = spec.maxEntries * valueStride(spec.valueSize);
  switch (spec.type) {
    case MapType.SK_STORAGE:
      return sockets * valueStride(spec.valueSize);
    case MapType.TASK_STORAGE:
      return MAX_STORAGE_TASKS * valueStride(spec.valueSize);
    case MapType.CGRP_STORAGE:
      return MAX_STORAGE_CGRPS * valueStride(spec.valueSize);
    case MapType.CGROUP_STORAGE:
      return MAX_STORAGE_CGROUPS * valueStride(spec.valueSize);
    case MapType.PERCPU_CGROUP_STORAGE:
      return MAX_STORAGE_CGROUPS * valueStride(spec.valueSize) * cpus;
    case MapType.ARRAY:
    case MapType.HASH:
    case MapType.LRU_HASH:
    case MapType.LPM_TRIE:
      return values;
    case MapType.PERCPU_ARRAY:
    case MapType.PERCPU_HASH:
    case MapType.LRU_PERCPU_HASH:
      // Each CPU's values, and the unused ones between CPUs (maps/slot-map's cpuSection).
      return cpuSection(spec.maxEntries, valueStride(spec.valueSize), cpus) * valueStride(spec.valueSize) * cpus;
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      return spec.maxEntries;
    default:
      return 0;
  }
}
