/**
 * A tracing engine for debugging tools (`tsbpf trace`, `tsbpf debug`): the interpreter's stepped mode
 * (interpreter.ts, `runStepped`) reports every instruction before it runs, and this module turns those
 * reports into steps — the registers an instruction changed and the memory it stored — for a callback.
 * It implements no instruction itself, so results, errors and the instructions charged (per basic block
 * on entry) are the interpreter's by construction.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { Insn } from '../isa/instruction.js';
import type { Engine, RunOutcome, RunRequest } from './environment.js';
import { lastRunInstructions, runStepped, type StepObserver } from './interpreter-step.js';
import type { VmMemory } from './memory.js';
import type { Program } from './program.js';
import { EbpfVmRaw } from './vm.js';
import { checkBytes, checkFunction, checkOptionalFunction, checkOptions } from '../validate.js';

/** A store an instruction made. */
export interface TracedStore {
  /** Virtual address. */
  readonly address: bigint;
  /** Width in bytes. */
  readonly size: 1 | 2 | 4 | 8;
  /** The value stored (unsigned, truncated to the width). */
  readonly value: bigint;
}

/** One executed instruction. */
export interface TraceStep {
  /** The program the instruction belongs to (changes on tail calls). */
  readonly program: Program;
  /** Its slot index in that program. */
  readonly pc: number;
  /** The decoded instruction. */
  readonly insn: Insn;
  /** Call depth (0 in the entry function). */
  readonly depth: number;
  /** Registers whose value changed: `[register, before, after]`. */
  readonly changed: readonly (readonly [number, bigint, bigint])[];
  /** Memory stores the instruction made (helpers' writes are not listed). */
  readonly stores: readonly TracedStore[];
}

/** Observers of a traced run beyond its steps, for viewers and debuggers. */
export interface TraceHooks {
  /**
   * Called as a run starts with the registers r0-r10 (r1/r2
   * the run's arguments, r10 the frame pointer) and the run's memory, which stays readable while the
   * run lasts (`read`, `load`; bounds-checked).
   */
  readonly start?: (registers: readonly bigint[], memory: VmMemory) => void;
  /**
   * Called before each instruction executes, with the live registers (read them, do not keep them);
   * return `false` to stop the run (it then ends with {@link TraceStopped}).
   */
  readonly before?: (program: Program, pc: number, depth: number, registers: readonly bigint[]) => boolean | void;
}

/** Receives each step; return `false` to stop the run (it then ends with {@link TraceStopped}). */
export type TraceSink = (step: TraceStep) => boolean | void;

/** Thrown when the sink asked to stop (a line limit was reached). */
export class TraceStopped extends ExecutionError {
  constructor(pc: number) {
    super(ErrorCode.BUDGET_EXCEEDED, 'trace stopped: the step limit was reached', { pc });
  }
}

/** Registers r0-r10 as unsigned 64-bit values, from the run loop's int32 halves. */
function registersOf(halves: Int32Array): bigint[] {
  const out = new Array<bigint>(11);
  for (let k = 0; k <= 10; k++) out[k] = (BigInt(halves[2 * k + 1]! >>> 0) << 32n) | BigInt(halves[2 * k]! >>> 0);
  return out;
}

/** Bytes a store opcode writes, by its size bits (BPF_W, BPF_H, BPF_B, BPF_DW). */
const STORE_SIZE = [4, 2, 1, 8] as const;

/**
 * Where `insn` stores, if it is a store (BPF_ST / BPF_STX in MEM or ATOMIC mode): the address is
 * dst + offset as the instruction is about to run. The value is read back after it ran.
 */
function storeTarget(insn: Insn, registers: readonly bigint[]): { address: bigint; size: 1 | 2 | 4 | 8 } | undefined {
  const cls = insn.opcode & 0x07;
  const mode = insn.opcode & 0xe0;
  if ((cls !== 0x02 && cls !== 0x03) || (mode !== 0x60 && mode !== 0xc0) || insn.dst > 10) return undefined;
  return { address: BigInt.asUintN(64, registers[insn.dst]! + BigInt(insn.offset)), size: STORE_SIZE[(insn.opcode >> 3) & 3]! };
}

