/**
 * The kernel-level analysis's entry point: structure checks (functions, reachability), the fixpoint,
 * and the facts it proves.
 * @module
 */
import { PseudoLoad } from '../../isa/opcodes.js';
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';
import { blockLeaders } from '../cfg.js';
import { backEdges } from './back-edges.js';
import { tripCountLoops, type SlotGuard, type TripLoop } from './trip-count.js';
import type { Env, MapInfo, ResolvedAddress } from './env.js';
import { BudgetExceeded, Fixpoint, type ProgramShape } from './fixpoint.js';
import type { KfuncTable } from './kfuncs.js';
import type { Btf } from '../../elf/btf.js';
import type { TracingTarget } from './btf-context.js';
import { filledSlots, liveRegisters } from './liveness.js';
import { testedValues } from './precision.js';
import type { LoopFact } from './loops.js';
import type { AttachType, ProgramType } from './program-types.js';
import type { AnalysisRule } from './rules.js';
import { checkLockMapUse } from './spin-lock.js';
import { loopThresholds } from './thresholds.js';
import { loopSlots } from './loop-slots.js';
import { loopInductions } from './induction.js';
import { entryState, type State } from './state.js';
import { pointer, type Value } from './value.js';

/** Options of {@link analyzeProgram}. */
export interface AnalysisOptions {
  readonly programType: ProgramType;
  /** Maps by the immediate of their `lddw` (a file descriptor in raw programs). */
  readonly maps: ReadonlyMap<number, MapInfo>;
  /** Privileged loader rules (default true): uninitialised stack reads and stored or returned pointers allowed. */
  readonly privileged?: boolean;
  /** The expected attach type where it changes the rules (`xdp_devmap`: egress_ifindex readable; a cgroup_sock_addr hook). */
  readonly attachType?: AttachType;
  /** Loader-resolved plain immediates that are map or global-data addresses. */
  readonly resolve?: (imm: bigint, pc: number) => ResolvedAddress | undefined;
  /**
   * Helpers the host runs (a loader's helper table): a call to one the analysis has no prototype for
   * is a warning (its result any number; its memory accesses are checked at run time), not a refusal.
   */
  readonly hostHelper?: (id: number) => boolean;
  /**
   * The kfuncs the program calls (see {@link KfuncTable}): a call to one of those kfuncs.ts models is
   * checked against its BTF prototype and flags. Without it (or for others) a loader-bound kfunc is
   * unchecked, with a warning, and a raw `call kfunc` is refused.
   */
  readonly kfuncs?: KfuncTable;
  /** The kernel's BTF: the structures BTF pointers point to (default: the kfunc table's BTF). */
  readonly btf?: Btf;
  /** Programs of type `tracing` (fentry, fexit, fmod_ret, tp_btf, iter): their context, resolved from the attach target in `btf`. */
  readonly tracing?: TracingTarget;
  /**
   * The program carries BTF func_info (default true, as clang's objects do): the kernel verifies a
   * callback (`lddw` of a function, for bpf_loop, bpf_for_each_map_elem, timers) only then. False for
   * raw bytecode loaded without BTF, which the kernel refuses at the first function pointer.
   */
  readonly funcInfo?: boolean;
  /** BPF_F_STRICT_ALIGNMENT (see VerifierOptions.strictAlignment); default false. */
  readonly strictAlignment?: boolean;
  /** Loaded with an fd_array (see VerifierOptions.fdArray); default true. */
  readonly fdArray?: boolean;
  /** Instructions the analysis may process in all (every visit counts) before giving up. */
  readonly maxSteps?: number;
  /** Replace the entry state (tests that start from given preconditions). */
  readonly entry?: State;
  /**
   * Instructions the kernel refuses when its walk reaches them (a shape problem it checks at walk time:
   * a reserved field, a write to r10, a division by the immediate 0, ...): a path ends there, so the
   * analysis never applies them; the caller reports those the facts show reached.
   */
  readonly walkRefused?: ReadonlySet<number>;
}

