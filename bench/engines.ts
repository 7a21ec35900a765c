/**
 * The engines under test, loaded lazily so that the bench runs (reporting "not available") while the
 * interpreter or the JIT is missing or incomplete.
 *
 * Preferred path: the public API, `new EbpfVmRaw(prog)` with `executeProgram(mem)` (interpreter) and
 * `jitCompile()` + `executeProgramJit(mem)` (JIT). When EbpfVmRaw lacks the JIT methods, the JitEngine
 * (src/jit/engine.ts) is driven through the Engine contract directly with EbpfVmRaw's memory layout.
 * @module
 */
import { DEFAULT_LIMITS, type Engine } from '../src/vm/environment.js';
import { MEM_START, STACK_START, VmMemory } from '../src/vm/memory.js';
import { Program } from '../src/vm/program.js';

/**
 * How `mem` reaches the program. `copy`: the caller's array is passed and the VM copies it in and back
 * out on every run (what `executeProgram(mem)` with an ordinary array costs). `zero-copy`: the input is
 * placed once in the VM's own memory (`memBuffer`) and every run uses it in place.
 */
export type MemMode = 'copy' | 'zero-copy';

/** A program loaded (and for the JIT, compiled) on one engine. */
export interface PreparedRun {
  /** Milliseconds the JIT took to compile, when this engine compiles. */
  readonly compileMs?: number;
  /** A function running the program once on `mem` and returning r0. */
  bind(mem: Uint8Array, mode: MemMode): () => bigint;
}

/** What the runner needs from an engine. */
export interface BenchEngine {
  /** `interpreter` or `jit`. */
  readonly name: string;
  /** How the engine is reached, for the report (`EbpfVmRaw`, `JitEngine direct`). */
  readonly via: string;
  /** Load (and for the JIT, compile) a program. */
  prepare(prog: Uint8Array): PreparedRun;
}

/** An engine, or the reason it is not available. */
export type EngineLoad = { readonly engine: BenchEngine } | { readonly missing: string };

/** The part of EbpfVmRaw the bench uses (checked at run time: it may be absent or incomplete). */
interface RawVm {
  executeProgram(mem: Uint8Array): bigint;
  memBuffer?: (len: number) => Uint8Array;
  jitCompile?: () => unknown;
  executeProgramJit?: (mem: Uint8Array) => bigint;
}
type RawVmClass = new (prog: Uint8Array, options?: { interpreter?: { wasmCore?: boolean } }) => RawVm;

