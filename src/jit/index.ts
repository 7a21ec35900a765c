/**
 * The JIT's public parts: VMs compile with `vm.jitCompile()` and loaded programs with `{ jit: true }`;
 * this entry point (`tsbpf/jit`) adds the WebAssembly text printer for a compiled module
 * (`tsbpf run --dump-wasm`) and the JIT's option and statistics types.
 * @module
 */
export { wasmToWat, type WatOptions } from './wat.js';
export type { JitOptions, JitStats } from './engine.js';
