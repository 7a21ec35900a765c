/**
 * Maps: their values live in the VM memory, so programs get real pointers. A loaded object creates its
 * maps (`obj.map(name)`); the classes are exported as types, for `instanceof`-free narrowing by
 * `spec.type` and for annotations. Entry point `tsbpf/maps`.
 * @module
 */
export { BPF_F_RDONLY_PROG, DEFAULT_MAX_MAP_BYTES, MAX_MAP_BYTES_LIMIT, type BpfMap } from './map.js';
export { MapType, UpdateFlag, type MapOptions, type MapSpec } from './types.js';
export type { ArrayMap } from './array.js';
export type { HashMap } from './hash.js';
export type { LpmTrieMap } from './lpm.js';
export type { QueueMap } from './queue.js';
export type { RingBufMap } from './ringbuf.js';
export { DEFAULT_PERF_BUFFER_BYTES, type MapOfMaps, type MapRef, type PerfEventArrayMap, type PerfRecord, type ProgramArrayMap, type ProgramRef } from './special.js';
export type { RedirectEntry, RedirectMap } from './redirect.js';
export type { StackTraceMap } from './stack-trace.js';
export type { SkStorageMap } from './sk-storage.js';
export type { SockMap } from './sock-map.js';
export { BLOOM_DEFAULT_HASHES, type BloomFilterMap } from './bloom.js';
export type { CgroupArrayMap } from './cgroup-array.js';
export { MAX_STORAGE_TASKS, type TaskStorageMap } from './task-storage.js';
export { MAX_STORAGE_CGRPS, type CgrpStorageMap } from './cgrp-storage.js';
export { MAX_CGROUP_STORAGE_VALUE, MAX_PERCPU_CGROUP_STORAGE_VALUE, MAX_STORAGE_CGROUPS, type CgroupStorageMap } from './cgroup-storage.js';
export type { UserRingBufMap } from './user-ringbuf.js';
export { MapFlag } from './rules.js';
