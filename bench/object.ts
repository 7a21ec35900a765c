/**
 * Gets a benchmark program's bytecode out of its clang-built object with the project's ELF loader:
 * the function `bpf_main` in `.text`, linked and verified (build.sh guarantees there is nothing to
 * relocate: benchmark programs use only the stack and `mem`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { loadObject } from '../src/elf/index.js';

/** The bytecode of `bpf_main` in the object file at `path`. */
export function loadBenchProgram(path: string): Uint8Array {
  return loadObject(readFileSync(path)).program('bpf_main').program.bytes;
}
