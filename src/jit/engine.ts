/**
 * The JIT engine: compiles a {@link Program} to WebAssembly once (cached in `Program.compiled` under
 * `'jit'`), instantiates it once per VM memory, and runs it with the same rules and errors as the
 * interpreter.
 *
 * Helpers are looked up in the run's helper table at each call, so helpers registered after
 * compiling work without recompiling.
 *
 * Per-call cost is kept small for a VM run again on the same zero-copy input
 * ({@link JitEngine.prepare}'s function): `run` sets the globals itself, the prepared function computes
 * `run`'s arguments once and skips restoring the instance's run fields, and the region cache survives
 * from run to run while the memory's layout version is the one the last fresh run started with (see
 * `Global.cacheVersion`). The profile and A/B figures behind these: docs/benchmarks.md, "The JIT's
 * design decisions, measured".
 * @module
 */
import { EbpfError, ErrorCode } from '../errors.js';
import type { Engine, HelperTable, RunLimits, RunOutcome, RunRequest } from '../vm/environment.js';
import { invokeFastHelper, invokeHelper, lookupHelper, RunHelperContext, u64FromHalves } from '../vm/helper-call.js';
import { packetLoad } from '../vm/packet-load.js';
import { clearStack, planStackClear, startStack } from '../vm/stack.js';
import { badSlotError, budgetError, callbackEndedError, callDepthError } from '../vm/run-errors.js';
import { slotDecoding } from '../vm/interpreter-decode.js';
import { HELPER_RESULT, type Region, type VmMemory } from '../vm/memory.js';
import type { Program } from '../vm/program.js';
import { compileToWasm, type CompiledWasm } from './compiler.js';
import { writesFramePointer } from '../verifier/fields.js';
import { Global, GLOBAL_COUNT, Trap } from './layout.js';
import { SCRATCH_EXPORT } from './reserved.js';
import { regionTable } from '../vm/region-table.js';
import type { BatchHooks, BatchRun } from '../vm/batch.js';
import { InlineMaps } from './map-lookups.js';

/** Options of {@link JitEngine}. */
export interface JitOptions {
  /** Called with every module the JIT builds (for inspection: write it to a .wasm file, disassemble it). */
  readonly onModule?: (wasm: Uint8Array, program: Program) => void;
}

/** One compiled form of a program, as {@link JitEngine.modules} hands it to another thread (structured-cloneable). */
export interface JitModule {
  /** Which form: the stack size, the frame fast path, the memory kind (the engine's cache key). */
  readonly key: string;
  /** The program's instruction bytes it was compiled from. */
  readonly bytes: Uint8Array;
  readonly module: WebAssembly.Module;
  /** The program's pc of each pc the module reports, when calls were inlined. */
  readonly origin: Int32Array | undefined;
  readonly stats: JitStats;
  /** The map handles whose lookups the module may serve (CompiledWasm.mapHandles). */
  readonly mapHandles: readonly number[];
}

/** Whether two byte arrays hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Statistics about one compiled form of a program. */
export interface JitStats {
  /** Milliseconds spent generating the module bytes. */
  readonly generateMs: number;
  /** Milliseconds spent in `new WebAssembly.Module` (V8's baseline compile). */
  readonly wasmCompileMs: number;
  /** Size of the module in bytes. */
  readonly size: number;
  /** Number of eBPF functions. */
  readonly functionCount: number;
  /** Entry pcs of functions whose irreducible control flow needed the dispatch loop. */
  readonly dispatchFunctions: readonly number[];
  /** Exit-test pcs of the loops whose budget is checked once per entry instead of per block (the bound is checked at run time). */
  readonly boundedLoops: readonly number[];
  /** Of those, the exit-test pcs of the loops whose charges are recovered from their induction variable. */
  readonly tripChargedLoops: readonly number[];
  /** Pcs of the blocks that start chunks of loop iterations whose accesses one guard checks. */
  readonly chunkedLoops: readonly number[];
  /** Pcs of the blocks heading counted loops that run check-free once their entry guard passes. */
  readonly countedLoops: readonly number[];
}

/** Linear offset minus virtual address of a stack region. */
const stackDeltaOf = (stack: Region): number => (stack.offset - stack.vaddr) | 0;
/** The stack region's size - 7 (0: never hit), for the generated code's second cache. */
const stackLimitOf = (stack: Region): number => (stack.size >= 8 ? stack.size - 7 : 0);

