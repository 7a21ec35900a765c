/**
 * The four kinds of virtual machine of rbpf, with rbpf's API in TypeScript naming:
 * {@link EbpfVmNoData}, {@link EbpfVmRaw}, {@link EbpfVmMbuff} and {@link EbpfVmFixedMbuff}.
 *
 * Memory layout (see vm/memory): the stack at `STACK_START` (`stackSize × maxCallDepth` bytes, zero
 * when a run starts — the engine zeroes what earlier runs wrote, see vm/stack — r10 at its top), the input memory at `MEM_START`, the metadata buffer at
 * `MBUFF_START`. Each run copies `mem` / `mbuff` in and, when the run ends (also by an error), copies
 * them back so that the caller sees the program's stores — unless they are the zero-copy views from
 * {@link EbpfVmBase.memBuffer} / {@link EbpfVmBase.mbuffBuffer}, which are used in place.
 *
 * Engines: every run goes through the protected {@link EbpfVmBase.execute} with an {@link Engine};
 * `executeProgram` uses the interpreter. A JIT adds `jitCompile()` and `executeProgramJit(...)` with
 * the same arguments, calling `execute(jitEngine, mem, mbuff)`.
 * @module
 */
import { ArgumentError, EbpfError, ErrorCode, ExecutionError } from '../errors.js';
import {
  checkBytes,
  checkFunction,
  checkInteger,
  checkOptionalBoolean,
  checkOptionalFunction,
  checkOptions,
  checkString,
  describeValue,
  resolveLimits,
} from '../validate.js';
import { verifyProgram } from '../verifier/verifier.js';
import {
  DEFAULT_LIMITS,
  type Engine,
  type HelperEntry,
  type HelperFunction,
  type HelperTable,
  type RunLimits,
  type RunRequest,
} from './environment.js';
import { Interpreter, type InterpreterOptions } from './interpreter.js';
import { JitEngine, type JitStats } from '../jit/engine.js';
import { MAX_MEM_SIZE, MBUFF_START, MEM_START, STACK_START, VmMemory, type Region } from './memory.js';
import { Program } from './program.js';

/** A verifier: throws (preferably an `EbpfError`) to reject a program. */
export type Verifier = (prog: Uint8Array) => void;

/** Options of {@link EbpfVmBase.registerHelper}. */
export interface HelperOptions {
  /** Name for messages and traces (default `helper_<id>`). */
  readonly name?: string;
  /** Stop the program with r0 = 0 when the helper returns 0 (uBPF's "unwind" helper). */
  readonly unwindOnZero?: boolean;
}

/** A run of a VM started while another run of the same VM is under way (from a helper). */
function nestedRunError(): ExecutionError {
  return new ExecutionError(
    ErrorCode.UNSUPPORTED,
    'a run of this VM was started while another run of it is under way (from a helper?): runs of one VM share its stack and memory, so they cannot nest; run the nested program on a second VM',
  );
}

/** Options shared by every VM kind's constructor. */
export interface VmOptions {
  /** Limits for every run (any omitted field keeps its default from `DEFAULT_LIMITS`). */
  readonly limits?: Partial<RunLimits>;
  /** Helpers to register at once, by id. */
  readonly helpers?: ReadonlyMap<number, HelperFunction> | Readonly<Record<number, HelperFunction>>;
  /** The verifier (default: the project's `verifyProgram`). */
  readonly verifier?: Verifier;
  /** Data passed to helpers as `ctx.host`. */
  readonly host?: unknown;
  /**
   * Options of the interpreter `executeProgram` uses; `{ wasmCore: false }` runs every instruction in
   * its JavaScript loop instead of its WebAssembly one (the same results and errors, more slowly).
   */
  readonly interpreter?: InterpreterOptions;
}

const interpreter = new Interpreter();
const MEM_START_BIG = BigInt(MEM_START);
const MBUFF_START_BIG = BigInt(MBUFF_START);
const jit = new JitEngine();

/** A run on zero-copy inputs, kept so that the same run again skips the set-up. */
interface RepeatableRun {
  readonly engine: Engine;
  readonly mem: Uint8Array | undefined;
  readonly mbuff: Uint8Array | undefined;
  readonly memLength: number;
  readonly mbuffLength: number;
  readonly entry: 'none' | 'mem' | 'mbuff';
  /** The memory's layout version once the inputs were staged. */
  readonly version: number;
  readonly run: () => bigint;
}

