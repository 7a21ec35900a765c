/**
 * The fixpoint: a worklist over basic blocks, per function, in pc order. States join where paths
 * merge and widen at loop heads after a few visits, so every block is processed a small number of
 * times whatever the number of paths: the cost is O(blocks × lattice height × block length), with
 * the height bounded by the widening thresholds, instead of the kernel's path exploration. A local
 * call analyses the callee from the caller's state (memoised per entry state), like inlining; its
 * exit states come back kept apart by their constant return value (exits.ts).
 * After convergence one more pass over every block reports problems and records the facts.
 * @module
 */
import type { Insn } from '../../isa/instruction.js';
import { branchTarget, type Operation } from '../../isa/operation.js';
import { jumpOperands, refineEdge } from './branch.js';
import type { Env } from './env.js';
import type { Work } from './memory.js';
import { returnRange } from './program-types.js';
import { MAX_PATHS, PathStates } from './paths.js';
import type { Tested } from './precision.js';
import { emptyFrame, joinState, stateEqual, type State } from './state.js';
import { step } from './transfer.js';
import { UNINIT, isPointer, joinValue, pointer, typeName, type Value } from './value.js';
import { checkLoops, COMPLEXITY_LIMIT, type LoopFact, type LoopInput } from './loops.js';
import { exitWhileLocked, LOCK_REF } from './spin-lock.js';
import type { Thresholds } from './thresholds.js';
import type { LoopSlots } from './loop-slots.js';
import type { Inductions } from './induction.js';
import { narrowAtHead, type SlotGuard, type TripLoop } from './trip-count.js';
import { CALLBACK_HELPERS, callbackTarget, UNANALYSED_CALLBACK_HELPERS } from './callbacks.js';
import { ExitStates, joinExits } from './exits.js';

/** The kernel's limit on call frames (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;

/** The analysis ran out of steps: thrown to the top level, which reports it. */
export class BudgetExceeded extends Error {}

/** What the fixpoint needs about the program, computed once. */
export interface ProgramShape {
  readonly insns: readonly Insn[];
  readonly ops: readonly Operation[];
  /** 1 where a basic block starts. */
  readonly leaders: Uint8Array;
  /** Start slot of the function each slot belongs to. */
  readonly funcOf: Int32Array;
  /** End (exclusive) of each function, by start slot. */
  readonly funcEnd: ReadonlyMap<number, number>;
  /** 1 where the fixpoint joins states by kind and widens: targets of retreating edges and of backward jumps. */
  readonly loopHead: Uint8Array;
  /**
   * 1 where the joins of a loop head also widen: the targets of retreating edges only, which cut every
   * cycle. A backward jump's target that closes no cycle (a shared tail) joins by kind but never widens:
   * the states reaching it change finitely often, and widening there lost offsets no loop grows.
   */
  readonly widenAt: Uint8Array;
  /** Loops with induction variables an exit test bounds, by head (trip-count.ts): their states at the head are narrowed by the trip count. */
  readonly tripLoops: ReadonlyMap<number, TripLoop>;
  /** The retreating edges `[from, to]` (`from`: the slot of the instruction taking it), each closing a loop to prove. */
  readonly backEdges: readonly (readonly [number, number])[];
  /** True when the edge from the instruction at `from` to `to` is a retreating edge. */
  readonly isBackEdge: (from: number, to: number) => boolean;
  /** Slots the kernel refuses when its walk reaches them: a path ends there (see AnalysisOptions.walkRefused). */
  readonly refused: ReadonlySet<number>;
  /** Stack slots a later fill may read, per slot ({@link filledSlots}). */
  readonly filled: Uint32Array;
  /** Registers live on entry to each slot (bit r), from {@link liveRegisters}. */
  readonly live: Uint16Array;
  /** Registers and stack slots a later conditional jump may test, per slot ({@link testedValues}). */
  readonly tested: Tested;
  /** The stops of widening at each loop head: its loop's constants ({@link loopThresholds}). */
  readonly thresholds: (head: number) => Thresholds;
  /** The slots on a cycle through each loop head ({@link loopSlots}). */
  readonly slotsOf: (head: number) => LoopSlots;
  /** The derived induction variables and linear equalities of each loop head, and the equalities' uses in loop bodies ({@link loopInductions}). */
  readonly inductions: Inductions;
  /**
   * Per slot inside a loop whose trip count relies on stack slots (trip-count.ts), when it is a store not
   * through r10 or a call: the loops' heads and their slots' offsets, which no pointer there may reach.
   */
  readonly slotGuards: ReadonlyMap<number, readonly SlotGuard[]>;
}