/** An instruction reported before it ran, completed into a {@link TraceStep} once the next one is reached. */
interface Pending {
  readonly program: Program;
  readonly pc: number;
  readonly insn: Insn;
  readonly depth: number;
  readonly prior: readonly bigint[];
  readonly store: { address: bigint; size: 1 | 2 | 4 | 8 } | undefined;
}

/** Turns one stepped run's reports into steps for a sink. */
class StepRecorder implements StepObserver {
  private pending: Pending | undefined;
  private started = false;

  constructor(
    private readonly memory: VmMemory,
    private readonly sink: TraceSink,
    private readonly hooks: TraceHooks,
  ) {}

  step(program: Program, pc: number, depth: number, halves: Int32Array, over: boolean): void {
    const registers = registersOf(halves);
    if (!this.started) {
      this.started = true;
      this.hooks.start?.(registers.slice(), this.memory);
    }
    const done = this.pending;
    if (done !== undefined && this.sink(this.complete(done, registers)) === false) throw new TraceStopped(done.pc);
    this.pending = undefined;
    if (over) return;
    if (this.hooks.before?.(program, pc, depth, registers) === false) throw new TraceStopped(pc);
    const insn = program.insns[pc]!;
    this.pending = { program, pc, insn, depth, prior: registers, store: storeTarget(insn, registers) };
  }

  /** The run returned: report its last instruction (a stop asked for there no longer matters). */
  finish(halves: Int32Array | undefined): void {
    const done = this.pending;
    this.pending = undefined;
    if (done !== undefined && halves !== undefined) this.sink(this.complete(done, registersOf(halves)));
  }

  private complete(p: Pending, after: readonly bigint[]): TraceStep {
    const changed: [number, bigint, bigint][] = [];
    for (let k = 0; k <= 10; k++) if (after[k] !== p.prior[k]) changed.push([k, p.prior[k]!, after[k]!]);
    const stores: TracedStore[] = [];
    if (p.store !== undefined) stores.push({ ...p.store, value: this.memory.load(p.store.address, p.store.size, p.pc) });
    return { program: p.program, pc: p.pc, insn: p.insn, depth: p.depth, changed, stores };
  }
}

/** The tracing {@link Engine}: give it a sink, then run programs through it like any engine. */
export class TraceEngine implements Engine {
  /** Engine name. */
  readonly name = 'trace';

  /**
   * @param sink receives each step, after it executed.
   * @param hooks optional observers for viewers and debuggers (see {@link TraceHooks}).
   */
  constructor(
    private readonly sink: TraceSink,
    private readonly hooks: TraceHooks = {},
  ) {}

  /** Instructions charged to the last run that returned. */
  private used = 0;

  run(req: RunRequest): bigint {
    const recorder = new StepRecorder(req.memory, this.sink, this.hooks);
    let last: Int32Array | undefined;
    const r0 = runStepped(req, {
      step: (program, pc, depth, halves, over) => {
        last = halves;
        recorder.step(program, pc, depth, halves, over);
      },
    });
    this.used = lastRunInstructions();
    recorder.finish(last);
    return r0;
  }

  /** Run as {@link run} does, writing r0's halves and the instructions charged into `outcome` (see {@link Engine.runInto}). */
  runInto(req: RunRequest, outcome: RunOutcome): void {
    const r0 = this.run(req);
    outcome.r0Low = Number(BigInt.asIntN(32, r0));
    outcome.r0High = Number(BigInt.asIntN(32, r0 >> 32n));
    outcome.instructions = this.used;
  }
}

/**
 * An {@link EbpfVmRaw} that can also run its program through a {@link TraceEngine}: r1 = MEM_START,
 * r2 = the length of `mem`, stores copied back, as `executeProgram` does.
 */
export class TracingVmRaw extends EbpfVmRaw {
  /** Run on `mem`, reporting each instruction to `sink` (and to `hooks`, see {@link TraceHooks}); returns r0. */
  executeProgramTraced(mem: Uint8Array, sink: TraceSink, hooks?: TraceHooks): bigint {
    checkBytes(mem, 'mem');
    checkFunction(sink, 'sink');
    const h = hooks === undefined ? undefined : checkOptions(hooks, 'hooks');
    checkOptionalFunction(h?.start, 'hooks.start');
    checkOptionalFunction(h?.before, 'hooks.before');
    return this.execute(new TraceEngine(sink, h), mem, undefined, 'mem');
  }
}
