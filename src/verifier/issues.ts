/**
 * What the verifier reports and how it can be configured.
 * @module
 */

import type { Btf } from '../elf/btf.js';
import type { AnalysisRule, AttachType, KfuncTable, MapInfo, ProgramType, ResolvedAddress } from './analysis/index.js';

/**
 * The rule an issue comes from. Stable strings: callers and tests switch on them instead of parsing
 * messages.
 */
export type VerifierRule =
  | 'empty'
  | 'length'
  | 'too-long'
  | 'unknown-opcode'
  | 'register'
  | 'frame-pointer-write'
  | 'reserved-field'
  | 'incomplete-lddw'
  | 'pseudo-load'
  | 'jump-out-of-range'
  | 'jump-into-lddw'
  | 'jump-to-self'
  | 'call-out-of-range'
  | 'call-into-lddw'
  | 'unknown-helper'
  | 'kfunc'
  | 'cpu-version'
  | 'fall-through'
  | 'division-by-zero'
  | 'shift-range'
  | AnalysisRule;

/**
 * `error`: the program is malformed, unsafe or certainly wrong. `warning`: the program is well defined by
 * RFC 9669 but probably not what its author meant (an out-of-range shift immediate is masked); the
 * conformance suite relies on such shifts, so warnings only reject a program when
 * {@link VerifierOptions.strict} is set.
 */
export type IssueSeverity = 'error' | 'warning';

