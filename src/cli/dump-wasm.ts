/**
 * `--dump-wasm FILE`: write the WebAssembly module the JIT builds for a program, and its text form,
 * for people who want to see what their eBPF becomes.
 * @module
 */
import { dumpJitModule } from '../jit/dump.js';
import type { Program } from '../vm/program.js';
import { DEFAULT_LIMITS, type RunLimits } from '../vm/environment.js';
import { writeOutputFile } from './input.js';
import type { CliIo } from './io.js';

/** Write `path` (the .wasm module) and the same path ending in `.wat` (its text); report both on stderr. */
export function writeJitDump(path: string, program: Program, limits: Partial<RunLimits>, io: CliIo): void {
  const { wasm, wat } = dumpJitModule(program, { stackSize: limits.stackSize ?? DEFAULT_LIMITS.stackSize });
  const watPath = `${path.replace(/\.wasm$/, '')}.wat`;
  writeOutputFile(path, wasm);
  writeOutputFile(watPath, wat);
  io.err(`wrote the JIT's WebAssembly module to ${path} (${wasm.length} bytes) and its text to ${watPath}\n`);
}