/** Reporting env and silent env share everything but the reporter. */
interface Envs {
  readonly silent: Env;
  readonly check: Env;
}

/** Runs the fixpoint over a whole program. */
export class Fixpoint {
  steps = 0;
  /** Register values before each slot, joined over every context (undefined: never reached). */
  readonly facts: (Value[] | undefined)[];
  readonly loops: LoopFact[] = [];
  /** Heads of loops whose slots a store or call may reach otherwise than through r10: their trip counts are void (the analysis runs again without them). */
  readonly voidedSlots = new Set<number>();
  private readonly memo = new Map<number, { entry: State; exits: readonly State[] | undefined }[]>();

  constructor(
    private readonly shape: ProgramShape,
    private readonly envs: Envs,
    private readonly maxSteps: number,
  ) {
    this.facts = new Array(shape.insns.length);
  }

  /** Analyse the function starting at `start` from `entry`; returns its exit states, kept apart by their constant r0 ({@link ExitStates}). */
  run(start: number, entry: State, depth: number, stack: readonly number[], check: boolean): readonly State[] | undefined {
    if (!check) {
      const list = this.memo.get(start);
      const hit = list?.find((m) => stateEqual(m.entry, entry));
      if (hit !== undefined) return hit.exits;
    }
    const { loopHead, tripLoops } = this.shape;
    // the join of the states entering each loop with induction variables: what its head's states are narrowed by
    const entries = new Map<number, State>();
    if (tripLoops.has(start)) entries.set(start, entry);
    const narrow = (pc: number, s: State): State => {
      const loop = tripLoops.get(pc);
      const e = loop === undefined ? undefined : entries.get(pc);
      return e === undefined ? s : narrowAtHead(loop!, e, s);
    };
    const paths = new PathStates(this.shape.filled, this.shape.tested, this.shape.thresholds, this.shape.inductions, narrow, this.shape.widenAt);
    const queue = new MinQueue();
    queue.push(paths.add(start, this.trim(start, entry), false) + start * MAX_PATHS);
    const silent = this.envs.silent;
    const propagate = (to: number, s: State, from: number): void => {
      const loop = tripLoops.get(to);
      if (loop !== undefined && !loop.body.has(from)) {
        const old = entries.get(to);
        const e = old === undefined ? s : joinState(old, s, to, false);
        if (old === undefined || !stateEqual(e, old)) {
          entries.set(to, e);
          // a wider entry widens the bound: the states kept at the head go round the loop again
          if (old !== undefined) for (const j of paths.liveIndexes(to)) queue.push(to * MAX_PATHS + j);
        }
      }
      const i = paths.add(to, this.trim(to, paths.related(to, s)), loopHead[to] === 1, from);
      if (i >= 0) queue.push(to * MAX_PATHS + i);
      for (const j of paths.changed.splice(0)) queue.push(to * MAX_PATHS + j);
    };
    let key: number | undefined;
    while ((key = queue.pop()) !== undefined) {
      const pc = Math.floor(key / MAX_PATHS);
      const s = paths.get(pc, key % MAX_PATHS);
      if (s !== undefined) this.block(pc, s, depth, stack, silent, false, propagate, () => undefined);
    }
    // the checking (or exit-collecting) pass over the converged states
    const exit = new ExitStates(start);
    const env = check ? this.envs.check : silent;
    const loopInput: LoopInput = { regsAt: new Map(), entryOf: new Map(), start, end: this.shape.funcEnd.get(start)! };
    for (const [at, list] of paths.sorted()) {
      for (const st of list) {
        this.block(
          at,
          st,
          depth,
          stack,
          env,
          check,
          (to, s, from) => {
            if (check && loopHead[to] === 1 && !this.shape.isBackEdge(from, to)) {
              const old = loopInput.entryOf.get(to);
              loopInput.entryOf.set(to, old === undefined ? s : joinState(old, s, to, false));
            }
          },
          (s) => exit.add(s),
          check ? loopInput.regsAt : undefined,
        );
      }
    }
    if (check) {
      const unroll = (head: number, body: ReadonlySet<number>, entries: readonly (readonly [number, number])[]): bigint | string =>
        this.unroll(head, body, this.entryStates(paths, entries, [start, this.trim(start, entry)], depth, stack), depth, stack);
      this.loops.push(...checkLoops(this.shape, loopInput, this.envs.check, unroll));
    }
    if (!check) {
      const list = this.memo.get(start) ?? [];
      if (list.length >= 16) list.shift();
      list.push({ entry, exits: exit.states() });
      this.memo.set(start, list);
    }
    return exit.states();
  }

