/**
 * The contract between the VM kinds, the engines (interpreter and JIT) and helpers.
 * Both engines take the same {@link RunRequest} and honour the same rules, so that they give the same
 * result or the same error for every program and input.
 * @module
 */
import type { BatchHooks, BatchRun } from './batch.js';
import type { VmMemory } from './memory.js';
import type { Program } from './program.js';

/** What a helper receives besides its five arguments. */
export interface HelperContext {
  /** The VM memory: translate / read / write / load / store, all bounds-checked. */
  readonly memory: VmMemory;
  /** Slot index of the `call` instruction. */
  readonly pc: number;
  /**
   * Ask the engine to continue in `program` once this helper returns (bpf_tail_call). The caller's
   * stack frame is reused and r1 keeps its value. Returns false, changing nothing, when the chain of
   * tail calls reached {@link RunLimits.maxTailCalls}.
   */
  tailCall(program: Program): boolean;
  /** The program whose code is running (a tail call changes it), when the engine says. */
  readonly program?: Program;
  /** Per-run host data (the loaded object, a trace sink…), as given in {@link RunRequest.host}. */
  readonly host: unknown;
  /**
   * Call a function of the running program (a callback, for helpers such as `bpf_loop`): `address` is
   * what an `lddw` of a function loaded (vm/functions), r1-r5 its arguments. It runs in a new frame below
   * the caller's, its instructions charged to the run's budget; returns its r0. An address that is not
   * such a function, or a frame past {@link RunLimits.maxCallDepth}, is an ExecutionError. Absent in
   * contexts that cannot call back.
   */
  callFunction?(address: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint;
}

/**
 * A helper function. Arguments are r1-r5 as unsigned 64-bit `bigint`s; the result becomes r0
 * (`number` results are taken as integers, `undefined` as 0). Throwing an {@link EbpfError} stops the
 * program with that error; any other exception is wrapped in one with code `E_HELPER`.
 */
export type HelperFunction = (
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
  ctx: HelperContext,
) => bigint | number | void;

/**
 * A helper's allocation-free form, for engines to call instead of {@link HelperFunction} on hot paths:
 * r1-r5 arrive as signed 32-bit halves in `args` from index `at` (r1's low half at `args[at]`, its
 * high half at `args[at + 1]`, r2's at `at + 2`…; read them, do not keep or write the array), and the
 * result is r0 as a safe integer (a negative one is a negative 64-bit value, such as `-errno`). It must
 * behave exactly as the entry's `fn`; a helper whose result may exceed 2^53 has no fast form.
 */
export type FastHelperFunction = (args: Int32Array, at: number, ctx: HelperContext) => number;

/**
 * How an engine may serve a map lookup helper's call itself, for one map, instead of calling the
 * helper: the arithmetic the helper's answer follows, bit for bit, for a key the engine can read (a
 * key it cannot read, or a lock-free hash look that kept meeting changes, goes to the helper, which
 * then fails or answers as always). Addresses are virtual, linear offsets are the memory's.
 * - `array`: the 4-byte key `i` (little-endian) gives `base + i * stride` when `i < maxEntries`, else 0.
 * - `hash`: a shared hash index (maps/shared-key-index.ts) is searched for the key (maps/shared-find.ts,
 *   with `index`, `mask`, `keySize`, `maxSlots`, `slots`, `keys` and `tries` as its arguments): slot `s`
 *   gives `base + s * stride`, absent gives 0.
 */
export type InlineMap =
  | { readonly kind: 'array'; readonly base: number; readonly stride: number; readonly maxEntries: number }
  | {
      readonly kind: 'hash';
      readonly base: number;
      readonly stride: number;
      readonly index: number;
      readonly mask: number;
      readonly keySize: number;
      readonly maxSlots: number;
      readonly slots: number;
      readonly keys: number;
      readonly tries: number;
    };

/** A registered helper. */
export interface HelperEntry {
  /** The function. */
  readonly fn: HelperFunction;
  /** The same helper without `bigint`s (see {@link FastHelperFunction}); engines prefer it when present. */
  readonly fast?: FastHelperFunction;
  /** A name for messages and traces. */
  readonly name: string;
  /**
   * When true and the helper returns 0, the program stops at once with r0 = 0 (uBPF's "unwind"
   * helper, used by the conformance test `call_unwind_fail`).
   */
  readonly unwindOnZero: boolean;
  /**
   * A map lookup helper (`bpf_map_lookup_elem`): for the map a constant `r1` names, how an engine may
   * answer the call itself ({@link InlineMap}), or undefined when only the helper may (no such map, a
   * map read-only to programs, a layout engines do not read). The answer for a handle must not change
   * while the entry is registered; the CPU of per-CPU values is the helper's.
   */
  readonly inlineMap?: (handle: number) => InlineMap | undefined;
}

/** Helpers by id. */
export type HelperTable = ReadonlyMap<number, HelperEntry>;

/** Limits that bound a run. */
export interface RunLimits {
  /**
   * Instructions a run may execute, counted across local and tail calls. The budget is charged one
   * basic block at a time (see `basicBlocks` in verifier/cfg), for all the block's instructions, when
   * the block is entered; a charge that takes the count past the budget stops the run with
   * E_BUDGET_EXCEEDED at the block's first pc, before it executes. Both engines follow this rule.
   */
  readonly instructionBudget: number;
  /** Maximum number of frames, the entry frame included (local calls nest up to this); past it, E_CALL_DEPTH. */
  readonly maxCallDepth: number;
  /** Bytes of stack per frame. */
  readonly stackSize: number;
  /** Tail calls allowed in one run (the kernel allows 33). */
  readonly maxTailCalls: number;
}

/** Default limits: kernel-like stack and call depth, a budget of 10^8 instructions. */
export const DEFAULT_LIMITS: RunLimits = {
  instructionBudget: 100_000_000,
  maxCallDepth: 8,
  stackSize: 512,
  maxTailCalls: 33,
};

/** Everything an engine needs for one run. */
export interface RunRequest {
  /** The program to start in. */
  readonly program: Program;
  /** The memory, with the stack, input and context regions already mapped. */
  readonly memory: VmMemory;
  /**
   * Virtual address of the top of the entry frame's stack (r10 at entry). Frame k's r10 is
   * `stackTop - k * stackSize`. The engine starts the run with a zero stack (zeroing what earlier
   * runs wrote: see `clearStack` in vm/stack).
   */
  readonly stackTop: number;
  /** r1 at entry. */
  readonly r1: bigint;
  /** r2 at entry. */
  readonly r2: bigint;
  /** Helpers by id. */
  readonly helpers: HelperTable;
  /** Limits for this run. */
  readonly limits: RunLimits;
  /** Passed through to helpers as {@link HelperContext.host}. */
  readonly host?: unknown;
}

/**
 * What {@link Engine.runInto} writes at the end of a run that returns: r0 as two 32-bit halves (no
 * `bigint`) and the instructions the run was charged. One object may serve run after run.
 */
export interface RunOutcome {
  /** r0's low 32 bits, as a signed 32-bit integer. */
  r0Low: number;
  /** r0's high 32 bits, as a signed 32-bit integer. */
  r0High: number;
  /**
   * Instructions charged against {@link RunLimits.instructionBudget}: the lengths of the basic blocks
   * the run entered, across local and tail calls (what a budget of exactly this many would allow).
   */
  instructions: number;
}

/** An execution engine. */
export interface Engine {
  /** Run to `exit` of the entry frame and return r0 as an unsigned 64-bit value. */
  run(request: RunRequest): bigint;
  /**
   * Optional: run as {@link run} would (same result, same errors), writing r0 and the instructions
   * charged into `outcome` instead of returning a `bigint`. `outcome` is left as it was when the run throws.
   */
  runInto?(request: RunRequest, outcome: RunOutcome): void;
  /**
   * Optional: a function that runs `request` as {@link run} would, for callers that run the same request
   * many times (a VM called in a loop on its zero-copy input). Whatever the engine derives from the
   * request and the memory layout is worked out once; the function checks {@link VmMemory.version}
   * itself and falls back to {@link run} when the layout changed.
   */
  prepare?(request: RunRequest): () => bigint;
  /**
   * Optional: a function that runs `request` into `outcome` as {@link runInto} would, for a host
   * running one request object run after run while its regions change only in size between runs (a
   * packet session resizes the packet region per packet). What the engine derives from the request
   * and from the memory's {@link VmMemory.shape} is worked out once; the function reads `r1` and `r2`
   * from the request at each call, and returns false, running nothing, when the shape, the request's
   * stack top or its stack region changed since (prepare again then).
   */
  prepareInto?(request: RunRequest, outcome: RunOutcome): () => boolean;
  /**
   * Optional: a {@link BatchRun} of `request` over the batch area at linear offset `area` (vm/batch),
   * for a packet session running packet after packet in one call; `hooks` keep the session in step
   * with the packet being run. Undefined when the engine cannot run this request so.
   */
  prepareBatch?(request: RunRequest, area: number, hooks: BatchHooks): BatchRun | undefined;
}
