/**
 * One eBPF function compiled to one WebAssembly function (its fast copy) or to its checked copy: the
 * state the emission passes share, the order they run in, and the node-level emission the structurer
 * (structure.ts) drives through {@link StructSink}.
 *
 * For one function, {@link FunctionCompiler.compile} builds its flow graph (function-graph.ts, with
 * if-conversion from if-convert.ts), keeps promotable frame slots in locals (stack-slots.ts), picks the
 * indexed base register (emit-address.ts), plans the budget checks and makes the checked copy the plan
 * needs (check-plan.ts), plans the hoisted region checks (span-checks.ts), then emits the graph as
 * structured code, or as a dispatch loop when it is irreducible. Each node is emitted by
 * {@link FunctionCompiler.body}: its budget checkpoint, then a versioned loop (emit-loops.ts) or its
 * block's instructions (emit-block.ts), whose memory accesses are lowered by emit-address.ts and calls
 * by emit-calls.ts; budget charges and the exits to the checked copy are emit-budget.ts's.
 *
 * The passes are functions of their own modules taking this compiler as their first argument; its
 * fields are the state they share (public for them, not for the rest of the package: only compiler.ts
 * uses this class).
 * @module
 */
import { JitError } from '../errors.js';
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import { FRAME_POINTER } from '../isa/opcodes.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { Global, Import } from './layout.js';
import { STACK_MARK } from '../vm/memory.js';
import { reservedWord, type Reserved } from './reserved.js';
import { emitDispatch, emitStructured, type StructSink } from './structure.js';
import { MIN_HOISTED, chunkedLoop, countedLoop, type CountedLoop, type LoopContext } from './loop-shapes.js';
import { emitTableIndex, type SwitchEdge, type SwitchPlan } from './switch-table.js';
import { emitLoopGuard } from './loop-guards.js';
import { accessOf, type AccessGroup, type MemoryAccess } from './access-groups.js';
import { planChecks, RESUME_SHIFT, type BoundedLoop, type CheckPlanSource } from './check-plan.js';
import { emitTripCharge, type TripBlock, type TripCharge } from './trip-charge.js';
import { analyzeGraph, innermostLoops, lastPc, type FlowGraph, type Terminator } from './graph.js';
import { CodeWriter } from '../wasm/module.js';
import { EXTRA_LOCALS, L_A, L_ACC, L_BUDGET, L_FP, L_LABEL, L_RESUME, L_RET, L_T, OUTER, REGS } from './locals.js';
import { Op } from '../wasm/opcodes.js';
import type { FrameRanges } from './frame-ranges.js';
import { functionSlots, loadSlots, type PromotedSlot, type SlotPlan } from './stack-slots.js';
import { NO_SPANS, planSpans, type SpanPlan } from './span-checks.js';
import { JIT_REGISTERS, type InlinePlan } from './inline.js';
import { resumePointsOf, deadAt, endsInLocalCall, cost, charge, flush, budgetNow } from './emit-budget.js';
import { buildGraph } from './function-graph.js';
import { selectBlock, type Converted } from './if-convert.js';
import { chunkedAt, emitLoopEntry, versionedSibling, emitFastLoop, checkFreeLoop, emitChunked, offStackOf } from './emit-loops.js';
import { blockBody, accessGroups, emitCondition, emitExit, emitBadTarget } from './emit-block.js';
import { chooseIndexedBase, rebase, type IndexedAccess } from './emit-address.js';
import type { CompileOptions } from './compiler.js';
import { emitReentryHandler, emitReturnAt, reentryHeaders } from './reentry.js';

/**
 * Most graph nodes of a function compiled as a dispatch loop (one `block` and one `br_table` entry
 * per node). V8 refuses a `br_table` of more than 65,520 entries; a bigger function with irreducible
 * control flow is refused with a JitError, and one with loops gets no checked copy (every block then
 * checks the budget itself).
 */
const MAX_DISPATCH_NODES = 65_520;

/** What the compiler knows of the whole program, shared by every function's compiler (compiler.ts `decode`). */
export interface Decoded {
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
  /** The accesses whose base may point into the stack (stack-bases.ts). */
  stackBases: ReadonlySet<number>;
  /**
   * Map lookups served in the module (map-lookups.ts): the descriptor of each call site, the first
   * descriptor's first global, and the shared find's function index (a shared memory's module).
   */
  lookups?: { readonly sites: ReadonlyMap<number, number>; readonly global0: number; readonly find: number | undefined };
}

