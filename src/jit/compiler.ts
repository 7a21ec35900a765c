/**
 * eBPF → WebAssembly compiler: the driver and the function-level passes. Each eBPF function (the entry
 * and every local-call target) becomes one WebAssembly function over eleven i64 locals r0-r10 (so
 * V8's optimizing tier keeps eBPF registers in machine registers), and a function with loops also a
 * *checked copy*: a dispatch loop over the same blocks that checks the budget on every block and every
 * access in full, and can start at any block or at any access of a loop block.
 *
 * The passes, in order, for one function:
 * - the flow graph of its blocks (graph.ts), with compare trees rebuilt as `br_table`s
 *   (switch-table.ts) and conditional jumps over a short pure block turned into `select`s
 *   (if-conversion, `termOf`);
 * - the budget plan (check-plan.ts): every block subtracts its length; only the entry, loop headers
 *   and blocks after calls check, for the most any path can charge until the next check, and leave
 *   for the checked copy when it may not last, so errors stay at the interpreter's pc; innermost
 *   loops whose exit test bounds their trip count (loop-bound.ts) check once per entry instead;
 * - where a region-cache miss leaves for the checked copy (`deoptPcs`: loops without calls), so that
 *   no region-table scan, a loop, sits inside a hot loop;
 * - loop versioning (loop-shapes.ts, induction.ts; guards emitted by loop-guards.ts): counted loops get a guard per entry that proves
 *   every access of every iteration in bounds and the budget sufficient, then run a check-free copy;
 *   chunked loops run as many iterations check-free as the guard proves; copy loops become one
 *   `memory.copy`;
 * - structured emission (structure.ts), each block lowered here: memory accesses through the cache,
 *   the stack and the region table (lower-memory.ts), groups of accesses through one register checked
 *   once (access-groups.ts), accesses at constant offsets from one value across blocks checked once by the access that
 *   dominates them (span-checks.ts), indexed accesses `B + X` checked against bounds kept for B in the stack or the cached region,
 *   leaving for the checked copy on a miss (indexed-access.ts), ALU and compares (lower-alu.ts),
 *   helper and local calls, exits.
 *
 * Every access is checked exactly as the interpreter checks it, and every error (memory, budget, call
 * depth, bad slots) has the interpreter's class, code and pc. docs/benchmarks.md ("The JIT's design
 * decisions, measured") keeps what was tried, kept and rejected, with the measurements.
 * @module
 */
import { fieldUse } from '../verifier/fields.js';
import { JitError } from '../errors.js';
import type { Insn } from '../isa/instruction.js';
import { decodeOperation, branchTarget, type Operation, type AluName } from '../isa/operation.js';
import { FRAME_POINTER, PseudoLoad } from '../isa/opcodes.js';
import { functionAddress, functionTarget } from '../vm/functions.js';
import { basicBlocks, type BasicBlock } from '../verifier/cfg.js';
import { Global, GLOBAL_COUNT, Import, Trap } from './layout.js';
import { HELPER_RESULT, STACK_MARK } from '../vm/memory.js';
import { emitDispatch, emitStructured, type StructSink } from './structure.js';
import { MIN_HOISTED, MIN_HOISTED_SIBLING, chunkedLoop, copyLoop, countedLoop, type ChunkedLoop, type CountedLoop, type LoopContext } from './loop-shapes.js';
import { emitTableIndex, planSwitch, type Compare, type SwitchEdge, type SwitchPlan } from './switch-table.js';
import { emitBoundCheck } from './loop-bound.js';
import { emitAffine, emitBulkCopy, emitChunkGuard, emitLoopGuard } from './loop-guards.js';
import { emitRunExports } from './run-exports.js';
import { accessOf, emitGroupCheck, findAccessGroups, groupStores, type AccessGroup, type MemoryAccess } from './access-groups.js';
import { planChecks, RESUME_SHIFT, type BoundedLoop, type CheckPlanSource } from './check-plan.js';
import { byteWord, type ByteWord } from './byte-word.js';
import { deadRegisters, liveRegisters } from './liveness.js';
import { emitTripCharge, emitTripStart, type TripBlock, type TripCharge } from './trip-charge.js';
import { analyzeGraph, functionEntries, innermostLoops, lastPc, type FlowGraph, type Terminator } from './graph.js';
import { CodeWriter, ModuleBuilder } from '../wasm/module.js';
import { emitAlu, emitCompare, emitRotate, emitUnary } from './lower-alu.js';
import { markStack, pushWindow, refill, scanAddress } from './lower-memory.js';
import { boundsLiveAfter, emitIndexedExit, emitRebase } from './indexed-access.js';
import {
  EXTRA_LOCALS,
  L_A,
  L_ACC,
  L_BLIM,
  L_BLIN,
  L_BUDGET,
  L_COND,
  L_D,
  L_EXIT,
  L_FP,
  L_GB,
  L_K,
  L_LABEL,
  L_NOCHUNK,
  L_RESUME,
  L_S0,
  L_T,
  L_T0,
  L_T2,
  OUTER,
  REGS,
  RESULTS,
} from './locals.js';
import { Op, ValType, type ValTypeCode } from '../wasm/opcodes.js';
import { emitAtomic } from './lower-atomic.js';
import { frameRanges, type FrameRanges } from './frame-ranges.js';
import { stackFootprint } from '../vm/stack.js';
import { mayWriteFrame } from './slot-escape.js';
import { emitSlotLoad, emitSlotStore, functionSlots, loadSlots, promotableSlots, type PromotedSlot, type SlotPlan } from './stack-slots.js';
import { emitSpanHead, NO_SPANS, planSpans, type SpanPlan } from './span-checks.js';
import { inlineCalls, JIT_REGISTERS, type InlinePlan } from './inline.js';

/** Options that change the generated code. */
export interface CompileOptions {
  /** Bytes per stack frame (RunLimits.stackSize). */
  readonly stackSize: number;
  /**
   * Check r10-relative accesses inside the frame at compile time. Sound only when r10 is never
   * written and the whole stack is one writable region (the engine checks both).
   */
  readonly frameFastPath: boolean;
  /**
   * Slots that cannot run (length = program length + 1): they compile to a trap that throws the
   * interpreter's error for that slot when reached. The last entry stands for running off the end.
   */
  readonly badSlots: Uint8Array;
  /**
   * Largest function body to hand to the WebAssembly engine, in bytes: a bigger one is refused with a
   * JitError. Defaults to (a little under) V8's limit; tests lower it.
   */
  readonly maxFunctionBytes?: number;
  /**
   * Import a shared memory (VmMemory.shared, worker threads) and lower eBPF atomics to WebAssembly
   * atomics (a misaligned one, which the kernel refuses, stays a plain read-modify-write).
   */
  readonly shared?: boolean;
  /** The memory's reserved words (VmMemory.scratch: the stack mark and helper result there); default 0. */
  readonly scratch?: number;
  /** Inline small leaf functions into their callers (inline.ts); default true. */
  readonly inline?: boolean;
}

/** The output of {@link compileToWasm}. */
export interface CompiledWasm {
  /** The module bytes. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Function index of the entry (exported as `entry`). */
  readonly entryIndex: number;
  /** Number of eBPF functions compiled. */
  readonly functionCount: number;
  /** Functions that needed the dispatch-loop fallback (irreducible control flow), by entry pc. */
  readonly dispatchFunctions: readonly number[];
  /** The eBPF pcs of the exit tests of loops whose budget is checked once per entry (see loop-bound.ts). */
  readonly boundedLoops: readonly number[];
  /** Of those, the loops whose charges come from their induction variable (see trip-charge.ts). */
  readonly tripChargedLoops: readonly number[];
  /** The pcs of the blocks that start chunks of check-free iterations of a loop (see loop-shapes.ts, `ChunkedLoop`; any block of its cycle may). */
  readonly chunkedLoops: readonly number[];
  /** The eBPF pc each compiled function starts at; function `entryIndex + k` starts at `functionPcs[k]`. */
  readonly functionPcs: readonly number[];
  /** Functions' copies that check the budget on every block: function index and the eBPF pc of the original. */
  readonly checkedFunctions: readonly { readonly index: number; readonly pc: number }[];
  /**
   * When calls were inlined (inline.ts): the program's pc of every pc the module reports (errors,
   * helper calls); the pcs above (loops, functions) are the compiled program's.
   */
  readonly origin?: Int32Array;
  /** The pcs of the local calls inlined. */
  readonly inlinedCalls: readonly number[];
}

/** ALU operations that cannot fail or branch in the generated code, so a block of them can run speculatively. */
const PURE_ALU: ReadonlySet<AluName> = new Set<AluName>(['add', 'sub', 'mul', 'or', 'and', 'xor', 'lsh', 'rsh', 'arsh', 'mov']);
/**
 * Most graph nodes of a function compiled as a dispatch loop (one `block` and one `br_table` entry
 * per node). V8 refuses a `br_table` of more than 65,520 entries; a bigger function with irreducible
 * control flow is refused with a JitError, and one with loops gets no checked copy (every block then
 * checks the budget itself).
 */
const MAX_DISPATCH_NODES = 65_520;
/** Largest block (in instructions) compiled as selects rather than a branch. */
const MAX_SELECT_BLOCK = 3;
const LOAD: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };
const LOAD_S: Record<1 | 2 | 4, number> = { 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s };
const STORE: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };

interface Decoded {
  readonly ops: readonly Operation[];
  readonly blocks: readonly BasicBlock[];
  /** Block index starting at each slot, or -1. */
  readonly blockAt: Int32Array;
  /** The registers live on entry to each slot (liveness.ts). */
  readonly live: Uint16Array;
  /** The frame slots that may live in locals (stack-slots.ts), when r10 does not escape. */
  readonly slots: SlotPlan | undefined;
  /** Accesses through a computed pointer into the frame, by pc (frame-ranges.ts); empty without the frame fast path. */
  frames: FrameRanges;
  /** The frame slots that may live in locals (slot-escape.ts): `slots`, or where r10 escapes the slots no computed frame pointer writes. */
  promotable: SlotPlan | undefined;
  /** The lowest r10 offset the program entry's run marks when it starts (vm/stack), or undefined when it marks the whole stack. */
  readonly footprintLow: number | undefined;
  /** The calls inlined (inline.ts), when any. */
  readonly inlined: InlinePlan | undefined;
}

function decode(insns: readonly Insn[], badSlots: Uint8Array, options: CompileOptions, program: readonly Insn[], inlined: InlinePlan | undefined): Decoded {
  const ops = insns.map(decodeOperation);
  const blocks = basicBlocks(insns);
  const blockAt = new Int32Array(insns.length + 1).fill(-1);
  blocks.forEach((b, i) => (blockAt[b.start] = i));
  const slots = options.frameFastPath ? promotableSlots(insns, ops, badSlots, options.stackSize, undefined, inlined?.copiesStart) : undefined;
  // The run marks the footprint of the program it was given (vm/stack), before inlining.
  const reach = stackFootprint(program);
  return { ops, blocks, blockAt, live: liveRegisters(insns, ops, badSlots), slots, frames: new Map(), promotable: slots, footprintLow: reach.whole ? undefined : reach.low, inlined };
}



