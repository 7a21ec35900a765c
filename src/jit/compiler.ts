/**
 * eBPF → WebAssembly compiler. Each eBPF function (the entry and every local-call target) becomes
 * one WebAssembly function over eleven i64 locals r0-r10, so V8's optimizing tier keeps eBPF
 * registers in machine registers. Control flow is rebuilt as nested blocks and loops
 * (see structure.ts). Every memory access is checked exactly as the interpreter checks it: accesses
 * through an unmodified r10 that stay inside the frame are checked at compile time; every other access
 * tries a one-entry cache of a writable region (one subtraction and one unsigned compare), then scans
 * the region table in wasm (no call: a call on any path of a loop makes V8 spill its registers), and
 * only to fail calls the runtime, which throws VmMemory's MemoryAccessError. (Measured: keeping the
 * cache in locals instead of globals, or moving the miss path into a function, made loops slower.)
 * The check branches on the miss, so that V8 lays the hit out as the fall-through path. A run of
 * accesses through one unchanged register in a block is checked once for its whole span.
 *
 * In the blocks of loops without calls, a miss that is neither the cached region's last bytes nor the
 * stack does not scan the table in place: it leaves the loop nest for the function's checked copy,
 * which resumes the run at that very access (its block already charged: see
 * {@link FunctionCompiler.resumeSegments}) and does everything from there on with full checks. The
 * scan is a loop, and a loop nested in a hot loop makes V8 compile the hot loop worse even when it
 * never runs. Each entry into such a loop first fills the cache for the header's first access (see
 * {@link FunctionCompiler.loopEntry}), so that a loop entered with the cache holding another region does
 * not leave at once. (A/B in one process, best of 9-15 alternating batches at load 10-15: sort
 * 0.55-0.64x the time, hashtab, isort, strsearch, base64 0.8-0.95x, others within the noise.)
 *
 * Counted loops (one block ending in `if x < y goto self`, 64- or 32-bit, x growing by a constant or a
 * loop-invariant register, y unchanged: clang's memcpy-style loops, `for (u32 k = 0; k < n; k++)`) are
 * versioned: at each entry to the loop a guard computes the trip count from the registers and checks
 * that the first and last iterations' addresses of every access whose address is an induction
 * variable (see induction.ts: 32-bit index arithmetic under range conditions the guard also checks,
 * strides held in registers) lie in the cached region; if so a copy of the loop runs
 * with those accesses unchecked (a wrap and an add), else the checked body runs one iteration (filling
 * the cache) and the guard is tried again on the next. The guard also asks for budget for all the
 * iterations, so that the copy only subtracts (a shorter budget runs the checked body, which fails at
 * the interpreter's pc). A/B: memcpy 191 -> 110 us, and 113 -> 74 us with the budget check hoisted.
 * In structured code the copy is not nested in the checked loop but its sibling (see
 * {@link FunctionCompiler.fastLoop}): the guard runs once per entry from outside the loop and chooses
 * either the copy, which runs every iteration, or the checked loop, which runs every iteration (a
 * loop whose block other back edges also reach stays nested). The copy then holds no miss path and no
 * inner loop, and V8 unrolls it; one saved access per iteration is enough (MIN_HOISTED_SIBLING). A/B
 * (six runs of 10-16 alternations): hash64 best 16.5-25.8 -> 15.2-16.8 us, medians 20-27 -> 16.7-17.3
 * us; fnv1a best 104-196 -> 83-146 us, medians 146-207 -> 109-158 us; sort (its copy loop) best
 * 166-263 -> 161-244 us, within the noise; memcpy and crc32 (compute-bound) unchanged; the others'
 * code unchanged. The checked-copy functions (dispatch loops) keep the nested form. Since a failed
 * guard no longer retries after a checked iteration has filled the cache, the guard first fills the
 * cache from the region table for the first covered access's first address when it misses (no
 * failure there: the checked loop fails where the interpreter does), so loops entered with the cache
 * empty (after a call) or holding another region (the stack is never cached by the stack's own path)
 * still run check-free; benchmarks unchanged (A/B: hash64 16.4/17.3 vs 16.1/17.4 us best/median,
 * fnv1a, sort, memcpy, crc32 within the noise). Rejected: chunked loops (strcmp) as siblings too,
 * the copy before the checked loop running one chunk and the header skipping its body when the copy
 * left (strcmp_full medians 15.9/16.0 -> 19.1/19.1 us in two A/B runs: V8 no longer unrolled the
 * copy, which it does unroll nested). Also measured and rejected: the region-table scan of the miss
 * path unrolled for four entries instead of a loop (an unsafe build, only to see whether the loop
 * itself is what costs the hot loops that keep their checks): sort 230/242 -> 261/275 us best/median,
 * switch 261/322 -> 286/337 us, log2_int and strcmp_full within the noise; more inline code is worse.
 *
 * A counted loop that only copies memory forward (a load, a store of the loaded value, both moving by
 * their size; every other register it writes moves by a constant or is recomputed each iteration)
 * copies all but its last iteration's bytes with one `memory.copy` in the guarded branch, when the
 * destination is not ahead of the source within them (then memmove's result is the loop's), charges
 * their budget at once and moves the induction registers; the check-free loop runs the last iteration
 * (see {@link FunctionCompiler.bulkCopy}). A/B: memcpy 88.5 -> 29.3 us (best of 6 alternations; the old
 * build's batches ranged 88-123 us, the new one's 29-33), below the native build's scalar loop (gcc -O2
 * keeps it a loop: it cannot rule out the overlap); sort (whose first loop copies 8 KB) unchanged.
 *
 * Other innermost loops that are one cycle of blocks from the header back to it, every other edge
 * going to one exit (clang's strcmp loop: data-dependent exits, no trip count) run in chunks: the
 * header's guard computes how many iterations keep every strided access in the cached region, a
 * check-free copy of the cycle runs that many, and leaves early through a flag that makes the header's
 * terminator take the exit. The chunk is also capped at the iterations the budget pays for at the
 * cycle's full cost, so the copy's charges only subtract. A/B: strcmp_full 23.0 -> 16.3 us, and
 * 16.4 -> 11.9 us with the budget check hoisted; others unchanged. Both check-free copies charge the
 * budget for all their iterations before they start rather than per block (a chunk that leaves early
 * gives back what its iterations not run would have charged): strcmp_full 13.1 -> 10.3 us (A/B, best
 * of 8 alternations; batches 13-22 and 10-20 us). Not handled: sort's
 * inner loops (`a[j - gap]`, leaving on a loaded value) are neither counted nor chunked with constant
 * strides. Where the copy is nested (chunked loops, and counted
 * loops in the checked-copy functions) only loops where it saves at least two checks per iteration are
 * versioned (see MIN_HOISTED: the nested loop costs more than one check); a sibling copy needs one
 * (MIN_HOISTED_SIBLING). Rejected: one
 * loop with a flag local choosing the check-free or the checked body per iteration instead of a nested
 * copy (memcpy 111 -> 217 us, fnv1a 174 -> 221 us).
 *
 * Branches: a conditional jump over one to three plain ALU instructions becomes `select`s (V8 emits
 * conditional moves; clang's flag-setting and min/max code otherwise mispredicts), and clang's
 * binary-search compare trees for dense switches become one `br_table` on the clamped value (see switch-table.ts). Both keep
 * the interpreter's budget rule exactly: every block still charges its length, and fails at its own pc.
 * The clamp keeps only what the index needs: values above the top go past the table to its fallback
 * (the top's edge) unless a 64-bit value could wrap in the 32-bit index, and values below the bottom
 * cannot occur after a `x &= m` (m >= 0) ending the root block when the bottom is <= 0 (the switch
 * benchmark's `switch (x & 63)` then needs no clamp at all). A/B: switch best batches 275-331 ->
 * 255-316 us (six runs, each faster by 5-7 %), other benchmarks' code unchanged.
 *
 * Rotates: eBPF has none, so clang writes `t = x; t >>= 64 - k; x <<= k; x |= t`; V8 does not turn
 * that back into a rotate, which puts two dependent instructions on a hash's critical chain. The four
 * slots (any shift order, either `or` direction, 32- or 64-bit) compile to one `rotl` (see
 * {@link FunctionCompiler.rotate}). A/B: hash64 19.4 -> 16.5 us (best of 10 alternations; batches ranged
 * 17-36 us on the shared machine); no other benchmark has the idiom.
 *
 * Budget: every block subtracts its length. Blocks check the result, except in innermost loops whose
 * body is a chain of several blocks: there the loop header checks once for the most any path can charge
 * before the next check, and when the budget may not suffice, the run continues (by a `br` out of the
 * loop, then a call) in a copy of the function that checks every block and can start at any block.
 * Blocks that do not check add their charges to a separate sum (L_ACC) that the next check, call or
 * exit subtracts (see {@link FunctionCompiler.flush}), and a converted block charges length ×
 * condition rather than a `select`: log2_int's loop of a dozen select-converted blocks had every
 * charge on one chain carried from iteration to iteration. A/B: log2_int 181 -> 140 us (best of 8
 * alternations; batches 181-257 and 140-204 us), switch 316 -> 293 us (within the noise), the other
 * benchmarks' code unchanged. (An unsafe build without the converted blocks' charges ran log2_int in
 * 99 us against 186: that is the chain's cost.)
 * Rejected (A/B, 2026-12, a noisy shared machine): header checks in innermost loops of two or three
 * blocks (MIN_CHECKED_CHAIN 2: sort 254 -> 313 us) and in outer loops too (sort 232 -> 343 us); a failed
 * check leaving by `br` to one block per function that calls the runtime, instead of a call at the
 * check (V8 then kept hash64's budget in a register instead of reloading it from the stack every
 * iteration, but no benchmark moved beyond the noise: hash64 16.7 vs 16.8 us, sort 193 vs 199 us).
 *
 * Sort (shell sort, 32-bit indexes, a register stride, inner loops of about two iterations) is where
 * the JIT is furthest from native. A perf profile of the generated code shows about 30 machine
 * instructions per inner iteration against native's 8-10: two cache checks of about eight instructions
 * each (with a `jmp` over the miss path: V8 lays the miss path out inline), two budget checks, V8's
 * loop stack check, and spills of `v` and `gap` (eleven eBPF registers, the budget and V8's own
 * registers do not fit). The hot spots are the load feeding the data-dependent compare and its
 * mispredicted exit, which native pays as well. Builds without the compare and miss path of the
 * cache check, or without budget checks (unsafe, only to measure the headroom), were within the noise
 * of the safe build in A/B runs; a guard per entry of loops this short would cost what it saves.
 *
 * Indexed accesses (clang's `r = B; r += X; [r + off]`, sort's `a[j]`): the register B that most
 * accesses of a function use so gets two locals, how far past B an access of each size may start in
 * the cached region (L_BLIM) and B's linear address (L_BLIN), recomputed after every write of B (the
 * code writer watches `local.set`/`local.tee` of B, so no path that writes it is missed), after every
 * cache refill and emptied with the cache. The access then checks `X + off < L_BLIM` (one compare of
 * locals instead of a subtraction and three globals) and misses to the region table scan, which is
 * exact on its own (it holds the stack too). A/B, 2026-12 (best and median of 24-30 alternating
 * batches, five runs): sort 187-216 -> 160-230 us best (four runs of five faster), median 5-10 %
 * lower every run, e.g. 201.6/293.0 -> 173.7/271.6 us; memcpy (one indexed store) unchanged, other
 * benchmarks' code unchanged. Headroom measured with unsafe builds: without any cache check in sort
 * 295 -> 224 us, also without budget checks 193 -> 112 us; the indexed check with its miss path
 * replaced by `unreachable` 192 -> 157 us. So most of what is left of the check's cost is its miss
 * path being in the loop at all (a loop inside the hot loop's body, even never entered, makes V8
 * compile the loop worse). Rejected: the miss path as a call to a scan function per access (sort
 * 190 -> 214-224 us: spills around the call); the first version, with the whole cache, stack and
 * table check as the miss path and one limit for 8-byte accesses (so the array's last element
 * missed): medians 5-8 % lower, best batches within the noise. Left: making the miss path leave the loop nest (e.g. resuming in
 * the checked copy mid-block), which needs the checked copy to start at an access, not a block.
 * @module
 */