  /**
   * The converged states on the edges `[from, to]` entering a loop (from outside it), found by running
   * the blocks holding each `from` again from their kept states; `from` -1 is the function's entry.
   */
  private entryStates(paths: PathStates, entries: readonly (readonly [number, number])[], start: [number, State], depth: number, stack: readonly number[]): [number, State][] {
    const out: [number, State][] = [];
    const leaders = new Set<number>();
    for (const [from] of entries) {
      if (from < 0) {
        out.push(start);
        continue;
      }
      // back to the block's leader, and every slot after a call on the way where states are kept
      let at = from;
      while (at > 0 && this.shape.leaders[at] !== 1) {
        if (paths.all(at).length > 0) leaders.add(at);
        at--;
      }
      leaders.add(at);
    }
    for (const at of leaders) {
      for (const st of paths.all(at)) {
        this.block(at, st, depth, stack, this.envs.silent, false, (to, s, from) => {
          if (entries.some(([f, t]) => f === from && t === to)) out.push([to, s]);
        }, () => undefined);
      }
    }
    return out;
  }

  /**
   * Prove a loop terminates by running its body from the states entering it again and again without
   * joining iterations: when no state reaches the back edge after k runs, no execution iterates more
   * than k times (each abstract state covers the concrete ones). Returns k, or why it failed. The
   * first run starts from every edge entering the loop (clang's rotated loops are entered past their
   * head), later ones from the head.
   */
  private unroll(head: number, body: ReadonlySet<number>, entries: readonly [number, State][], depth: number, stack: readonly number[]): bigint | string {
    const limit = Math.max(1, Math.floor(COMPLEXITY_LIMIT / Math.max(1, body.size)));
    let s = this.iterateBody(head, body, entries, depth, stack);
    if (s === undefined) return 1n;
    for (let k = 2; k <= limit; k++) {
      const next = this.iterateBody(head, body, [[head, s]], depth, stack);
      if (next === undefined) return BigInt(k);
      if (stateEqual(next, s)) return 'the state at the loop head repeats unchanged: no iteration is proved to make progress toward an exit';
      s = next;
    }
    return `it may run more than ${limit} times over ${body.size} instructions, beyond the ${COMPLEXITY_LIMIT}-instruction complexity limit`;
  }

  /** One run of a loop body from states at slots of it: the join of the states that reach its head again, if any. */
  private iterateBody(head: number, body: ReadonlySet<number>, from: readonly (readonly [number, State])[], depth: number, stack: readonly number[]): State | undefined {
    const paths = new PathStates(this.shape.filled, this.shape.tested, this.shape.thresholds, this.shape.inductions, undefined, this.shape.widenAt);
    const queue = new MinQueue();
    for (const [pc, s] of from) {
      const i = paths.add(pc, this.trim(pc, s), false);
      if (i >= 0) queue.push(pc * MAX_PATHS + i);
      for (const j of paths.changed.splice(0)) queue.push(pc * MAX_PATHS + j);
    }
    let back: State | undefined;
    const propagate = (to: number, st: State, from: number): void => {
      if (to === head) {
        back = back === undefined ? st : joinState(back, st, head, false);
        return;
      }
      if (!body.has(to)) return;
      const i = paths.add(to, this.trim(to, st), this.shape.loopHead[to] === 1, from);
      if (i >= 0) queue.push(to * MAX_PATHS + i);
      for (const j of paths.changed.splice(0)) queue.push(to * MAX_PATHS + j);
    };
    let key: number | undefined;
    while ((key = queue.pop()) !== undefined) {
      const pc = Math.floor(key / MAX_PATHS);
      const st = paths.get(pc, key % MAX_PATHS);
      if (st !== undefined) this.block(pc, st, depth, stack, this.envs.silent, false, propagate, () => undefined);
    }
    return back;
  }

