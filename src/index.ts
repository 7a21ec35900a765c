/**
 * tsbpf: a user-space eBPF virtual machine in TypeScript.
 * @module
 */
export * from './errors.js';
export * from './isa/index.js';
export * from './vm/memory.js';
export * from './vm/program.js';
export * from './vm/environment.js';
export { assemble } from './asm/assembler.js';
export { disassemble, disassembleInsns, type DisassembleOptions, type DisassembledInsn } from './asm/disassembler.js';
export { BpfCode, InsnBuilder } from './asm/builder.js';
export * as builder from './asm/builder.js';
export * from './vm/vm.js';
export { Interpreter, type InterpreterOptions } from './vm/interpreter.js';
export { interpreterCoreReady } from './vm/interpreter-core.js';
export * from './vm/conformance.js';
export * from './helpers/index.js';
export * from './verifier/index.js';
export * from './pcap/index.js';
export * from './elf/index.js';
export * from './maps/index.js';
export * from './context/index.js';
export * from './jit/index.js';
export { TraceEngine, TracingVmRaw, TraceStopped, type TraceStep, type TraceSink, type TracedStore } from './vm/trace.js';
