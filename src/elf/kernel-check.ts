/**
 * What the kernel-level verifier needs to know about an object's programs: the kernel program type of
 * each, and the object's maps as the analysis sees them (by handle, the immediate a linked `lddw`
 * carries), including global-data addresses the loader substituted for `.data`/`.rodata`/`.bss` loads.
 * @module
 */
import { ArrayMap } from '../maps/array.js';
import type { BpfMap } from '../maps/map.js';
import { ATTACH_TYPES_OF, attachTypeOfSection, programTypeOfSection, type AttachType, type MapInfo, type ProgramType as KernelProgramType, type ResolvedAddress } from '../verifier/analysis/index.js';
import type { ProgramType } from './program-type.js';

/** Global data, and libbpf's read-only `.kconfig` map of Kconfig extern values. */
const GLOBAL_DATA = /^\.(data|rodata|bss|kconfig|ksyms)(\..*)?$/;

/**
 * Read-only global data (`.rodata*`, `.kconfig`), which libbpf freezes (BPF_MAP_FREEZE) before loading
 * programs, and `.ksyms`, the host's bytes for typed kernel symbols (read-only to programs).
 */
export function isFrozenData(name: string): boolean {
  return name.startsWith('.rodata') || name === '.kconfig' || name === '.ksyms';
}

/**
 * The kernel program type of a program: the loader's type where it has one (xdp, socket filter, tc,
 * which decides the context the program runs with), else the section name's (`kprobe/…`,
 * `tracepoint/…`…), else undefined (the kernel would need `expected_attach_type` or a type from the
 * loader; the kernel-level check cannot choose a context layout).
 */
export function kernelProgramType(type: ProgramType, section: string): KernelProgramType | undefined {
  switch (type) {
    case 'xdp':
      return 'xdp';
    case 'socket':
      return 'socket_filter';
    case 'tc':
      return programTypeOfSection(section) === 'sched_act' ? 'sched_act' : 'sched_cls';
    case 'raw_tracepoint':
      return programTypeOfSection(section) === 'raw_tracepoint_writable' ? 'raw_tracepoint_writable' : 'raw_tracepoint';
    case 'kprobe':
    case 'tracepoint':
    case 'perf_event':
      return type;
    case 'sockops':
      return 'sock_ops';
    case 'cgroup_skb':
      return 'cgroup_skb';
    case 'flow_dissector':
      return 'flow_dissector';
    case 'sk_msg':
    case 'sk_skb':
    case 'sk_lookup':
    case 'syscall':
      return type;
    case 'tracing':
    case 'iter':
    case 'raw':
      return programTypeOfSection(section);
  }
}

/**
 * The expected attach type the kernel-level analysis needs for a program of `type` from `section`, as
 * libbpf sets it from the section name: `xdp_devmap` for `xdp/devmap` (and `xdp.frags/devmap`), a
 * cgroup_sock_addr hook for `cgroup/connect4` and the like; only one that belongs to `type`.
 */
export function kernelAttachType(type: KernelProgramType | undefined, section: string): AttachType | undefined {
  const attach = attachTypeOfSection(section);
  return type !== undefined && attach !== undefined && ATTACH_TYPES_OF[type]?.includes(attach) === true ? attach : undefined;
}

/** The maps of an object keyed by handle, and the resolver for the global-data addresses its programs load. */
export interface ObjectMapTable {
  readonly maps: ReadonlyMap<number, MapInfo>;
  readonly resolve: (imm: bigint) => ResolvedAddress | undefined;
}

/** Where a map's BTF places special fields in its value (byte offsets). */
export interface MapValueFields {
  readonly timer?: number | undefined;
  readonly spinLock?: number | undefined;
}

/** Describe an object's maps for the analysis, with the special fields of their values by map name. */
export function objectMapTable(objectMaps: ReadonlyMap<string, BpfMap>, fields: ReadonlyMap<string, MapValueFields> = new Map()): ObjectMapTable {
  const maps = new Map<number, MapInfo>();
  /** Global-data maps: where their value lives (the address programs load) and its size. */
  const data: { handle: number; start: bigint; end: bigint }[] = [];
  for (const [name, m] of objectMaps) {
    const i = m.spec.inner;
    const inner = i === undefined ? undefined : { type: i.type, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries };
    const readOnly = isFrozenData(name);
    // libbpf freezes read-only global data before loading: the kernel reads loads from it as constants
    const frozen = readOnly && m instanceof ArrayMap && m.spec.maxEntries === 1 ? m.view().slice() : undefined;
    const f = fields.get(name);
    maps.set(m.handle, { type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries, readOnly, frozen, inner, timer: f?.timer, spinLock: f?.spinLock });
    if (GLOBAL_DATA.test(name) && m instanceof ArrayMap) {
      const start = BigInt(m.valueAddress(0));
      data.push({ handle: m.handle, start, end: start + BigInt(Math.max(1, m.spec.valueSize)) });
    }
  }
  const resolve = (wide: bigint): ResolvedAddress | undefined => {
    // addresses are 32-bit; the loader may sign-extend them into the 64-bit immediate
    const imm = wide >> 32n === 0n || wide >> 32n === 0xffff_ffffn ? BigInt.asUintN(32, wide) : wide;
    for (const d of data) if (imm >= d.start && imm < d.end) return { map: d.handle, offset: Number(imm - d.start) };
    if (imm <= 0xffff_ffffn && maps.has(Number(imm)) && !data.some((d) => d.handle === Number(imm))) return { map: Number(imm) };
    return undefined;
  };
  return { maps, resolve };
}
