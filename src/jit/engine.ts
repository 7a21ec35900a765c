/**
 * The JIT engine: compiles a {@link Program} to WebAssembly once (cached in `Program.compiled` under
 * `'jit'`), instantiates it once per VM memory, and runs it with the same rules and errors as the
 * interpreter.
 *
 * Helpers are looked up in the run's helper table at each call, so helpers registered after
 * compiling work without recompiling.
 * @module
 */
import { EbpfError, ErrorCode, ExecutionError } from '../errors.js';
import type { Engine, HelperContext, HelperTable, RunLimits, RunRequest } from '../vm/environment.js';
import { MEM_START, type VmMemory } from '../vm/memory.js';
import type { Program } from '../vm/program.js';
import { compileToWasm, writesFramePointer } from './compiler.js';
import { Global, GLOBAL_COUNT, Trap } from './layout.js';

/** Options of {@link JitEngine}. */
export interface JitOptions {
  /** Called with every module the JIT builds (for inspection: write it to a .wasm file, disassemble it). */
  readonly onModule?: (wasm: Uint8Array, program: Program) => void;
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
}

interface RunState {
  memory: VmMemory;
  helpers: HelperTable;
  host: unknown;
  limits: RunLimits;
  pendingTail: Program | undefined;
  tailCalls: number;
}

interface Instance {
  readonly entry: (...regs: bigint[]) => bigint[];
  readonly globals: WebAssembly.Global[];
  /** The run this instance serves; its imports read it. */
  state: RunState | undefined;
}

interface Compiled {
  readonly module: WebAssembly.Module;
  readonly stats: JitStats;
  readonly instances: WeakMap<WebAssembly.Memory, Instance>;
}

type JitCache = Map<string, Compiled>;

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

function helperResult(v: bigint | number | void): bigint {
  if (typeof v === 'bigint') return U64(v);
  if (typeof v === 'number') return Number.isFinite(v) ? U64(BigInt(Math.trunc(v))) : 0n;
  return 0n;
}

function trapError(kind: number, pc: number, limits: RunLimits): EbpfError {
  switch (kind) {
    case Trap.budget:
      return new ExecutionError(
        ErrorCode.BUDGET_EXCEEDED,
        `instruction budget of ${limits.instructionBudget} exhausted (an endless loop?); raise RunLimits.instructionBudget if the program needs more`,
        { pc },
      );
    case Trap.callDepth:
      return new ExecutionError(
        ErrorCode.CALL_DEPTH,
        `local call nests deeper than ${limits.maxCallDepth} frames (RunLimits.maxCallDepth)`,
        { pc },
      );
    case Trap.kfunc:
      return new ExecutionError(ErrorCode.UNSUPPORTED, 'kfunc calls are not supported', { pc });
    case Trap.pseudoLoad:
      return new ExecutionError(
        ErrorCode.UNSUPPORTED,
        'lddw with a pseudo source (map or BTF reference) must be resolved by a loader before running',
        { pc },
      );
    case Trap.badCallTarget:
      return new ExecutionError(ErrorCode.BAD_PROGRAM, 'local call target is outside the program', { pc });
    case Trap.outOfProgram:
      return new ExecutionError(ErrorCode.BAD_PROGRAM, 'control flow leaves the program (jump out of range or no exit)', { pc });
    default:
      return new ExecutionError(ErrorCode.BAD_PROGRAM, 'invalid instruction', { pc });
  }
}

/** An engine that compiles eBPF to WebAssembly and runs it in the VM memory. */
export class JitEngine implements Engine {
  constructor(private readonly options: JitOptions = {}) {}

  /** Compile `program` for the given limits now (otherwise the first run compiles). Returns statistics. */
  compile(program: Program, limits: Pick<RunLimits, 'stackSize'>, frameFastPath = !writesFramePointer(program.insns)): JitStats {
    return this.compiled(program, limits.stackSize, frameFastPath).stats;
  }

  private compiled(program: Program, stackSize: number, frameFastPath: boolean): Compiled {
    let cache = program.compiled.get('jit') as JitCache | undefined;
    if (cache === undefined) {
      cache = new Map();
      program.compiled.set('jit', cache);
    }
    const key = `${stackSize}:${frameFastPath ? 1 : 0}`;
    let c = cache.get(key);
    if (c === undefined) {
      const t0 = performance.now();
      const out = compileToWasm(program.insns, { stackSize, frameFastPath });
      const t1 = performance.now();
      let module: WebAssembly.Module;
      try {
        module = new WebAssembly.Module(out.bytes);
      } catch (e) {
        throw new EbpfError(ErrorCode.JIT, `generated WebAssembly was rejected: ${(e as Error).message}`);
      }
      const t2 = performance.now();
      this.options.onModule?.(out.bytes, program);
      c = {
        module,
        instances: new WeakMap(),
        stats: {
          generateMs: t1 - t0,
          wasmCompileMs: t2 - t1,
          size: out.bytes.length,
          functionCount: out.functionCount,
          dispatchFunctions: out.dispatchFunctions,
        },
      };
      cache.set(key, c);
    }
    return c;
  }