/** Import a module of the project that may not exist yet, returning its exports or why it failed. */
async function importOptional(specifier: string): Promise<Record<string, unknown> | string> {
  try {
    // A variable specifier keeps tsc from requiring the module to exist while it is being written.
    return (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    return `${specifier} not loadable (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

/** Bind a run of `vm` on `mem`: zero-copy through `memBuffer` when the VM has it. */
function bindVm(vm: RawVm, execute: (mem: Uint8Array) => bigint, mem: Uint8Array, mode: MemMode): () => bigint {
  if (mode === 'zero-copy' && vm.memBuffer !== undefined) {
    const view = vm.memBuffer(mem.length);
    view.set(mem);
    return () => execute(view);
  }
  return () => execute(mem);
}

function vmEngines(Vm: RawVmClass, jsLoop: boolean): { interpreter: BenchEngine; jit?: BenchEngine } {
  const interpreter: BenchEngine = {
    name: 'interpreter',
    via: jsLoop ? 'EbpfVmRaw.executeProgram, JS loop alone' : 'EbpfVmRaw.executeProgram',
    prepare(prog) {
      const vm = jsLoop ? new Vm(prog, { interpreter: { wasmCore: false } }) : new Vm(prog);
      return { bind: (mem, mode) => bindVm(vm, (m) => vm.executeProgram(m), mem, mode) };
    },
  };
  const proto = Vm.prototype as Partial<RawVm>;
  if (typeof proto.jitCompile !== 'function' || typeof proto.executeProgramJit !== 'function') return { interpreter };
  const jit: BenchEngine = {
    name: 'jit',
    via: 'EbpfVmRaw.executeProgramJit',
    prepare(prog) {
      const vm = new Vm(prog);
      const t0 = performance.now();
      vm.jitCompile!();
      const compileMs = performance.now() - t0;
      return { compileMs, bind: (mem, mode) => bindVm(vm, (m) => vm.executeProgramJit!(m), mem, mode) };
    },
  };
  return { interpreter, jit };
}

/** An engine that compiles ahead of running (the JIT's `compile(program, limits)`). */
interface CompilingEngine extends Engine {
  compile?: (program: Program, limits: typeof DEFAULT_LIMITS) => unknown;
}

/**
 * Drive an Engine through the contract directly, with EbpfVmRaw's layout (stack at STACK_START, mem at
 * MEM_START, r1 = MEM_START, r2 = length) and its per-run costs (zeroing the stack; in `copy` mode,
 * copying mem in and out), so that the figures stay comparable with the VM path.
 */
function directEngine(name: string, via: string, engine: CompilingEngine): BenchEngine {
  return {
    name,
    via,
    prepare(prog) {
      const program = new Program(prog, 'bpf_main');
      let compileMs: number | undefined;
      if (engine.compile !== undefined) {
        const t0 = performance.now();
        engine.compile(program, DEFAULT_LIMITS);
        compileMs = performance.now() - t0;
      }
      return {
        compileMs,
        bind(mem, mode) {
          const memory = new VmMemory();
          const stackBytes = DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
          const stack = memory.map({ name: 'stack', size: stackBytes, vaddr: STACK_START });
          const region = memory.map({ name: 'mem', size: mem.length, vaddr: MEM_START });
          const at = region.offset;
          memory.bytes.set(mem, at);
          const request = {
            program,
            memory,
            stackTop: STACK_START + stackBytes,
            r1: BigInt(MEM_START),
            r2: BigInt(mem.length),
            helpers: new Map(),
            limits: DEFAULT_LIMITS,
          };
          return () => {
            const bytes = memory.bytes;
            bytes.fill(0, stack.offset, stack.offset + stack.size);
            if (mode === 'zero-copy') return engine.run(request);
            bytes.set(mem, at);
            const r0 = engine.run(request);
            mem.set(memory.bytes.subarray(at, at + mem.length));
            return r0;
          };
        },
      };
    },
  };
}

/** Counts the instructions a program executes on an input. */
export type InstructionCounter = (prog: Uint8Array, mem: Uint8Array) => number;

/**
 * Count executed instructions with the public API only: the budget is charged per basic block for
 * all of its instructions (RunLimits.instructionBudget), so a run succeeds exactly when the budget is
 * at least the number of instructions executed; a binary search on the budget finds that number.
 */
function budgetCounter(Vm: new (prog: Uint8Array, options: { limits: { instructionBudget: number } }) => RawVm): InstructionCounter {
  return (prog, mem) => {
    const fits = (budget: number): boolean => {
      try {
        new Vm(prog, { limits: { instructionBudget: budget } }).executeProgram(mem.slice());
        return true;
      } catch (e) {
        if ((e as { code?: unknown }).code === 'E_BUDGET_EXCEEDED') return false;
        throw e;
      }
    };
    let high = 1 << 16;
    while (!fits(high)) {
      if (high > 2 ** 40) throw new Error('program runs too long to count');
      high *= 4;
    }
    let low = 0; // fits(low) is false for any program (it executes at least one instruction)
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (fits(mid)) high = mid;
      else low = mid;
    }
    return high;
  };
}

/** The executed-instruction counter, when EbpfVmRaw is there. */
export async function loadInstructionCounter(): Promise<InstructionCounter | undefined> {
  const vmModule = await importOptional('../src/vm/vm.js');
  if (typeof vmModule === 'string' || typeof vmModule['EbpfVmRaw'] !== 'function') return undefined;
  return budgetCounter(vmModule['EbpfVmRaw'] as never);
}

/**
 * Load the interpreter and the JIT; each is an engine or the reason it is missing. `jsLoop`: the
 * interpreter runs its JS loop alone (`VmOptions.interpreter: { wasmCore: false }`).
 */
export async function loadEngines(jsLoop = false): Promise<{ interpreter: EngineLoad; jit: EngineLoad }> {
  const vmModule = await importOptional('../src/vm/vm.js');
  let interpreter: EngineLoad;
  let jit: EngineLoad | undefined;
  if (typeof vmModule !== 'string' && typeof vmModule['EbpfVmRaw'] === 'function') {
    const engines = vmEngines(vmModule['EbpfVmRaw'] as RawVmClass, jsLoop);
    interpreter = { engine: engines.interpreter };
    if (engines.jit !== undefined) jit = { engine: engines.jit };
  } else {
    interpreter = { missing: typeof vmModule === 'string' ? vmModule : 'src/vm/vm.ts has no EbpfVmRaw' };
  }
  if (jit === undefined) {
    const jitModule = await importOptional('../src/jit/engine.js');
    const JitEngine = typeof jitModule === 'string' ? undefined : jitModule['JitEngine'];
    jit =
      typeof JitEngine === 'function'
        ? { engine: directEngine('jit', 'JitEngine (direct)', new (JitEngine as new () => CompilingEngine)()) }
        : { missing: typeof jitModule === 'string' ? jitModule : 'src/jit/engine.ts has no JitEngine' };
  }
  return { interpreter, jit };
}