/**
 * Largest function body V8 accepts, in bytes (its `kV8MaxWasmFunctionSize`, which other engines
 * share). The body's local declarations count too: they take a few dozen bytes, hence the margin.
 */
const V8_MAX_FUNCTION_BYTES = 7_654_321;

/** Refuse a function the engine would reject for its size, with what to do instead. */
function checkSize(code: CodeWriter, pc: number, limit: number): void {
  if (code.w.length <= limit) return;
  throw new JitError(
    `the function at pc ${pc} compiles to ${code.w.length} bytes of WebAssembly, over the ${limit}-byte limit ` +
      `(WebAssembly engines accept at most ${V8_MAX_FUNCTION_BYTES} bytes per function). Run the program on the interpreter, ` +
      'or split it into smaller functions (local calls) or tail-called programs',
    pc,
  );
}

/** Compile a program to a WebAssembly module (see layout.ts for its imports and globals). */
export function compileToWasm(program: readonly Insn[], compileOptions: CompileOptions): CompiledWasm {
  if (program.length === 0) throw new JitError('cannot compile an empty program');
  // Small leaf functions copied into their callers (inline.ts): the passes below see the new program.
  const inlined = compileOptions.inline === false ? undefined : inlineCalls(program, compileOptions.badSlots, compileOptions.stackSize);
  const insns = inlined?.insns ?? program;
  const options: CompileOptions = inlined === undefined ? compileOptions : { ...compileOptions, badSlots: inlined.badSlots };
  const d = decode(insns, options.badSlots, options, program, inlined);
  const n = insns.length;
  const maxBytes = options.maxFunctionBytes ?? V8_MAX_FUNCTION_BYTES - 1024;
  const blockOf = (pc: number): number => (pc >= 0 && pc < n ? d.blockAt[pc]! : -1);

  // Terminator of every basic block, in block numbering.
  const terms: Terminator[] = d.blocks.map((b) => {
    for (let pc = b.start; pc < b.end; pc += d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      if (options.badSlots[pc] === 1) return { kind: 'none' };
    }
    const pc = lastPc(insns, b);
    const op = d.ops[pc]!;
    const fall = blockOf(b.end);
    if (op.kind === 'exit') return { kind: 'exit' };
    if (op.kind === 'ja') return { kind: 'goto', to: blockOf(branchTarget(op, insns[pc]!, pc)!) };
    if (op.kind === 'jcond') return { kind: 'cond', taken: blockOf(branchTarget(op, insns[pc]!, pc)!), fall };
    return { kind: 'goto', to: fall };
  });

  // Functions: the entry, every valid local-call target and every callback (graph.ts).
  const entries = functionEntries(insns, d.ops, options.badSlots);

  // With r10 escaping into other registers (no slot plan), the accesses through them that stay in the frame.
  if (options.frameFastPath && d.slots === undefined) {
    d.frames = frameRanges(insns, d.ops, d.blocks, d.blockAt, entries, options.badSlots);
    const mayWrite = mayWriteFrame(insns, d.ops, d.blocks, d.blockAt, entries, options.badSlots);
    d.promotable = promotableSlots(insns, d.ops, options.badSlots, options.stackSize, { ranges: d.frames, mayWrite }, inlined?.copiesStart);
  }

  const mb = new ModuleBuilder();
  mb.importFunction('env', 'memError', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32], [ValType.i32]);
  // Helper arguments as i32 halves, the result in linear memory: see Import.helper.
  const helperArgs: ValTypeCode[] = Array.from({ length: 12 }, (): ValTypeCode => ValType.i32);
  mb.importFunction('env', 'helper', helperArgs, []);
  mb.importFunction('env', 'helperx', [ValType.i64, ...helperArgs.slice(1)], []);
  mb.importFunction('env', 'packet', [ValType.i32, ValType.i32], [ValType.i32]);
  mb.importFunction('env', 'trap', [ValType.i32, ValType.i32], []);
  mb.importFunction('env', 'tail', [], RESULTS);
  mb.importMemory('env', 'memory', options.shared === true);
  for (let g = 0; g < GLOBAL_COUNT; g++) {
    const i32 =
      g === Global.halt || g === Global.depth || g === Global.maxDepth || g === Global.stackDelta || g === Global.tableAddr || g === Global.tableCount || g === Global.cacheOffset || g === Global.label;
    mb.export(`g${g}`, 'global', mb.global(i32 ? ValType.i32 : ValType.i64));
  }
  const funcIndex = new Map<number, number>();
  for (const e of entries) funcIndex.set(e, mb.declareFunction(REGS, RESULTS));
  const dispatchFunctions: number[] = [];
  const boundedLoops: number[] = [];
  const tripChargedLoops: number[] = [];
  const chunkedLoops: number[] = [];
  const checkedFunctions: { index: number; pc: number }[] = [];
  for (const e of entries) {
    // A function with loops that check the budget once per iteration also gets a copy that checks it on
    // every block and can start at any block (a dispatch loop), to continue in when the budget may run
    // out before the next check. It takes its registers in globals: registers flowing into call
    // arguments make V8 spill them in loops.
    const makeChecked = (resume: ReadonlyMap<number, number>): CheckedCopy | undefined => {
      const checked = new FunctionCompiler(insns, d, terms, options, funcIndex);
      checked.entryPc = e;
      checked.resumePcs = new Set(resume.keys());
      const labels = checked.compileChecked(blockOf(e));
      if (labels === undefined) return undefined;
      checkSize(checked.code, e, maxBytes);
      const index = mb.declareFunction([], RESULTS);
      mb.defineFunction(index, [...REGS, ...EXTRA_LOCALS], checked.code);
      checkedFunctions.push({ index, pc: e });
      return { func: index, labels, resume };
    };
    const fc = new FunctionCompiler(insns, d, terms, options, funcIndex, makeChecked);
    fc.entryPc = e;
    const code = fc.compile(blockOf(e));
    checkSize(code, e, maxBytes);
    if (fc.usedDispatch) dispatchFunctions.push(e);
    else {
      boundedLoops.push(...fc.boundedTests);
      tripChargedLoops.push(...fc.tripChargedTests);
      chunkedLoops.push(...fc.chunkedHeaders);
    }
    const spanLocals: ValTypeCode[] = Array<ValTypeCode>(fc.spans.locals).fill(ValType.i32);
    mb.defineFunction(funcIndex.get(e)!, [...EXTRA_LOCALS, ...fc.slotList.map((): ValTypeCode => ValType.i64), ...spanLocals], code);
  }
  const entryIndex = funcIndex.get(0)!;
  mb.export('entry', 'func', entryIndex);
  // Callbacks: every function but the entry, by slot, for HelperContext.callFunction.
  for (const e of entries) if (e !== 0) mb.export(`f${e}`, 'func', funcIndex.get(e)!);
  emitRunExports(mb, entryIndex, (options.scratch ?? 0) + STACK_MARK);
  const inlinedCalls = inlined === undefined ? [] : [...inlined.sites.keys()].sort((a, b) => a - b);
  return { bytes: mb.build(), entryIndex, functionCount: entries.length, dispatchFunctions, boundedLoops, tripChargedLoops, chunkedLoops, functionPcs: entries, checkedFunctions, inlinedCalls, ...(inlined === undefined ? {} : { origin: inlined.origin }) };
}

/** A function's copy that checks the budget on every block: its index and the dispatch label of each block. */
interface CheckedCopy {
  readonly func: number;
  readonly labels: ReadonlyMap<number, number>;
  /** The accesses a run can resume at (see {@link FunctionCompiler.deoptPcs}): pc → its ordinal among its block's. */
  readonly resume: ReadonlyMap<number, number>;
}

/** A conditional jump over a short pure block, compiled as `select`s instead of a branch. */
interface Converted {
  /** The skipped block (block index). */
  readonly block: number;
  /** True when the block runs when the jump is taken (it is the jump's target), false when it is the fall-through. */
  readonly whenTaken: boolean;
  /** Registers the block writes. */
  readonly writes: readonly number[];
}

/** A CodeWriter that calls `onWrite` after every `local.set` or `local.tee` of local `watched`. */
class WatchingWriter extends CodeWriter {
  watched = -1;
  onWrite: () => void = () => undefined;
  override set(local: number): this {
    super.set(local);
    if (local === this.watched) this.onWrite();
    return this;
  }
  override tee(local: number): this {
    super.tee(local);
    if (local === this.watched) this.onWrite();
    return this;
  }
}

/** An access at `reg + off` right after `reg = base; reg += index` in its block: the address is base + index + off. */
interface IndexedAccess {
  readonly base: number;
  readonly index: number;
  readonly size: 1 | 2 | 4 | 8;
}

class FunctionCompiler implements StructSink {
  readonly code = new WatchingWriter();
  /** Linear offset of the stack mark (see vm/stack) in the memory the code runs in. */
  private get mark(): number {
    return (this.options.scratch ?? 0) + STACK_MARK;
  }
  /**
   * Accesses (by pc) through the indexed base register (code.watched), checked against L_BLIM: clang
   * addresses arrays as `r = base; r += i << k`, with the base invariant across a whole loop nest.
   */
  private indexed = new Map<number, IndexedAccess>();
  /** The sizes of those accesses (each has its L_BLIM). */
  private readonly indexedSizes = new Set<1 | 2 | 4 | 8>();
  /** Whether some of those accesses write. */
  private indexedStores = false;
  /** The pc of the instruction being emitted by {@link FunctionCompiler.instruction}, else -1. */
  private curPc = -1;
  usedDispatch = false;
  /**
   * Blocks ending in a conditional jump over a short pure block (a "triangle": the skipped block
   * falls through or jumps to the other target). Branches like these are data-dependent in clang's
   * code (log2, min/max, flag setting) and mispredict; a `select` becomes a conditional move.
   */
  private readonly converted = new Map<number, Converted>();
  /** The access group being compiled in its checked-once copy, if any. */
  private fastGroup: AccessGroup | undefined;
  /** Accesses (by pc) of the counted loop being compiled in its check-free copy: addressed through L_D. */
  private fastPcs: ReadonlySet<number> | undefined;
  /** Counted loops (by graph node) versioned as siblings: the checked loop is only the checked body. */
  private readonly siblings = new Map<number, CountedLoop>();
  /** Chunked loop headers (graph nodes) whose terminator takes the exit when L_EXIT is set, and where to. */
  private readonly forcedExit = new Map<number, number>();
  /** Switch plans by graph node, and the edges of all switches (graph node -1-k is edge k). */
  private readonly switchOf = new Map<number, SwitchPlan>();
  private trampolines: SwitchEdge[] = [];
  /** Graph node → block index (negative: -1-k for switch edge k). */
  private nodes: number[] = [];
  /** Block index → graph node. */
  private nodeOf: ReadonlyMap<number, number> = new Map();

