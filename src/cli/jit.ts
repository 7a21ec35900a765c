/**
 * Running on the JIT when the VM offers it. The VM kinds gain `jitCompile()` / `executeProgramJit()`
 * from the JIT; this module only relies on those two names, checked at run time, so that the CLI reports
 * a clear error instead of crashing where a build lacks them.
 * @module
 */
import { EbpfError, ErrorCode } from '../errors.js';

/** A VM that can compile its program to WebAssembly and run it. */
export interface JitCapableVm {
  /** Compile the loaded program. */
  jitCompile(): unknown;
  /** Run the compiled program on `mem`; returns r0. */
  executeProgramJit(mem: Uint8Array): bigint;
}

/** True when the VM has the JIT methods. */
export function hasJit(vm: object): vm is JitCapableVm {
  const v = vm as Partial<JitCapableVm>;
  return typeof v.jitCompile === 'function' && typeof v.executeProgramJit === 'function';
}

/** Run `vm` on `mem` with the interpreter, or compiled when `jit` is set. */
export function execute(vm: { executeProgram(mem: Uint8Array): bigint }, mem: Uint8Array, jit: boolean): bigint {
  if (!jit) return vm.executeProgram(mem);
  if (!hasJit(vm)) throw new EbpfError(ErrorCode.UNSUPPORTED, 'this build of tsbpf has no JIT; run without --jit');
  vm.jitCompile();
  return vm.executeProgramJit(mem);
}
