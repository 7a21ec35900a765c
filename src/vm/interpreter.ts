/**
 * The interpreter engine. A run starts in the WebAssembly loop (interpreter-core.ts), which runs the
 * same pre-decoded words with i64 registers and hands the run to the JS loop below at anything it does
 * not run (calls, atomics, copy loops, errors); the JS loop gives it back at the next block (see
 * {@link execute}). `new Interpreter({ wasmCore: false })` runs the JS loop alone.
 *
 * The JS loop runs a pre-decoded program (see interpreter-decode: one packed Int32Array per
 * program, cached in `Program.compiled`) with registers kept as signed 32-bit halves in one Int32Array
 * (pooled across runs), so that the hot path never touches `bigint` (only 64-bit divisions by values
 * above 2^32 and helper calls do). The run loop is one `switch` over small integer literals; V8 makes it
 * a jump table. Keep module imports out of the loop's constants: an imported binding read per step
 * is far slower in the optimized loop. A counted copy loop's back edge is one operation (`copy_loop`,
 * see copy-loop.ts) that may copy all but the last of the iterations left at once.
 *
 * Semantics shared with the JIT (results and errors must match):
 * - the budget is charged per basic block on entry ({@link RunLimits.instructionBudget});
 * - a slot that cannot run (unknown opcode, bad register, jump outside the program — taken or not —,
 *   jump into an `lddw`, unresolved pseudo `lddw`, kfunc call) fails with E_BAD_PROGRAM /
 *   E_UNSUPPORTED when it is reached, never earlier; running past the last slot is E_BAD_PROGRAM;
 * - local calls push a frame: r6-r9 and r10 are saved and restored on `exit`, r10 moves down by
 *   `stackSize`; more than `maxCallDepth` frames is E_CALL_DEPTH at the `call`;
 * - helpers get r1-r5 as unsigned `bigint`s; r1-r5 are left unchanged by a call (the kernel clobbers
 *   them, programs must not rely on either);
 * - tail calls (`ctx.tailCall(program)` from a helper) are allowed from any frame: the current
 *   function is replaced by the target program, which runs in the same frame with the same
 *   registers; its `exit` returns to whoever called the replaced function (the program's end at frame
 *   0), as in kernels since 5.10;
 * - LD_ABS / LD_IND read big-endian from the `mem` region at MEM_START; an access outside it ends
 *   the run at once with r0 = 0, as the kernel does.
 *
 * Written for V8's optimizing tier: the 64-bit compares and multiply are written out in their cases
 * (small helpers called from a function this big stay real calls), and slot arithmetic is truncated,
 * `(j + 1) | 0`, so it compiles to a bare add rather than an overflow-checked one. Why, with the
 * measurements and the variants rejected: docs/benchmarks.md, "The interpreter's design decisions,
 * measured".
 * @module
 */
import { checkOptionalBoolean, checkOptions } from '../validate.js';
import { badSlotError, budgetError, callbackEndedError, callDepthError } from './run-errors.js';
import type { Engine, RunOutcome, RunRequest } from './environment.js';
import { invokeFastHelper, invokeHelper, lookupHelper, RunHelperContext, setHalves, setHalvesOfNumber, u64FromHalves } from './helper-call.js';
import { clearStack } from './stack.js';
import { copyLoopBackEdge } from './copy-loop.js';
import { coreFor, type InterpreterCore } from './interpreter-core.js';
import { packetLoad } from './packet-load.js';
import { interpreterCode, steppedCode, type InterpreterCode } from './interpreter-decode.js';
import {
  arsh64,
  bswap32,
  div64,
  lsh64,
  mod64,
  rsh64,
  sdiv64,
  smod64,
} from './interpreter-ops.js';
import { STACK_MARK, type Region, type VmMemory } from './memory.js';
import type { Program } from './program.js';

/** Lower the stack mark to `a`, the virtual address of a stack store (see vm/stack); returns `a`. */
function markStack(dv: DataView, mark: number, a: number): number {
  if (a < dv.getUint32(mark, true)) dv.setUint32(mark, a, true);
  return a;
}

/** The region found by the last slow-path translation (read right after the call). */
let lastRegion: Region | undefined;
/**
 * What the caller may cache of it: the virtual range `[lastStart, lastEnd)` accesses inside need no
 * check (the region, or the one value of an element region the access is in) and linear minus virtual.
 */
let lastStart = 1;
let lastEnd = 0;
let lastBase = 0;

/** Translate `(hi:lo) + off` for an access that missed the cached regions; throws the program's error. */
function translateSlow(memory: VmMemory, lo: number, hi: number, off: number, size: number, store: boolean, pc: number): number {
  const l = (lo >>> 0) + off;
  const ah = l < 0 ? (hi - 1) | 0 : l > 0xffffffff ? (hi + 1) | 0 : hi;
  const al = l | 0;
  const vaddr = al >>> 0;
  const region = ah === 0 ? memory.find(vaddr, size) : undefined;
  if (region === undefined || (store && !region.writable)) {
    const probe = store ? undefined : memory.faultingLoad(al, ah, size);
    if (probe !== undefined) {
      // A faulting load of a BTF-pointer run: its value, with nothing cached (the next access misses).
      lastStart = 1;
      lastEnd = 0;
      lastBase = 0;
      return probe;
    }
    throw memory.accessError(al, ah, size, store, pc, region);
  }
  lastRegion = region;
  lastBase = region.offset - region.vaddr;
  if (region.stride === 0) {
    lastStart = region.vaddr;
    lastEnd = region.vaddr + region.size;
  } else {
    lastStart = vaddr - ((vaddr - region.vaddr) % region.stride);
    lastEnd = lastStart + region.elementSize;
  }
  return region.offset + (vaddr - region.vaddr);
}





