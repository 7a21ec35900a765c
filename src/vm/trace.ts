/**
 * A tracing engine: a straightforward single-step interpreter, registers as `bigint`s, that reports
 * every executed instruction (pc, the registers it changed, the memory it stored) to a callback. It
 * is slow by design and exists for debugging tools (`tsbpf trace`); the fast engines stay untouched.
 *
 * It follows the interpreter's semantics (see interpreter.ts) for results and errors, the budget
 * included: it is charged one basic block at a time on entry (RunLimits.instructionBudget), so a
 * runaway loop stops with the same error at the same pc as on the interpreter and the JIT.
 * @module
 */
import { budgetError, callDepthError } from './run-errors.js';
import { ErrorCode, ExecutionError } from '../errors.js';
import type { Insn } from '../isa/instruction.js';
import { decodeOperation, type Operation } from '../isa/operation.js';
import { basicBlocks } from '../verifier/cfg.js';
import type { Engine, RunOutcome, RunRequest } from './environment.js';
import { invokeHelper, lookupHelper, RunHelperContext } from './helper-call.js';
import { clearStack } from './stack.js';
import type { VmMemory } from './memory.js';
import { packetLoad } from './packet-load.js';
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

const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;

function sx(v: bigint, bits: number): bigint {
  return BigInt.asUintN(64, BigInt.asIntN(bits, v));
}

function swap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** dst OP src at `width` bits; inputs and result are unsigned (the result zero-extended for 32 bits). */
function alu(op: string, a: bigint, b: bigint, width: 32 | 64): bigint {
  const mask = width === 32 ? U32 : U64;
  a &= mask;
  b &= mask;
  const sh = b & BigInt(width - 1);
  const signed = (v: bigint): bigint => BigInt.asIntN(width, v);
  let r: bigint;
  switch (op) {
    case 'add': r = a + b; break;
    case 'sub': r = a - b; break;
    case 'mul': r = a * b; break;
    case 'div': r = b === 0n ? 0n : a / b; break;
    case 'mod': r = b === 0n ? a : a % b; break;
    case 'sdiv': r = b === 0n ? 0n : signed(a) / signed(b); break;
    case 'smod': r = b === 0n ? a : signed(a) % signed(b); break;
    case 'or': r = a | b; break;
    case 'and': r = a & b; break;
    case 'xor': r = a ^ b; break;
    case 'lsh': r = a << sh; break;
    case 'rsh': r = a >> sh; break;
    case 'arsh': r = signed(a) >> sh; break;
    case 'mov': r = b; break;
    default: throw new ExecutionError(ErrorCode.BAD_PROGRAM, `unknown ALU operation ${op}`);
  }
  return BigInt.asUintN(width, r);
}

function compare(cond: string, a: bigint, b: bigint, width: 32 | 64): boolean {
  const mask = width === 32 ? U32 : U64;
  a &= mask;
  b &= mask;
  const sa = BigInt.asIntN(width, a);
  const sb = BigInt.asIntN(width, b);
  switch (cond) {
    case 'jeq': return a === b;
    case 'jne': return a !== b;
    case 'jgt': return a > b;
    case 'jge': return a >= b;
    case 'jlt': return a < b;
    case 'jle': return a <= b;
    case 'jset': return (a & b) !== 0n;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    default: return sa <= sb;
  }
}

interface Frame {
  readonly program: Program;
  readonly ops: readonly Operation[];
  readonly returnPc: number;
  readonly saved: readonly bigint[];
}


const decoded = new WeakMap<Program, Operation[]>();

function operations(program: Program): readonly Operation[] {
  let ops = decoded.get(program);
  if (ops === undefined) {
    ops = program.insns.map(decodeOperation);
    decoded.set(program, ops);
  }
  return ops;
}

const blockCosts = new WeakMap<Program, Int32Array>();