/** What every VM kind shares: program, verifier, helpers, limits, memory and the run itself. */
export abstract class EbpfVmBase {
  /** The VM's memory: its regions are the stack, `mem`, `mbuff`, and any region a host maps for helpers. */
  readonly memory = new VmMemory();
  private hostData: unknown;
  private loaded: Program | undefined;
  private verifier: Verifier = verifyProgram;
  private readonly helperTable = new Map<number, HelperEntry>();
  private runLimits: RunLimits = DEFAULT_LIMITS;
  private stackRegion: Region;
  private readonly memRegion: Region;
  private readonly mbuffRegion: Region;
  private memCapacity = 0;
  private mbuffCapacity = 0;
  /** The views {@link memBuffer} and {@link mbuffBuffer} returned last. */
  private memView: Uint8Array | undefined;
  private mbuffView: Uint8Array | undefined;
  /** Those views' lengths (a view a growth of VM memory detached reads as empty). */
  private memViewLength = 0;
  private mbuffViewLength = 0;
  /** The views {@link revive} replaced (detached by a growth), until their region moves. */
  private staleMem: Uint8Array | undefined;
  private staleMbuff: Uint8Array | undefined;

  protected constructor(prog: Uint8Array | undefined, vmOptions: VmOptions | undefined) {
    const options = checkOptions(vmOptions, 'options');
    const verifier = checkOptionalFunction<Verifier>(options.verifier, 'options.verifier');
    if (verifier !== undefined) this.verifier = verifier;
    this.runLimits = resolveLimits(options.limits, DEFAULT_LIMITS, 'options.limits');
    this.host = options.host;
    if (options.interpreter !== undefined) this.ownInterpreter = new Interpreter(options.interpreter);
    this.stackRegion = this.mapStack();
    this.memRegion = this.memory.map({ name: 'mem', vaddr: MEM_START, size: 0, offset: 0 });
    this.mbuffRegion = this.memory.map({ name: 'mbuff', vaddr: MBUFF_START, size: 0, offset: 0 });
    const helpers: unknown = options.helpers;
    if (helpers !== undefined) {
      if (typeof helpers !== 'object' || helpers === null || Array.isArray(helpers)) {
        throw new ArgumentError(`options.helpers must be a Map or an object of helper functions by id, not ${describeValue(helpers)}`);
      }
      const entries = helpers instanceof Map ? [...(helpers as Map<unknown, unknown>)] : Object.entries(helpers).map(([k, v]) => [Number(k), v] as const);
      for (const [id, fn] of entries) this.registerHelper(id as number, fn as HelperFunction);
    }
    if (prog !== undefined) this.load(prog);
  }

  private mapStack(): Region {
    const size = this.runLimits.stackSize * this.runLimits.maxCallDepth;
    return this.memory.map({ name: 'stack', vaddr: STACK_START, size });
  }

  /** Verify and load a program (a private copy of the bytes is kept). */
  protected load(prog: Uint8Array): void {
    const bytes = checkBytes(prog, 'the program');
    this.verifier(bytes);
    this.loaded = new Program(bytes);
    this.forget();
  }

  /**
   * Replace the verifier. If a program is loaded it is verified again at once, and a rejection
   * propagates (the program stays loaded, as in rbpf).
   */
  setVerifier(verifier: Verifier): void {
    this.verifier = checkFunction<Verifier>(verifier, 'the verifier (a function (prog: Uint8Array) => void)');
    if (this.loaded !== undefined) verifier(this.loaded.bytes);
  }

  /** Data passed to helpers as `ctx.host`. */
  get host(): unknown {
    return this.hostData;
  }

  set host(host: unknown) {
    this.hostData = host;
    this.forget();
  }

  /**
   * Drop the run kept for a repeat (see {@link execute}): called wherever the program, the limits or
   * the host data it was prepared with is assigned, so that a repeat never compares them.
   */
  private forget(): void {
    this.repeat = undefined;
  }

  /** Register (or replace) the helper called by `call id`. */
  registerHelper(id: number, fn: HelperFunction, options?: HelperOptions): void {
    checkInteger(id, 'the helper id', 0, 0xffffffff);
    checkFunction(fn, `helper ${id}`);
    const o = checkOptions(options, 'options');
    const name = o.name === undefined ? undefined : checkString(o.name, 'options.name');
    const unwindOnZero = checkOptionalBoolean(o.unwindOnZero, 'options.unwindOnZero') ?? false;
    this.helperTable.set(id, { fn, name: name ?? (fn.name !== '' ? fn.name : `helper_${id}`), unwindOnZero });
  }