/** Per-run state shared by every instance a run touches (tail calls switch programs). */
class RunState extends RunHelperContext {
  readonly helpers: HelperTable;
  readonly limits: RunLimits;
  readonly stackTop: number;
  /** Linear offset minus virtual address of the stack, when the whole stack is one writable region. */
  readonly stackDelta: number | undefined;
  /** First virtual address of the stack region (when `stackDelta` is defined). */
  readonly stackBase: number;
  /** The stack region's size - 7 (0: never hit), for the generated code's second cache. */
  readonly stackLimit: number;
  /** Callbacks running (HelperContext.callFunction), and the pc of the helper call that started the innermost. */
  callbacks = 0;
  callbackPc = 0;

  /** `stack`: the run's stack region, when it is one writable region (what `clearStack` returned). */
  constructor(
    readonly runRequest: RunRequest,
    readonly stackRegion: Region | undefined,
  ) {
    super(runRequest);
    const request = runRequest;
    const stack = stackRegion;
    this.helpers = request.helpers;
    this.limits = request.limits;
    this.stackTop = request.stackTop;
    this.stackDelta = stack !== undefined ? stackDeltaOf(stack) : undefined;
    this.stackBase = stack !== undefined ? stack.vaddr : 0;
    this.stackLimit = stack !== undefined ? stackLimitOf(stack) : 0;
  }

  /** True when a run of `request` on `stack` would make this same state (fields are compared: a host may change them in place). */
  matches(request: RunRequest, stack: Region | undefined): boolean {
    return (
      request === this.runRequest &&
      stack === this.stackRegion &&
      request.helpers === this.helpers &&
      request.memory === this.memory &&
      request.host === this.host &&
      request.limits === this.limits &&
      request.stackTop === this.stackTop &&
      this.stackDelta === (stack !== undefined ? stackDeltaOf(stack) : undefined) &&
      this.stackBase === (stack !== undefined ? stack.vaddr : 0) &&
      this.stackLimit === (stack !== undefined ? stackLimitOf(stack) : 0)
    );
  }
}

/** The stack region of a run, when the engine can use its fast paths (one writable region of every frame). */
function usableStack(request: RunRequest, region: Region | undefined): Region | undefined {
  return region !== undefined && request.limits.stackSize * request.limits.maxCallDepth > 0 ? region : undefined;
}

interface Instance {
  readonly program: Program;
  readonly entry: (...regs: bigint[]) => bigint[];
  readonly run: (
    r1: bigint,
    r2: bigint,
    stackTop: number,
    budget: number,
    maxDepth: number,
    stackDelta: number,
    tableAddr: number,
    tableCount: number,
    stackBase: number,
    stackLimit: number,
    layoutVersion: number,
    stackMode: number,
    stackMark: number,
  ) => bigint;
  /** `run`, returning r0's low half; `high` and `left` then give r0's high half and the budget left. */
  readonly run32: (...args: Parameters<Instance['run']>) => number;
  readonly high: () => number;
  readonly left: () => number;
  /** `run_batch` (jit/batch-export.ts): the area, the packets' range, then `run`'s parameters. */
  readonly runBatch: (area: number, from: number, to: number, ...args: Parameters<Instance['run']>) => number;
  readonly init: (
    budget: number,
    depth: number,
    maxDepth: number,
    stackTop: number,
    stackDelta: number,
    tableAddr: number,
    tableCount: number,
    stackBase: number,
    stackLimit: number,
  ) => void;
  readonly globals: WebAssembly.Global[];
  /** The base of the memory's reserved words (reserved.ts), in a module compiled for a shared memory. */
  readonly scratch: WebAssembly.Global | undefined;
  /** The module's exports: `f<slot>` are the functions callbacks run (see vm/functions). */
  readonly exports: Record<string, unknown>;
  /**
   * The run this instance serves; its imports read it. A fresh run leaves it undefined and sets
   * `request` and `stack` instead: most runs call no import, and the state is made on first use.
   */
  state: RunState | undefined;
  /** The state of the last run that made one, for the next run of the same request to reuse. */
  lastState: RunState | undefined;
  request: RunRequest | undefined;
  stack: Region | undefined;
  /** While a batch runs (`run_batch`): its session's hooks, which the imports call (vm/batch). */
  batch: BatchHooks | undefined;
  /** The descriptors of the map lookups the module serves (map-lookups.ts), when it has any: synced before each entry. */
  readonly maps: InlineMaps | undefined;
}

interface Compiled {
  readonly module: WebAssembly.Module;
  /** The program's pc of each pc the module reports, when calls were inlined (CompiledWasm.origin). */
  readonly origin: Int32Array | undefined;
  readonly stats: JitStats;
  readonly mapHandles: readonly number[];
  readonly instances: WeakMap<WebAssembly.Memory, Instance>;
}

