/**
 * Helpers of tracing programs, fed from the host-described event of a run (`runEvent`'s task and
 * options; see task.ts), with the kernel's return values (bpf-helpers(7)):
 * - `bpf_get_current_task` (35) / `_btf` (158): the task's `task_struct` address;
 *   `bpf_get_current_cgroup_id` (80); `bpf_get_numa_node_id` (42): node 0;
 * - `bpf_perf_event_read` (22) / `_value` (55): the counter the host opened on a perf event array
 *   slot (-ENOENT for a slot without one, -E2BIG past the map, -EINVAL for other flag bits or a
 *   `buf_size` other than 24); `bpf_perf_prog_read_value` (56): the counter of a perf_event run;
 * - `bpf_override_return` (58): recorded as the probed function's return value (kprobes);
 * - `bpf_send_signal` (109) / `_thread` (117): recorded (-EINVAL past signal 64, -EPERM for a
 *   kernel thread, pid 0, or init, pid 1);
 * - `bpf_probe_write_user` (36): writes into a host-described block (-EFAULT elsewhere, -EPERM for
 *   a kernel thread).
 * - `bpf_get_func_arg` (183) / `_ret` (184) / `_arg_cnt` (185) of `fentry` / `fexit` programs (type
 *   `tracing`): the arguments and return value are the context's u64 slots (the return value after the
 *   last argument), the count is the event's; argument `n` past the count is -EINVAL, the return value
 *   of an `fentry` run (no `ret` in the event) -EOPNOTSUPP, as the kernel's inlined versions give;
 * - `bpf_get_func_ip` (173) and `bpf_get_attach_cookie` (174): the event's `funcIp` and `cookie`.
 * - `bpf_xdp_output` (121), for `fentry` / `fexit` programs on XDP programs: `bpf_perf_event_output`
 *   whose record is the data followed by the first `flags >> 32` bytes of the `struct xdp_buff`'s
 *   packet (`data` and `data_end`, its first two fields, read from the host-described memory of the
 *   event or the VM's); -EINVAL for other flag bits, -EFAULT when the packet is shorter or unreadable.
 * @module
 */
import { ExecutionError, ErrorCode } from '../errors.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import type { BpfMap } from '../maps/map.js';
import { PerfEventArrayMap } from '../maps/special.js';
import { Errno, negErrno } from '../maps/types.js';
import { DEFAULT_TASK_ADDRESS, isKernelThread, probeView, taskCgroupId, taskOf, type PerfCounter, type TaskRunHost, type TracingRunState } from './task.js';

/** Tracing helper ids (uapi `linux/bpf.h`). */
export const TracingHelper = {
  PERF_EVENT_READ: 22, GET_CURRENT_TASK: 35, PROBE_WRITE_USER: 36, GET_NUMA_NODE_ID: 42, PERF_EVENT_READ_VALUE: 55,
  PERF_PROG_READ_VALUE: 56, OVERRIDE_RETURN: 58, GET_CURRENT_CGROUP_ID: 80, SEND_SIGNAL: 109, SEND_SIGNAL_THREAD: 117,
  GET_CURRENT_TASK_BTF: 158, GET_FUNC_IP: 173, GET_ATTACH_COOKIE: 174, GET_FUNC_ARG: 183, GET_FUNC_RET: 184,
  GET_FUNC_ARG_CNT: 185, XDP_OUTPUT: 121,
} as const;

/** Bytes of one argument slot of a BTF program's context. */
const SLOT = 8n;

/** Bytes of `struct bpf_perf_event_value` (counter, enabled, running). */
const PERF_VALUE_SIZE = 24;
/** `BPF_F_INDEX_MASK` / `BPF_F_CURRENT_CPU`. */
const INDEX_MASK = 0xffff_ffffn;
/** `BPF_F_CTXLEN_MASK`: how many bytes of the context's packet `bpf_xdp_output` appends. */
const CTXLEN_MASK = 0xfffffn << 32n;
/** Signals a run keeps (the rest are still sent, as far as the program can tell). */
const MAX_SIGNALS = 64;


function hostOf(ctx: HelperContext): TaskRunHost | undefined {
  return ctx.host as TaskRunHost | undefined;
}

/** What the tracing helpers need from the loaded object. */
export interface TracingEnvironment {
  readonly memory: VmMemory;
  mapByHandle(handle: number): BpfMap | undefined;
  /** The CPU programs run on (`BPF_F_CURRENT_CPU`). */
  readonly cpu: number;
}

/**
 * `bpf_xdp_output` and `bpf_skb_output`: `bpf_perf_event_output` into the perf event array `r2` whose
 * record is the data (`r4`, `r5` bytes) followed by the first `flags >> 32` bytes (`BPF_F_CTXLEN_MASK`) of
 * the context's packet, as `packetOf` gives them (undefined: -EFAULT, the packet is not there or shorter).
 */