  /** The registered helpers. */
  get helpers(): HelperTable {
    return this.helperTable;
  }

  /** The limits every run uses. */
  get limits(): RunLimits {
    return this.runLimits;
  }

  /** Change some limits (omitted fields keep their value). */
  setLimits(limits: Partial<RunLimits>): void {
    const next = resolveLimits(limits, this.runLimits, 'limits');
    const stackChanged =
      next.stackSize * next.maxCallDepth !== this.runLimits.stackSize * this.runLimits.maxCallDepth;
    this.runLimits = next;
    this.forget();
    if (stackChanged) {
      this.memory.unmap(this.stackRegion);
      this.stackRegion = this.mapStack();
    }
  }

  /** The loaded program, if any. */
  get program(): Program | undefined {
    return this.loaded;
  }

  /**
   * A zero-copy input buffer: a view of `len` bytes of VM memory that backs the `mem` region. Fill it
   * and pass it to `executeProgram`: it is used in place (nothing is copied in or out). The view is
   * valid until the next `memBuffer` call with a larger `len` or until VM memory grows (a helper or map
   * allocating, or an engine placing the program's code on its first run). Runs still take a view a
   * growth detached as the bytes it showed (they stay in place), but the caller can no longer read them
   * through it: call `memBuffer` again for a view of the same bytes. Any other stale view is copied
   * like any other array.
   */
  memBuffer(len: number): Uint8Array {
    return this.buffer(this.memRegion, len, 'mem');
  }

  /** Zero-copy metadata buffer, as {@link memBuffer} for the `mbuff` region. */
  mbuffBuffer(len: number): Uint8Array {
    return this.buffer(this.mbuffRegion, len, 'mbuff');
  }

  private buffer(region: Region, len: number, what: 'mem' | 'mbuff'): Uint8Array {
    checkInteger(len, `${what} length`, 0, MAX_MEM_SIZE);
    const capacity = what === 'mem' ? this.memCapacity : this.mbuffCapacity;
    if (len > capacity) {
      // The region moves: a view detached before names bytes no longer there (see revive).
      if (what === 'mem') this.staleMem = undefined;
      else this.staleMbuff = undefined;
      this.memory.relocate(region, this.memory.allocate(len));
      if (what === 'mem') this.memCapacity = len;
      else this.mbuffCapacity = len;
    }
    const view = this.memory.bytes.subarray(region.offset, region.offset + len);
    if (what === 'mem') {
      this.memView = view;
      this.memViewLength = len;
    } else {
      this.mbuffView = view;
      this.mbuffViewLength = len;
    }
    return view;
  }

  /**
   * `data`, unless it is a zero-copy view this VM handed out that a growth of VM memory has since
   * detached (its length then reads 0): a view of the same bytes, which the memory kept in place. A run
   * may grow the memory itself (an engine placing a program's code there on its first run), so a
   * caller cannot always know; without this the next run would see an empty input.
   */
  private revive(data: Uint8Array | undefined, what: 'mem' | 'mbuff'): Uint8Array | undefined {
    if (data === undefined || data.buffer.byteLength !== 0) return data;
    const mem = what === 'mem';
    const handed = mem ? this.memView : this.mbuffView;
    if (data !== handed && data !== (mem ? this.staleMem : this.staleMbuff)) {
      if (isDetached(data.buffer)) throw new ArgumentError(`${what} is a view of a detached ArrayBuffer (transferred, or of a memory that has grown since): pass a live array`);
      return data;
    }
    if (handed !== undefined && handed.buffer.byteLength !== 0) return handed;
    const view = this.buffer(mem ? this.memRegion : this.mbuffRegion, mem ? this.memViewLength : this.mbuffViewLength, what);
    if (mem) this.staleMem = data;
    else this.staleMbuff = data;
    return view;
  }

  /**
   * Map `data` as `region` for one run (copying it into VM memory unless it is the region's zero-copy
   * view); returns true when it was copied and must be copied back.
   */
  private stage(data: Uint8Array | undefined, region: Region, what: 'mem' | 'mbuff'): boolean {
    if (data === undefined) {
      this.memory.resize(region, 0);
      return false;
    }
    // The last zero-copy view handed out is recognised by identity: reading a typed array's `buffer`
    // and `byteOffset` costs V8 more than a short run.
    const zeroCopy = data === (what === 'mem' ? this.memView : this.mbuffView);
    if (zeroCopy || (data.buffer === this.memory.bytes.buffer && data.byteOffset === region.offset)) {
      this.memory.resize(region, data.length);
      return false;
    }
    const capacity = what === 'mem' ? this.memCapacity : this.mbuffCapacity;
    if (data.length > capacity) this.buffer(region, data.length, what);
    this.memory.bytes.set(data, region.offset);
    this.memory.resize(region, data.length);
    return true;
  }

