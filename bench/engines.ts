/**
 * The engines under test, loaded lazily so that the bench runs (reporting "not available") while the
 * interpreter (src/vm/vm.ts) or the JIT (src/jit/) is still missing or incomplete.
 * @module
 */

import { DEFAULT_LIMITS, type Engine } from '../src/vm/environment.js';
import { MEM_START, STACK_START, VmMemory, type Region } from '../src/vm/memory.js';
import { Program } from '../src/vm/program.js';

/** A program ready to run on one engine. */
export interface PreparedRun {
  /** Run once on `mem` and return r0. */
  run(mem: Uint8Array): bigint;
}

/** What the runner needs from an engine. */
export interface BenchEngine {
  /** `interpreter` or `jit`. */
  readonly name: string;
  /** Load (and for the JIT, compile) a program; the time this takes is reported for the JIT. */
  prepare(prog: Uint8Array): PreparedRun;
}

/** The part of EbpfVmRaw the bench uses (checked at run time, since the module may be absent). */
interface RawVm {
  executeProgram(mem: Uint8Array): bigint;
  jitCompile?: () => void;
  executeProgramJit?: (mem: Uint8Array) => bigint;
}
type RawVmClass = new (prog: Uint8Array) => RawVm;

/** Why an engine is not available, or the engine. */
export type EngineLoad = { readonly engine: BenchEngine } | { readonly missing: string };

async function loadVmClass(): Promise<RawVmClass | string> {
  // A variable specifier keeps tsc from requiring the module to exist while it is being written.
  const specifier = '../src/vm/vm.js';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    return `src/vm/vm.ts not loadable (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  const ctor = mod['EbpfVmRaw'];
  if (typeof ctor !== 'function') return 'src/vm/vm.ts has no EbpfVmRaw';
  return ctor as RawVmClass;
}

/**
 * Until src/vm/vm.ts exists: drive the `Interpreter` engine through the Engine contract directly, with
 * the layout EbpfVmRaw uses (stack at STACK_START, mem at MEM_START, r1 = MEM_START, r2 = length) and
 * the same per-run copies of mem in and out, so that the figures stay comparable.
 */
async function loadEngineFallback(): Promise<BenchEngine | string> {
  const specifier = '../src/vm/interpreter.js';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    return `src/vm/vm.ts and src/vm/interpreter.ts not loadable (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  const ctor = mod['Interpreter'];
  if (typeof ctor !== 'function') return 'src/vm/interpreter.ts has no Interpreter';
  const engine = new (ctor as new () => Engine)();
  return {
    name: 'interpreter',
    prepare(prog) {
      const program = new Program(prog, 'bpf_main');
      const memory = new VmMemory();
      const stackBytes = DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
      memory.map({ name: 'stack', size: stackBytes, vaddr: STACK_START });
      let region: Region | undefined;
      return {
        run(mem) {
          if (region === undefined || region.size !== mem.length) {
            if (region !== undefined) memory.unmap(region);
            region = memory.map({ name: 'mem', size: mem.length, vaddr: MEM_START });
          }
          const at = region.offset;
          memory.bytes.set(mem, at);
          const r0 = engine.run({
            program,
            memory,
            stackTop: STACK_START + stackBytes,
            r1: BigInt(MEM_START),
            r2: BigInt(mem.length),
            helpers: new Map(),
            limits: DEFAULT_LIMITS,
          });
          mem.set(memory.bytes.subarray(at, at + mem.length));
          return r0;
        },
      };
    },
  };
}

/** Load the interpreter and the JIT; each is an engine or the reason it is missing. */
export async function loadEngines(): Promise<{ interpreter: EngineLoad; jit: EngineLoad }> {
  const Vm = await loadVmClass();
  if (typeof Vm === 'string') {
    const fallback = await loadEngineFallback();
    const interpreter: EngineLoad = typeof fallback === 'string' ? { missing: `${Vm}; ${fallback}` } : { engine: fallback };
    return { interpreter, jit: { missing: Vm } };
  }
  const interpreter: BenchEngine = {
    name: 'interpreter',
    prepare(prog) {
      const vm = new Vm(prog);
      return { run: (mem) => vm.executeProgram(mem) };
    },
  };
  const jitMissing = typeof Vm.prototype.jitCompile !== 'function' || typeof Vm.prototype.executeProgramJit !== 'function';
  const jit: EngineLoad = jitMissing
    ? { missing: 'EbpfVmRaw has no jitCompile / executeProgramJit yet' }
    : {
        engine: {
          name: 'jit',
          prepare(prog) {
            const vm = new Vm(prog);
            vm.jitCompile!();
            return { run: (mem) => vm.executeProgramJit!(mem) };
          },
        },
      };
  return { interpreter: { engine: interpreter }, jit };
}