export function outputWithPacket(env: TracingEnvironment, name: string, r2: bigint, r3: bigint, r4: bigint, r5: bigint, ctx: HelperContext, packetOf: (length: number) => Uint8Array | undefined): number | bigint {
  const map = r2 <= 0xffff_ffffn ? env.mapByHandle(Number(r2)) : undefined;
  if (!(map instanceof PerfEventArrayMap)) {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: the map argument is not a perf event array (${map === undefined ? 'no map' : `map ${map.name}`})`, { pc: ctx.pc, helper: name });
  }
  if ((r3 & ~(CTXLEN_MASK | INDEX_MASK)) !== 0n) return negErrno(Errno.EINVAL);
  const length = Number((r3 & CTXLEN_MASK) >> 32n);
  const data = env.memory.slice(r4, Number(r5 & 0xffff_ffffn), false, ctx.pc);
  const packet = packetOf(length);
  if (packet === undefined) return negErrno(Errno.EFAULT);
  const record = new Uint8Array(data.length + packet.length);
  record.set(data);
  record.set(packet, data.length);
  const index = Number(r3 & INDEX_MASK);
  return map.output(index === 0xffff_ffff ? env.cpu : index, record);
}

/** The counter of slot `flags` of the perf event array `r1`, or a negative errno. */
function counterOf(env: TracingEnvironment, r1: bigint, flags: bigint, ctx: HelperContext, name: string): Required<PerfCounter> | number {
  const m = r1 <= 0xffff_ffffn ? env.mapByHandle(Number(r1)) : undefined;
  if (!(m instanceof PerfEventArrayMap)) {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: argument 0x${r1.toString(16)} is not a perf event array of this object`, { pc: ctx.pc, helper: name });
  }
  if ((flags & ~INDEX_MASK) !== 0n) return -Errno.EINVAL;
  const index = flags === INDEX_MASK ? env.cpu : Number(flags);
  if (index >= m.slotCount) return -Errno.E2BIG;
  return hostOf(ctx)?.tracing?.counters.get(m.name)?.get(index) ?? -Errno.ENOENT;
}

/** Write a counter (or zeros, on error) into the program's `struct bpf_perf_event_value`. */
function writeValue(mem: VmMemory, buf: bigint, size: bigint, c: Required<PerfCounter> | number, pc: number): bigint {
  const n = Number(size & 0xffff_ffffn);
  if (n === 0) return negErrno(Errno.EINVAL);
  const out = mem.slice(buf, n, true, pc);
  out.fill(0);
  if (n !== PERF_VALUE_SIZE) return negErrno(Errno.EINVAL);
  if (typeof c === 'number') return negErrno(-c);
  const v = new DataView(out.buffer, out.byteOffset, PERF_VALUE_SIZE);
  v.setBigUint64(0, c.counter, true);
  v.setBigUint64(8, c.enabled, true);
  v.setBigUint64(16, c.running, true);
  return 0n;
}

