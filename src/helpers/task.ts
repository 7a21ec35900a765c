/**
 * The task a tracing program sees, and the kernel and user memory it may read with
 * `bpf_probe_read_*`: both described by the host for a run (`RawRunOptions.task` / `probeMemory`), as
 * a simulated event. `bpf_get_current_pid_tgid` (14) gives `tgid << 32 | pid`, `bpf_get_current_uid_gid`
 * (15) `gid << 32 | uid`, `bpf_get_current_comm` (16) the command name, NUL-padded to the buffer
 * (cut to its size less one), `bpf_get_ns_current_pid_tgid` (120) the ids in the task's described pid
 * namespace (see {@link PidNamespace}). A run without a task (packet programs, raw runs that give none) sees
 * the idle task of a softirq: pid 0, uid 0, comm `swapper/0`.
 * @module
 */
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import type { SeqRun } from './seq.js';
import type { FileDescription, SkbDescription } from './event-objects.js';
import { Errno, negErrno } from '../maps/types.js';

/** Task helper ids (uapi `linux/bpf.h`). */
export const TaskHelper = { GET_CURRENT_PID_TGID: 14, GET_CURRENT_UID_GID: 15, GET_CURRENT_COMM: 16, GET_NS_CURRENT_PID_TGID: 120 } as const;

/**
 * The pid namespace a task is in, as `bpf_get_ns_current_pid_tgid` (120) identifies it: the device
 * and inode numbers of its nsfs file (`stat /proc/self/ns/pid`), and the task's ids there.
 */
export interface PidNamespace {
  /** Device number of the nsfs file (a 32-bit `dev_t`). */
  readonly dev: bigint;
  /** Inode number of the nsfs file. */
  readonly ino: bigint;
  /** The task's thread id in the namespace (default: the task's `pid`). */
  readonly pid?: number;
  /** Its process id there (default: the task's `tgid`, else `pid`). */
  readonly tgid?: number;
}