  /** Copy a staged region back into the caller's array. */
  private unstage(data: Uint8Array, region: Region): void {
    const bytes = this.memory.bytes;
    if (data.length <= 16) {
      // Small buffers (contexts, test inputs): a loop beats allocating a subarray.
      for (let i = 0; i < data.length; i++) data[i] = bytes[region.offset + i]!;
    } else {
      data.set(bytes.subarray(region.offset, region.offset + data.length));
    }
  }

  /**
   * Run the loaded program on `engine` with `mem` mapped at MEM_START and `mbuff` at MBUFF_START, and
   * r1/r2 as given (`'mem'`: r1 = MEM_START, r2 = mem length; `'mbuff'`: r1 = MBUFF_START, r2 = mbuff
   * length; `'none'`: both 0). Returns r0. `mem` (for `'mem'` and `'mbuff'`) and `mbuff` (for
   * `'mbuff'`) are checked here, so JavaScript callers may pass anything: a public entry point passes
   * its arguments on as they came.
   */
  protected execute(engine: Engine, mem: Uint8Array | undefined, mbuff: Uint8Array | undefined, entry: 'none' | 'mem' | 'mbuff'): bigint {
    // A run on the same zero-copy views as the last one, with nothing else changed, repeats its prepared
    // form: on a short program the set-up in executeFresh costs as much as the run. The arguments need
    // no check here: they are the very arrays the run was prepared with, checked then. The program,
    // limits and host drop the repeat where they are assigned (see `forget`); a view's length changes
    // when growing the memory detaches it; the layout version, when a region is mapped, moved or resized.
    const repeat = this.repeat;
    if (
      repeat !== undefined &&
      repeat.engine === engine &&
      repeat.mem === mem &&
      repeat.mbuff === mbuff &&
      repeat.entry === entry &&
      repeat.memLength === (mem === undefined ? 0 : mem.length) &&
      repeat.mbuffLength === (mbuff === undefined ? 0 : mbuff.length) &&
      repeat.version === this.memory.version &&
      !this.running
    ) {
      // A catch that rethrows, not a finally: V8 compiles a finally into this inlined path with a
      // dispatch on how the block was left (docs/benchmarks.md, the VM's repeated run without a finally).
      this.running = true;
      let r0: bigint;
      try {
        r0 = repeat.run();
      } catch (e) {
        this.running = false;
        throw e;
      }
      this.running = false;
      return r0;
    }
    return this.executeFresh(engine, mem, mbuff, entry);
  }

  /** Set while a run of this VM is under way (see {@link executeFresh}). */
  private running = false;

  /** {@link execute} with the arguments checked, staged and prepared again (and the run then kept for a repeat when nothing was copied). */
  private executeFresh(engine: Engine, mem: Uint8Array | undefined, mbuff: Uint8Array | undefined, entry: 'none' | 'mem' | 'mbuff'): bigint {
    if (entry !== 'none') checkBytes(mem, 'mem');
    if (entry === 'mbuff') checkBytes(mbuff, 'mbuff');
    // Runs of one VM share its stack and memory: a run started from inside another (by a helper)
    // would zero and reuse the outer run's stack under it, so it is refused.
    if (this.running) throw nestedRunError();
    this.running = true;
    try {
      return this.stageAndRun(engine, mem, mbuff, entry);
    } finally {
      this.running = false;
    }
  }

