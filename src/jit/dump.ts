/**
 * What the JIT makes of a program, for inspection (a CLI `--dump-wasm`, debugging the compiler): the
 * WebAssembly module bytes and their text form.
 * @module
 */
import { DEFAULT_LIMITS, type RunLimits } from '../vm/environment.js';
import type { Program } from '../vm/program.js';
import { generateModule } from './engine.js';
import { wasmToWat } from './wat.js';

/** The output of {@link dumpJitModule}. */
export interface JitModuleDump {
  /** The module bytes (a valid .wasm file; its imports are the JIT runtime's, see layout.ts). */
  readonly wasm: Uint8Array<ArrayBuffer>;
  /** The module as WebAssembly text, eBPF functions annotated with the pc they start at. */
  readonly wat: string;
}

/** The WebAssembly module the JIT builds for `program` (frames of `limits.stackSize` bytes), and its text. */
export function dumpJitModule(program: Program, limits: Pick<RunLimits, 'stackSize'> = DEFAULT_LIMITS): JitModuleDump {
  const out = generateModule(program, limits.stackSize);
  const notes = new Map<number, string>();
  const name = (pc: number): string => (pc === 0 ? 'eBPF entry, pc 0' : `eBPF function at pc ${pc}`);
  out.functionPcs.forEach((pc, k) => notes.set(out.entryIndex + k, name(pc)));
  for (const f of out.checkedFunctions) notes.set(f.index, `${name(f.pc)}: copy checking the budget on every block`);
  return { wasm: out.bytes, wat: wasmToWat(out.bytes, { functionNotes: notes }) };
}