/** One problem the analysis found. */
export interface AnalysisIssue {
  readonly pc: number;
  readonly rule: AnalysisRule;
  readonly message: string;
  /** `warning`: the program is not refused for it (what the analysis leaves unchecked); default error. */
  readonly severity?: 'warning';
}

/**
 * What the analysis proved, for engines: `regs[pc]` is every register's abstract value before the
 * instruction at `pc` runs, over every path and call context (undefined for slots never reached,
 * including the second halves of `lddw`). A load or store whose base register's type and offset range
 * put the access inside its object needs no runtime bounds check; `loops` lists the loops proved to
 * terminate with a bound on their iterations.
 */
export interface ProgramFacts {
  readonly regs: readonly (readonly Value[] | undefined)[];
  readonly loops: readonly LoopFact[];
  /**
   * Instructions (pcs, ascending) that may read a stack byte not written earlier in the same run, on
   * some path: loads through stack pointers and helpers reading stack memory they are passed.
   * Privileged rules (the default) allow such reads; empty when no path makes one.
   */
  readonly uninitStackReads: readonly number[];
}

/** The result of {@link analyzeProgram}. */
export interface AnalysisResult {
  /** Problems in pc order; empty when the program is proved safe. */
  readonly issues: readonly AnalysisIssue[];
  readonly facts: ProgramFacts;
  /** Instructions processed (the cost of the analysis). */
  readonly steps: number;
}

/** Default processing budget: generous for 100k-instruction programs, yet bounded. */
export const DEFAULT_MAX_STEPS = 4_000_000;

/**
 * Analyse decoded, shape-checked instructions (every opcode valid, every jump inside the program).
 * Never throws for a program's content: problems are returned.
 */
export function analyzeProgram(insns: readonly Insn[], ops: readonly Operation[], options: AnalysisOptions): AnalysisResult {
  const issues = new Map<string, AnalysisIssue>();
  const report = (pc: number, rule: AnalysisRule, message: string, severity?: 'warning'): void => {
    const key = `${pc}\u0000${rule}\u0000${message}`;
    if (!issues.has(key)) issues.set(key, severity === undefined ? { pc, rule, message } : { pc, rule, message, severity });
  };
  const base = { programType: options.programType, maps: options.maps, resolve: options.resolve, privileged: options.privileged ?? true, attachType: options.attachType, hostHelper: options.hostHelper, kfuncs: options.kfuncs, btf: options.btf ?? options.kfuncs?.btf, tracing: options.tracing, funcInfo: options.funcInfo ?? true, strictAlignment: options.strictAlignment ?? false, fdArray: options.fdArray ?? true };
  // Noted in both passes (the checking pass walks the final states; the silent one's notes can only add).
  const uninit = new Set<number>();
  const uninitStackRead = (pc: number): void => void uninit.add(pc);
  const check: Env = { ...base, report, uninitStackRead };
  const silent: Env = { ...base, report: () => undefined, uninitStackRead };
  const shape = buildShape(insns, ops, report, options.walkRefused ?? new Set());
  checkLockMapUse(check, insns, ops);
  let fix = new Fixpoint(shape, { silent, check }, options.maxSteps ?? DEFAULT_MAX_STEPS);
  if (insns.length > 0) {
    const entry = options.entry ?? entryState(pointer('ctx', 0), pointer('stack', 0, { frame: 0 }));
    try {
      fix.run(0, entry, 0, [0], false);
      if (fix.voidedSlots.size > 0) {
        // a loop's counter slot may be written through a pointer: again, without those loops' trip counts
        const tripLoops = new Map([...shape.tripLoops].filter(([head]) => !fix.voidedSlots.has(head)));
        fix = new Fixpoint({ ...shape, tripLoops, slotGuards: new Map() }, { silent, check }, options.maxSteps ?? DEFAULT_MAX_STEPS);
        fix.run(0, entry, 0, [0], false);
      }
      fix.run(0, entry, 0, [0], true);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      report(0, 'complexity', `the analysis processed more than ${options.maxSteps ?? DEFAULT_MAX_STEPS} instructions without converging: the program is too complex (split it or simplify its loops)`);
    }
  }
  if (insns.length > 0 && issues.size === 0) checkStackDepth(shape, fix.facts, report);
  const list = [...issues.values()].sort((a, b) => a.pc - b.pc);
  return { issues: list, facts: { regs: fix.facts, loops: fix.loops, uninitStackReads: [...uninit].sort((a, b) => a - b) }, steps: fix.steps };
}

