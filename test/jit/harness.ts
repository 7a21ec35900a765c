/**
 * Test harness: builds a RunRequest the way the VM kinds do (stack at STACK_START, input at MEM_START)
 * so the JIT can be tested through the Engine interface alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Engine, HelperEntry, RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { MEM_START, STACK_START, VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';

export interface ConformanceCase {
  name: string;
  program: string;
  mem: string;
  result: string;
  cpu_version: number;
  groups: string[];
}

export function loadManifest(): ConformanceCase[] {
  const path = fileURLToPath(new URL('../fixtures/conformance/manifest.jsonl', import.meta.url));
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ConformanceCase);
}

export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Helper 5 of the conformance suite: returns r1, and unwinds when it returns 0. */
export const conformanceHelpers = new Map<number, HelperEntry>([[5, { name: 'unwind', unwindOnZero: true, fn: (r1) => r1 }]]);

export interface RunSetup {
  memory: VmMemory;
  stackTop: number;
  memVaddr: number;
}

/** Map a stack and an input region into a fresh memory. */
export function setup(mem: Uint8Array, limits: RunLimits = DEFAULT_LIMITS): RunSetup {
  const memory = new VmMemory();
  const stackSize = limits.stackSize * limits.maxCallDepth;
  memory.map({ name: 'stack', vaddr: STACK_START, size: stackSize });
  const region = memory.map({ name: 'mem', vaddr: MEM_START, size: mem.length });
  memory.bytes.set(mem, region.offset);
  return { memory, stackTop: STACK_START + stackSize, memVaddr: MEM_START };
}

/** Run `prog` on `engine` with the conformance conventions (r1 = mem, r2 = mem length). */
export function runWith(
  engine: Engine,
  program: Program,
  mem: Uint8Array,
  options: { limits?: RunLimits; helpers?: Map<number, HelperEntry>; s?: RunSetup } = {},
): bigint {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const s = options.s ?? setup(mem, limits);
  return engine.run({
    program,
    memory: s.memory,
    stackTop: s.stackTop,
    r1: mem.length > 0 ? BigInt(s.memVaddr) : 0n,
    r2: BigInt(mem.length),
    helpers: options.helpers ?? conformanceHelpers,
    limits,
  });
}

export { Program };
