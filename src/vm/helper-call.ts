/**
 * Calling a host helper from an engine: argument conversion, result normalisation and error wrapping,
 * shared by the interpreter and the JIT so that both report helper failures identically.
 * @module
 */
import { EbpfError, ErrorCode, ExecutionError } from '../errors.js';
import type { FastHelperFunction, HelperContext, HelperEntry, HelperTable, RunRequest } from './environment.js';
import type { VmMemory } from './memory.js';
import { Program } from './program.js';
import { functionPointerTargets, functionSlotOf } from './functions.js';
import { markWholeStack } from './stack.js';

/** `BigInt(n)` for small `n`: results and helper arguments are mostly small, and allocating a bigint costs more than a short run's step. */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 1024 }, (_, n) => BigInt(n));

/** A 64-bit register value given as signed 32-bit halves, as an unsigned `bigint`. */
export function u64FromHalves(lo: number, hi: number): bigint {
  if (hi === 0) return lo >>> 0 < 1024 ? SMALL_BIGINTS[lo]! : BigInt(lo >>> 0);
  // One bigint made from 64 bits instead of two made, shifted and or-ed: 15-18 ns against about 70.
  HALVES[LOW] = lo;
  HALVES[HIGH] = hi;
  return WHOLE[0]!;
}

/**
 * Store a 64-bit value (any `bigint`, taken modulo 2^64) as signed 32-bit halves into `r[k]` (low) and
 * `r[k + 1]` (high): a single conversion for values below 2^32, one typed-array store otherwise
 * (instead of two bigint operations and two conversions).
 */
export function setHalves(r: Int32Array, k: number, v: bigint): void {
  if (v >= 0n && v <= 0xffffffffn) {
    r[k] = Number(v) | 0;
    r[k + 1] = 0;
  } else {
    WHOLE[0] = v;
    r[k] = HALVES[LOW]! | 0;
    r[k + 1] = HALVES[HIGH]! | 0;
  }
}

/** Scratch for {@link u64FromHalves} and {@link setHalves}: two 32-bit words seen as one u64 (written and read at once). */
const HALVES = new Uint32Array(2);
const WHOLE = new BigUint64Array(HALVES.buffer);
/** Which word of {@link HALVES} is the low half: typed arrays use the platform's byte order. */
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

/** The error for a `call` / `callx` to an id with no registered helper. */
export function unknownHelperError(id: bigint | number, pc: number, helpers: HelperTable): ExecutionError {
  const known = [...helpers.keys()].sort((a, b) => a - b);
  return new ExecutionError(
    ErrorCode.UNKNOWN_HELPER,
    `call to helper ${id}, which is not registered (registered: ${known.length > 0 ? known.join(', ') : 'none'}); ` +
      'register it with registerHelper(id, fn)',
    { pc, helper: Number(id) },
  );
}

/** Normalise what a helper returned into an unsigned 64-bit value. */
export function helperResult(value: unknown, entry: HelperEntry, pc: number): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'bigint') return value >= 0n && value <= 0xffffffffffffffffn ? value : BigInt.asUintN(64, value);
  if (typeof value === 'number') {
    // Most helpers return small non-negative integers or 32-bit addresses: one conversion, no wrapping.
    if (value >= 0 && value <= 0xffffffff && value === Math.floor(value)) return value < 1024 ? SMALL_BIGINTS[value]! : BigInt(value);
    if (Number.isFinite(value)) return BigInt.asUintN(64, BigInt(Math.trunc(value)));
  }
  if (typeof value === 'boolean') return value ? 1n : 0n;
  throw new ExecutionError(
    ErrorCode.HELPER,
    `helper ${entry.name} returned ${String(value)}; a helper must return a bigint, an integer number or nothing`,
    { pc, helper: entry.name },
  );
}

/**
 * Call a helper with r1-r5 and return r0 (unsigned). An {@link EbpfError} thrown by the helper passes
 * through unchanged; anything else is wrapped in an {@link ExecutionError} with code `E_HELPER`.
 */