  /** `s` with the registers dead at `pc` forgotten (no path reads them before writing them). */
  private trim(pc: number, s: State): State {
    const live = this.shape.live[pc]!;
    let regs: Value[] | undefined;
    for (let r = 0; r < s.regs.length; r++) {
      if ((live & (1 << r)) !== 0 || s.regs[r]!.type === 'uninit') continue;
      regs ??= s.regs.slice();
      regs[r] = UNINIT;
    }
    return regs === undefined ? s : { ...s, regs };
  }

  /** Run one basic block from `s`, handing each successor state to `out` and each exit state to `onExit`. */
  private block(
    leader: number,
    s: State,
    depth: number,
    stack: readonly number[],
    env: Env,
    check: boolean,
    out: (to: number, s: State, from: number) => void,
    onExit: (s: State) => void,
    regsAt?: Map<number, readonly Value[]>,
  ): void {
    const { insns, ops, leaders, funcOf } = this.shape;
    const end = this.shape.funcEnd.get(funcOf[leader]!)!;
    const w = toWork(s);
    let pc = leader;
    for (;;) {
      if (++this.steps > this.maxSteps) throw new BudgetExceeded();
      const i = insns[pc]!;
      const op = ops[pc]!;
      if (check) this.record(pc, w.regs, regsAt);
      if (this.shape.refused.has(pc)) return;
      if (op.kind === 'ja') {
        out(branchTarget(op, i, pc)!, freeze(w), pc);
        return;
      }
      if (op.kind === 'jcond') {
        const { a, b } = jumpOperands(env, w, pc, i, op);
        const target = branchTarget(op, i, pc)!;
        const taken = toWork(freeze(w));
        if (refineEdge(taken, i, op, a, b, true)) out(target, freeze(taken), pc);
        if (refineEdge(w, i, op, a, b, false) && pc + 1 < end) out(pc + 1, freeze(w), pc);
        return;
      }
      if (op.kind === 'exit') {
        checkExit(env, w, pc, depth);
        onExit(freeze(w));
        return;
      }
      const guards = this.shape.slotGuards.get(pc);
      if (guards !== undefined) this.guard(guards, w, i, op, depth);
      if (op.kind === 'call' && op.target === 'local') {
        const after = this.localCall(env, w, pc, branchTarget(op, i, pc)!, depth, stack, check);
        if (after.length === 0 || pc + 1 >= end) return;
        if (after.length > 1) {
          // the callee's exits kept apart: each goes on as a path of its own (kept at the next slot)
          for (const a of after) out(pc + 1, a, pc);
          return;
        }
        Object.assign(w, toWork(after[0]!));
      } else {
        if (op.kind === 'call' && op.target === 'helper') this.callback(env, w, pc, i.imm, depth, stack, check);
        step(env, w, pc, i, op, insns[pc + 1]);
      }
      const at = pc;
      pc += op.kind === 'lddw' ? 2 : 1;
      if (pc >= end) return; // falls off the function: reported by the structure checks
      if (leaders[pc] === 1) {
        out(pc, freeze(w), at);
        return;
      }
    }
  }

  /** A store or call in a loop whose trip count relies on stack slots: voids the loop's slots when a pointer here may reach one. */
  private guard(guards: readonly SlotGuard[], w: Work, i: Insn, op: Operation, depth: number): void {
    const reaches = (v: Value, lo: number, hi: number): boolean => v.type === 'stack' && v.frame === depth && v.lo + lo < hi;
    for (const g of guards) {
      if (this.voidedSlots.has(g.head)) continue;
      for (const at of g.slots) {
        let hit = false;
        if (op.kind === 'call' || op.kind === 'callx') {
          // a helper or function may write from the pointer it is passed upward, how far unknown here
          for (let r = 1; r <= 5 && !hit; r++) hit = reaches(w.regs[r]!, 0, at + 8);
        } else {
          const v = w.regs[i.dst]!;
          const size = op.kind === 'stx' || op.kind === 'st' || op.kind === 'atomic' ? op.size : 8;
          hit = reaches(v, i.offset, at + 8) && v.hi + i.offset + size > at;
        }
        if (hit) this.voidedSlots.add(g.head);
      }
    }
  }

  private record(pc: number, regs: readonly Value[], regsAt?: Map<number, readonly Value[]>): void {
    const old = this.facts[pc];
    this.facts[pc] = old === undefined ? regs.slice() : old.map((v, r) => joinValue(v, regs[r]!, -1, false));
    if (regsAt !== undefined) {
      const o = regsAt.get(pc);
      regsAt.set(pc, o === undefined ? regs.slice() : o.map((v, r) => joinValue(v, regs[r]!, -1, false)));
    }
  }

