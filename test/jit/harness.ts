/**
 * Test harness: builds a RunRequest the way the VM kinds do (stack at STACK_START, input at MEM_START)
 * so the JIT can be tested through the Engine interface alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Engine, HelperEntry, RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { EbpfError } from '../../src/errors.js';
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

/** What one run gave: r0 and the input memory after it, or the error's class, code, pc and message. */
export type Outcome = { ok: true; r0: bigint; mem: string } | { ok: false; name: string; code: string; pc: number | undefined; message: string };

/** Run `program` on `engine` over `input` (r1 = the input, r2 = its length) and describe the outcome. */
export function outcome(engine: Engine, program: Program, input: Uint8Array, lim: RunLimits, helpers = new Map<number, HelperEntry>()): Outcome {
  const s = setup(input, lim);
  try {
    const r0 = engine.run({ program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: BigInt(input.length), helpers, limits: lim });
    const region = s.memory.find(s.memVaddr, input.length)!;
    return { ok: true, r0, mem: Array.from(s.memory.bytes.subarray(region.offset, region.offset + input.length)).join(',') };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { ok: false, name: e.constructor.name, code: e.code, pc: e.pc, message: e.message };
  }
}