  constructor(
    private readonly insns: readonly Insn[],
    private readonly d: Decoded,
    private readonly terms: readonly Terminator[],
    private readonly options: CompileOptions,
    private readonly funcIndex: ReadonlyMap<number, number>,
    /** For a fast copy: makes the checked copy, when a loop needs it (undefined: the function is too big for one). */
    private readonly makeChecked?: (resume: ReadonlyMap<number, number>) => CheckedCopy | undefined,
  ) {}

  /** The checked copy, once made. */
  private checkedCopy: CheckedCopy | undefined;
  /** In the fast copy: the frame slots kept in locals (stack-slots.ts), by offset. */
  slotList: readonly PromotedSlot[] = [];
  /**
   * In the fast copy: region checks hoisted to a dominating access (span-checks.ts), an i32 local per
   * head after the slots'.
   */
  spans: SpanPlan = NO_SPANS;
  /** The eBPF pc the function starts at (0: the program's entry, whose frame the run's footprint covers). */
  entryPc = -1;
  /** Registers passed to the checked copy: r0-r10, and r11-r14 when calls were inlined (inline.ts). */
  private get registers(): number {
    return this.d.inlined === undefined ? 11 : JIT_REGISTERS;
  }
  private slotAt = new Map<number, PromotedSlot>();
  /** In the fast copy: accesses whose miss leaves for the checked copy (see {@link FunctionCompiler.resumeLabel}). */
  private deopt: ReadonlySet<number> = new Set();
  /** In the checked copy: the accesses a run may resume at. */
  resumePcs: ReadonlySet<number> = new Set();
  /** The function as the loop analyses (loop-shapes.ts) see it. */
  private get loopContext(): LoopContext {
    return (this.loopContextCache ??= this.makeLoopContext());
  }
  private loopContextCache: LoopContext | undefined;
  private makeLoopContext(): LoopContext {
    return {
      insns: this.insns,
      ops: this.d.ops,
      blocks: this.d.blocks,
      terms: this.terms,
      badSlots: this.options.badSlots,
      frameFastPath: this.options.frameFastPath,
      stackSize: this.options.stackSize,
      lastPc: (b) => lastPc(this.insns, b),
      converted: (b) => this.converted.has(b),
      plainBlock: (b) => {
        if (this.converted.has(b)) return false;
        const n = this.nodeOf.get(b);
        return n !== undefined && !this.switchOf.has(n);
      },
    };
  }
  /** After every cache refill: recompute what the indexed accesses derive from the cache. */
  private readonly filled = (): void => {
    if (this.code.watched >= 0) this.rebase();
  };
  /** The block being emitted, and the label depth of the instruction being emitted. */
  private curBlock: BasicBlock | undefined;
  private curDepth = 0;
  /** Set when the function is too big for a checked copy: no checkpoint may then exit to one. */
  private noCheckedCopy = false;

  /**
   * Budget checks in the fast copy, per graph node: 0 checks its own charge, 1 checks for everything up
   * to the next checkpoint (`reach`) and exits to the checked copy when short, 2 only subtracts.
   */
  private mode: Uint8Array = new Uint8Array(0);
  /** Loops (by header node) whose budget is charged once per entry (see boundedLoops). */
  private bounded: ReadonlyMap<number, BoundedLoop> = new Map();
  /** The pcs of the exit tests of the loops whose budget is charged once per entry. */
  get boundedTests(): number[] {
    return [...this.bounded.values()].map((l) => l.bound.pc);
  }
  /** Of those, the loops charged from their induction variable. */
  get tripChargedTests(): number[] {
    return [...this.bounded.values()].filter((l) => l.trip !== undefined).map((l) => l.bound.pc);
  }
  private reach: Float64Array = new Float64Array(0);
  /** Per node: no deferred charge reaches it (see CheckPlan.settled). */
  private settled: Uint8Array = new Uint8Array(0);
  /** True while emitting code that checks the budget on every block (the checked copy, or a fast copy that fell back to dispatch). */
  private everyBlock = true;
  /** The node being emitted charges without checking (into L_ACC). */
  private unchecked = false;
  /** The node being emitted sets L_ACC from its loop's induction variable instead of charging (trip-charge.ts). */
  private tripCharged = false;
  /** The nodes of bounded loops charged from their induction variable, with their loop and their charge. */
  private tripOf: ReadonlyMap<number, { readonly trip: TripCharge; readonly block: TripBlock }> = new Map();
  /** Some nodes charge without checking, so L_ACC may be non-zero and readers of the budget flush it. */
  private deferred = false;
  /**
   * Emitting structured code, where every loop's entry passes through {@link FunctionCompiler.loopEntry}
   * (not a dispatch loop): a chunked loop's header may then skip its guard after it failed twice.
   */
  private structured = false;
  /** The header pcs of the chunked loops emitted in structured code. */
  readonly chunkedHeaders: number[] = [];

  /**
   * The checked copy: a dispatch loop that starts at the block named by Global.label and checks the
   * budget on every block. Returns the dispatch label of each block, or undefined (emitting nothing)
   * when the function has too many blocks for a dispatch loop.
   */
  compileChecked(entryBlock: number): Map<number, number> | undefined {
    const graph = this.buildGraph(entryBlock, false);
    if (graph.count > MAX_DISPATCH_NODES) return undefined;
    const c = this.code;
    c.block().block().block();
    for (let r = 0; r < this.registers; r++) c.gget(Global.savedR0 + r).set(r);
    this.chooseIndexedBase();
    this.prologue();
    c.gget(Global.label).tee(L_LABEL).i32(RESUME_SHIFT).op(Op.i32_shr_u).set(L_RESUME);
    c.get(L_LABEL).i32((1 << RESUME_SHIFT) - 1).op(Op.i32_and).set(L_LABEL);
    const index = emitDispatch(graph, this, OUTER, L_LABEL, true);
    this.epilogue();
    const labels = new Map<number, number>();
    this.nodes.forEach((b, n) => {
      if (b >= 0 && index[n]! >= 0) labels.set(b, index[n]!);
    });
    return labels;
  }

  /** Plan where the fast copy checks the budget (check-plan.ts), and make the checked copy the plan needs. */
  private planChecks(graph: FlowGraph): void {
    const plan = planChecks(this.checkPlanSource(graph), this.noCheckedCopy);
    this.mode = plan.mode;
    this.reach = plan.reach;
    this.settled = plan.settled;
    this.bounded = plan.bounded;
    this.tripOf = plan.tripOf;
    this.deferred = plan.deferred;
    const deopt = plan.deopt;
    if (this.checkedCopy === undefined && (plan.mode.includes(1) || deopt.size > 0 || plan.bounded.size > 0)) {
      this.checkedCopy = this.makeChecked!(deopt);
      if (this.checkedCopy === undefined) {
        this.noCheckedCopy = true;
        this.planChecks(graph);
        return;
      }
    }
    const resume = this.checkedCopy?.resume;
    this.deopt = resume === undefined ? new Set() : new Set([...deopt.keys()].filter((pc) => resume.has(pc)));
  }

  private checkPlanSource(graph: FlowGraph): CheckPlanSource {
    return {
      graph,
      nodes: this.nodes,
      loopContext: this.loopContext,
      isSwitch: (x) => this.switchOf.has(x),
      converted: (b) => this.converted.get(b)?.writes,
      cost: (x) => this.cost(x),
      endsInLocalCall: (x) => this.endsInLocalCall(x),
      resumable: (pc, op, i) => {
        const acc = op.kind === 'atomic' ? { reg: i.dst, off: i.offset, size: op.size } : this.access(pc);
        return acc !== undefined && !this.inFrame(pc, acc.reg, acc.off, acc.size);
      },
    };
  }

  /**
   * Before entering a loop whose budget is charged once per entry: when the iterations its bound
   * allows might not fit in the budget, continue in the checked copy at the header (a `br` out to the
   * epilogue, before the loop is opened), where every block checks and fails at the interpreter's pc.
   */
  private boundGuard(node: number, depth: number): void {
    const loop = this.bounded.get(node);
    if (loop === undefined || this.everyBlock) return;
    const c = this.code;
    const label = this.checkedCopy!.labels.get(this.nodes[node]!);
    if (label === undefined) throw new JitError('internal: a bounded loop has no checked copy', this.d.blocks[this.nodes[node]!]!.start);
    this.flush();
    emitBoundCheck(c, loop.bound, loop.cost, loop.after);
    c.op(Op.i32_eqz).if();
    this.deadAt(this.d.blocks[this.nodes[node]!]!.start, true);
    c.i32(label).set(L_LABEL).br(depth + 1 - OUTER);
    c.end();
    if (loop.trip !== undefined) emitTripStart(c, loop.trip);
  }

  /**
   * The checked copy's start label that resumes a run at the access at `pc` (its block already
   * charged), when a miss there in the fast copy leaves for the checked copy; else undefined (the miss
   * scans the region table in place). Leaving keeps the table scan, a loop, out of the fast copy's
   * loops, which V8 compiles worse with a loop nested in them even when it never runs. Not inside a
   * check-free loop copy, which charged the budget of iterations it has not run yet.
   */
  private resumeLabel(pc: number): number | undefined {
    const b = this.curBlock;
    if (this.everyBlock || this.fastPcs !== undefined || b === undefined || !this.deopt.has(pc) || pc < b.start || pc >= b.end) return undefined;
    const copy = this.checkedCopy;
    const label = copy?.labels.get(this.d.blockAt[b.start]!);
    if (copy === undefined || label === undefined) return undefined;
    // The br_table index of the access among its block's resume points (see resumeSegments).
    return label | (copy.resume.get(pc)! << RESUME_SHIFT);
  }

  /** The resume points (see {@link CheckedCopy.resume}) in block `b`, in order, when this is the checked copy. */
  private resumePointsOf(b: BasicBlock): number[] {
    const out: number[] = [];
    if (this.resumePcs.size === 0) return out;
    for (let pc = b.start; pc < b.end; pc++) if (this.resumePcs.has(pc)) out.push(pc);
    return out;
  }