  /** `memArg` and `mbuffArg`: as the caller passed them (what a repeat compares), before {@link revive}. */
  private stageAndRun(engine: Engine, memArg: Uint8Array | undefined, mbuffArg: Uint8Array | undefined, entry: 'none' | 'mem' | 'mbuff'): bigint {
    this.repeat = undefined;
    const program = this.loadedProgram();
    const mem = this.revive(memArg, 'mem');
    const mbuff = this.revive(mbuffArg, 'mbuff');
    const copyMem = this.stage(mem, this.memRegion, 'mem');
    const copyMbuff = this.stage(mbuff, this.mbuffRegion, 'mbuff');
    const stack = this.stackRegion;
    const r1 = entry === 'mem' ? MEM_START_BIG : entry === 'mbuff' ? MBUFF_START_BIG : 0n;
    const r2 = entry === 'mem' ? this.lengthBig(mem?.length ?? 0) : entry === 'mbuff' ? this.lengthBig(mbuff?.length ?? 0) : 0n;
    const request: RunRequest = {
      program,
      memory: this.memory,
      stackTop: stack.vaddr + stack.size,
      r1,
      r2,
      helpers: this.helperTable,
      limits: this.runLimits,
      host: this.hostData,
    };
    if (!copyMem && !copyMbuff) {
      const run = engine.prepare?.(request) ?? (() => engine.run(request));
      this.repeat = {
        engine,
        mem: memArg,
        mbuff: mbuffArg,
        memLength: memArg?.length ?? 0,
        mbuffLength: mbuffArg?.length ?? 0,
        entry,
        version: this.memory.version,
        run,
      };
      return run();
    }
    try {
      return engine.run(request);
    } finally {
      if (copyMem) this.unstage(mem!, this.memRegion);
      if (copyMbuff) this.unstage(mbuff!, this.mbuffRegion);
    }
  }

  /** The last run, when nothing had to be copied for it (see {@link execute}). */
  private repeat: RepeatableRun | undefined;
  private lastLength = 0;
  private lastLengthBig = 0n;

  /** `BigInt(length)`, remembered: runs on inputs of one size are the common case, and BigInt() costs as much as a short run. */
  private lengthBig(length: number): bigint {
    if (length !== this.lastLength) {
      this.lastLength = length;
      this.lastLengthBig = BigInt(length);
    }
    return this.lastLengthBig;
  }

  /** The interpreter engine, for subclasses. */
  protected get interpreter(): Engine {
    return this.ownInterpreter ?? interpreter;
  }

  /** An interpreter made for {@link VmOptions.interpreter}, else the shared one is used. */
  private readonly ownInterpreter: Interpreter | undefined;

  /** The JIT engine (eBPF compiled to WebAssembly), for subclasses. */
  protected get jit(): Engine {
    return jit;
  }

  /**
   * Compile the loaded program to WebAssembly now (otherwise the first `executeProgramJit` does).
   * The compiled module is cached with the program; helpers registered later need no recompiling.
   * Returns compile statistics.
   */
  jitCompile(): JitStats {
    return jit.compile(this.loadedProgram(), this.runLimits);
  }

  /**
   * {@link jitCompile} with `WebAssembly.compile`: for a browser's main thread, which may refuse to
   * compile large modules synchronously. Await it before `executeProgramJit`, which then uses the
   * cached module.
   */
  async jitCompileAsync(): Promise<JitStats> {
    return jit.compileAsync(this.loadedProgram(), this.runLimits);
  }

  private loadedProgram(): Program {
    const program = this.loaded;
    if (program === undefined) {
      throw new EbpfError(ErrorCode.NO_PROGRAM, 'no program is loaded: pass one to the constructor or call setProgram(prog)');
    }
    return program;
  }
}

/** A VM for programs that take no input: r1 = r2 = 0. */
export class EbpfVmNoData extends EbpfVmBase {
  /** Create the VM, verifying `prog` if given. */
  constructor(prog?: Uint8Array, options?: VmOptions) {
    super(prog, options);
  }

  /** Verify and load a program. */
  setProgram(prog: Uint8Array): void {
    this.load(prog);
  }

  /** Interpret the program; returns r0 as an unsigned 64-bit value. */
  executeProgram(): bigint {
    return this.execute(this.interpreter, undefined, undefined, 'none');
  }

  /** Run the program compiled to WebAssembly (same results and errors as {@link executeProgram}). */
  executeProgramJit(): bigint {
    return this.execute(this.jit, undefined, undefined, 'none');
  }
}

/** A VM for programs that work directly on packet data: r1 = MEM_START, r2 = its length (uBPF's model). */
export class EbpfVmRaw extends EbpfVmBase {
  /** Create the VM, verifying `prog` if given. */
  constructor(prog?: Uint8Array, options?: VmOptions) {
    super(prog, options);
  }

  /** Verify and load a program. */
  setProgram(prog: Uint8Array): void {
    this.load(prog);
  }

  /** Interpret the program on `mem` (stores are copied back into it); returns r0. */
  executeProgram(mem: Uint8Array = new Uint8Array(0)): bigint {
    return this.execute(this.interpreter, mem, undefined, 'mem');
  }

  /** Run the program compiled to WebAssembly on `mem` (same results and errors as {@link executeProgram}). */
  executeProgramJit(mem: Uint8Array = new Uint8Array(0)): bigint {
    return this.execute(this.jit, mem, undefined, 'mem');
  }
}

