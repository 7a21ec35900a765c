/**
 * The JIT: eBPF compiled to WebAssembly ({@link JitEngine}), its compiler and its binary encoder.
 * @module
 */
export { JitEngine, type JitOptions, type JitStats } from './engine.js';
export { compileToWasm, writesFramePointer, type CompileOptions as JitCompileOptions, type CompiledWasm } from './compiler.js';
export { dumpJitModule, type JitModuleDump } from './dump.js';
export { wasmToWat, type WatOptions } from './wat.js';