  /**
   * A helper that calls a function of the program (see callbacks.ts): the function is verified like a
   * subprogram, in a new frame, from the arguments the helper passes it, and must return a value in the
   * helper's range. It may run any number of times (bpf_loop) or not at all, so the caller's frames after
   * the call are the join of those before it and those each run leaves, run again until they repeat.
   */
  private callback(env: Env, w: Work, pc: number, id: number, depth: number, stack: readonly number[], check: boolean): void {
    const spec = CALLBACK_HELPERS.get(id);
    if (spec === undefined && UNANALYSED_CALLBACK_HELPERS.has(id)) {
      env.report(pc, 'unsupported', `the callback of helper #${id} is not analysed: its body and the arguments the helper passes it are not checked`, 'warning');
    }
    // under a lock the call itself is refused (spin-lock.ts); an uninitialised register is the helper's report
    if (spec === undefined || w.refs.has(LOCK_REF) || w.regs[spec.fn]!.type === 'uninit') return;
    const f = w.regs[spec.fn]!;
    const target = callbackTarget(f);
    if (target === undefined || !this.shape.funcEnd.has(target)) {
      env.report(pc, 'callback', `R${spec.fn} type=${typeName(f.type)} expected=func (argument ${spec.fn} of helper #${id} is the callback: an lddw of a function of the program)`);
      return;
    }
    if (stack.includes(target)) {
      env.report(pc, 'call-stack', `recursive call from insn ${pc} to callback ${target}`);
      return;
    }
    if (depth + 2 > MAX_CALL_FRAMES) {
      env.report(pc, 'call-stack', `the call stack of ${depth + 2} frames is too deep (callback at insn ${target})`);
      return;
    }
    const args = spec.args(w.regs);
    if (args === undefined || spec.never?.(w.regs) === true) return; // the helper's argument checks report what is wrong
    const regs: Value[] = [UNINIT, ...args, UNINIT, UNINIT, UNINIT, UNINIT, pointer('stack', 0, { frame: depth + 1 })];
    let before: State = freeze(w);
    for (let round = 0; ; round++) {
      const last = round + 1 >= CALLBACK_ROUNDS;
      const entry: State = { ...before, regs, frames: [...before.frames, emptyFrame()] };
      const exits = this.run(target, entry, depth + 1, [...stack, target], check && last);
      if (exits === undefined) break;
      const exit = joinExits(exits, target);
      const after = joinState(before, { ...before, frames: exit.frames.slice(0, depth + 1) }, pc, round >= 2);
      if (last) {
        checkCallbackReturn(env, exit, before, pc, target, spec.ret);
        before = after;
        break;
      }
      if (stateEqual(after, before)) {
        if (check) this.run(target, entry, depth + 1, [...stack, target], true);
        checkCallbackReturn(env, exit, before, pc, target, spec.ret);
        break;
      }
      before = after;
    }
    w.frames = before.frames.slice();
    w.owned.clear();
  }

  /** A local call: analyse the callee in a new frame; the caller's states after it, one per exit state kept apart (none: the path cannot continue). */
  private localCall(env: Env, w: Work, pc: number, target: number, depth: number, stack: readonly number[], check: boolean): State[] {
    if (stack.includes(target)) {
      env.report(pc, 'call-stack', `recursive call from insn ${pc} to ${target}`);
      return [];
    }
    if (depth + 2 > MAX_CALL_FRAMES) {
      env.report(pc, 'call-stack', `the call stack of ${depth + 2} frames is too deep`);
      return [];
    }
    const regs: Value[] = new Array(11).fill(UNINIT);
    for (let r = 1; r <= 5; r++) regs[r] = w.regs[r]!;
    regs[10] = pointer('stack', 0, { frame: depth + 1 });
    const entry: State = { regs, frames: [...w.frames, emptyFrame()], pkt: new Map(w.pkt), meta: w.meta, refs: new Map(w.refs) };
    const exits = this.run(target, entry, depth + 1, [...stack, target], check) ?? [];
    return exits.map((exit) => {
      const regs = w.regs.slice();
      const r0 = exit.regs[0]!;
      regs[0] = r0.type === 'stack' && r0.frame > depth ? UNINIT : r0;
      for (let r = 1; r <= 5; r++) regs[r] = UNINIT;
      return { regs, frames: exit.frames.slice(0, depth + 1), pkt: new Map(exit.pkt), meta: exit.meta, refs: new Map(exit.refs) };
    });
  }
}

