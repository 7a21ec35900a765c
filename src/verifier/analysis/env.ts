/**
 * What the transfer functions share: the program's configuration and the problem reporter.
 * @module
 */
import type { Btf } from '../../elf/btf.js';
import type { TracingTarget } from './btf-context.js';
import type { KfuncTable } from './kfuncs.js';
import type { AttachType, ProgramType } from './program-types.js';
import type { AnalysisRule } from './rules.js';

/** A map as the analysis needs it: the shape of `struct bpf_map_def`. */
export interface MapInfo {
  /** `enum bpf_map_type` number. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** True when programs may not write its values (`.rodata`, `BPF_F_RDONLY_PROG`). */
  readonly readOnly?: boolean;
  /**
   * The value's bytes when the map is frozen (read-only global data: libbpf freezes `.rodata` and
   * `.kconfig` before loading) and has one entry: loads of 1, 2, 4 or 8 bytes at a known offset give
   * these bytes as a constant, so branches on them are pruned as the kernel prunes them.
   */
  readonly frozen?: Uint8Array;
  /** Array or hash of maps: the shape of the inner maps a lookup returns. */
  readonly inner?: MapInfo;
  /** Offset of the value's `struct bpf_timer`, when BTF says it has one (loads and stores may not touch it). */
  readonly timer?: number;
  /**
   * Offset of the value's `struct bpf_spin_lock`, when the map has BTF whose value type holds one (a
   * clang-built object's map with the field; a raw map created with that BTF). bpf_spin_lock and
   * bpf_spin_unlock take exactly that address; loads and stores may not touch its 4 bytes. Without
   * it the kernel refuses both helpers on the map's values (a map without BTF has no lock).
   */
  readonly spinLock?: number;
}

/** Keys at and above this name the inner map of map `key - INNER_MAP`. */
export const INNER_MAP = 2 ** 40;
/** Keys at and above this name the key of map `key - MAP_KEY` (a callback's read-only key argument). */
export const MAP_KEY = 2 ** 41;

/** The map a value's `map` key names (an inner map for keys from {@link INNER_MAP}, a key from {@link MAP_KEY}). */
export function mapInfo(env: Env, key: number): MapInfo | undefined {
  if (key >= MAP_KEY) {
    const m = mapInfo(env, key - MAP_KEY);
    // the key as a read-only value of its own (bpf_for_each_map_elem's and timer callbacks' key argument)
    return m === undefined ? undefined : { type: m.type, keySize: 0, valueSize: m.keySize, maxEntries: 1, readOnly: true };
  }
  return key >= INNER_MAP ? env.maps.get(key - INNER_MAP)?.inner : env.maps.get(key);
}

/** Where a loader-resolved 64-bit immediate points: a map (offset undefined) or into one's value. */
export interface ResolvedAddress {
  /** Key of the map in `maps`. */
  readonly map: number;
  /** Byte offset into the map's (single) value, or undefined for the map itself. */
  readonly offset?: number;
}

/** Shared, read-only configuration of one analysis run plus its reporter. */
export interface Env {
  readonly programType: ProgramType;
  readonly maps: ReadonlyMap<number, MapInfo>;
  /**
   * Rules of a privileged loader (root, CAP_BPF + CAP_PERFMON): uninitialised stack may be read (as an
   * unknown number) and pointers may be stored in memory or returned. Unprivileged rules refuse both.
   */
  readonly privileged: boolean;
  /** The expected attach type where it changes the rules (`xdp_devmap`: egress_ifindex readable; a cgroup_sock_addr hook). */
  readonly attachType: AttachType | undefined;
  /** Plain `lddw` immediates an object loader put in place of map references. */
  readonly resolve: ((imm: bigint, pc: number) => ResolvedAddress | undefined) | undefined;
  /** Helpers the host runs without a prototype here: calls to them are warnings (see AnalysisOptions). */
  readonly hostHelper: ((id: number) => boolean) | undefined;
  /** The kfuncs calls may name (see AnalysisOptions.kfuncs). */
  readonly kfuncs: KfuncTable | undefined;
  /** The BTF whose structures `btf_id` values point to (AnalysisOptions.btf, else the kfunc table's). */
  readonly btf: Btf | undefined;
  /** A BTF tracing program's context, resolved from its attach target (btf-context.ts). */
  readonly tracing: TracingTarget | undefined;
  /** The program carries BTF func_info (see AnalysisOptions.funcInfo): callbacks may be used. */
  readonly funcInfo: boolean;
  /** Loaded with BPF_F_STRICT_ALIGNMENT: packet and map value accesses are aligned to their size. */
  readonly strictAlignment: boolean;
  /** Loaded with an fd_array: map loads by index (lddw source 5, 6) name a map. */
  readonly fdArray: boolean;
  /** Report a problem at `pc` (a no-op while the fixpoint iterates; real in the checking pass). */
  report(pc: number, rule: AnalysisRule, message: string, severity?: 'warning'): void;
  /**
   * Record that the instruction at `pc` may read a stack byte no earlier instruction of the run wrote
   * (privileged rules allow it; unprivileged ones report it instead): see `ProgramFacts.uninitStackReads`.
   */
  uninitStackRead(pc: number): void;
}
