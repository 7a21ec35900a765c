/**
 * The helper context of an interpreter run (the JS loop's, interpreter-loop.ts): what helpers see of the
 * run, and callbacks (HelperContext.callFunction, bpf_loop) run in a nested run loop.
 * @module
 */
import { callbackEndedError, callDepthError } from './run-errors.js';
import type { RunRequest } from './environment.js';
import { RunHelperContext, setHalves } from './helper-call.js';
import type { StepObserver } from './interpreter-step.js';
import type { runLoop } from './interpreter-loop.js';
import type { Region } from './memory.js';

/** How a context runs a callback: the run loop, and the instructions charged to the run that returned last. */
export interface CallbackLoop {
  run: typeof runLoop;
  used(): number;
}

/** Thrown by a callback's run loop where the run would end (see callbackEndedError); InterpreterContext.run reports it. */
export const CALLBACK_ENDED = Symbol('callback ended the run');

/**
 * The helper context of an interpreter run, which runs callbacks (HelperContext.callFunction) in a
 * nested run loop: in the frame below the caller's (r10 and the frame limit as a local call would have
 * them), from the budget the run has left, the instructions it ran charged to the caller's run.
 */
export class InterpreterContext extends RunHelperContext {
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
    /** The run loop, passed in by it (it makes the contexts). */
    private readonly loop: CallbackLoop,
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
      r0 = this.loop.run(sub, r, this.frames, this.stack, slot * 4, before, false, this.observe, depth);
    } catch (e) {
      if (e === CALLBACK_ENDED) throw callbackEndedError(this.pc);
      throw e;
    }
    const ran = this.loop.used() - before;
    this.used += ran;
    this.spent += ran;
    return r0;
  }
}