/** Atomic read-modify-write at linear offset `p`; `kind` indexes add, or, and, xor (×fetch), xchg, cmpxchg. */
function atomic(dv: DataView, p: number, wide: boolean, kind: number, r: Int32Array, s: number): void {
  const ol = dv.getInt32(p, true);
  const oh = wide ? dv.getInt32(p + 4, true) : 0;
  const bl = r[s]!;
  const bh = wide ? r[s + 1]! : 0;
  let nl = 0;
  let nh = 0;
  switch (kind & 3) {
    case 0: {
      const l = (ol >>> 0) + (bl >>> 0);
      nl = l | 0;
      nh = (oh + bh + (l > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case 1:
      nl = ol | bl;
      nh = oh | bh;
      break;
    case 2:
      nl = ol & bl;
      nh = oh & bh;
      break;
    default:
      nl = ol ^ bl;
      nh = oh ^ bh;
  }
  if (kind === 8) {
    nl = bl;
    nh = bh;
  }
  if (kind === 9) {
    // cmpxchg: compare with r0 (its low word for the 32-bit form), old value always into r0.
    const eq = wide ? r[0] === ol && r[1] === oh : r[0] === ol;
    r[0] = ol;
    r[1] = oh;
    if (!eq) return;
    nl = bl;
    nh = bh;
  } else if (kind >= 4) {
    r[s] = ol;
    r[s + 1] = oh;
  }
  dv.setInt32(p, nl, true);
  if (wide) dv.setInt32(p + 4, nh, true);
}

let atomicBuffer: ArrayBufferLike | undefined;
let atomic32: Int32Array<ArrayBufferLike> = new Int32Array(0);
let atomic64: BigInt64Array<ArrayBufferLike> = new BigInt64Array(0);

/**
 * {@link atomic} on a shared memory with the host's atomics (`p` aligned to the access size; a misaligned
 * atomic, which the kernel's verifier refuses, is the plain read-modify-write of {@link atomic}).
 */
function sharedAtomic(buffer: ArrayBufferLike, p: number, wide: boolean, kind: number, r: Int32Array, s: number): void {
  if (buffer !== atomicBuffer) {
    atomicBuffer = buffer;
    atomic32 = new Int32Array(buffer);
    atomic64 = new BigInt64Array(buffer, 0, buffer.byteLength >>> 3);
  }
  if (!wide) {
    const i = p >>> 2;
    const b = r[s]!;
    let old: number;
    switch (kind) {
      case 0: case 4: old = Atomics.add(atomic32, i, b); break;
      case 1: case 5: old = Atomics.or(atomic32, i, b); break;
      case 2: case 6: old = Atomics.and(atomic32, i, b); break;
      case 3: case 7: old = Atomics.xor(atomic32, i, b); break;
      case 8: old = Atomics.exchange(atomic32, i, b); break;
      default: old = Atomics.compareExchange(atomic32, i, r[0]!, b);
    }
    if (kind === 9) {
      r[0] = old;
      r[1] = 0;
    } else if (kind >= 4) {
      r[s] = old;
      r[s + 1] = 0;
    }
    return;
  }
  const i = p >>> 3;
  const b = BigInt.asIntN(64, (BigInt(r[s + 1]!) << 32n) | BigInt(r[s]! >>> 0));
  let old: bigint;
  switch (kind) {
    case 0: case 4: old = Atomics.add(atomic64, i, b); break;
    case 1: case 5: old = Atomics.or(atomic64, i, b); break;
    case 2: case 6: old = Atomics.and(atomic64, i, b); break;
    case 3: case 7: old = Atomics.xor(atomic64, i, b); break;
    case 8: old = Atomics.exchange(atomic64, i, b); break;
    default: old = Atomics.compareExchange(atomic64, i, BigInt.asIntN(64, (BigInt(r[1]!) << 32n) | BigInt(r[0]! >>> 0)), b);
  }
  const at = kind === 9 ? 0 : kind >= 4 ? s : -1;
  if (at >= 0) {
    r[at] = Number(BigInt.asIntN(32, old));
    r[at + 1] = Number(old >> 32n);
  }
}

/** Frame record layout in the frame stack: return pc, r6-r9 (lo, hi), r10 (lo, hi). */
const FRAME_WORDS = 11;

/** Options of {@link Interpreter}. */
export interface InterpreterOptions {
  /**
   * Run in the WebAssembly run loop where it can (see interpreter-core.ts), handing the rest to the JS
   * loop (default true). False: the JS loop runs everything (results and errors are the same).
   */
  readonly wasmCore?: boolean;
}

/** The interpreter {@link Engine}. Stateless: one instance can run any number of programs. */
export class Interpreter implements Engine {
  /** Engine name, the key of its entry in `Program.compiled`. */
  readonly name = 'interpreter';
  private readonly core: boolean;

  constructor(options?: InterpreterOptions) {
    this.core = checkOptionalBoolean(checkOptions(options, 'options').wasmCore, 'options.wasmCore') ?? true;
  }

  run(request: RunRequest): bigint {
    const h = entryHalves(request);
    return execute(request, h[0]!, h[1]!, h[2]!, h[3]!, this.core);
  }

  /** Run as {@link run} does, writing r0's halves and the instructions charged into `outcome` (see {@link Engine.runInto}). */
  runInto(request: RunRequest, outcome: RunOutcome): void {
    const h = entryHalves(request);
    const r0 = execute(request, h[0]!, h[1]!, h[2]!, h[3]!, this.core);
    setHalves(halves, 0, r0);
    outcome.r0Low = halves[0]!;
    outcome.r0High = halves[1]!;
    outcome.instructions = runUsed;
  }

  /**
   * A function running `request` (see {@link Engine.prepare}): r1 and r2 are split into 32-bit halves
   * once (two `Number(bigint)` conversions cost as much as a short program's run).
   */
  prepare(request: RunRequest): () => bigint {
    const h = entryHalves(request);
    const [r1Low, r1High, r2Low, r2High] = [h[0]!, h[1]!, h[2]!, h[3]!];
    const core = this.core;
    return () => execute(request, r1Low, r1High, r2Low, r2High, core);
  }
}

/**
 * A register file and frame stack kept for the next run: allocating typed arrays costs more than a short
 * run. A run takes them (a nested run — a helper running a program — allocates its own) and gives them back.
 */
let spareRegisters: Int32Array | undefined;
let spareFrames: Int32Array | undefined;

/** Where {@link entryHalves} writes: read at once by its caller, so nested runs cannot clash. */
const halves = new Int32Array(4);

/** A request's r1 and r2 as int32 halves: r1 low, r1 high, r2 low, r2 high. */
function entryHalves(request: RunRequest): Int32Array {
  setHalves(halves, 0, request.r1);
  setHalves(halves, 2, request.r2);
  return halves;
}

/**
 * A run of `req` with r1 and r2 given as their 32-bit halves: in the WebAssembly core first when `useCore`
 * and there is one, then (if the core handed it back, or without a core) in the JS loop.
 */
function execute(req: RunRequest, r1Low: number, r1High: number, r2Low: number, r2High: number, useCore: boolean): bigint {
  const stack = clearStack(req);
  const budget = req.limits.instructionBudget;
  const code = useCore ? interpreterCode(req.program) : undefined;
  const stats = code !== undefined ? coreStatsOf(code) : undefined;
  let core = stats !== undefined && !stats.jsOnly ? coreFor(req.memory) : undefined;
  const words = core?.wordsOf(code!);
  let status = -1;
  if (core !== undefined && words !== undefined) {
    status = core.run(words, budget, r1Low, r1High, r2Low, r2High, req.stackTop | 0, stack);
    if (status < 0) {
      runUsed = core.used();
      return u64FromHalves(core.r0Low(), core.r0High());
    }
    stats!.handOver(core.used());
  } else core = undefined;
  let r = spareRegisters;
  spareRegisters = undefined;
  if (r === undefined) r = new Int32Array(32);
  const frameWords = Math.max(req.limits.maxCallDepth, 1) * FRAME_WORDS;
  let frames = spareFrames;
  spareFrames = undefined;
  if (frames === undefined || frames.length < frameWords) frames = new Int32Array(frameWords);
  try {
    if (core === undefined) {
      // r0 and r3-r9 (r1, r2 and r10 are set below; r11-r15 are never written). Unrolled: V8 checks the
      // array's length on every store of a loop here, which costs more than the stores.
      r[0] = r[1] = r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = r[12] = r[13] = 0;
      r[14] = r[15] = r[16] = r[17] = r[18] = r[19] = r[21] = 0;
      r[2] = r1Low;
      r[3] = r1High;
      r[4] = r2Low;
      r[5] = r2High;
      r[20] = req.stackTop | 0;
      return runLoop(req, r, frames, stack, 0, 0, false, undefined);
    }
    // The core handed the run over at `status`: the JS loop runs from there and gives it back at the next
    // block it reaches in the entry program's outermost frame, until one of the two finishes it. A
    // hand-over costs about as much as a few hundred instructions, so after MAX_GIVE_BACKS of them (a helper
    // call in a loop) the JS loop keeps the run.
    let used = core.used();
    core.copyRegisters(r);
    for (let given = 0; ; given++) {
      const r0 = runLoop(req, r, frames, stack, status, used, given < MAX_GIVE_BACKS, undefined);
      if (r0 !== GIVEN_BACK) return r0;
      status = core.resume(words!, budget, stack, givenBack, givenBackUsed, r);
      const after = core.used();
      if (status < 0) {
        stats!.ran(after - givenBackUsed);
        runUsed = after;
        return u64FromHalves(core.r0Low(), core.r0High());
      }
      stats!.handOver(after - givenBackUsed);
      used = after;
      core.copyRegisters(r);
    }
  } finally {
    spareRegisters = r;
    spareFrames = frames;
  }
}

/**
 * The helper context of an interpreter run, which runs callbacks (HelperContext.callFunction) in a
 * nested run loop: in the frame below the caller's (r10 and the frame limit as a local call would have
 * them), from the budget the run has left, the instructions it ran charged to the caller's run.
 */
/** Thrown by a callback's run loop where the run would end (see callbackEndedError); InterpreterContext.run reports it. */
const CALLBACK_ENDED = Symbol('callback ended the run');

class InterpreterContext extends RunHelperContext {
  /** The caller's frame depth and the instructions its run charged, set before each helper call. */
  depth = 0;
  used = 0;
  /** Instructions callbacks ran during the current helper call, for the caller to charge. */
  spent = 0;
  /** Registers of callback runs, by depth (made once: bpf_loop may call back millions of times). */
  private readonly registers: Int32Array[] = [];

  constructor(
    req: RunRequest,
    /** The run's frames: a callback's run saves its own below its caller's. */
    private readonly frames: Int32Array,
    private readonly stack: Region | undefined,
    private readonly observe: StepObserver | undefined,
  ) {
    super(req);
    this.callBack = (slot, r1, r2, r3, r4, r5) => this.run(slot, r1, r2, r3, r4, r5);
  }

  private run(slot: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
    const req = this.request;
    const limits = req.limits;
    const depth = this.depth + 1;
    if (depth >= limits.maxCallDepth) throw callDepthError(limits.maxCallDepth, this.pc);
    const sub = this.program === req.program ? req : { ...req, program: this.program };
    let r = this.registers[depth];
    if (r === undefined) this.registers[depth] = r = new Int32Array(32);
    r.fill(0);
    setHalves(r, 2, r1);
    setHalves(r, 4, r2);
    setHalves(r, 6, r3);
    setHalves(r, 8, r4);
    setHalves(r, 10, r5);
    r[20] = (req.stackTop - depth * limits.stackSize) | 0;
    const before = this.used;
    let r0: bigint;
    try {
      r0 = runLoop(sub, r, this.frames, this.stack, slot * 4, before, false, this.observe, depth);
    } catch (e) {
      if (e === CALLBACK_ENDED) throw callbackEndedError(this.pc);
      throw e;
    }
    const ran = runUsed - before;
    this.used += ran;
    this.spent += ran;
    return r0;
  }
}

/**
 * Watches a stepped run ({@link runStepped}): the debugging engines (the tracer, `tsbpf debug`) build on
 * it, so that the instruction set's semantics stay in the interpreter's run loop alone.
 */
export interface StepObserver {
  /**
   * Called before slot `pc` of `program` runs, at call depth `depth`, after its block (when it starts
   * one) was charged to the budget. `registers` are the live r0-r15 as int32 halves (`[2k]` low,
   * `[2k + 1]` high); read them, do not keep or change them. `over`: that charge went past the budget,
   * and the run ends with the budget error right after this call. The observer may throw to end the run.
   */
  step(program: Program, pc: number, depth: number, registers: Int32Array, over: boolean): void;
}

/**
 * Run `req` in the interpreter's JS loop one instruction at a time, calling `observer` before each
 * instruction (stepped code: no superinstructions, no copy loops, no WebAssembly core). Results, errors
 * and the instructions charged are the interpreter's. Returns r0; {@link lastRunInstructions} gives the count.
 */
export function runStepped(req: RunRequest, observer: StepObserver): bigint {
  const h = entryHalves(req);
  const [r1Low, r1High, r2Low, r2High] = [h[0]!, h[1]!, h[2]!, h[3]!];
  const stack = clearStack(req);
  const r = new Int32Array(32);
  r[2] = r1Low;
  r[3] = r1High;
  r[4] = r2Low;
  r[5] = r2High;
  r[20] = req.stackTop | 0;
  const frames = new Int32Array(Math.max(req.limits.maxCallDepth, 1) * FRAME_WORDS);
  return runLoop(req, r, frames, stack, 0, 0, false, observer);
}

/** Instructions charged to the interpreter run that returned last (stepped or not). */
export function lastRunInstructions(): number {
  return runUsed;
}

/**
 * How a program fares in the core: a hand-over to the JS loop and back costs about as much as a few
 * hundred instructions run in JS, so a program that hands over after fewer than MIN_CORE_RUN instructions
 * on average (a short program calling helpers, say) runs in the JS loop alone once that is clear.
 */
class CoreStats {
  private handOvers = 0;
  private instructions = 0;
  /** Set once the core does not pay for this program. */
  jsOnly = false;

  /** The core handed a run over after `instructions` (charged since it started or resumed it). */
  handOver(instructions: number): void {
    this.handOvers++;
    this.ran(instructions);
  }

  /** The core ran `instructions` of a run it was given back. */
  ran(instructions: number): void {
    this.instructions += instructions;
    if (this.handOvers >= 16 && this.instructions < this.handOvers * MIN_CORE_RUN) this.jsOnly = true;
  }
}

/** Instructions the core must run per hand-over, on average, for a program to keep using it. */
const MIN_CORE_RUN = 400;

const coreStats = new WeakMap<InterpreterCode, CoreStats>();
let lastStatsCode: InterpreterCode | undefined;
let lastStats: CoreStats | undefined;

function coreStatsOf(code: InterpreterCode): CoreStats {
  if (code === lastStatsCode) return lastStats!;
  let stats = coreStats.get(code);
  if (stats === undefined) {
    stats = new CoreStats();
    coreStats.set(code, stats);
  }
  lastStatsCode = code;
  lastStats = stats;
  return stats;
}

/** How many times one run goes back from the JS loop to the core at most (see {@link execute}). */
const MAX_GIVE_BACKS = 2;

/** What {@link runLoop} returns when it gives a run back to the core (a result is never negative). */
const GIVEN_BACK = -1n;
/** Where the JS loop gave a run back: the block's word index, and the budget used before it. */
let givenBack = 0;
let givenBackUsed = 0;
/** Instructions charged to the run that returned last (read at once by {@link Interpreter.runInto}). */
let runUsed = 0;

/**
 * The run loop. `r` holds the registers as lo/hi pairs (`r[2k]`, `r[2k + 1]`; 16 registers: every
 * encodable number, not all valid), already set up for entry; `frames` has room for every frame;
 * `stack` is the run's stack region when it is one writable region (what clearStack returned), else
 * stack accesses take the checked path like any other.
 */
function runLoop(
  req: RunRequest,
  r: Int32Array,
  frames: Int32Array,
  stack: Region | undefined,
  startPc: number,
  startUsed: number,
  giveBack: boolean,
  observe: StepObserver | undefined,
  depth0 = 0,
): bigint {
  const memory = req.memory;
  const limits = req.limits;
  const helpers = req.helpers;
  // `used` counts from 0 in this loop (a run handed over from the core has `startUsed` spent before):
  // started from a parameter, V8 no longer kept it (and `pc`) a small integer, and the loop ran 30% slower.
  const left = limits.instructionBudget - startUsed;
  // The budget the hot path compares with: 0 while the run may go back to the core, so that the next
  // block's charge takes the (cold) branch that decides it; a test of its own on every block charge
  // made the loop 25% slower.
  // A stepped run keeps it at 0 for good: every slot of its stepped code takes that branch.
  let budget = giveBack || observe !== undefined ? 0 : left;
  const maxDepth = limits.maxCallDepth;
  const stackSize = limits.stackSize;
  // Created on the first helper call and first local call: most short runs need neither.
  let ctx: InterpreterContext | undefined;

  let code = observe === undefined ? interpreterCode(req.program) : steppedCode(req.program);
  let words = code.words;
  const entryCode = code;

  let frameCode: InterpreterCode[] | undefined;
  // A callback's run starts in the frame below its caller's (InterpreterContext), and ends at its exit.
  let depth = depth0;

  let dv = memory.view;
  // Where this memory keeps its stack mark (see vm/stack).
  const mk = memory.scratch + STACK_MARK;
  // A shared memory (worker threads): atomics are the host's atomics.
  const shared = memory.shared;
  // Region caches as [start, end) virtual ranges and base = linear offset - vaddr: the stack (fixed for
  // the run), the last region loaded from, the last writable region stored to.
  const sS = stack === undefined ? 1 : stack.vaddr;
  const sE = stack === undefined ? 0 : stack.vaddr + stack.size;
  const sB = stack === undefined ? 0 : stack.offset - stack.vaddr;
  let rS = 1;
  let rE = 0;
  let rB = 0;
  let wS = 1;
  let wE = 0;
  let wB = 0;

  let used = 0;
  // `pc` counts words (slot × SLOT_WORDS), like the pre-decoded jump targets, to save a shift per step.
  let pc = startPc | 0;
  for (;;) {
    const j = pc;
    pc = (pc + 4) | 0;
    const w = words[j]!;
    const cost = w >>> 19;
    if (cost !== 0) {
      used += cost === 0x1fff ? words[(j + 3) | 0]! : cost;
      if (used > budget) {
        if (observe !== undefined) {
          // A stepped run: the observer sees every instruction before it runs.
          observe.step(code.program, j >> 2, depth, r, used > left);
          if (used > left) throw budgetError(limits.instructionBudget, j >> 2);
        } else {
          if (used > left) throw budgetError(limits.instructionBudget, j >> 2);
          // A run the core handed over goes back to it at a block of the entry program's outermost frame
          // (the core runs no frames and knows only that program's words), never at the slot it came back
          // at, and not after a tail call (the helper context counts them for the whole run). The core
          // charges the block itself: give its cost back.
          const tailed = code !== entryCode || (ctx !== undefined && ctx.tailCalls !== 0);
          if (depth === 0 && j !== startPc && !tailed) {
            givenBack = j;
            givenBackUsed = used - (cost === 0x1fff ? words[(j + 3) | 0]! : cost) + startUsed;
            return GIVEN_BACK;
          }
          // Not here: after a tail call never again; inside a frame, once it returns (see `exit`).
          if (tailed || depth > 0) budget = left;
        }
      }
    }
    const i = j >> 2;
    const op = w & 0x1ff;
    const d = (w >> 9) & 31;
    const s = (w >> 14) & 31;
    switch (op) {
      case 0: // bad
      case 2: // unsupported
        throw badSlotError(code.slots, i);
      case 1: { // lddw
        r[d] = words[(j + 1) | 0]!;
        r[d + 1] = words[(j + 2) | 0]!;
        pc = (pc + 4) | 0;
        break;
      }
      case 3: { // exit
        if (depth === depth0) {
          runUsed = startUsed + used;
          return u64FromHalves(r[0]!, r[1]!);
        }
        depth--;
        if (depth === 0 && giveBack) budget = 0; // back in the outermost frame: the run may go back to the core
        const f = depth * FRAME_WORDS;
        pc = frames[f]!;
        r[12] = frames[f + 1]!;
        r[13] = frames[f + 2]!;
        r[14] = frames[f + 3]!;
        r[15] = frames[f + 4]!;
        r[16] = frames[f + 5]!;
        r[17] = frames[f + 6]!;
        r[18] = frames[f + 7]!;
        r[19] = frames[f + 8]!;
        r[20] = frames[f + 9]!;
        r[21] = frames[f + 10]!;
        const back = frameCode![depth]!;
        if (back !== code) {
          code = back;
          words = code.words;
        }
        break;
      }
      case 4: // ja
        pc = words[(j + 2) | 0]!;
        break;
      case 5: // call_helper
      case 6: { // callx
        const entry =
          op === 5 ? lookupHelper(helpers, words[(j + 1) | 0]! >>> 0, i) : lookupHelper(helpers, u64FromHalves(r[d]!, r[d + 1]!), i);
        ctx ??= new InterpreterContext(req, frames, stack, observe);
        ctx.pc = i;
        // For callbacks (InterpreterContext.run): the frame they go below and the budget spent so far.
        ctx.depth = depth;
        ctx.used = startUsed + used;
        const fast = entry.fast;
        if (fast !== undefined) {
          // No bigints: r1-r5 are read as halves where they are (r[2]..r[11]).
          const v = invokeFastHelper(entry, fast, r, 2, ctx);
          if (v === 0 && entry.unwindOnZero) {
            if (depth0 !== 0) throw CALLBACK_ENDED;
            runUsed = startUsed + used;
            return 0n;
          }
          setHalvesOfNumber(r, 0, v);
        } else {
          const ret = invokeHelper(
            entry,
            u64FromHalves(r[2]!, r[3]!),
            u64FromHalves(r[4]!, r[5]!),
            u64FromHalves(r[6]!, r[7]!),
            u64FromHalves(r[8]!, r[9]!),
            u64FromHalves(r[10]!, r[11]!),
            ctx,
          );
          if (ret === 0n && entry.unwindOnZero) {
            if (depth0 !== 0) throw CALLBACK_ENDED;
            runUsed = startUsed + used;
            return 0n;
          }
          setHalves(r, 0, ret);
        }
        // Instructions the helper's callbacks ran (charged like the program's own).
        if (ctx.spent !== 0) {
          used += ctx.spent;
          ctx.spent = 0;
        }
        // A helper may have grown the memory or mapped regions: drop cached views and regions.
        dv = memory.view;
        rS = wS = 1;
        rE = wE = 0;
        const tail = ctx.pendingTail;
        if (tail !== undefined) {
          if (depth0 !== 0) throw CALLBACK_ENDED;
          ctx.pendingTail = undefined;
          code = observe === undefined ? interpreterCode(tail) : steppedCode(tail);
          words = code.words;
          pc = 0;
        }
        break;
      }
      case 7: { // call_local
        if (depth + 1 >= maxDepth) throw callDepthError(maxDepth, i);
        const f = depth * FRAME_WORDS;
        frames[f] = pc;
        frames[f + 1] = r[12]!;
        frames[f + 2] = r[13]!;
        frames[f + 3] = r[14]!;
        frames[f + 4] = r[15]!;
        frames[f + 5] = r[16]!;
        frames[f + 6] = r[17]!;
        frames[f + 7] = r[18]!;
        frames[f + 8] = r[19]!;
        frames[f + 9] = r[20]!;
        frames[f + 10] = r[21]!;
        frameCode ??= [];
        frameCode[depth] = code;
        depth++;
        r[20] = (req.stackTop - depth * stackSize) | 0;
        r[21] = 0;
        pc = words[(j + 2) | 0]!;
        break;
      }

      // ---- ALU64, immediate operand (sign-extended to 64 bits) ----
      case 10: { // add64_k
        // Carry and borrow from unsigned compares of int32 words: no float arithmetic.
        const k = words[(j + 1) | 0]!;
        const a = r[d]!;
        const l = (a + k) | 0;
        r[d + 1] = (r[d + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
        r[d] = l;
        break;
      }
      case 11: { // sub64_k
        const k = words[(j + 1) | 0]!;
        const a = r[d]!;
        r[d + 1] = (r[d + 1]! - (k >> 31) - (a >>> 0 < k >>> 0 ? 1 : 0)) | 0;
        r[d] = (a - k) | 0;
        break;
      }
      case 13: { // div64_k
        const k = words[(j + 1) | 0]!;
        div64(r, d, k, k >> 31);
        break;
      }
      case 14: { // sdiv64_k
        const k = words[(j + 1) | 0]!;
        sdiv64(r, d, k, k >> 31);
        break;
      }
      case 15: { // or64_k
        const k = words[(j + 1) | 0]!;
        r[d] = r[d]! | k;
        r[d + 1] = r[d + 1]! | (k >> 31);
        break;
      }
      case 16: { // and64_k
        const k = words[(j + 1) | 0]!;
        r[d] = r[d]! & k;
        r[d + 1] = r[d + 1]! & (k >> 31);
        break;
      }
      case 17: // lsh64_k
        lsh64(r, d, words[(j + 1) | 0]!);
        break;
      case 18: // rsh64_k
        rsh64(r, d, words[(j + 1) | 0]!);
        break;
      case 19: { // mod64_k
        const k = words[(j + 1) | 0]!;
        mod64(r, d, k, k >> 31);
        break;
      }
      case 20: { // smod64_k
        const k = words[(j + 1) | 0]!;
        smod64(r, d, k, k >> 31);
        break;
      }
      case 21: { // xor64_k
        const k = words[(j + 1) | 0]!;
        r[d] = r[d]! ^ k;
        r[d + 1] = r[d + 1]! ^ (k >> 31);
        break;
      }
      case 22: { // mov64_k
        const k = words[(j + 1) | 0]!;
        r[d] = k;
        r[d + 1] = k >> 31;
        break;
      }
      case 23: // arsh64_k
        arsh64(r, d, words[(j + 1) | 0]!);
        break;

      // ---- ALU64, register operand ----
      case 24: { // add64_x
        const a = r[d]!;
        const l = (a + r[s]!) | 0;
        r[d + 1] = (r[d + 1]! + r[s + 1]! + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
        r[d] = l;
        break;
      }
      case 25: { // sub64_x
        const a = r[d]!;
        const b = r[s]!;
        r[d + 1] = (r[d + 1]! - r[s + 1]! - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
        r[d] = (a - b) | 0;
        break;
      }
      case 12: // mul64_k
      case 26: { // mul64_x
        // Written out here rather than called: in a function this big V8 runs out of its cumulative
        // inlining budget and would call it. One body for both forms (the slot's op is 26, or a superinstruction's
        // number in a fused mul64_x, never 12: fused copies take the register form; `op` itself is narrowed
        // by the switch). The high word of the low words'
        // unsigned product comes from 16-bit limbs whose partial sums stay below 2^32 (Hacker's Delight
        // `mulhu`): a float division by 65536 and `Math.floor` cost a quarter of a multiply-heavy loop.
        const imm = (w & 0x1ff) === 12;
        const bl = imm ? words[(j + 1) | 0]! : r[s]!;
        const bh = imm ? bl >> 31 : r[s + 1]!;
        const al = r[d]!;
        const a0 = al & 0xffff;
        const a1 = al >>> 16;
        const b0 = bl & 0xffff;
        const b1 = bl >>> 16;
        const t = a1 * b0 + ((a0 * b0) >>> 16);
        const u = a0 * b1 + (t & 0xffff);
        r[d + 1] = (a1 * b1 + (t >>> 16) + (u >>> 16) + Math.imul(al, bh) + Math.imul(r[d + 1]!, bl)) | 0;
        r[d] = Math.imul(al, bl);
        break;
      }
      case 27: { // div64_x
        div64(r, d, r[s]!, r[s + 1]!);
        break;
      }
      case 28: { // sdiv64_x
        sdiv64(r, d, r[s]!, r[s + 1]!);
        break;
      }
      case 29: { // or64_x
        r[d] = r[d]! | r[s]!;
        r[d + 1] = r[d + 1]! | r[s + 1]!;
        break;
      }
      case 30: { // and64_x
        r[d] = r[d]! & r[s]!;
        r[d + 1] = r[d + 1]! & r[s + 1]!;
        break;
      }
      case 31: // lsh64_x
        lsh64(r, d, r[s]!);
        break;
      case 32: // rsh64_x
        rsh64(r, d, r[s]!);
        break;
      case 33: { // mod64_x
        mod64(r, d, r[s]!, r[s + 1]!);
        break;
      }
      case 34: { // smod64_x
        smod64(r, d, r[s]!, r[s + 1]!);
        break;
      }
      case 35: { // xor64_x
        r[d] = r[d]! ^ r[s]!;
        r[d + 1] = r[d + 1]! ^ r[s + 1]!;
        break;
      }
      case 36: { // mov64_x
        r[d] = r[s]!;
        r[d + 1] = r[s + 1]!;
        break;
      }
      case 37: // arsh64_x
        arsh64(r, d, r[s]!);
        break;

      // ---- ALU32, immediate operand (results zero-extended) ----
      case 38: { // add32_k
        r[d] = (r[d]! + words[(j + 1) | 0]!) | 0;
        r[d + 1] = 0;
        break;
      }
      case 39: { // sub32_k
        r[d] = (r[d]! - words[(j + 1) | 0]!) | 0;
        r[d + 1] = 0;
        break;
      }
      case 40: { // mul32_k
        r[d] = Math.imul(r[d]!, words[(j + 1) | 0]!);
        r[d + 1] = 0;
        break;
      }
      case 41: { // div32_k
        const b = words[(j + 1) | 0]! >>> 0;
        r[d] = b === 0 ? 0 : ((r[d]! >>> 0) / b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 42: { // sdiv32_k
        const b = words[(j + 1) | 0]!;
        r[d] = b === 0 ? 0 : (r[d]! / b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 43: { // or32_k
        r[d] = r[d]! | words[(j + 1) | 0]!;
        r[d + 1] = 0;
        break;
      }
      case 44: { // and32_k
        r[d] = r[d]! & words[(j + 1) | 0]!;
        r[d + 1] = 0;
        break;
      }
      case 45: { // lsh32_k
        r[d] = r[d]! << words[(j + 1) | 0]!;
        r[d + 1] = 0;
        break;
      }
      case 46: { // rsh32_k
        r[d] = r[d]! >>> words[(j + 1) | 0]!;
        r[d + 1] = 0;
        break;
      }
      case 47: { // mod32_k
        const b = words[(j + 1) | 0]! >>> 0;
        if (b !== 0) r[d] = ((r[d]! >>> 0) % b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 48: { // smod32_k
        const b = words[(j + 1) | 0]!;
        if (b !== 0) r[d] = (r[d]! % b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 49: { // xor32_k
        r[d] = r[d]! ^ words[(j + 1) | 0]!;
        r[d + 1] = 0;
        break;
      }
      case 50: { // mov32_k
        r[d] = words[(j + 1) | 0]!;
        r[d + 1] = 0;
        break;
      }
      case 51: { // arsh32_k
        r[d] = r[d]! >> words[(j + 1) | 0]!;
        r[d + 1] = 0;
        break;
      }

      // ---- ALU32, register operand ----
      case 52: { // add32_x
        r[d] = (r[d]! + r[s]!) | 0;
        r[d + 1] = 0;
        break;
      }
      case 53: { // sub32_x
        r[d] = (r[d]! - r[s]!) | 0;
        r[d + 1] = 0;
        break;
      }
      case 54: { // mul32_x
        r[d] = Math.imul(r[d]!, r[s]!);
        r[d + 1] = 0;
        break;
      }
      case 55: { // div32_x
        const b = r[s]! >>> 0;
        r[d] = b === 0 ? 0 : ((r[d]! >>> 0) / b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 56: { // sdiv32_x
        const b = r[s]!;
        r[d] = b === 0 ? 0 : (r[d]! / b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 57: { // or32_x
        r[d] = r[d]! | r[s]!;
        r[d + 1] = 0;
        break;
      }
      case 58: { // and32_x
        r[d] = r[d]! & r[s]!;
        r[d + 1] = 0;
        break;
      }
      case 59: { // lsh32_x
        r[d] = r[d]! << r[s]!;
        r[d + 1] = 0;
        break;
      }
      case 60: { // rsh32_x
        r[d] = r[d]! >>> r[s]!;
        r[d + 1] = 0;
        break;
      }
      case 61: { // mod32_x
        const b = r[s]! >>> 0;
        if (b !== 0) r[d] = ((r[d]! >>> 0) % b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 62: { // smod32_x
        const b = r[s]!;
        if (b !== 0) r[d] = (r[d]! % b) | 0;
        r[d + 1] = 0;
        break;
      }
      case 63: { // xor32_x
        r[d] = r[d]! ^ r[s]!;
        r[d + 1] = 0;
        break;
      }
      case 64: { // mov32_x
        r[d] = r[s]!;
        r[d + 1] = 0;
        break;
      }
      case 65: { // arsh32_x
        r[d] = r[d]! >> r[s]!;
        r[d + 1] = 0;
        break;
      }

      // ---- neg, movsx, byte order ----
      case 66: { // neg64
        const l = r[d]!;
        r[d] = -l | 0;
        r[d + 1] = (~r[d + 1]! + (l === 0 ? 1 : 0)) | 0;
        break;
      }
      case 67: { // neg32
        r[d] = -r[d]! | 0;
        r[d + 1] = 0;
        break;
      }
      case 68: { // movsx64_8
        const v = (r[s]! << 24) >> 24;
        r[d] = v;
        r[d + 1] = v >> 31;
        break;
      }
      case 69: { // movsx64_16
        const v = (r[s]! << 16) >> 16;
        r[d] = v;
        r[d + 1] = v >> 31;
        break;
      }
      case 70: { // movsx64_32
        const v = r[s]!;
        r[d] = v;
        r[d + 1] = v >> 31;
        break;
      }
      case 71: { // movsx32_8
        r[d] = (r[s]! << 24) >> 24;
        r[d + 1] = 0;
        break;
      }
      case 72: { // movsx32_16
        r[d] = (r[s]! << 16) >> 16;
        r[d + 1] = 0;
        break;
      }
      case 73: { // le16
        r[d] = r[d]! & 0xffff;
        r[d + 1] = 0;
        break;
      }
      case 74: // le32
        r[d + 1] = 0;
        break;
      case 75: // le64
        break;
      case 76: { // be16
        const v = r[d]!;
        r[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
        r[d + 1] = 0;
        break;
      }
      case 77: { // be32
        r[d] = bswap32(r[d]!);
        r[d + 1] = 0;
        break;
      }
      case 78: { // be64
        const t = bswap32(r[d]!);
        r[d] = bswap32(r[d + 1]!);
        r[d + 1] = t;
        break;
      }

      // ---- a counted copy loop's back edge ----
      case 79: { // copy_loop
        // A counted copy loop's back edge (see copy-loop.ts): it may run all but the last of the
        // iterations left at once, and returns -1 when the loop ends.
        const bulk = copyLoopBackEdge(code.copyLoops[words[(j + 1) | 0]!]!, r, memory, used, left);
        if (bulk >= 0) {
          used += bulk;
          pc = words[(j + 2) | 0]!;
        }
        break;
      }

      // ---- JMP (64-bit compares), immediate sign-extended ----
      case 80: { // jeq_k
        const k = words[(j + 1) | 0]!;
        if (r[d] === k && r[d + 1] === k >> 31) pc = words[(j + 2) | 0]!;
        break;
      }
      case 81: { // jgt_k
        const k = words[(j + 1) | 0]!;
        if (r[d + 1]! === k >> 31 ? r[d]! >>> 0 > k >>> 0 : r[d + 1]! >>> 0 > k >> 31 >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 82: { // jge_k
        const k = words[(j + 1) | 0]!;
        if (r[d + 1]! === k >> 31 ? r[d]! >>> 0 >= k >>> 0 : r[d + 1]! >>> 0 > k >> 31 >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 83: { // jset_k
        const k = words[(j + 1) | 0]!;
        if ((r[d]! & k) !== 0 || (r[d + 1]! & (k >> 31)) !== 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 84: { // jne_k
        const k = words[(j + 1) | 0]!;
        if (r[d] !== k || r[d + 1] !== k >> 31) pc = words[(j + 2) | 0]!;
        break;
      }
      case 85: { // jsgt_k
        const k = words[(j + 1) | 0]!;
        if (r[d + 1]! === k >> 31 ? r[d]! >>> 0 > k >>> 0 : r[d + 1]! > k >> 31) pc = words[(j + 2) | 0]!;
        break;
      }
      case 86: { // jsge_k
        const k = words[(j + 1) | 0]!;
        if (r[d + 1]! === k >> 31 ? r[d]! >>> 0 >= k >>> 0 : r[d + 1]! > k >> 31) pc = words[(j + 2) | 0]!;
        break;
      }
      case 87: { // jlt_k
        const k = words[(j + 1) | 0]!;
        if (k >> 31 === r[d + 1]! ? k >>> 0 > r[d]! >>> 0 : k >> 31 >>> 0 > r[d + 1]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 88: { // jle_k
        const k = words[(j + 1) | 0]!;
        if (k >> 31 === r[d + 1]! ? k >>> 0 >= r[d]! >>> 0 : k >> 31 >>> 0 > r[d + 1]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 89: { // jslt_k
        const k = words[(j + 1) | 0]!;
        if (k >> 31 === r[d + 1]! ? k >>> 0 > r[d]! >>> 0 : k >> 31 > r[d + 1]!) pc = words[(j + 2) | 0]!;
        break;
      }
      case 90: { // jsle_k
        const k = words[(j + 1) | 0]!;
        if (k >> 31 === r[d + 1]! ? k >>> 0 >= r[d]! >>> 0 : k >> 31 > r[d + 1]!) pc = words[(j + 2) | 0]!;
        break;
      }

      // ---- JMP (64-bit compares), register ----
      case 91: { // jeq_x
        if (r[d] === r[s] && r[d + 1] === r[s + 1]) pc = words[(j + 2) | 0]!;
        break;
      }
      case 92: { // jgt_x
        if (r[d + 1]! === r[s + 1]! ? r[d]! >>> 0 > r[s]! >>> 0 : r[d + 1]! >>> 0 > r[s + 1]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 93: { // jge_x
        if (r[d + 1]! === r[s + 1]! ? r[d]! >>> 0 >= r[s]! >>> 0 : r[d + 1]! >>> 0 > r[s + 1]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 94: { // jset_x
        if ((r[d]! & r[s]!) !== 0 || (r[d + 1]! & r[s + 1]!) !== 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 95: { // jne_x
        if (r[d] !== r[s] || r[d + 1] !== r[s + 1]) pc = words[(j + 2) | 0]!;
        break;
      }
      case 96: { // jsgt_x
        if (r[d + 1]! === r[s + 1]! ? r[d]! >>> 0 > r[s]! >>> 0 : r[d + 1]! > r[s + 1]!) pc = words[(j + 2) | 0]!;
        break;
      }
      case 97: { // jsge_x
        if (r[d + 1]! === r[s + 1]! ? r[d]! >>> 0 >= r[s]! >>> 0 : r[d + 1]! > r[s + 1]!) pc = words[(j + 2) | 0]!;
        break;
      }
      case 98: { // jlt_x
        if (r[s + 1]! === r[d + 1]! ? r[s]! >>> 0 > r[d]! >>> 0 : r[s + 1]! >>> 0 > r[d + 1]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 99: { // jle_x
        if (r[s + 1]! === r[d + 1]! ? r[s]! >>> 0 >= r[d]! >>> 0 : r[s + 1]! >>> 0 > r[d + 1]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      }
      case 100: { // jslt_x
        if (r[s + 1]! === r[d + 1]! ? r[s]! >>> 0 > r[d]! >>> 0 : r[s + 1]! > r[d + 1]!) pc = words[(j + 2) | 0]!;
        break;
      }
      case 101: { // jsle_x
        if (r[s + 1]! === r[d + 1]! ? r[s]! >>> 0 >= r[d]! >>> 0 : r[s + 1]! > r[d + 1]!) pc = words[(j + 2) | 0]!;
        break;
      }

      // ---- JMP32 (low words), immediate ----
      case 102: // jeq32_k
        if (r[d] === words[(j + 1) | 0]) pc = words[(j + 2) | 0]!;
        break;
      case 103: // jgt32_k
        if (r[d]! >>> 0 > words[(j + 1) | 0]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 104: // jge32_k
        if (r[d]! >>> 0 >= words[(j + 1) | 0]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 105: // jset32_k
        if ((r[d]! & words[(j + 1) | 0]!) !== 0) pc = words[(j + 2) | 0]!;
        break;
      case 106: // jne32_k
        if (r[d] !== words[(j + 1) | 0]) pc = words[(j + 2) | 0]!;
        break;
      case 107: // jsgt32_k
        if (r[d]! > words[(j + 1) | 0]!) pc = words[(j + 2) | 0]!;
        break;
      case 108: // jsge32_k
        if (r[d]! >= words[(j + 1) | 0]!) pc = words[(j + 2) | 0]!;
        break;
      case 109: // jlt32_k
        if (r[d]! >>> 0 < words[(j + 1) | 0]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 110: // jle32_k
        if (r[d]! >>> 0 <= words[(j + 1) | 0]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 111: // jslt32_k
        if (r[d]! < words[(j + 1) | 0]!) pc = words[(j + 2) | 0]!;
        break;
      case 112: // jsle32_k
        if (r[d]! <= words[(j + 1) | 0]!) pc = words[(j + 2) | 0]!;
        break;

      // ---- JMP32 (low words), register ----
      case 113: // jeq32_x
        if (r[d] === r[s]) pc = words[(j + 2) | 0]!;
        break;
      case 114: // jgt32_x
        if (r[d]! >>> 0 > r[s]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 115: // jge32_x
        if (r[d]! >>> 0 >= r[s]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 116: // jset32_x
        if ((r[d]! & r[s]!) !== 0) pc = words[(j + 2) | 0]!;
        break;
      case 117: // jne32_x
        if (r[d] !== r[s]) pc = words[(j + 2) | 0]!;
        break;
      case 118: // jsgt32_x
        if (r[d]! > r[s]!) pc = words[(j + 2) | 0]!;
        break;
      case 119: // jsge32_x
        if (r[d]! >= r[s]!) pc = words[(j + 2) | 0]!;
        break;
      case 120: // jlt32_x
        if (r[d]! >>> 0 < r[s]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 121: // jle32_x
        if (r[d]! >>> 0 <= r[s]! >>> 0) pc = words[(j + 2) | 0]!;
        break;
      case 122: // jslt32_x
        if (r[d]! < r[s]!) pc = words[(j + 2) | 0]!;
        break;
      case 123: // jsle32_x
        if (r[d]! <= r[s]!) pc = words[(j + 2) | 0]!;
        break;

      // ---- loads: address = src + off, checked against the stack and the last region loaded from ----
      case 124: { // ldxb
        const h = r[s + 1]!;
        let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
        else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
        else {
          a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 1, false, i);
          const hit = lastRegion!;
          rS = lastStart;
          rE = lastEnd;
          rB = lastBase;
        }
        {
          r[d] = dv.getUint8(a);
          r[d + 1] = 0;
        }
        break;
      }
      case 125: { // ldxh
        const h = r[s + 1]!;
        let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= rS && a + 2 <= rE) a += rB;
        else if (h === 0 && a >= sS && a + 2 <= sE) a += sB;
        else {
          a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 2, false, i);
          const hit = lastRegion!;
          rS = lastStart;
          rE = lastEnd;
          rB = lastBase;
        }
        {
          r[d] = dv.getUint16(a, true);
          r[d + 1] = 0;
        }
        break;
      }
      case 126: { // ldxw
        const h = r[s + 1]!;
        let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= rS && a + 4 <= rE) a += rB;
        else if (h === 0 && a >= sS && a + 4 <= sE) a += sB;
        else {
          a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 4, false, i);
          const hit = lastRegion!;
          rS = lastStart;
          rE = lastEnd;
          rB = lastBase;
        }
        {
          r[d] = dv.getInt32(a, true);
          r[d + 1] = 0;
        }
        break;
      }
      case 127: { // ldxdw
        const h = r[s + 1]!;
        let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= rS && a + 8 <= rE) a += rB;
        else if (h === 0 && a >= sS && a + 8 <= sE) a += sB;
        else {
          a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 8, false, i);
          const hit = lastRegion!;
          rS = lastStart;
          rE = lastEnd;
          rB = lastBase;
        }
        {
          r[d] = dv.getInt32(a, true);
          r[d + 1] = dv.getInt32(a + 4, true);
        }
        break;
      }
      case 128: { // ldxsb
        const h = r[s + 1]!;
        let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
        else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
        else {
          a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 1, false, i);
          const hit = lastRegion!;
          rS = lastStart;
          rE = lastEnd;
          rB = lastBase;
        }
        {
          const v = dv.getInt8(a);
          r[d] = v;
          r[d + 1] = v >> 31;
        }
        break;
      }
      case 129: { // ldxsh
        const h = r[s + 1]!;
        let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= rS && a + 2 <= rE) a += rB;
        else if (h === 0 && a >= sS && a + 2 <= sE) a += sB;
        else {
          a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 2, false, i);
          const hit = lastRegion!;
          rS = lastStart;
          rE = lastEnd;
          rB = lastBase;
        }
        {
          const v = dv.getInt16(a, true);
          r[d] = v;
          r[d + 1] = v >> 31;
        }
        break;
      }
      case 130: { // ldxsw
        const h = r[s + 1]!;
        let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= rS && a + 4 <= rE) a += rB;
        else if (h === 0 && a >= sS && a + 4 <= sE) a += sB;
        else {
          a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 4, false, i);
          const hit = lastRegion!;
          rS = lastStart;
          rE = lastEnd;
          rB = lastBase;
        }
        {
          const v = dv.getInt32(a, true);
          r[d] = v;
          r[d + 1] = v >> 31;
        }
        break;
      }

      // ---- stores: address = dst + off; value = imm (st) or src (stx) ----
      case 131: { // stb
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 1 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 1 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 1, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          dv.setUint8(a, words[(j + 1) | 0]!);
        }
        break;
      }
      case 132: { // sth
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 2 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 2 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 2, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          dv.setUint16(a, words[(j + 1) | 0]!, true);
        }
        break;
      }
      case 133: { // stw
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 4 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 4 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 4, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          dv.setInt32(a, words[(j + 1) | 0]!, true);
        }
        break;
      }
      case 134: { // stdw
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 8 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 8 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 8, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          const k = words[(j + 1) | 0]!;
          dv.setInt32(a, k, true);
          dv.setInt32(a + 4, k >> 31, true);
        }
        break;
      }
      case 135: { // stxb
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 1 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 1 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 1, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          dv.setUint8(a, r[s]!);
        }
        break;
      }
      case 136: { // stxh
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 2 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 2 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 2, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          dv.setUint16(a, r[s]!, true);
        }
        break;
      }
      case 137: { // stxw
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 4 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 4 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 4, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          dv.setInt32(a, r[s]!, true);
        }
        break;
      }
      case 138: { // stxdw
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + 8 <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + 8 <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, 8, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        {
          dv.setInt32(a, r[s]!, true);
          dv.setInt32(a + 4, r[s + 1]!, true);
        }
        break;
      }

      // ---- atomics (a plain read-modify-write; the host's atomics on a shared memory) ----
      case 139: // atomic32_add
      case 140: // atomic32_or
      case 141: // atomic32_and
      case 142: // atomic32_xor
      case 143: // atomic32_fetch_add
      case 144: // atomic32_fetch_or
      case 145: // atomic32_fetch_and
      case 146: // atomic32_fetch_xor
      case 147: // atomic32_xchg
      case 148: // atomic32_cmpxchg
      case 149: // atomic64_add
      case 150: // atomic64_or
      case 151: // atomic64_and
      case 152: // atomic64_xor
      case 153: // atomic64_fetch_add
      case 154: // atomic64_fetch_or
      case 155: // atomic64_fetch_and
      case 156: // atomic64_fetch_xor
      case 157: // atomic64_xchg
      case 158: { // atomic64_cmpxchg
        const o = op;
        const wide = o >= 149;
        const size = wide ? 8 : 4;
        const h = r[d + 1]!;
        let a = (r[d]! >>> 0) + words[(j + 2) | 0]!;
        if (h === 0 && a >= sS && a + size <= sE) a = markStack(dv, mk, a) + sB;
        else if (h === 0 && a >= wS && a + size <= wE) a += wB;
        else {
          a = translateSlow(memory, r[d]!, h, words[(j + 2) | 0]!, size, true, i);
          const hit = lastRegion!;
          if (hit === stack) markStack(dv, mk, hit.vaddr);
          wS = lastStart;
          wE = lastEnd;
          wB = lastBase;
        }
        if (shared && (a & (size - 1)) === 0) sharedAtomic(memory.wasm.buffer, a, wide, o - (wide ? 149 : 139), r, s);
        else atomic(dv, a, wide, o - (wide ? 149 : 139), r, s);
        break;
      }

      // ---- legacy packet loads ----
      case 159: // ldabsb
      case 160: // ldabsh
      case 161: // ldabsw
      case 162: // ldindb
      case 163: // ldindh
      case 164: { // ldindw
        const o = op;
        const ind = o >= 162;
        const kind = ind ? o - 162 : o - 159;
        const off = ind ? (words[(j + 1) | 0]! + r[s]!) | 0 : words[(j + 1) | 0]!;
        const v = packetLoad(memory, off, kind === 0 ? 1 : kind === 1 ? 2 : 4);
        if (v < 0) {
          if (depth0 !== 0) throw CALLBACK_ENDED;
          runUsed = startUsed + used;
          return 0n;
        }
        r[0] = v | 0;
        r[1] = 0;
        break;
      }
      // ---- superinstructions (generated by bench/gen-fused.ts: do not edit) ----
      case 170: { // mov64_x__add64_x
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = r[s + 1]!;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const a = r[d2]!;
          const l = (a + r[s2]!) | 0;
          r[d2 + 1] = (r[d2 + 1]! + r[s2 + 1]! + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d2] = l;
        }
        break;
      }
      case 171: { // mov64_x__rsh64_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = r[s + 1]!;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          rsh64(r, d2, words[(j + 5) | 0]!);
        }
        break;
      }
      case 172: { // add32_x__ldxh__add32_x
        pc = (pc + 8) | 0;
        {
          r[d] = (r[d]! + r[s]!) | 0;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const h = r[s2 + 1]!;
          let a = (r[s2]! >>> 0) + words[(j + 6) | 0]!;
          if (h === 0 && a >= rS && a + 2 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 2 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s2]!, h, words[(j + 6) | 0]!, 2, false, i + 1);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d2] = dv.getUint16(a, true);
            r[d2 + 1] = 0;
          }
        }
        const w3 = words[(j + 8) | 0]!;
        const d3 = (w3 >> 9) & 31;
        const s3 = (w3 >> 14) & 31;
        {
          r[d3] = (r[d3]! + r[s3]!) | 0;
          r[d3 + 1] = 0;
        }
        break;
      }
      case 173: { // add64_k__jlt_x
        pc = (pc + 4) | 0;
        {
          // Carry and borrow from unsigned compares of int32 words: no float arithmetic.
          const k = words[(j + 1) | 0]!;
          const a = r[d]!;
          const l = (a + k) | 0;
          r[d + 1] = (r[d + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d] = l;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          if (r[s2 + 1]! === r[d2 + 1]! ? r[s2]! >>> 0 > r[d2]! >>> 0 : r[s2 + 1]! >>> 0 > r[d2 + 1]! >>> 0) pc = words[(j + 6) | 0]!;
        }
        break;
      }
      case 174: { // add64_k__mov64_x
        pc = (pc + 4) | 0;
        {
          // Carry and borrow from unsigned compares of int32 words: no float arithmetic.
          const k = words[(j + 1) | 0]!;
          const a = r[d]!;
          const l = (a + k) | 0;
          r[d + 1] = (r[d + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d] = l;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[s2]!;
          r[d2 + 1] = r[s2 + 1]!;
        }
        break;
      }
      case 175: { // add64_k__mov32_x__jlt_x
        pc = (pc + 8) | 0;
        {
          // Carry and borrow from unsigned compares of int32 words: no float arithmetic.
          const k = words[(j + 1) | 0]!;
          const a = r[d]!;
          const l = (a + k) | 0;
          r[d + 1] = (r[d + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d] = l;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[s2]!;
          r[d2 + 1] = 0;
        }
        const w3 = words[(j + 8) | 0]!;
        const d3 = (w3 >> 9) & 31;
        const s3 = (w3 >> 14) & 31;
        {
          if (r[s3 + 1]! === r[d3 + 1]! ? r[s3]! >>> 0 > r[d3]! >>> 0 : r[s3 + 1]! >>> 0 > r[d3 + 1]! >>> 0) pc = words[(j + 10) | 0]!;
        }
        break;
      }
      case 176: { // add32_k__mov32_x
        pc = (pc + 4) | 0;
        {
          r[d] = (r[d]! + words[(j + 1) | 0]!) | 0;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[s2]!;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 177: { // and32_k__neg32__and32_k
        pc = (pc + 8) | 0;
        {
          r[d] = r[d]! & words[(j + 1) | 0]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          r[d2] = -r[d2]! | 0;
          r[d2 + 1] = 0;
        }
        const w3 = words[(j + 8) | 0]!;
        const d3 = (w3 >> 9) & 31;
        {
          r[d3] = r[d3]! & words[(j + 9) | 0]!;
          r[d3 + 1] = 0;
        }
        break;
      }
      case 178: { // ldxb__add32_x__mov32_x
        pc = (pc + 8) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 1, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getUint8(a);
            r[d + 1] = 0;
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = (r[d2]! + r[s2]!) | 0;
          r[d2 + 1] = 0;
        }
        const w3 = words[(j + 8) | 0]!;
        const d3 = (w3 >> 9) & 31;
        const s3 = (w3 >> 14) & 31;
        {
          r[d3] = r[s3]!;
          r[d3 + 1] = 0;
        }
        break;
      }
      case 179: { // mov64_x__lsh64_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = r[s + 1]!;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          lsh64(r, d2, words[(j + 5) | 0]!);
        }
        break;
      }
      case 180: { // lsh64_k__or64_x
        pc = (pc + 4) | 0;
        {
          lsh64(r, d, words[(j + 1) | 0]!);
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[d2]! | r[s2]!;
          r[d2 + 1] = r[d2 + 1]! | r[s2 + 1]!;
        }
        break;
      }
      case 181: { // ldxb__xor64_x__mul64_x
        pc = (pc + 8) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 1, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getUint8(a);
            r[d + 1] = 0;
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[d2]! ^ r[s2]!;
          r[d2 + 1] = r[d2 + 1]! ^ r[s2 + 1]!;
        }
        const w3 = words[(j + 8) | 0]!;
        const d3 = (w3 >> 9) & 31;
        const s3 = (w3 >> 14) & 31;
        {
          const imm = (w & 0x1ff) === 12;
          const bl = imm ? words[(j + 9) | 0]! : r[s3]!;
          const bh = imm ? bl >> 31 : r[s3 + 1]!;
          const al = r[d3]!;
          const a0 = al & 0xffff;
          const a1 = al >>> 16;
          const b0 = bl & 0xffff;
          const b1 = bl >>> 16;
          const t = a1 * b0 + ((a0 * b0) >>> 16);
          const u = a0 * b1 + (t & 0xffff);
          r[d3 + 1] = (a1 * b1 + (t >>> 16) + (u >>> 16) + Math.imul(al, bh) + Math.imul(r[d3 + 1]!, bl)) | 0;
          r[d3] = Math.imul(al, bl);
        }
        break;
      }
      case 182: { // mov64_x__add64_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = r[s + 1]!;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          const k = words[(j + 5) | 0]!;
          const a = r[d2]!;
          const l = (a + k) | 0;
          r[d2 + 1] = (r[d2 + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d2] = l;
        }
        break;
      }
      case 183: { // ldxdw__add64_x
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 8 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 8 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 8, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getInt32(a, true);
            r[d + 1] = dv.getInt32(a + 4, true);
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const a = r[d2]!;
          const l = (a + r[s2]!) | 0;
          r[d2 + 1] = (r[d2 + 1]! + r[s2 + 1]! + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d2] = l;
        }
        break;
      }
      case 184: { // mov32_x__add32_x
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = (r[d2]! + r[s2]!) | 0;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 185: { // ldxw__ldxw
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 4 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 4 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 4, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getInt32(a, true);
            r[d + 1] = 0;
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const h = r[s2 + 1]!;
          let a = (r[s2]! >>> 0) + words[(j + 6) | 0]!;
          if (h === 0 && a >= rS && a + 4 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 4 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s2]!, h, words[(j + 6) | 0]!, 4, false, i + 1);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d2] = dv.getInt32(a, true);
            r[d2 + 1] = 0;
          }
        }
        break;
      }
      case 186: { // xor32_x__rsh32_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[d]! ^ r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          r[d2] = r[d2]! >>> words[(j + 5) | 0]!;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 187: { // ldxdw__jlt_x
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 8 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 8 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 8, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getInt32(a, true);
            r[d + 1] = dv.getInt32(a + 4, true);
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          if (r[s2 + 1]! === r[d2 + 1]! ? r[s2]! >>> 0 > r[d2]! >>> 0 : r[s2 + 1]! >>> 0 > r[d2 + 1]! >>> 0) pc = words[(j + 6) | 0]!;
        }
        break;
      }
      case 188: { // mul64_x__add64_x
        pc = (pc + 4) | 0;
        {
          // Written out here rather than called: in a function this big V8 runs out of its cumulative
          // inlining budget and would call it. One body for both forms (the slot's op is 26, or a superinstruction's
          // number in a fused mul64_x, never 12: fused copies take the register form; `op` itself is narrowed
          // by the switch). The high word of the low words'
          // unsigned product comes from 16-bit limbs whose partial sums stay below 2^32 (Hacker's Delight
          // `mulhu`): a float division by 65536 and `Math.floor` cost a quarter of a multiply-heavy loop.
          const imm = (w & 0x1ff) === 12;
          const bl = imm ? words[(j + 1) | 0]! : r[s]!;
          const bh = imm ? bl >> 31 : r[s + 1]!;
          const al = r[d]!;
          const a0 = al & 0xffff;
          const a1 = al >>> 16;
          const b0 = bl & 0xffff;
          const b1 = bl >>> 16;
          const t = a1 * b0 + ((a0 * b0) >>> 16);
          const u = a0 * b1 + (t & 0xffff);
          r[d + 1] = (a1 * b1 + (t >>> 16) + (u >>> 16) + Math.imul(al, bh) + Math.imul(r[d + 1]!, bl)) | 0;
          r[d] = Math.imul(al, bl);
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const a = r[d2]!;
          const l = (a + r[s2]!) | 0;
          r[d2 + 1] = (r[d2 + 1]! + r[s2 + 1]! + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d2] = l;
        }
        break;
      }
      case 189: { // mov32_x__add32_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          r[d2] = (r[d2]! + words[(j + 5) | 0]!) | 0;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 190: { // mov32_x__rsh32_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          r[d2] = r[d2]! >>> words[(j + 5) | 0]!;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 191: { // mov32_k__jeq32_k
        pc = (pc + 4) | 0;
        {
          r[d] = words[(j + 1) | 0]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          if (r[d2] === words[(j + 5) | 0]) pc = words[(j + 6) | 0]!;
        }
        break;
      }
      case 192: { // mul64_x__mov64_x
        pc = (pc + 4) | 0;
        {
          // Written out here rather than called: in a function this big V8 runs out of its cumulative
          // inlining budget and would call it. One body for both forms (the slot's op is 26, or a superinstruction's
          // number in a fused mul64_x, never 12: fused copies take the register form; `op` itself is narrowed
          // by the switch). The high word of the low words'
          // unsigned product comes from 16-bit limbs whose partial sums stay below 2^32 (Hacker's Delight
          // `mulhu`): a float division by 65536 and `Math.floor` cost a quarter of a multiply-heavy loop.
          const imm = (w & 0x1ff) === 12;
          const bl = imm ? words[(j + 1) | 0]! : r[s]!;
          const bh = imm ? bl >> 31 : r[s + 1]!;
          const al = r[d]!;
          const a0 = al & 0xffff;
          const a1 = al >>> 16;
          const b0 = bl & 0xffff;
          const b1 = bl >>> 16;
          const t = a1 * b0 + ((a0 * b0) >>> 16);
          const u = a0 * b1 + (t & 0xffff);
          r[d + 1] = (a1 * b1 + (t >>> 16) + (u >>> 16) + Math.imul(al, bh) + Math.imul(r[d + 1]!, bl)) | 0;
          r[d] = Math.imul(al, bl);
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[s2]!;
          r[d2 + 1] = r[s2 + 1]!;
        }
        break;
      }
      case 193: { // ldxdw__stxdw
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 8 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 8 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 8, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getInt32(a, true);
            r[d + 1] = dv.getInt32(a + 4, true);
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const h = r[d2 + 1]!;
          let a = (r[d2]! >>> 0) + words[(j + 6) | 0]!;
          if (h === 0 && a >= sS && a + 8 <= sE) a = markStack(dv, mk, a) + sB;
          else if (h === 0 && a >= wS && a + 8 <= wE) a += wB;
          else {
            a = translateSlow(memory, r[d2]!, h, words[(j + 6) | 0]!, 8, true, i + 1);
            const hit = lastRegion!;
            if (hit === stack) markStack(dv, mk, hit.vaddr);
            wS = lastStart;
            wE = lastEnd;
            wB = lastBase;
          }
          {
            dv.setInt32(a, r[s2]!, true);
            dv.setInt32(a + 4, r[s2 + 1]!, true);
          }
        }
        break;
      }
      case 194: { // add64_k__ldxb
        pc = (pc + 4) | 0;
        {
          // Carry and borrow from unsigned compares of int32 words: no float arithmetic.
          const k = words[(j + 1) | 0]!;
          const a = r[d]!;
          const l = (a + k) | 0;
          r[d + 1] = (r[d + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d] = l;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const h = r[s2 + 1]!;
          let a = (r[s2]! >>> 0) + words[(j + 6) | 0]!;
          if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s2]!, h, words[(j + 6) | 0]!, 1, false, i + 1);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d2] = dv.getUint8(a);
            r[d2 + 1] = 0;
          }
        }
        break;
      }
      case 195: { // ldxw__jeq32_k
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 4 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 4 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 4, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getInt32(a, true);
            r[d + 1] = 0;
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          if (r[d2] === words[(j + 5) | 0]) pc = words[(j + 6) | 0]!;
        }
        break;
      }
      case 196: { // lsh64_k__add64_x
        pc = (pc + 4) | 0;
        {
          lsh64(r, d, words[(j + 1) | 0]!);
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const a = r[d2]!;
          const l = (a + r[s2]!) | 0;
          r[d2 + 1] = (r[d2 + 1]! + r[s2 + 1]! + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d2] = l;
        }
        break;
      }
      case 197: { // mov32_x__and32_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          r[d2] = r[d2]! & words[(j + 5) | 0]!;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 198: { // mov32_x__lsh64_k
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          lsh64(r, d2, words[(j + 5) | 0]!);
        }
        break;
      }
      case 199: { // mov32_x__sub32_x
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = (r[d2]! - r[s2]!) | 0;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 200: { // lsh64_k__rsh64_k
        pc = (pc + 4) | 0;
        {
          lsh64(r, d, words[(j + 1) | 0]!);
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          rsh64(r, d2, words[(j + 5) | 0]!);
        }
        break;
      }
      case 201: { // ldxb__lsh32_k
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 1, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getUint8(a);
            r[d + 1] = 0;
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          r[d2] = r[d2]! << words[(j + 5) | 0]!;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 202: { // ldxb__mov64_x
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 1, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getUint8(a);
            r[d + 1] = 0;
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[s2]!;
          r[d2 + 1] = r[s2 + 1]!;
        }
        break;
      }
      case 203: { // ldxdw__mov64_x
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 8 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 8 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 8, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getInt32(a, true);
            r[d + 1] = dv.getInt32(a + 4, true);
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[s2]!;
          r[d2 + 1] = r[s2 + 1]!;
        }
        break;
      }
      case 204: { // mov64_x__div64_x
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = r[s + 1]!;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          div64(r, d2, r[s2]!, r[s2 + 1]!);
        }
        break;
      }
      case 205: { // add64_k__mov32_k
        pc = (pc + 4) | 0;
        {
          // Carry and borrow from unsigned compares of int32 words: no float arithmetic.
          const k = words[(j + 1) | 0]!;
          const a = r[d]!;
          const l = (a + k) | 0;
          r[d + 1] = (r[d + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d] = l;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          r[d2] = words[(j + 5) | 0]!;
          r[d2 + 1] = 0;
        }
        break;
      }
      case 206: { // mov32_x__jne32_x
        pc = (pc + 4) | 0;
        {
          r[d] = r[s]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          if (r[d2] !== r[s2]) pc = words[(j + 6) | 0]!;
        }
        break;
      }
      case 207: { // ldxb__jne32_k
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 1 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 1 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 1, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getUint8(a);
            r[d + 1] = 0;
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          if (r[d2] !== words[(j + 5) | 0]) pc = words[(j + 6) | 0]!;
        }
        break;
      }
      case 208: { // mul32_x__jlt32_x
        pc = (pc + 4) | 0;
        {
          r[d] = Math.imul(r[d]!, r[s]!);
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          if (r[d2]! >>> 0 < r[s2]! >>> 0) pc = words[(j + 6) | 0]!;
        }
        break;
      }
      case 209: { // ldxdw__xor64_x
        pc = (pc + 4) | 0;
        {
          const h = r[s + 1]!;
          let a = (r[s]! >>> 0) + words[(j + 2) | 0]!;
          if (h === 0 && a >= rS && a + 8 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 8 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s]!, h, words[(j + 2) | 0]!, 8, false, i);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d] = dv.getInt32(a, true);
            r[d + 1] = dv.getInt32(a + 4, true);
          }
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[d2]! ^ r[s2]!;
          r[d2 + 1] = r[d2 + 1]! ^ r[s2 + 1]!;
        }
        break;
      }
      case 210: { // div32_x__mul32_x
        pc = (pc + 4) | 0;
        {
          const b = r[s]! >>> 0;
          r[d] = b === 0 ? 0 : ((r[d]! >>> 0) / b) | 0;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = Math.imul(r[d2]!, r[s2]!);
          r[d2 + 1] = 0;
        }
        break;
      }
      case 211: { // add64_k__add64_k
        pc = (pc + 4) | 0;
        {
          // Carry and borrow from unsigned compares of int32 words: no float arithmetic.
          const k = words[(j + 1) | 0]!;
          const a = r[d]!;
          const l = (a + k) | 0;
          r[d + 1] = (r[d + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d] = l;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          const k = words[(j + 5) | 0]!;
          const a = r[d2]!;
          const l = (a + k) | 0;
          r[d2 + 1] = (r[d2 + 1]! + (k >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          r[d2] = l;
        }
        break;
      }
      case 212: { // mov32_k__ldxw
        pc = (pc + 4) | 0;
        {
          r[d] = words[(j + 1) | 0]!;
          r[d + 1] = 0;
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          const h = r[s2 + 1]!;
          let a = (r[s2]! >>> 0) + words[(j + 6) | 0]!;
          if (h === 0 && a >= rS && a + 4 <= rE) a += rB;
          else if (h === 0 && a >= sS && a + 4 <= sE) a += sB;
          else {
            a = translateSlow(memory, r[s2]!, h, words[(j + 6) | 0]!, 4, false, i + 1);
            const hit = lastRegion!;
            rS = lastStart;
            rE = lastEnd;
            rB = lastBase;
          }
          {
            r[d2] = dv.getInt32(a, true);
            r[d2 + 1] = 0;
          }
        }
        break;
      }
      case 213: { // mul64_x__rsh64_k
        pc = (pc + 4) | 0;
        {
          // Written out here rather than called: in a function this big V8 runs out of its cumulative
          // inlining budget and would call it. One body for both forms (the slot's op is 26, or a superinstruction's
          // number in a fused mul64_x, never 12: fused copies take the register form; `op` itself is narrowed
          // by the switch). The high word of the low words'
          // unsigned product comes from 16-bit limbs whose partial sums stay below 2^32 (Hacker's Delight
          // `mulhu`): a float division by 65536 and `Math.floor` cost a quarter of a multiply-heavy loop.
          const imm = (w & 0x1ff) === 12;
          const bl = imm ? words[(j + 1) | 0]! : r[s]!;
          const bh = imm ? bl >> 31 : r[s + 1]!;
          const al = r[d]!;
          const a0 = al & 0xffff;
          const a1 = al >>> 16;
          const b0 = bl & 0xffff;
          const b1 = bl >>> 16;
          const t = a1 * b0 + ((a0 * b0) >>> 16);
          const u = a0 * b1 + (t & 0xffff);
          r[d + 1] = (a1 * b1 + (t >>> 16) + (u >>> 16) + Math.imul(al, bh) + Math.imul(r[d + 1]!, bl)) | 0;
          r[d] = Math.imul(al, bl);
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        {
          rsh64(r, d2, words[(j + 5) | 0]!);
        }
        break;
      }
      case 214: { // lsh64_k__xor64_x
        pc = (pc + 4) | 0;
        {
          lsh64(r, d, words[(j + 1) | 0]!);
        }
        const w2 = words[(j + 4) | 0]!;
        const d2 = (w2 >> 9) & 31;
        const s2 = (w2 >> 14) & 31;
        {
          r[d2] = r[d2]! ^ r[s2]!;
          r[d2 + 1] = r[d2 + 1]! ^ r[s2 + 1]!;
        }
        break;
      }
      // ---- end of superinstructions ----
      default:
        throw badSlotError(code.slots, i);
    }
  }
}