  /**
   * A block of the checked copy that a run may enter at one of its accesses (`points`): nested blocks
   * around it and a `br_table` on L_RESUME (then cleared) to the start (charging the block) or to the
   * access to resume at (the block was charged in the fast copy). Access groups are not formed here,
   * so that every access is its own resume point.
   */
  private resumeSegments(b: BasicBlock, points: readonly number[], depth: number): void {
    const c = this.code;
    const m = points.length;
    const last = lastPc(this.insns, b);
    for (let k = 0; k <= m; k++) c.block();
    c.get(L_RESUME).i32(0).set(L_RESUME);
    c.brTable(
      Array.from({ length: m + 1 }, (_, k) => k),
      0,
    );
    c.end();
    this.charge(b.length, b.start);
    for (let k = 0; k <= m; k++) {
      const from = k === 0 ? b.start : points[k - 1]!;
      const to = k < m ? points[k]! : b.end;
      for (let pc = from; pc < to; ) {
        const op = this.d.ops[pc]!;
        if (pc === last && (op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit')) {
          this.inlinedCall(pc);
          break;
        }
        const fused = emitRotate(this.code, this.d.ops, this.insns, this.options.badSlots, pc, to);
        if (fused > 0) {
          pc += fused;
          continue;
        }
        this.instruction(op, this.insns[pc]!, pc, depth + m - k);
        pc += op.kind === 'lddw' ? 2 : 1;
      }
      if (k < m) c.end();
    }
  }

  /** The registers an exit to the checked copy resuming at `pc` passes as 0 (see liveness.ts); `set`: zero them. */
  private deadAt(pc: number, set = false): number[] {
    const b = this.curBlock;
    const dead = deadRegisters(this.d.live, this.insns, this.d.ops, b !== undefined && pc > b.start && pc < b.end ? b.start : pc, pc, this.code.watched);
    if (set) for (const r of dead) this.code.i64(0).set(r);
    return dead;
  }

  /** True when the node's block ends with a local call. */
  private endsInLocalCall(node: number): boolean {
    const b = this.nodes[node]!;
    if (b < 0) return false;
    const op = this.d.ops[lastPc(this.insns, this.d.blocks[b]!)]!;
    return op.kind === 'call' && op.target === 'local';
  }

  /** The most a node charges: its block, plus a converted block it may run; a switch edge's compare blocks. */
  private cost(node: number): number {
    const b = this.nodes[node]!;
    if (b < 0) return this.trampolines[-1 - b]!.path.reduce((sum, k) => sum + this.d.blocks[k]!.length, 0);
    const conv = this.converted.get(b);
    return this.d.blocks[b]!.length + (conv !== undefined ? this.d.blocks[conv.block]!.length : 0);
  }

  /** Charge `length` for the block starting at `pc`: checked (failing at pc) or, in the fast copy, not. */
  private charge(length: number, pc: number): void {
    const c = this.code;
    if (this.tripCharged) return;
    if (!this.unchecked) {
      c.get(L_BUDGET).i64(length).op(Op.i64_sub).tee(L_BUDGET).i64(0).op(Op.i64_lt_s);
      c.if().i32(Trap.budget).i32(pc).call(Import.trap).op(Op.unreachable).end();
    } else {
      c.get(L_ACC).i64(length).op(Op.i64_add).set(L_ACC);
    }
  }

  /**
   * Subtract the deferred charges (L_ACC) from the budget, where it must be exact: before a check,
   * a call, an exit. Unchecked blocks add their charges to L_ACC rather than to the budget because
   * the budget is carried from one iteration of a loop to the next and every subtraction on it waits
   * for the one before: a loop of many small blocks (log2_int: about 24 charges, half of them
   * `select`s on the block's condition) ran at one charge per cycle. L_ACC starts from 0 at the
   * loop's checkpoint, so each iteration's sum is independent of the last.
   */
  private flush(): void {
    if (this.deferred) this.code.get(L_BUDGET).get(L_ACC).op(Op.i64_sub).set(L_BUDGET).i64(0).set(L_ACC);
  }

  /** Push the exact budget (deferred charges included) as an i64. */
  private budgetNow(): void {
    this.code.get(L_BUDGET);
    if (this.deferred) this.code.get(L_ACC).op(Op.i64_sub);
  }

  /** The block's registers written, when it is short, pure (plain ALU) and ends by going to `join`; else undefined. */
  private pureBlock(block: number, join: number): number[] | undefined {
    const t = this.terms[block]!;
    if (t.kind !== 'goto' || t.to !== join) return undefined;
    const b = this.d.blocks[block]!;
    if (b.length > MAX_SELECT_BLOCK) return undefined;
    const writes: number[] = [];
    for (let pc = b.start; pc < b.end; pc++) {
      if (this.options.badSlots[pc] === 1) return undefined;
      const op = this.d.ops[pc]!;
      const i = this.insns[pc]!;
      if (op.kind === 'ja' && pc === b.end - 1) continue;
      if (!((op.kind === 'alu' && PURE_ALU.has(op.op)) || op.kind === 'neg')) return undefined;
      if (!writes.includes(i.dst)) writes.push(i.dst);
    }
    return writes.length <= 2 ? writes : undefined;
  }

  /** The terminator this function compiles for a block (a converted jump becomes a goto to the join). */
  private termOf(block: number): Terminator {
    const t = this.terms[block]!;
    if (t.kind !== 'cond' || t.taken === t.fall || t.taken < 0 || t.fall < 0) return t;
    const have = this.converted.get(block);
    if (have !== undefined) return { kind: 'goto', to: have.whenTaken ? t.fall : t.taken };
    if (t.fall !== block) {
      const writes = this.pureBlock(t.fall, t.taken);
      if (writes !== undefined) {
        this.converted.set(block, { block: t.fall, whenTaken: false, writes });
        return { kind: 'goto', to: t.taken };
      }
    }
    if (t.taken !== block) {
      const writes = this.pureBlock(t.taken, t.fall);
      if (writes !== undefined) {
        this.converted.set(block, { block: t.taken, whenTaken: true, writes });
        return { kind: 'goto', to: t.fall };
      }
    }
    return t;
  }

  compile(entryBlock: number): CodeWriter {
    let graph = this.buildGraph(entryBlock, true);
    const c = this.code;
    if (this.d.promotable !== undefined && this.d.promotable.size > 0) this.promote(this.d.promotable, graph);
    c.block().block().block();
    this.chooseIndexedBase();
    this.prologue();
    const at = c.w.length;
    this.everyBlock = this.makeChecked === undefined;
    if (!this.everyBlock) this.planChecks(graph);
    this.planSpans(graph);
    this.structured = true;
    const done = emitStructured(graph, this, OUTER);
    this.structured = false;
    if (!done) {
      // Nothing was emitted by the structured pass; use the dispatch loop (without multiway branches).
      if (c.w.length !== at) throw new JitError('internal: the structured pass emitted code and gave up');
      graph = this.buildGraph(entryBlock, false);
      if (!this.everyBlock) this.planChecks(graph);
      this.planSpans(graph);
      this.structured = true;
      const again = emitStructured(graph, this, OUTER);
      this.structured = false;
      if (!again) {
        if (graph.count > MAX_DISPATCH_NODES) {
          const pc = this.d.blocks[entryBlock]!.start;
          throw new JitError(
            `the function at pc ${pc} has irreducible control flow (a loop entered other than through its header) and ` +
              `${graph.count} blocks; the JIT compiles such a function to a dispatch loop of at most ${MAX_DISPATCH_NODES} blocks. ` +
              'Run the program on the interpreter, or split the function',
            pc,
          );
        }
        this.usedDispatch = true;
        this.everyBlock = true;
        this.spans = NO_SPANS;
        emitDispatch(graph, this, OUTER, L_LABEL);
      }
    }
    this.epilogue();
    return c;
  }

  /** Close the body: the switch to the checked copy, the halt path and the function's end. */
  private epilogue(): void {
    const c = this.code;
    c.end();
    // Reached (by `br`, out of any loop, so that no call sits in a loop) when the budget may run out
    // before the next check: continue at block L_LABEL of the checked copy, whose results are ours.
    if (this.checkedCopy !== undefined) {
      this.budgetNow();
      c.gset(Global.budget).get(L_LABEL).gset(Global.label);
      for (let r = 0; r < this.registers; r++) c.get(r).gset(Global.savedR0 + r);
      c.call(this.checkedCopy.func).op(Op.return);
    } else {
      c.op(Op.unreachable);
    }
    c.end();
    // Halt path: save registers for the runtime, let it run a pending tail call, return its results.
    for (let r = 0; r <= 10; r++) c.get(r).gset(Global.savedR0 + r);
    this.budgetNow();
    c.gset(Global.budget);
    c.call(Import.tail).op(Op.return);
    c.end();
    for (let r = 0; r < 6; r++) c.i64(0);
  }

  /**
   * The function's flow graph: its blocks reachable from the entry without following calls, plus
   * (with `switches`) one node per edge of each recognised switch, charging the compare blocks the
   * `br_table` jumps over.
   */
  private buildGraph(entryBlock: number, switches: boolean): FlowGraph {
    this.nodes = [];
    this.switchOf.clear();
    this.forcedExit.clear();
    this.siblings.clear();
    this.trampolines = [];
    const local = new Map<number, number>();
    this.nodeOf = local;
    const visit = (b: number): number => {
      if (b < 0) return -1;
      let n = local.get(b);
      if (n === undefined) {
        n = this.nodes.length;
        local.set(b, n);
        this.nodes.push(b);
      }
      return n;
    };
    visit(entryBlock);
    const term: Terminator[] = [];
    for (let i = 0; i < this.nodes.length; i++) {
      const b = this.nodes[i]!;
      if (b < 0) {
        // A switch edge: charge its compare blocks, then go on to its target.
        term[i] = { kind: 'goto', to: visit(this.trampolines[-1 - b]!.target) };
        continue;
      }
      const sw = switches ? this.switchPlan(b) : undefined;
      if (sw !== undefined) {
        const edgeNodes = sw.edges.map((e) => {
          this.trampolines.push(e);
          this.nodes.push(-this.trampolines.length);
          return this.nodes.length - 1;
        });
        this.switchOf.set(i, sw);
        const targets = sw.index.map((k) => edgeNodes[k]!);
        term[i] = { kind: 'table', targets, fallback: targets[targets.length - 1]! };
        continue;
      }
      const t = this.termOf(b);
      if (t.kind === 'goto') term[i] = { kind: 'goto', to: visit(t.to) };
      else if (t.kind === 'cond') {
        const taken = visit(t.taken);
        term[i] = { kind: 'cond', taken, fall: visit(t.fall) };
      } else term[i] = t;
    }
    return { count: this.nodes.length, entry: 0, term };
  }

  /** The switch rooted at `block` (see switch-table.ts), or undefined. */
  private switchPlan(block: number): SwitchPlan | undefined {
    return planSwitch(
      {
        compareOf: (b, reg, width) => this.compareOf(b, reg, width),
        blockLength: (b) => this.d.blocks[b]!.length,
        maskBound: (b, reg) => this.maskBound(b, reg),
      },
      block,
    );
  }

  /**
   * m when the last write of `reg` in `block` before its final jump is `reg &= m` with 0 <= m (then
   * the value is in [0, m] in every width and signedness: clang's `switch (x & 63)`); else undefined.
   */
  private maskBound(block: number, reg: number): number | undefined {
    const b = this.d.blocks[block]!;
    const last = lastPc(this.insns, b);
    let bound: number | undefined;
    for (let pc = b.start; pc < last; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = this.d.ops[pc]!;
      const i = this.insns[pc]!;
      // r0 is also written by cmpxchg, packet loads and calls (r1-r5 too, for local calls).
      const implicit = (op.kind === 'atomic' && op.op === 'cmpxchg') || op.kind === 'ldabs' || op.kind === 'ldind' ? reg === 0 : op.kind === 'call' || op.kind === 'callx' ? reg <= 5 : false;
      if (!implicit && !fieldUse(op).writes.some((f) => i[f] === reg)) continue;
      bound = !implicit && op.kind === 'alu' && op.op === 'and' && op.source === 'imm' && i.imm >= 0 ? i.imm : undefined;
    }
    return bound;
  }

  /** The compare-with-constant jump ending `block` (on register `reg` and width `width` when given). */
  private compareOf(block: number, reg: number, width: number): Compare | undefined {
    if (block < 0) return undefined;
    const b = this.d.blocks[block]!;
    for (let pc = b.start; pc < b.end; pc++) if (this.options.badSlots[pc] === 1) return undefined;
    const pc = lastPc(this.insns, b);
    const op = this.d.ops[pc]!;
    const t = this.terms[block]!;
    if (op.kind !== 'jcond' || op.source !== 'imm' || t.kind !== 'cond' || t.taken < 0 || t.fall < 0) return undefined;
    const i = this.insns[pc]!;
    if ((reg >= 0 && i.dst !== reg) || (width !== 0 && op.width !== width)) return undefined;
    return { reg: i.dst, width: op.width, cond: op.cond, imm: i.imm, taken: t.taken, fall: t.fall };
  }

  tableIndex(node: number): void {
    const sw = this.switchOf.get(node);
    if (sw === undefined) throw new JitError('internal: table index of a node without a switch');
    emitTableIndex(this.code, sw, L_T, L_A);
  }

  /** Plan the hoisted region checks of the fast copy (span-checks.ts) over `graph`. */
  private planSpans(graph: FlowGraph): void {
    this.spans = NO_SPANS;
    // Only where a head can leave for the checked copy (an access that may: loops without calls).
    if (this.everyBlock || this.checkedCopy === undefined || this.deopt.size === 0) return;
    // Accesses a block's own access group checks once (accessGroups) stay there; loops run as chunks
    // of check-free iterations are left out (their copies address accesses otherwise and cannot leave).
    const grouped = new Set<number>();
    const chunked = new Set<number>();
    for (const bi of this.nodes) {
      if (bi < 0) continue;
      for (const g of this.accessGroups(this.d.blocks[bi]!).values()) for (let pc = g.start; pc < g.end; pc++) grouped.add(pc);
      for (const k of chunkedLoop(this.loopContext, bi)?.path ?? []) for (let pc = this.d.blocks[k]!.start; pc < this.d.blocks[k]!.end; pc++) chunked.add(pc);
    }
    const inChunk = (pc: number): boolean => chunked.has(pc);
    this.spans = planSpans({
      insns: this.insns,
      ops: this.d.ops,
      blocks: this.d.blocks,
      badSlots: this.options.badSlots,
      graph,
      nodes: this.nodes,
      convertedWrites: (b) => this.converted.get(b)?.writes,
      excluded: (pc) => {
        const acc = this.access(pc);
        return acc === undefined || grouped.has(pc) || inChunk(pc) || this.inFrame(pc, acc.reg, acc.off, acc.size);
      },
      canLeave: (pc) => this.deopt.has(pc) && !inChunk(pc),
      forwardSlots: this.d.slots !== undefined,
      firstLocal: REGS.length + EXTRA_LOCALS.length + this.slotList.length,
    });
  }

  /** Keep the function's promotable frame slots in locals after EXTRA_LOCALS (stack-slots.ts). */
  private promote(plan: SlotPlan, graph: FlowGraph): void {
    const inner = new Map<number, number>();
    innermostLoops(graph, analyzeGraph(graph)).forEach((l, k) => l.body.forEach((n) => inner.set(n, k)));
    const blocks = this.nodes.flatMap((b, n) => (b >= 0 ? [{ block: this.d.blocks[b]!, loop: inner.get(n) ?? -1 }] : []));
    this.slotList = functionSlots(plan, this.insns, this.d.ops, this.options.badSlots, blocks, REGS.length + EXTRA_LOCALS.length);
    this.slotAt = new Map(this.slotList.map((s) => [s.off, s]));
  }

  private prologue(): void {
    const c = this.code;
    c.gget(Global.budget).set(L_BUDGET);
    // The region cache a function starts with is its caller's, or what `init` / `run` left: always one
    // of the current layout (helpers empty it), so the indexed bounds can start from it.
    if (this.code.watched >= 0) this.rebase();
    if (this.options.frameFastPath) {
      c.get(FRAME_POINTER).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
      c.i32(this.options.stackSize).op(Op.i32_sub).set(L_FP);
      loadSlots(c, this.slotList, L_FP, this.options.stackSize);
    }
  }

  /** Empty both region caches (a limit of 0 never hits). */
  private reloadCaches(): void {
    this.code.i64(0).gset(Global.cacheLimit);
    if (this.code.watched >= 0) this.rebase();
  }

  /**
   * Pick the register most accesses in the function's blocks address as `reg = B; reg += X; [reg + off]`
   * (at least two), and keep L_BLIM and L_BLIN exact for it: the writer recomputes them after every
   * write of B, the cache refill after every refill, and reloadCaches clears L_BLIM.
   */
  private chooseIndexedBase(): void {
    const found = new Map<number, IndexedAccess>();
    const count = new Map<number, number>();
    for (const bi of this.nodes) {
      if (bi < 0) continue;
      const b = this.d.blocks[bi]!;
      let p2 = -1;
      let p1 = -1;
      for (let pc = b.start; pc < b.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
        const x = this.indexedAccess(p2, p1, pc);
        if (x !== undefined) {
          found.set(pc, x);
          count.set(x.base, (count.get(x.base) ?? 0) + 1);
        }
        p2 = p1;
        p1 = pc;
      }
    }
    let best = -1;
    for (const [r, n] of count) if (n >= 2 && (best < 0 || n > count.get(best)!)) best = r;
    if (best < 0) return;
    for (const [pc, x] of found) {
      if (x.base !== best) continue;
      this.indexed.set(pc, x);
      this.indexedSizes.add(x.size);
      if (this.d.ops[pc]!.kind !== 'ldx') this.indexedStores = true;
    }
    this.code.watched = best;
    const live = boundsLiveAfter(this.insns, this.d.ops, best, new Set(this.indexed.keys()));
    // A write of B inside an instruction after which no indexed access can read the bounds skips them.
    this.code.onWrite = () => {
      if (this.curPc < 0 || live[this.curPc] === 1) this.rebase();
    };
  }

  /** The access at `pc` as base + index, when the two instructions before it (same block, p2 then p1) are `reg = base; reg += index`. */
  private indexedAccess(p2: number, p1: number, pc: number): IndexedAccess | undefined {
    if (p2 < 0 || this.options.badSlots[pc] === 1) return undefined;
    const op = this.d.ops[pc]!;
    const i = this.insns[pc]!;
    if (op.kind !== 'ldx' && op.kind !== 'st' && op.kind !== 'stx' && op.kind !== 'atomic') return undefined;
    const reg = op.kind === 'ldx' ? i.src : i.dst;
    if (reg === FRAME_POINTER) return undefined;
    const add = this.d.ops[p1]!;
    const mov = this.d.ops[p2]!;
    const ai = this.insns[p1]!;
    const mi = this.insns[p2]!;
    if (add.kind !== 'alu' || add.op !== 'add' || add.width !== 64 || add.source !== 'reg' || ai.dst !== reg || ai.src === reg) return undefined;
    if (mov.kind !== 'alu' || mov.op !== 'mov' || mov.width !== 64 || mov.source !== 'reg' || mi.dst !== reg || mi.src === reg) return undefined;
    return { base: mi.src, index: ai.src, size: op.size };
  }

  /** Recompute L_BLIM and L_BLIN from the indexed base register, the stack and the cache (indexed-access.ts). */
  private rebase(): void {
    emitRebase(this.code, this.code.watched, this.indexedSizes, this.indexedStores, this.mark);
  }

  private trap(kind: number, pc: number): void {
    this.code.i32(kind).i32(pc).call(Import.trap).op(Op.unreachable);
  }

  body(node: number, depth: number): void {
    this.nodeBody(node, depth);
    this.tripCharged = false;
  }

  private nodeBody(node: number, depth: number): void {
    const c = this.code;
    const bi = this.nodes[node]!;
    this.unchecked = !this.everyBlock && this.mode[node] !== 0;
    // A node that checks the budget (or a checkpoint, or a loop guard) needs it exact.
    if (!this.everyBlock && this.mode[node] !== 2 && this.settled[node] === 0) this.flush();
    const trip = this.everyBlock ? undefined : this.tripOf.get(node);
    this.tripCharged = trip !== undefined;
    if (trip !== undefined) {
      emitTripCharge(c, trip.trip, trip.block);
      c.set(L_ACC);
    }
    if (bi < 0) {
      // A switch edge: the compare blocks the interpreter would have run, charged in order.
      for (const k of this.trampolines[-1 - bi]!.path) this.charge(this.d.blocks[k]!.length, this.d.blocks[k]!.start);
      return;
    }
    const b = this.d.blocks[bi]!;
    this.unchecked = !this.everyBlock && this.mode[node] !== 0;
    if (!this.everyBlock && this.mode[node] === 1) {
      // Enough budget for everything up to the next check? Otherwise continue in the checked copy.
      const label = this.checkedCopy!.labels.get(bi);
      if (label === undefined) throw new JitError(`internal: block at pc ${b.start} has no checked copy`, b.start);
      c.get(L_BUDGET).i64(this.reach[node]!).op(Op.i64_lt_s).if();
      this.deadAt(b.start, true);
      c.i32(label).set(L_LABEL).br(depth + 1 - OUTER);
      c.end();
    }
    const resumable = this.resumePointsOf(b).length > 0;
    const counted = !resumable && !this.siblings.has(node) && (this.everyBlock || this.mode[node] === 0) ? countedLoop(this.loopContext, bi, MIN_HOISTED) : undefined;
    if (counted !== undefined) {
      // Versioning: when every iteration's covered accesses lie in the cached region, run a copy of
      // the loop without their checks; it stops where the checked loop would, and leaves by `br` to
      // the terminator, whose condition is then false. Otherwise (or once the cache is filled by a
      // checked iteration, on the next entry) the checked body runs, so errors are the interpreter's.
      c.block();
      emitLoopGuard(this.code, counted, b.length, this.accessSize);
      c.if();
      this.checkFreeLoop(node, counted, depth + 2);
      c.br(1);
      c.end();
      this.blockBody(b, depth + 1);
      c.end();
      return;
    }
    const chunked = counted === undefined ? this.chunkedAt(node) : undefined;
    if (chunked !== undefined) {
      this.chunked(node, chunked, depth);
      return;
    }
    this.blockBody(b, depth);
    const conv = this.converted.get(this.nodes[node]!);
    if (conv !== undefined) this.selectBlock(node, conv, depth);
  }

  /** The chunked loop headed by `node` (see {@link FunctionCompiler.chunked}), when its header is compiled as one. */
  private chunkedAt(node: number): ChunkedLoop | undefined {
    const bi = this.nodes[node]!;
    if (bi < 0 || this.resumePointsOf(this.d.blocks[bi]!).length > 0 || !(this.everyBlock || this.mode[node] === 0)) return undefined;
    if (!this.siblings.has(node)) return countedLoop(this.loopContext, bi, MIN_HOISTED) === undefined ? chunkedLoop(this.loopContext, bi) : undefined;
    // The checked loop of a counted loop versioned as a sibling runs when that guard failed: chunked
    // only with 64-bit addresses (range conditions there cost more code than the rare runs save).
    const loop = chunkedLoop(this.loopContext, bi);
    return loop?.ranges.length === 0 ? loop : undefined;
  }

  /**
   * Before entering a loop whose accesses leave for the checked copy on a miss: when the header's first
   * such access, through a register the header has not written before it, would miss the cache and is
   * not on the stack, fill the cache from the region table for it as that access would (without
   * failing), so that a loop entered with the cache holding another region (or none, after a call)
   * does not leave for the checked copy on its first access.
   */
  loopEntry(node: number, depth: number): void {
    this.boundGuard(node, depth);
    if (this.structured && this.chunkedAt(node) !== undefined) this.code.i32(0).set(L_NOCHUNK);
    if (this.everyBlock || this.deopt.size === 0) return;
    const bi = this.nodes[node]!;
    if (bi < 0) return;
    const b = this.d.blocks[bi]!;
    const written = new Set<number>();
    for (let pc = b.start; pc < b.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = this.d.ops[pc]!;
      const i = this.insns[pc]!;
      if (this.deopt.has(pc)) {
        const acc = op.kind === 'atomic' ? { reg: i.dst, off: i.offset, size: op.size } : this.access(pc);
        if (acc !== undefined && !written.has(acc.reg)) {
          const c = this.code;
          const size = acc.size as 1 | 2 | 4 | 8;
          c.get(acc.reg);
          if (acc.off !== 0) c.i64(acc.off).op(Op.i64_add);
          c.tee(L_T).gget(Global.cacheBase).op(Op.i64_sub);
          pushWindow(this.code, size);
          c.op(Op.i64_ge_u);
          c.get(L_T).gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_ge_u).op(Op.i32_and);
          c.if();
          refill(this.code, size, this.mark, this.filled);
          c.end();
          return;
        }
      }
      for (const f of fieldUse(op).writes) written.add(i[f]);
    }
  }