/** The tracing helpers, bound to the object's memory and maps. */
export function tracingHelpers(env: TracingEnvironment): Map<number, HelperEntry> {
  const mem = env.memory;
  const currentTask: HelperFunction = (_1, _2, _3, _4, _5, ctx) => taskOf(ctx).address ?? DEFAULT_TASK_ADDRESS;
  const signal = (thread: boolean): HelperFunction => (r1, _2, _3, _4, _5, ctx) => {
    const sig = Number(r1 & 0xffff_ffffn);
    if (sig > 64) return negErrno(Errno.EINVAL);
    const t = taskOf(ctx);
    if (isKernelThread(t) || t.pid === 1 || (t.tgid ?? t.pid) === 1) return negErrno(Errno.EPERM);
    const state: TracingRunState | undefined = hostOf(ctx)?.tracing;
    if (sig !== 0 && state !== undefined && state.signals.length < MAX_SIGNALS) state.signals.push({ signal: sig, thread });
    return 0n;
  };
  /** The run's tracing state, for a helper only BTF programs (`fentry`...) may call. */
  const btfState = (ctx: HelperContext, name: string): TracingRunState => {
    const state = hostOf(ctx)?.tracing;
    if (state?.type !== 'tracing') {
      throw new ExecutionError(ErrorCode.HELPER, `${name}: only fentry / fexit / fmod_ret programs (type tracing) have function arguments; this run is ${state === undefined ? 'not a tracing run' : `a ${state.type} run`}`, { pc: ctx.pc, helper: name });
    }
    return state;
  };
  const fns: [number, string, HelperFunction][] = [
    [TracingHelper.GET_FUNC_ARG, 'bpf_get_func_arg', (r1, r2, r3, _4, _5, ctx) => {
      const n = BigInt.asUintN(32, r2);
      if (n >= BigInt(btfState(ctx, 'bpf_get_func_arg').argCount ?? 0)) return negErrno(Errno.EINVAL);
      const v = mem.read(r1 + n * SLOT, 8, ctx.pc);
      mem.slice(r3, 8, true, ctx.pc).set(v);
      return 0n;
    }],
    [TracingHelper.GET_FUNC_RET, 'bpf_get_func_ret', (r1, r2, _3, _4, _5, ctx) => {
      const state = btfState(ctx, 'bpf_get_func_ret');
      if (state.ret === undefined) return negErrno(Errno.EOPNOTSUPP);
      const v = mem.read(r1 + BigInt(state.argCount ?? 0) * SLOT, 8, ctx.pc);
      mem.slice(r2, 8, true, ctx.pc).set(v);
      return 0n;
    }],
    [TracingHelper.GET_FUNC_ARG_CNT, 'bpf_get_func_arg_cnt', (_1, _2, _3, _4, _5, ctx) => btfState(ctx, 'bpf_get_func_arg_cnt').argCount ?? 0],
    [TracingHelper.GET_FUNC_IP, 'bpf_get_func_ip', (_1, _2, _3, _4, _5, ctx) => hostOf(ctx)?.tracing?.funcIp ?? 0n],
    [TracingHelper.GET_ATTACH_COOKIE, 'bpf_get_attach_cookie', (_1, _2, _3, _4, _5, ctx) => hostOf(ctx)?.tracing?.cookie ?? 0n],
    [TracingHelper.XDP_OUTPUT, 'bpf_xdp_output', (r1, r2, r3, r4, r5, ctx) =>
      outputWithPacket(env, 'bpf_xdp_output', r2, r3, r4, r5, ctx, (length) => {
        // The `struct xdp_buff` starts with `data` and `data_end`.
        const buff = probeView(mem, ctx.host, r1, 16, ctx.pc);
        if (buff === undefined) return undefined;
        const v = new DataView(buff.buffer, buff.byteOffset, 16);
        const start = v.getBigUint64(0, true);
        const end = v.getBigUint64(8, true);
        if (end < start || end - start < BigInt(length)) return undefined;
        return length === 0 ? new Uint8Array(0) : probeView(mem, ctx.host, start, length, ctx.pc);
      }),
    ],
    [TracingHelper.GET_CURRENT_TASK, 'bpf_get_current_task', currentTask],
    [TracingHelper.GET_CURRENT_TASK_BTF, 'bpf_get_current_task_btf', currentTask],
    [TracingHelper.GET_CURRENT_CGROUP_ID, 'bpf_get_current_cgroup_id', (_1, _2, _3, _4, _5, ctx) => BigInt.asUintN(64, taskCgroupId(taskOf(ctx)))],
    [TracingHelper.GET_NUMA_NODE_ID, 'bpf_get_numa_node_id', () => 0n],
    [TracingHelper.PERF_EVENT_READ, 'bpf_perf_event_read', (r1, r2, _3, _4, _5, ctx) => {
      const c = counterOf(env, r1, r2, ctx, 'bpf_perf_event_read');
      return typeof c === 'number' ? negErrno(-c) : c.counter;
    }],
    [TracingHelper.PERF_EVENT_READ_VALUE, 'bpf_perf_event_read_value', (r1, r2, r3, r4, _5, ctx) =>
      writeValue(mem, r3, r4, counterOf(env, r1, r2, ctx, 'bpf_perf_event_read_value'), ctx.pc)],
    [TracingHelper.PERF_PROG_READ_VALUE, 'bpf_perf_prog_read_value', (_r1, r2, r3, _4, _5, ctx) => {
      const state = hostOf(ctx)?.tracing;
      // Only a perf_event program's context has an event behind it.
      const c = state?.type === 'perf_event' ? (state.counter ?? { counter: 0n, enabled: 0n, running: 0n }) : -Errno.EINVAL;
      return writeValue(mem, r2, r3, c, ctx.pc);
    }],
    [TracingHelper.OVERRIDE_RETURN, 'bpf_override_return', (_r1, r2, _3, _4, _5, ctx) => {
      const state = hostOf(ctx)?.tracing;
      if (state !== undefined) state.overrideReturn = r2;
      return 0n;
    }],
    [TracingHelper.SEND_SIGNAL, 'bpf_send_signal', signal(false)],
    [TracingHelper.SEND_SIGNAL_THREAD, 'bpf_send_signal_thread', signal(true)],
    [TracingHelper.PROBE_WRITE_USER, 'bpf_probe_write_user', (r1, r2, r3, _4, _5, ctx) => {
      const size = Number(r3 & 0xffff_ffffn);
      if (isKernelThread(taskOf(ctx))) return negErrno(Errno.EPERM);
      const src = mem.slice(r2, size, false, ctx.pc);
      const dst = BigInt.asUintN(64, r1);
      for (const b of hostOf(ctx)?.probeMemory ?? []) {
        const off = dst - b.address;
        if (off >= 0n && off + BigInt(size) <= BigInt(b.bytes.length)) {
          b.bytes.set(src, Number(off));
          return 0n;
        }
      }
      return negErrno(Errno.EFAULT);
    }],
  ];
  return new Map(fns.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