/** Per slot: the instruction count of the basic block that starts there, 0 inside a block. */
function costs(program: Program): Int32Array {
  let c = blockCosts.get(program);
  if (c === undefined) {
    c = new Int32Array(program.insns.length);
    for (const b of basicBlocks(program.insns)) c[b.start] = b.length;
    blockCosts.set(program, c);
  }
  return c;
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
    const { memory, limits, helpers } = req;
    const r: bigint[] = new Array<bigint>(11).fill(0n);
    r[1] = BigInt.asUintN(64, req.r1);
    r[2] = BigInt.asUintN(64, req.r2);
    r[10] = BigInt(req.stackTop);
    clearStack(req);
    this.hooks.start?.(r.slice(), memory);
    const before = this.hooks.before;
    const ctx = new RunHelperContext(req);
    const frames: Frame[] = [];
    let program = req.program;
    let ops = operations(program);
    let cost = costs(program);
    let pc = 0;
    let used = 0;
    const fail = (message: string, at: number, code: (typeof ErrorCode)[keyof typeof ErrorCode] = ErrorCode.BAD_PROGRAM): never => {
      throw new ExecutionError(code, message, { pc: at });
    };
    for (;;) {
      const i = pc;
      if (i < 0 || i >= ops.length) {
        fail(i < 0 ? `jump to slot ${i}, before the start of the program` : 'ran past the last instruction without exit', Math.max(0, Math.min(i, ops.length) - 1));
      }
      // Every way into a block (jump, fall-through, call, return, tail call) lands on its first slot,
      // where the whole block is charged, exactly as the interpreter and the JIT charge it.
      used += cost[i]!;
      if (used > limits.instructionBudget) {
        throw budgetError(limits.instructionBudget, i);
      }
      if (before !== undefined && before(program, i, frames.length, r) === false) throw new TraceStopped(i);
      const insn = program.insns[i]!;
      const op = ops[i]!;
      const prior = r.slice();
      const stores: TracedStore[] = [];
      const stepProgram = program;
      const depth = frames.length;
      const reg = (n: number): bigint => {
        if (n > 10) fail(`register r${n} does not exist`, i);
        return r[n]!;
      };
      const set = (n: number, v: bigint): void => {
        if (n > 9) fail(`register r${n} cannot be written`, i);
        r[n] = BigInt.asUintN(64, v);
      };
      const src = (source: 'imm' | 'reg'): bigint => (source === 'reg' ? reg(insn.src) : sx(BigInt(insn.imm), 32));
      const addr = (base: number): bigint => BigInt.asUintN(64, reg(base) + BigInt(insn.offset));
      const store = (address: bigint, size: 1 | 2 | 4 | 8, value: bigint): void => {
        memory.store(address, size, value, i);
        stores.push({ address, size, value: BigInt.asUintN(size * 8, value) });
      };
      pc = i + 1;
      let result: bigint | undefined;
      switch (op.kind) {
        case 'alu':
          set(insn.dst, alu(op.op, reg(insn.dst), src(op.source), op.width));
          break;
        case 'neg':
          set(insn.dst, BigInt.asUintN(op.width, -reg(insn.dst)));
          break;
        case 'movsx':
          set(insn.dst, BigInt.asUintN(op.width, BigInt.asIntN(op.bits, reg(insn.src))));
          break;
        case 'end': {
          const v = reg(insn.dst) & ((1n << BigInt(op.bits)) - 1n);
          set(insn.dst, op.order === 'le' ? v : swap(v, op.bits / 8));
          break;
        }
        case 'ja':
          pc = i + 1 + (op.long ? insn.imm : insn.offset);
          break;
        case 'jcond':
          if (compare(op.cond, reg(insn.dst), src(op.source), op.width)) pc = i + 1 + insn.offset;
          break;
        case 'lddw': {
          if (op.pseudo !== 0) fail(`lddw with pseudo source ${op.pseudo} was not resolved by a loader`, i, ErrorCode.UNSUPPORTED);
          const hi = program.insns[i + 1];
          if (hi === undefined) fail('lddw is missing its second slot', i);
          set(insn.dst, (BigInt(hi!.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0));
          pc = i + 2;
          break;
        }
        case 'ldx': {
          const v = memory.load(addr(insn.src), op.size, i);
          set(insn.dst, op.signed ? sx(v, op.size * 8) : v);
          break;
        }
        case 'st':
          store(addr(insn.dst), op.size, BigInt(insn.imm));
          break;
        case 'stx':
          store(addr(insn.dst), op.size, reg(insn.src));
          break;
        case 'atomic': {
          const a = addr(insn.dst);
          const bits = op.size * 8;
          const old = memory.load(a, op.size, i);
          const operand = BigInt.asUintN(bits, reg(insn.src));
          let next: bigint;
          if (op.op === 'cmpxchg') {
            next = (reg(0) & ((1n << BigInt(bits)) - 1n)) === old ? operand : old;
            set(0, old);
          } else {
            next = op.op === 'xchg' ? operand : alu(op.op, old, operand, 64);
            if (op.fetch) set(insn.src, old);
          }
          store(a, op.size, next);
          break;
        }
        case 'ldabs':
        case 'ldind': {
          const off = op.kind === 'ldind' ? Number(BigInt.asIntN(32, reg(insn.src) + BigInt(insn.imm))) : insn.imm;
          const v = packetLoad(memory, off, op.size);
          if (v < 0) {
            set(0, 0n);
            result = 0n;
          } else {
            set(0, BigInt(v));
          }
          break;
        }
        case 'call':
        case 'callx': {
          if (op.kind === 'call' && op.target === 'local') {
            if (frames.length + 1 >= limits.maxCallDepth) {
              throw callDepthError(limits.maxCallDepth, i);
            }
            frames.push({ program, ops, returnPc: i + 1, saved: r.slice(6, 11) });
            r[10] = BigInt(req.stackTop - frames.length * limits.stackSize);
            pc = i + 1 + insn.imm;
            break;
          }
          if (op.kind === 'call' && op.target === 'kfunc') fail('kfunc calls are not supported', i, ErrorCode.UNSUPPORTED);
          const id = op.kind === 'callx' ? reg(insn.dst) : BigInt(insn.imm >>> 0);
          const entry = lookupHelper(helpers, id, i);
          ctx.pc = i;
          const ret = invokeHelper(entry, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, ctx);
          set(0, ret);
          if (ret === 0n && entry.unwindOnZero) result = 0n;
          if (ctx.pendingTail !== undefined) {
            program = ctx.pendingTail;
            ops = operations(program);
            cost = costs(program);
            ctx.pendingTail = undefined;
            pc = 0;
          }
          break;
        }
        case 'exit': {
          const frame = frames.pop();
          if (frame === undefined) {
            result = r[0]!;
            break;
          }
          for (let k = 0; k < 5; k++) r[6 + k] = frame.saved[k]!;
          program = frame.program;
          ops = frame.ops;
          cost = costs(program);
          pc = frame.returnPc;
          break;
        }
        case 'invalid':
          fail(op.reason, i);
      }
      const changed: [number, bigint, bigint][] = [];
      for (let k = 0; k <= 10; k++) if (r[k] !== prior[k]) changed.push([k, prior[k]!, r[k]!]);
      if (this.sink({ program: stepProgram, pc: i, insn, depth, changed, stores }) === false && result === undefined) {
        throw new TraceStopped(i);
      }
      if (result !== undefined) {
        this.used = used;
        return result;
      }
    }
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