  /** The structurer asks whether a self-loop is versioned as a sibling: a counted loop, in structured code. */
  versioned(node: number): boolean {
    const bi = this.nodes[node]!;
    if (bi < 0 || this.switchOf.has(node) || !(this.everyBlock || this.mode[node] === 0)) return false;
    const loop = countedLoop(this.loopContext, bi, MIN_HOISTED_SIBLING);
    if (loop === undefined) return false;
    this.siblings.set(node, loop);
    return true;
  }

  /**
   * A counted loop's guard and check-free copy, before the checked loop (a sibling, not nested: V8
   * compiles a loop with another inside worse). The guard runs once per entry from outside; when
   * every iteration's covered accesses lie in the cached region and the budget pays for all of them,
   * the copy runs them all and the loop is done; otherwise (`br 0`) the checked loop runs them all, so
   * errors are the interpreter's.
   */
  fastLoop(node: number, depth: number): void {
    const c = this.code;
    const loop = this.siblings.get(node)!;
    const bi = this.nodes[node]!;
    const b = this.d.blocks[bi]!;
    this.flush();
    // The cache may hold another region (or none, after a call): fill it from the region table for the
    // first covered access's first address, as that access would; the guard then decides as before.
    const first = loop.accesses[0]!;
    const firstSize = this.access(first.pc)!.size as 1 | 2 | 4 | 8;
    emitAffine(this.code, first.addr);
    c.tee(L_T).gget(Global.cacheBase).op(Op.i64_sub);
    pushWindow(this.code, firstSize);
    c.op(Op.i64_ge_u).if();
    refill(this.code, firstSize, this.mark, this.filled);
    c.end();
    emitLoopGuard(this.code, loop, b.length, this.accessSize);
    c.op(Op.i32_eqz).brIf(0);
    this.checkFreeLoop(node, loop, depth);
  }