/** A function's copy that checks the budget on every block: its index and the dispatch label of each block. */
export interface CheckedCopy {
  readonly func: number;
  readonly labels: ReadonlyMap<number, number>;
  /** The accesses a run can resume at (see {@link FunctionCompiler.deopt}): pc → its ordinal among its block's. */
  readonly resume: ReadonlyMap<number, number>;
  /** The loop headers (block indexes) where it can return to the fast copy (reentry.ts). */
  readonly reentry: ReadonlySet<number>;
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

/** One function's fast copy or checked copy being compiled: the state the emission passes share, and the sink structure.ts emits through. */
export class FunctionCompiler implements StructSink {
  readonly code = new WatchingWriter();
  /** The stack mark (see vm/stack) in the memory the code runs in (reserved.ts). */
  get mark(): Reserved {
    return reservedWord(this.options.shared === true, STACK_MARK);
  }
  /**
   * Accesses (by pc) through the indexed base register (code.watched), checked against L_BLIM: clang
   * addresses arrays as `r = base; r += i << k`, with the base invariant across a whole loop nest.
   */
  indexed = new Map<number, IndexedAccess>();
  /** The sizes of those accesses (each has its L_BLIM). */
  readonly indexedSizes = new Set<1 | 2 | 4 | 8>();
  /** Whether some of those accesses write. */
  indexedStores = false;
  /** The pc of the instruction being emitted (emit-block.ts, `instruction`), else -1. */
  curPc = -1;
  /** The function fell back to a dispatch loop (irreducible control flow): its loop statistics are not reported. */
  usedDispatch = false;
  /**
   * Blocks ending in a conditional jump over a short pure block (a "triangle": the skipped block
   * falls through or jumps to the other target). Branches like these are data-dependent in clang's
   * code (log2, min/max, flag setting) and mispredict; a `select` becomes a conditional move.
   */
  readonly converted = new Map<number, Converted>();
  /** The access group being compiled in its checked-once copy, if any. */
  fastGroup: AccessGroup | undefined;
  /** How many i32 locals multi-base groups use for their further bases' linear addresses (after the span heads' locals). */
  groupLocals = 0;

  /** The i32 local of a multi-base group's further base `k` (access-groups.ts), after the promoted slots' and span heads' locals. */
  groupLocal(k: number): number {
    this.groupLocals = Math.max(this.groupLocals, k + 1);
    return REGS.length + EXTRA_LOCALS.length + this.slotList.length + this.spans.locals + k;
  }
  /** Accesses (by pc) of the counted loop being compiled in its check-free copy: addressed through L_D. */
  fastPcs: ReadonlySet<number> | undefined;
  /** The guard of that copy proved the cached region is not the stack: its stores need not test the stack. */
  fastOffStack = false;
  /** Counted loops (by graph node) versioned as siblings: the checked loop is only the checked body. */
  readonly siblings = new Map<number, CountedLoop>();
  /** Chunked loop headers (graph nodes) whose terminator takes the exit when L_EXIT is set, and where to. */
  readonly forcedExit = new Map<number, number>();
  /** Switch plans by graph node, and the edges of all switches (graph node -1-k is edge k). */
  readonly switchOf = new Map<number, SwitchPlan>();
  trampolines: SwitchEdge[] = [];
  /** Graph node → block index (negative: -1-k for switch edge k). */
  nodes: number[] = [];
  /** Block index → graph node. */
  nodeOf: ReadonlyMap<number, number> = new Map();

  constructor(
    readonly insns: readonly Insn[],
    readonly d: Decoded,
    readonly terms: readonly Terminator[],
    readonly options: CompileOptions,
    readonly funcIndex: ReadonlyMap<number, number>,
    /** For a fast copy: makes the checked copy, when a loop needs it (undefined: the function is too big for one). */
    readonly makeChecked?: (resume: ReadonlyMap<number, number>, reentry: ReadonlySet<number>) => CheckedCopy | undefined,
  ) {}

