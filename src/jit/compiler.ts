/**
 * eBPF → WebAssembly compiler: the driver. It inlines small leaf functions (inline.ts), decodes the
 * program once (operations, blocks, liveness, frame facts shared by every function), declares the
 * module's imports and globals (layout.ts), compiles each eBPF function (the entry and every
 * local-call target) to one WebAssembly function over eleven i64 locals r0-r10 (so V8's optimizing
 * tier keeps eBPF registers in machine registers), and a function with loops also to a *checked copy*:
 * a dispatch loop over the same blocks that checks the budget on every block and every access in full,
 * and can start at any block or at any access of a loop block. Then the exports (run-exports.ts).
 *
 * The passes, in order, for one function (function-compiler.ts drives them):
 * - the flow graph of its blocks (function-graph.ts over graph.ts), with compare trees rebuilt as
 *   `br_table`s (switch-table.ts) and conditional jumps over a short pure block turned into `select`s
 *   (if-convert.ts);
 * - the budget plan (check-plan.ts): every block subtracts its length; only the entry, loop headers
 *   and blocks after calls check, for the most any path can charge until the next check, and leave
 *   for the checked copy when it may not last, so errors stay at the interpreter's pc; innermost
 *   loops whose exit test bounds their trip count (loop-bound.ts) check once per entry instead;
 *   the charges and exits are emitted by emit-budget.ts;
 * - where a region-cache miss leaves for the checked copy (the plan's `deopt`: loops without calls), so
 *   that no region-table scan, a loop, sits inside a hot loop;
 * - loop versioning (emit-loops.ts; shapes from loop-shapes.ts and induction.ts, guards from
 *   loop-guards.ts): counted loops get a guard per entry that proves every access of every iteration
 *   in bounds and the budget sufficient, then run a check-free copy; chunked loops run as many
 *   iterations check-free as the guard proves; copy loops become one `memory.copy`;
 * - structured emission (structure.ts), each block lowered by emit-block.ts: memory accesses by
 *   emit-address.ts (through the cache, the stack and the region table, lower-memory.ts; groups of
 *   accesses through one register checked once, access-groups.ts; accesses at constant offsets from
 *   one value across blocks checked once by the access that dominates them, span-checks.ts; indexed
 *   accesses `B + X` checked against bounds kept for B in the stack or the cached region, leaving for
 *   the checked copy on a miss, indexed-access.ts), ALU and compares (lower-alu.ts), helper and local
 *   calls (emit-calls.ts), exits.
 *
 * Every access is checked exactly as the interpreter checks it, and every error (memory, budget, call
 * depth, bad slots) has the interpreter's class, code and pc. docs/benchmarks.md ("The JIT's design
 * decisions, measured") keeps what was tried, kept and rejected, with the measurements.
 * @module
 */
import { JitError } from '../errors.js';
import type { Insn } from '../isa/instruction.js';
import { decodeOperation, branchTarget } from '../isa/operation.js';
import { basicBlocks } from '../verifier/cfg.js';
import { Global, GLOBAL_COUNT } from './layout.js';
import { STACK_MARK } from '../vm/memory.js';
import { emitRunExports } from './run-exports.js';
import { emitBatchExport } from './batch-export.js';
import { reservedWord, SCRATCH_EXPORT, SCRATCH_GLOBAL } from './reserved.js';
import { liveRegisters } from './liveness.js';
import { functionEntries, lastPc, type Terminator } from './graph.js';
import { CodeWriter, ModuleBuilder } from '../wasm/module.js';
import { EXTRA_LOCALS, REGS, RESULTS } from './locals.js';
import { ValType, type ValTypeCode } from '../wasm/opcodes.js';
import { frameRanges } from './frame-ranges.js';
import { stackBasedAccesses } from './stack-bases.js';
import { stackFootprint } from '../vm/stack.js';
import { mayWriteFrame } from './slot-escape.js';
import { promotableSlots } from './stack-slots.js';
import { inlineCalls, type InlinePlan } from './inline.js';
import { FunctionCompiler, type CheckedCopy, type Decoded } from './function-compiler.js';
import { lookupSites, MAP_FIELDS } from './map-lookups.js';
import { emitSharedFind } from '../maps/shared-find.js';

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
   * atomics (a misaligned one, which the kernel refuses, stays a plain read-modify-write); the memory's
   * reserved words are then found through the `scratch` global each instance sets (reserved.ts), so the
   * module is the same for every thread.
   */
  readonly shared?: boolean;
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
  /** Pcs of the blocks heading counted loops that run check-free once their entry guard passes (loop-shapes.ts). */
  readonly countedLoops: readonly number[];
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
  /** The map handles whose lookups the module may serve, by descriptor (map-lookups.ts; globals `m<k>_<field>`). */
  readonly mapHandles: readonly number[];
}

