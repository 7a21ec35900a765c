/**
 * Map type numbers, update flags and error numbers, as in the kernel's uapi `linux/bpf.h` and
 * `errno.h`, so that programs compiled for the kernel see the values they expect.
 * @module
 */

/** `enum bpf_map_type` values tsbpf knows. */
export const MapType = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6, STACK_TRACE: 7,
  CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11, ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13,
  DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17, SOCKHASH: 18, CGROUP_STORAGE: 19, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24, DEVMAP_HASH: 25,
  RINGBUF: 27, TASK_STORAGE: 29, BLOOM_FILTER: 30, USER_RINGBUF: 31, CGRP_STORAGE: 32,
} as const;

/** Kernel map types tsbpf does not create, by value: named in messages only. */
const OTHER_MAP_TYPES: Readonly<Record<number, string>> = {
  20: 'REUSEPORT_SOCKARRAY', 26: 'STRUCT_OPS',
  28: 'INODE_STORAGE', 33: 'ARENA',
};

/** Human-readable names of map types, for messages. */
export function mapTypeName(type: number): string {
  const other = OTHER_MAP_TYPES[type];
  if (other !== undefined) return `BPF_MAP_TYPE_${other}`;
  const entry = Object.entries(MapType).find(([, v]) => v === type);
  return entry === undefined ? `type ${type}` : `BPF_MAP_TYPE_${entry[0]}`;
}

/** `bpf_map_update_elem` flags. */
export const UpdateFlag = {
  /** Create or update. */
  ANY: 0,
  /** Create only; fail with -EEXIST if the key exists. */
  NOEXIST: 1,
  /** Update only; fail with -ENOENT if the key does not exist. */
  EXIST: 2,
} as const;

/** Error numbers helpers return negated, as the kernel does. */
export const Errno = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17,
  ENODEV: 19, EINVAL: 22, ENOSPC: 28, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOMSG: 42, ENONET: 64, EPROTO: 71, EOVERFLOW: 75,
  EPROTOTYPE: 91, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, ENETUNREACH: 101,
  /** The kernel's internal "operation not supported" (not a uapi errno, but what programs see). */
  ENOTSUPP: 524,
} as const;

/** A helper's result for a failure: `-errno` as the unsigned 64-bit value r0 holds. */
export function negErrno(errno: number): bigint {
  return BigInt.asUintN(64, BigInt(-errno));
}

/** The symbolic name of a (positive) error number. */
export function errnoName(errno: number): string {
  const entry = Object.entries(Errno).find(([, v]) => v === errno);
  return entry === undefined ? `errno ${errno}` : entry[0];
}

/** A map's shape: what `struct bpf_map_def` or a BTF map definition says. */
export interface MapSpec {
  /** Name (the C variable name, or `.bss`, `.data`, `.rodata…` for global data). */
  readonly name: string;
  /** One of {@link MapType}. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of entries (ring buffers: the data size in bytes). */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** `map_extra` (a bloom filter's number of hash functions, in its low 4 bits); default 0. */
  readonly extra?: number;
  /** Inner map shape, for array/hash of maps. */
  readonly inner?: MapSpec;
}

/** Options that shape every map of an object. */
export interface MapOptions {
  /** Number of CPUs per-CPU maps keep a value for (default 1). */
  readonly cpus?: number;
  /**
   * Called for each `bpf_perf_event_output` record: the CPU index and a copy of the data. Records it
   * receives are consumed (not kept for `drain()`), so a buffer never fills.
   */
  readonly onPerfEvent?: (mapName: string, cpu: number, data: Uint8Array) => void;
  /**
   * Bytes of each CPU's perf buffer of perf event arrays (default `DEFAULT_PERF_BUFFER_BYTES`, 32 KiB);
   * records that do not fit until the host drains them are dropped, and the program gets -ENOSPC.
   */
  readonly perfBufferBytes?: number;
  /**
   * Largest value arena one map may have, in bytes (default `DEFAULT_MAX_MAP_BYTES`, 128 MiB; at most
   * `MAX_MAP_BYTES_LIMIT`, 1 GiB): values of array and LPM maps (per CPU for per-CPU maps) and
   * ring buffers. A larger map is refused with a `MapError` naming this option, as the kernel refuses
   * maps beyond the memlock limit; raise it for objects that really need big maps (katran's 512 MiB
   * `ch_rings`), or shrink the map with `mapSizes`. Hash maps (plain, per-CPU, LRU) reserve their
   * values as elements are inserted, so any `max_entries` loads; this bounds the bytes their values
   * may come to take: an insert beyond it fails with a `MapError` naming the map (an LRU map evicts).
   */
  readonly maxMapBytes?: number;
  /**
   * How many sockets the host describes (the loader's `sockets` option; default 0): a socket-local
   * storage map (`BPF_MAP_TYPE_SK_STORAGE`) holds at most one value for each.
   */
  readonly socketCount?: number;
}
