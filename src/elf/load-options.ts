/**
 * The options of `loadObject` ({@link LoadOptions}) and their checks: JavaScript callers have no type
 * checker, so every field a load reads is validated before anything is built.
 * @module
 */
import { ArgumentError, EbpfError } from '../errors.js';
import { VmMemory } from '../vm/memory.js';
import type { Engine, HelperEntry } from '../vm/environment.js';
import { MAX_MAP_BYTES_LIMIT } from '../maps/map.js';
import type { MapOptions, MapSpec } from '../maps/types.js';
import { DEFAULT_TRACE_BUFFER_BYTES } from '../helpers/trace-log.js';
import type { FibDescription } from '../helpers/fib-table.js';
import type { SocketDescription } from '../helpers/socket-table.js';
import { parseBtf, type Btf } from './btf.js';
import type { KconfigValue } from './kconfig.js';
import type { KfuncImplementation, KsymValue } from './externs.js';
import type { ProgramType } from './program-type.js';
// For the TSDoc links only.
import type { loadObject } from './loader.js';
import { parseElf } from './reader.js';
import { checkBytes, checkFunction, checkInstance, checkInteger, checkObject, checkOptionalBoolean, checkOptionalFunction, checkOptionalInteger, checkOptions, checkString, describeValue } from '../validate.js';

/** How {@link LoadOptions.verify} checks programs. */
export type VerifyMode = 'kernel' | 'warn' | 'shape';