  private instance(c: Compiled, memory: VmMemory): Instance {
    let inst = c.instances.get(memory.wasm);
    if (inst !== undefined) return inst;
    const self: { inst?: Instance } = {};
    const st = (): RunState => self.inst!.state!;
    const g = (i: number): WebAssembly.Global => self.inst!.globals[i]!;
    const resetCaches = (): void => {
      g(Global.loadLimit).value = 0n;
      g(Global.storeLimit).value = 0n;
    };
    const callHelper = (id: number | bigint, pc: number, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint => {
      const s = st();
      const entry = typeof id === 'number' ? s.helpers.get(id) : U64(id) < 0x1_0000_0000n ? s.helpers.get(Number(id)) : undefined;
      if (entry === undefined) {
        throw new ExecutionError(ErrorCode.UNKNOWN_HELPER, `call to unknown helper ${U64(BigInt(id))}: register it first`, { pc });
      }
      const ctx: HelperContext = {
        memory: s.memory,
        pc,
        host: s.host,
        tailCall: (program: Program): boolean => {
          if (s.tailCalls >= s.limits.maxTailCalls) return false;
          s.tailCalls++;
          s.pendingTail = program;
          return true;
        },
      };
      let r: bigint | number | void;
      try {
        r = entry.fn(U64(a1), U64(a2), U64(a3), U64(a4), U64(a5), ctx);
      } catch (e) {
        if (e instanceof EbpfError) throw e;
        throw new ExecutionError(ErrorCode.HELPER, `helper ${entry.name} failed: ${e instanceof Error ? e.message : String(e)}`, { pc, cause: e });
      }
      const v = helperResult(r);
      resetCaches();
      if (entry.unwindOnZero && v === 0n) g(Global.halt).value = 1;
      else if (s.pendingTail !== undefined) g(Global.halt).value = 2;
      return v;
    };
    const imports = {
      env: {
        memory: memory.wasm,
        translate: (lo: number, hi: number, size: number, store: number, pc: number): number => {
          const m = st().memory;
          const offset = m.translate(lo, hi, size, store !== 0, pc);
          const r = m.find(lo >>> 0, size)!;
          const limit = BigInt(r.size >= 8 ? r.size - 7 : 0);
          if (store !== 0) {
            g(Global.storeBase).value = BigInt(r.vaddr);
            g(Global.storeLimit).value = limit;
            g(Global.storeOffset).value = r.offset;
          } else {
            g(Global.loadBase).value = BigInt(r.vaddr);
            g(Global.loadLimit).value = limit;
            g(Global.loadOffset).value = r.offset;
          }
          return offset;
        },
        helper: callHelper,
        helperx: callHelper,
        packet: (offset: bigint, size: number, pc: number): bigint => packetLoad(st().memory, offset, size, pc, () => (g(Global.halt).value = 1)),
        trap: (kind: number, pc: number): never => {
          throw trapError(kind, pc, st().limits);
        },
      },
    };
    const instance = new WebAssembly.Instance(c.module, imports);
    const ex = instance.exports as Record<string, unknown>;
    const globals: WebAssembly.Global[] = [];
    for (let i = 0; i < GLOBAL_COUNT; i++) globals.push(ex[`g${i}`] as WebAssembly.Global);
    inst = { entry: ex['entry'] as Instance['entry'], globals, state: undefined };
    self.inst = inst;
    c.instances.set(memory.wasm, inst);
    return inst;
  }

  /** Run a program (see {@link Engine.run}). */
  run(request: RunRequest): bigint {
    const { memory, limits } = request;
    const state: RunState = {
      memory,
      helpers: request.helpers,
      host: request.host,
      limits,
      pendingTail: undefined,
      tailCalls: 0,
    };
    const stackBytes = limits.stackSize * limits.maxCallDepth;
    const stack = memory.find(request.stackTop - stackBytes, stackBytes);
    const stackOk = stack !== undefined && stack.writable;
    let program = request.program;
    let regs: bigint[] = [0n, request.r1, request.r2, 0n, 0n, 0n, 0n, 0n, 0n, 0n, BigInt(request.stackTop)];
    let budget = BigInt(limits.instructionBudget);
    let depth = 0;
    for (;;) {
      const c = this.compiled(program, limits.stackSize, stackOk && !writesFramePointer(program.insns));
      const inst = this.instance(c, memory);
      const prev = inst.state;
      inst.state = state;
      const gl = inst.globals;
      gl[Global.halt]!.value = 0;
      gl[Global.budget]!.value = budget;
      gl[Global.depth]!.value = depth;
      gl[Global.maxDepth]!.value = limits.maxCallDepth;
      gl[Global.stackTop]!.value = BigInt(request.stackTop);
      gl[Global.stackDelta]!.value = stackOk ? (stack.offset - stack.vaddr) | 0 : 0;
      gl[Global.loadLimit]!.value = 0n;
      gl[Global.storeLimit]!.value = 0n;
      let out: bigint[];
      try {
        out = inst.entry(...regs);
      } finally {
        inst.state = prev;
      }
      const halt = gl[Global.halt]!.value as number;
      if (halt === 0) return U64(out[0]!);
      if (halt === 1) return U64(gl[Global.savedR0]!.value as bigint);
      // Tail call: continue in the new program with the registers and frame of the caller.
      regs = [];
      for (let r = 0; r <= 10; r++) regs.push(gl[Global.savedR0 + r]!.value as bigint);
      budget = gl[Global.budget]!.value as bigint;
      depth = gl[Global.depth]!.value as number;
      program = state.pendingTail!;
      state.pendingTail = undefined;
    }
  }
}

/**
 * LD_ABS / LD_IND: a big-endian read of `size` bytes at `offset` into the input memory (the region
 * at MEM_START). Out of range, the program stops with r0 = 0, as in the kernel.
 */
function packetLoad(memory: VmMemory, offset: bigint, size: number, _pc: number, stop: () => void): bigint {
  const off = BigInt.asIntN(64, offset);
  const region = memory.regions.find((r) => r.vaddr === MEM_START);
  if (region === undefined || off < 0n || off + BigInt(size) > BigInt(region.size)) {
    stop();
    return 0n;
  }
  const at = region.offset + Number(off);
  const bytes = memory.bytes;
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(bytes[at + k]!);
  return v;
}