  /**
   * A counted loop's check-free copy, once its guard has passed (L_T = trip count - 1, every covered
   * address checked, budget for every iteration): the linear base L_D, the budget of all the iterations
   * charged at once (it is not observable in between), a bulk copy when the loop only copies memory,
   * then the loop itself with the covered accesses unchecked. `depth` is the nesting around it.
   */
  private checkFreeLoop(node: number, loop: CountedLoop, depth: number): void {
    const c = this.code;
    const bi = this.nodes[node]!;
    const b = this.d.blocks[bi]!;
    c.gget(Global.cacheOffset).gget(Global.cacheBase).op(Op.i32_wrap_i64).op(Op.i32_sub).set(L_D);
    c.get(L_BUDGET).get(L_T).i64(1).op(Op.i64_add).i64(b.length).op(Op.i64_mul).op(Op.i64_sub).set(L_BUDGET);
    const copy = copyLoop(this.loopContext, loop, bi);
    if (copy !== undefined) {
      emitBulkCopy(this.code, copy);
      // The copy may have written the frame through a computed address (see reloadSlotsIfStack).
      if (this.slotList.length > 0) loadSlots(this.code, this.slotList, L_FP, this.options.stackSize);
    }
    c.loop();
    this.fastPcs = new Set(loop.accesses.map((a) => a.pc));
    this.straight(b.start, lastPc(this.insns, b), depth + 1);
    this.fastPcs = undefined;
    this.condition(node);
    c.brIf(0);
    c.end();
  }

  /**
   * Emit a chunked loop's header: the guard computes how many iterations stay in the cached region
   * (L_K); a check-free copy of the whole cycle runs that many, leaving early (with L_EXIT set, so that
   * the header's terminator takes the exit) where the loop would; then, or when the guard finds none,
   * the checked header runs one iteration's first block and the loop goes on as compiled.
   */
  private chunked(node: number, loop: ChunkedLoop, depth: number): void {
    const c = this.code;
    this.forcedExit.set(node, loop.exit);
    c.i32(0).set(L_EXIT);
    c.block(); // skip: to the header's terminator
    c.block(); // slow: to the checked header
    c.block(); // exit: leave the loop
    const cost = loop.path.reduce((sum, bi) => sum + this.d.blocks[bi]!.length, 0);
    const header = this.d.blocks[loop.path[0]!]!.start;
    if (this.structured && !this.chunkedHeaders.includes(header)) this.chunkedHeaders.push(header);
    // After two guards found nothing to run since the loop was entered (an access in another region
    // than the cached one, a range condition that fails), the rest of the loop runs checked: the
    // guard's divisions would cost every iteration more than the checks it cannot save.
    if (this.structured) c.get(L_NOCHUNK).i32(2).op(Op.i32_ge_u).brIf(1);
    emitChunkGuard(this.code, loop, cost, this.accessSize);
    if (this.structured) {
      c.get(L_K).op(Op.i32_eqz).if();
      c.get(L_NOCHUNK).i32(1).op(Op.i32_add).set(L_NOCHUNK).br(2);
      c.end();
    } else c.get(L_K).op(Op.i32_eqz).brIf(1);
    c.gget(Global.cacheOffset).gget(Global.cacheBase).op(Op.i32_wrap_i64).op(Op.i32_sub).set(L_D);
    // The guard found budget for L_K whole iterations: charge them all here, and give back what the
    // iterations not run would have charged where the copy leaves early (no per-block subtraction).
    const kCost = (): void => {
      c.get(L_K).op(Op.i64_extend_i32_u).i64(cost).op(Op.i64_mul);
    };
    c.get(L_BUDGET);
    kCost();
    c.op(Op.i64_sub).set(L_BUDGET);
    c.loop();
    const inner = depth + 4;
    this.fastPcs = new Set(loop.accesses.map((a) => a.pc));
    let charged = 0;
    loop.path.forEach((bi, k) => {
      const b = this.d.blocks[bi]!;
      charged += b.length;
      const last = lastPc(this.insns, b);
      const jump = this.d.ops[last]!.kind;
      this.straight(b.start, jump === 'ja' || jump === 'jcond' ? last : b.end, inner);
      const t = this.terms[bi]!;
      if (t.kind !== 'cond') return;
      this.blockCondition(bi);
      const next = k + 1 < loop.path.length ? loop.path[k + 1]! : loop.path[0]!;
      // Leave by the exit edge (to the `exit` block, label 2 inside the `if`), with L_K iterations
      // (this one included) charged but only `charged` of this one run.
      if (t.taken === next) c.op(Op.i32_eqz);
      c.if().get(L_BUDGET);
      kCost();
      c.i64(charged).op(Op.i64_sub).op(Op.i64_add).set(L_BUDGET).br(2).end();
    });
    this.fastPcs = undefined;
    c.get(L_K).i32(1).op(Op.i32_sub).tee(L_K).brIf(0);
    c.end(); // loop
    c.br(1); // chunk done: the next iteration starts at the checked header
    c.end(); // exit
    c.i32(1).set(L_EXIT).br(1);
    c.end(); // slow
    this.blockBody(this.d.blocks[loop.path[0]!]!, depth + 1);
    c.end(); // skip
  }