/** Options for {@link loadObject}. */
export interface LoadOptions extends MapOptions {
  /**
   * The VM memory to place maps in (default: a fresh one). When it was made with `attach` (a worker
   * joining another thread's shared memory, where the object was loaded first at the same layout),
   * global data and `.kconfig` keep the bytes already there instead of taking the object's initial
   * values: the owner may have set them (`--map .rodata=...`) before this load froze them.
   */
  readonly memory?: VmMemory;
  /**
   * Called with each `bpf_trace_printk` line as it is printed (default: none). Lines are also kept,
   * bounded, in `obj.traceLog` until drained with `obj.drainTrace()`.
   */
  readonly trace?: (line: string) => void;
  /**
   * Bytes of trace lines the object keeps until drained (default `DEFAULT_TRACE_BUFFER_BYTES`, the
   * kernel's default trace buffer, 1408 KiB; each line costs its length plus 16). Lines that do not fit
   * are dropped and counted in `obj.traceDropped`.
   */
  readonly traceBufferBytes?: number;
  /** CPU index programs run on (default 0). */
  readonly cpu?: number;
  /** Clock for `bpf_ktime_get_ns` (default: `performance.now()` in ns). */
  readonly now?: () => bigint;
  /** Random source for `bpf_get_prandom_u32` (default: `Math.random`). */
  readonly random?: () => number;
  /** Extra or replacement helpers by id. */
  readonly helpers?: ReadonlyMap<number, HelperEntry>;
  /** The JIT engine `jit: true` runs use (default: a shared `JitEngine`). */
  readonly jitEngine?: Engine;
  /**
   * How each program is verified when first loaded (default `'kernel'`; `true` is `'kernel'` too):
   * - `'kernel'`: the kernel-level analysis (types, ranges, memory, helpers, loops; see
   *   `checkProgram` with `level: 'kernel'`) for the program's type with the object's maps; a program it
   *   rejects throws a `VerifierError` (E_VERIFY) naming the pc, the rule, the kernel-style message and
   *   the C line, and how to run it anyway (`verify: 'warn'`, `tsbpf run --verify warn`). The programs of
   *   the real corpus it rejects though the kernel accepts them are listed, with their causes, in
   *   test/verifier/kernel-corpus.test.ts (figures: docs/testing.md).
   * - `'warn'`: the same analysis, but its findings are kept in {@link BpfObject.verification} and
   *   {@link BpfObject.warnings} instead of refusing the program; only the shape checks reject. For
   *   programs the analysis cannot prove safe that should run anyway (the engines' runtime checks still
   *   catch every fault).
   * - `'shape'`: the instruction-shape checks only (what every load did before the kernel level).
   * - `false`: no verification at all.
   * Programs whose kernel type is unknown (a `raw` program from a section such as `test`) get the shape
   * checks only.
   */
  readonly verify?: boolean | VerifyMode;
  /**
   * Program types by program (function) name or section name, for sections whose name says nothing
   * (`filter`, `loadbalancer`) or says something else; the key `*` sets the type of every program not
   * named. Values: `xdp`, `socket`, `tc`, `cgroup_skb`, `flow_dissector`, `kprobe`, `tracepoint`, `raw_tracepoint`, `perf_event`, `tracing`, `iter`, `sockops`, `sk_msg`, `sk_skb`, `sk_lookup`, `syscall`, `raw`.
   */
  readonly programTypes?: Readonly<Record<string, ProgramType>>;
  /**
   * `max_entries` by map name, applied before the maps are created (libbpf's
   * `bpf_map__set_max_entries`): for maps declared with 0 entries that the loader is meant to size,
   * or to shrink a huge map. Each must name a map of the object and be an integer from 1 to 2^32 - 1.
   */
  readonly mapSizes?: Readonly<Record<string, number>>;
  /**
   * `value_size` by map name, applied before the maps are created (libbpf's
   * `bpf_map__set_value_size`): for maps whose value size the loader sets, such as stack trace maps
   * declared without one (bcc's tools give theirs the frame count times 8). Each must name a map of
   * the object and be an integer from 1 to 2^32 - 1; the map type's own rules still apply.
   */
  readonly mapValueSizes?: Readonly<Record<string, number>>;
  /**
   * Inner map shapes by the name of a map of maps (`ARRAY_OF_MAPS`, `HASH_OF_MAPS`), applied before
   * the maps are created: what libbpf's `bpf_map__set_inner_map_fd` (a map of that shape as the
   * template) and cilium/ebpf's `MapSpec.InnerMap` give, for maps declared without `__array(values,
   * …)` (KubeArmor's) or whose declared inner map the loader sizes (Falco's ring buffers, declared
   * without `max_entries`). Each must name a map of maps of the object; the inner type's own rules apply.
   */
  readonly innerMaps?: Readonly<Record<string, InnerMapShape>>;
  /**
   * The host's interfaces, routes and neighbours, for `bpf_fib_lookup` (see {@link FibDescription});
   * default: a host with only the loopback interface (ifindex 1) and no routes.
   */
  readonly fib?: FibDescription;
  /**
   * The host's sockets, for `bpf_sk_lookup_tcp` / `_udp`, `bpf_skc_lookup_tcp`, `bpf_sk_release`
   * and `bpf_sk_assign` (see {@link SocketDescription}); default: none, so every lookup finds nothing.
   * A socket-local storage map (`BPF_MAP_TYPE_SK_STORAGE`) holds a value for each, which the host reads
   * and writes with the socket's index here as a 4-byte key (where the kernel's user space passes an fd).
   */
  readonly sockets?: readonly SocketDescription[];
  /**
   * Values for the object's Kconfig externs (`__kconfig`), by name: `'y'` / `'n'` / `'m'`, integers,
   * strings (char arrays) or booleans; they override tsbpf's modelled kernel (`KCONFIG_DEFAULTS`:
   * `LINUX_KERNEL_VERSION` 6.18.0, `CONFIG_HZ` 250, ...). A value that does not fit its extern's type
   * is an ArgumentError; names the object does not declare are ignored, as libbpf does.
   */
  readonly kconfig?: Readonly<Record<string, KconfigValue>>;
  /**
   * The BTF to apply the object's CO-RE relocations against: raw BTF (a kernel's
   * `/sys/kernel/btf/vmlinux`) or an ELF file with a `.BTF` section. Default: the object's own BTF
   * (the layouts it was compiled for). A field, type or enumerator the target lacks makes its
   * relocation fail when the program reaches it (an `EbpfError` naming it; also in `warnings`);
   * existence checks read 0. Malformed BTF is an ArgumentError. `bpf_snprintf_btf` looks its type
   * ids up here too (as the kernel does in its own BTF).
   */
  readonly targetBtf?: Uint8Array;
  /**
   * The host's kernel symbols, by name, for the object's `__ksym` externs and for undefined symbols
   * without BTF (an inline-assembly constant): an address (a bigint, which an `lddw` of the symbol
   * loads; for untyped ksyms and plain symbols) or the symbol's contents (a `Uint8Array`, mapped
   * read-only in the internal map `.ksyms`; the `lddw` loads their address; needed for typed ksyms, at
   * least their type's size). A weak extern not given is 0 (NULL), as libbpf makes it; a strong one
   * refuses the programs that use it. At most 16 MiB of contents in all.
   */
  readonly ksyms?: Readonly<Record<string, KsymValue>>;
  /**
   * The text of a kernel's `/proc/kallsyms` (`ADDRESS TYPE NAME [MODULE]` a line; a user passes the file
   * they choose, tsbpf never reads /proc): the address of each untyped `__ksym` extern
   * (`extern void x __ksym;`) that `ksyms` does not give, as libbpf resolves them. At most 64 MiB.
   */
  readonly kallsyms?: string;
  /**
   * The host's kfuncs by name (`extern ... __ksym` functions, and any function the object calls but
   * does not define): a helper-shaped function `(r1, r2, r3, r4, r5, ctx) => r0`, or
   * `{ fn, fast?, args? }` where `args`, when given, must match the argument count of the object's
   * BTF prototype. Built in, and replaceable: `bpf_rcu_read_lock` / `_unlock` and
   * `bpf_preempt_disable` / `_enable` (no-ops), and the netfilter kfuncs on a host with no connections
   * and no flowtables (`bpf_skb_ct_lookup` / `bpf_xdp_ct_lookup` / `bpf_xdp_flow_lookup`: NULL with the
   * kernel's `opts->error`; `bpf_ct_release`; see helpers/netfilter.ts). A weak kfunc not given has address 0 and stops the run
   * if called; a strong one refuses the programs that call it, naming every missing one.
   */
  readonly kfuncs?: Readonly<Record<string, KfuncImplementation>>;
  /**
   * Other objects to link statically with this one before loading, as libbpf's linker (`bpftool gen
   * object`) does: sections of the same name are appended in order; a function or variable one
   * object declares `extern` and another defines is bound to the definition; of two global definitions
   * of a name a strong one wins over a weak one, the first of two weak ones wins, and two strong ones
   * are an error naming the name and the objects. At most 63 objects.
   */
  readonly link?: readonly Uint8Array[];
}