  /** The checked copy, once made. */
  checkedCopy: CheckedCopy | undefined;
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
  get registers(): number {
    return this.d.inlined === undefined ? 11 : JIT_REGISTERS;
  }
  slotAt = new Map<number, PromotedSlot>();
  /** In the fast copy: accesses whose miss leaves for the checked copy (see emit-budget.ts, `resumeLabel`). */
  deopt: ReadonlySet<number> = new Set();
  /** In the checked copy: the accesses a run may resume at. */
  resumePcs: ReadonlySet<number> = new Set();
  /**
   * The headers (block indexes) of the outermost loops with a way back (reentry.ts): in the fast copy,
   * the loops wrapped with one; in the checked copy, where it returns when asked.
   */
  reentry: ReadonlySet<number> = new Set();
  /** Where a miss leaves for the checked copy: the label index + 1 of the function's exit block (OUTER) or of a loop's `$miss` block. */
  missOuter = OUTER;
  /** The enclosing loops' missOuter, while inside a way-back loop. */
  readonly missOuters: number[] = [];
  /** The function as the loop analyses (loop-shapes.ts) see it. */
  get loopContext(): LoopContext {
    return (this.loopContextCache ??= this.makeLoopContext());
  }
  loopContextCache: LoopContext | undefined;
  /** Built once, on first use. */
  makeLoopContext(): LoopContext {
    return {
      insns: this.insns,
      ops: this.d.ops,
      blocks: this.d.blocks,
      terms: this.terms,
      badSlots: this.options.badSlots,
      frameFastPath: this.options.frameFastPath,
      stackSize: this.options.stackSize,
      mayBeStack: (pc) => this.d.stackBases.has(pc),
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
  readonly filled = (): void => {
    if (this.code.watched >= 0) rebase(this);
  };
  /** The block being emitted, and the label depth of the instruction being emitted. */
  curBlock: BasicBlock | undefined;
  curDepth = 0;
  /** Set when the function is too big for a checked copy: no checkpoint may then exit to one. */
  noCheckedCopy = false;

  /**
   * Budget checks in the fast copy, per graph node: 0 checks its own charge, 1 checks for everything up
   * to the next checkpoint (`reach`) and exits to the checked copy when short, 2 only subtracts.
   */
  mode: Uint8Array = new Uint8Array(0);
  /** Loops (by header node) whose budget is charged once per entry (see boundedLoops). */
  bounded: ReadonlyMap<number, BoundedLoop> = new Map();
  /** The pcs of the exit tests of the loops whose budget is charged once per entry. */
  get boundedTests(): number[] {
    return [...this.bounded.values()].map((l) => l.bound.pc);
  }
  /** Of those, the loops charged from their induction variable. */
  get tripChargedTests(): number[] {
    return [...this.bounded.values()].filter((l) => l.trip !== undefined).map((l) => l.bound.pc);
  }
  reach: Float64Array = new Float64Array(0);
  /** Per node: no deferred charge reaches it (see CheckPlan.settled). */
  settled: Uint8Array = new Uint8Array(0);
  /** True while emitting code that checks the budget on every block (the checked copy, or a fast copy that fell back to dispatch). */
  everyBlock = true;
  /** The node being emitted charges without checking (into L_ACC). */
  unchecked = false;
  /** The node being emitted sets L_ACC from its loop's induction variable instead of charging (trip-charge.ts). */
  tripCharged = false;
  /** The nodes of bounded loops charged from their induction variable, with their loop and their charge. */
  tripOf: ReadonlyMap<number, { readonly trip: TripCharge; readonly block: TripBlock }> = new Map();
  /** Some nodes charge without checking, so L_ACC may be non-zero and readers of the budget flush it. */
  deferred = false;
  /**
   * Emitting structured code, where every loop's entry passes through {@link FunctionCompiler.loopEntry}
   * (not a dispatch loop): a chunked loop's header may then skip its guard after it failed twice.
   */
  structured = false;
  /** The header pcs of the chunked loops emitted in structured code. */
  readonly chunkedHeaders: number[] = [];
  /** The header pcs of the counted loops given a check-free copy (see emit-loops.ts). */
  readonly countedHeaders: number[] = [];

  /**
   * The checked copy: a dispatch loop that starts at the block named by Global.label and checks the
   * budget on every block. Returns the dispatch label of each block, or undefined (emitting nothing)
   * when the function has too many blocks for a dispatch loop.
   */
  compileChecked(entryBlock: number): Map<number, number> | undefined {
    const graph = buildGraph(this, entryBlock, false);
    if (graph.count > MAX_DISPATCH_NODES) return undefined;
    const c = this.code;
    c.block().block().block();
    for (let r = 0; r < this.registers; r++) c.gget(Global.savedR0 + r).set(r);
    chooseIndexedBase(this);
    this.prologue();
    if (this.reentry.size > 0) c.gget(Global.reentry).set(L_RET).i32(0).gset(Global.reentry);
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
  planChecks(graph: FlowGraph): void {
    const plan = planChecks(this.checkPlanSource(graph), this.noCheckedCopy);
    this.mode = plan.mode;
    this.reach = plan.reach;
    this.settled = plan.settled;
    this.bounded = plan.bounded;
    this.tripOf = plan.tripOf;
    this.deferred = plan.deferred;
    const deopt = plan.deopt;
    if (this.checkedCopy === undefined && (plan.mode.includes(1) || deopt.size > 0 || plan.bounded.size > 0)) {
      this.checkedCopy = this.makeChecked!(deopt, reentryHeaders(graph, this.nodes, this.d.blocks, deopt));
      if (this.checkedCopy === undefined) {
        this.noCheckedCopy = true;
        this.planChecks(graph);
        return;
      }
    }
    const resume = this.checkedCopy?.resume;
    this.deopt = resume === undefined ? new Set() : new Set([...deopt.keys()].filter((pc) => resume.has(pc)));
    // The outermost loops a miss leaves by their way back (reentry.ts), where the checked copy returns.
    const back = this.checkedCopy?.reentry;
    this.reentry = back === undefined ? new Set() : new Set([...reentryHeaders(graph, this.nodes, this.d.blocks, deopt)].filter((b) => back.has(b)));
  }

  /** What check-plan.ts asks of the function: its graph, node costs, and the accesses a run may resume at. */
  checkPlanSource(graph: FlowGraph): CheckPlanSource {
    return {
      graph,
      nodes: this.nodes,
      loopContext: this.loopContext,
      isSwitch: (x) => this.switchOf.has(x),
      converted: (b) => this.converted.get(b)?.writes,
      cost: (x) => cost(this, x),
      endsInLocalCall: (x) => endsInLocalCall(this, x),
      resumable: (pc, op, i) => {
        const acc = op.kind === 'atomic' ? { reg: i.dst, off: i.offset, size: op.size } : this.access(pc);
        return acc !== undefined && !this.inFrame(pc, acc.reg, acc.off, acc.size);
      },
    };
  }

  /** The fast copy: structured code over the graph with switches, else without them, else a dispatch loop (see the module comment). */
  compile(entryBlock: number): CodeWriter {
    let graph = buildGraph(this, entryBlock, true);
    const c = this.code;
    if (this.d.promotable !== undefined && this.d.promotable.size > 0) this.promote(this.d.promotable, graph);
    c.block().block().block();
    chooseIndexedBase(this);
    this.prologue();
    const at = c.w.length;
    this.everyBlock = this.makeChecked === undefined;
    /** Plan the checks and spans of `g`, then emit it structured; false when it cannot be (nothing emitted). */
    const structured = (g: typeof graph): boolean => {
      if (!this.everyBlock) this.planChecks(g);
      this.planSpans(g);
      this.structured = true;
      const done = emitStructured(g, this, OUTER);
      this.structured = false;
      return done;
    };
    if (!structured(graph)) {
      // Nothing was emitted by the structured pass; use the dispatch loop (without multiway branches).
      if (c.w.length !== at) throw new JitError('internal: the structured pass emitted code and gave up');
      graph = buildGraph(this, entryBlock, false);
      if (!structured(graph)) {
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
  epilogue(): void {
    const c = this.code;
    c.end();
    // Reached (by `br`, out of any loop, so that no call sits in a loop) when the budget may run out
    // before the next check: continue at block L_LABEL of the checked copy, whose results are ours.
    if (this.checkedCopy !== undefined) {
      budgetNow(this);
      c.gset(Global.budget).get(L_LABEL).gset(Global.label);
      for (let r = 0; r < this.registers; r++) c.get(r).gset(Global.savedR0 + r);
      c.call(this.checkedCopy.func).op(Op.return);
    } else {
      c.op(Op.unreachable);
    }
    c.end();
    // Halt path: save registers for the runtime, let it run a pending tail call, return its results.
    for (let r = 0; r <= 10; r++) c.get(r).gset(Global.savedR0 + r);
    budgetNow(this);
    c.gset(Global.budget);
    c.call(Import.tail).op(Op.return);
    c.end();
    for (let r = 0; r < 6; r++) c.i64(0);
  }

  /** Push the `br_table` index of a switch node (switch-table.ts). */
  tableIndex(node: number): void {
    const sw = this.switchOf.get(node);
    if (sw === undefined) throw new JitError('internal: table index of a node without a switch');
    emitTableIndex(this.code, sw, L_T, L_A);
  }

  /** Plan the hoisted region checks of the fast copy (span-checks.ts) over `graph`. */
  planSpans(graph: FlowGraph): void {
    this.spans = NO_SPANS;
    // Only where a head can leave for the checked copy (an access that may: loops without calls).
    if (this.everyBlock || this.checkedCopy === undefined || this.deopt.size === 0) return;
    // Accesses a block's own access group checks once (accessGroups) stay there; loops run as chunks
    // of check-free iterations are left out (their copies address accesses otherwise and cannot leave).
    const grouped = new Set<number>();
    const chunked = new Set<number>();
    for (const bi of this.nodes) {
      if (bi < 0) continue;
      for (const g of accessGroups(this, this.d.blocks[bi]!).values()) for (let pc = g.start; pc < g.end; pc++) grouped.add(pc);
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
      mayBeStack: (pc) => this.d.stackBases.has(pc),
      firstLocal: REGS.length + EXTRA_LOCALS.length + this.slotList.length,
    });
  }

  /** Keep the function's promotable frame slots in locals after EXTRA_LOCALS (stack-slots.ts). */
  promote(plan: SlotPlan, graph: FlowGraph): void {
    const inner = new Map<number, number>();
    innermostLoops(graph, analyzeGraph(graph)).forEach((l, k) => l.body.forEach((n) => inner.set(n, k)));
    const blocks = this.nodes.flatMap((b, n) => (b >= 0 ? [{ block: this.d.blocks[b]!, loop: inner.get(n) ?? -1 }] : []));
    this.slotList = functionSlots(plan, this.insns, this.d.ops, this.options.badSlots, blocks, REGS.length + EXTRA_LOCALS.length);
    this.slotAt = new Map(this.slotList.map((s) => [s.off, s]));
  }

  /** The budget into its local, the indexed bounds from the cache the function starts with, the frame pointer's linear address and the promoted slots. */
  prologue(): void {
    const c = this.code;
    c.gget(Global.budget).set(L_BUDGET);
    // The region cache a function starts with is its caller's, or what `init` / `run` left: always one
    // of the current layout (helpers empty it), so the indexed bounds can start from it.
    if (this.code.watched >= 0) rebase(this);
    if (this.options.frameFastPath) {
      c.get(FRAME_POINTER).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add);
      c.i32(this.options.stackSize).op(Op.i32_sub).set(L_FP);
      loadSlots(c, this.slotList, L_FP, this.options.stackSize);
    }
  }

  /** A node's code, for the structurer: see {@link FunctionCompiler.nodeBody}. */
  body(node: number, depth: number): void {
    this.nodeBody(node, depth);
    this.tripCharged = false;
  }

  /**
   * A node's code: the budget prelude (flush, trip charge, the checkpoint that leaves for the checked
   * copy when the budget may not last), then a switch edge's charges, a versioned loop (emit-loops.ts),
   * or its block (emit-block.ts) and the `select`s of a converted jump (if-convert.ts).
   */
  nodeBody(node: number, depth: number): void {
    const c = this.code;
    const bi = this.nodes[node]!;
    this.unchecked = !this.everyBlock && this.mode[node] !== 0;
    // A node that checks the budget (or a checkpoint, or a loop guard) needs it exact.
    if (!this.everyBlock && this.mode[node] !== 2 && this.settled[node] === 0) flush(this);
    const trip = this.everyBlock ? undefined : this.tripOf.get(node);
    this.tripCharged = trip !== undefined;
    if (trip !== undefined) {
      emitTripCharge(c, trip.trip, trip.block);
      c.set(L_ACC);
    }
    if (bi < 0) {
      // A switch edge: the compare blocks the interpreter would have run, charged in order.
      for (const k of this.trampolines[-1 - bi]!.path) charge(this, this.d.blocks[k]!.length, this.d.blocks[k]!.start);
      return;
    }
    const b = this.d.blocks[bi]!;
    this.unchecked = !this.everyBlock && this.mode[node] !== 0;
    if (!this.everyBlock && this.mode[node] === 1) {
      // Enough budget for everything up to the next check? Otherwise continue in the checked copy.
      const label = this.checkedCopy!.labels.get(bi);
      if (label === undefined) throw new JitError(`internal: block at pc ${b.start} has no checked copy`, b.start);
      c.get(L_BUDGET).i64(this.reach[node]!).op(Op.i64_lt_s).if();
      deadAt(this, b.start, true);
      c.i32(label).set(L_LABEL).br(depth + 1 - OUTER);
      c.end();
    }
    const resumable = resumePointsOf(this, b).length > 0;
    // In the checked copy, a header where it may return to the fast copy (a resumable block does so in resumeSegments).
    if (!resumable && this.makeChecked === undefined) emitReturnAt(this, bi);
    const counted = !resumable && !this.siblings.has(node) && (this.everyBlock || this.mode[node] === 0) ? countedLoop(this.loopContext, bi, MIN_HOISTED) : undefined;
    if (counted !== undefined) {
      // Versioning: when every iteration's covered accesses lie in the cached region, run a copy of
      // the loop without their checks; it stops where the checked loop would, and leaves by `br` to
      // the terminator, whose condition is then false. Otherwise (or once the cache is filled by a
      // checked iteration, on the next entry) the checked body runs, so errors are the interpreter's.
      c.block();
      emitLoopGuard(this.code, counted, b.length + counted.latch, this.accessSize, offStackOf(this, counted));
      c.if();
      checkFreeLoop(this, node, counted, depth + 2);
      c.br(1);
      c.end();
      blockBody(this, b, depth + 1);
      c.end();
      return;
    }
    const chunked = counted === undefined ? chunkedAt(this, node) : undefined;
    if (chunked !== undefined) {
      emitChunked(this, node, chunked, depth);
      return;
    }
    blockBody(this, b, depth);
    const conv = this.converted.get(this.nodes[node]!);
    if (conv !== undefined) selectBlock(this, node, conv, depth);
  }

  /** The base register, offset and size of a load or store (not atomics), or undefined. */
  access(pc: number): MemoryAccess | undefined {
    return accessOf(this.d.ops[pc]!, this.insns[pc]!);
  }

  /** The size of a load or store (a loop's covered access). */
  readonly accessSize = (pc: number): 1 | 2 | 4 | 8 => this.access(pc)!.size as 1 | 2 | 4 | 8;

  /**
   * True when the access of `size` bytes at `reg + off` (at `pc`) lies inside the current frame
   * whatever the run computed: r10 plus a constant, or a pointer whose range frame-ranges.ts proved.
   */
  inFrame(pc: number, reg: number, off: number, size: number): boolean {
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
  frameLow(pc: number): number {
    const ss = this.options.stackSize;
    const inl = this.d.inlined;
    return inl !== undefined && pc >= inl.copiesStart ? -2 * ss : -ss;
  }

  /** True when the run's start marked every byte the store at `pc` (offset `off` from its frame pointer) may write (vm/stack). */
  footprintCovers(pc: number, off: number): boolean {
    const low = this.d.footprintLow;
    if (low === undefined) return true;
    return this.entryPc === 0 && this.d.frames.get(pc)!.lo + off >= low;
  }

  /** See emit-block.ts, {@link emitCondition}. */
  condition(node: number): void {
    emitCondition(this, node);
  }

  /** See emit-block.ts, {@link emitExit}. */
  exit(): void {
    emitExit(this);
  }

  /** See emit-block.ts, {@link emitBadTarget}. */
  badTarget(): void {
    emitBadTarget(this);
  }

  /** See emit-loops.ts, {@link emitLoopEntry}. */
  loopEntry(node: number, depth: number): void {
    emitLoopEntry(this, node, depth);
  }

  /** See emit-loops.ts, {@link versionedSibling}. */
  versioned(node: number): boolean {
    return versionedSibling(this, node);
  }

  /** Structured code asks whether a loop gets a way back from the checked copy (reentry.ts): in the fast copy, an outermost loop a miss leaves. */
  hasWayBack(node: number): boolean {
    const bi = this.nodes[node]!;
    // Not where the span checks forward frame slots (d.slots): they rely on a store that may write the
    // stack through a forged pointer leaving the fast copy for good (see leaveIfStack), and a slot it
    // rewrote would then no longer hold the value the plan forwarded from before the loop.
    if (this.spans.heads.size > 0 && this.d.slots !== undefined) return false;
    return !this.everyBlock && bi >= 0 && this.reentry.has(bi);
  }

  /** Just inside a way-back loop's `$miss` block (label index `depth` - 1): misses inside leave there. */
  enterWayBack(_node: number, depth: number): void {
    this.missOuters.push(this.missOuter);
    this.missOuter = depth;
  }

  /** After a way-back loop's `$miss` block, inside its `$back` loop: the handler (reentry.ts). */
  wayBack(node: number): void {
    this.missOuter = this.missOuters.pop()!;
    emitReentryHandler(this, this.nodes[node]!);
  }

  /** See emit-loops.ts, {@link emitFastLoop}. */
  fastLoop(node: number, depth: number): void {
    emitFastLoop(this, node, depth);
  }
}