/** One problem found in a program. */
export interface VerifierIssue {
  /** Slot index of the offending instruction, or `undefined` for whole-program problems (length). */
  readonly pc: number | undefined;
  /** The rule that was broken. */
  readonly rule: VerifierRule;
  /** Whether the issue rejects the program by default. */
  readonly severity: IssueSeverity;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Something that can tell whether a helper id is registered: a `Set<number>` or a helper `Map` both fit. */
export interface HelperIdSet {
  /** True when a helper with this id is registered. */
  has(id: number): boolean;
}

/** Options of {@link verifyProgram} and {@link checkProgram}. Every field is optional. */
export interface VerifierOptions {
  /**
   * Highest instruction-set version the program may use (clang's `-mcpu=v1`…`v4`). Default 4: every
   * instruction tsbpf knows. With 3, `sdiv`/`smod`/`movsx`/`bswap`/sign-extending loads/`gotol` are rejected.
   */
  readonly cpuVersion?: 1 | 2 | 3 | 4;
  /**
   * Registered helper ids. When given, `call imm` to an id not in the set is rejected. `callx` cannot be
   * checked statically (its id is in a register).
   */
  readonly helpers?: HelperIdSet;
  /**
   * Which `lddw` pseudo sources (map by fd, map value, BTF id… see `PseudoLoad`) may appear. Default
   * `false`: only plain 64-bit immediates (src 0), since the engines cannot resolve the others - an object
   * loader must have rewritten them. `true` allows every known pseudo source.
   */
  readonly allowPseudoLoads?: boolean | readonly number[];
  /** Allow kfunc calls (`call` with src 2). Default false: no tsbpf engine can resolve a BTF id. */
  readonly allowKfuncCalls?: boolean;
  /** Maximum number of instruction slots. Default 1,000,000 (rbpf's and the kernel's limit). */
  readonly maxInstructions?: number;
  /** Treat warnings (out-of-range shift immediates) as errors. Default false. */
  readonly strict?: boolean;
  /**
   * `shape` (the default): the instruction-shape checks above. `kernel`: those, then the kernel-class
   * analysis (types, ranges, memory bounds, helpers, loops) for {@link programType} with {@link maps};
   * map pseudo loads are allowed and out-of-range shift immediates are errors, as in the kernel.
   */
  readonly level?: 'shape' | 'kernel';
  /** Kernel level: the program type (the kernel's name, e.g. `xdp`, `sched_cls`). Default `socket_filter`. */
  readonly programType?: ProgramType;
  /**
   * Kernel level: the maps, keyed by the immediate of their `lddw` (src 1 or 2: a file descriptor in raw
   * programs). A `Map` or a plain object.
   */
  readonly maps?: ReadonlyMap<number, MapInfo> | Readonly<Record<number, MapInfo>>;
  /**
   * Kernel level: plain `lddw` immediates an object loader substituted for map and global-data references
   * (`pc` the lddw's slot: a loader answers only for the slots it relocated, so a constant that happens
   * to equal an address stays a number).
   */
  readonly resolve?: (imm: bigint, pc: number) => ResolvedAddress | undefined;
  /**
   * Kernel level: a privileged loader's rules (default true, as when root loads a program): reading
   * uninitialised stack gives an unknown number, and pointers may be stored into maps, the context or
   * the packet and returned. `false` applies the unprivileged rules, which refuse all of these.
   */
  readonly privileged?: boolean;
  /**
   * Kernel level: the program's expected attach type, where it changes the rules (libbpf sets it from the
   * section name: {@link attachTypeOfSection}). `'xdp_devmap'` (section `xdp/devmap`): an XDP program run by
   * a device map, which may read `egress_ifindex`. A cgroup_sock_addr hook (`'cgroup_inet4_connect'`,
   * `'cgroup_inet6_sendmsg'`, ...): which addresses its context has and what it may return; without one
   * the analysis assumes the IPv4 connect hook. It must be one of {@link ATTACH_TYPES_OF} the program type.
   */
  readonly attachType?: AttachType;
  /**
   * Kernel level: the program carries BTF func_info (default true, as a clang-built object's programs
   * do). The kernel verifies callbacks (bpf_loop, bpf_for_each_map_elem, timer callbacks) only with it:
   * `false` (raw bytecode loaded without BTF) refuses every function pointer, `missing btf func_info`.
   */
  readonly funcInfo?: boolean;
  /**
   * Kernel level: the program is loaded with BPF_F_STRICT_ALIGNMENT (default false): packet and map
   * value accesses must then be aligned to their size, a packet offset counted from 2 bytes before `data`
   * (NET_IP_ALIGN, so that an IP header after a 14-byte Ethernet header is 4-byte aligned).
   */
  readonly strictAlignment?: boolean;
  /**
   * Kernel level: the program is loaded with an fd_array (default true), so that a map load by index
   * (`lddw` source 5 or 6) names the map its immediate indexes, which `maps` then describes under that
   * immediate. `false` (BPF_PROG_LOAD without fd_array, as a raw load of a file descriptor's program)
   * refuses those loads, `fd_idx without fd_array is invalid`.
   */
  readonly fdArray?: boolean;
  /**
   * Kernel level: the kfuncs the program calls, by call number (a loader's kfunc helper id, or a raw
   * `call kfunc`'s immediate, which needs {@link allowKfuncCalls}), with the BTF declaring them. Calls to
   * the kfuncs the analysis models (`KFUNC_FLAGS`: the conntrack lookups and release...) are checked
   * against their BTF prototypes, and the references they acquire tracked to their release.
   */
  readonly kfuncs?: KfuncTable;
  /**
   * Kernel level: the kernel's BTF (a parsed `/sys/kernel/btf/vmlinux` or the vmlinux a program is meant
   * for). It types the context of BTF tracing programs ({@link attachTo}) and lays out the structures BTF
   * pointers point to (bpf_get_current_task_btf's task, the socket casts' results). Default: the
   * `kfuncs` table's BTF (an object's own, whose CO-RE declarations hold the fields it reads).
   */
  readonly btf?: Btf;
  /**
   * Kernel level, programType `tracing` (BPF_PROG_TYPE_TRACING): what the program attaches to, as its section names it
   * (`fentry/tcp_connect`, `fexit/…`, `fmod_ret/…`, `tp_btf/sched_switch`, `iter/task`), resolved in
   * {@link btf} (required for those types: the context is the target's typed arguments).
   */
  readonly attachTo?: string;
  /** Kernel level: the analysis's processing budget in instructions (default 4,000,000). */
  readonly maxSteps?: number;
}

/** The largest program the default verifier accepts, in instruction slots. */
export const MAX_PROGRAM_INSNS = 1_000_000;