/** Largest trace buffer a host may ask for. */
const MAX_TRACE_BUFFER_BYTES = 1 << 30;

/**
 * Check the fields of {@link LoadOptions} a load reads directly (programTypes, mapSizes, fib, sockets,
 * kconfig, ksyms and kfuncs are checked where used); returns the trace buffer's size in bytes.
 */
export function checkLoadOptions(options: unknown): number {
  const o = checkOptions(options as LoadOptions | undefined, 'options');
  if (o.memory !== undefined) checkInstance(o.memory, VmMemory, 'options.memory', 'a VmMemory');
  checkOptionalFunction(o.trace, 'options.trace');
  checkOptionalFunction(o.now, 'options.now');
  checkOptionalFunction(o.random, 'options.random');
  checkOptionalFunction(o.onPerfEvent, 'options.onPerfEvent');
  checkOptionalInteger(o.cpus, 'options.cpus', 1, 1024);
  checkOptionalInteger(o.cpu, 'options.cpu', 0, (o.cpus ?? 1) - 1);
  if (o.helpers !== undefined) {
    for (const [id, entry] of checkInstance(o.helpers, Map, 'options.helpers', 'a Map of helper id to { fn, name, unwindOnZero }')) {
      checkInteger(id, 'options.helpers key', 0, 0x7fff_ffff);
      const e = checkObject(entry, `options.helpers.get(${id})`) as HelperEntry;
      checkFunction(e.fn, `options.helpers.get(${id}).fn`);
      checkString(e.name, `options.helpers.get(${id}).name`);
      checkOptionalBoolean(e.unwindOnZero, `options.helpers.get(${id}).unwindOnZero`);
    }
  }
  const engine: unknown = o.jitEngine;
  if (engine !== undefined) checkFunction((checkObject(engine, 'options.jitEngine') as { run?: unknown }).run, 'options.jitEngine.run');
  checkVerifyMode(o.verify);
  const perf = o.perfBufferBytes;
  // Checked here too: a map createMap refuses only makes that map unavailable, a bad option is the caller's.
  if (perf !== undefined && (!Number.isSafeInteger(perf) || perf < 16 || perf > 1 << 30)) {
    throw new ArgumentError(`perfBufferBytes must be an integer from 16 to ${1 << 30}, got ${String(perf)}`);
  }
  checkOptionalInteger(o.maxMapBytes, 'options.maxMapBytes', 1, MAX_MAP_BYTES_LIMIT);
  if (o.targetBtf !== undefined) checkBytes(o.targetBtf, 'targetBtf');
  const traceBytes = o.traceBufferBytes ?? DEFAULT_TRACE_BUFFER_BYTES;
  if (!Number.isSafeInteger(traceBytes) || traceBytes < 0 || traceBytes > MAX_TRACE_BUFFER_BYTES) {
    throw new ArgumentError(`traceBufferBytes must be an integer from 0 to ${MAX_TRACE_BUFFER_BYTES}, got ${String(o.traceBufferBytes)}`);
  }
  return traceBytes;
}

/** {@link LoadOptions.verify} as a mode (checked: JS callers have no type checker). */
export function checkVerifyMode(v: LoadOptions['verify']): VerifyMode | 'off' {
  if (v === undefined || v === true) return 'kernel';
  if (v === false) return 'off';
  if (v === 'kernel' || v === 'warn' || v === 'shape') return v;
  throw new ArgumentError(`verify must be true, false, 'kernel', 'warn' or 'shape', got ${String(v)}`);
}