type JitCache = Map<string, Compiled>;

/**
 * What the generated code depends on of the memory it runs in: whether it is shared (its atomics, and its
 * reserved words found through the instance's `scratch` global, reserved.ts), not where a thread's
 * reserved words are, so one module serves every thread of a pool.
 */
type MemoryKind = { readonly shared: boolean };
const PLAIN: MemoryKind = { shared: false };
const SHARED: MemoryKind = { shared: true };

const cacheKey = (stackSize: number, frameFastPath: boolean, kind: MemoryKind = PLAIN): string =>
  kind.shared ? `${stackSize}:${frameFastPath ? 1 : 0}:shared` : `${stackSize}:${frameFastPath ? 1 : 0}`;

/** What one invocation of a compiled program ended with. */
interface Outcome {
  /** 0: returned normally with `regs`; 1: the run stops with r0 = `regs[0]`. */
  readonly halt: number;
  readonly regs: readonly bigint[];
  readonly budget: bigint;
}

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const ZEROS: readonly bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];

function trapError(kind: number, pc: number, program: Program, limits: RunLimits): EbpfError {
  if (kind === Trap.budget) return budgetError(limits.instructionBudget, pc);
  if (kind === Trap.callDepth) return callDepthError(limits.maxCallDepth, pc);
  // A slot that cannot run: the same error as the interpreter's, from its own decoding.
  return badSlotError(slotDecoding(program), pc);
}

/** Slots the interpreter refuses to run (those it has a problem for), including the end (index length). */
function badSlots(program: Program): Uint8Array {
  const slots = slotDecoding(program);
  const bad = new Uint8Array(slots.length + 1);
  for (const pc of slots.problems.keys()) bad[pc] = 1;
  return bad;
}

/** Point the instance's globals at the region table the generated code scans on a cache miss (see vm/region-table). */
function writeRegionTable(memory: VmMemory, addr: WebAssembly.Global, count: WebAssembly.Global): void {
  const t = regionTable(memory);
  addr.value = t.offset;
  count.value = t.count;
}

/**
 * The module the JIT builds for `program` with frames of `stackSize` bytes, as a run on a VM with the
 * usual stack region would use it (without compiling or caching it).
 */
export function generateModule(program: Program, stackSize: number): CompiledWasm {
  return compileToWasm(program.insns, { stackSize, frameFastPath: !writesFramePointer(program.insns), badSlots: badSlots(program) });
}

/**
 * An engine that compiles eBPF to WebAssembly and runs it in the VM memory. Results and errors are
 * the interpreter's (same budget rule, same error class, code and pc).
 *
 * Compiled modules are cached in `Program.compiled` under `'jit'` (one per stack size), instances
 * per VM memory. Helpers are looked up at each call, so helpers registered after compiling work
 * without recompiling. Not re-entrant: a helper must not run the same program on the same memory
 * (the VM kinds refuse a nested run of one VM with E_UNSUPPORTED).
 */
export class JitEngine implements Engine {
  constructor(private readonly options: JitOptions = {}) {}

  /**
   * Compile `program` now for the given stack size (otherwise its first run compiles it); `memory.shared`:
   * for runs in a shared memory (VmMemory.shared) rather than a plain one.
   */
  compile(program: Program, limits: Pick<RunLimits, 'stackSize'>, memory: { readonly shared?: boolean } = {}): JitStats {
    return this.compiled(program, limits.stackSize, !writesFramePointer(program.insns), memory.shared === true ? SHARED : PLAIN).stats;
  }

  /**
   * The modules compiled so far for `program`, to hand to another thread that runs the same program
   * ({@link adopt}): a `JitModule` can be posted to a worker (V8 shares the compiled code, and its later
   * optimisation, between the threads). A module for a shared memory serves every thread of it (reserved.ts).
   */
  modules(program: Program): JitModule[] {
    const out: JitModule[] = [];
    for (const [key, c] of this.cacheOf(program)) out.push({ key, bytes: program.bytes.slice(), module: c.module, origin: c.origin, stats: c.stats, mapHandles: c.mapHandles });
    return out;
  }

  /**
   * Use modules another engine compiled ({@link modules}) for `program` instead of compiling them again.
   * Only modules compiled from the same instruction bytes are taken (the others are ignored), and none
   * replaces one this engine has; returns how many were taken.
   */
  adopt(program: Program, modules: readonly JitModule[]): number {
    const cache = this.cacheOf(program);
    let taken = 0;
    for (const m of modules) {
      if (cache.has(m.key) || !(m.module instanceof WebAssembly.Module) || !sameBytes(m.bytes, program.bytes)) continue;
      cache.set(m.key, { module: m.module, origin: m.origin, stats: m.stats, mapHandles: Array.isArray(m.mapHandles) ? m.mapHandles : [], instances: new WeakMap() });
      taken++;
    }
    return taken;
  }

