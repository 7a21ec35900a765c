/**
 * The VMs (rbpf's four kinds and the tracing VM), their memory map and limits. Entry point `tsbpf/vm`.
 * @module
 */
export {
  EbpfVmBase,
  EbpfVmNoData,
  EbpfVmRaw,
  EbpfVmMbuff,
  EbpfVmFixedMbuff,
  type HelperOptions,
  type Verifier,
  type VmOptions,
} from './vm.js';
export { MBUFF_START, STACK_START, MEM_START, HEAP_START, MAX_MEM_SIZE, type Region, type VmMemory } from './memory.js';
export type { Program } from './program.js';
export { DEFAULT_LIMITS, type HelperContext, type HelperEntry, type HelperFunction, type HelperTable, type RunLimits, type RunOutcome } from './environment.js';
export type { InterpreterOptions } from './interpreter.js';
export { interpreterCoreReady } from './interpreter-core.js';
export { TracingVmRaw, TraceStopped, type TraceStep, type TraceSink, type TracedStore } from './trace.js';