/** The current task of a simulated event. */
export interface TaskDescription {
  /** Thread id (the kernel's `pid`). */
  readonly pid: number;
  /** Process id (the kernel's `tgid`; default: `pid`). */
  readonly tgid?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Command name (at most 15 bytes are kept, as the kernel's `TASK_COMM_LEN` 16 with its NUL). */
  readonly comm?: string;
  /** Its cgroup v2 id, for `bpf_get_current_cgroup_id` (default the last of `cgroupIds`, else 1, the root cgroup). */
  readonly cgroupId?: bigint;
  /**
   * Its cgroup v2 and that cgroup's ancestors, root first (at most `MAX_CGROUP_LEVELS`), for
   * `bpf_current_task_under_cgroup`: the task is under each of them. Default: the root (1) and `cgroupId`.
   */
  readonly cgroupIds?: readonly bigint[];
  /**
   * The kernel address of its `task_struct`, what `bpf_get_current_task` returns (default
   * {@link DEFAULT_TASK_ADDRESS}); describe the bytes there with a probe memory block to let the
   * program read them.
   */
  readonly address?: bigint;
  /**
   * Its pid namespace, for `bpf_get_ns_current_pid_tgid`; without it no `dev` / `ino` a program
   * passes matches, and the helper gives -EINVAL.
   */
  readonly pidNamespace?: PidNamespace;
  /**
   * Its kernel stack, innermost frame first, at most {@link MAX_STACK_FRAMES}: what
   * `bpf_get_task_stack` gives for it, and `bpf_get_stack` / `bpf_get_stackid` for the current task
   * (without it: the call site's one frame for the current task, none for another).
   */
  readonly kernelStack?: readonly bigint[];
  /** Its user stack, the same way (only the current task's can be read; default none). */
  readonly userStack?: readonly bigint[];
  /** A kernel thread, which has no user space (default: pid 0, the idle task). */
  readonly kernelThread?: boolean;
  /**
   * Its user memory, for `bpf_copy_from_user_task` (default for the current task: the run's probe
   * memory; another task without it has none to read).
   */
  readonly userMemory?: readonly ProbeMemoryBlock[];
}

/** Most frames a stack has (the kernel's `PERF_MAX_STACK_DEPTH`). */
export const MAX_STACK_FRAMES = 127;

/** Whether `t` is a kernel thread (no user space to signal, write or unwind). */
export function isKernelThread(t: TaskDescription): boolean {
  return t.kernelThread ?? t.pid === 0;
}

/** Where a task's `task_struct` is when the host does not say: an address in x86-64's direct map. */
export const DEFAULT_TASK_ADDRESS = 0xffff_8880_0400_0000n;

/** The counter behind a perf event (`struct bpf_perf_event_value`). */
export interface PerfCounter {
  readonly counter: bigint;
  /** Time enabled, ns (default 0). */
  readonly enabled?: bigint;
  /** Time running, ns (default 0). */
  readonly running?: bigint;
}

/** A counter the host opened on slot `index` of perf event array `map`, for `bpf_perf_event_read(_value)`. */
export interface PerfCounterSlot extends PerfCounter {
  readonly map: string;
  readonly index: number;
}

/** A signal a program sent with `bpf_send_signal` (to the process) or `bpf_send_signal_thread`. */
export interface SentSignal {
  readonly signal: number;
  readonly thread: boolean;
}

/** A block of kernel or user memory at a 64-bit address, readable with `bpf_probe_read_*`. */
export interface ProbeMemoryBlock {
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

/** A cgroup a run describes: its id and where its `struct cgroup` is (the pointer programs are given). */
export interface CgroupDescription {
  /** The cgroup v2 id (at most 2^32 - 1: a cgrp storage map's 4-byte key for the host). */
  readonly id: bigint;
  /** The address of its `struct cgroup` (not 0), unique among the run's cgroups. */
  readonly address: bigint;
}

/** What the task helpers and probe reads look for on a run's host. */
export interface TaskRunHost {
  readonly task?: TaskDescription;
  /** Other tasks a program may be given pointers to (iterators), by their `address`. */
  readonly tasks?: readonly TaskDescription[];
  /** Cgroups a program may be given pointers to (`bpf_cgrp_storage_get`'s), by their `address`. */
  readonly cgroups?: readonly CgroupDescription[];
  readonly probeMemory?: readonly ProbeMemoryBlock[];
  /** Socket buffers a program may be given pointers to (`bpf_skb_output`), by address. */
  readonly skbs?: readonly SkbDescription[];
  /** Open files (`bpf_d_path`, `bpf_ima_file_hash`), by the address of their `struct file` / `struct path`. */
  readonly files?: readonly FileDescription[];
  /** Tracing runs (`runEvent`): what the perf and tracing helpers read, and what they did. */
  readonly tracing?: TracingRunState;
}

/** The tracing helpers' part of a tracing run. */
export interface TracingRunState {
  /** The program's tracing type (`kprobe`, `perf_event`...). */
  readonly type: string;
  /** `perf_event` runs: the counter of the event the program runs for. */
  readonly counter?: Required<PerfCounter>;
  /** Counters by map name and slot. */
  readonly counters: ReadonlyMap<string, ReadonlyMap<number, Required<PerfCounter>>>;
  /** `bpf_override_return`'s value (kprobes), last call. */
  overrideReturn?: bigint;
  /** Signals sent, at most 64. */
  readonly signals: SentSignal[];
  /** `tracing` runs: how many arguments the traced function has (`bpf_get_func_arg_cnt`). */
  readonly argCount?: number;
  /** `fexit` / `fmod_ret` runs: the traced function's return value (absent for `fentry`). */
  readonly ret?: bigint;
  /** The traced function's address (`bpf_get_func_ip`). */
  readonly funcIp?: bigint;
  /** The attach cookie (`bpf_get_attach_cookie`). */
  readonly cookie?: bigint;
  /** `iter` runs: where `bpf_seq_write` / `bpf_seq_printf` write. */
  readonly seq?: SeqRun;
}

/** The task of a run that describes none: a softirq on CPU 0. */
export const IDLE_TASK: Required<Omit<TaskDescription, 'pidNamespace' | 'kernelStack' | 'userStack' | 'userMemory'>> = {
  pid: 0, tgid: 0, uid: 0, gid: 0, comm: 'swapper/0', cgroupId: 1n, cgroupIds: [1n], address: DEFAULT_TASK_ADDRESS, kernelThread: true,
};

/** A task's cgroup v2 id (`bpf_get_current_cgroup_id`): its `cgroupId`, else the last of its `cgroupIds`, else the root's, 1. */
export function taskCgroupId(t: TaskDescription): bigint {
  return t.cgroupId ?? t.cgroupIds?.[t.cgroupIds.length - 1] ?? 1n;
}

/** The cgroups a task is under, root first: its `cgroupIds`, else the root and its `cgroupId`. */
export function taskCgroupPath(t: TaskDescription): readonly bigint[] {
  if (t.cgroupIds !== undefined) return t.cgroupIds;
  const id = t.cgroupId ?? 1n;
  return id === 1n ? [1n] : [1n, id];
}


/** The run's current task: the host's, else {@link IDLE_TASK}. */
export function taskOf(ctx: HelperContext): TaskDescription {
  return (ctx.host as TaskRunHost | undefined)?.task ?? IDLE_TASK;
}

/**
 * The host-described bytes at `[src, src + size)`, when one block holds all of them; undefined when
 * no block does (the caller then tries the VM's own memory).
 */
export function probeBytes(host: unknown, src: bigint, size: number): Uint8Array | undefined {
  const blocks = (host as TaskRunHost | undefined)?.probeMemory;
  if (blocks === undefined) return undefined;
  const a = BigInt.asUintN(64, src);
  for (const b of blocks) {
    const off = a - b.address;
    if (off >= 0n && off + BigInt(size) <= BigInt(b.bytes.length)) return b.bytes.subarray(Number(off), Number(off) + size);
  }
  return undefined;
}

/**
 * The bytes at `[src, src + size)` as a probe read sees them: the host-described block holding them,
 * else the VM's own memory; undefined when neither does (a fault: -EFAULT to the program).
 */
export function probeView(memory: VmMemory, host: unknown, src: bigint, size: number, pc: number): Uint8Array | undefined {
  const described = probeBytes(host, src, size);
  if (described !== undefined) return described;
  try {
    return memory.slice(src, size, false, pc);
  } catch {
    return undefined;
  }
}

/** The task helpers, bound to the object's memory. */
export function taskHelpers(memory: VmMemory): Map<number, HelperEntry> {
  const pidTgid: HelperFunction = (_1, _2, _3, _4, _5, ctx) => {
    const t = taskOf(ctx);
    return (BigInt((t.tgid ?? t.pid) >>> 0) << 32n) | BigInt(t.pid >>> 0);
  };
  const uidGid: HelperFunction = (_1, _2, _3, _4, _5, ctx) => {
    const t = taskOf(ctx);
    return (BigInt((t.gid ?? 0) >>> 0) << 32n) | BigInt((t.uid ?? 0) >>> 0);
  };
  const comm: HelperFunction = (r1, r2, _3, _4, _5, ctx) => {
    const size = Number(r2 & 0xffffffffn);
    if (size === 0) return negErrno(Errno.EINVAL);
    const out = memory.slice(r1, size, true, ctx.pc);
    const name = new TextEncoder().encode(taskOf(ctx).comm ?? '').subarray(0, Math.min(15, size - 1));
    out.fill(0);
    out.set(name);
    return 0;
  };
  // bpf_get_ns_current_pid_tgid(dev, ino, struct bpf_pidns_info *nsdata, size): { u32 pid, tgid } in
  // the namespace dev/ino names; -EINVAL (nsdata zeroed) for another size, a dev_t wider than 32 bits
  // or a namespace that is not the task's.
  const nsPidTgid: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const size = Number(r4 & 0xffffffffn);
    const out = size === 0 ? undefined : memory.slice(r3, size, true, ctx.pc);
    const t = taskOf(ctx);
    const ns = t.pidNamespace;
    if (out === undefined || size !== 8 || r1 > 0xffff_ffffn || ns === undefined || ns.dev !== r1 || ns.ino !== r2) {
      out?.fill(0);
      return negErrno(Errno.EINVAL);
    }
    const v = new DataView(out.buffer, out.byteOffset, 8);
    v.setUint32(0, (ns.pid ?? t.pid) >>> 0, true);
    v.setUint32(4, (ns.tgid ?? t.tgid ?? t.pid) >>> 0, true);
    return 0n;
  };
  return new Map([
    [TaskHelper.GET_NS_CURRENT_PID_TGID, { fn: nsPidTgid, name: 'bpf_get_ns_current_pid_tgid', unwindOnZero: false }],
    [TaskHelper.GET_CURRENT_PID_TGID, { fn: pidTgid, name: 'bpf_get_current_pid_tgid', unwindOnZero: false }],
    [TaskHelper.GET_CURRENT_UID_GID, { fn: uidGid, name: 'bpf_get_current_uid_gid', unwindOnZero: false }],
    [TaskHelper.GET_CURRENT_COMM, { fn: comm, name: 'bpf_get_current_comm', unwindOnZero: false }],
  ]);
}

/**
 * The host-described string at `src`: up to `max` bytes before a NUL, within the block that holds
 * `src`; undefined when no block does.
 */
export function probeString(host: unknown, src: bigint, max: number): Uint8Array | undefined {
  const blocks = (host as TaskRunHost | undefined)?.probeMemory;
  if (blocks === undefined) return undefined;
  const a = BigInt.asUintN(64, src);
  for (const b of blocks) {
    const off = a - b.address;
    if (off < 0n || off >= BigInt(b.bytes.length)) continue;
    const rest = b.bytes.subarray(Number(off), Math.min(b.bytes.length, Number(off) + max));
    const nul = rest.indexOf(0);
    return nul < 0 ? rest : rest.subarray(0, nul);
  }
  return undefined;
}
