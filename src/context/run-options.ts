/**
 * The options and results of {@link ProgramRunner}'s runs (context/runner.ts), one interface per
 * program type: what a host passes (limits, engine, the packet's skb facts, a tracing run's task and
 * memory, a cgroup) and what a run gives back (verdicts, the packet as left, redirects, clones, output).
 * @module
 */
import type { Engine, HelperTable, RunLimits } from '../vm/environment.js';
import type { Redirect } from '../helpers/packet.js';
import type { TunnelKey } from '../helpers/tunnel.js';
import type { SkbClone } from '../helpers/clone.js';
import type { SkbChecksum, SkbSocket } from '../helpers/skb-info.js';
import type { CgroupDescription, PerfCounterSlot, ProbeMemoryBlock, SentSignal, TaskDescription } from '../helpers/task.js';
import type { FileDescription, SkbDescription } from '../helpers/event-objects.js';
import type { SeqOutput } from '../helpers/seq.js';
import type { SockOpsSockets } from '../helpers/sockopt.js';
import type { SocketMemory } from '../helpers/sockets.js';
import type { CgroupAttachment } from '../helpers/cgroup-storage.js';
import type { IterMetaLayout } from './iter.js';
import type { FlowKeys } from './flow-keys.js';
import type { RunSpace } from './space.js';
// For the {@link ProgramRunner.run…} references below.
import type { ProgramRunner } from './runner.js';

/** How to run. */
export interface RunOptions {
  /** Use the JIT engine: the one given to `loadObject` (`jitEngine`), else a shared default `JitEngine`. */
  readonly jit?: boolean;
  /** Use this engine (overrides `jit`). */
  readonly engine?: Engine;
  /** Limits for this run (defaults: {@link DEFAULT_LIMITS}). */
  readonly limits?: Partial<RunLimits>;
  /**
   * The id of the cgroup the program is attached to, whose cgroup storage `bpf_get_local_storage`
   * gives (a value per cgroup and, with 16-byte keys, per attach type; made zero on first use).
   * Default: the root cgroup, id 1.
   */
  readonly cgroup?: bigint;
}

/** Extra `xdp_md` fields. */
export interface XdpOptions extends RunOptions {
  /** `ingress_ifindex` (default 1). */
  readonly ingressIfindex?: number;
  /** `rx_queue_index` (default 0). */
  readonly rxQueueIndex?: number;
  /** `egress_ifindex` (default 0). */
  readonly egressIfindex?: number;
}

/** What an XDP program did. */
export interface XdpResult {
  /** The verdict: r0's low 32 bits (`XdpAction`: ABORTED 0, DROP 1, PASS 2, TX 3, REDIRECT 4). */
  readonly action: number;
  /** r0 as returned. */
  readonly r0: bigint;
  /**
   * The packet as the program left it (after writes and head/tail adjustments), a copy. Copies share
   * larger buffers (see context/copy-out): use the view itself, not its `.buffer`.
   */
  readonly packet: Uint8Array;
  /** Metadata bytes in front of the packet (`bpf_xdp_adjust_meta`), a copy (like `packet`). */
  readonly meta: Uint8Array;
  /**
   * With the `XDP_REDIRECT` verdict: where `bpf_redirect` / `bpf_redirect_map` sent the packet
   * (undefined when the program returned the verdict without choosing a target, which the kernel drops).
   */
  readonly redirect?: Redirect;
}

/** What a socket filter or tc run did beyond r0, given to {@link SkbOptions.inspect}. */
export interface SkbRunInfo {
  /** With the `TC_ACT_REDIRECT` verdict (7): where `bpf_redirect` sent the packet. */
  readonly redirect?: Redirect;
  /**
   * The tunnel metadata `bpf_skb_set_tunnel_key` attached (last call), as the program gave it: `remote`
   * is where the encapsulating device sends the packet, `flags` the kernel's tunnel flag bits.
   */
  readonly tunnel?: TunnelKey;
  /**
   * The copies `bpf_clone_redirect` sent, in call order, each with its target and the packet as it
   * was at the call (whatever the verdict: the original went on through the program). At most 64
   * are kept; `clonesDropped` counts the rest.
   */
  readonly clones?: readonly SkbClone[];
  readonly clonesDropped?: number;
}

