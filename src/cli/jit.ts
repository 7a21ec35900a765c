/**
 * Choosing the engine for a run: the interpreter, or the WebAssembly JIT with `--jit`.
 * @module
 */
import type { EbpfVmRaw } from '../vm/vm.js';

/** Run `vm` on `mem` with the interpreter, or compiled to WebAssembly when `jit` is set. */
export function execute(vm: EbpfVmRaw, mem: Uint8Array, jit: boolean): bigint {
  if (!jit) return vm.executeProgram(mem);
  vm.jitCompile();
  return vm.executeProgramJit(mem);
}
