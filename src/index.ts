/**
 * tsbpf: a user-space eBPF virtual machine in TypeScript.
 *
 * The package root is the everyday surface: the VMs, the assembler and disassembler, the verifier, the
 * ELF loader, packet captures and the errors. Advanced parts have their own entry points
 * (`tsbpf/isa`, `tsbpf/asm`, `tsbpf/verifier`, `tsbpf/vm`, `tsbpf/jit`, `tsbpf/elf`, `tsbpf/maps`,
 * `tsbpf/helpers`, `tsbpf/context`, `tsbpf/pcap`, `tsbpf/conformance`; README, "API").
 * @module
 */
export * from './errors.js';
export {
  EbpfVmBase,
  EbpfVmNoData,
  EbpfVmRaw,
  EbpfVmMbuff,
  EbpfVmFixedMbuff,
  type HelperOptions,
  type Verifier,
  type VmOptions,
} from './vm/vm.js';
export { MBUFF_START, STACK_START, MEM_START, HEAP_START, MAX_MEM_SIZE } from './vm/memory.js';
export { DEFAULT_LIMITS, type HelperContext, type HelperFunction, type RunLimits } from './vm/environment.js';
export { TracingVmRaw, TraceStopped, type TraceStep, type TraceSink, type TracedStore } from './vm/trace.js';
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
} from './helpers/rbpf.js';
export { assemble, disassemble, disassembleInsns, BpfCode, InsnBuilder, builder, type DisassembleOptions, type DisassembledInsn } from './asm/index.js';
export {
  analyzeFacts,
  checkProgram,
  verifyProgram,
  type AnalysisResult,
  type VerifierIssue,
  type VerifierOptions,
  type VerifierRule,
} from './verifier/index.js';
export {
  BpfObject,
  loadObject,
  loadObjects,
  type GlobalVariable,
  type LoadOptions,
  type ProgramInfo,
  type ProgramType,
  type ProgramVerification,
  type RunTimersOptions,
  type VerifyMode,
} from './elf/loader.js';
export type { KfuncEntry, KfuncImplementation, KsymValue } from './elf/externs.js';
export { XdpAction, TcAction } from './context/layout.js';
export type { FlowDissectorOptions, FlowDissectorResult, ProgramRunner, RawRunOptions, RunOptions, SkbOptions, SkbRunInfo, TracingResult, TracingRunOptions, XdpOptions, XdpResult } from './context/runner.js';
export { decodeFlowKeys, FLOW_KEYS_SIZE, FlowKeysField, parseTracepointFormat, type FlowKeys, type TracingEvent, type TracingType } from './context/index.js';
export { SkLookupField, SkLookupFlag, type SkLookupDescription, type SkLookupResult } from './context/index.js';
export { MAX_SYSCALL_CTX, type SyscallResult } from './context/index.js';
export { SeqOutput } from './helpers/seq.js';
export type { BpfMap } from './maps/map.js';
export {
  CaptureReader,
  LinkType,
  PcapError,
  PcapStreamWriter,
  captureFormat,
  iteratePackets,
  readPackets,
  writePcap,
  type CapturedPacket,
  type CaptureReaderOptions,
  type PacketToWrite,
  type PcapWriteOptions,
} from './pcap/index.js';
export { PacketPool, type BatchResult, type PacketBatch, type PacketPoolOptions } from './pool/pool.js';
export { servePoolWorker } from './pool/worker.js';
export type { BatchBuffers, PacketError, PoolLoadOptions, PoolPort } from './pool/protocol.js';