export function invokeHelper(
  entry: HelperEntry,
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
  ctx: HelperContext,
): bigint {
  let value: unknown;
  try {
    value = entry.fn(r1, r2, r3, r4, r5, ctx);
  } catch (e) {
    if (e instanceof EbpfError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ExecutionError(ErrorCode.HELPER, `helper ${entry.name} failed: ${why}`, { pc: ctx.pc, helper: entry.name, cause: e });
  }
  return helperResult(value, entry, ctx.pc);
}

/**
 * Call a helper's fast form (see {@link FastHelperFunction}) with r1-r5 as halves in `args` from `at`;
 * returns r0 as a safe integer. Errors are wrapped as {@link invokeHelper} wraps them.
 */
export function invokeFastHelper(entry: HelperEntry, fast: FastHelperFunction, args: Int32Array, at: number, ctx: HelperContext): number {
  let value: number;
  try {
    value = fast(args, at, ctx);
  } catch (e) {
    if (e instanceof EbpfError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ExecutionError(ErrorCode.HELPER, `helper ${entry.name} failed: ${why}`, { pc: ctx.pc, helper: entry.name, cause: e });
  }
  if (!Number.isSafeInteger(value)) {
    throw new ExecutionError(ErrorCode.HELPER, `helper ${entry.name} returned ${String(value)} from its fast form, which must return a safe integer`, { pc: ctx.pc, helper: entry.name });
  }
  return value;
}

/** Store a safe integer `v` (taken as a 64-bit two's-complement value) as signed 32-bit halves into `r[k]` (low) and `r[k + 1]` (high). */
export function setHalvesOfNumber(r: Int32Array, k: number, v: number): void {
  if (v === (v | 0)) {
    r[k] = v;
    r[k + 1] = v >> 31;
  } else {
    r[k] = v >>> 0;
    r[k + 1] = Math.floor(v / 4294967296) | 0;
  }
}

/** The helper registered under `id` (a `callx` register value may be any 64-bit number), or the error a call to it raises. */
export function lookupHelper(helpers: HelperTable, id: bigint | number, pc: number): HelperEntry {
  const entry = typeof id === 'number' ? helpers.get(id) : id <= 0xffffffffn ? helpers.get(Number(id)) : undefined;
  if (entry === undefined) throw unknownHelperError(id, pc, helpers);
  return entry;
}

/**
 * The per-run context every engine hands to helpers: `pc` is set before each call, and a tail call
 * requested by a helper waits in `pendingTail` until the engine switches programs (the first one marks
 * the whole stack written, since the program it continues in stores where the entry one did not: see vm/stack).
 */
export class RunHelperContext implements HelperContext {
  pc = 0;
  /** Tail calls taken so far in this run. */
  tailCalls = 0;
  /** The program a helper asked to continue in, until the engine takes it. */
  pendingTail: Program | undefined = undefined;
  readonly memory: VmMemory;
  readonly host: unknown;
  /** The program whose code is running (tail calls change it): callbacks are its functions. */
  program: Program;
  /** How the engine runs a callback (slot of {@link program}, r1-r5); undefined: it cannot. */
  callBack: ((slot: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint) | undefined = undefined;

  constructor(readonly request: RunRequest) {
    this.memory = request.memory;
    this.host = request.host;
    this.program = request.program;
  }

  callFunction(address: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
    const slot = functionSlotOf(address);
    if (slot === undefined || !functionPointerTargets(this.program).has(slot)) {
      throw new ExecutionError(
        ErrorCode.HELPER,
        `callback 0x${BigInt.asUintN(64, address).toString(16)} is not a function of this program: a callback must be a function the program loads with lddw (a function pointer, BPF_PSEUDO_FUNC)`,
        { pc: this.pc },
      );
    }
    if (this.callBack === undefined) throw new ExecutionError(ErrorCode.UNSUPPORTED, 'this engine cannot run callbacks', { pc: this.pc });
    return this.callBack(slot, r1, r2, r3, r4, r5);
  }

  /** Back to the state a run starts with (for an engine reusing the context for the next run of the same request). */
  reset(): void {
    this.pc = 0;
    this.tailCalls = 0;
    this.pendingTail = undefined;
    this.program = this.request.program;
  }

  tailCall(program: Program): boolean {
    // Helpers are host code a type checker may not have seen: a non-program would otherwise fail
    // later, differently in each engine (a TypeError in one, an internal error in the other).
    if (!(program instanceof Program)) {
      const what = typeof program === 'object' && program !== null ? 'an object' : `${typeof program} ${String(program)}`;
      throw new ExecutionError(ErrorCode.HELPER, `a helper asked for a tail call to ${what}, which is not a Program`, { pc: this.pc });
    }
    if (this.tailCalls >= this.request.limits.maxTailCalls) return false;
    if (this.tailCalls === 0) markWholeStack(this.memory);
    this.tailCalls++;
    this.pendingTail = program;
    this.program = program;
    return true;
  }
}