import { fieldUse } from '../verifier/fields.js';
import { affineAdd, affineAlu, constantAffine, registerAffine, stepOf, strideOf, type Affine } from '../verifier/affine.js';
import { JitError } from '../errors.js';
import type { Insn } from '../isa/instruction.js';
import { decodeOperation, branchTarget, type Operation, type AluName, type JumpCond } from '../isa/operation.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import { basicBlocks, type BasicBlock } from '../verifier/cfg.js';
import { Global, GLOBAL_COUNT, Import, TABLE_ENTRY, Trap } from './layout.js';
import { HELPER_RESULT, STACK_MARK } from '../vm/memory.js';
import { emitDispatch, emitStructured, type StructSink } from './structure.js';
import { analyzeInduction, constantOf, type RangeCondition } from './induction.js';
import { emitTableIndex, planSwitch, type Compare, type SwitchEdge, type SwitchPlan } from './switch-table.js';
import { analyzeGraph, innermostLoops, outermostLoopOf, type FlowGraph, type GraphAnalysis, type Terminator } from './graph.js';
import { CodeWriter, ModuleBuilder } from '../wasm/module.js';
import { Op, ValType, type ValTypeCode } from '../wasm/opcodes.js';

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
  /** The eBPF pc each compiled function starts at; function `entryIndex + k` starts at `functionPcs[k]`. */
  readonly functionPcs: readonly number[];
  /** Functions' copies that check the budget on every block: function index and the eBPF pc of the original. */
  readonly checkedFunctions: readonly { readonly index: number; readonly pc: number }[];
}

// Local layout: params r0-r10, then scratch and cache locals.
const L_BUDGET = 11;
const L_T = 12;
const L_T2 = 13;
const L_LIM = 14;
const L_FP = 15;
const L_LABEL = 16;
const L_A = 17;
const L_I = 18;
/** If-conversion: the condition, and the old values of the (at most two) registers the skipped block writes. */
const L_COND = 19;
const L_S0 = 20;
/** Linear address of a checked access group's lowest byte (see {@link FunctionCompiler.accessGroups}). */
const L_GB = 22;
/** In a counted loop's check-free copy: linear address minus (the low half of) the virtual address. */
const L_D = 23;
/** Set when a chunked loop's check-free copy leaves the loop: the header's terminator then takes its exit. */
const L_EXIT = 24;
/** Iterations left in a chunked loop's check-free copy. */
const L_K = 25;
/**
 * Charges of blocks that do not check the budget, not yet subtracted from L_BUDGET (see
 * {@link FunctionCompiler.flush}): kept apart so that they do not lengthen the budget's dependency chain.
 */
const L_ACC = 26;
/**
 * For the function's indexed base register B (see {@link FunctionCompiler.chooseIndexedBase}), per
 * access size s: how far past B an access of s bytes may start and lie in the cached region
 * (cacheLimit + 7 - s + 1 - (B - cacheBase), or 0 when B is not in it); and B's linear address. Kept
 * exact whenever B or the cache changes.
 */
const L_BLIM: Readonly<Record<1 | 2 | 4 | 8, number>> = { 1: 27, 2: 28, 4: 29, 8: 30 };
const L_BLIN = 31;
/** On a region table hit: where the element holding the access starts, as an offset into its region (0 for a plain region). */
const L_E = 32;
/** In the checked copy: where in its first block a run resumes (see {@link FunctionCompiler.resumeSegments}); 0 at the block's start. */
const L_RESUME = 33;
const EXTRA_LOCALS: readonly ValTypeCode[] = [
  ...Array<ValTypeCode>(4).fill(ValType.i64),
  ...Array<ValTypeCode>(5).fill(ValType.i32),
  ValType.i64,
  ValType.i64,
  ValType.i32,
  ValType.i32,
  ValType.i32,
  ValType.i32,
  ValType.i64,
  ...Array<ValTypeCode>(4).fill(ValType.i64),
  ValType.i32,
  ValType.i32,
  ValType.i32,
];
/** Most iterations a chunked loop runs check-free before its guard is evaluated again. */
const MAX_CHUNK = 2 ** 30;
/**
 * Fewest accesses a loop's check-free copy must save per iteration. The copy is a loop nested in the
 * compiled loop, which V8 compiles worse: with one access saved fnv1a went 73 -> 174 us (even with the
 * access still checked in the copy: 163 us), with two memcpy went 220 -> 110 us.
 */
const MIN_HOISTED = 2;
/**
 * The same for a counted loop versioned as a sibling of its checked loop (see
 * {@link FunctionCompiler.fastLoop}): no nested loop, so one access saved pays (fnv1a, hash64).
 */
const MIN_HOISTED_SIBLING = 1;
/** Most blocks in a chunked loop's cycle. */
const MAX_CYCLE = 6;
/** Counted loops: largest trip count, |stride| and bound the versioning guard accepts (no 64-bit wrap below them). */
const MAX_TRIPS = 2 ** 32;
const MAX_STRIDE = 2 ** 16;
/** ALU operations that cannot fail or branch in the generated code, so a block of them can run speculatively. */
const PURE_ALU: ReadonlySet<AluName> = new Set<AluName>(['add', 'sub', 'mul', 'or', 'and', 'xor', 'lsh', 'rsh', 'arsh', 'mov']);
/**
 * Most graph nodes of a function compiled as a dispatch loop (one `block` and one `br_table` entry
 * per node). V8 refuses a `br_table` of more than 65,520 entries; a bigger function with irreducible
 * control flow is refused with a JitError, and one with loops gets no checked copy (every block then
 * checks the budget itself).
 */
const MAX_DISPATCH_NODES = 65_520;
/**
 * A checked copy's start label packs the dispatch label (below 2^17, see MAX_DISPATCH_NODES) and a
 * resume point: k for the block's k-th resume point (0: the block's start).
 */
const RESUME_SHIFT = 17;
const MAX_RESUME_OFFSET = 2 ** (31 - RESUME_SHIFT) - 2;
/** Fewest blocks on a checkpoint's longest path to the next one for it to check for all of them at once. */
const MIN_CHECKED_CHAIN = 4;
/** Largest block (in instructions) compiled as selects rather than a branch. */
const MAX_SELECT_BLOCK = 3;
const REGS: readonly ValTypeCode[] = Array<ValTypeCode>(11).fill(ValType.i64);
const RESULTS: readonly ValTypeCode[] = Array<ValTypeCode>(6).fill(ValType.i64);
/**
 * Labels every function body is wrapped in: the propagate block, the halt block and (innermost) the
 * block whose end continues the run in the function's budget-checked copy.
 */
const OUTER = 3;

const ALU64: Partial<Record<AluName, number>> = {
  add: Op.i64_add,
  sub: Op.i64_sub,
  mul: Op.i64_mul,
  or: Op.i64_or,
  and: Op.i64_and,
  xor: Op.i64_xor,
  lsh: Op.i64_shl,
  rsh: Op.i64_shr_u,
  arsh: Op.i64_shr_s,
};
const ALU32: Partial<Record<AluName, number>> = {
  add: Op.i32_add,
  sub: Op.i32_sub,
  mul: Op.i32_mul,
  or: Op.i32_or,
  and: Op.i32_and,
  xor: Op.i32_xor,
  lsh: Op.i32_shl,
  rsh: Op.i32_shr_u,
  arsh: Op.i32_shr_s,
};
const CMP64: Record<Exclude<JumpCond, 'jset'>, number> = {
  jeq: Op.i64_eq,
  jne: Op.i64_ne,
  jgt: Op.i64_gt_u,
  jge: Op.i64_ge_u,
  jlt: Op.i64_lt_u,
  jle: Op.i64_le_u,
  jsgt: Op.i64_gt_s,
  jsge: Op.i64_ge_s,
  jslt: Op.i64_lt_s,
  jsle: Op.i64_le_s,
};
const CMP32: Record<Exclude<JumpCond, 'jset'>, number> = {
  jeq: Op.i32_eq,
  jne: Op.i32_ne,
  jgt: Op.i32_gt_u,
  jge: Op.i32_ge_u,
  jlt: Op.i32_lt_u,
  jle: Op.i32_le_u,
  jsgt: Op.i32_gt_s,
  jsge: Op.i32_ge_s,
  jslt: Op.i32_lt_s,
  jsle: Op.i32_le_s,
};
const LOAD: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };
const LOAD_S: Record<1 | 2 | 4, number> = { 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s };
const STORE: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };

/** True when some instruction may write r10 (then frame-relative accesses cannot be checked statically). */
export function writesFramePointer(insns: readonly Insn[]): boolean {
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    const op = decodeOperation(i);
    if (op.kind === 'invalid') continue;
    // The verifier's table of which register fields each operation writes.
    for (const field of fieldUse(op).writes) if (i[field] === FRAME_POINTER) return true;
    if (op.kind === 'lddw') pc++;
  }
  return false;
}

interface Decoded {
  readonly ops: readonly Operation[];
  readonly blocks: readonly BasicBlock[];
  /** Block index starting at each slot, or -1. */
  readonly blockAt: Int32Array;
}

function decode(insns: readonly Insn[]): Decoded {
  const ops = insns.map(decodeOperation);
  const blocks = basicBlocks(insns);
  const blockAt = new Int32Array(insns.length + 1).fill(-1);
  blocks.forEach((b, i) => (blockAt[b.start] = i));
  return { ops, blocks, blockAt };
}