/** Functions, blocks, loop heads; reports jumps leaving their function, unterminated functions and unreachable code. */
function buildShape(insns: readonly Insn[], ops: readonly Operation[], report: Env['report'], refused: ReadonlySet<number>): ProgramShape {
  const n = insns.length;
  const leaders = blockLeaders(insns as Insn[]);
  const starts = new Set<number>([0]);
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    if (op.kind === 'call' && op.target === 'local') starts.add(branchTarget(op, insns[pc]!, pc)!);
    // A function pointer's target (a callback) is a function too.
    if (op.kind === 'lddw' && op.pseudo === PseudoLoad.FUNC) starts.add(pc + insns[pc]!.imm + 1);
    if (op.kind === 'lddw') pc++;
  }
  const sorted = [...starts].filter((s) => s >= 0 && s < n).sort((a, b) => a - b);
  const funcOf = new Int32Array(n);
  const funcEnd = new Map<number, number>();
  for (let f = 0; f < sorted.length; f++) {
    const s = sorted[f]!;
    const e = sorted[f + 1] ?? n;
    funcEnd.set(s, e);
    funcOf.fill(s, s, e);
    leaders[s] = 1;
  }
  // Where the fixpoint joins states by kind and widens: the targets of retreating edges (every cycle
  // holds one, so this makes it converge) and, as before them, of backward jumps (clang's shared tails:
  // joining there keeps the number of kept states down, and the corpus's verdicts depend on it).
  const back = backEdges(insns, ops, funcEnd);
  const widenAt = back.loopHead.slice();
  const loopHead = back.loopHead;
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    const i = insns[pc]!;
    if (op.kind === 'lddw') {
      pc++;
      continue;
    }
    const t = branchTarget(op, i, pc);
    if (t !== undefined && op.kind !== 'call' && t >= 0 && t < n) {
      if (funcOf[t] !== funcOf[pc]) report(pc, 'subprogram', `jump out of range from insn ${pc} to ${t}: a jump must stay inside its function`);
      if (t <= pc) loopHead[t] = 1;
    }
  }
  for (const s of sorted) {
    if (s === 0) continue;
    // the slot before a function start ends the previous function
    let last = s - 1;
    if (last > 0 && ops[last - 1]?.kind === 'lddw') last--;
    const k = ops[last]!.kind;
    if (k !== 'exit' && k !== 'ja') report(last, 'subprogram', `last insn is not an exit or jmp: the function before insn ${s} falls through into it`);
  }
  // static reachability (the kernel rejects code no path can reach)
  const seen = new Uint8Array(n);
  const todo = [0];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (pc < 0 || pc >= n || seen[pc] === 1) continue;
    seen[pc] = 1;
    const op = ops[pc]!;
    const t = branchTarget(op, insns[pc]!, pc);
    if (op.kind === 'lddw') {
      seen[pc + 1] = 1;
      todo.push(pc + 2);
      if (op.pseudo === PseudoLoad.FUNC) todo.push(pc + insns[pc]!.imm + 1);
      continue;
    }
    if (t !== undefined) todo.push(t);
    if (op.kind !== 'exit' && op.kind !== 'ja') todo.push(pc + 1);
  }
  for (let pc = 0; pc < n; pc++) {
    if (seen[pc] === 0 && (pc === 0 || seen[pc - 1] === 1)) report(pc, 'unreachable', `unreachable insn ${pc}`);
  }
  const slotsOf = loopSlots(insns, ops, funcOf, funcEnd);
  const tripLoops = tripCountLoops(insns, ops, back.edges, funcEnd, funcOf);
  return { insns, ops, leaders, funcOf, funcEnd, loopHead, widenAt, backEdges: back.edges, isBackEdge: back.isBack, refused, filled: filledSlots(insns, ops), live: liveRegisters(insns, ops), tested: testedValues(insns, ops), thresholds: loopThresholds(insns, ops, slotsOf), slotsOf, inductions: loopInductions(insns, ops, slotsOf), tripLoops, slotGuards: slotGuards(insns, ops, tripLoops) };
}