/** Rounds of a callback run from the caller's stack as the previous round left it, before it is taken as stable. */
const CALLBACK_ROUNDS = 4;

/**
 * A callback's r0 must be a number in the helper's range, and it may not return holding what it took:
 * a lock (the helper would call it again, or return, with the lock held) or a reference.
 */
function checkCallbackReturn(env: Env, exit: State, entry: State, pc: number, target: number, [lo, hi]: readonly [bigint, bigint]): void {
  for (const [id, at] of exit.refs) {
    if (entry.refs.has(id)) continue;
    if (id === LOCK_REF) env.report(pc, 'spin-lock', `function calls are not allowed while holding a lock (the callback at insn ${target} returns with its bpf_spin_lock held)`);
    else env.report(pc, 'unreleased-reference', `Unreleased reference id=${id} alloc_insn=${at} at the return of the callback at insn ${target}`);
  }
  const r0 = exit.regs[0]!;
  if (r0.type === 'uninit') env.report(pc, 'callback', `R0 !read_ok at the return of the callback at insn ${target}`);
  else if (isPointer(r0)) env.report(pc, 'callback', `R0 not a scalar value at the return of the callback at insn ${target} (a ${typeName(r0.type)})`);
  else if (r0.scalar.smin < lo || r0.scalar.smax > hi) {
    env.report(pc, 'callback', `At callback return the register R0 has smin=${r0.scalar.smin} smax=${r0.scalar.smax} should have been in [${lo}, ${hi}] (the callback at insn ${target})`);
  }
}

function checkExit(env: Env, w: Work, pc: number, depth: number): void {
  const r0 = w.regs[0]!;
  // a subprogram may return without setting r0 (as the kernel has it): its caller then cannot read r0
  if (depth > 0) return;
  if (r0.type === 'uninit') {
    env.report(pc, 'uninit-register', 'R0 !read_ok');
    return;
  }
  // an iterator's program returns 0 or 1 (measured), the other BTF tracing programs anything
  const range = env.tracing?.attach === 'iter' ? ([0n, 1n] as const) : returnRange(env.programType, env.attachType);
  if (isPointer(r0)) {
    if (range !== undefined) env.report(pc, 'return-value', `At program exit the register R0 is not a known value (${typeName(r0.type)})`);
    else if (!env.privileged) env.report(pc, 'return-value', `R0 leaks addr as return value (a ${typeName(r0.type)}); return a number`);
  } else {
    if (range !== undefined && (r0.scalar.smin < range[0] || r0.scalar.smax > range[1])) {
      env.report(pc, 'return-value', `At program exit the register R0 has smin=${r0.scalar.smin} smax=${r0.scalar.smax} should have been in [${range[0]}, ${range[1]}]`);
    }
  }
  exitWhileLocked(env, w, pc);
  for (const [id, at] of w.refs) {
    if (id === LOCK_REF) continue;
    env.report(pc, 'unreleased-reference', `Unreleased reference id=${id} alloc_insn=${at}: release what insn ${at} acquired on every path (submit or discard a ring buffer record, bpf_sk_release a socket, a release kfunc such as bpf_ct_release a kfunc's object)`);
  }
}

/** A mutable copy of a state. */
export function toWork(s: State): Work {
  return { regs: s.regs.slice(), frames: s.frames.slice(), pkt: new Map(s.pkt), meta: s.meta, refs: new Map(s.refs), owned: new Set() };
}

/** An immutable snapshot of a work state; later writes to `w` copy its frames again. */
export function freeze(w: Work): State {
  w.owned.clear();
  return { regs: w.regs.slice(), frames: w.frames.slice(), pkt: new Map(w.pkt), meta: w.meta, refs: new Map(w.refs) };
}

/** A queue of slot numbers popping the smallest first, without duplicates. */
class MinQueue {
  private readonly heap: number[] = [];
  private readonly inside = new Set<number>();

  push(v: number): void {
    if (this.inside.has(v)) return;
    this.inside.add(v);
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= v) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = v;
  }

  pop(): number | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && h[l + 1]! < h[l]! ? l + 1 : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    this.inside.delete(top);
    return top;
  }
}