  /**
   * Compile asynchronously with `WebAssembly.compile`. Browsers refuse synchronous compilation of
   * modules over 4 KB on the main thread, so call this (and await it) before running there; runs then
   * use the cached module.
   */
  async compileAsync(program: Program, limits: Pick<RunLimits, 'stackSize'>): Promise<JitStats> {
    const frameFastPath = !writesFramePointer(program.insns);
    const cache = this.cacheOf(program);
    const key = cacheKey(limits.stackSize, frameFastPath);
    const have = cache.get(key);
    if (have !== undefined) return have.stats;
    const gen = this.generate(program, limits.stackSize, frameFastPath);
    const t1 = performance.now();
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(gen.bytes);
    } catch (e) {
      throw new EbpfError(ErrorCode.JIT, `generated WebAssembly was rejected: ${(e as Error).message}`);
    }
    const c = this.store(program, key, gen, module, performance.now() - t1);
    return c.stats;
  }

  private cacheOf(program: Program): JitCache {
    let cache = program.compiled.get('jit') as JitCache | undefined;
    if (cache === undefined) {
      cache = new Map();
      program.compiled.set('jit', cache);
    }
    return cache;
  }

  private generate(program: Program, stackSize: number, frameFastPath: boolean, kind: MemoryKind = PLAIN): CompiledWasm & { generateMs: number } {
    const t0 = performance.now();
    const out = compileToWasm(program.insns, { stackSize, frameFastPath, badSlots: badSlots(program), ...(kind.shared ? { shared: true } : {}) });
    return { ...out, generateMs: performance.now() - t0 };
  }

  private store(program: Program, key: string, gen: CompiledWasm & { generateMs: number }, module: WebAssembly.Module, wasmCompileMs: number): Compiled {
    this.options.onModule?.(gen.bytes, program);
    const c: Compiled = {
      module,
      origin: gen.origin,
      mapHandles: gen.mapHandles,
      instances: new WeakMap(),
      stats: {
        generateMs: gen.generateMs,
        wasmCompileMs,
        size: gen.bytes.length,
        functionCount: gen.functionCount,
        dispatchFunctions: gen.dispatchFunctions,
        boundedLoops: gen.boundedLoops,
        tripChargedLoops: gen.tripChargedLoops,
        chunkedLoops: gen.chunkedLoops,
        countedLoops: gen.countedLoops,
      },
    };
    this.cacheOf(program).set(key, c);
    return c;
  }

  private compiled(program: Program, stackSize: number, frameFastPath: boolean, kind: MemoryKind = PLAIN): Compiled {
    const key = cacheKey(stackSize, frameFastPath, kind);
    const have = this.cacheOf(program).get(key);
    if (have !== undefined) return have;
    const gen = this.generate(program, stackSize, frameFastPath, kind);
    const t1 = performance.now();
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(gen.bytes);
    } catch (e) {
      throw new EbpfError(ErrorCode.JIT, `generated WebAssembly was rejected: ${(e as Error).message}`);
    }
    return this.store(program, key, gen, module, performance.now() - t1);
  }

  /** The last instance used, to skip the cache lookups when the same program runs again. */
  private last: { program: Program; wasm: WebAssembly.Memory; scratch: number; stackSize: number; stackOk: boolean; inst: Instance } | undefined;

  private instance(program: Program, memory: VmMemory, stackSize: number, stackOk: boolean): Instance {
    const last = this.last;
    if (last !== undefined && last.program === program && last.wasm === memory.wasm && last.scratch === memory.scratch && last.stackSize === stackSize && last.stackOk === stackOk) {
      return last.inst;
    }
    const inst = this.instantiate(program, memory, stackSize, stackOk);
    // The reserved words of the memory it runs in (they move when a shared memory takes its private area).
    if (inst.scratch !== undefined && inst.scratch.value !== memory.scratch) inst.scratch.value = memory.scratch;
    this.last = { program, wasm: memory.wasm, scratch: memory.scratch, stackSize, stackOk, inst };
    return inst;
  }

  private instantiate(program: Program, memory: VmMemory, stackSize: number, stackOk: boolean): Instance {
    const fast = stackOk && !writesFramePointer(program.insns);
    const c = this.compiled(program, stackSize, fast, memory.shared ? SHARED : PLAIN);
    let inst = c.instances.get(memory.wasm);
    if (inst !== undefined) return inst;
    const self: { inst?: Instance } = {};
    // Pcs inside inlined copies (inline.ts) reported as the callee's.
    const origin = c.origin;
    const st = (): RunState => {
      const i = self.inst!;
      // A batch's packet may have started since the last import: the hooks bring its state in first.
      if (i.batch !== undefined && i.batch.enter()) i.state = undefined;
      let s = i.state;
      if (s !== undefined) return s;
      // A run's state is made on its first import call; a run of the same request and stack (a host
      // running packet after packet) reuses the last one, reset, instead of allocating one per run.
      const last = i.lastState;
      if (last !== undefined && last.matches(i.request!, i.stack)) {
        last.reset();
        s = last;
      } else {
        s = new RunState(i.request!, i.stack);
        i.lastState = s;
      }
      i.state = s;
      return s;
    };
    const g = (i: number): WebAssembly.Global => self.inst!.globals[i]!;
    // r1-r5 as halves for a helper's fast form (see FastHelperFunction); one array per instance.
    const args = new Int32Array(10);
    // A callback (HelperContext.callFunction): the function's export, called in the frame below the
    // caller's from the budget its global holds (the generated code stores it before every helper call).
    const callBack = (slot: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint => {
      const s = st();
      const fn = self.inst!.exports[`f${slot}`] as ((...regs: bigint[]) => bigint[]) | undefined;
      if (fn === undefined) throw new EbpfError(ErrorCode.JIT, `internal: no function at slot ${slot} for a callback`, { pc: s.pc });
      const gd = g(Global.depth);
      const depth = (gd.value as number) + 1;
      const maxDepth = s.limits.maxCallDepth;
      if (depth >= maxDepth) throw callDepthError(maxDepth, s.pc);
      gd.value = depth;
      // The helper may have mapped regions before calling back (a for_each key): the callee's accesses look them up.
      writeRegionTable(s.memory, g(Global.tableAddr), g(Global.tableCount));
      // The callee's helper calls set the state's pc: the calling helper's is restored for its errors.
      const pc = s.pc;
      const outerPc = s.callbackPc;
      s.callbackPc = pc;
      s.callbacks++;
      let out: bigint[];
      try {
        out = fn(0n, r1, r2, r3, r4, r5, 0n, 0n, 0n, 0n, BigInt(s.stackTop - depth * s.limits.stackSize));
      } finally {
        gd.value = depth - 1;
        s.pc = pc;
        s.callbacks--;
        s.callbackPc = outerPc;
      }
      if ((g(Global.halt).value as number) !== 0) throw callbackEndedError(pc);
      return U64(out[0]!);
    };
    const callHelper = (
      id: number | bigint, pc: number,
      l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number,
    ): void => {
      const s = st();
      if (origin !== undefined) pc = origin[pc]!;
      const entry = lookupHelper(s.helpers, typeof id === 'number' ? id >>> 0 : U64(id), pc);
      s.pc = pc;
      s.program = program;
      s.callBack = callBack;
      const memory = s.memory;
      const version = memory.version;
      let lo: number;
      let hi: number;
      const fast = entry.fast;
      if (fast !== undefined) {
        args[0] = l1; args[1] = h1; args[2] = l2; args[3] = h2; args[4] = l3;
        args[5] = h3; args[6] = l4; args[7] = h4; args[8] = l5; args[9] = h5;
        const v = invokeFastHelper(entry, fast, args, 0, s);
        if (v === (v | 0)) {
          lo = v;
          hi = v >> 31;
        } else if (v >= 0 && v <= 0xffffffff) {
          // A heap address (map values are at 0x8000_0000 and up): no division.
          lo = v | 0;
          hi = 0;
        } else {
          lo = v >>> 0;
          hi = Math.floor(v / 4294967296) | 0;
        }
      } else {
        const r = invokeHelper(entry, u64FromHalves(l1, h1), u64FromHalves(l2, h2), u64FromHalves(l3, h3), u64FromHalves(l4, h4), u64FromHalves(l5, h5), s);
        if (r <= 0xffffffffn) {
          lo = Number(r) | 0;
          hi = 0;
        } else {
          lo = Number(r & 0xffffffffn) | 0;
          hi = Number(r >> 32n) | 0;
        }
      }
      const view = memory.view;
      const at = memory.scratch + HELPER_RESULT;
      view.setInt32(at, lo, true);
      view.setInt32(at + 4, hi, true);
      // The helper may have mapped or unmapped regions (the generated code drops its caches anyway).
      if (memory.version !== version) writeRegionTable(memory, g(Global.tableAddr), g(Global.tableCount));
      self.inst!.batch?.after();
      if (lo === 0 && hi === 0 && entry.unwindOnZero) {
        g(Global.halt).value = 1;
        s.pendingTail = undefined;
      } else if (s.pendingTail !== undefined) {
        // A tail call inside a callback: refused before the target runs, as the interpreter does.
        if (s.callbacks !== 0) throw callbackEndedError(s.callbackPc);
        g(Global.halt).value = 2;
      }
    };
    const imports = {
      env: {
        memory: memory.wasm,
        memError: (lo: number, hi: number, size: number, store: number, pc: number): number => {
          const m = st().memory;
          if (origin !== undefined) pc = origin[pc]!;
          const probe = store === 0 ? m.faultingLoad(lo, hi, size) : undefined;
          if (probe !== undefined) return probe;
          m.translate(lo, hi, size, store !== 0, pc); // throws the access error
          throw new EbpfError(ErrorCode.JIT, 'internal: region table out of date', { pc });
        },
        helper: callHelper,
        helperx: callHelper,
        packet: (offset: number, size: number): number => {
          const v = packetLoad(st().memory, offset, size);
          if (v >= 0) return v | 0;
          g(Global.savedR0).value = 0n;
          g(Global.halt).value = 1;
          return 0;
        },
        trap: (kind: number, pc: number): never => {
          throw trapError(kind, origin === undefined ? pc : origin[pc]!, program, st().limits);
        },
        tail: (): readonly bigint[] => {
          if ((g(Global.halt).value as number) !== 2) return ZEROS;
          const s = st();
          self.inst!.batch?.stop();
          const target = s.pendingTail!;
          s.pendingTail = undefined;
          const regs: bigint[] = [];
          for (let r = 0; r <= 10; r++) regs.push(g(Global.savedR0 + r).value as bigint);
          const out = this.invoke(target, s, regs, Number(g(Global.budget).value as bigint), g(Global.depth).value as number);
          g(Global.budget).value = out.budget;
          g(Global.halt).value = out.halt;
          if (out.halt !== 0) {
            g(Global.savedR0).value = out.regs[0]!;
            return ZEROS;
          }
          return out.regs;
        },
      },
    };
    const instance = new WebAssembly.Instance(c.module, imports);
    const ex = instance.exports as Record<string, unknown>;
    const globals: WebAssembly.Global[] = [];
    for (let i = 0; i < GLOBAL_COUNT; i++) globals.push(ex[`g${i}`] as WebAssembly.Global);
    inst = {
      program,
      entry: ex['entry'] as Instance['entry'],
      run: ex['run'] as Instance['run'],
      run32: ex['run32'] as Instance['run32'],
      high: ex['high'] as Instance['high'],
      left: ex['left'] as Instance['left'],
      runBatch: ex['run_batch'] as Instance['runBatch'],
      init: ex['init'] as Instance['init'],
      globals,
      scratch: ex[SCRATCH_EXPORT] as WebAssembly.Global | undefined,
      exports: ex,
      state: undefined,
      lastState: undefined,
      request: undefined,
      stack: undefined,
      batch: undefined,
      maps: c.mapHandles.length > 0 ? new InlineMaps(c.mapHandles, ex, memory.shared) : undefined,
    };
    self.inst = inst;
    c.instances.set(memory.wasm, inst);
    return inst;
  }

  /** Point the instance at this run and set its globals for a call in the frame at `depth`. */
  private enter(inst: Instance, state: RunState, budget: number, depth: number): void {
    inst.state = state;
    const table = regionTable(state.memory);
    inst.init(
      budget,
      depth,
      state.limits.maxCallDepth,
      state.stackTop,
      state.stackDelta ?? 0,
      table.offset,
      table.count,
      state.stackBase,
      state.stackLimit,
    );
  }

  /** Run `program`'s entry function in the frame at `depth` with registers r0-r10 (a tail call's target). */
  private invoke(program: Program, state: RunState, regs: readonly bigint[], budget: number, depth: number): Outcome {
    const inst = this.instance(program, state.memory, state.limits.stackSize, state.stackDelta !== undefined);
    const prev = inst.state;
    let out: readonly bigint[];
    inst.maps?.sync(state.helpers, state.memory);
    try {
      this.enter(inst, state, budget, depth);
      out = inst.entry(...regs);
    } finally {
      inst.state = prev;
    }
    const gl = inst.globals;
    const halt = gl[Global.halt]!.value as number;
    if (halt !== 0) return { halt: 1, regs: [gl[Global.savedR0]!.value as bigint], budget: gl[Global.budget]!.value as bigint };
    return { halt: 0, regs: out, budget: gl[Global.budget]!.value as bigint };
  }

  /** Run a program (see {@link Engine.run}). */
  run(request: RunRequest): bigint {
    const memory = request.memory;
    const stack = usableStack(request, clearStack(request));
    const inst = this.instance(request.program, memory, request.limits.stackSize, stack !== undefined);
    const table = regionTable(memory);
    const r0 = runFresh(inst, request, stack, table.offset, table.count, inst.run);
    // Most results are non-negative as signed i64: a comparison is cheaper than BigInt.asUintN.
    return r0 < 0n ? U64(r0) : r0;
  }

  /** Run a program, writing r0's halves and the instructions charged into `outcome` (see {@link Engine.runInto}). */
  runInto(request: RunRequest, outcome: RunOutcome): void {
    const memory = request.memory;
    const stack = usableStack(request, clearStack(request));
    const inst = this.instance(request.program, memory, request.limits.stackSize, stack !== undefined);
    const table = regionTable(memory);
    outcome.r0Low = runFresh(inst, request, stack, table.offset, table.count, inst.run32);
    outcome.r0High = inst.high();
    outcome.instructions = request.limits.instructionBudget - inst.left();
  }

  /** What {@link prepare} and {@link prepareInto} work out once: the stack plan and region, the instance, `run`'s fixed arguments. */
  private preparedArgs(request: RunRequest) {
    const memory = request.memory;
    const plan = planStackClear(request);
    const stack = usableStack(request, plan.region);
    const inst = this.instance(request.program, memory, request.limits.stackSize, stack !== undefined);
    const { stackTop, limits } = request;
    return {
      memory,
      plan,
      stack,
      inst,
      stackTop,
      limits,
      budget: limits.instructionBudget,
      maxDepth: limits.maxCallDepth,
      delta: stack !== undefined ? stackDeltaOf(stack) : 0,
      base: stack !== undefined ? stack.vaddr : 0,
      limit: stack !== undefined ? stackLimitOf(stack) : 0,
      inWasm: stack !== undefined && stack.size >= 8 && stack.vaddr + stack.size < 2 ** 32 ? (plan.keep ? 2 : 1) : 0,
    };
  }

  /**
   * A function running `request` into `outcome` (see {@link Engine.prepareInto}): the instance, the
   * stack plan and `run32`'s fixed arguments are worked out once, so a call is the region table's
   * sizes (rewritten when the layout changed), the stack's start and one call into the module, where
   * {@link runInto} finds the stack region and the instance again and saves and restores the
   * instance's run fields for every run.
   */
  prepareInto(request: RunRequest, outcome: RunOutcome): () => boolean {
    const { memory, plan, stack, inst, stackTop, limits, budget, maxDepth, delta, base, limit, inWasm } = this.preparedArgs(request);
    const shape = memory.shape;
    const mark = plan.mark;
    const regionSize = plan.regionSize;
    const { run32, high, left } = inst;
    return () => {
      // The stack region found again under the same shape: the same object, unless its size changed.
      if (memory.shape !== shape || request.stackTop !== stackTop || request.limits !== limits || (stack !== undefined && stack.size !== regionSize)) return false;
      const table = regionTable(memory);
      // The stack as this memory's last start left it (vm/stack's bookkeeping holds): the module starts it.
      let mode = 0;
      if (inWasm !== 0 && memory.runStack === stack) mode = inWasm;
      else startStack(plan);
      inst.state = undefined;
      if (inst.request !== request) inst.request = request; // see prepare
      if (inst.stack !== stack) inst.stack = stack;
      inst.maps?.sync(request.helpers, memory);
      try {
        outcome.r0Low = run32(request.r1, request.r2, stackTop, budget, maxDepth, delta, table.offset, table.count, base, limit, memory.version, mode, mark);
      } catch (e) {
        throw asEbpfError(e);
      }
      outcome.r0High = high();
      outcome.instructions = budget - left();
      return true;
    };
  }

  /**
   * A {@link BatchRun} of `request` over the batch area at `area` (see {@link Engine.prepareBatch}):
   * worked out once as {@link prepareInto} does; each call checks the same conditions, and runs only
   * when the module can start the stack itself (the JavaScript start between packets would not run).
   * The hooks are the instance's while the call runs.
   */
  prepareBatch(request: RunRequest, area: number, hooks: BatchHooks): BatchRun | undefined {
    const { memory, plan, stack, inst, stackTop, limits, budget, maxDepth, delta, base, limit, inWasm } = this.preparedArgs(request);
    if (inWasm === 0) return undefined;
    const shape = memory.shape;
    const mark = plan.mark;
    const regionSize = plan.regionSize;
    const runBatch = inst.runBatch;
    return (from, to) => {
      if (memory.shape !== shape || request.stackTop !== stackTop || request.limits !== limits || (stack !== undefined && stack.size !== regionSize)) return -1;
      if (memory.runStack !== stack) return -1;
      const table = regionTable(memory);
      inst.state = undefined;
      if (inst.request !== request) inst.request = request;
      if (inst.stack !== stack) inst.stack = stack;
      inst.batch = hooks;
      inst.maps?.sync(request.helpers, memory);
      try {
        // Layout version -1: no fresh run's; the module empties the region cache per packet itself.
        return runBatch(area, from, to, request.r1, request.r2, stackTop, budget, maxDepth, delta, table.offset, table.count, base, limit, -1, inWasm, mark);
      } catch (e) {
        throw asEbpfError(e);
      } finally {
        inst.batch = undefined;
        inst.state = undefined;
      }
    };
  }

  /**
   * A function running `request` (see {@link Engine.prepare}): the instance, the stack plan, the
   * region table and `run`'s arguments are worked out once, so a call is the stack's start (zeroing what
   * earlier runs wrote: vm/stack) and one call into the module. Unlike {@link runFresh} it does not restore the instance's run fields afterwards:
   * the next run sets them again, and a nested run of the same instance is not supported anyway.
   */
  prepare(request: RunRequest): () => bigint {
    const { memory, plan, stack, inst, stackTop, budget, maxDepth, delta, base, limit, inWasm } = this.preparedArgs(request);
    const version = memory.version;
    const mark = plan.mark;
    const { offset, count } = regionTable(memory);
    const { r1, r2 } = request;
    const run = inst.run;
    return () => {
      if (memory.version !== version) return this.run(request);
      // The stack as this memory's last start left it (vm/stack's bookkeeping holds): the module starts it.
      let mode = 0;
      if (inWasm !== 0 && memory.runStack === stack) mode = inWasm;
      else startStack(plan);
      inst.state = undefined;
      // Written only when they differ: a store of an object pays V8's write barrier, a compare does not.
      if (inst.request !== request) inst.request = request;
      if (inst.stack !== stack) inst.stack = stack;
      inst.maps?.sync(request.helpers, memory);
      let r0: bigint;
      try {
        r0 = run(r1, r2, stackTop, budget, maxDepth, delta, offset, count, base, limit, version, mode, mark);
      } catch (e) {
        throw asEbpfError(e);
      }
      return r0 < 0n ? U64(r0) : r0;
    };
  }
}