  /** A block's budget charge and instructions, with its access groups. */
  private blockBody(b: BasicBlock, depth: number): void {
    this.curBlock = b;
    const points = this.resumePointsOf(b);
    if (points.length > 0) {
      this.resumeSegments(b, points, depth);
      return;
    }
    // Budget: charged for the whole block on entry, failing at its first pc.
    this.charge(b.length, b.start);
    const last = lastPc(this.insns, b);
    const groups = this.accessGroups(b);
    for (let pc = b.start; pc < b.end; ) {
      const op = this.d.ops[pc]!;
      if (this.options.badSlots[pc] === 1) {
        this.trap(Trap.badSlot, pc);
        return;
      }
      const g = groups.get(pc);
      if (g !== undefined) {
        this.group(g, depth);
        pc = g.end;
        continue;
      }
      const fused = emitRotate(this.code, this.d.ops, this.insns, this.options.badSlots, pc, b.end);
      if (fused > 0) {
        pc += fused;
        continue;
      }
      const isLast = pc === last;
      if (!(isLast && (op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit'))) {
        this.instruction(op, this.insns[pc]!, pc, depth);
      } else this.inlinedCall(pc);
      pc += op.kind === 'lddw' ? 2 : 1;
    }
  }

  /** Emit the instructions in slots [from, to) (no jumps among them), rotate idioms fused. */
  private straight(from: number, to: number, depth: number): void {
    for (let pc = from; pc < to; ) {
      const fast = this.fastPcs;
      const word = fast === undefined ? undefined : byteWord(this.d.ops, this.insns, pc, to, (p) => fast.has(p) && this.options.badSlots[p] !== 1);
      if (word !== undefined) {
        this.wordLoad(word);
        pc = word.end;
        continue;
      }
      const fused = emitRotate(this.code, this.d.ops, this.insns, this.options.badSlots, pc, to);
      if (fused > 0) {
        pc += fused;
        continue;
      }
      this.instruction(this.d.ops[pc]!, this.insns[pc]!, pc, depth);
      pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1;
    }
  }

  /** A word assembled from byte loads (byte-word.ts), read with one load; each register the run writes set from it. */
  private wordLoad(w: ByteWord): void {
    const c = this.code;
    const { offset } = this.address(w.base, w.off, w.size, false, w.loadPc);
    c.mem(LOAD[w.size], offset).set(L_T2);
    for (const o of w.outputs) {
      c.get(L_T2);
      if (o.shift > 0) c.i64(o.shift).op(Op.i64_shr_u);
      else if (o.shift < 0) c.i64(-o.shift).op(Op.i64_shl);
      if (o.mask !== 0xffffffffffffffffn) c.i64(BigInt.asIntN(64, o.mask)).op(Op.i64_and);
      c.set(o.reg);
    }
  }

  /** The base register, offset and size of a load or store (not atomics), or undefined. */
  private access(pc: number): MemoryAccess | undefined {
    return accessOf(this.d.ops[pc]!, this.insns[pc]!);
  }

  /** The size of a load or store (a loop's covered access). */
  private readonly accessSize = (pc: number): 1 | 2 | 4 | 8 => this.access(pc)!.size as 1 | 2 | 4 | 8;

  /** The block's access groups (access-groups.ts), leaving out the accesses span-checks.ts checks and bad slots. */
  private accessGroups(b: BasicBlock): Map<number, AccessGroup> {
    const owned = (pc: number): boolean => this.options.badSlots[pc] === 1 || this.spans.heads.has(pc) || this.spans.covered.has(pc);
    return findAccessGroups(b, this.d.ops, this.insns, owned, (pc, a) => this.inFrame(pc, a.reg, a.off, a.size));
  }

  /**
   * A run of accesses through one register: if the span [reg+lo, reg+hi) lies in the cached region,
   * run a copy of the instructions whose accesses use fixed offsets from one linear address;
   * otherwise a copy with every access checked on its own, so errors are the interpreter's.
   */
  private group(g: AccessGroup, depth: number): void {
    const c = this.code;
    emitGroupCheck(c, g, groupStores(g, this.d.ops), this.mark);
    const start = g.start;
    this.fastGroup = g;
    for (let pc = start; pc < g.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) this.instruction(this.d.ops[pc]!, this.insns[pc]!, pc, depth + 2);
    this.fastGroup = undefined;
    c.br(1);
    c.end(); // checked
    for (let pc = start; pc < g.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) this.instruction(this.d.ops[pc]!, this.insns[pc]!, pc, depth + 1);
    c.end(); // done
  }

  /**
   * The skipped block of a converted jump: compute its results unconditionally, then keep them or the
   * old values with `select`. Its budget charge applies only when it runs (and fails at its first pc).
   */
  private selectBlock(node: number, conv: Converted, depth: number): void {
    const c = this.code;
    const b = this.d.blocks[conv.block]!;
    this.condition(node);
    if (!conv.whenTaken) c.op(Op.i32_eqz);
    c.set(L_COND);
    // The charge, length × condition (fewer instructions than a `select`), from a 0/1 condition: a
    // 32-bit jset's is the and-ed bits.
    const charge = (): void => {
      const jop = this.d.ops[lastPc(this.insns, this.d.blocks[this.nodes[node]!]!)]!;
      c.get(L_COND);
      if (conv.whenTaken && jop.kind === 'jcond' && jop.width === 32 && jop.cond === 'jset') c.i32(0).op(Op.i32_ne);
      c.op(Op.i64_extend_i32_u);
      if (b.length !== 1) c.i64(b.length).op(Op.i64_mul);
    };
    if (!this.unchecked) {
      c.get(L_BUDGET);
      charge();
      c.op(Op.i64_sub).tee(L_BUDGET).i64(0).op(Op.i64_lt_s);
      c.if().i32(Trap.budget).i32(b.start).call(Import.trap).op(Op.unreachable).end();
    } else {
      c.get(L_ACC);
      charge();
      c.op(Op.i64_add).set(L_ACC);
    }
    conv.writes.forEach((r, k) => c.get(r).set(L_S0 + k));
    for (let pc = b.start; pc < b.end; pc++) {
      const op = this.d.ops[pc]!;
      if (op.kind !== 'ja') this.instruction(op, this.insns[pc]!, pc, depth);
    }
    conv.writes.forEach((r, k) => c.get(r).get(L_S0 + k).get(L_COND).op(Op.select).set(r));
  }

  condition(node: number): void {
    this.blockCondition(this.nodes[node]!);
    const exit = this.forcedExit.get(node);
    if (exit === undefined) return;
    // A chunked loop's header: L_EXIT (set by its check-free copy) forces the exit edge.
    const t = this.terms[this.nodes[node]!]!;
    if (t.kind === 'cond' && t.taken === exit) this.code.get(L_EXIT).op(Op.i32_or);
    // (Not `and` with !L_EXIT: a 32-bit jset's condition is any non-zero value, not 1.)
    else this.code.set(L_A).i32(0).get(L_A).get(L_EXIT).op(Op.select);
  }

  /** Push an i32, non-zero when the conditional jump ending block `bi` is taken. */
  private blockCondition(bi: number): void {
    const pc = lastPc(this.insns, this.d.blocks[bi]!);
    const op = this.d.ops[pc]!;
    if (op.kind !== 'jcond') throw new JitError('internal: condition of a block without a conditional jump', pc);
    emitCompare(this.code, op, this.insns[pc]!);
  }

  exit(): void {
    const c = this.code;
    this.budgetNow();
    c.gset(Global.budget);
    for (let r = 0; r < 6; r++) c.get(r);
    c.op(Op.return);
  }

  badTarget(): void {
    // The only target outside the program left after bad slots is running off its end.
    this.trap(Trap.badSlot, this.insns.length);
  }

  /**
   * True when the access of `size` bytes at `reg + off` (at `pc`) lies inside the current frame
   * whatever the run computed: r10 plus a constant, or a pointer whose range frame-ranges.ts proved.
   */
  private inFrame(pc: number, reg: number, off: number, size: number): boolean {
    if (!this.options.frameFastPath) return false;
    const ss = this.options.stackSize;
    if (reg === FRAME_POINTER) return off >= this.frameLow(pc) && off + size <= 0;
    const r = this.d.frames.get(pc);
    return r !== undefined && r.lo + off >= -ss && r.hi + off + size <= 0;
  }

  /**
   * The lowest r10 offset an access at `pc` may have and be checked at compile time: the frame's
   * start, or in an inlined callee's copy (inline.ts) the start of the frame below, which its call's
   * depth check proved is in the stack.
   */
  private frameLow(pc: number): number {
    const ss = this.options.stackSize;
    const inl = this.d.inlined;
    return inl !== undefined && pc >= inl.copiesStart ? -2 * ss : -ss;
  }

  /** True when the run's start marked every byte the store at `pc` (offset `off` from its frame pointer) may write (vm/stack). */
  private footprintCovers(pc: number, off: number): boolean {
    const low = this.d.footprintLow;
    if (low === undefined) return true;
    return this.entryPc === 0 && this.d.frames.get(pc)!.lo + off >= low;
  }

  /**
   * At a head (span-checks.ts), before its access through `reg`: check its span, leaving for the
   * checked copy at the head's pc when the span is not in the cached region (that copy then checks
   * every access itself, so errors stay the interpreter's).
   */
  private spanHead(pc: number, reg: number): void {
    const head = this.spans.heads.get(pc);
    if (head === undefined) return;
    const label = this.resumeLabel(pc);
    if (label === undefined) throw new JitError('internal: a span head cannot leave for the checked copy', pc);
    emitSpanHead(this.code, head, reg, () => {
      this.deadAt(pc, true);
      this.code.i32(label).set(L_LABEL).br(this.curDepth + 1 - OUTER);
    });
  }

  /** Push an i32 linear address for an access of `size` bytes at `reg + off`, checked. */
  private address(reg: number, off: number, size: 1 | 2 | 4 | 8, store: boolean, pc: number): { offset: number } {
    const c = this.code;
    const ss = this.options.stackSize;
    if (this.options.frameFastPath && reg === FRAME_POINTER && off >= this.frameLow(pc) && off + size <= 0) {
      c.get(L_FP);
      if (off + ss >= 0) return { offset: off + ss };
      // An inlined callee's frame, below the caller's.
      c.i32(off + ss).op(Op.i32_add);
      return { offset: 0 };
    }
    if (this.inFrame(pc, reg, off, size)) {
      // A pointer into the frame whose whole range keeps the access inside it (frame-ranges.ts).
      if (store && !this.footprintCovers(pc, off)) markStack(c, this.mark, () => (off === 0 ? c.get(reg).op(Op.i32_wrap_i64) : c.get(reg).op(Op.i32_wrap_i64).i32(off).op(Op.i32_add)));
      c.get(reg).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
      if (off >= 0) return { offset: off };
      c.i32(off).op(Op.i32_add);
      return { offset: 0 };
    }
    if (this.fastPcs?.has(pc) === true) {
      // Checked for every iteration by the counted loop's guard: the cache hit path's arithmetic only.
      c.get(reg).op(Op.i32_wrap_i64).get(L_D).op(Op.i32_add);
      if (off !== 0) c.i32(off).op(Op.i32_add);
      return { offset: 0 };
    }
    const cover = this.spans.covered.get(pc);
    if (cover !== undefined) {
      // Inside the span its head checked: a fixed offset from the span's first byte.
      c.get(cover.head.local);
      return { offset: cover.delta };
    }
    const g = this.fastGroup;
    if (g !== undefined && reg === g.reg) {
      // Inside a group whose whole span was checked: a fixed offset from its first byte.
      c.get(L_GB);
      return { offset: off - g.lo };
    }
    const x = this.indexed.get(pc);
    if (x !== undefined) {
      // reg = B + index: index + off below L_BLIM lies in B's region at B's linear address plus it (see
      // indexed-access.ts); otherwise the checked copy or the full check, which decides every case exactly.
      const exit = this.resumeLabel(pc);
      if (exit !== undefined) {
        emitIndexedExit(c, x.index, off, size, exit, this.curDepth + 1 - OUTER, this.deadAt(pc));
        return { offset: 0 };
      }
      c.get(x.index);
      if (off !== 0) c.i64(off).op(Op.i64_add);
      c.tee(L_T2).get(L_BLIM[size]).op(Op.i64_ge_u);
      c.if(ValType.i32);
      c.get(reg);
      if (off !== 0) c.i64(off).op(Op.i64_add);
      c.set(L_T);
      scanAddress(this.code, size, store, pc, this.mark, this.filled);
      c.else().get(L_T2).op(Op.i32_wrap_i64).get(L_BLIN).op(Op.i32_add).end();
      return { offset: 0 };
    }
    this.checkedAddress(reg, off, size, store, pc);
    return { offset: 0 };
  }

  /** Push the i32 linear address of an access of `size` bytes at `reg + off`: the cache, the stack, then the region table. */
  private checkedAddress(reg: number, off: number, size: 1 | 2 | 4 | 8, store: boolean, pc: number): void {
    const c = this.code;
    // One cache for loads and stores, holding writable regions only, so a hit is always allowed.
    c.get(reg);
    if (off !== 0) c.i64(off).op(Op.i64_add);
    c.tee(L_T).gget(Global.cacheBase).op(Op.i64_sub).tee(L_T2).gget(Global.cacheLimit).op(Op.i64_ge_u);
    // `if (miss) {…} else {hit}`: V8 places the else arm inline, so the hit path falls through. The
    // hit arm is written first here and moved behind the miss arm below.
    c.if(ValType.i32);
    const hitAt = c.w.length;
    c.get(L_T2).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add);
    const missAt = c.w.length;
    const resume = this.resumeLabel(pc);
    // Leaving for the checked copy: first the cached region's own last bytes, which the one compare
    // above (the window of an 8-byte access) leaves out for smaller accesses.
    const tail = resume !== undefined && size < 8;
    if (tail) {
      c.get(L_T2);
      pushWindow(this.code, size);
      c.op(Op.i64_lt_u).if(ValType.i32);
      c.get(L_T2).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add);
      c.else();
    }
    // The stack (accesses through copies of r10) is checked next, so it never evicts the cached region.
    c.get(L_T).gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_lt_u);
    c.if(ValType.i32);
    if (store) markStack(this.code, this.mark, () => c.get(L_T).op(Op.i32_wrap_i64));
    c.get(L_T).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
    c.else();
    // Two or three `if`s in from the instruction's level, where the checked-copy exit is OUTER labels out.
    if (resume !== undefined) this.deadAt(pc, true);
    if (resume !== undefined) c.i32(resume).set(L_LABEL).br(this.curDepth + (tail ? 3 : 2) - OUTER);
    else scanAddress(this.code, size, store, pc, this.mark, this.filled);
    c.end();
    if (tail) c.end();
    const hit = c.w.view().slice(hitAt, missAt);
    const miss = c.w.view().slice(missAt);
    c.w.length = hitAt;
    c.w.bytes(miss).u8(Op.else).bytes(hit);
    c.end();
  }

  private instruction(op: Operation, i: Insn, pc: number, depth: number): void {
    this.curPc = pc;
    try {
      this.instructionBody(op, i, pc, depth);
    } finally {
      this.curPc = -1;
    }
  }

  private instructionBody(op: Operation, i: Insn, pc: number, depth: number): void {
    const c = this.code;
    this.curDepth = depth;
    const haltDepth = depth - 2;
    const propDepth = depth - 1;
    switch (op.kind) {
      case 'alu':
        emitAlu(c, op.op, op.width, op.source, i);
        return;
      case 'neg':
      case 'movsx':
      case 'end':
        emitUnary(c, op, i);
        return;
      case 'lddw': {
        const next = this.insns[pc + 1]!;
        // A function pointer (lddw source 4) loads its target's address (vm/functions).
        const value = op.pseudo === PseudoLoad.FUNC ? functionAddress(functionTarget(pc, i.imm)) : (BigInt(next.imm >>> 0) << 32n) | BigInt(i.imm >>> 0);
        c.i64(BigInt.asIntN(64, value)).set(i.dst);
        return;
      }
      case 'ldx': {
        const s = i.src === FRAME_POINTER ? this.slotAt.get(i.offset) : undefined;
        if (s !== undefined) return emitSlotLoad(c, s, op.signed, i.dst);
        this.spanHead(pc, i.src);
        const a = this.address(i.src, i.offset, op.size, false, pc);
        c.mem(op.signed && op.size !== 8 ? LOAD_S[op.size] : LOAD[op.size], a.offset).set(i.dst);
        return;
      }
      case 'st':
      case 'stx': {
        const s = i.dst === FRAME_POINTER ? this.slotAt.get(i.offset) : undefined;
        if (s !== undefined) return emitSlotStore(c, s, L_FP, this.options.stackSize, () => (op.kind === 'st' ? c.i64(i.imm) : c.get(i.src)));
        this.spanHead(pc, i.dst);
        // A store its head covers writes the cached region, never the stack.
        const covered = this.spans.covered.has(pc);
        // A store through a proved frame pointer writes no promoted slot (slot-escape.ts); slots are
        // forwarded by the span checks only where there is no such pointer (d.slots).
        const framed = this.d.slots === undefined && this.d.frames.has(pc);
        const left = !covered && !framed && this.leaveIfStack(i.dst, i.offset, pc);
        if (!left && !covered && this.d.slots !== undefined && this.spans.heads.size > 0 && i.dst !== FRAME_POINTER && this.spans.protectedStores.has(pc)) {
          throw new JitError('internal: a store the span checks rely on cannot leave for the checked copy', pc);
        }
        const a = this.address(i.dst, i.offset, op.size, true, pc);
        (op.kind === 'st' ? c.i64(i.imm) : c.get(i.src)).mem(STORE[op.size], a.offset);
        if (!left && !covered && !framed) this.reloadSlotsIfStack(i.dst, i.offset);
        return;
      }
      case 'atomic':
        this.atomic(op, i, pc);
        // (Its base is not r10 when slots are promoted: an atomic on the frame counts as an escape.)
        if (this.slotList.length > 0) loadSlots(c, this.slotList, L_FP, this.options.stackSize);
        return;
      case 'ldabs':
      case 'ldind':
        // The offset is 32-bit: imm, plus the low half of src for LD_IND.
        if (op.kind === 'ldind') c.get(i.src).op(Op.i32_wrap_i64).i32(i.imm).op(Op.i32_add);
        else c.i32(i.imm);
        c.i32(op.size).call(Import.packet).op(Op.i64_extend_i32_u).set(0);
        c.gget(Global.halt).brIf(haltDepth);
        return;
      case 'call':
        if (op.target === 'helper') {
          this.budgetToGlobal();
          c.i32(i.imm).i32(pc);
          this.helperArgs();
          c.call(Import.helper);
          this.afterHelper(haltDepth);
        } else if (op.target === 'local') {
          this.localCall(i, pc, propDepth);
        } else {
          this.trap(Trap.badSlot, pc);
        }
        return;
      case 'callx':
        this.budgetToGlobal();
        c.get(i.dst).i32(pc);
        this.helperArgs();
        c.call(Import.helperx);
        this.afterHelper(haltDepth);
        return;
      case 'invalid':
        this.trap(Trap.badSlot, pc);
        return;
      default:
        // Jumps and exit end blocks; they are emitted by the structurer.
        throw new JitError(`internal: unexpected ${op.kind} inside a block`, pc);
    }
  }

  /** r1-r5 as i32 halves, low first (Import.helper). */
  private helperArgs(): void {
    const c = this.code;
    for (let r = 1; r <= 5; r++) c.get(r).op(Op.i32_wrap_i64).get(r).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  }

  /** Before a helper call: the budget left in its global, where a callback the helper runs (HelperContext.callFunction) starts from. */
  private budgetToGlobal(): void {
    this.flush();
    this.code.get(L_BUDGET).gset(Global.budget);
  }

  private afterHelper(haltDepth: number): void {
    const c = this.code;
    // What callbacks left of the budget.
    c.gget(Global.budget).set(L_BUDGET);
    c.i32(0).mem(Op.i64_load, (this.options.scratch ?? 0) + HELPER_RESULT).set(0);
    c.gget(Global.halt).brIf(haltDepth);
    // A helper may have changed the region table: drop the cached regions.
    this.reloadCaches();
    // And written the frame (through any pointer to it, even one computed from a constant).
    if (this.options.frameFastPath) loadSlots(c, this.slotList, L_FP, this.options.stackSize);
  }

  /**
   * Before a store at `pc` through `reg + off` (a base other than r10) in a function with promoted
   * slots, where a miss may leave for the checked copy: when the store would write the stack, leave
   * for the checked copy at the store (whose frame is memory only). True when emitted; otherwise the
   * caller reads the slots again after the store ({@link reloadSlotsIfStack}). Leaving keeps the loop's
   * slots loop-invariant where a reload merging back into the loop would not (stencil ran 1.23x slower).
   */
  private leaveIfStack(reg: number, off: number, pc: number): boolean {
    // (With span heads too: a forged store into the frame could change a slot a covered base is read from.)
    if ((this.slotList.length === 0 && this.spans.heads.size === 0) || reg === FRAME_POINTER) return false;
    const exit = this.resumeLabel(pc);
    if (exit === undefined) return false;
    const c = this.code;
    c.get(reg);
    if (off !== 0) c.i64(off).op(Op.i64_add);
    c.gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_lt_u).if();
    this.deadAt(pc, true);
    c.i32(exit).set(L_LABEL).br(this.curDepth + 1 - OUTER).end();
    return true;
  }

  /**
   * After a store through `reg + off` (a base other than r10): when it wrote the stack, the frame's
   * promoted slots are read again (stack-slots.ts). A program can compute a stack address without r10
   * (from STACK_START, a loaded value), and such a store into a promoted slot would leave its local stale.
   */
  private reloadSlotsIfStack(reg: number, off: number): void {
    if (this.slotList.length === 0 || reg === FRAME_POINTER) return;
    const c = this.code;
    c.get(reg);
    if (off !== 0) c.i64(off).op(Op.i64_add);
    c.gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_lt_u).if();
    loadSlots(c, this.slotList, L_FP, this.options.stackSize);
    c.end();
  }

  /**
   * At a local call inlined as a jump to its copy (inline.ts): the call's depth check, failing at its
   * pc as the interpreter's call does, before the copy's first block is charged. (The copy calls
   * nothing, so nothing reads the depth while it runs.)
   */
  private inlinedCall(pc: number): void {
    if (this.d.inlined?.sites.has(pc) !== true) return;
    const c = this.code;
    c.gget(Global.depth).i32(1).op(Op.i32_add).gget(Global.maxDepth).op(Op.i32_ge_u);
    c.if().i32(Trap.callDepth).i32(pc).call(Import.trap).op(Op.unreachable).end();
  }

  private localCall(i: Insn, pc: number, propDepth: number): void {
    const c = this.code;
    const target = pc + 1 + i.imm;
    const f = this.funcIndex.get(target);
    if (f === undefined) {
      this.trap(Trap.badSlot, pc);
      return;
    }
    c.gget(Global.depth).i32(1).op(Op.i32_add).tee(L_A).gget(Global.maxDepth).op(Op.i32_ge_u);
    c.if().i32(Trap.callDepth).i32(pc).call(Import.trap).op(Op.unreachable).end();
    c.get(L_A).gset(Global.depth);
    this.flush();
    c.get(L_BUDGET).gset(Global.budget);
    for (let r = 0; r <= 9; r++) c.get(r);
    c.gget(Global.stackTop).get(L_A).op(Op.i64_extend_i32_u).i64(this.options.stackSize).op(Op.i64_mul).op(Op.i64_sub);
    c.call(f);
    for (let r = 5; r >= 0; r--) c.set(r);
    loadSlots(c, this.slotList, L_FP, this.options.stackSize);
    c.gget(Global.depth).i32(1).op(Op.i32_sub).gset(Global.depth);
    c.gget(Global.budget).set(L_BUDGET);
    c.gget(Global.halt).brIf(propDepth);
    this.reloadCaches();
  }

  private atomic(op: Extract<Operation, { kind: 'atomic' }>, i: Insn, pc: number): void {
    const a = this.address(i.dst, i.offset, op.size, true, pc);
    emitAtomic(this.code, op, i, a.offset, this.options.shared === true);
  }

}