/** The stores not through r10 and the calls inside each loop whose trip count relies on stack slots, with the loop's head and slots. */
function slotGuards(insns: readonly Insn[], ops: readonly Operation[], loops: ReadonlyMap<number, TripLoop>): Map<number, SlotGuard[]> {
  const out = new Map<number, SlotGuard[]>();
  for (const loop of loops.values()) {
    if (loop.slots.length === 0) continue;
    for (const pc of loop.body) {
      const op = ops[pc]!;
      const store = (op.kind === 'stx' || op.kind === 'st' || op.kind === 'atomic') && insns[pc]!.dst !== 10;
      if (!store && op.kind !== 'call' && op.kind !== 'callx') continue;
      out.set(pc, [...(out.get(pc) ?? []), { head: loop.head, slots: loop.slots }]);
    }
  }
  return out;
}

/** The kernel's limit on the stack of a chain of calls (MAX_BPF_STACK). */
const MAX_COMBINED_STACK = 512;

/**
 * The combined stack of every chain of bpf-to-bpf calls stays within 512 bytes, each function's part
 * rounded up to 16 bytes, as the kernel (with its JIT) counts it. A function's part is the deepest byte
 * of its own frame it touches: loads, stores and stack pointers it hands to helpers, from the facts.
 */
function checkStackDepth(shape: ProgramShape, facts: readonly (readonly Value[] | undefined)[], report: Env['report']): void {
  const { insns, ops, funcOf } = shape;
  const depth = new Map<number, number>();
  const calls = new Map<number, [number, number][]>();
  for (let pc = 0; pc < insns.length; pc++) {
    const op = ops[pc]!;
    const regs = facts[pc];
    if (regs === undefined) continue;
    const f = funcOf[pc]!;
    if (op.kind === 'call' && op.target === 'local') calls.set(f, [...(calls.get(f) ?? []), [pc, branchTarget(op, insns[pc]!, pc)!]]);
    const own = regs[10]!;
    if (own.type !== 'stack') continue;
    const touch = (v: Value | undefined, off: number): void => {
      if (v?.type === 'stack' && v.frame === own.frame && v.lo + off < 0) depth.set(f, Math.max(depth.get(f) ?? 0, -(v.lo + off)));
    };
    const i = insns[pc]!;
    if (op.kind === 'ldx') touch(regs[i.src], i.offset);
    else if (op.kind === 'stx' || op.kind === 'st' || op.kind === 'atomic') touch(regs[i.dst], i.offset);
    else if (op.kind === 'call') for (let r = 1; r <= 5; r++) touch(regs[r], 0);
  }
  const round = (d: number): number => Math.ceil(d / 16) * 16;
  // deepest chain from `f`, once per function (a call graph of shared callees is not walked per path; the
  // analysis has refused recursion, and `active` guards against a cycle anyway)
  const memo = new Map<number, { bytes: number; frames: number; at: number }>();
  const active = new Set<number>();
  const worst = (f: number): { bytes: number; frames: number; at: number } => {
    const known = memo.get(f);
    if (known !== undefined) return known;
    active.add(f);
    let best = { bytes: 0, frames: 0, at: -1 };
    for (const [pc, t] of calls.get(f) ?? []) {
      if (active.has(t)) continue;
      const w = worst(t);
      if (w.bytes > best.bytes || best.at < 0) best = { ...w, at: w.at < 0 ? pc : w.at };
    }
    active.delete(f);
    const r = { bytes: round(depth.get(f) ?? 0) + best.bytes, frames: best.frames + 1, at: best.at };
    memo.set(f, r);
    return r;
  };
  const w = worst(0);
  if (w.bytes > MAX_COMBINED_STACK) report(Math.max(w.at, 0), 'call-stack', `combined stack size of ${w.frames} calls is ${w.bytes}. Too large`);
}
