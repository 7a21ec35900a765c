/**
 * The interpreter engine. A run starts in the WebAssembly loop (interpreter-core.ts), which runs the
 * same pre-decoded words with i64 registers and local calls, and hands the run (with its frames) to the
 * JS loop below at anything it does not run (helper calls, atomics, errors); the JS loop gives it back
 * at the next block (see
 * {@link execute}). `new Interpreter({ wasmCore: false })` runs the JS loop alone.
 *
 * The modules of the engine: interpreter-decode (pre-decoding, superinstructions), interpreter-core (the
 * WebAssembly loop), interpreter-loop (the JS loop) with interpreter-context (helpers and callbacks),
 * interpreter-slow-access, interpreter-atomics and interpreter-ops (the loop's out-of-line parts),
 * interpreter-step (stepped runs for debuggers), interpreter-core-stats (when the core pays).
 * @module
 */
import { checkOptionalBoolean, checkOptions } from '../validate.js';
import type { Engine, RunOutcome, RunRequest } from './environment.js';
import { setHalves } from './helper-call.js';
import type { Region } from './memory.js';
import { clearStack, planStackClear, restartStack, type StackClearPlan } from './stack.js';
import { coreFor, type InterpreterCore } from './interpreter-core.js';
import { interpreterCode, type InterpreterCode } from './interpreter-decode.js';
import { coreStatsOf, type CoreStats } from './interpreter-core-stats.js';
import { FRAME_WORDS, GIVEN_BACK, givenBack, givenBackDepth, givenBackUsed, runLoop, runUsed, setRunInstructions } from './interpreter-loop.js';

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
    if (!this.core) return () => execute(request, r1Low, r1High, r2Low, r2High, false);
    // The program's pre-decoded code, its core statistics, the memory's core and the code's words there
    // stay the same for every run of one request once they exist: looked up once here, not per run.
    let code: InterpreterCode | undefined;
    let stats: CoreStats | undefined;
    let core: InterpreterCore | undefined;
    let words: number | undefined;
    // The stack's plan for this request, made again when the memory's layout changed.
    let plan: StackClearPlan | undefined;
    return () => {
      if (words === undefined || stats!.jsOnly) {
        const r0 = execute(request, r1Low, r1High, r2Low, r2High, true);
        code = interpreterCode(request.program);
        stats = coreStatsOf(code);
        core = coreFor(request.memory);
        words = core?.wordsOf(code);
        return r0;
      }
      if (plan === undefined || plan.version !== request.memory.version) plan = planStackClear(request);
      const stack = restartStack(plan);
      const budget = request.limits.instructionBudget;
      const status = core!.run(code!, words, budget, r1Low, r1High, r2Low, r2High, request.stackTop | 0, stack, request.limits);
      if (status < 0) {
        setRunInstructions(core!.used());
        return core!.r0();
      }
      stats!.handOver(core!.used());
      return continueInJs(request, stack, code!, stats!, core!, words, status);
    };
  }
}

/** How many times one run goes back from the JS loop to the core at most (see {@link execute}). */
const MAX_GIVE_BACKS = 2;

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
    status = core.run(code!, words, budget, r1Low, r1High, r2Low, r2High, req.stackTop | 0, stack, req.limits);
    if (status < 0) {
      setRunInstructions(core.used());
      return core.r0();
    }
    stats!.handOver(core.used());
    return continueInJs(req, stack, code!, stats!, core, words, status);
  }
  return continueInJs(req, stack, undefined, undefined, undefined, undefined, -1, r1Low, r1High, r2Low, r2High);
}

/**
 * The rest of a run in the JS loop: from the start when there is no core (`core` undefined, r1 and r2
 * given as halves), else from where the core handed it over at `status`.
 */
function continueInJs(
  req: RunRequest, stack: Region | undefined, code: InterpreterCode | undefined, stats: CoreStats | undefined,
  core: InterpreterCore | undefined, words: number | undefined, status: number,
  r1Low = 0, r1High = 0, r2Low = 0, r2High = 0,
): bigint {
  const budget = req.limits.instructionBudget;
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
    // block it reaches in the entry program (in a frame the core holds), until one of the two finishes it. A
    // hand-over costs about as much as a few hundred instructions, so after MAX_GIVE_BACKS of them (a helper
    // call in a loop) the JS loop keeps the run.
    let used = core.used();
    core.copyRegisters(r);
    // The core runs local calls: it may hand the run over inside one (frame records copied as they are).
    let depth = core.copyFrames(frames);
    for (let given = 0; ; given++) {
      const r0 = runLoop(req, r, frames, stack, status, used, given < MAX_GIVE_BACKS, undefined, 0, depth);
      if (r0 !== GIVEN_BACK) return r0;
      status = core.resume(code!, words!, budget, stack, givenBack, givenBackUsed, r, frames, givenBackDepth, req.stackTop | 0, req.limits);
      const after = core.used();
      if (status < 0) {
        stats!.ran(after - givenBackUsed);
        setRunInstructions(after);
        return core.r0();
      }
      stats!.handOver(after - givenBackUsed);
      used = after;
      core.copyRegisters(r);
      depth = core.copyFrames(frames);
    }
  } finally {
    spareRegisters = r;
    spareFrames = frames;
  }
}