/** The shape of the inner maps of a map of maps ({@link LoadOptions.innerMaps}). */
export interface InnerMapShape {
  /** One of {@link MapType} (BPF_MAP_TYPE_*). */
  readonly type: number;
  /** Key size in bytes (default 0: none, as for a ring buffer). */
  readonly keySize?: number;
  /** Value size in bytes (default 0). */
  readonly valueSize?: number;
  /** `max_entries` (a ring buffer's data size in bytes). */
  readonly maxEntries: number;
  /** `map_flags` (default 0). */
  readonly flags?: number;
}

/**
 * Checked `innerMaps`: each names a map of maps of `mapsOfMaps` (the others are `names`), each shape
 * field a non-negative integer below 2^32; the inner specs, named `OUTER.inner`.
 */
export function checkInnerMaps(
  shapes: Readonly<Record<string, InnerMapShape>> | undefined,
  names: readonly string[],
  mapsOfMaps: readonly string[],
): Readonly<Record<string, MapSpec>> | undefined {
  if (shapes === undefined) return undefined;
  if (typeof shapes !== 'object' || shapes === null) throw new ArgumentError('options.innerMaps must be an object of map name to inner map shape');
  const out: Record<string, MapSpec> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    if (!names.includes(name)) throw new ArgumentError(`options.innerMaps: no map named ${name}; maps: ${names.join(', ') || 'none'}`);
    if (!mapsOfMaps.includes(name)) throw new ArgumentError(`options.innerMaps: map ${name} is not a map of maps (ARRAY_OF_MAPS or HASH_OF_MAPS)`);
    if (typeof shape !== 'object' || shape === null) throw new ArgumentError(`options.innerMaps[${JSON.stringify(name)}] must be an object { type, keySize, valueSize, maxEntries, flags }`);
    const field = (key: keyof InnerMapShape, required: boolean): number => {
      const v = shape[key];
      if (v === undefined && !required) return 0;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new ArgumentError(`options.innerMaps[${JSON.stringify(name)}].${key}: ${String(v)} is not an integer from 0 to 4294967295`);
      }
      return v;
    };
    out[name] = { name: `${name}.inner`, type: field('type', true), keySize: field('keySize', false), valueSize: field('valueSize', false), maxEntries: field('maxEntries', true), flags: field('flags', false) };
  }
  return out;
}

/** Checked `mapSizes` (`option` 'mapSizes', max_entries) or `mapValueSizes` (value_size): each names a map of `names`, each an integer from 1 to 2^32 - 1. */
export function checkMapSizes(
  sizes: Readonly<Record<string, number>> | undefined,
  names: readonly string[],
  option: 'mapSizes' | 'mapValueSizes' = 'mapSizes',
): Readonly<Record<string, number>> | undefined {
  if (sizes === undefined) return undefined;
  const what = option === 'mapSizes' ? 'max_entries' : 'value_size';
  if (typeof sizes !== 'object' || sizes === null) throw new ArgumentError(`options.${option} must be an object of map name to ${what}`);
  for (const [name, n] of Object.entries(sizes)) {
    if (!names.includes(name)) throw new ArgumentError(`options.${option}: no map named ${name}; maps: ${names.join(', ') || 'none'}`);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 0xffffffff) {
      throw new ArgumentError(`options.${option}[${JSON.stringify(name)}]: ${String(n)} is not an integer from 1 to 4294967295`);
    }
  }
  return sizes;
}

/** Checked `link` option. */
export function checkLink(raw: unknown): readonly Uint8Array[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > 63) throw new ArgumentError(`link must be an array of at most 63 object files (Uint8Array), not ${describeValue(raw)}`);
  return raw.map((b, i) => checkBytes(b, `link[${i}]`));
}

/** `targetBtf` parsed: raw BTF, or the `.BTF` section of an ELF file; the caller's error when malformed. */
export function targetBtfOf(bytes: Uint8Array): Btf {
  const data = checkBytes(bytes, 'targetBtf');
  const isElf = data.length >= 4 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
  try {
    if (!isElf) return parseBtf(data);
    const section = parseElf(data).section('.BTF');
    if (section === undefined) throw new ArgumentError('targetBtf: the ELF file has no .BTF section');
    return parseBtf(section.data);
  } catch (e) {
    if (e instanceof EbpfError && !(e instanceof ArgumentError)) throw new ArgumentError(`targetBtf: ${e.message}`);
    throw e;
  }
}
