/**
 * The engines under test, loaded lazily so that the bench runs (reporting "not available") while the
 * interpreter (src/vm/vm.ts) or the JIT (src/jit/) is still missing or incomplete.
 * @module
 */

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

/** Load the interpreter and the JIT; each is an engine or the reason it is missing. */
export async function loadEngines(): Promise<{ interpreter: EngineLoad; jit: EngineLoad }> {
  const Vm = await loadVmClass();
  if (typeof Vm === 'string') return { interpreter: { missing: Vm }, jit: { missing: Vm } };
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