/**
 * A VM for programs that receive a metadata buffer (r1 = MBUFF_START, r2 = its length) which the host
 * fills with pointers into the packet, mapped at MEM_START: store `MEM_START` and `MEM_START + mem.length`
 * (as little-endian u64 or u32) where the program expects them.
 */
export class EbpfVmMbuff extends EbpfVmBase {
  /** Create the VM, verifying `prog` if given. */
  constructor(prog?: Uint8Array, options?: VmOptions) {
    super(prog, options);
  }

  /** Verify and load a program. */
  setProgram(prog: Uint8Array): void {
    this.load(prog);
  }

  /** Interpret the program on `mem` and `mbuff` (stores into either are copied back); returns r0. */
  executeProgram(mem: Uint8Array, mbuff: Uint8Array): bigint {
    return this.execute(this.interpreter, mem, mbuff, 'mbuff');
  }

  /** Run the program compiled to WebAssembly (same results and errors as {@link executeProgram}). */
  executeProgramJit(mem: Uint8Array, mbuff: Uint8Array): bigint {
    return this.execute(this.jit, mem, mbuff, 'mbuff');
  }
}

/**
 * A VM with an internal metadata buffer: before each run it writes MEM_START and MEM_START + mem.length
 * as little-endian u64 at `dataOffset` and `dataEndOffset`, so kernel-style programs that load packet
 * pointers from their context run on plain packet data. The buffer is `max(offsets) + 8` bytes and keeps
 * the program's other stores between runs.
 */
export class EbpfVmFixedMbuff extends EbpfVmBase {
  private dataOffset: number;
  private dataEndOffset: number;
  private fixed: Uint8Array;
  /** A view of {@link fixed}, made with it (not per run). */
  private fixedView: DataView;

  /** Create the VM, verifying `prog` if given. */
  constructor(prog: Uint8Array | undefined, dataOffset: number, dataEndOffset: number, options?: VmOptions) {
    super(prog, options);
    this.dataOffset = 0;
    this.dataEndOffset = 0;
    this.fixed = new Uint8Array(0);
    this.fixedView = new DataView(this.fixed.buffer);
    this.setOffsets(dataOffset, dataEndOffset);
  }

  private setOffsets(dataOffset: number, dataEndOffset: number): void {
    checkInteger(dataOffset, 'dataOffset', 0, 0xffff);
    checkInteger(dataEndOffset, 'dataEndOffset', 0, 0xffff);
    this.dataOffset = dataOffset;
    this.dataEndOffset = dataEndOffset;
    const size = Math.max(dataOffset, dataEndOffset) + 8;
    if (size !== this.fixed.length) {
      this.fixed = new Uint8Array(size);
      this.fixedView = new DataView(this.fixed.buffer);
    }
  }

  /**
   * Write the packet's pointers into the metadata buffer (again before every run: the program may have
   * overwritten them), as u64 halves: both are below 2^32 + MAX_MEM_SIZE, so no bigint is made.
   */
  private pointTo(mem: Uint8Array): void {
    const view = this.fixedView;
    const end = MEM_START + mem.length;
    view.setUint32(this.dataOffset, MEM_START >>> 0, true);
    view.setUint32(this.dataOffset + 4, Math.floor(MEM_START / 4294967296), true);
    view.setUint32(this.dataEndOffset, end >>> 0, true);
    view.setUint32(this.dataEndOffset + 4, Math.floor(end / 4294967296), true);
  }

  /** Verify and load a program, with the offsets of the packet pointers in the metadata buffer. */
  setProgram(prog: Uint8Array, dataOffset: number, dataEndOffset: number): void {
    this.load(prog);
    this.setOffsets(dataOffset, dataEndOffset);
  }

  /** Interpret the program on `mem` (stores are copied back); returns r0. */
  executeProgram(mem: Uint8Array): bigint {
    this.pointTo(checkBytes(mem, 'mem'));
    return this.execute(this.interpreter, mem, this.fixed, 'mbuff');
  }

  /** Run the program compiled to WebAssembly on `mem` (same results and errors as {@link executeProgram}). */
  executeProgramJit(mem: Uint8Array): bigint {
    this.pointTo(checkBytes(mem, 'mem'));
    return this.execute(this.jit, mem, this.fixed, 'mbuff');
  }
}

/** Whether `buffer` was detached (transferred, or a WebAssembly memory's buffer before it grew). */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}