/** `__sk_buff` fields a host may set (all default to 0 except `len`, `protocol`, `data`, `data_end`, `wire_len`). */
export interface SkbOptions extends RunOptions {
  readonly mark?: number;
  readonly priority?: number;
  readonly pktType?: number;
  readonly queueMapping?: number;
  /** Network-order ethertype as the kernel stores it; default: bytes 12-13 of the packet. */
  readonly protocol?: number;
  readonly vlanPresent?: number;
  readonly vlanTci?: number;
  readonly vlanProto?: number;
  readonly ingressIfindex?: number;
  readonly ifindex?: number;
  readonly tcIndex?: number;
  readonly hash?: number;
  readonly tcClassid?: number;
  /** Control block `cb[0..4]` (entries past the fifth are ignored). */
  readonly cb?: readonly number[];
  /** `wire_len` (default: the packet's length). */
  readonly wireLen?: number;
  readonly gsoSegs?: number;
  readonly gsoSize?: number;
  /** `tstamp` (ns). */
  readonly tstamp?: bigint;
  /** `hwtstamp` (ns). */
  readonly hwtstamp?: bigint;
  /**
   * Tunnel metadata the packet arrived with, for `bpf_skb_get_tunnel_key` (tc; default none: the
   * helper returns -EINVAL). `remote` / `local` are 4- or 16-byte addresses of one family; `options`
   * (at most 255 bytes) is what `bpf_skb_get_tunnel_opt` reads.
   */
  readonly tunnel?: TunnelKey;
  /**
   * The socket the skb belongs to, for `bpf_get_socket_cookie` / `_uid`, `bpf_skb_cgroup_id` /
   * `_ancestor_cgroup_id` and the net_cls classids; `null` for none (cookie 0, uid 65534, cgroup ids 0).
   * Default: what a BPF_PROG_TEST_RUN skb carries, `TEST_RUN_SOCKET` (cookie 1, uid 0, the root cgroup, id 1).
   */
  readonly socket?: SkbSocket | null;
  /** `bpf_get_netns_cookie` (for the skb and for NULL: the host has one namespace; default 1). */
  readonly netnsCookie?: bigint;
  /** `bpf_get_route_realm`: the realm of the skb's route (default 0, no route). */
  readonly routeRealm?: number;
  /**
   * The checksum state the skb arrives with, for `bpf_csum_level` and `bpf_csum_update` (default
   * `{ state: 'none' }`, a test run's; `unnecessary` level 0 to 3, default 0; `complete` with the
   * device's 32-bit sum, default 0).
   */
  readonly checksum?: SkbChecksum;
  /**
   * Receives the `__sk_buff` and packet after the run (copies), to read fields the program wrote, and the
   * redirect target. The packet is as the program left it, with the length the resize helpers gave it.
   */
  readonly inspect?: (skb: Uint8Array, packet: Uint8Array, info: SkbRunInfo) => void;
}

/** Options for a raw run. */
export interface RawRunOptions extends RunOptions {
  /** Input memory mapped at `MEM_START`; written back after the run. */
  readonly mem?: Uint8Array;
  /**
   * The current task of a simulated event (tracing programs): what `bpf_get_current_pid_tgid`,
   * `_uid_gid` and `_comm` return. Default: the idle task (pid 0, `swapper/0`).
   */
  readonly task?: TaskDescription;
  /**
   * Kernel and user memory of a simulated event at 64-bit addresses, for `bpf_probe_read_*`
   * (`_kernel`, `_user`, `_str`): a read inside one block copies its bytes; elsewhere it reads the
   * VM's own memory or fails with -EFAULT, as the kernel's does. At most 4096 blocks.
   */
  readonly probeMemory?: readonly ProbeMemoryBlock[];
  /**
   * Tasks other than the current one that a program may be given pointers to (an `iter/task`
   * iterator's), found by their `address` (needed, and unique): their stacks, for
   * `bpf_get_task_stack`. At most 4096.
   */
  readonly tasks?: readonly TaskDescription[];
  /** Cgroups a program may be given pointers to; see {@link TracingRunOptions.cgroups}. */
  readonly cgroups?: readonly CgroupDescription[];
  /** Socket buffers a program may be given pointers to; see {@link TracingRunOptions.skbs}. */
  readonly skbs?: readonly SkbDescription[];
  /** Open files; see {@link TracingRunOptions.files}. */
  readonly files?: readonly FileDescription[];
}

