/**
 * Helpers programs can call: rbpf's built-ins (`rbpf.ts`, rbpf's ids, registered by the caller) and the
 * ids and constants of the kernel-numbered helpers loaded objects get. Entry point `tsbpf/helpers`.
 * @module
 */
export {
  BPF_KTIME_GETNS_IDX,
  BPF_TRACE_PRINTK_IDX,
  bpfTimeGetns,
  bpfTracePrintf,
  gatherBytes,
  memfrob,
  rand,
  setTraceSink,
  sqrti,
  strcmp,
  type TraceSink as TraceLineSink,
} from './rbpf.js';
export { KernelHelper, kernelHelperName } from './kernel.js';
export { JIFFIES_HZ, PacketHelper, type Redirect } from './packet.js';
export { DEFAULT_TRACE_BUFFER_BYTES, TRACE_LINE_MAX } from './trace-log.js';
export { FIB_LOOKUP, FIB_PARAMS_SIZE, FibLookupFlag, FibResult } from './fib.js';
export { CHECK_MTU, MtuCheck } from './mtu.js';
export { MAX_CGROUP_LEVELS, SkbInfoHelper, TEST_RUN_SOCKET, type SkbChecksum, type SkbSocket } from './skb-info.js';
export type { FibDescription, FibInterface, FibNeighbour, FibRoute } from './fib-table.js';
export { TUNNEL_OPTS_MAX, TunnelFlag, TunnelHelper, type TunnelKey } from './tunnel.js';
export { VlanHelper } from './vlan.js';
export { SyncookieHelper } from './syncookie.js';
export { CloneHelper, MAX_CLONES, type SkbClone } from './clone.js';
export { SocketHelper } from './sockets.js';
export { BPF_SOCK_SIZE, BPF_TCP_SOCK_SIZE, MAX_SOCKETS, SOCKET_STATES, TCP_SOCK_FIELDS, type SocketDescription, type SocketState, type TcpSockField } from './socket-table.js';
export {
  DEFAULT_TASK_ADDRESS,
  IDLE_TASK,
  TaskHelper,
  type PerfCounter,
  type PerfCounterSlot,
  type ProbeMemoryBlock,
  type SentSignal,
  type TaskDescription,
} from './task.js';
export { TracingHelper } from './tracing.js';
export { BtfPrintHelper, type BtfPrinter } from './btf-print.js';
export { EventObjectHelper, type FileDescription, type ImaHash, type SkbDescription } from './event-objects.js';
export { FormatHelper } from './format.js';
export { DEFAULT_SEQ_BYTES, MAX_SEQ_BYTES, SEQ_FILE_ADDRESS, SeqHelper, SeqOutput } from './seq.js';
export { MAX_BPRINTF_ARGS } from './bprintf.js';
export { BPF_MAX_LOOPS, CallbackHelper } from './callbacks.js';
export { DYNPTR_MAX_SIZE, DynptrHelper } from './dynptr.js';
export { StrtolHelper } from './strtol.js';
export { DEFAULT_MAX_TIMER_CALLBACKS, TimerFlag, TimerHelper } from './timers.js';