/** Slot index of a block's last instruction. */
function lastPc(insns: readonly Insn[], b: BasicBlock): number {
  let pc = b.start;
  let last = pc;
  while (pc < b.end) {
    last = pc;
    pc += decodeOperation(insns[pc]!).kind === 'lddw' ? 2 : 1;
  }
  return last;
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
export function compileToWasm(insns: readonly Insn[], options: CompileOptions): CompiledWasm {
  if (insns.length === 0) throw new JitError('cannot compile an empty program');
  const d = decode(insns);
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

  // Functions: the entry and every valid local-call target.
  const entries = [0];
  const isEntry = new Set(entries);
  for (let pc = 0; pc < n; pc++) {
    const op = d.ops[pc]!;
    if (op.kind === 'call' && op.target === 'local' && options.badSlots[pc] !== 1) {
      const t = branchTarget(op, insns[pc]!, pc)!;
      if (blockOf(t) >= 0 && !isEntry.has(t)) {
        isEntry.add(t);
        entries.push(t);
      }
    } else if (op.kind === 'lddw') pc++;
  }

  const mb = new ModuleBuilder();
  mb.importFunction('env', 'memError', [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32], []);
  // Helper arguments as i32 halves, the result in linear memory: see Import.helper.
  const helperArgs: ValTypeCode[] = Array.from({ length: 12 }, (): ValTypeCode => ValType.i32);
  mb.importFunction('env', 'helper', helperArgs, []);
  mb.importFunction('env', 'helperx', [ValType.i64, ...helperArgs.slice(1)], []);
  mb.importFunction('env', 'packet', [ValType.i32, ValType.i32], [ValType.i32]);
  mb.importFunction('env', 'trap', [ValType.i32, ValType.i32], []);
  mb.importFunction('env', 'tail', [], RESULTS);
  mb.importMemory('env', 'memory');
  for (let g = 0; g < GLOBAL_COUNT; g++) {
    const i32 =
      g === Global.halt || g === Global.depth || g === Global.maxDepth || g === Global.stackDelta || g === Global.tableAddr || g === Global.tableCount || g === Global.cacheOffset || g === Global.label;
    mb.export(`g${g}`, 'global', mb.global(i32 ? ValType.i32 : ValType.i64));
  }
  const funcIndex = new Map<number, number>();
  for (const e of entries) funcIndex.set(e, mb.declareFunction(REGS, RESULTS));
  const dispatchFunctions: number[] = [];
  const checkedFunctions: { index: number; pc: number }[] = [];
  for (const e of entries) {
    // A function with loops that check the budget once per iteration also gets a copy that checks it on
    // every block and can start at any block (a dispatch loop), to continue in when the budget may run
    // out before the next check. It takes its registers in globals: registers flowing into call
    // arguments make V8 spill them in loops.
    const makeChecked = (resume: ReadonlyMap<number, number>): CheckedCopy | undefined => {
      const checked = new FunctionCompiler(insns, d, terms, options, funcIndex);
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
    const code = fc.compile(blockOf(e));
    checkSize(code, e, maxBytes);
    if (fc.usedDispatch) dispatchFunctions.push(e);
    mb.defineFunction(funcIndex.get(e)!, EXTRA_LOCALS, code);
  }
  const entryIndex = funcIndex.get(0)!;
  mb.export('entry', 'func', entryIndex);
  // `init(...)` sets the globals of a call; `run(r1, r2, r10, <init's arguments but depth>) -> r0` is a
  // whole fresh run in one call from JS, setting the same globals itself (a call to `init` from `run`
  // costs V8 a frame and a stack check per run). Numbers rather than BigInts cross the JS boundary where
  // they can (a BigInt argument costs an allocation and a conversion): the budget as f64 (an integer
  // below 2^53, so the saturating truncation, which V8 compiles without the trapping one's range
  // checks, is exact), addresses and sizes as u32.
  const wide: ReadonlySet<number> = new Set([Global.stackTop, Global.stackBase, Global.stackLimit]);
  const callGlobals = [Global.depth, Global.maxDepth, Global.stackTop, Global.stackDelta, Global.tableAddr, Global.tableCount, Global.stackBase, Global.stackLimit];
  /**
   * Set the globals of a call: the budget from param `budget`, the others from `params` in callGlobals'
   * order (-1: zero); `emptyCache`: also empty the region cache.
   */
  const setGlobals = (c: CodeWriter, budget: number, params: readonly number[], emptyCache: boolean): void => {
    c.i32(0).gset(Global.halt);
    c.get(budget).i64TruncSatF64S().gset(Global.budget);
    callGlobals.forEach((g, k) => {
      if (params[k]! < 0) c.i32(0);
      else c.get(params[k]!);
      if (wide.has(g)) c.op(Op.i64_extend_i32_u);
      c.gset(g);
    });
    if (emptyCache) c.i64(0).gset(Global.cacheLimit);
  };
  const initParams: ValTypeCode[] = [ValType.f64, ...Array<ValTypeCode>(8).fill(ValType.i32)];
  const init = mb.declareFunction(initParams, []);
  const ic = new CodeWriter();
  setGlobals(ic, 0, [1, 2, 3, 4, 5, 6, 7, 8], true);
  mb.defineFunction(init, [], ic);
  mb.export('init', 'func', init);

  // Params: r1, r2, r10 (= stackTop), budget, maxDepth, stackDelta, tableAddr, tableCount, stackBase, stackLimit,
  // and the memory's layout version (f64: an integer below 2^53).
  const run = mb.declareFunction([ValType.i64, ValType.i64, ValType.i32, ValType.f64, ...Array<ValTypeCode>(6).fill(ValType.i32), ValType.f64], [ValType.i64]);
  const rc = new CodeWriter();
  // depth 0, stackTop = r10.
  setGlobals(rc, 3, [-1, 4, 2, 5, 6, 7, 8, 9], false);
  // The region cache stays when the layout is the one the last fresh run started with: it was filled from
  // that layout's table since (a helper changing the layout empties it, and a later run sees a new version).
  const V = 12;
  rc.get(10).i64TruncSatF64S().tee(V).gget(Global.cacheVersion).op(Op.i64_ne).if();
  rc.i64(0).gset(Global.cacheLimit).get(V).gset(Global.cacheVersion).end();
  // A cache kept holding the stack: its hits are not marked, so mark the whole stack (see vm/stack).
  rc.gget(Global.cacheBase).gget(Global.stackBase).op(Op.i64_eq).gget(Global.cacheLimit).i64(0).op(Op.i64_ne).op(Op.i32_and).if();
  rc.gget(Global.stackBase).op(Op.i32_wrap_i64).i32(0).mem(Op.i32_load, STACK_MARK).op(Op.i32_lt_u).if();
  rc.i32(0).gget(Global.stackBase).op(Op.i32_wrap_i64).mem(Op.i32_store, STACK_MARK).end();
  rc.end();
  rc.i64(0).get(0).get(1);
  for (let r = 3; r <= 9; r++) rc.i64(0);
  rc.get(2).op(Op.i64_extend_i32_u).call(entryIndex);
  for (let r = 0; r < 5; r++) rc.op(Op.drop);
  // A run that stopped early (an unwinding helper, a bad packet load) ends with r0 = savedR0: answered
  // here so that the runtime need not read globals after a fresh run.
  const R0 = 11;
  rc.set(R0).gget(Global.halt).if(ValType.i64).gget(Global.savedR0).else().get(R0).end();
  mb.defineFunction(run, [ValType.i64, ValType.i64], rc);
  mb.export('run', 'func', run);
  return { bytes: mb.build(), entryIndex, functionCount: entries.length, dispatchFunctions, functionPcs: entries, checkedFunctions };
}

/** A function's copy that checks the budget on every block: its index and the dispatch label of each block. */
interface CheckedCopy {
  readonly func: number;
  readonly labels: ReadonlyMap<number, number>;
  /** The accesses a run can resume at (see {@link FunctionCompiler.deoptPcs}): pc → its ordinal among its block's. */
  readonly resume: ReadonlyMap<number, number>;
}

/** Loads and stores through one register in a block, checked once for their span [reg+lo, reg+hi). */
interface AccessGroup {
  /** Pc of the first access. */
  readonly start: number;
  readonly reg: number;
  readonly lo: number;
  readonly hi: number;
  /** First pc after the group's last access. */
  readonly end: number;
}

/**
 * A one-block loop whose trip count follows from its entry registers: it repeats while
 * `x + step * (iteration + 1) < y` (unsigned, 64- or 32-bit; `!=` when step is 1), x growing by `step`
 * per iteration (a constant or a loop-invariant form) and y unchanged. Its accesses through affine
 * addresses can all be checked at entry, with the range conditions its 32-bit arithmetic needs (see
 * induction.ts).
 */
interface CountedLoop {
  readonly x: number;
  readonly y: number;
  readonly step: Affine;
  /** Accesses checked by the entry guard: address on the first iteration (offset included), stride, pc. */
  readonly accesses: readonly { readonly addr: Affine; readonly stride: Affine; readonly pc: number }[];
  /** Forms that must stay in [0, 2^32) on every iteration. */
  readonly ranges: readonly RangeCondition[];
}

/**
 * An innermost loop that is one cycle of blocks from its header back to it, each leaving only to one
 * exit target (which the header can also go to). Its accesses with affine addresses that move by a
 * constant per iteration are checked at the header for as many iterations as stay in the cached
 * region (a chunk), then run check-free.
 */
interface ChunkedLoop {
  /** The cycle's blocks, header first. */
  readonly path: readonly number[];
  readonly exit: number;
  readonly accesses: readonly { readonly addr: Affine; readonly stride: number; readonly pc: number }[];
}

/**
 * A {@link CountedLoop} that copies memory forward: its only accesses are a load and a store of the
 * loaded value, both moving by their size per iteration; every register it writes either moves by a
 * constant per iteration or is written before it is read (so one iteration recomputes it).
 */
interface CopyLoop {
  /** The first iteration's source and destination addresses, and the bytes one iteration copies. */
  readonly src: Affine;
  readonly dst: Affine;
  readonly size: number;
  /** The registers that move by a constant per iteration, and by how much. */
  readonly moves: readonly { readonly reg: number; readonly by: number }[];
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
  /**
   * Accesses (by pc) through the indexed base register (code.watched), checked against L_BLIM: clang
   * addresses arrays as `r = base; r += i << k`, with the base invariant across a whole loop nest.
   */
  private indexed = new Map<number, IndexedAccess>();
  /** The sizes of those accesses (each has its L_BLIM). */
  private readonly indexedSizes = new Set<1 | 2 | 4 | 8>();
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
  /** In the fast copy: accesses whose miss leaves for the checked copy (see {@link FunctionCompiler.resumeLabel}). */
  private deopt: ReadonlySet<number> = new Set();
  /** In the checked copy: the accesses a run may resume at. */
  resumePcs: ReadonlySet<number> = new Set();
  /** The block being emitted, and the label depth of the instruction being emitted. */
  private curBlock: BasicBlock | undefined;
  private curDepth = 0;
  /** Set when the function is too big for a checked copy: no checkpoint may then exit to one. */
  private noCheckedCopy = false;

  /**
   * Budget checks in the fast copy, per graph node: 0 checks its own charge, 1 checks for everything up
   * to the next checkpoint (`reach`) and exits to the checked copy when short, 2 only subtracts.
   */
  private mode = new Uint8Array(0);
  private reach = new Float64Array(0);
  /** True while emitting code that checks the budget on every block (the checked copy, or a fast copy that fell back to dispatch). */
  private everyBlock = true;
  /** The node being emitted charges without checking (into L_ACC). */
  private unchecked = false;
  /** Some nodes charge without checking, so L_ACC may be non-zero and readers of the budget flush it. */
  private deferred = false;

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
    for (let r = 0; r <= 10; r++) c.gget(Global.savedR0 + r).set(r);
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

  /**
   * Where the fast copy checks the budget: the entry, loop headers and the blocks after a local call
   * (the callee spent budget). Elsewhere it only subtracts; a check asks for the most that any path
   * can charge until the next check, so that no block in between could have run out.
   */
  private planChecks(graph: FlowGraph): void {
    const a = analyzeGraph(graph);
    const n = graph.count;
    const cp = new Uint8Array(n);
    cp[graph.entry] = 1;
    const succ = (x: number): number[] => {
      const t = graph.term[x]!;
      if (t.kind === 'goto') return t.to >= 0 ? [t.to] : [];
      if (t.kind === 'cond') return [t.taken, t.fall].filter((y) => y >= 0);
      if (t.kind === 'table') return [...new Set([...t.targets, t.fallback])];
      return [];
    };
    const header = new Uint8Array(n);
    for (const x of a.order) {
      const callEnds = this.endsInLocalCall(x);
      for (const y of succ(x)) {
        if (a.rpo[y]! <= a.rpo[x]!) header[y] = cp[y] = 1;
        if (callEnds) cp[y] = 1;
      }
    }
    const reach = new Float64Array(n);
    for (let k = a.order.length - 1; k >= 0; k--) {
      const x = a.order[k]!;
      let more = 0;
      for (const y of succ(x)) if (a.rpo[y]! > a.rpo[x]! && cp[y] === 0) more = Math.max(more, reach[y]!);
      reach[x] = this.cost(x) + more;
    }
    // Only at loop headers where a check saves several (a long chain of small blocks, a switch): the exit
    // to the checked copy keeps every register live out of the loop, which costs V8 spills. Other
    // checkpoints check every block as before, and so does every block reachable from them before the
    // next checkpoint (a check that cannot fail is harmless on the fast checkpoints' paths).
    const mode = new Uint8Array(n); // 0: check this block; 1: checkpoint with exit; 2: no check
    // Innermost loops only (an exit from an outer loop keeps its values live across the inner ones
    // too), and only when the loop's body is a chain of at least MIN_CHECKED_CHAIN blocks. Not in a
    // function too big for the checked copy's dispatch loop (see MAX_DISPATCH_NODES).
    const chain = new Int32Array(n);
    const inBody = new Int32Array(n).fill(-1);
    for (const { header: h, body } of this.noCheckedCopy ? [] : innermostLoops(graph, a)) {
      for (const x of body) inBody[x] = h;
      for (let k = body.length - 1; k >= 0; k--) {
        const x = body[k]!;
        let more = 0;
        for (const y of succ(x)) if (y !== h && inBody[y] === h && a.rpo[y]! > a.rpo[x]!) more = Math.max(more, chain[y]!);
        chain[x] = 1 + more;
      }
      if (chain[h]! >= MIN_CHECKED_CHAIN) mode[h] = 1;
    }
    const checked = new Uint8Array(n);
    for (const x of a.order) {
      if (cp[x] === 1 && mode[x] === 0) checked[x] = 1;
      if (checked[x] === 1) for (const y of succ(x)) if (a.rpo[y]! > a.rpo[x]! && cp[y] === 0) checked[y] = 1;
    }
    for (const x of a.order) if (cp[x] === 0 && checked[x] === 0) mode[x] = 2;
    this.mode = mode;
    this.deferred = mode.some((m) => m !== 0);
    this.reach = reach;
    const deopt = this.noCheckedCopy ? new Map<number, number>() : this.deoptPcs(graph, a);
    if (this.checkedCopy === undefined && (mode.includes(1) || deopt.size > 0)) {
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

  /**
   * The accesses whose miss leaves for the checked copy (see {@link FunctionCompiler.resumeLabel}):
   * every load, store and atomic, but those checked at compile time, in the blocks of loops that hold
   * no call (a helper or a callee empties the region cache, so the next access would always miss).
   */
  private deoptPcs(graph: FlowGraph, a: GraphAnalysis): Map<number, number> {
    const loop = outermostLoopOf(graph, a);
    const withCall = new Set<number>();
    const blockOf = (x: number): BasicBlock | undefined => (this.nodes[x]! >= 0 ? this.d.blocks[this.nodes[x]!] : undefined);
    for (const x of a.order) {
      const b = blockOf(x);
      if (b === undefined || loop[x]! < 0) continue;
      for (let pc = b.start; pc < b.end; pc++) {
        const k = this.d.ops[pc]!.kind;
        if (k === 'call' || k === 'callx') withCall.add(loop[x]!);
      }
    }
    const out = new Map<number, number>();
    const ss = this.options.stackSize;
    for (const x of a.order) {
      const b = blockOf(x);
      if (b === undefined || loop[x]! < 0 || withCall.has(loop[x]!)) continue;
      let bad = false;
      for (let pc = b.start; pc < b.end; pc++) if (this.options.badSlots[pc] === 1) bad = true;
      if (bad) continue;
      let k = 0;
      for (let pc = b.start; pc < b.end && pc - b.start <= MAX_RESUME_OFFSET; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
        const op = this.d.ops[pc]!;
        const i = this.insns[pc]!;
        const acc = op.kind === 'atomic' ? { reg: i.dst, off: i.offset, size: op.size } : this.access(pc);
        if (acc === undefined) continue;
        if (this.options.frameFastPath && acc.reg === FRAME_POINTER && acc.off >= -ss && acc.off + acc.size <= 0) continue;
        out.set(pc, ++k);
      }
    }
    return out;
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
        if (pc === last && (op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit')) break;
        const fused = this.rotate(pc, to);
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
    c.block().block().block();
    this.chooseIndexedBase();
    this.prologue();
    const at = c.w.length;
    this.everyBlock = this.makeChecked === undefined;
    if (!this.everyBlock) this.planChecks(graph);
    if (!emitStructured(graph, this, OUTER)) {
      // Nothing was emitted by the structured pass; use the dispatch loop (without multiway branches).
      if (c.w.length !== at) throw new JitError('internal: the structured pass emitted code and gave up');
      graph = this.buildGraph(entryBlock, false);
      if (!this.everyBlock) this.planChecks(graph);
      if (!emitStructured(graph, this, OUTER)) {
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
      for (let r = 0; r <= 10; r++) c.get(r).gset(Global.savedR0 + r);
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

  private prologue(): void {
    const c = this.code;
    c.gget(Global.budget).set(L_BUDGET);
    // The region cache a function starts with is its caller's, or what `init` / `run` left: always one
    // of the current layout (helpers empty it). The indexed locals start empty.
    for (const s of this.indexedSizes) c.i64(0).set(L_BLIM[s]);
    if (this.options.frameFastPath) {
      c.get(FRAME_POINTER).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
      c.i32(this.options.stackSize).op(Op.i32_sub).set(L_FP);
    }
  }

  /** Empty both region caches (a limit of 0 never hits). */
  private reloadCaches(): void {
    this.code.i64(0).gset(Global.cacheLimit);
    for (const s of this.indexedSizes) this.code.i64(0).set(L_BLIM[s]);
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
    }
    this.code.watched = best;
    this.code.onWrite = () => this.rebase();
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

  /** Recompute L_BLIM and L_BLIN from the indexed base register and the cache. */
  private rebase(): void {
    const c = this.code;
    const b = c.watched;
    // B in the cached region (B - base < limit, so the region has at least 8 bytes and limit = size - 7):
    // an access of s bytes at B + t lies in it when t < size - s + 1 - (B - base).
    for (const s of this.indexedSizes) {
      c.gget(Global.cacheLimit).i64(8 - s).op(Op.i64_add).get(b).gget(Global.cacheBase).op(Op.i64_sub).op(Op.i64_sub).i64(0);
      c.get(b).gget(Global.cacheBase).op(Op.i64_sub).gget(Global.cacheLimit).op(Op.i64_lt_u).op(Op.select).set(L_BLIM[s]);
    }
    c.get(b).op(Op.i32_wrap_i64).gget(Global.cacheBase).op(Op.i32_wrap_i64).op(Op.i32_sub).gget(Global.cacheOffset).op(Op.i32_add).set(L_BLIN);
  }

  private trap(kind: number, pc: number): void {
    this.code.i32(kind).i32(pc).call(Import.trap).op(Op.unreachable);
  }

  body(node: number, depth: number): void {
    const c = this.code;
    const bi = this.nodes[node]!;
    this.unchecked = !this.everyBlock && this.mode[node] !== 0;
    // A node that checks the budget (or a checkpoint, or a loop guard) needs it exact.
    if (!this.everyBlock && this.mode[node] !== 2) this.flush();
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
      c.i32(label).set(L_LABEL).br(depth + 1 - OUTER);
      c.end();
    }
    const resumable = this.resumePointsOf(b).length > 0;
    const counted = !resumable && !this.siblings.has(node) && (this.everyBlock || this.mode[node] === 0) ? this.countedLoop(bi, MIN_HOISTED) : undefined;
    if (counted !== undefined) {
      // Versioning: when every iteration's covered accesses lie in the cached region, run a copy of
      // the loop without their checks; it stops where the checked loop would, and leaves by `br` to
      // the terminator, whose condition is then false. Otherwise (or once the cache is filled by a
      // checked iteration, on the next entry) the checked body runs, so errors are the interpreter's.
      c.block();
      this.loopGuard(counted, b.length);
      c.if();
      this.checkFreeLoop(node, counted, depth + 2);
      c.br(1);
      c.end();
      this.blockBody(b, depth + 1);
      c.end();
      return;
    }
    const chunked = !resumable && counted === undefined && (this.everyBlock || this.mode[node] === 0) ? this.chunkedLoop(node, bi) : undefined;
    if (chunked !== undefined) {
      this.chunked(node, chunked, depth);
      return;
    }
    this.blockBody(b, depth);
    const conv = this.converted.get(this.nodes[node]!);
    if (conv !== undefined) this.selectBlock(node, conv, depth);
  }

  /**
   * Before entering a loop whose accesses leave for the checked copy on a miss: when the header's first
   * such access, through a register the header has not written before it, would miss the cache and is
   * not on the stack, fill the cache from the region table for it as that access would (without
   * failing), so that a loop entered with the cache holding another region (or none, after a call)
   * does not leave for the checked copy on its first access.
   */
  loopEntry(node: number): void {
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
          this.window(size);
          c.op(Op.i64_ge_u);
          c.get(L_T).gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_ge_u).op(Op.i32_and);
          c.if();
          this.refill(size);
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
    const loop = this.countedLoop(bi, MIN_HOISTED_SIBLING);
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
    this.affine(first.addr);
    c.tee(L_T).gget(Global.cacheBase).op(Op.i64_sub);
    this.window(firstSize);
    c.op(Op.i64_ge_u).if();
    this.refill(firstSize);
    c.end();
    this.loopGuard(loop, b.length);
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
    const copy = this.copyLoop(loop, bi);
    if (copy !== undefined) this.bulkCopy(copy);
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
    this.chunkGuard(loop, cost);
    c.get(L_K).op(Op.i32_eqz).brIf(1);
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

  /**
   * Push (i64) how far past the cached region's base an access of `size` bytes may start and lie in
   * it: the region's size - size + 1 (the cache keeps size - 7, the window of an 8-byte access, so
   * that a loop of smaller accesses running to the region's last byte would otherwise fail its guard),
   * or 0 when nothing is cached or the region is under 8 bytes (limit 0: never a hit).
   */
  private window(size: 1 | 2 | 4 | 8): void {
    const c = this.code;
    if (size === 8) {
      c.gget(Global.cacheLimit);
      return;
    }
    c.i64(0).gget(Global.cacheLimit).i64(8 - size).op(Op.i64_add).gget(Global.cacheLimit).op(Op.i64_eqz).op(Op.select);
  }

  /** Push the value of an affine address expression (k + Σ coefficient × register) as an i64. */
  private affine(addr: Affine): void {
    const c = this.code;
    c.i64(addr.k);
    for (const [r, v] of addr.coeffs) {
      c.get(r);
      if (v !== 1) c.i64(v).op(Op.i64_mul);
      c.op(Op.i64_add);
    }
  }

  /**
   * L_K = how many iterations, from this one, every covered access stays in the cached region (the
   * window of its size), capped at MAX_CHUNK; 0 when an access's first address is outside it.
   */
  private chunkGuard(loop: ChunkedLoop, cost: number): void {
    const c = this.code;
    c.i64(MAX_CHUNK).set(L_T);
    for (const a of loop.accesses) {
      const size = this.access(a.pc)!.size as 1 | 2 | 4 | 8;
      // L_T2 = first address - cache base (an offset in the window when below the limit).
      this.affine(a.addr);
      c.gget(Global.cacheBase).op(Op.i64_sub).set(L_T2);
      // Iterations k with 0 <= offset + k * stride <= window - 1.
      if (a.stride > 0) {
        this.window(size);
        c.i64(1).op(Op.i64_sub).get(L_T2).op(Op.i64_sub).i64(a.stride).op(Op.i64_div_u).i64(1).op(Op.i64_add);
      } else if (a.stride < 0) c.get(L_T2).i64(-a.stride).op(Op.i64_div_u).i64(1).op(Op.i64_add);
      else c.i64(MAX_CHUNK);
      c.i64(0).get(L_T2);
      this.window(size);
      c.op(Op.i64_lt_u).op(Op.select).set(L_LIM);
      c.get(L_T).get(L_LIM).get(L_T).get(L_LIM).op(Op.i64_lt_u).op(Op.select).set(L_T);
    }
    // No more iterations than the budget pays for at the cycle's full cost, so no charge can fail.
    c.get(L_BUDGET).i64(cost).op(Op.i64_div_s).i64(0).get(L_BUDGET).i64(0).op(Op.i64_ge_s).op(Op.select).set(L_LIM);
    c.get(L_T).get(L_LIM).get(L_T).get(L_LIM).op(Op.i64_lt_u).op(Op.select).set(L_T);
    c.get(L_T).op(Op.i32_wrap_i64).set(L_K);
  }

  /**
   * The {@link ChunkedLoop} headed by `bi`: follow the header's edges along blocks of loads, stores
   * and ALU instructions until one goes back to it, every other edge going to the one exit target.
   */
  private chunkedLoop(node: number, bi: number): ChunkedLoop | undefined {
    const plain = (b: number): boolean => {
      if (b < 0 || this.converted.has(b)) return false;
      const n = this.nodeOf.get(b);
      if (n === undefined || this.switchOf.has(n)) return false;
      const blk = this.d.blocks[b]!;
      const last = lastPc(this.insns, blk);
      for (let pc = blk.start; pc < blk.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
        if (this.options.badSlots[pc] === 1) return false;
        const k = this.d.ops[pc]!.kind;
        if (pc === last && (k === 'ja' || k === 'jcond')) continue;
        if (!(k === 'alu' || k === 'neg' || k === 'movsx' || k === 'end' || k === 'lddw' || k === 'ldx' || k === 'st' || k === 'stx')) return false;
      }
      return true;
    };
    if (this.switchOf.has(node) || !plain(bi)) return undefined;
    const t0 = this.terms[bi]!;
    if (t0.kind !== 'cond' || t0.taken === t0.fall) return undefined;
    for (const exit of [t0.taken, t0.fall]) {
      if (exit < 0 || exit === bi) continue;
      const path = [bi];
      let next = exit === t0.taken ? t0.fall : t0.taken;
      let ok = true;
      while (next !== bi) {
        if (path.length >= MAX_CYCLE || next === exit || path.includes(next) || !plain(next)) {
          ok = false;
          break;
        }
        path.push(next);
        const t = this.terms[next]!;
        if (t.kind === 'goto') next = t.to;
        else if (t.kind === 'cond' && (t.taken === exit) !== (t.fall === exit)) next = t.taken === exit ? t.fall : t.taken;
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const accesses = this.strided(path)?.accesses;
      if (accesses !== undefined && accesses.length >= MIN_HOISTED) return { path, exit, accesses };
    }
    return undefined;
  }

  /**
   * The accesses along a cycle of blocks (its instructions but the jumps ending each block) whose
   * addresses are affine in the registers at the cycle's start and move by a constant per cycle, and
   * each register's change per cycle (undefined when not a constant). Undefined when a block holds
   * anything but loads, stores and ALU instructions.
   */
  private strided(path: readonly number[]): { accesses: { addr: Affine; stride: number; pc: number }[]; stride: (number | undefined)[] } | undefined {
    const ss = this.options.stackSize;
    const state: (Affine | undefined)[] = [];
    for (let r = 0; r <= 10; r++) state.push(registerAffine(r));
    const zero = constantAffine(0);
    const accesses: { addr: Affine; pc: number }[] = [];
    for (const bi of path) {
      const b = this.d.blocks[bi]!;
      const last = lastPc(this.insns, b);
      for (let pc = b.start; pc < b.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
        const op = this.d.ops[pc]!;
        if (pc === last && (op.kind === 'ja' || op.kind === 'jcond')) continue;
        const i = this.insns[pc]!;
        const a = this.access(pc);
        if (a !== undefined) {
          const frame = this.options.frameFastPath && a.reg === FRAME_POINTER && a.off >= -ss && a.off + a.size <= 0;
          const addr = affineAdd(state[a.reg], 1, zero, a.off);
          if (!frame && addr !== undefined) accesses.push({ addr, pc });
          if (op.kind === 'ldx') state[i.dst] = undefined;
        } else if (op.kind === 'alu' && op.width === 64 && (op.op === 'mov' || op.op === 'add' || op.op === 'sub')) {
          state[i.dst] = affineAlu(state, op.op, op.source, i);
        } else if (op.kind === 'alu' || op.kind === 'neg' || op.kind === 'movsx' || op.kind === 'end' || op.kind === 'lddw') {
          state[i.dst] = undefined;
        } else return undefined;
      }
    }
    const stride = state.map((v, r) => {
      const step = stepOf(v, r);
      return step !== undefined && Math.abs(step) <= MAX_STRIDE ? step : undefined;
    });
    const covered: { addr: Affine; stride: number; pc: number }[] = [];
    for (const a of accesses) {
      const s = strideOf(a.addr, stride);
      if (Number.isFinite(s) && Math.abs(s) <= MAX_STRIDE) covered.push({ ...a, stride: s });
    }
    return { accesses: covered, stride };
  }

  /**
   * A self-loop block that is a {@link CountedLoop}: only loads, stores and ALU instructions, ending
   * in `if x < y goto self` (or `y > x`, or `x != y` with step 1) on 64-bit registers. Undefined
   * otherwise, or when none of its accesses has an address affine in its induction variables.
   */
  private countedLoop(bi: number, minHoisted: number): CountedLoop | undefined {
    const t = this.terms[bi]!;
    if (t.kind !== 'cond' || t.taken !== bi || t.fall === bi || this.converted.has(bi)) return undefined;
    const b = this.d.blocks[bi]!;
    const last = lastPc(this.insns, b);
    const jop = this.d.ops[last]!;
    const ji = this.insns[last]!;
    if (jop.kind !== 'jcond' || jop.source !== 'reg') return undefined;
    const ind = analyzeInduction({ insns: this.insns, ops: this.d.ops, from: b.start, to: last, frameFastPath: this.options.frameFastPath, stackSize: this.options.stackSize });
    if (ind === undefined) return undefined;
    let x: number;
    let y: number;
    if (jop.cond === 'jlt' || jop.cond === 'jne') [x, y] = [ji.dst, ji.src];
    else if (jop.cond === 'jgt') [x, y] = [ji.src, ji.dst];
    else return undefined;
    const step = ind.step[x];
    const yStep = ind.step[y];
    if (step === undefined || yStep === undefined || constantOf(yStep) !== 0) return undefined;
    const k = constantOf(step);
    if ((k !== undefined && (k <= 0 || k > MAX_STRIDE)) || (jop.cond === 'jne' && k !== 1)) return undefined;
    // A constant stride beyond MAX_STRIDE: the access stays checked, a range condition refuses the loop.
    const small = (f: Affine): boolean => {
      const v = constantOf(f);
      return v === undefined || Math.abs(v) <= MAX_STRIDE;
    };
    const ranges = [...ind.ranges];
    if (!ranges.every((r) => small(r.stride))) return undefined;
    // A 32-bit compare reads the low halves: exact when x (after the step) and y are below 2^32.
    if (jop.width === 32) ranges.push({ form: ind.end[x]!, stride: step }, { form: { coeffs: new Map([[y, 1]]), k: 0 }, stride: { coeffs: new Map(), k: 0 } });
    const accesses = ind.accesses.filter((a) => small(a.stride));
    return accesses.length >= minHoisted ? { x, y, step, accesses, ranges } : undefined;
  }


  /**
   * Push an i32, non-zero when the counted loop's trip count N is known (x < y, y below 2^62 so that
   * no value wraps, N at most MAX_TRIPS, a stride that is a form between -MAX_STRIDE and MAX_STRIDE),
   * the budget covers N iterations of `length`, every range condition holds on the first and last
   * iterations and, for every covered access, the first and last iterations' addresses lie in the
   * cached region (the window of its size). Each is affine in the iteration with a small stride, so
   * everything between lies inside too. N may exceed the iterations run (the budget may stop the
   * loop first): the check is then stricter than needed, never weaker.
   */
  private loopGuard(loop: CountedLoop, length: number): void {
    const c = this.code;
    const k = constantOf(loop.step);
    if (k === undefined) {
      // L_LIM = the step when it is in [1, MAX_STRIDE] (L_A = 1), else 1 (L_A = 0: the guard fails).
      this.affine(loop.step);
      c.tee(L_LIM).i64(1).op(Op.i64_sub).i64(MAX_STRIDE).op(Op.i64_lt_u).set(L_A);
      c.get(L_LIM).i64(1).get(L_A).op(Op.select).set(L_LIM);
    }
    // L_T = N - 1 = (y - x + step - 1) / step - 1.
    c.get(loop.y).get(loop.x).op(Op.i64_sub);
    if (k === undefined) c.get(L_LIM).op(Op.i64_add).i64(1).op(Op.i64_sub).get(L_LIM).op(Op.i64_div_u);
    else if (k !== 1) c.i64(k - 1).op(Op.i64_add).i64(k).op(Op.i64_div_u);
    c.i64(1).op(Op.i64_sub).set(L_T);
    c.get(loop.x).get(loop.y).op(Op.i64_lt_u);
    c.get(loop.y).i64(62).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_and);
    c.get(L_T).i64(MAX_TRIPS).op(Op.i64_lt_u).op(Op.i32_and);
    if (k === undefined) c.get(L_A).op(Op.i32_and);
    // The budget covers all N iterations, so none of their charges can fail.
    c.get(L_T).i64(1).op(Op.i64_add).i64(length).op(Op.i64_mul).get(L_BUDGET).op(Op.i64_le_s).op(Op.i32_and);
    // Push the last iteration's value of a form whose first is in L_T2 (under the i32 conjunction,
    // which a stride form out of [-MAX_STRIDE, MAX_STRIDE] fails: the product could wrap).
    const last = (stride: Affine): void => {
      const s = constantOf(stride);
      if (s === undefined) {
        this.affine(stride);
        c.tee(L_S0).i64(MAX_STRIDE).op(Op.i64_add).i64(2 * MAX_STRIDE + 1).op(Op.i64_lt_u).op(Op.i32_and);
      }
      c.get(L_T2).get(L_T);
      if (s !== undefined) c.i64(s);
      else c.get(L_S0);
      c.op(Op.i64_mul).op(Op.i64_add);
    };
    for (const r of loop.ranges) {
      this.affine(r.form);
      c.tee(L_T2).i64(2 ** 32).op(Op.i64_lt_u).op(Op.i32_and);
      if (constantOf(r.stride) !== 0) {
        last(r.stride);
        c.i64(2 ** 32).op(Op.i64_lt_u).op(Op.i32_and);
      }
    }
    for (const a of loop.accesses) {
      const size = this.access(a.pc)!.size as 1 | 2 | 4 | 8;
      // L_T2 = the first iteration's address.
      this.affine(a.addr);
      c.tee(L_T2).gget(Global.cacheBase).op(Op.i64_sub);
      this.window(size);
      c.op(Op.i64_lt_u).op(Op.i32_and);
      if (constantOf(a.stride) !== 0) {
        last(a.stride);
        c.gget(Global.cacheBase).op(Op.i64_sub);
        this.window(size);
        c.op(Op.i64_lt_u).op(Op.i32_and);
      }
    }
  }

  /** The {@link CopyLoop} a counted loop (block `bi`) is, if it is one. */
  private copyLoop(loop: CountedLoop, bi: number): CopyLoop | undefined {
    const b = this.d.blocks[bi]!;
    const last = lastPc(this.insns, b);
    const stride = this.strided([bi])?.stride;
    if (stride === undefined) return undefined;
    let load: { pc: number; reg: number; size: number } | undefined;
    let store: number | undefined;
    /** The loaded register was written again after the load. */
    let clobbered = false;
    const written = new Set<number>();
    const liveIn = new Set<number>();
    for (let pc = b.start; pc < last; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
      const op = this.d.ops[pc]!;
      const i = this.insns[pc]!;
      const use = fieldUse(op);
      // Registers read: every register field, but dst where the instruction only writes it.
      const overwrites = (op.kind === 'alu' && op.op === 'mov') || op.kind === 'movsx' || op.kind === 'lddw' || op.kind === 'ldx';
      for (const f of use.registers) if (!(f === 'dst' && overwrites) && !written.has(i[f])) liveIn.add(i[f]);
      if (op.kind === 'ldx') {
        if (load !== undefined) return undefined;
        load = { pc, reg: i.dst, size: op.size };
      } else if (op.kind === 'stx') {
        // The loaded value, unchanged since the load.
        if (load === undefined || store !== undefined || i.src !== load.reg || op.size !== load.size || clobbered) return undefined;
        store = pc;
      } else if (this.access(pc) !== undefined) return undefined;
      for (const f of use.writes) {
        written.add(i[f]);
        if (load !== undefined && load.pc !== pc && i[f] === load.reg) clobbered = true;
      }
    }
    if (load === undefined || store === undefined) return undefined;
    const src = loop.accesses.find((a) => a.pc === load.pc);
    const dst = loop.accesses.find((a) => a.pc === store);
    if (src === undefined || dst === undefined || constantOf(src.stride) !== load.size || constantOf(dst.stride) !== load.size) return undefined;
    const moves: { reg: number; by: number }[] = [];
    for (let r = 0; r <= 10; r++) {
      const by = stride[r];
      if (by === undefined) {
        if (liveIn.has(r)) return undefined;
      } else if (by !== 0) moves.push({ reg: r, by });
    }
    return { src: src.addr, dst: dst.addr, size: load.size, moves };
  }

  /**
   * In a counted copy loop's guarded branch (L_T = trip count - 1, every address checked, the budget
   * charged): copy all but the last iteration's bytes with one `memory.copy` and move the induction
   * registers past them; the check-free loop then runs the last iteration, which leaves every other
   * register as the loop would. Only when memmove's result is the forward loop's (the destination is
   * not ahead of the source within the bytes copied); otherwise the check-free loop runs them all.
   */
  private bulkCopy(copy: CopyLoop): void {
    const c = this.code;
    c.get(L_T).i64(copy.size).op(Op.i64_mul).set(L_T2);
    this.affine(copy.dst);
    this.affine(copy.src);
    c.op(Op.i64_sub).tee(L_LIM).i64(0).op(Op.i64_le_s);
    c.get(L_LIM).get(L_T2).op(Op.i64_ge_s).op(Op.i32_or);
    c.if();
    this.affine(copy.dst);
    c.op(Op.i32_wrap_i64).get(L_D).op(Op.i32_add);
    this.affine(copy.src);
    c.op(Op.i32_wrap_i64).get(L_D).op(Op.i32_add);
    c.get(L_T2).op(Op.i32_wrap_i64).memoryCopy();
    for (const m of copy.moves) c.get(m.reg).get(L_T).i64(m.by).op(Op.i64_mul).op(Op.i64_add).set(m.reg);
    c.end();
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
      const fused = this.rotate(pc, b.end);
      if (fused > 0) {
        pc += fused;
        continue;
      }
      const isLast = pc === last;
      if (!(isLast && (op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit'))) {
        this.instruction(op, this.insns[pc]!, pc, depth);
      }
      pc += op.kind === 'lddw' ? 2 : 1;
    }
  }

  /** Emit the instructions in slots [from, to) (no jumps among them), rotate idioms fused. */
  private straight(from: number, to: number, depth: number): void {
    for (let pc = from; pc < to; ) {
      const fused = this.rotate(pc, to);
      if (fused > 0) {
        pc += fused;
        continue;
      }
      this.instruction(this.d.ops[pc]!, this.insns[pc]!, pc, depth);
      pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1;
    }
  }

  /**
   * clang's rotate idiom (eBPF has no rotate): `t = x; t >>= a; x <<= b; x |= t` with a + b the
   * width, the two shifts in either order and on either register, the `or` into either, all four in
   * one width. V8 does not turn the shifts into a rotate, which lengthens a hash's dependency chain
   * (hash64's `rotl(h, 27)`); this emits one `rotl` and leaves both registers as the four slots would.
   * Returns the slots consumed: 4 when the slots from `pc` (before `end`) are the idiom, else 0.
   */
  private rotate(pc: number, end: number): number {
    if (pc + 4 > end) return 0;
    for (let k = 0; k < 4; k++) if (this.options.badSlots[pc + k] === 1) return 0;
    const mov = this.d.ops[pc]!;
    if (mov.kind !== 'alu' || mov.op !== 'mov' || mov.source !== 'reg') return 0;
    const w = mov.width;
    const t = this.insns[pc]!.dst;
    const x = this.insns[pc]!.src;
    if (t === x) return 0;
    // The two shifts: which register each applies to and by how much.
    let lshReg = -1;
    let rshReg = -1;
    let b = 0;
    let a = 0;
    for (const k of [1, 2]) {
      const op = this.d.ops[pc + k]!;
      const i = this.insns[pc + k]!;
      if (op.kind !== 'alu' || op.width !== w || op.source !== 'imm' || (i.dst !== t && i.dst !== x) || i.imm <= 0 || i.imm >= w) return 0;
      if (op.op === 'lsh' && lshReg < 0) [lshReg, b] = [i.dst, i.imm];
      else if (op.op === 'rsh' && rshReg < 0) [rshReg, a] = [i.dst, i.imm];
      else return 0;
    }
    const or = this.d.ops[pc + 3]!;
    const oi = this.insns[pc + 3]!;
    if (lshReg === rshReg || a + b !== w || or.kind !== 'alu' || or.op !== 'or' || or.width !== w || or.source !== 'reg') return 0;
    if (!((oi.dst === t && oi.src === x) || (oi.dst === x && oi.src === t))) return 0;
    // The `or`'s destination gets x rotated; its source keeps its shifted x. x is read before either is written.
    const c = this.code;
    const shifted = oi.src === lshReg ? { by: b, op: w === 64 ? Op.i64_shl : Op.i32_shl } : { by: a, op: w === 64 ? Op.i64_shr_u : Op.i32_shr_u };
    if (w === 64) {
      c.get(x).i64(b).op(Op.i64_rotl).set(L_T);
      c.get(x).i64(shifted.by).op(shifted.op).set(oi.src);
    } else {
      c.get(x).op(Op.i32_wrap_i64).i32(b).op(Op.i32_rotl).op(Op.i64_extend_i32_u).set(L_T);
      c.get(x).op(Op.i32_wrap_i64).i32(shifted.by).op(shifted.op).op(Op.i64_extend_i32_u).set(oi.src);
    }
    c.get(L_T).set(oi.dst);
    return 4;
  }

  /** The base register, offset and size of a load or store (not atomics), or undefined. */
  private access(pc: number): { reg: number; off: number; size: number } | undefined {
    const op = this.d.ops[pc]!;
    const i = this.insns[pc]!;
    if (op.kind === 'ldx') return { reg: i.src, off: i.offset, size: op.size };
    if (op.kind === 'st' || op.kind === 'stx') return { reg: i.dst, off: i.offset, size: op.size };
    return undefined;
  }

  /**
   * Runs of two or more loads and stores through one unchanged base register within a block (a
   * packet parser reading header fields, a struct copied field by field), keyed by their first pc.
   * Each is checked once for the span of all its accesses; only straight-line instructions that
   * cannot leave the block may lie between them.
   */
  private accessGroups(b: BasicBlock): Map<number, AccessGroup> {
    const groups = new Map<number, AccessGroup>();
    const ss = this.options.stackSize;
    const simple = (pc: number): boolean => {
      const k = this.d.ops[pc]!.kind;
      return this.options.badSlots[pc] !== 1 && (k === 'alu' || k === 'neg' || k === 'movsx' || k === 'end' || k === 'lddw' || k === 'ldx' || k === 'st' || k === 'stx');
    };
    for (let pc = b.start; pc < b.end; ) {
      const a = this.access(pc);
      const step = (p: number): number => p + (this.d.ops[p]!.kind === 'lddw' ? 2 : 1);
      const frame = a !== undefined && this.options.frameFastPath && a.reg === FRAME_POINTER && a.off >= -ss && a.off + a.size <= 0;
      if (a === undefined || frame || !simple(pc)) {
        pc = step(pc);
        continue;
      }
      let lo = a.off;
      let hi = a.off + a.size;
      let count = 1;
      let end = step(pc);
      for (let q = pc; q < b.end && simple(q); q = step(q)) {
        const x = this.access(q);
        if (q !== pc && x !== undefined && x.reg === a.reg) {
          lo = Math.min(lo, x.off);
          hi = Math.max(hi, x.off + x.size);
          count++;
          end = step(q);
        }
        // An instruction writing the base register ends the run (a load into it still belongs to it).
        const op = this.d.ops[q]!;
        if (op.kind !== 'st' && op.kind !== 'stx' && this.insns[q]!.dst === a.reg) break;
      }
      if (count >= 2) {
        groups.set(pc, { start: pc, reg: a.reg, lo, hi, end });
        pc = end;
      } else pc = step(pc);
    }
    return groups;
  }

  /**
   * A run of accesses through one register: if the span [reg+lo, reg+hi) lies in the cached region,
   * run a copy of the instructions whose accesses use fixed offsets from one linear address;
   * otherwise a copy with every access checked on its own, so errors are the interpreter's.
   */
  private group(g: AccessGroup, depth: number): void {
    const c = this.code;
    // Both ends inside one region (8-byte windows at the span's first and last bytes; the span is far
    // below 2^32, so everything between is inside too): the cached region, else the stack. A span
    // under 8 bytes is checked as one access of its size, so that it passes at the region's last bytes.
    const span = g.hi - g.lo;
    const inside = (base: number, limit: number): void => {
      c.get(L_T).gget(base).op(Op.i64_sub);
      if (span < 8) c.i64(0).gget(limit).i64(8 - span).op(Op.i64_add).gget(limit).op(Op.i64_eqz).op(Op.select);
      else c.gget(limit);
      c.op(Op.i64_lt_u);
      if (g.hi - g.lo > 8) {
        c.get(L_T).i64(g.hi - g.lo - 8).op(Op.i64_add).gget(base).op(Op.i64_sub).gget(limit).op(Op.i64_lt_u);
        c.op(Op.i32_and);
      }
    };
    c.get(g.reg);
    if (g.lo !== 0) c.i64(g.lo).op(Op.i64_add);
    c.set(L_T);
    inside(Global.cacheBase, Global.cacheLimit);
    c.if(ValType.i32);
    c.get(L_T).gget(Global.cacheBase).op(Op.i64_sub).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add).set(L_GB).i32(1);
    c.else();
    inside(Global.stackBase, Global.stackLimit);
    c.if(ValType.i32);
    if (this.groupStores(g)) this.markStack(() => c.get(L_T).op(Op.i32_wrap_i64));
    c.get(L_T).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add).set(L_GB).i32(1);
    c.else().i32(0).end();
    c.end();
    c.if();
    const start = g.start;
    this.fastGroup = g;
    for (let pc = start; pc < g.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) this.instruction(this.d.ops[pc]!, this.insns[pc]!, pc, depth + 1);
    this.fastGroup = undefined;
    c.else();
    for (let pc = start; pc < g.end; pc += this.d.ops[pc]!.kind === 'lddw' ? 2 : 1) this.instruction(this.d.ops[pc]!, this.insns[pc]!, pc, depth + 1);
    c.end();
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
    const i = this.insns[pc]!;
    const c = this.code;
    if (op.width === 64) {
      c.get(i.dst);
      if (op.source === 'reg') c.get(i.src);
      else c.i64(i.imm);
      if (op.cond === 'jset') c.op(Op.i64_and).i64(0).op(Op.i64_ne);
      else c.op(CMP64[op.cond]);
    } else {
      c.get(i.dst).op(Op.i32_wrap_i64);
      if (op.source === 'reg') c.get(i.src).op(Op.i32_wrap_i64);
      else c.i32(i.imm);
      c.op(op.cond === 'jset' ? Op.i32_and : CMP32[op.cond]);
    }
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

  /** Push an i32 linear address for an access of `size` bytes at `reg + off`, checked. */
  private address(reg: number, off: number, size: 1 | 2 | 4 | 8, store: boolean, pc: number): { offset: number } {
    const c = this.code;
    const ss = this.options.stackSize;
    if (this.options.frameFastPath && reg === FRAME_POINTER && off >= -ss && off + size <= 0) {
      c.get(L_FP);
      return { offset: off + ss };
    }
    if (this.fastPcs?.has(pc) === true) {
      // Checked for every iteration by the counted loop's guard: the cache hit path's arithmetic only.
      c.get(reg).op(Op.i32_wrap_i64).get(L_D).op(Op.i32_add);
      if (off !== 0) c.i32(off).op(Op.i32_add);
      return { offset: 0 };
    }
    const g = this.fastGroup;
    if (g !== undefined && reg === g.reg) {
      // Inside a group whose whole span was checked: a fixed offset from its first byte.
      c.get(L_GB);
      return { offset: off - g.lo };
    }
    const x = this.indexed.get(pc);
    if (x !== undefined) {
      // reg = B + index: index + off below L_BLIM is a cache hit at B's linear address plus it (see
      // L_BLIM); otherwise the full check, which decides every case exactly.
      c.get(x.index);
      if (off !== 0) c.i64(off).op(Op.i64_add);
      c.tee(L_T2).get(L_BLIM[size]).op(Op.i64_ge_u);
      c.if(ValType.i32);
      c.get(reg);
      if (off !== 0) c.i64(off).op(Op.i64_add);
      c.set(L_T);
      const resume = this.resumeLabel(pc);
      if (resume !== undefined) {
        // The stack inline (an index into a stack array never leaves), else the checked copy.
        c.get(L_T).gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_lt_u);
        c.if(ValType.i32);
        if (store) this.markStack(() => c.get(L_T).op(Op.i32_wrap_i64));
        c.get(L_T).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
        c.else();
        c.i32(resume).set(L_LABEL).br(this.curDepth + 2 - OUTER);
        c.end();
      } else this.scanAddress(size, store, pc);
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
      this.window(size);
      c.op(Op.i64_lt_u).if(ValType.i32);
      c.get(L_T2).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add);
      c.else();
    }
    // The stack (accesses through copies of r10) is checked next, so it never evicts the cached region.
    c.get(L_T).gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_lt_u);
    c.if(ValType.i32);
    if (store) this.markStack(() => c.get(L_T).op(Op.i32_wrap_i64));
    c.get(L_T).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
    c.else();
    // Two or three `if`s in from the instruction's level, where the checked-copy exit is OUTER labels out.
    if (resume !== undefined) c.i32(resume).set(L_LABEL).br(this.curDepth + (tail ? 3 : 2) - OUTER);
    else this.scanAddress(size, store, pc);
    c.end();
    if (tail) c.end();
    const hit = c.w.view().slice(hitAt, missAt);
    const miss = c.w.view().slice(missAt);
    c.w.length = hitAt;
    c.w.bytes(miss).u8(Op.else).bytes(hit);
    c.end();
  }

  /**
   * Push the i32 linear address of an access of `size` bytes at L_T, found in the region table (which
   * holds every region, the stack included), refilling the cache with a writable region; else fail.
   */
  private scanAddress(size: 1 | 2 | 4 | 8, store: boolean, pc: number): void {
    const c = this.code;
    // Miss: scan the region table in wasm (a call here would make V8 spill the loop's registers).
    // Same rule as VmMemory.find: the first region wholly containing the access.
    const fail = (): void => {
      c.get(L_T).op(Op.i32_wrap_i64).get(L_T).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
      c.i32(size).i32(store ? 1 : 0).i32(pc).call(Import.memError).op(Op.unreachable);
    };
    c.block(); // found
    c.block(); // not found
    this.searchTable(size);
    c.end(); // not found
    fail();
    c.end(); // found: L_I is the entry, L_T2 the offset into the region
    this.element(size, fail);
    c.get(L_I).mem(Op.i32_load, 12).if();
    this.fillCache();
    if (store) {
      c.else();
      fail();
    }
    c.end();
    c.get(L_I).mem(Op.i32_load, 8).get(L_T2).op(Op.i32_wrap_i64).op(Op.i32_add);
  }

  /**
   * Refill the cache with the first region wholly holding `size` bytes at L_T when that region is
   * writable (the rule of {@link FunctionCompiler.scanAddress}, without failing: nothing changes when
   * no region holds them or it is read-only).
   */
  private refill(size: 1 | 2 | 4 | 8): void {
    const c = this.code;
    c.block(); // skip
    c.block(); // found
    c.block(); // not found
    this.searchTable(size);
    c.end(); // not found
    c.br(1);
    c.end(); // found
    this.element(size, (depth) => c.br(depth));
    c.get(L_I).mem(Op.i32_load, 12).if();
    this.fillCache();
    c.end();
    c.end(); // skip
  }

  /**
   * After a region table hit (L_I the entry, L_T2 the offset into the region): set L_E to the start of
   * the element holding the access, for an element region (see Region.stride; 0 otherwise), calling
   * `miss(depth)` (depth: blocks it opened) when the access is not inside one live element.
   */
  private element(size: 1 | 2 | 4 | 8, miss: (depth: number) => void): void {
    const c = this.code;
    c.i32(0).set(L_E);
    c.get(L_I).mem(Op.i32_load, 16).if();
    c.get(L_T2).op(Op.i32_wrap_i64).get(L_I).mem(Op.i32_load, 16).op(Op.i32_div_u).set(L_E);
    // A dead element: its liveness byte (when the region has them) is 0.
    c.get(L_I).mem(Op.i32_load, 24).if();
    c.get(L_I).mem(Op.i32_load, 24).get(L_E).op(Op.i32_add).mem(Op.i32_load8_u, 0).op(Op.i32_eqz).if();
    miss(3);
    c.end();
    c.end();
    c.get(L_E).get(L_I).mem(Op.i32_load, 16).op(Op.i32_mul).set(L_E);
    // Past the element's accessible bytes: offset - L_E + size > element size.
    c.get(L_T2).op(Op.i32_wrap_i64).get(L_E).op(Op.i32_sub).i32(size).op(Op.i32_add).get(L_I).mem(Op.i32_load, 20).op(Op.i32_gt_u).if();
    miss(2);
    c.end();
    c.end();
  }

  /**
   * Inside a `found` block holding a `not found` block: search the region table for the first region
   * wholly holding `size` bytes at L_T, leaving by `br` to `found` with L_I its entry and L_T2 the
   * offset into it, or falling out of `not found` when there is none (or L_T is 2^32 or more).
   */
  private searchTable(size: 1 | 2 | 4 | 8): void {
    const c = this.code;
    c.get(L_T).i64(32).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz).brIf(0);
    c.gget(Global.tableAddr).set(L_I);
    c.gget(Global.tableCount).i32(TABLE_ENTRY).op(Op.i32_mul).gget(Global.tableAddr).op(Op.i32_add).set(L_A);
    c.loop();
    c.get(L_I).get(L_A).op(Op.i32_ge_u).brIf(1);
    // d = addr - vaddr (signed; |d| < 2^32); hit when d >= 0 and d <= size - access size, i.e. when
    // (d | (size - access - d)) >= 0.
    c.get(L_T).get(L_I).mem(Op.i64_load32_u, 0).op(Op.i64_sub).set(L_T2);
    c.get(L_I).mem(Op.i64_load32_u, 4).i64(size).op(Op.i64_sub).get(L_T2).op(Op.i64_sub);
    c.get(L_T2).op(Op.i64_or).i64(0).op(Op.i64_ge_s).brIf(2);
    c.get(L_I).i32(TABLE_ENTRY).op(Op.i32_add).set(L_I).br(0);
    c.end(); // loop
  }

  /** True when a group's accesses include a store (or an atomic). */
  private groupStores(g: AccessGroup): boolean {
    for (let pc = g.start; pc < g.end; pc++) {
      const kind = this.d.ops[pc]!.kind;
      if (kind === 'st' || kind === 'stx' || kind === 'atomic') return true;
    }
    return false;
  }

  /** Lower the stack mark (see vm/stack) to the i32 virtual address `push` pushes (twice). */
  private markStack(push: () => void): void {
    const c = this.code;
    push();
    c.i32(0).mem(Op.i32_load, STACK_MARK).op(Op.i32_lt_u).if();
    c.i32(0);
    push();
    c.mem(Op.i32_store, STACK_MARK).end();
  }

  /**
   * Refill the cache from region table entry L_I (a writable region): base = vaddr, limit = size - 7 (0
   * when smaller than 8), offset. Cache hits are not marked, so caching the stack marks all of it.
   */
  private fillCache(): void {
    const c = this.code;
    c.get(L_I).mem(Op.i64_load32_u, 0).gget(Global.stackBase).op(Op.i64_eq).if();
    this.markStack(() => c.gget(Global.stackBase).op(Op.i32_wrap_i64));
    c.end();
    // The region, or for an element region the one element at L_E.
    c.get(L_I).mem(Op.i64_load32_u, 0).get(L_E).op(Op.i64_extend_i32_u).op(Op.i64_add).gset(Global.cacheBase);
    c.get(L_I).mem(Op.i64_load32_u, 20).get(L_I).mem(Op.i64_load32_u, 4).get(L_I).mem(Op.i32_load, 16).op(Op.select);
    c.i64(7).op(Op.i64_sub).tee(L_LIM).i64(0).get(L_LIM).i64(0).op(Op.i64_gt_s).op(Op.select).gset(Global.cacheLimit);
    c.get(L_I).mem(Op.i32_load, 8).get(L_E).op(Op.i32_add).gset(Global.cacheOffset);
    if (c.watched >= 0) this.rebase();
  }

  private bswap32(): void {
    // x on the stack (i32) → byte-swapped x.
    const c = this.code;
    c.tee(L_A).i32(8).op(Op.i32_rotl).i32(0x00ff00ff).op(Op.i32_and);
    c.get(L_A).i32(8).op(Op.i32_rotr).i32(0xff00ff00 | 0).op(Op.i32_and).op(Op.i32_or);
  }

  private instruction(op: Operation, i: Insn, pc: number, depth: number): void {
    const c = this.code;
    this.curDepth = depth;
    const haltDepth = depth - 2;
    const propDepth = depth - 1;
    switch (op.kind) {
      case 'alu':
        this.alu(op.op, op.width, op.source, i);
        return;
      case 'neg':
        if (op.width === 64) c.i64(0).get(i.dst).op(Op.i64_sub).set(i.dst);
        else c.i32(0).get(i.dst).op(Op.i32_wrap_i64).op(Op.i32_sub).op(Op.i64_extend_i32_u).set(i.dst);
        return;
      case 'movsx':
        if (op.width === 64) {
          c.get(i.src).op(op.bits === 8 ? Op.i64_extend8_s : op.bits === 16 ? Op.i64_extend16_s : Op.i64_extend32_s).set(i.dst);
        } else {
          c.get(i.src).op(Op.i32_wrap_i64).op(op.bits === 8 ? Op.i32_extend8_s : Op.i32_extend16_s);
          c.op(Op.i64_extend_i32_u).set(i.dst);
        }
        return;
      case 'end':
        if (op.order === 'le') {
          if (op.bits === 16) c.get(i.dst).i64(0xffff).op(Op.i64_and).set(i.dst);
          else if (op.bits === 32) c.get(i.dst).i64(0xffffffff).op(Op.i64_and).set(i.dst);
          return;
        }
        if (op.bits === 16) {
          c.get(i.dst).op(Op.i32_wrap_i64).tee(L_A).i32(8).op(Op.i32_shl).i32(0xff00).op(Op.i32_and);
          c.get(L_A).i32(8).op(Op.i32_shr_u).i32(0xff).op(Op.i32_and).op(Op.i32_or);
          c.op(Op.i64_extend_i32_u).set(i.dst);
        } else if (op.bits === 32) {
          c.get(i.dst).op(Op.i32_wrap_i64);
          this.bswap32();
          c.op(Op.i64_extend_i32_u).set(i.dst);
        } else {
          c.get(i.dst).op(Op.i32_wrap_i64);
          this.bswap32();
          c.op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl);
          c.get(i.dst).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
          this.bswap32();
          c.op(Op.i64_extend_i32_u).op(Op.i64_or).set(i.dst);
        }
        return;
      case 'lddw': {
        const next = this.insns[pc + 1]!;
        c.i64((BigInt(next.imm >>> 0) << 32n) | BigInt(i.imm >>> 0)).set(i.dst);
        return;
      }
      case 'ldx': {
        const a = this.address(i.src, i.offset, op.size, false, pc);
        c.mem(op.signed && op.size !== 8 ? LOAD_S[op.size] : LOAD[op.size], a.offset).set(i.dst);
        return;
      }
      case 'st': {
        const a = this.address(i.dst, i.offset, op.size, true, pc);
        c.i64(i.imm).mem(STORE[op.size], a.offset);
        return;
      }
      case 'stx': {
        const a = this.address(i.dst, i.offset, op.size, true, pc);
        c.get(i.src).mem(STORE[op.size], a.offset);
        return;
      }
      case 'atomic':
        this.atomic(op, i, pc);
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

  private afterHelper(haltDepth: number): void {
    const c = this.code;
    c.i32(0).mem(Op.i64_load, HELPER_RESULT).set(0);
    c.gget(Global.halt).brIf(haltDepth);
    // A helper may have changed the region table: drop the cached regions.
    this.reloadCaches();
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
    c.gget(Global.depth).i32(1).op(Op.i32_sub).gset(Global.depth);
    c.gget(Global.budget).set(L_BUDGET);
    c.gget(Global.halt).brIf(propDepth);
    this.reloadCaches();
  }

  private atomic(op: Extract<Operation, { kind: 'atomic' }>, i: Insn, pc: number): void {
    const c = this.code;
    const a = this.address(i.dst, i.offset, op.size, true, pc);
    const load = op.size === 8 ? Op.i64_load : Op.i64_load32_u;
    const store = op.size === 8 ? Op.i64_store : Op.i64_store32;
    c.set(L_A);
    c.get(L_A).mem(load, a.offset).set(L_T);
    if (op.op === 'cmpxchg') {
      if (op.size === 8) c.get(L_T).get(0).op(Op.i64_eq);
      else c.get(L_T).op(Op.i32_wrap_i64).get(0).op(Op.i32_wrap_i64).op(Op.i32_eq);
      c.if().get(L_A).get(i.src).mem(store, a.offset).end();
      c.get(L_T).set(0);
      return;
    }
    c.get(L_A);
    if (op.op === 'xchg') c.get(i.src);
    else {
      const bin = { add: Op.i64_add, or: Op.i64_or, and: Op.i64_and, xor: Op.i64_xor }[op.op];
      c.get(L_T).get(i.src).op(bin);
    }
    c.mem(store, a.offset);
    if (op.fetch) c.get(L_T).set(i.src);
  }

  private alu(name: AluName, width: 32 | 64, source: 'imm' | 'reg', i: Insn): void {
    const c = this.code;
    const dst = i.dst;
    if (width === 64) {
      const operand = (): void => {
        if (source === 'reg') c.get(i.src);
        else c.i64(i.imm);
      };
      if (name === 'mov') {
        operand();
        c.set(dst);
        return;
      }
      const simple = ALU64[name];
      if (simple !== undefined) {
        c.get(dst);
        operand();
        c.op(simple).set(dst);
        return;
      }
      if (source === 'imm') {
        const k = i.imm;
        if (k === 0) {
          // Division by zero gives 0; modulo by zero leaves dst unchanged.
          if (name === 'div' || name === 'sdiv') c.i64(0).set(dst);
          return;
        }
        if (name === 'sdiv' && k === -1) {
          c.i64(0).get(dst).op(Op.i64_sub).set(dst);
          return;
        }
        const opc = name === 'div' ? Op.i64_div_u : name === 'mod' ? Op.i64_rem_u : name === 'sdiv' ? Op.i64_div_s : Op.i64_rem_s;
        c.get(dst).i64(k).op(opc).set(dst);
        return;
      }
      const s = i.src;
      c.get(s).op(Op.i64_eqz).if(ValType.i64);
      if (name === 'div' || name === 'sdiv') c.i64(0);
      else c.get(dst);
      c.else();
      if (name === 'sdiv') {
        // INT64_MIN / -1 traps in WebAssembly; x / -1 is -x (wrapping) in eBPF.
        c.get(s).i64(-1).op(Op.i64_eq).if(ValType.i64).i64(0).get(dst).op(Op.i64_sub).else();
        c.get(dst).get(s).op(Op.i64_div_s).end();
      } else {
        c.get(dst).get(s).op(name === 'div' ? Op.i64_div_u : name === 'mod' ? Op.i64_rem_u : Op.i64_rem_s);
      }
      c.end().set(dst);
      return;
    }
    // 32-bit: operate on the low halves, zero-extend the result.
    const operand = (): void => {
      if (source === 'reg') c.get(i.src).op(Op.i32_wrap_i64);
      else c.i32(i.imm);
    };
    if (name === 'mov') {
      if (source === 'reg') c.get(i.src).i64(0xffffffff).op(Op.i64_and).set(dst);
      else c.i64(i.imm >>> 0).set(dst);
      return;
    }
    const simple = ALU32[name];
    if (simple !== undefined) {
      c.get(dst).op(Op.i32_wrap_i64);
      operand();
      c.op(simple).op(Op.i64_extend_i32_u).set(dst);
      return;
    }
    if (source === 'imm') {
      const k = i.imm;
      if (k === 0) {
        if (name === 'div' || name === 'sdiv') c.i64(0).set(dst);
        else c.get(dst).i64(0xffffffff).op(Op.i64_and).set(dst);
        return;
      }
      if (name === 'sdiv' && k === -1) {
        c.i32(0).get(dst).op(Op.i32_wrap_i64).op(Op.i32_sub).op(Op.i64_extend_i32_u).set(dst);
        return;
      }
      const opc = name === 'div' ? Op.i32_div_u : name === 'mod' ? Op.i32_rem_u : name === 'sdiv' ? Op.i32_div_s : Op.i32_rem_s;
      c.get(dst).op(Op.i32_wrap_i64).i32(k).op(opc).op(Op.i64_extend_i32_u).set(dst);
      return;
    }
    c.get(i.src).op(Op.i32_wrap_i64).tee(L_A).op(Op.i32_eqz).if(ValType.i32);
    if (name === 'div' || name === 'sdiv') c.i32(0);
    else c.get(dst).op(Op.i32_wrap_i64);
    c.else();
    if (name === 'sdiv') {
      c.get(L_A).i32(-1).op(Op.i32_eq).if(ValType.i32).i32(0).get(dst).op(Op.i32_wrap_i64).op(Op.i32_sub).else();
      c.get(dst).op(Op.i32_wrap_i64).get(L_A).op(Op.i32_div_s).end();
    } else {
      c.get(dst).op(Op.i32_wrap_i64).get(L_A).op(name === 'div' ? Op.i32_div_u : name === 'mod' ? Op.i32_rem_u : Op.i32_rem_s);
    }
    c.end().op(Op.i64_extend_i32_u).set(dst);
  }
}