function decode(insns: readonly Insn[], badSlots: Uint8Array, options: CompileOptions, program: readonly Insn[], inlined: InlinePlan | undefined): Decoded {
  const ops = insns.map(decodeOperation);
  const blocks = basicBlocks(insns);
  const blockAt = new Int32Array(insns.length + 1).fill(-1);
  blocks.forEach((b, i) => (blockAt[b.start] = i));
  const slots = options.frameFastPath ? promotableSlots(insns, ops, badSlots, options.stackSize, undefined, inlined?.copiesStart) : undefined;
  // The run marks the footprint of the program it was given (vm/stack), before inlining.
  const reach = stackFootprint(program);
  return { ops, blocks, blockAt, live: liveRegisters(insns, ops, badSlots), slots, frames: new Map(), promotable: slots, footprintLow: reach.whole ? undefined : reach.low, inlined, stackBases: new Set() };
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

  d.stackBases = stackBasedAccesses(insns, d.ops, d.blocks, d.blockAt, entries, options.badSlots);

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
      g === Global.halt || g === Global.depth || g === Global.maxDepth || g === Global.stackDelta || g === Global.tableAddr || g === Global.tableCount || g === Global.cacheOffset || g === Global.label || g === Global.reentry;
    mb.export(`g${g}`, 'global', mb.global(i32 ? ValType.i32 : ValType.i64));
  }
  // A shared memory's reserved words are each thread's own: their base is a global each instance sets (reserved.ts).
  if (options.shared === true) {
    const scratch = mb.global(ValType.i32);
    if (scratch !== SCRATCH_GLOBAL) throw new JitError(`internal: the scratch global is ${scratch}, not ${SCRATCH_GLOBAL}`);
    mb.export(SCRATCH_EXPORT, 'global', scratch);
  }
  // Map lookups served in the module (map-lookups.ts): a descriptor of globals per constant map, then the shared find.
  const lookups = lookupSites(insns, d.ops, d.blocks, options.badSlots);
  if (lookups.handles.length > 0) {
    let global0 = -1;
    for (let k = 0; k < lookups.handles.length; k++) {
      for (let f = 0; f < MAP_FIELDS; f++) {
        const g = mb.global(ValType.i32);
        if (global0 < 0) global0 = g;
        mb.export(`m${k}_${f}`, 'global', g);
      }
    }
    d.lookups = { sites: lookups.sites, global0, find: options.shared === true ? emitSharedFind(mb) : undefined };
  }
  const funcIndex = new Map<number, number>();
  for (const e of entries) funcIndex.set(e, mb.declareFunction(REGS, RESULTS));
  const dispatchFunctions: number[] = [];
  const boundedLoops: number[] = [];
  const tripChargedLoops: number[] = [];
  const chunkedLoops: number[] = [];
  const countedLoops: number[] = [];
  const checkedFunctions: { index: number; pc: number }[] = [];
  for (const e of entries) {
    // A function with loops that check the budget once per iteration also gets a copy that checks it on
    // every block and can start at any block (a dispatch loop), to continue in when the budget may run
    // out before the next check. It takes its registers in globals: registers flowing into call
    // arguments make V8 spill them in loops.
    const makeChecked = (resume: ReadonlyMap<number, number>, reentry: ReadonlySet<number>): CheckedCopy | undefined => {
      const checked = new FunctionCompiler(insns, d, terms, options, funcIndex);
      checked.entryPc = e;
      checked.resumePcs = new Set(resume.keys());
      checked.reentry = reentry;
      const labels = checked.compileChecked(blockOf(e));
      if (labels === undefined) return undefined;
      checkSize(checked.code, e, maxBytes);
      const index = mb.declareFunction([], RESULTS);
      mb.defineFunction(index, [...REGS, ...EXTRA_LOCALS, ...Array<ValTypeCode>(checked.groupLocals).fill(ValType.i32)], checked.code);
      checkedFunctions.push({ index, pc: e });
      return { func: index, labels, resume, reentry };
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
      countedLoops.push(...fc.countedHeaders);
    }
    const spanLocals: ValTypeCode[] = Array<ValTypeCode>(fc.spans.locals + fc.groupLocals).fill(ValType.i32);
    mb.defineFunction(funcIndex.get(e)!, [...EXTRA_LOCALS, ...fc.slotList.map((): ValTypeCode => ValType.i64), ...spanLocals], code);
  }
  const entryIndex = funcIndex.get(0)!;
  mb.export('entry', 'func', entryIndex);
  // Callbacks: every function but the entry, by slot, for HelperContext.callFunction.
  for (const e of entries) if (e !== 0) mb.export(`f${e}`, 'func', funcIndex.get(e)!);
  emitBatchExport(mb, emitRunExports(mb, entryIndex, reservedWord(options.shared === true, STACK_MARK)));
  const inlinedCalls = inlined === undefined ? [] : [...inlined.sites.keys()].sort((a, b) => a - b);
  return { bytes: mb.build(), entryIndex, functionCount: entries.length, dispatchFunctions, boundedLoops, tripChargedLoops, chunkedLoops, countedLoops, functionPcs: entries, checkedFunctions, inlinedCalls, mapHandles: lookups.handles, ...(inlined === undefined ? {} : { origin: inlined.origin }) };
}