/**
 * A fresh run of `request` on `inst`, its stack already zeroed (`stack`: the usable stack region, the
 * region table at `tableOffset`). It goes through the compact `run` export (or `run32`, passed as
 * `run`), which answers savedR0 itself when the program stopped early: no array of registers and no
 * global reads here.
 */
function runFresh<R extends bigint | number>(
  inst: Instance,
  request: RunRequest,
  stack: Region | undefined,
  tableOffset: number,
  tableCount: number,
  run: (...args: Parameters<Instance['run']>) => R,
): R {
  const limits = request.limits;
  const { state: prevState, request: prevRequest, stack: prevStack } = inst;
  let r0: R;
  try {
    inst.state = undefined;
    inst.request = request;
    inst.stack = stack;
    inst.maps?.sync(request.helpers, request.memory);
    r0 = run(
      request.r1,
      request.r2,
      request.stackTop,
      limits.instructionBudget,
      limits.maxCallDepth,
      stack !== undefined ? stackDeltaOf(stack) : 0,
      tableOffset,
      tableCount,
      stack !== undefined ? stack.vaddr : 0,
      stack !== undefined ? stackLimitOf(stack) : 0,
      request.memory.version,
      0,
      0,
    );
  } catch (e) {
    throw asEbpfError(e);
  } finally {
    inst.state = prevState;
    inst.request = prevRequest;
    inst.stack = prevStack;
  }
  return r0;
}

/**
 * Errors a run may raise are EbpfErrors (helpers' failures are wrapped where they are called). Anything
 * else — a WebAssembly trap, which checked code should never reach — is still reported as one, so that
 * callers only ever see the project's errors.
 */
function asEbpfError(e: unknown): EbpfError {
  if (e instanceof EbpfError) return e;
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new EbpfError(
    ErrorCode.JIT,
    `internal error: the compiled program failed with ${what}; this is a tsbpf bug (please report it with the program), and the interpreter (executeProgram) runs the program meanwhile`,
  );
}