/** Options of a tracing run ({@link ProgramRunner.runEvent}). */
export interface TracingRunOptions extends RunOptions {
  /** The current task (default: the idle task, pid 0, `swapper/0`); see {@link RawRunOptions.task}. */
  readonly task?: TaskDescription;
  /** Kernel and user memory at 64-bit addresses; see {@link RawRunOptions.probeMemory}. */
  readonly probeMemory?: readonly ProbeMemoryBlock[];
  /** Other tasks, by the address of their `task_struct`; see {@link RawRunOptions.tasks}. */
  readonly tasks?: readonly TaskDescription[];
  /**
   * Cgroups a program may be given pointers to (a `tp_btf/cgroup_mkdir` argument...), found by the
   * `address` of their `struct cgroup` (not 0, unique): `bpf_cgrp_storage_get` / `_delete` key their
   * values by the cgroup's `id` (at most 2^32 - 1). At most 4096.
   */
  readonly cgroups?: readonly CgroupDescription[];
  /**
   * Socket buffers a program may be given pointers to (a `tp_btf` / `fentry` argument), found by the
   * `address` of their `struct sk_buff` (unique): `bpf_skb_output` appends their packet bytes. At most 4096.
   */
  readonly skbs?: readonly SkbDescription[];
  /**
   * Open files, found by the address of their `struct path` (`bpf_d_path`, which gives their `path`)
   * or `struct file` (`bpf_ima_file_hash`, which gives their `imaHash`). At most 4096.
   */
  readonly files?: readonly FileDescription[];
  /**
   * Counters the host opened on perf event array slots, for `bpf_perf_event_read` /
   * `bpf_perf_event_read_value` (a slot without one reads -ENOENT). At most 4096.
   */
  readonly perfCounters?: readonly PerfCounterSlot[];
  /**
   * `iter` programs: where `bpf_seq_write` / `bpf_seq_printf` append (kept across runs until the host
   * drains it, as one `read()` of the iterator's file). Default: a new {@link SeqOutput} for the run.
   */
  readonly seq?: SeqOutput;
}

/** What a tracing program did. */
export interface TracingResult {
  /** r0 as returned. */
  readonly r0: bigint;
  /** The value `bpf_override_return` made the probed function return (last call), if it was called. */
  readonly overrideReturn?: bigint;
  /** Signals sent with `bpf_send_signal` / `bpf_send_signal_thread`, in order (at most 64 kept). */
  readonly signals: readonly SentSignal[];
  /** The probe memory blocks after the run (copies: `bpf_probe_write_user` writes into them). */
  readonly probeMemory?: readonly ProbeMemoryBlock[];
  /** `iter` programs: what the run appended to its seq output (a copy; empty after an overflow). */
  readonly seq?: Uint8Array;
  /**
   * `iter` programs: a seq write did not fit, so the run's output was taken back (the kernel shows
   * the same object again in the next `read()`): drain the output and run the object again.
   */
  readonly seqOverflow?: boolean;
  /** Writable raw tracepoints given `event.buffer`: the buffer as the program left it. */
  readonly buffer?: Uint8Array;
}

/** Options of a flow dissector run ({@link ProgramRunner.runFlowDissector}). */
export interface FlowDissectorOptions extends RunOptions {
  /** `flags` of the keys as the run starts (`BPF_FLOW_DISSECTOR_F_*`; default 0). */
  readonly flags?: number;
}

/** What a flow dissector did. */
export interface FlowDissectorResult {
  /** r0 as returned. */
  readonly r0: bigint;
  /** The verdict: r0's low 32 bits (`BPF_OK` 0, `BPF_DROP` 2). */
  readonly verdict: number;
  /** The `struct bpf_flow_keys` the program filled in (56 bytes, a copy; offsets clamped as the kernel does). */
  readonly keys: Uint8Array;
  /** The same keys, decoded. */
  readonly flow: FlowKeys;
}

/** What a runner needs from its loaded object. */
export interface RunEnvironment {
  readonly space: RunSpace;
  readonly helpers: HelperTable;
  readonly jitEngine: Engine | undefined;
  /** Where `iter` programs find the fields of `struct bpf_iter_meta` (default: the kernel's layout). */
  readonly iterMeta?: IterMetaLayout;
  /** The host's sockets and what sock_ops programs set on them (for {@link ProgramRunner.runSockOps}). */
  readonly sockOps?: { readonly sockets: SocketMemory; readonly states: SockOpsSockets };
  /** Where `bpf_get_local_storage` finds the running program attached (the object's), and this program's attach type. */
  readonly cgroup?: { readonly attachment: CgroupAttachment; readonly attachType: number };
}

/** Options of a sock_ops run. */
export interface SockOpsRunOptions extends RunOptions {
  /**
   * Congestion control algorithms the host has, which `bpf_setsockopt(TCP_CONGESTION)` may name
   * (default `['cubic', 'reno']`; the first is what an unset socket reads). At most 64 names of 1 to 15 characters.
   */
  readonly congestion?: readonly string[];
}
